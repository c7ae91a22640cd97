"""Shared fixtures. Tests never touch the user's real folders: caches and Gradio's temp dir are redirected."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True, scope="session")
def _isolated_dirs(tmp_path_factory):
    """Once per session: servers started by module fixtures must see the same temp dir as every test."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(home / "cache"))
        mp.setenv("XDG_DATA_HOME", str(home / "data"))
        mp.setenv("MNIST_CANVAS_HOME", str(home / "mnist-canvas"))
        mp.delenv("MNIST_WEIGHTS", raising=False)
        mp.setenv("GRADIO_TEMP_DIR", str(home / "gradio"))
        yield


@pytest.fixture(scope="session")
def cache():
    """Predictors of the shipped weights: the session's data folder holds no retrained ones."""
    from mnist_core.cache import PredictorCache

    return PredictorCache()


@pytest.fixture(scope="session")
def data_root() -> Path:
    """MNIST from $MNIST_DATA (CI sets ../shared/data); ../shared/data beside the repo otherwise."""
    root = Path(os.environ.get("MNIST_DATA") or SHARED_DATA)
    if not (root / "MNIST" / "raw" / "t10k-images-idx3-ubyte").exists():
        pytest.fail(f"MNIST not found under {root}: set MNIST_DATA to a folder with MNIST/raw")
    return root


@pytest.fixture(scope="session")
def dev_dir(data_root) -> Path:
    d = Path(os.environ.get("MNIST_DEV_DATA") or SHARED_DATA / "dev")
    if not (d / "canvas" / "labels.csv").exists():
        pytest.fail(f"the development sets are not under {d}: set MNIST_DEV_DATA")
    return d


@pytest.fixture(scope="session")
def mnist_test(data_root):
    from mnist_core.mnist import load_mnist

    return load_mnist(data_root, train=False, download=False)


@pytest.fixture(scope="session")
def mnist_train(data_root):
    from mnist_core.mnist import load_mnist

    return load_mnist(data_root, train=True, download=False)


@pytest.fixture
def weights_copy(tmp_path) -> Path:
    """A writable copy of the shipped weights (retraining tests write here, never into weights/)."""
    dst = tmp_path / "weights"
    shutil.copytree(REPO / "weights", dst)
    return dst


def draw_digit(
    digit: str = "7",
    size: int = 400,
    width: int = 24,
    ink=(0, 0, 0, 255),
    paper=(255, 255, 255, 255),
    offset=(0, 0),
    scale: float = 1.0,
    mode: str = "RGBA",
) -> Image.Image:
    """A digit drawn with strokes the way a sketchpad user would (polylines on a canvas)."""
    strokes = {
        "7": [[(0.25, 0.2), (0.75, 0.2), (0.4, 0.85)]],
        "1": [[(0.45, 0.25), (0.55, 0.15), (0.55, 0.85)]],
        "4": [[(0.6, 0.85), (0.6, 0.15), (0.25, 0.6), (0.75, 0.6)]],
        "0": [[(0.5 + 0.22 * np.cos(t), 0.5 + 0.33 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 40)]],
    }[digit]
    img = Image.new("RGBA", (size, size), paper)
    d = ImageDraw.Draw(img)
    for line in strokes:
        pts = [((x - 0.5) * scale * size + size / 2 + offset[0], (y - 0.5) * scale * size + size / 2 + offset[1])
               for x, y in line]  # fmt: skip
        d.line(pts, fill=ink, width=width, joint="curve")
        r = width / 2
        for x, y in (pts[0], pts[-1]):
            d.ellipse((x - r, y - r, x + r, y + r), fill=ink)
    return img.convert(mode) if mode != "RGBA" else img


def compose_number(digits: list[np.ndarray], gap: float | list[float], height: int = 80, margin: int = 40
                   ) -> np.ndarray:  # fmt: skip
    """MNIST digits (28x28, white on black) side by side as dark ink on white paper, each scaled to
    `height` px; `gap` is the space between neighbours in units of the height (negative: overlap), or
    a list of one per pair of neighbours."""
    pieces = []
    for d in digits:
        ys, xs = np.nonzero(d > 30)
        crop = d[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        width = max(1, round(crop.shape[1] * height / crop.shape[0]))
        pieces.append(np.asarray(Image.fromarray(crop).resize((width, height), Image.Resampling.BILINEAR)))
    steps = [round(g * height) for g in (gap if isinstance(gap, list) else [gap] * (len(pieces) - 1))] + [0]
    page = np.zeros((height + 2 * margin, sum(p.shape[1] for p in pieces) + sum(steps) + 2 * margin), np.uint8)
    x = margin
    for p, step in zip(pieces, steps, strict=True):
        region = page[margin : margin + height, x : x + p.shape[1]]
        np.maximum(region, p, out=region)
        x += p.shape[1] + step
    return 255 - page


def similar(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two images' pixels (1: the same picture up to brightness and contrast)."""
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def read_right(split) -> tuple[float, dict[int, float]]:
    """The shipped default's share of a Split's digits read as their label, overall and per digit."""
    from mnist_core import Predictor

    probs, _ = Predictor.load("cnn_styles").read(split.images.float().numpy() / 255)
    right = probs.argmax(1) == split.labels.numpy()
    return float(right.mean()), {d: round(float(right[split.labels.numpy() == d].mean()), 2) for d in range(10)}
