"""Touching pairs: two digits wide, labelled not a digit."""

from __future__ import annotations

from mnist_core.mnist import NOT_A_DIGIT
from mnist_core.synth.pairs import touching_pairs


def test_touching_pairs_are_two_digits_wide_and_not_a_digit(mnist_test):
    pairs = touching_pairs(mnist_test.subset(slice(0, 500)), 200, seed=0)
    assert len(pairs) == 200 and pairs.images.shape[1:] == (28, 28)
    assert (pairs.labels == NOT_A_DIGIT).all()

    # a pair fills the 20 px box in width, where most single digits are narrower than tall
    def width(images):
        return (images > 50).any(1).sum(1).float().mean()

    assert width(pairs.images) > width(mnist_test.images[:500]) + 4
