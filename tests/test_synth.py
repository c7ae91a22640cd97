"""mnist_core.synth: drawings that are no digit, as MNIST-format training images."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mnist_core.mnist import NOT_A_DIGIT, Split
from mnist_core.synth import GENERATORS, draw, negatives
from mnist_core.synth.negatives import FROM_DIGITS, SCRIPTS, _has_glyph, font_files
from mnist_core.train import training_data
from mnist_core.train_config import TrainConfig


@pytest.fixture(scope="module")
def digits() -> Split:
    """A few hand-made digit-like strokes stand in for MNIST: the generators only need ink masks."""
    rng = np.random.default_rng(0)
    images = torch.zeros((20, 28, 28), dtype=torch.uint8)
    for i in range(20):
        r, c = rng.integers(6, 10, 2)
        images[i, r : r + 14, c : c + 3] = 255  # a stem
        images[i, r + i % 10 : r + i % 10 + 3, c : c + 10] = 255  # and a bar at a different height each
    return Split(images, torch.arange(20) % 10)


@pytest.mark.parametrize("kind", GENERATORS)
def test_every_kind_is_an_mnist_format_drawing(kind, digits):
    img = draw(kind, seed=1, digits=digits)
    assert img.shape == (28, 28) and img.dtype == np.uint8
    ys, xs = np.nonzero(img)
    assert ys.size > 20, "a drawing has ink"
    assert ys.max() - ys.min() < 20 and xs.max() - xs.min() < 20, "it fits MNIST's 20x20 box"
    w = img.astype(float)
    cy, cx = (w.sum(1) @ np.arange(28)) / w.sum(), (w.sum(0) @ np.arange(28)) / w.sum()
    assert abs(cy - 13.5) < 1.5 and abs(cx - 13.5) < 1.5, "centred by its centre of mass, as MNIST is"


@pytest.mark.parametrize("kind", GENERATORS)
def test_a_seed_draws_the_same_drawing_and_another_seed_another(kind, digits):
    a, b = draw(kind, 3, digits), draw(kind, 3, digits)
    assert np.array_equal(a, b)
    assert any(not np.array_equal(a, draw(kind, s, digits)) for s in (4, 5, 6))


def test_negatives_are_labelled_no_digit_and_vary(digits):
    out = negatives(60, seed=0, digits=digits)
    assert len(out) == 60 and out.images.dtype == torch.uint8 and out.images.shape[1:] == (28, 28)
    assert (out.labels == NOT_A_DIGIT).all()
    flat = out.images.flatten(1).float()
    assert len(torch.unique(flat, dim=0)) == 60, "no two drawings alike"
    assert torch.equal(negatives(60, seed=0, digits=digits).images, out.images)


def test_without_digits_only_kinds_that_need_none_are_drawn():
    assert len(negatives(10, seed=0)) == 10
    for kind in FROM_DIGITS:
        with pytest.raises(ValueError, match="made from digits"):
            draw(kind, 0)
    with pytest.raises(ValueError, match="unknown kind"):
        draw("unicorn", 0)


def test_a_missing_glyph_is_told_from_a_drawn_one():
    assert _has_glyph("", "A")  # Pillow's bundled font
    assert not _has_glyph("", "\ue001")  # private use: no font draws it


def test_every_script_has_letters_in_some_installed_font():
    if not font_files():
        pytest.skip("no TrueType fonts installed: only Pillow's bundled font (Latin and signs) is used")
    fonts = ("", *font_files())
    for script, chars in SCRIPTS.items():
        drawable = [c for c in chars if any(_has_glyph(f, c) for f in fonts)]
        assert len(drawable) >= 0.8 * len(chars), f"{script}: only {drawable!r} can be drawn"


def test_a_recipe_adds_negatives_as_a_fraction_of_its_digits(digits):
    base = TrainConfig(limit=20)
    more = TrainConfig(limit=20, negatives=0.5)
    assert len(training_data(digits, more)) == len(training_data(digits, base)) + 10
    assert (training_data(digits, more).labels[-10:] == NOT_A_DIGIT).all()
    with pytest.raises(ValueError, match="fractions"):
        TrainConfig(negatives=1.5)


@pytest.mark.parametrize("field", ["templates", "font_digits", "scans"])
def test_a_recipe_adds_digits_in_other_styles_labelled_as_digits(field, mnist_test):
    digits = mnist_test.subset(slice(0, 40))
    more = training_data(digits, TrainConfig(**{field: 0.5}))
    added = more.labels[len(digits) :]
    assert 15 <= len(added) <= 20, "half as many as the digits (a scan too faint to find is left out)"
    assert ((added >= 0) & (added <= 9)).all(), "digits, not NOT_A_DIGIT"
    assert not torch.equal(more.images[len(digits) : len(digits) + 5], digits.images[:5])
