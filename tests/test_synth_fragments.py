"""Fragments: parts of wide digits, labelled not a digit."""

from __future__ import annotations

from mnist_core.mnist import NOT_A_DIGIT
from mnist_core.synth.fragments import FRAGMENTED, digit_fragments


def test_fragments_are_parts_of_wide_digits(mnist_test):
    split = mnist_test.subset(slice(0, 500))
    parts = digit_fragments(split, 200, seed=0)
    assert 100 < len(parts) <= 200 and (parts.labels == NOT_A_DIGIT).all()
    assert 1 not in FRAGMENTED and 4 not in FRAGMENTED and 7 not in FRAGMENTED  # their parts read as 1s
    # a part holds 25-60% of a digit's ink; rendered to the same 20 px box it is thinner on the page
    assert (parts.images > 50).sum((1, 2)).float().mean() < (split.images > 50).sum((1, 2)).float().mean()
