"""Weights files: safetensors (no pickled code runs on load) with metadata, written atomically.

One file per registered model, `<weights_dir>/<model>.safetensors`. The metadata names the
architecture, so a file rebuilds its model through the registry, and carries the test accuracy,
epochs, date, training config and a SHA-256 of the tensors, checked on every load.

A model's weights are read from an explicit folder (or $MNIST_WEIGHTS) if one is given, else from
the user's retrained weights if they load, else from the shipped ones; they are written to the
explicit folder, else to the user's data folder, never to the shipped ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from .models import create_model, get_spec
from .paths import shipped_weights_dir, user_weights_dir

WEIGHTS_ENV = "MNIST_WEIGHTS"
SUFFIX = ".safetensors"


class WeightsError(RuntimeError):
    """A weights file is missing, corrupt, or does not match its model."""


def explicit_weights_dir(path: str | os.PathLike[str] | None = None) -> Path | None:
    """An explicit folder, else $MNIST_WEIGHTS, else None."""
    if path:
        return Path(path).expanduser()
    if os.environ.get(WEIGHTS_ENV):
        return Path(os.environ[WEIGHTS_ENV]).expanduser()
    return None


def resolve_weights_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Where weights are written: an explicit folder, else $MNIST_WEIGHTS, else the user's weights folder."""
    return explicit_weights_dir(path) or user_weights_dir()


def weights_path(name: str, weights_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where `name`'s weights are written (and, for an explicit folder, the only place they are read)."""
    return resolve_weights_dir(weights_dir) / f"{name}{SUFFIX}"


def shipped_path(name: str) -> Path:
    return shipped_weights_dir() / f"{name}{SUFFIX}"


def weights_sources(name: str, weights_dir: str | os.PathLike[str] | None = None, fallback: bool = False) -> list[Path]:
    """Where `name`'s weights are read from, in order: the explicit folder alone (with `fallback`,
    then the shipped file), else the user's retrained file (when there is one), then the shipped file."""
    explicit = explicit_weights_dir(weights_dir)
    if explicit is not None:
        own = explicit / f"{name}{SUFFIX}"
        return [own, shipped_path(name)] if fallback and own.resolve() != shipped_path(name).resolve() else [own]
    user = weights_path(name)
    return [user, shipped_path(name)] if user.exists() else [shipped_path(name)]


def load_named(name: str, weights_dir: str | os.PathLike[str] | None = None) -> tuple[nn.Module, WeightsInfo, Path]:
    """The first of weights_sources() that loads. A user file that does not load is skipped with a
    warning (the shipped weights answer); an explicit folder's file is the only choice."""
    sources = weights_sources(name, weights_dir)
    for path in sources[:-1]:
        try:
            return (*load_weights(path), path)
        except WeightsError as exc:
            warnings.warn(f"{exc}; using the shipped weights of {name} instead", stacklevel=2)
    return (*load_weights(sources[-1]), sources[-1])


@dataclass(frozen=True)
class WeightsInfo:
    model: str
    test_accuracy: float | None
    epochs: int | None
    date: str
    train_config: dict[str, Any]
    train_seconds: float | None
    sha256: str

    @classmethod
    def from_metadata(cls, meta: dict[str, str]) -> WeightsInfo:
        try:
            return cls(
                model=meta["model"],
                test_accuracy=float(meta["test_accuracy"]) if meta.get("test_accuracy") else None,
                epochs=int(meta["epochs"]) if meta.get("epochs") else None,
                date=meta.get("date", ""),
                train_config=json.loads(meta.get("train_config", "{}")),
                train_seconds=float(meta["train_seconds"]) if meta.get("train_seconds") else None,
                sha256=meta["sha256"],
            )
        except (KeyError, ValueError) as exc:
            raise WeightsError(f"the weights metadata is incomplete or malformed ({exc})") from None


def tensors_digest(tensors: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    for key in sorted(tensors):
        t = tensors[key].detach().contiguous().cpu()
        h.update(key.encode())
        h.update(str(t.dtype).encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def save_weights(
    model: nn.Module,
    name: str,
    path: str | os.PathLike[str],
    test_accuracy: float | None = None,
    epochs: int | None = None,
    train_config: dict[str, Any] | None = None,
    train_seconds: float | None = None,
) -> WeightsInfo:
    """Write `model`'s weights and metadata to `path` atomically (temp file, fsync, rename)."""
    get_spec(name)  # fail before writing anything for an unknown model
    tensors = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    meta = {
        "model": name,
        "architecture": get_spec(name).description,
        "test_accuracy": "" if test_accuracy is None else f"{test_accuracy:.6f}",
        "epochs": "" if epochs is None else str(epochs),
        "date": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "train_config": json.dumps(train_config or {}, sort_keys=True),
        "train_seconds": "" if train_seconds is None else f"{train_seconds:.1f}",
        "sha256": tensors_digest(tensors),
        "format": "mnist-canvas/1",
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata=meta)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp's file is private (0600); weights are as readable as any file written
        _keep_previous(path)
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never half of one
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _fsync_dir(path.parent)
    return WeightsInfo.from_metadata(meta)


def previous_path(path: str | os.PathLike[str]) -> Path:
    """Where the version before the current one is kept: <model>.previous.safetensors."""
    path = Path(path)
    return path.with_name(path.name.removesuffix(SUFFIX) + ".previous" + SUFFIX)


def _fsync_dir(folder: Path) -> None:
    try:  # make renames durable
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def _link_to_temp(path: Path) -> Path:
    """A second name for `path`'s current content (a hard link, else a copy), ready to be renamed."""
    tmp = path.with_name(f".{path.name}.link.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(path, tmp)
    except OSError:
        shutil.copy2(path, tmp)
    return tmp


def _keep_previous(path: Path) -> None:
    """Keep the current file as the previous version; the current name stays in place throughout."""
    if path.exists():
        os.replace(_link_to_temp(path), previous_path(path))


def install_weights(candidate: str | os.PathLike[str], path: str | os.PathLike[str]) -> WeightsInfo:
    """Make a verified candidate file the current weights, keeping the old ones as the previous version."""
    candidate, path = Path(candidate), Path(path)
    _, info = load_weights(candidate)  # never install a file that does not load
    _keep_previous(path)
    os.replace(candidate, path)
    _fsync_dir(path.parent)
    return info


def restore_previous(path: str | os.PathLike[str]) -> WeightsInfo:
    """Swap the current and the previous version; at every instant both names hold a complete file."""
    path = Path(path)
    prev = previous_path(path)
    if not prev.exists():
        raise WeightsError(f"there is no previous version of {path.name} to restore")
    _, info = load_weights(prev)
    current = _link_to_temp(path)
    os.replace(prev, path)
    os.replace(current, prev)
    _fsync_dir(path.parent)
    return info


def read_info(path: str | os.PathLike[str]) -> WeightsInfo:
    """The metadata alone (cheap: reads only the header)."""
    try:
        with safe_open(str(path), framework="pt") as f:
            return WeightsInfo.from_metadata(f.metadata() or {})
    except FileNotFoundError:
        raise WeightsError(f"{path}: no weights file") from None
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"{path}: not a readable weights file ({exc})") from None


def load_weights(path: str | os.PathLike[str]) -> tuple[nn.Module, WeightsInfo]:
    """Rebuild the model named in the file's metadata and load its verified weights."""
    info = read_info(path)
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"{path}: not a readable weights file ({exc})") from None
    if tensors_digest(tensors) != info.sha256:
        raise WeightsError(f"{path}: the weights do not match their checksum (the file is corrupt)")
    try:
        model = create_model(info.model)
        model.load_state_dict(tensors)
    except (ValueError, RuntimeError) as exc:
        raise WeightsError(f"{path}: the weights do not fit model {info.model!r} ({exc})") from None
    model.eval()
    return model, info
