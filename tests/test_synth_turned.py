"""Turned digits: mirrored or turned, labelled not a digit."""

from __future__ import annotations

import numpy as np
import torch

from mnist_core.mnist import NOT_A_DIGIT, Split
from mnist_core.synth.turned import TURNS, turned_digits


def test_turned_digits_are_turned_and_not_a_digit():
    # a 7 (a bar and a stem down its right side) mirrored has its stem on the left; on its side, no bar on top
    seven = np.zeros((28, 28), np.uint8)
    seven[6:9, 8:21] = 255
    seven[6:23, 18:21] = 255
    turned = turned_digits(Split(torch.from_numpy(np.stack([seven] * 60)), torch.full((60,), 7)), 60, seed=0)
    assert len(turned) == 60 and (turned.labels == NOT_A_DIGIT).all()
    ink = turned.images.numpy() > 127
    left_stem = ink[:, 10:20, 4:12].mean((1, 2)) > ink[:, 10:20, 16:24].mean((1, 2))
    bar_on_top = ink[:, 4:9].mean((1, 2)) > 0.5 * ink.mean((1, 2))
    assert left_stem.any() and (~bar_on_top).any()  # mirrored, and turned
    assert all(0 not in digits and 8 not in TURNS["mirror"] for digits in TURNS.values())
    assert 6 not in TURNS["half"] and 9 not in TURNS["half"]  # they turn into each other
    one = np.zeros((28, 28), np.uint8)
    one[4:24, 13:16] = 255
    bars = turned_digits(Split(torch.from_numpy(np.stack([one] * 5)), torch.full((5,), 1)), 30, seed=0)
    assert 0 < len(bars) < 30  # a 1 is only turned on its side: a bar, wider than tall
    assert ((bars.images > 127).any(2).sum(1) < (bars.images > 127).any(1).sum(1)).all()
