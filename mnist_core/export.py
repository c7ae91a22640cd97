"""ONNX export of a registered model, and an ONNX Runtime reader with the contract of `Predictor.read`.

The exported graph takes raw MNIST-format images (N x 1 x 28 x 28 float32 in [0, 1], ink bright as
in MNIST: what `preprocess.to_mnist` makes) and does the normalization itself, so a consumer needs
no mean or std. Its first output "probabilities" is the softmax over the ten digits; a model with a
"no digit" logit (models.split_outputs) has a second output "no_digit", its sigmoid. A JSON file
beside the .onnx file records that contract and the weights it was made from.

onnx, onnxscript and onnxruntime are an optional extra (`pip install "mnist-canvas[onnx]"`): they
are imported inside the functions that need them, never when mnist_core is imported.

    mnist-export --model cnn_styles --out cnn_styles.onnx [--weights-dir DIR] [--verify [--check-data DATA_ROOT]]

Over 250 lines because writing the graph, reading it back (OnnxReader) and `--verify` share one
contract (input and output names, FORMAT, the JSON beside the file); the reader is the part to move out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib
import json
import os
import tempfile
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from .errors import fail as _fail
from .models import DIGITS, get_spec, split_outputs
from .render import MNIST_MEAN, MNIST_STD, normalize
from .weights import WeightsError, WeightsInfo, load_named

if TYPE_CHECKING:
    import onnx

# The lowest opset the torch exporter writes; every current runtime (onnxruntime 1.14 on, the web one) reads it.
OPSET = 18
INPUT = "images"
PROBABILITIES = "probabilities"
NO_DIGIT = "no_digit"
FORMAT = "mnist-canvas-onnx/1"
# --verify fails when the exported model's MNIST test accuracy is further than this from PyTorch's (5 digits in 10,000)
MAX_ACCURACY_GAP = 0.0005
INSTALL_HINT = 'pip install "mnist-canvas[onnx]"'


class ExportError(RuntimeError):
    """The model could not be exported or the file could not be written."""


def _require(module: str) -> ModuleType:
    """Import an optional dependency, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        msg = f"{module} is not installed; ONNX export and the onnx backend need it: {INSTALL_HINT}"
        raise ImportError(msg) from exc


def require_onnx() -> None:
    """Raise ImportError, saying how to install them, unless the ONNX export and runtime packages are there."""
    for module in ("onnxruntime", "onnx", "onnxscript"):
        _require(module)


def _runtime_errors(ort: ModuleType) -> tuple[type[Exception], ...]:
    """onnxruntime's exceptions for a model it cannot load (they derive from Exception alone)."""
    state = ort.capi.onnxruntime_pybind11_state
    names = ("Fail", "InvalidArgument", "NoSuchFile", "InvalidProtobuf", "InvalidGraph", "NotImplemented")
    return tuple(getattr(state, n) for n in names if hasattr(state, n))


class RawImageModel(nn.Module):
    """A model that takes [0, 1] MNIST-format images and returns the digits' probabilities (and,
    for a model with that output, the probability that each image is no digit)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, ...]:
        logits, no_digit = split_outputs(self.model(normalize(images)))
        probabilities = torch.softmax(logits, dim=1)
        return (probabilities,) if no_digit is None else (probabilities, torch.sigmoid(no_digit))


def has_no_digit_output(model: nn.Module) -> bool:
    """Whether `model` (put in eval mode) has the 11th, "no digit", output."""
    with torch.inference_mode():
        return split_outputs(model.eval()(torch.zeros(1, 1, 28, 28)))[1] is not None


def to_onnx(model: nn.Module) -> onnx.ModelProto:
    """`model` (put in eval mode) as a checked ONNX model with a dynamic batch axis."""
    checker = _require("onnx.checker")
    _require("onnxscript")  # the torch exporter's own dependency, named here with the install hint
    outputs = [PROBABILITIES, NO_DIGIT] if has_no_digit_output(model) else [PROBABILITIES]
    # the dynamo exporter: the TorchScript one is deprecated and warns on every export
    program = torch.onnx.export(
        RawImageModel(model).eval(),
        (torch.rand(2, 1, 28, 28),),  # batch 2: torch.export treats sizes 0 and 1 as constants
        input_names=[INPUT],
        output_names=outputs,
        dynamic_shapes=({0: torch.export.Dim("batch")},),
        opset_version=OPSET,
        dynamo=True,
        verbose=False,
    )
    if program is None:
        raise ExportError("the torch ONNX exporter returned no program")
    proto = program.model_proto
    checker.check_model(proto, full_check=True)
    return proto


def contract(name: str, info: WeightsInfo, opset: int, has_no_digit: bool) -> dict[str, Any]:
    """What the exported file takes and gives, and the weights it was made from."""
    outputs = [{"name": PROBABILITIES, "shape": ["batch", DIGITS], "dtype": "float32",
                "meaning": "softmax over the digits 0-9 (sums to 1)"}]  # fmt: skip
    if has_no_digit:
        outputs.append({"name": NO_DIGIT, "shape": ["batch"], "dtype": "float32",
                        "meaning": "sigmoid: the probability that the image is no digit at all"})  # fmt: skip
    return {
        "format": FORMAT,
        "model": name,
        "description": get_spec(name).description,
        "opset": opset,
        "input": {
            "name": INPUT,
            "shape": ["batch", 1, 28, 28],
            "dtype": "float32",
            "range": [0.0, 1.0],
            "polarity": "ink bright (1.0) on a dark background (0.0), as MNIST",
            "layout": "MNIST format: the digit fit in a 20x20 box, centred by its centre of mass in 28x28 "
            "(mnist_core.preprocess.to_mnist)",
            "normalization": f"inside the graph: (x - {MNIST_MEAN}) / {MNIST_STD}",
        },
        "outputs": outputs,
        "weights": {k: getattr(info, k) for k in ("test_accuracy", "epochs", "date", "sha256")},
        "exported": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "torch": torch.__version__,
    }


def contract_path(out: Path) -> Path:
    """The JSON beside an exported file: FILE.onnx.json."""
    return out.with_name(out.name + ".json")


def _write_atomic(path: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, rename: a crash never leaves half a file under `path`."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp's file is private; an exported model is as readable as any file written
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def export_onnx(name: str, out: str | os.PathLike[str],
                weights_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:  # fmt: skip
    """Export `name`'s weights (found as weights.load_named finds them) to `out`, and its contract
    to contract_path(out); returns the contract. Raises ValueError for an unknown model,
    WeightsError for missing or corrupt weights, ExportError when the files cannot be written."""
    get_spec(name)
    model, info, _ = load_named(name, weights_dir)
    helper = _require("onnx.helper")
    out = Path(out)
    if out.is_dir():
        raise ExportError(f"{out} is a folder; give the file to write, such as {out / name}.onnx")
    try:  # a folder that cannot be made fails before the seconds the export takes
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot write {out}: {exc.strerror or exc}") from None
    proto = to_onnx(model)
    helper.set_model_props(proto, {"format": FORMAT, "model": name, "weights_sha256": info.sha256})
    data = proto.SerializeToString()
    meta = contract(name, info, OPSET, len(proto.graph.output) > 1)
    meta["sha256"] = hashlib.sha256(data).hexdigest()  # of the .onnx file: the JSON names the file it describes
    try:
        _write_atomic(out, data)
        _write_atomic(contract_path(out), (json.dumps(meta, indent=2) + "\n").encode())
    except OSError as exc:
        raise ExportError(f"cannot write {out}: {exc.strerror or exc}") from None
    return meta


# --- reading with ONNX Runtime --------------------------------------------------------------------


class OnnxReader:
    """An ONNX Runtime session over an exported model, read as `Predictor.read` reads.

    One intra-op thread and no spinning by default: a 28x28 image is far less work than handing it
    to a thread pool, and on a small shared machine spinning threads take the cores other requests
    need. A session's run() is thread-safe, so one reader serves concurrent requests.
    """

    def __init__(self, model: bytes | str | os.PathLike[str], threads: int = 1):
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        ort = _require("onnxruntime")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
        where = "the model" if isinstance(model, bytes) else os.fspath(model)
        if not isinstance(model, bytes) and not Path(model).is_file():
            raise ExportError(f"{where}: no such file")
        try:
            self.session = ort.InferenceSession(model if isinstance(model, bytes) else where, opts,
                                                providers=["CPUExecutionProvider"])  # fmt: skip
        except _runtime_errors(ort) as exc:
            raise ExportError(f"{where} is not an ONNX model onnxruntime can run ({exc})") from None
        inputs, names = [i.name for i in self.session.get_inputs()], [o.name for o in self.session.get_outputs()]
        if inputs != [INPUT] or names[:1] != [PROBABILITIES]:
            raise ExportError(f"{where} is not an mnist-canvas export (inputs {inputs}, outputs {names})")
        self.has_no_digit = NO_DIGIT in names

    @classmethod
    def from_module(cls, model: nn.Module, threads: int = 1) -> OnnxReader:
        """Export `model` in memory (no file) and open a session on it."""
        return cls(to_onnx(model).SerializeToString(), threads)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], threads: int = 1) -> OnnxReader:
        return cls(Path(path), threads)

    def read(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(B, 28, 28) or (B, 1, 28, 28) [0, 1] MNIST-format images -> (B, 10) softmax probabilities,
        and (B,) probabilities that each is no digit (None for a model without that output)."""
        x = np.asarray(images, np.float32)
        if x.size % (28 * 28) or x.shape[-2:] != (28, 28):
            raise ValueError(f"expected 28x28 MNIST-format images (B, 28, 28), got shape {x.shape}")
        outs = self.session.run(None, {INPUT: np.ascontiguousarray(x.reshape(-1, 1, 28, 28))})
        return outs[0], outs[1] if self.has_no_digit else None


def accuracies(model: nn.Module, reader: OnnxReader, images: torch.Tensor, labels: torch.Tensor,
               batch_size: int = 1000) -> dict[str, Any]:  # fmt: skip
    """MNIST-style accuracy of the PyTorch model and of its export on the same uint8 (N, 28, 28) images."""
    net = RawImageModel(model).eval()
    right = {"torch": 0, "onnx": 0}
    for i in range(0, len(labels), batch_size):
        x = images[i : i + batch_size].float().div(255.0).unsqueeze(1)
        y = labels[i : i + batch_size].numpy()
        with torch.inference_mode():
            right["torch"] += int((net(x)[0].argmax(1).numpy() == y).sum())
        right["onnx"] += int((reader.read(x.numpy())[0].argmax(1) == y).sum())
    n = max(1, len(labels))
    return {"images": len(labels), "torch_accuracy": right["torch"] / n, "onnx_accuracy": right["onnx"] / n}


# --- mnist-export ---------------------------------------------------------------------------------


def export_main(argv: list[str] | None = None) -> int:
    from .mnist import DatasetNotFoundError, load_mnist

    p = argparse.ArgumentParser(prog="mnist-export", description="Export a model to ONNX, its contract beside it.")
    p.add_argument("--model", required=True, help="a registered model's name")
    p.add_argument("--out", required=True, type=Path, help="the .onnx file to write (its contract: FILE.onnx.json)")
    p.add_argument("--weights-dir", help="folder of weights files (default: as mnist-predict finds them)")
    p.add_argument("--verify", action="store_true", help="read the MNIST test set with the exported file "
                   "and with PyTorch, print both accuracies, "
                   f"and fail if they differ by more than {MAX_ACCURACY_GAP}")  # fmt: skip
    p.add_argument("--check-data", metavar="DATA_ROOT", help="the MNIST folder for --verify (implies it)")
    args = p.parse_args(argv)
    test = None
    if args.verify or args.check_data:  # the data first: a missing folder fails before the export
        try:
            test = load_mnist(args.check_data, train=False, download=False)
        except DatasetNotFoundError as exc:
            return _fail(str(exc))
    try:
        meta = export_onnx(args.model, args.out, args.weights_dir)
    except (ValueError, WeightsError, ExportError, ImportError) as exc:
        return _fail(str(exc))
    summary: dict[str, Any] = {"model": args.model, "out": str(args.out), "contract": str(contract_path(args.out)),
                               "opset": meta["opset"], "outputs": [o["name"] for o in meta["outputs"]]}  # fmt: skip
    if test is not None:
        model = load_named(args.model, args.weights_dir)[0]
        summary.update(accuracies(model, OnnxReader.from_file(args.out), test.images, test.labels))
    print(json.dumps(summary))
    if "onnx_accuracy" in summary and abs(summary["onnx_accuracy"] - summary["torch_accuracy"]) > MAX_ACCURACY_GAP:
        got, want = summary["onnx_accuracy"], summary["torch_accuracy"]
        return _fail(f"the exported model reads {got:.2%} of MNIST test, the PyTorch model {want:.2%}", 1)
    return 0
