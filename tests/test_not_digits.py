"""bench/not_digits.py: letters, shapes and scribbles drawn as the sketchpad sends them."""

import numpy as np
import pytest
from not_digits import KINDS, not_digits, run

from mnist_core import Predictor


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor.load()  # the default model, with the segmenter, as the app uses them


def test_every_kind_is_drawn_on_a_transparent_layer():
    drawings = list(not_digits(per_symbol=1, seed=0))
    assert {kind for kind, _, _ in drawings} == set(KINDS)
    for _, _, img in drawings[::10]:
        assert img.shape == (800, 800, 4) and img.dtype == np.uint8
        alpha = img[..., 3]
        assert 0.005 < (alpha > 0).mean() < 0.3  # strokes, not a blank or a filled canvas
        assert (img[..., :3] == 0).all()  # black strokes; only alpha tells them from the layer
    again = [img for _, _, img in not_digits(per_symbol=1, seed=0)]
    assert all(np.array_equal(a, b) for a, (_, _, b) in zip(again[:5], drawings[:5], strict=True))


def test_many_drawings_that_are_not_digits_are_answered_not_sure(predictor):
    """The default model answers "not sure" (or "no writing") for at least half of them (58%
    measured on this sample, 67% with the full bench); reading them all as digits would fail this."""
    results = run(predictor, per_symbol=1, seed=1)
    drawings = sum(r["drawings"] for r in results.values())
    declined = sum(r["not_sure"] + r["refused"] for r in results.values())
    assert drawings == sum(len(s[1]) if s else 40 for s in KINDS.values())
    assert declined >= 0.5 * drawings
