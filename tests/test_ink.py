"""Ink: transparent layers, polarity, no ink and noise refused; stroke width and morphology."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from conftest import draw_digit, similar
from mnist_core.errors import NoInkError
from mnist_core.ink import dilate, erode, stroke_width
from mnist_core.preprocess import to_mnist


def test_alpha_only_strokes_are_ink():
    """A sketchpad layer: black strokes, and black RGB under the transparent pixels too."""
    layer = draw_digit("4", paper=(0, 0, 0, 0))
    assert np.asarray(layer.convert("L")).max() == 0  # no ink at all without alpha
    reference = to_mnist(draw_digit("4"))
    assert similar(to_mnist(layer), reference) > 0.98


def test_white_strokes_on_transparency():
    layer = draw_digit("4", ink=(255, 255, 255, 255), paper=(0, 0, 0, 0))
    assert similar(to_mnist(layer), to_mnist(draw_digit("4"))) > 0.98


def test_colour_under_transparent_pixels_never_shows():
    """On a layer, random colours under the transparent pixels away from the strokes change nothing."""
    layer = np.array(draw_digit("4", paper=(0, 0, 0, 0)))
    noisy = layer.copy()
    clear = ~ndimage.binary_dilation(noisy[..., 3] > 0, iterations=8)
    noisy[clear, :3] = np.random.default_rng(0).integers(0, 256, (int(clear.sum()), 3), dtype=np.uint8)
    assert np.array_equal(to_mnist(noisy), to_mnist(layer))


@pytest.mark.parametrize(
    "ink,paper", [((255, 255, 255, 255), (0, 0, 0, 255)), ((20, 20, 120, 255), (230, 225, 210, 255))]
)
def test_polarity_detected(ink, paper):
    assert similar(to_mnist(draw_digit("7", ink=ink, paper=paper)), to_mnist(draw_digit("7"))) > 0.98


@pytest.mark.parametrize(
    "make",
    [
        lambda: Image.new("RGB", (300, 300), "white"),
        lambda: Image.new("RGBA", (300, 300), (0, 0, 0, 0)),
        lambda: Image.new("L", (50, 50), 128),
        lambda: np.zeros((28, 28), np.uint8),
        lambda: np.full((64, 64, 3), 255, np.uint8),
    ],
)
def test_no_ink_refused(make):
    with pytest.raises(NoInkError):
        to_mnist(make())


def test_faint_paper_noise_is_not_ink():
    rng = np.random.default_rng(0)
    paper = np.clip(rng.normal(0.9, 0.01, (240, 320)), 0, 1).astype(np.float32)
    with pytest.raises(NoInkError):
        to_mnist(paper)


NOISE_CASES = [(kind, side) for kind in ("uniform", "gaussian") for side in (16, 64, 300, 1200)]
NOISE_CASES += [("binary", 300), ("binary", 1200)]  # small binary noise: see the docstring


@pytest.mark.parametrize("kind,side", NOISE_CASES)
def test_noise_is_not_writing(kind, side):
    """Noise that fills the frame is refused at any size. (Small binary noise can still be read, as
    an unsure blob or a few 1s: enlarged, a scan that small cannot be told from a tight crop by its
    texture.)"""
    rng = np.random.default_rng(side)
    if kind == "uniform":
        img = rng.random((side, side))
    elif kind == "gaussian":
        img = np.clip(rng.normal(0.5, 0.15, (side, side)), 0, 1)
    else:
        img = (rng.random((side, side)) < 0.5).astype(np.float64)
    with pytest.raises(NoInkError):
        to_mnist((img * 255).astype(np.uint8))


def test_stroke_width_is_area_over_boundary():
    rng = np.random.default_rng(0)
    for _ in range(20):  # blobs of every shape, some touching the frame
        mask = ndimage.binary_opening(rng.random((40, 50)) > 0.45)
        boundary = (mask & ~ndimage.binary_erosion(mask, border_value=0)).sum()
        assert stroke_width(mask) == pytest.approx(2 * mask.sum() / max(boundary, 1))
    line = np.zeros((30, 30), bool)
    line[5:25, 10:14] = True  # a bar 4 px wide, 20 long: 44 of its 80 pixels are on its boundary
    assert stroke_width(line) == pytest.approx(2 * 80 / (80 - 2 * 18))
    assert stroke_width(np.zeros((5, 5), bool)) == 0.0


@pytest.mark.parametrize("r", [1, 2, 3, 5, 9])
def test_dilate_and_erode_by_a_disk(r):
    y, x = np.ogrid[-r : r + 1, -r : r + 1]
    disk = x * x + y * y <= r * r + r
    rng = np.random.default_rng(r)
    for shape in [(40, 50), (7, 30), (1, 1)]:  # random blobs, some wider than the frame is tall
        mask = rng.random(shape) > rng.random()
        assert (dilate(mask, r) == ndimage.binary_dilation(mask, disk)).all()
        assert (erode(mask, r) == ndimage.binary_erosion(mask, disk)).all()  # the frame's outside is empty
