"""Rendering: MNIST's 20x20 fit and centre of mass, stroke width in MNIST's range, its normalization."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from conftest import draw_digit
from mnist_core.ink import stroke_width
from mnist_core.preprocess import to_mnist
from mnist_core.render import normalize


def test_mnist_geometry_fit_20x20_and_centre_of_mass():
    img = to_mnist(draw_digit("0", offset=(-120, 90), scale=0.4))
    ys, xs = np.nonzero(img > 0.05)
    h, w = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    assert max(h, w) in (20, 21)  # 20 plus at most one anti-aliased row
    cy, cx = ndimage.center_of_mass(img)
    assert abs(cy - 13.5) <= 1.0 and abs(cx - 13.5) <= 1.0


def test_thin_strokes_on_big_canvas_stay_visible():
    img = to_mnist(draw_digit("7", size=800, width=2))
    assert img.max() > 0.99
    # stroke width brought into MNIST's range (MNIST: 2.1-3.6 px at 10-90%)
    assert 1.8 <= stroke_width(img > 0.5) <= 4.0


def test_huge_marker_strokes_thinned():
    img = to_mnist(draw_digit("4", size=400, width=70))
    assert stroke_width(img > 0.5) <= 4.5


def test_normalize_matches_mnist_statistics(mnist_train):
    x = normalize(mnist_train.images[:10000])
    assert abs(float(x.mean())) < 0.02 and abs(float(x.std()) - 1) < 0.02
