"""Font digits: the Hershey fonts' digits, upright, as MNIST-format images the shipped model reads."""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest
from scipy import ndimage

from conftest import read_right
from mnist_core.synth import font_digits as module
from mnist_core.synth.font_digits import FONTS, font_digit, font_digits, font_strokes


def test_every_font_has_ten_digits_cached():
    for font in FONTS:
        digits = font_strokes(font)
        assert len(digits) == 10 and all(len(d) > 0 for d in digits)
        points = np.concatenate([s for d in digits for s in d])
        assert 0.5 < np.ptp(points[:, 1]) < 1.5, "scaled to about the unit square"
        assert font_strokes(font) is digits
    with pytest.raises(ValueError, match="known fonts"):
        font_strokes("japanese")  # its '0'-'9' are no digits


def test_digits_are_upright():
    """The package's coordinates are y down: read as y up, a 6 would be a 9 and a 7 an L."""

    def hole_height(img):  # where the closed loop is, as a share of the way down the ink's box
        labels, n = ndimage.label(img < 60)
        edge = set(labels[0]) | set(labels[-1]) | set(labels[:, 0]) | set(labels[:, -1])
        ys = np.nonzero(np.isin(labels, list(set(range(1, n + 1)) - edge)))[0]
        rows = np.flatnonzero(img.any(1))
        return (ys.mean() - rows[0]) / (rows[-1] - rows[0])

    for font in FONTS:
        rng = np.random.default_rng(0)
        six, seven, nine = (font_digit(font, d, rng).numpy() for d in (6, 7, 9))
        assert hole_height(six) > 0.5 > hole_height(nine), font
        rows = np.flatnonzero(seven.any(1))  # a 7's bar at the top, its stem's end at the bottom
        assert (seven[rows[0] : rows[0] + 3] > 100).sum() > (seven[rows[-1] - 2 : rows[-1] + 1] > 100).sum(), font


def test_font_digits_are_every_digit_equally_mnist_format_and_reproducible():
    s = font_digits(200, seed=0)
    assert s.images.shape == (200, 28, 28) and str(s.images.dtype) == "torch.uint8"
    assert np.bincount(s.labels.numpy(), minlength=10).tolist() == [20] * 10
    w = s.images.float().numpy()
    for inked in (w.any(2), w.any(1)):  # rows, columns
        assert (28 - inked[:, ::-1].argmax(1) - inked.argmax(1)).max() <= 20, "fit to MNIST's 20x20 box"
    cy = (w.sum(2) @ np.arange(28)) / w.sum((1, 2))
    cx = (w.sum(1) @ np.arange(28)) / w.sum((1, 2))
    assert np.abs(cy - 13.5).max() < 1.5 and np.abs(cx - 13.5).max() < 1.5, "centred by mass, as MNIST is"
    again, other = font_digits(200, seed=0), font_digits(200, seed=1)
    assert (again.images == s.images).all() and (again.labels == s.labels).all()
    assert not (other.images == s.images).all()


def test_the_fonts_are_read_only_when_drawn(monkeypatch):
    monkeypatch.setitem(sys.modules, "HersheyFonts", None)  # importing it now raises ImportError
    importlib.reload(module)  # so the module must not import it when it is imported
    with pytest.raises(ImportError):
        module.font_digits(1)


def test_the_shipped_model_reads_them_as_their_digits():
    share, per_digit = read_right(font_digits(200, seed=0))
    assert share >= 0.93, per_digit
