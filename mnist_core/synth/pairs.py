"""Two MNIST digits side by side, touching or overlapping: NOT_A_DIGIT examples, so a pair is split."""

from __future__ import annotations

import numpy as np

from ..mnist import Split
from .common import not_digits


def touching_pairs(split: Split, count: int, seed: int = 0) -> Split:
    """`count` images of two MNIST digits side by side, touching or overlapping by up to a third of
    a digit, rendered like every other input (fit 20x20, centred), labelled NOT_A_DIGIT."""
    rng = np.random.default_rng(seed)
    images = split.images.numpy() > 100
    masks = []
    for a, b in rng.integers(0, len(split), size=(count, 2)):
        cols_a, cols_b = np.nonzero(images[a].any(0))[0], np.nonzero(images[b].any(0))[0]
        if cols_a.size == 0 or cols_b.size == 0:
            continue
        overlap = int(rng.integers(0, (cols_a[-1] + 1 - cols_a[0]) // 3 + 1))  # 0: just touching
        canvas = np.zeros((34, 90), bool)
        xa = 28 - cols_a[0]  # offsets keep both digits inside the canvas
        xb = xa + cols_a[-1] + 1 - overlap - cols_b[0]
        dy = int(rng.integers(-3, 4))  # written a little higher or lower
        canvas[3:31, xa : xa + 28] |= images[a]
        canvas[3 + dy : 31 + dy, xb : xb + 28] |= images[b]
        masks.append(canvas)
    return not_digits(masks)
