from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import draw_digit
from mnist_core import DEFAULT_MODEL
from mnist_core.devices import resolve_device
from mnist_core.weights import load_weights, read_info, shipped_path


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    exe = shutil.which(args[0])
    assert exe, f"{args[0]} is not installed: pip install -e ."
    return subprocess.run([exe, *args[1:]], capture_output=True, text=True, cwd=cwd, timeout=600, check=False)


@pytest.fixture
def images(tmp_path):
    draw_digit("7").save(tmp_path / "seven.png")
    draw_digit("4", paper=(0, 0, 0, 0)).save(tmp_path / "four layer.png")
    (tmp_path / "notes.png").write_text("this is text, not a picture")
    draw_digit("1", ink=(255, 255, 255, 255)).save(tmp_path / "blank.png")  # white on white: nothing to read
    return tmp_path


def test_predict_json_contract(images):
    args = ["./seven.png", "notes.png", "missing.png", "four layer.png", "blank.png"]
    res = run("mnist-predict", "--json", "--top-k", "2", *args, cwd=images)
    assert res.returncode == 1, res.stderr
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert [line["path"] for line in lines] == args  # input order, paths exactly as given
    seven, notes, missing, four, blank = lines
    assert seven["digit"] == 7 and 0.5 < seven["confidence"] <= 1 and seven["model"] == DEFAULT_MODEL
    assert seven["top_k"][0]["digit"] == 7 and len(seven["top_k"]) == 2
    assert set(seven) <= {"path", "digit", "confidence", "top_k", "model", "uncertain"}
    assert four["digit"] == 4
    assert set(notes) == {"path", "error"} and "not an image" in notes["error"]
    assert set(missing) == {"path", "error"} and "no such file" in missing["error"]
    assert set(blank) == {"path", "error"} and "ink" in blank["error"]


def test_predict_exit_zero_when_all_good(images):
    res = run("mnist-predict", "--model", "mlp_256_128", "seven.png", cwd=images)
    assert res.returncode == 0 and res.stdout.startswith("seven.png: 7")


def test_unknown_model_is_a_usage_error(images):
    res = run("mnist-predict", "--model", "nope", "seven.png", cwd=images)
    assert res.returncode == 2 and "known models" in res.stderr


def test_eval_json(data_root):
    res = run("mnist-eval", "--model", "mlp_128", "--json", "--data-root", str(data_root))
    assert res.returncode == 0, res.stderr
    line = json.loads(res.stdout)
    assert line["model"] == "mlp_128" and line["n"] == 10000
    assert abs(line["accuracy"] - read_info(shipped_path("mlp_128")).test_accuracy) <= 0.001


def test_eval_missing_dataset_is_clear(tmp_path):
    res = run("mnist-eval", "--data-root", str(tmp_path / "nowhere"))
    assert res.returncode == 2 and "MNIST_DATA" in res.stderr and "nowhere" in res.stderr


def test_train_writes_loadable_weights(tmp_path, data_root):
    out = tmp_path / "w" / "tiny.safetensors"
    res = run("mnist-train", "--model", "cnn_small", "--epochs", "1", "--limit", "1000", "--batch-size", "50",
              "--lr", "0.05", "--device", "cpu", "--data-root", str(data_root), "--out", str(out))  # fmt: skip
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    _, info = load_weights(out)
    assert info.model == "cnn_small" and info.test_accuracy == pytest.approx(summary["test_accuracy"])
    assert info.train_config["limit"] == 1000 and info.epochs == 1 and info.train_config["device"] == "cpu"


def test_train_from_weights_that_do_not_fit_is_clear(tmp_path, data_root):
    res = run("mnist-train", "--model", "cnn_small", "--start-from", "mlp_128", "--limit", "100",
              "--data-root", str(data_root), "--out", str(tmp_path / "x.safetensors"))  # fmt: skip
    assert res.returncode == 2 and "cnn_small cannot start from mlp_128's weights" in res.stderr
    assert not (tmp_path / "x.safetensors").exists()


def test_train_records_its_recipe(tmp_path, data_root):
    out = tmp_path / "elastic.safetensors"
    res = run("mnist-train", "--model", "cnn_small", "--limit", "500", "--batch-size", "50", "--elastic", "1.5",
              "--styles", "0.5", "--curls", "0.3", "--upright-flags", "--turned", "0.1", "--letters", "0.05",
              "--rendered", "0.2", "--data-root", str(data_root), "--out", str(out))  # fmt: skip
    assert res.returncode == 0, res.stderr
    info = load_weights(out)[1]
    config = info.train_config
    assert config["augmentation"]["elastic_px"] == 1.5 and config["styles"] == 0.5 and info.epochs == config["epochs"]
    assert config["upright_flags"] is True and config["turned"] == 0.1 and config["letters"] == 0.05
    assert config["rendered"] == 0.2 and config["curls"] == 0.3
    assert config["device"] == resolve_device("auto").type  # where "auto" ran, not "auto"


def test_eval_writes_model_cards(tmp_path):
    from mnist_core.cli import eval_main

    assert eval_main(["--model", "cnn_small", "--card", str(tmp_path)]) == 0
    assert "cnn_small" in (tmp_path / "cnn_small.md").read_text()


def test_predict_with_the_onnx_backend(tmp_path):
    draw_digit("7").save(tmp_path / "seven.png")
    res = run("mnist-predict", "--json", "--backend", "onnx", "--model", "cnn_small", str(tmp_path / "seven.png"))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["digit"] == 7


def test_train_learns_from_stored_corrections(tmp_path, monkeypatch, data_root, capsys):
    from test_learn import flagged_ones

    from mnist_core.cli import train_main
    from mnist_core.feedback import FeedbackStore

    monkeypatch.setenv("MNIST_CANVAS_HOME", str(tmp_path))
    args = ["--model", "cnn_small", "--feedback", "--data-root", str(data_root)]
    assert train_main(args) == 2 and "no corrections" in capsys.readouterr().err
    store, ones = FeedbackStore(), flagged_ones(10, seed=1)
    for image in ones.images.numpy():
        store.add(image, image / 255.0, label=1, predicted=7, confidence=0.6, model="cnn_small", session="s")
    assert train_main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["corrections"] == 10 and summary["kept"]
    assert summary["after"]["held_out"] >= summary["before"]["held_out"]
    assert read_info(tmp_path / "weights" / "cnn_small.safetensors").test_accuracy == summary["after"]["mnist"]
