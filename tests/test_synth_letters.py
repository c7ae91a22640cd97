"""Letters and signs: glyphs at random weights and turns, labelled not a digit."""

from __future__ import annotations

import numpy as np

from mnist_core.mnist import NOT_A_DIGIT
from mnist_core.synth.letters import LETTERS, letters


def test_letters_are_glyphs_at_random_weights_and_turns_and_not_a_digit():
    assert not set(LETTERS) & set("0123456789OoQDIlijJSsZzBGgqb&|!()/")  # what people read as digits themselves
    ts = letters(30, seed=0, symbols="T")
    assert len(ts) == 30 and ts.images.shape[1:] == (28, 28) and (ts.labels == NOT_A_DIGIT).all()
    ink = ts.images.numpy() > 127
    assert (ink[:, 4:10].sum((1, 2)) > ink[:, 18:24].sum((1, 2))).all()  # a T: its bar on top, wider than the stem
    weights, tilts = ink.sum((1, 2)), [np.polyfit(*np.nonzero(i[12:24].T)[::-1], 1)[0] for i in ink]
    assert weights.max() > 1.5 * weights.min() and np.ptp(tilts) > 0.2  # thin and bold, turned both ways
    assert not np.array_equal(letters(5, seed=0).images, letters(5, seed=1).images)
