"""Left or right parts of MNIST digits: NOT_A_DIGIT examples, so a wrong cut does not read as two digits."""

from __future__ import annotations

import numpy as np
import torch

from ..mnist import Split
from .common import not_digits

FRAGMENTED = (0, 2, 3, 5, 6, 8, 9)  # digits whose left or right part is no digit (a 4's right part is a 1)


def digit_fragments(split: Split, count: int, seed: int = 0) -> Split:
    """Up to `count` left or right parts of MNIST digits cut at 30-70% of their width, holding 25-60%
    of the ink, rendered like every other input, labelled NOT_A_DIGIT: a wrong cut of one digit must
    not read as two digits."""
    rng = np.random.default_rng(seed)
    idx = torch.nonzero(torch.isin(split.labels, torch.tensor(FRAGMENTED))).flatten().numpy()
    images = split.images.numpy() > 100
    masks = []
    for i in rng.choice(idx, size=count):
        cols = np.nonzero(images[i].any(0))[0]
        if cols.size < 6:
            continue
        cut = cols[0] + int(round((cols[-1] + 1 - cols[0]) * rng.uniform(0.3, 0.7)))
        piece = images[i].copy()
        if rng.random() < 0.5:
            piece[:, cut:] = False
        else:
            piece[:, :cut] = False
        if 0.25 <= piece.sum() / images[i].sum() <= 0.6:  # most of a digit still reads as that digit
            masks.append(piece)
    return not_digits(masks)
