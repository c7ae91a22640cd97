"""Template digits: every style an MNIST-format digit with the marks that make it that style, and read as
its digit by the shipped model."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from conftest import read_right
from mnist_core.synth.templates import TEMPLATES, draw_style, template_digits


def draws(name: str, n: int = 30) -> np.ndarray:
    return np.stack([draw_style(name, seed) for seed in range(n)]).astype(float)


def holes(img: np.ndarray) -> int:
    """Background regions closed off by ink (an 8 has two)."""
    labels, n = ndimage.label(img < 60)
    edge = set(labels[0]) | set(labels[-1]) | set(labels[:, 0]) | set(labels[:, -1])
    return len(set(range(1, n + 1)) - edge)


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_style_is_an_mnist_format_digit(name):
    img = draw_style(name, seed=1)
    assert img.shape == (28, 28) and img.dtype == np.uint8
    ys, xs = np.nonzero(img)
    assert ys.size > 20 and ys.max() - ys.min() < 20 and xs.max() - xs.min() < 20, "fit to MNIST's 20x20 box"
    w = img.astype(float)
    cy, cx = (w.sum(1) @ np.arange(28)) / w.sum(), (w.sum(0) @ np.arange(28)) / w.sum()
    assert abs(cy - 13.5) < 1.5 and abs(cx - 13.5) < 1.5, "centred by its centre of mass, as MNIST is"
    assert np.array_equal(img, draw_style(name, seed=1)) and not np.array_equal(img, draw_style(name, seed=2))


def test_template_digits_are_every_digit_equally_and_reproducible():
    s = template_digits(200, seed=0)
    assert s.images.shape == (200, 28, 28) and str(s.images.dtype) == "torch.uint8"
    assert np.bincount(s.labels.numpy(), minlength=10).tolist() == [20] * 10
    again, other = template_digits(200, seed=0), template_digits(200, seed=1)
    assert (again.images == s.images).all() and (again.labels == s.labels).all()
    assert not (other.images == s.images).all()
    assert {d for d, _ in TEMPLATES.values()} == set(range(10))
    with pytest.raises(ValueError, match="known styles"):
        draw_style("seven_struck")


# the closed loops (holes) of each style in most of its drawings: a slashed or barred 0 has two, an open 4 none
HOLES = {"zero_plain": 1, "zero_slashed": 2, "zero_barred": 2, "zero_open": 0, "four_closed": 1, "four_open": 0,
         "four_split": 0, "six_plain": 1, "six_open": 0, "eight_loops": 2, "eight_circles": 2, "nine_plain": 1,
         "nine_curled": 1, "nine_bent": 1, "seven_crossed": 0}  # fmt: skip


@pytest.mark.parametrize("name", HOLES)
def test_styles_close_their_loops_or_leave_them_open(name):
    counts = np.bincount([holes(img) for img in draws(name)], minlength=4)
    assert counts.argmax() == HOLES[name] and counts[HOLES[name]] >= 0.6 * counts.sum(), counts


def test_marks_add_ink_where_the_plain_style_has_none():
    centre = (slice(12, 16), slice(12, 16))
    plain, slashed = draws("zero_plain")[(slice(None), *centre)], draws("zero_slashed")[(slice(None), *centre)]
    assert plain.mean((1, 2)).max() < slashed.mean((1, 2)).min(), "a slash through every 0's centre, ink in none"
    # the loop of a 2 sits on the left above its base, where a plain 2's diagonal has passed
    low_left = (slice(None), slice(13, 19), slice(4, 12))
    assert draws("two_looped")[low_left].mean() > draws("two_plain")[low_left].mean() + 40
    # a curled 9's tail turns left under its head; a plain 9's stem goes straight down
    assert draws("nine_curled")[:, 19:25, 4:12].mean() > draws("nine_plain")[:, 19:25, 4:12].mean() + 20
    # a flagged 1 has ink to the upper left of its stem
    assert draws("one_flag")[:, 4:12, 4:13].mean() > draws("one_plain")[:, 4:12, 4:13].mean() + 10


def test_a_european_seven_is_crossed_at_mid_height():
    def widest_middle_row(imgs):  # inked pixels in the fullest row 35-70% down the digit
        out = []
        for im in imgs > 100:
            rows = np.flatnonzero(im.any(1))
            top, h = rows[0], rows[-1] - rows[0]
            out.append(im[top + int(0.35 * h) : top + int(0.7 * h) + 1].sum(1).max())
        return np.array(out)

    plain, crossed = widest_middle_row(draws("seven_plain")), widest_middle_row(draws("seven_crossed"))
    assert np.median(crossed) > np.median(plain) + 3 and (crossed > np.median(plain)).mean() > 0.9


def test_the_shipped_model_reads_them_as_their_digits():
    share, per_digit = read_right(template_digits(200, seed=0))
    assert share >= 0.93, per_digit
