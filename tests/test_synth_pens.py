"""Pens: the same ink redrawn thin, thick, slanted or shaky, and read back through the preprocessing."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_core.preprocess import to_mnist
from mnist_core.synth.pens import VARIANTS, redraw, restroke, shake, shear


def _line(h: int = 120, w: int = 60, width: int = 9) -> np.ndarray:
    """A vertical stroke `width` pixels wide, `h` tall, in a frame `w` wide."""
    ink = np.zeros((h, w), np.float32)
    ink[10:-10, w // 2 - width // 2 : w // 2 - width // 2 + width] = 1.0
    return ink


def _ring(side: int = 160, radius: int = 55, width: int = 8) -> np.ndarray:
    yy, xx = np.mgrid[:side, :side] - side / 2
    return (np.abs(np.hypot(yy, xx) - radius) <= width / 2).astype(np.float32)


@pytest.mark.parametrize("width", [2.0, 6.0, 20.0])
def test_restroke_draws_the_same_path_with_the_pen_asked_for(width):
    ring = _ring()
    out = restroke(ring, width) >= 0.5
    c = out.shape[0] // 2
    across = [out[c, c + 30 :].sum(), out[c, : c - 30].sum(), out[c + 30 :, c].sum(), out[: c - 30, c].sum()]
    assert all(abs(n - width) <= 1.5 for n in across)  # pixels at least half covered, across the stroke
    # the same path: the ring's centre line inside the new stroke, its hole still open
    assert out[c, c + 55] and out[c - 55, c] and not out[c - 30 : c + 30, c - 30 : c + 30].any()


def test_shear_leans_the_top_the_way_asked():
    def lean(ink: np.ndarray) -> float:
        cols = np.arange(ink.shape[1])
        top, bottom = ink[20:40], ink[-40:-20]
        return float((top.sum(0) @ cols) / top.sum() - (bottom.sum(0) @ cols) / bottom.sum())

    line = _line()
    right, left = shear(line, 0.4), shear(line, -0.4)
    assert lean(right) > 25 and lean(left) < -25  # about 0.4 x the 80 px between the bands
    assert abs(right.sum() - line.sum()) < 0.05 * line.sum()  # moved, not lost


def test_shake_wobbles_the_strokes_without_breaking_them():
    line = _line(h=200, w=100)
    a, b = shake(line, np.random.default_rng(1)), shake(line, np.random.default_rng(1))
    assert np.array_equal(a, b)  # a function of its generator
    straight = np.pad(line, (a.shape[0] - line.shape[0]) // 2)
    assert not np.allclose(a, straight)
    rows = (a >= 0.5).any(1)
    assert rows.sum() >= 0.95 * (line >= 0.5).any(1).sum()  # no row of the stroke lost: unbroken


def test_redraw_gives_an_upload_that_preprocessing_reads():
    ring = _ring()
    rng = np.random.default_rng(0)
    for variant in VARIANTS:
        image = redraw(ring * 0.8, variant, rng)  # ink need not be full strength
        assert image.dtype == np.uint8 and image[0, 0] == 255 and image.min() < 64  # dark ink on white
        digit = to_mnist(image)
        assert digit.shape == (28, 28) and digit.max() > 0.5
    with pytest.raises(ValueError, match="unknown pen variant"):
        redraw(ring, "crayon", rng)
    with pytest.raises(ValueError, match="some ink"):
        redraw(np.zeros((50, 50)), "thin", rng)
