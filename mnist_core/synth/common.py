"""What the synthetic-data generators share: an MNIST digit's ink as a big mask, and masks
rendered like every input as NOT_A_DIGIT examples."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from ..mnist import NOT_A_DIGIT, Split
from ..render import render_mnist


def ink_mask(img: np.ndarray, scale: int = 4) -> np.ndarray:
    """An MNIST digit's ink as a mask `scale` times its size, its grey edges scaled up smoothly."""
    h, w = img.shape
    return np.asarray(Image.fromarray(img).resize((w * scale, h * scale), Image.Resampling.BILINEAR)) > 100


def not_digits(masks: list[np.ndarray]) -> Split:
    """Ink masks rendered like every input (fit 20x20, centred by mass), labelled NOT_A_DIGIT."""
    images = [torch.from_numpy((render_mnist(m)[0] * 255).astype(np.uint8)) for m in masks]
    out = torch.stack(images) if images else torch.zeros((0, 28, 28), dtype=torch.uint8)
    return Split(out, torch.full((len(out),), NOT_A_DIGIT, dtype=torch.long))
