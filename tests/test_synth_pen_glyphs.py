"""Characters of other scripts and signs drawn with a pen (Hershey fonts): no digit among them."""

from __future__ import annotations

import numpy as np

from mnist_core import Predictor
from mnist_core.render import render_mnist
from mnist_core.synth.pen_glyphs import CHARACTERS, _strokes, pen_glyph


def test_every_listed_character_is_drawn_in_the_unit_square():
    for font, (chars, _) in CHARACTERS.items():
        strokes = _strokes(font)
        assert set(strokes) == set(chars), f"{font}: every listed character has strokes"
        every = np.concatenate([s for each in strokes.values() for s in each])
        assert every.min() >= 0 and every.max() <= 1
        # every font draws its digits at the digit keys, but the Japanese font draws kanji there
        assert not set("0123456789") & set(chars) or font == "japanese", f"{font}: its digits are left out"


def test_a_seed_draws_the_same_character_and_they_vary():
    a, b = pen_glyph(np.random.default_rng(5)), pen_glyph(np.random.default_rng(5))
    assert np.array_equal(a, b) and a.any()
    drawn = {pen_glyph(np.random.default_rng(s)).tobytes() for s in range(20)}
    assert len(drawn) == 20


def test_a_model_that_knows_only_digits_seldom_reads_them_confidently():
    # characters a person reads as a digit (θ, a circle, stacked loops) are left out: a detector
    # trained to refuse them would refuse real digits
    rng = np.random.default_rng(0)
    images = np.stack([render_mnist(pen_glyph(rng))[0] for _ in range(300)]).astype(np.float32)
    probs, _ = Predictor.load("cnn").read(images)
    assert (probs.max(1) >= 0.9).mean() < 0.05
