from __future__ import annotations

import shutil
import subprocess

import pytest
import torch

from mnist_core.cli import eval_main, predict_main, train_main
from mnist_core.devices import DeviceError, check_device_spec, resolve_device

HAS_CUDA = torch.cuda.is_available()
HAS_MPS = torch.backends.mps.is_available()
no_cuda = pytest.mark.skipif(HAS_CUDA, reason="this machine has CUDA")


def test_auto_is_the_accelerator_if_there_is_one_else_the_cpu():
    expected = "cuda" if HAS_CUDA else "mps" if HAS_MPS else "cpu"
    assert resolve_device().type == resolve_device("auto").type == expected  # a CUDA build without a GPU: cpu


def test_cpu_is_always_there():
    assert resolve_device("cpu") == resolve_device(" CPU ") == torch.device("cpu")


@no_cuda
@pytest.mark.parametrize("spec", ["cuda", "cuda:0", "cuda:7"])
def test_missing_cuda_is_a_one_line_error_naming_it(spec):
    with pytest.raises(DeviceError) as err:
        resolve_device(spec)
    msg = str(err.value)
    assert msg.startswith(f"CUDA was asked for (--device {spec})") and "torch.cuda.is_available() is False" in msg
    assert "\n" not in msg


@pytest.mark.skipif(HAS_MPS, reason="this machine has MPS")
def test_missing_mps_is_an_error_naming_it():
    with pytest.raises(DeviceError, match=r"MPS was asked for \(--device mps\)"):
        resolve_device("mps")


@pytest.mark.parametrize("spec", ["tpu", "xpu", "gpu", "cuda:x", "", "cuda:-1"])
def test_what_is_no_device_of_ours_is_an_error_naming_it(spec):
    with pytest.raises(DeviceError, match=f"unknown device '{spec}'"):
        resolve_device(spec)


def test_a_spec_is_checked_without_asking_for_the_device():
    """A recipe recorded on a GPU machine still reads here; whether the GPU is there is asked at train time."""
    assert check_device_spec("cuda:1") == "cuda:1" and check_device_spec("MPS") == "mps"
    assert check_device_spec("Auto") == "auto" and check_device_spec("cpu:0") == "cpu"
    assert issubclass(DeviceError, ValueError)


@no_cuda
def test_predict_with_missing_cuda_exits_2_with_the_message(capsys):
    assert predict_main(["--device", "cuda", "no-such-image.png"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: CUDA was asked for (--device cuda)") and "Traceback" not in err


@no_cuda
def test_predict_with_missing_cuda_exits_2_from_the_console_script():
    exe = shutil.which("mnist-predict")
    assert exe, "mnist-predict is not installed: pip install -e ."
    res = subprocess.run(
        [exe, "--device", "cuda", "seven.png"], capture_output=True, text=True, timeout=300, check=False
    )
    assert res.returncode == 2 and "CUDA" in res.stderr and "Traceback" not in res.stderr
    assert res.stdout == ""


@no_cuda
@pytest.mark.parametrize("main", [train_main, eval_main])
def test_train_and_eval_with_missing_cuda_exit_2_before_reading_data(main, capsys, tmp_path):
    args = ["--model", "cnn_small", "--device", "cuda:1", "--data-root", str(tmp_path / "nowhere")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "CUDA was asked for (--device cuda:1)" in err and "MNIST" not in err  # before any data is looked for


def test_predict_and_eval_run_on_the_cpu_asked_for(capsys, tmp_path, data_root):
    import json

    from conftest import draw_digit

    draw_digit("7").save(tmp_path / "seven.png")
    assert predict_main(["--device", "cpu", "--json", str(tmp_path / "seven.png")]) == 0
    assert json.loads(capsys.readouterr().out)["digit"] == 7
    assert eval_main(["--device", "cpu", "--model", "mlp_128", "--json", "--data-root", str(data_root)]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] > 0.97
