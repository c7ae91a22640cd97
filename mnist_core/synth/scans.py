"""Small scans: digits reduced to a coarse 16x16 grid, binarized or grey, read back like any upload.

Collections of scanned digits (USPS and its kind) store each digit at 16x16, filling the frame: a
binarized scan is thick and blocky, a grey one blurred by the area averaging. MNIST never looks like
that, so these are made from MNIST's digits and turned back into 28x28 model inputs by the one
preprocessing path (preprocess.to_mnist on the 16x16 array), as an uploaded scan would be.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from scipy import ndimage

from ..errors import InputError
from ..mnist import Split
from ..preprocess import to_mnist
from ..segment import bounding_box
from .common import unit_ink

SIDE = 16  # the scan's grid: cells per side
# A binary scan marks a cell inked when its ink passes this share of the darkest cell's: low
# thresholds give thick, blocky digits, high ones thin strokes broken where they cross cells at a slant.
THRESHOLD = (0.2, 0.55)
BINARY_SHARE = 0.5  # of the scans made by `scanned`, the share binarized (the rest stay grey)
# A pen that filled a coarse grid: some scans have their strokes thickened first, by this many cells
# on each side; more would close the loops of small 6s, 8s and 9s.
THICKEN_SHARE, THICKEN_CELLS = 0.3, (0.25, 0.75)
FINE = 64  # ink smaller than this (an MNIST digit) is enlarged first, so a thickening of part of a cell is round
FAINT = 0.1  # ink under this share of the strongest is left out of the digit's frame (grey edges, stray marks)


def to_scan(ink: np.ndarray, binarize: bool, rng: np.random.Generator, thicken: float = 0.0) -> np.ndarray:
    """An ink image (any size, ink > 0 on 0; uint8 or float) -> the (16, 16) uint8 scan of it, dark
    ink on white paper: the digit fills the frame on its long side, aspect kept, centred on the
    other, each cell the mean ink over its area (the darkest cell full black). With `binarize`, cells
    are black or white at a threshold drawn from THRESHOLD. `thicken` widens the strokes by that
    many cells on each side before the reduction. ValueError for an image without ink."""
    ink = unit_ink(ink, "to_scan")
    box = bounding_box(ink > FAINT)
    assert box is not None  # the strongest pixel passes FAINT
    crop = ink[box]
    if thicken > 0:
        if max(crop.shape) < FINE:
            up = FINE / max(crop.shape)
            size = (max(1, round(crop.shape[1] * up)), max(1, round(crop.shape[0] * up)))
            crop = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BILINEAR))
        r = thicken * max(crop.shape) / SIDE  # in pixels, the cells of the unthickened digit
        k = int(np.ceil(r))
        yy, xx = np.mgrid[-k : k + 1, -k : k + 1]
        crop = ndimage.grey_dilation(np.pad(crop, k), footprint=yy**2 + xx**2 <= r * r)
        thick = bounding_box(crop > FAINT)
        assert thick is not None
        crop = crop[thick]
    h, w = crop.shape
    s = SIDE / max(h, w)
    size = (max(1, min(SIDE, round(w * s))), max(1, min(SIDE, round(h * s))))
    cells = np.asarray(Image.fromarray(np.ascontiguousarray(crop, np.float32)).resize(size, Image.Resampling.BOX))
    scan = np.zeros((SIDE, SIDE), np.float32)
    top, left = (SIDE - size[1]) // 2, (SIDE - size[0]) // 2
    scan[top : top + size[1], left : left + size[0]] = cells / max(float(cells.max()), 1e-6)
    if binarize:
        scan = (scan >= rng.uniform(*THRESHOLD)).astype(np.float32)
    return np.round(255 * (1 - np.clip(scan, 0, 1))).astype(np.uint8)


def scanned(split: Split, fraction: float, seed: int = 0) -> Split:
    """A `fraction` of the split's digits (chosen at random, each at most once) as small scans, turned
    back into 28x28 model inputs through preprocess.to_mnist as an uploaded 16x16 image would be;
    labels kept. BINARY_SHARE of them binarized, THICKEN_SHARE of them with thickened strokes."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be in [0, 1], not {fraction}")
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(split), int(len(split) * fraction), replace=False))
    images, kept = [], []
    for i in idx.tolist():
        binarize = bool(rng.random() < BINARY_SHARE)
        thicken = float(rng.uniform(*THICKEN_CELLS)) if rng.random() < THICKEN_SHARE else 0.0
        digit = split.images[i].numpy()
        if not digit.any():
            continue
        try:
            image = to_mnist(to_scan(digit, binarize, rng, thicken))
        except InputError:  # a scan too faint or broken to find: an upload would be refused too
            continue
        images.append(torch.from_numpy(np.round(image * 255).astype(np.uint8)))
        kept.append(i)
    if not images:
        return split.subset(slice(0, 0))
    return Split(torch.stack(images), split.labels[torch.tensor(kept, dtype=torch.long)])
