"""Ink strength per pixel, whatever the polarity and lighting, and the morphology of ink masks.

`ink_map` reads a transparent layer's paint, or dark-on-light and light-on-dark ink flattened for
uneven lighting; `neighbour_correlation` tells writing from noise; stroke width, dilate and erode.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image
from scipy import ndimage

from .errors import NoInkError
from .image_io import is_layer
from .segment import MIN_CONTRAST

# Writing is strokes several pixels wide, so neighbouring ink values go together (1: a smooth field);
# in noise they do not (about 0, at any scale). Below this, the image is refused as noise.
MIN_NEIGHBOUR_CORRELATION = 0.2


def _layer_ink(gray: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The ink of a transparent layer: what is painted, by how much it stands out from a backdrop
    that contrasts with it.

    A sketchpad layer is black (or any colour) strokes on fully transparent pixels whose RGB is
    also black, so only alpha carries the digit: composited onto white, it shows. White strokes on
    transparency would vanish on white, so the backdrop is chosen from the painted tone. The ink
    is how far the composite is from the backdrop: alpha * |grey - backdrop|.
    """
    painted = alpha.sum()
    if painted < 1e-3:
        raise NoInkError("the image is fully transparent: nothing is drawn")
    tone = float((gray * alpha).sum() / painted)
    ink: np.ndarray = alpha * (1.0 - gray if tone < 0.5 else gray)
    return ink


def _dark_ink(gray: np.ndarray) -> bool:
    """True when the ink is darker than the background (the usual case); NoInkError without contrast.

    The background tone is read from the frame's outer ring: paper (or a canvas) surrounds the
    digit, even in a scan where the digit touches the edges at a few points. The ink is then
    whichever extreme lies farther from that tone.
    """
    h, w = gray.shape
    r = max(1, min(h, w) // 32)
    ring = np.concatenate([gray[:r].ravel(), gray[-r:].ravel(), gray[:, :r].ravel(), gray[:, -r:].ravel()])
    tone = float(np.median(ring))
    flat = gray[::2, ::2].ravel() if gray.size > 40_000 else gray.ravel()  # a subsample is plenty
    k = max(1, flat.size // 200)  # the 0.5% most extreme pixels on each side
    low = float(np.partition(flat, k - 1)[:k].mean())
    high = float(np.partition(flat, flat.size - k)[-k:].mean())
    if max(tone - low, high - tone) < MIN_CONTRAST:
        raise NoInkError("no ink found: the image is blank or has too little contrast")
    return (tone - low) >= (high - tone)


def _paper(light: np.ndarray) -> np.ndarray:
    """Estimate the local paper brightness under the ink (ink is dark in `light`).

    A max filter wider than any stroke removes the ink; smoothing then follows shadows and
    vignetting. Done at 1/4 resolution: it is the slowest step otherwise.
    """
    h, w = light.shape
    f = 4
    small = ndimage.maximum_filter(light, size=f, mode="nearest")[f // 2 :: f, f // 2 :: f]  # block max
    size = max(3, round(max(small.shape) * 0.09))  # wider than any stroke, assumed under ~6.5% of the side
    small = ndimage.maximum_filter(small, size=size, mode="nearest")
    small = ndimage.uniform_filter(small, size=size, mode="nearest")
    return np.asarray(Image.fromarray(small.astype(np.float32), mode="F").resize((w, h), Image.Resampling.BILINEAR))


def ink_map(gray: np.ndarray, alpha: np.ndarray | None = None, even_light: bool = False) -> np.ndarray:
    """Ink strength in [0, 1] per pixel, background 0, whatever the polarity and lighting.

    `even_light` (a scan): the paper is one tone, so there is no lighting to flatten; that also
    holds when the strokes are too thick for `_paper`'s filter (a digit that fills a small frame).
    """
    if is_layer(alpha):  # drawn on a transparent layer: no paper, no lighting to flatten
        return _layer_ink(gray, alpha)
    light = gray if _dark_ink(gray) else 1.0 - gray
    if even_light:
        paper = np.maximum(np.percentile(light, 95), light)
    else:
        paper = np.maximum(_paper(light), light)
    # relative darkening: a stroke in a shadow is as dark, relative to its paper, as one in the light
    return np.clip((paper - light) / np.maximum(paper, 0.2), 0.0, 1.0)


def neighbour_correlation(ink: np.ndarray) -> float:
    """Correlation of each pixel's ink with its right and lower neighbours' (0 for a flat image).
    Computed on the flattened image for speed, so a row's last pixel also pairs with the next row's
    first: one pair per row, negligible."""
    d = (ink - ink.mean()).ravel()
    var = float(np.dot(d, d))
    if var < 1e-12:
        return 0.0
    w = ink.shape[1]
    return (float(np.dot(d[:-1], d[1:])) + float(np.dot(d[:-w], d[w:]))) / (2 * var)


# --- masks ----------------------------------------------------------------------------------------


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width in pixels: 2 * area / boundary length (a long stroke has two edges)."""
    area = int(mask.sum())
    if area == 0:
        return 0.0
    inner = mask.copy()  # erosion by the 4-neighbour cross, pixels outside the frame counting as empty
    inner[1:] &= mask[:-1]
    inner[:-1] &= mask[1:]
    inner[:, 1:] &= mask[:, :-1]
    inner[:, :-1] &= mask[:, 1:]
    inner[[0, -1]] = False
    inner[:, [0, -1]] = False
    boundary = area - int(inner.sum())
    return 2.0 * area / max(boundary, 1)


def _disk_rows(r: int) -> list[tuple[int, int]]:
    """The disk of radius r as (row offset, half-width) runs: |dx| <= half-width on row dy.
    x^2 + y^2 <= r^2 + r: the +r gives rounder small disks."""
    return [(dy, math.isqrt(r * r + r - dy * dy)) for dy in range(-r, r + 1)]


def dilate(mask: np.ndarray, r: int, outside: bool = False) -> np.ndarray:
    """Binary dilation by a disk of radius r, pixels beyond the frame counting as `outside`.

    Each row of the disk is a horizontal run: the mask's windowed counts along rows (prefix sums)
    give each run's widening, and the rows shifted together give the disk: O(r) array passes, where
    scipy's dilation by the disk as a structure makes O(r^2).
    """
    h, w = mask.shape
    padded = np.full((h + 2 * r, w + 2 * r + 1), outside, np.int32)  # + a leading column of zeros
    padded[:, 0] = 0
    padded[r : r + h, r + 1 : r + 1 + w] = mask
    counts = padded.cumsum(axis=1)  # counts[:, j]: set pixels before padded column j
    out = np.zeros((h, w), bool)
    widened: dict[int, np.ndarray] = {}
    for dy, a in _disk_rows(r):
        if a not in widened:  # pixels within a columns on the same row
            widened[a] = (counts[:, r + a + 1 : r + a + 1 + w] - counts[:, r - a : r - a + w]) > 0
        out |= widened[a][r + dy : r + dy + h]
    return out


def erode(mask: np.ndarray, r: int) -> np.ndarray:
    """Binary erosion by a disk of radius r, pixels beyond the frame counting as empty."""
    return ~dilate(~mask, r, outside=True)
