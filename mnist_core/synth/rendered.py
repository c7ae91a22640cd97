"""MNIST digits drawn again the way every input is drawn (ink mask through render_mnist)."""

from __future__ import annotations

import numpy as np
import torch

from ..mnist import Split
from ..render import render_mnist
from .common import ink_mask


def rendered_digits(split: Split, count: int, seed: int = 0) -> Split:
    """`count` MNIST digits (each at most once) drawn again the way every input is: their ink mask,
    scaled up smoothly, through the preprocessing's render_mnist. A model trained from scratch on
    rendered no-digit examples beside MNIST's own grey digits learns the rendering as "no digit",
    and then calls every real input no digit; with these, both look alike."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(split), min(count, len(split)), replace=False)
    images = []
    for i in idx:
        big = ink_mask(split.images[i].numpy())
        images.append(torch.from_numpy((render_mnist(big)[0] * 255).astype(np.uint8)) if big.any() else split.images[i])
    if not images:
        return split.subset(slice(0, 0))
    return Split(torch.stack(images), split.labels[torch.from_numpy(idx)])
