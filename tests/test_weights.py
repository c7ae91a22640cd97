from __future__ import annotations

import pytest
import torch

from mnist_core import weights as W
from mnist_core.models import create_model
from mnist_core.weights import WeightsError, load_weights, read_info, save_weights


def test_roundtrip_with_metadata(tmp_path):
    model = create_model("lenet5")
    path = tmp_path / "lenet5.safetensors"
    save_weights(model, "lenet5", path, test_accuracy=0.987, epochs=3, train_config={"lr": 0.1}, train_seconds=12.5)
    loaded, info = load_weights(path)
    assert info.model == "lenet5" and info.test_accuracy == pytest.approx(0.987) and info.epochs == 3
    assert info.train_config == {"lr": 0.1} and info.date.startswith("20")
    for a, b in zip(model.state_dict().values(), loaded.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert [p.name for p in tmp_path.iterdir()] == ["lenet5.safetensors"]  # no temp file left behind
    assert path.stat().st_mode & 0o777 == 0o644  # readable like any file, not private like the temp file was


def test_failed_write_leaves_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "mlp_128.safetensors"
    save_weights(create_model("mlp_128"), "mlp_128", path, test_accuracy=0.9)
    before = path.read_bytes()

    def crash(tensors, filename, metadata=None):
        open(filename, "wb").write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(W, "save_file", crash)
    with pytest.raises(OSError):
        save_weights(create_model("mlp_128"), "mlp_128", path, test_accuracy=0.5)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["mlp_128.safetensors"]


def test_corrupt_file_is_a_clear_error(tmp_path):
    path = tmp_path / "x.safetensors"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(WeightsError, match="not a readable weights file"):
        load_weights(path)


def test_flipped_bytes_fail_the_checksum(tmp_path):
    path = tmp_path / "mlp_128.safetensors"
    save_weights(create_model("mlp_128"), "mlp_128", path)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF  # inside the last tensor
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="checksum"):
        load_weights(path)


def test_pickle_files_are_not_loaded(tmp_path):
    path = tmp_path / "evil.safetensors"
    torch.save(create_model("mlp_128").state_dict(), path)  # a pickle, named like weights
    with pytest.raises(WeightsError):
        load_weights(path)


def test_missing_file(tmp_path):
    with pytest.raises(WeightsError, match="no weights file"):
        read_info(tmp_path / "none.safetensors")


def test_weights_dir_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_WEIGHTS", str(tmp_path))
    assert W.weights_path("cnn") == tmp_path / "cnn.safetensors"
    assert W.weights_path("cnn", tmp_path / "other") == tmp_path / "other" / "cnn.safetensors"


def test_previous_version_kept_and_restored(tmp_path):
    from mnist_core.weights import install_weights, previous_path, restore_previous

    path = tmp_path / "mlp_128.safetensors"
    first = save_weights(create_model("mlp_128"), "mlp_128", path, test_accuracy=0.91)
    assert not previous_path(path).exists()
    second = save_weights(create_model("mlp_128"), "mlp_128", path, test_accuracy=0.92)
    assert read_info(previous_path(path)).sha256 == first.sha256 and read_info(path).sha256 == second.sha256
    with pytest.raises(WeightsError):  # a broken candidate is never installed
        bad = tmp_path / "bad.safetensors"
        bad.write_bytes(b"nope")
        install_weights(bad, path)
    assert read_info(path).sha256 == second.sha256
    cand = tmp_path / "cand.safetensors"
    third = save_weights(create_model("mlp_128"), "mlp_128", cand, test_accuracy=0.93)
    install_weights(cand, path)
    assert read_info(path).sha256 == third.sha256 and read_info(previous_path(path)).sha256 == second.sha256
    restore_previous(path)
    assert read_info(path).sha256 == second.sha256 and read_info(previous_path(path)).sha256 == third.sha256
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.safetensors", "mlp_128.previous.safetensors",
                                                          "mlp_128.safetensors"]  # fmt: skip


def test_kill_9_during_save_leaves_weights_loadable_and_unchanged(tmp_path, data_root):
    """A real training subprocess (mnist-train) killed in the middle of writing its weights."""
    import os
    import signal
    import subprocess
    import sys
    import textwrap

    path = tmp_path / "mlp_128.safetensors"
    save_weights(create_model("mlp_128"), "mlp_128", path, test_accuracy=0.9)
    before = path.read_bytes()
    script = textwrap.dedent(f"""
        import sys, time, safetensors.torch as st
        from mnist_core import cli, weights
        real = st.save_file
        def slow(tensors, filename, metadata=None):
            real(tensors, filename, metadata=metadata)
            with open(filename, "r+b") as f:
                f.truncate(100)  # half-written, as at the moment of the kill
            print("writing", flush=True)
            time.sleep(60)
        weights.save_file = slow
        cli.train_main(["--model", "mlp_128", "--epochs", "1", "--limit", "500", "--data-root", {str(data_root)!r},
                        "--out", {str(path)!r}])
    """)
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout.readline().strip() == "writing"
    assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())  # killed mid-save, for real
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert path.read_bytes() == before
    load_weights(path)


def test_user_weights_are_written_and_read_before_the_shipped_ones(monkeypatch, tmp_path):
    from mnist_core.predict import Predictor
    from mnist_core.weights import load_named, shipped_path, weights_sources

    monkeypatch.setenv("MNIST_CANVAS_HOME", str(tmp_path))
    assert W.weights_path("mlp_128") == tmp_path / "weights" / "mlp_128.safetensors"
    assert weights_sources("mlp_128") == [shipped_path("mlp_128")]  # nothing retrained yet
    save_weights(create_model("mlp_128"), "mlp_128", W.weights_path("mlp_128"), test_accuracy=0.5)
    assert load_named("mlp_128")[2] == W.weights_path("mlp_128")
    assert Predictor.load("mlp_128").info.test_accuracy == 0.5
    W.weights_path("mlp_128").unlink()  # deleting the retrained file brings back the shipped weights
    assert Predictor.load("mlp_128").info.test_accuracy == read_info(shipped_path("mlp_128")).test_accuracy


def test_corrupt_user_weights_fall_back_to_the_shipped_ones(monkeypatch, tmp_path):
    from mnist_core.cache import PredictorCache
    from mnist_core.predict import Predictor
    from mnist_core.weights import shipped_path

    monkeypatch.setenv("MNIST_CANVAS_HOME", str(tmp_path))
    path = W.weights_path("mlp_128")
    path.parent.mkdir(parents=True)
    path.write_bytes(shipped_path("mlp_128").read_bytes()[:5000])  # a partial file, as a crash could leave
    with pytest.warns(UserWarning, match="using the shipped weights"):
        pred = Predictor.load("mlp_128")
    assert pred.info.sha256 == read_info(shipped_path("mlp_128")).sha256
    cache = PredictorCache()
    assert cache.get("mlp_128").info.sha256 == pred.info.sha256
    assert "shipped weights" in cache.problems["mlp_128"]


def test_an_explicit_folder_is_the_only_source(tmp_path):
    from mnist_core.predict import Predictor

    with pytest.raises(WeightsError, match="no weights file"):
        Predictor.load("mlp_128", tmp_path)
