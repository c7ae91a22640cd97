"""MNIST as in-memory tensors: where it is, loading it, a fixed validation hold-out.

The whole dataset is 55 MB of uint8, so it lives in memory and batches are index
slices: a DataLoader over it would only add per-sample Python overhead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

DATA_ENV = "MNIST_DATA"


class DatasetNotFoundError(RuntimeError):
    """MNIST is not under the data root and could not be downloaded."""


def default_data_root() -> Path:
    """The user cache folder, e.g. ~/.cache/mnist-canvas (XDG_CACHE_HOME honoured)."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "mnist-canvas"


def resolve_data_root(root: str | os.PathLike[str] | None = None) -> Path:
    """An explicit root, else $MNIST_DATA, else the user cache folder."""
    if root:
        return Path(root).expanduser()
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser()
    return default_data_root()


@dataclass(frozen=True)
class Split:
    """Images as uint8 (N, 28, 28) and labels as int64 (N,)."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index: torch.Tensor | slice) -> Split:
        return Split(self.images[index], self.labels[index])

    def plus(self, other: Split) -> Split:
        """This split's images and labels followed by `other`'s."""
        return Split(torch.cat([self.images, other.images]), torch.cat([self.labels, other.labels]))


def load_mnist(root: str | os.PathLike[str] | None = None, train: bool = True, download: bool = True) -> Split:
    """Load one MNIST split into memory, downloading it into `root` if it is missing."""
    from torchvision.datasets import MNIST  # torchvision is slow to import; only the data path needs it

    path = resolve_data_root(root)
    try:
        ds = MNIST(str(path), train=train, download=download)
    except (RuntimeError, OSError) as exc:  # torchvision raises RuntimeError when not found / not downloadable
        raise DatasetNotFoundError(
            f"MNIST was not found in {path} and could not be downloaded ({exc}). "
            f"Put the raw files in {path}/MNIST/raw, or point --data-root or ${DATA_ENV} at a folder that has them."
        ) from exc
    return Split(ds.data.clone(), ds.targets.clone())


def train_val_split(split: Split, val_size: int, seed: int = 0) -> tuple[Split, Split]:
    """A fixed random hold-out from the training set, for choosing recipes without the test set."""
    if val_size <= 0:
        return split, split.subset(slice(0, 0))
    perm = torch.randperm(len(split), generator=torch.Generator().manual_seed(seed))
    return split.subset(perm[val_size:]), split.subset(perm[:val_size])


# Segmentation asks the model whether ink reads as one digit (segment.split_touching). Trained as NOT_A_DIGIT,
# pairs and parts of digits read unsure, not confidently as some digit: a pair is split, a wrong cut refused.
NOT_A_DIGIT = -1  # the label of training images that are no single digit
