"""A digit's ink mask -> the 28x28 MNIST-format image, and MNIST's normalization.

As MNIST was made (LeCun et al.): crop the ink, bring its stroke width into MNIST's range, fit it
to a 20x20 box with anti-aliasing, centre it by its centre of mass in a 28x28 frame.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from .errors import NoInkError
from .ink import dilate, erode, stroke_width
from .segment import bounding_box

# MNIST training-set statistics of [0, 1] pixels; defined here once for training and prediction.
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081

FIT_BOX = 20  # MNIST's digits fit a 20x20 box
RENDER_SIDE = 4 * FIT_BOX  # stroke width is adjusted at 4x the final scale, then box-averaged down
# MNIST's median stroke width at the 20 px scale (stroke_width of the mask > 0.5). Inputs are brought into
# STROKE_RANGE x this, MNIST's own 10th-90th percentile range (tests/test_render.py: thin and thick pens).
MNIST_STROKE = 2.7
STROKE_RANGE = (0.8, 1.35)


def render_mnist(mask: np.ndarray, grey: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """A binary digit mask -> 28x28 float image in [0, 1], MNIST-style (20x20 fit, centre of mass),
    and the ink's elongation: its long side over its stroke width (a dot or blob is about 1-2).

    With `grey` (the ink map the mask came from), the digit is drawn from its grey levels inside
    the mask instead, strokes as they are: for a small scan, whose grey edges carry detail that a
    mask at its few pixels loses (a 9's loop filled in, strokes twice as thick).
    """
    box = bounding_box(mask)
    if box is None:
        raise NoInkError("no ink found in the image")
    crop = mask[box]
    h, w = crop.shape
    s = RENDER_SIDE / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    resample = Image.Resampling.BOX if s < 1 else Image.Resampling.BILINEAR
    big = np.asarray(Image.fromarray(crop.astype(np.uint8) * 255).resize(size, resample)) > 127
    if not big.any():  # a hairline shrunk below half coverage: keep it
        big = np.asarray(Image.fromarray(crop.astype(np.uint8) * 255).resize(size, Image.Resampling.BOX)) > 0
    # the stroke width, measured at this 4x scale
    width = stroke_width(big)
    elongation = max(big.shape) / max(width, 1e-9)
    if grey is not None:  # a scan: its own grey levels inside the mask, strokes as they are
        ink = np.where(crop, grey[box], 0.0).astype(np.float32)
        small = Image.fromarray(ink / max(float(ink.max()), 1e-6)).resize(_fit_size(ink.shape), Image.Resampling.BOX)
        return _centred(np.asarray(small)), elongation

    # bring the stroke width into MNIST's range
    target = MNIST_STROKE * RENDER_SIDE / FIT_BOX
    pad = RENDER_SIDE // 4
    padded = np.zeros((big.shape[0] + 2 * pad, big.shape[1] + 2 * pad), bool)  # np.pad without its overhead
    padded[pad:-pad, pad:-pad] = big
    big = padded
    if width < STROKE_RANGE[0] * target:
        r = max(1, round((STROKE_RANGE[0] * target - width) / 2))
        big = dilate(big, r)
    elif width > STROKE_RANGE[1] * target:
        r = max(1, round((width - STROKE_RANGE[1] * target) / 2))
        thinner = erode(big, r)
        if thinner.sum() > 0.2 * big.sum():  # erosion must not break the digit apart
            big = thinner
    big = big[bounding_box(big)]
    # fit a 20x20 box, keeping aspect ratio; box averaging gives MNIST's anti-aliased edges
    small = Image.fromarray(big.astype(np.uint8) * 255).resize(_fit_size(big.shape), Image.Resampling.BOX)
    return _centred(np.asarray(small, np.float32) / 255.0), elongation


def _fit_size(shape: tuple[int, ...]) -> tuple[int, int]:
    """(width, height) that fits a FIT_BOX square, keeping the aspect ratio."""
    h, w = shape
    s = FIT_BOX / max(h, w)
    return max(1, round(w * s)), max(1, round(h * s))


def _centred(small: np.ndarray) -> np.ndarray:
    """The 28x28 frame with `small` placed so its centre of mass is at the centre, kept inside."""
    sh, sw = small.shape
    total = float(small.sum(dtype=np.float64))
    cy = float(small.sum(1, dtype=np.float64) @ np.arange(sh)) / total  # the centre of mass
    cx = float(small.sum(0, dtype=np.float64) @ np.arange(sw)) / total
    top = min(max(round(14 - cy - 0.5), 0), 28 - sh)
    left = min(max(round(14 - cx - 0.5), 0), 28 - sw)
    out = np.zeros((28, 28), np.float32)
    out[top : top + sh, left : left + sw] = small
    return out


def normalize(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] (or uint8) MNIST pixels -> the models' input scale."""
    if x.dtype == torch.uint8:
        x = x.float() / 255.0
    return (x - MNIST_MEAN) / MNIST_STD
