"""What the synthetic-data generators share: an MNIST digit's ink as a big mask, an ink image checked
and scaled to full strength, and masks rendered like every input as NOT_A_DIGIT examples."""

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


def unit_ink(ink: np.ndarray, taker: str) -> np.ndarray:
    """An ink image (ink > 0 on 0, any size and dtype) as float32 with its strongest pixel 1.
    ValueError, naming `taker`, for anything but a 2-D finite image with some ink."""
    ink = np.asarray(ink, np.float32)
    if ink.ndim != 2 or not np.isfinite(ink).all() or float(ink.max(initial=0.0)) <= 0:
        raise ValueError(f"{taker} takes a 2-D image with some ink, not {ink.shape} of at most {ink.max(initial=0)}")
    unit: np.ndarray = ink / float(ink.max())
    return unit


def not_digits(masks: list[np.ndarray]) -> Split:
    """Ink masks rendered like every input (fit 20x20, centred by mass), labelled NOT_A_DIGIT."""
    images = [torch.from_numpy((render_mnist(m)[0] * 255).astype(np.uint8)) for m in masks]
    out = torch.stack(images) if images else torch.zeros((0, 28, 28), dtype=torch.uint8)
    return Split(out, torch.full((len(out),), NOT_A_DIGIT, dtype=torch.long))
