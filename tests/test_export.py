from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort  # type: ignore[import-untyped]
import pytest

from conftest import draw_digit
from mnist_core import DEFAULT_MODEL, Predictor
from mnist_core.cache import PredictorCache
from mnist_core.export import (
    INSTALL_HINT,
    MAX_ACCURACY_GAP,
    ExportError,
    OnnxReader,
    contract_path,
    export_main,
    export_onnx,
)
from mnist_core.inference import BACKENDS
from mnist_core.paths import shipped_weights_dir
from mnist_core.train import evaluate
from mnist_core.weights import load_named, read_info, shipped_path

MODELS = ["cnn_small", "mlp_128", "cnn_styles"]  # small, fully connected, and one with the "no digit" output
SHIPPED = shipped_weights_dir()  # never a retrained file from the user's folder: the contract names these weights


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, tuple[dict, Path]]:
    """Each of MODELS exported once for the module: name -> (contract, path)."""
    folder = tmp_path_factory.mktemp("onnx")
    return {name: (export_onnx(name, folder / f"{name}.onnx", SHIPPED), folder / f"{name}.onnx") for name in MODELS}


@pytest.fixture(scope="module")
def onnx_predictor() -> Predictor:
    return Predictor.load(DEFAULT_MODEL, SHIPPED, backend="onnx")


def mnist_images(mnist_test, n: int) -> np.ndarray:
    """The first n MNIST test digits as the exported graph takes them: (n, 1, 28, 28) float32 in [0, 1]."""
    return (mnist_test.images[:n].numpy().astype(np.float32) / 255.0)[:, None]


@pytest.mark.parametrize("name", MODELS)
def test_export_passes_the_checker_and_writes_its_contract(exported, name):
    meta, path = exported[name]
    onnx.checker.check_model(str(path), full_check=True)
    on_disk = json.loads(contract_path(path).read_text())
    assert on_disk == meta and contract_path(path).name == f"{name}.onnx.json"
    info = read_info(shipped_path(name))
    assert meta["model"] == name and meta["weights"]["sha256"] == info.sha256
    assert meta["weights"]["test_accuracy"] == info.test_accuracy and meta["weights"]["date"] == info.date
    assert meta["input"]["name"] == "images" and meta["input"]["shape"] == ["batch", 1, 28, 28]
    assert meta["input"]["range"] == [0.0, 1.0] and "0.1307" in meta["input"]["normalization"]
    model = onnx.load(str(path))
    assert meta["opset"] == next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    assert [o.name for o in model.graph.output] == [o["name"] for o in meta["outputs"]]
    assert len(meta["outputs"]) == (2 if name == "cnn_styles" else 1)
    assert not list(path.parent.glob(".*.tmp"))  # the temp files were renamed, none left behind


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("batch", [1, 7])
def test_onnxruntime_matches_torch_on_mnist(exported, mnist_test, name, batch):
    _, path = exported[name]
    x = mnist_images(mnist_test, batch)
    outs = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"images": x})
    want, want_no_digit = Predictor(load_named(name, SHIPPED)[0], name).read(x[:, 0])
    assert outs[0].shape == (batch, 10)
    np.testing.assert_allclose(outs[0], want, atol=1e-4)
    np.testing.assert_allclose(outs[0].sum(1), 1.0, atol=1e-5)
    if want_no_digit is None:
        assert len(outs) == 1
    else:
        assert outs[1].shape == (batch,)
        np.testing.assert_allclose(outs[1], want_no_digit, atol=1e-4)


def test_reader_from_file_reads_as_predictor_reads(exported, mnist_test):
    _, path = exported["cnn_styles"]
    x = mnist_images(mnist_test, 5)[:, 0]
    probs, no_digit = OnnxReader.from_file(path).read(x)
    assert probs.shape == (5, 10) and no_digit is not None and no_digit.shape == (5,)
    assert (probs.argmax(1) == mnist_test.labels[:5].numpy()).all()
    assert OnnxReader.from_file(exported["mlp_128"][1]).read(x)[1] is None
    with pytest.raises(ValueError, match="28x28"):
        OnnxReader.from_file(path).read(np.zeros((2, 20, 20), np.float32))


def test_reader_refuses_what_is_not_an_export(tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(ExportError, match="not an ONNX model"):
        OnnxReader.from_file(junk)
    with pytest.raises(ExportError, match="no such file"):
        OnnxReader.from_file(tmp_path / "missing.onnx")


@pytest.mark.slow
def test_default_model_reads_all_of_mnist_test_as_torch_does(tmp_path, mnist_test):
    path = tmp_path / f"{DEFAULT_MODEL}.onnx"
    export_onnx(DEFAULT_MODEL, path, SHIPPED)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = (mnist_test.images.numpy().astype(np.float32) / 255.0)[:, None]
    assert x.shape == (10_000, 1, 28, 28)
    read = np.concatenate([session.run(None, {"images": x[i : i + 1000]})[0] for i in range(0, len(x), 1000)])
    onnx_acc = float((read.argmax(1) == mnist_test.labels.numpy()).mean())
    torch_acc, _ = evaluate(load_named(DEFAULT_MODEL, SHIPPED)[0], mnist_test)
    assert abs(onnx_acc - torch_acc) <= MAX_ACCURACY_GAP, (onnx_acc, torch_acc)
    assert onnx_acc > 0.99


@pytest.mark.parametrize("digit", ["0", "1", "4", "7"])
def test_onnx_backend_gives_the_torch_answers_on_drawn_digits(onnx_predictor, digit):
    torch_pred = Predictor.load(DEFAULT_MODEL, SHIPPED).predict(draw_digit(digit))
    pred = onnx_predictor.predict(draw_digit(digit))
    assert pred.digit == torch_pred.digit == int(digit) and not pred.uncertain
    np.testing.assert_allclose(pred.probabilities, torch_pred.probabilities, atol=1e-4)
    assert pred.no_digit == pytest.approx(torch_pred.no_digit, abs=1e-4)


def test_onnx_backend_judges_follow_it(onnx_predictor):
    assert onnx_predictor.backend == "onnx" and onnx_predictor.has_no_digit
    assert onnx_predictor.segmenter.backend == onnx_predictor.detector.backend == "onnx"


def test_cache_runs_its_backend_and_converts_what_it_is_given():
    cache = PredictorCache(SHIPPED, backend="onnx")
    small = cache.get("cnn_small")
    assert small.backend == "onnx" and not small.has_no_digit and small.detector.backend == "onnx"
    assert small.predict(draw_digit("7")).digit == 7
    cache.put("mlp_128", Predictor(load_named("mlp_128", SHIPPED)[0], "mlp_128"))  # as a retrain hands it over
    assert cache.get("mlp_128").backend == "onnx" and cache.get("mlp_128").detector is small.detector


def test_unknown_backend_names_the_choices():
    for make in (lambda: Predictor.load("cnn_small", backend="tensorflow"), lambda: PredictorCache(backend="tflite")):
        with pytest.raises(ValueError, match="choose one of: " + ", ".join(BACKENDS)):
            make()


def test_missing_onnxruntime_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now raises ImportError
    with pytest.raises(ImportError, match="onnxruntime is not installed.*" + re.escape(INSTALL_HINT)):
        Predictor.load("cnn_small", backend="onnx")
    assert Predictor.load("cnn_small").predict(draw_digit("7")).digit == 7  # the torch backend does not need it


def test_cli_exports_and_verifies(tmp_path, data_root, capsys):
    out = tmp_path / "nested" / "small.onnx"
    code = export_main(["--model", "cnn_small", "--out", str(out), "--weights-dir", str(SHIPPED), "--verify",
                        "--check-data", str(data_root)])  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and out.is_file() and contract_path(out).is_file()
    assert summary["outputs"] == ["probabilities"] and summary["images"] == 10_000
    assert abs(summary["onnx_accuracy"] - summary["torch_accuracy"]) <= MAX_ACCURACY_GAP
    assert summary["torch_accuracy"] == pytest.approx(read_info(shipped_path("cnn_small")).test_accuracy, abs=1e-6)


@pytest.mark.parametrize(
    "model,where,message",
    [
        ("resnet152", "model.onnx", "unknown model 'resnet152'"),
        ("cnn_small", "a-file/model.onnx", "cannot write"),  # a folder that cannot be made
        ("cnn_small", ".", "is a folder"),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(tmp_path, capsys, model, where, message):
    (tmp_path / "a-file").write_text("not a folder")
    out = tmp_path / where
    code = export_main(["--model", model, "--out", str(out), "--weights-dir", str(SHIPPED)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not out.is_file() and not contract_path(out).exists()
