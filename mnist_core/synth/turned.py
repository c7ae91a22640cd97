"""MNIST digits mirrored or turned into no digit: NOT_A_DIGIT examples."""

from __future__ import annotations

import numpy as np

from ..mnist import Split
from .common import not_digits

# A mirrored or turned digit is familiar strokes in an order no digit has: NOT_A_DIGIT. Listed: the digits
# each turn makes no digit (6 and 9 turn into each other; 0, 1 and 8 are their own mirror; a sideways 0 is a 0).
TURNS = {"mirror": (2, 3, 4, 5, 6, 7, 9), "half": (3, 4, 7), "quarter": (1, 2, 3, 4, 5, 6, 7, 8, 9)}


def turned_digits(split: Split, count: int, seed: int = 0) -> Split:
    """`count` MNIST digits mirrored left to right, turned upside down, or turned on their side (an
    equal share each, of the digits in TURNS), rendered like every other input, labelled NOT_A_DIGIT."""
    rng = np.random.default_rng(seed)
    images = split.images.numpy() > 100
    pools = {turn: np.flatnonzero(np.isin(split.labels.numpy(), digits)) for turn, digits in TURNS.items()}
    masks = []
    for turn in rng.choice(list(TURNS), size=count):
        if pools[turn].size == 0:
            continue
        img = images[rng.choice(pools[turn])]
        if turn == "mirror":
            masks.append(img[:, ::-1])
        else:
            masks.append(np.rot90(img, 2 if turn == "half" else rng.choice([1, 3])))
    return not_digits([m for m in masks if m.any()])
