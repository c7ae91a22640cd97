"""Writing styles MNIST lacks: flagged 1s, crossed 7s and 9s with a curled tail.

MNIST's 1s are mostly bare and its 7s uncrossed, so flagged 1s read as 7s and crossed 7s as 2s. These
variants are drawn onto MNIST digits and re-rendered through the one preprocessing path, like any input.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageDraw

from ..ink import stroke_width
from ..mnist import Split
from ..render import render_mnist
from .common import ink_mask

# A 1's flag as the dev sets' writers draw it: 20-55 degrees below horizontal, FLAG_FROM_STEM off the stem,
# shorter than it. Flatter and longer, like a 7's bar, it would teach the model to read MNIST's 7s as 1s.
FLAG_DEGREES, FLAG_FROM_STEM, FLAG_LENGTH = (20.0, 55.0), 25.0, (0.25, 0.55)
# Upright flags (TrainConfig.upright_flags): only on 1s within 20 degrees of vertical, 30-55 degrees below
# horizontal (else augmentation turns them into a 7's bar); being steep, they may be long, as many draw them.
UPRIGHT_SLANT, UPRIGHT_DEGREES, UPRIGHT_LENGTH = 20.0, (30.0, 55.0), (0.3, 0.8)


# A 9's curled tail: a circle's arc of this radius (of the digit's height), from the stem's end
# clockwise through the bottom and up the left, by these many degrees.
CURL_RADIUS, CURL_DEGREES = (0.12, 0.25), (140.0, 200.0)


def _variant(img: np.ndarray, label: int, rng: np.random.Generator, upright: bool = False) -> np.ndarray | None:
    big = ink_mask(img)
    ys, xs = np.nonzero(big)
    if ys.size < 20:
        return None
    height = ys.max() - ys.min()
    width = max(2, round(stroke_width(big)))
    canvas = Image.fromarray(big.astype(np.uint8) * 255)
    draw = ImageDraw.Draw(canvas)
    if label == 1:  # a flag from the top of the stroke, down to the left, at an angle unlike a 7's bar
        top, bottom = ys.min(), ys.max()
        x0, x1 = float(xs[ys <= top + 2].mean()), float(xs[ys >= bottom - 2].mean())
        stem = np.degrees(np.arctan2(height, x0 - x1))  # the stem's angle below horizontal, leftwards
        if upright and abs(90.0 - stem) > UPRIGHT_SLANT:
            return None
        degrees = UPRIGHT_DEGREES if upright else FLAG_DEGREES
        angles = [a for a in rng.uniform(*degrees, 10) if abs(a - stem) >= FLAG_FROM_STEM]
        if not angles:
            return None
        length = height * rng.uniform(*(UPRIGHT_LENGTH if upright else FLAG_LENGTH))
        end = (x0 - length * np.cos(np.deg2rad(angles[0])), top + length * np.sin(np.deg2rad(angles[0])))
        draw.line([(x0, top), end], fill=255, width=width)
        for x, y in ((x0, top), end):  # round pen ends
            draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=255)
    elif label == 9:  # the stem's end curled to the left, as a "g" is written
        bottom = ys.max()
        x = float(xs[ys >= bottom - 2].mean())
        r = height * rng.uniform(*CURL_RADIUS)
        y = bottom - r * rng.uniform(0.3, 0.8)  # the curl starts a little above the stem's end
        draw.arc((x - 2 * r, y - r, x, y + r), 0, rng.uniform(*CURL_DEGREES), fill=255, width=width)
    else:  # a crossbar through the middle of the 7's stem
        y = ys.min() + height * rng.uniform(0.45, 0.62)
        row = xs[np.abs(ys - y) < 2]
        if row.size == 0:
            return None
        half = (xs.max() - xs.min()) * rng.uniform(0.2, 0.35)
        c = float(row.mean())
        draw.line([(c - half, y), (c + half, y)], fill=255, width=width)
    out, _ = render_mnist(np.asarray(canvas) > 127)
    return (out * 255).astype(np.uint8)


def style_variants(
    split: Split, fraction: float = 0.3, seed: int = 0, upright: bool = False, digits: tuple[int, ...] = (1, 7)
) -> Split:
    """Extra training digits made from a `fraction` of MNIST's: flagged 1s, crossed 7s and 9s with a
    curled tail, of the given `digits` (with `upright`, flagged 1s only from upright 1s, with steep flags)."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for label in digits:
        idx = torch.nonzero(split.labels == label).flatten().numpy()
        for i in rng.choice(idx, int(len(idx) * fraction), replace=False):
            v = _variant(split.images[i].numpy(), label, rng, upright)
            if v is not None:
                images.append(torch.from_numpy(v))
                labels.append(label)
    if not images:
        return split.subset(slice(0, 0))
    return Split(torch.stack(images), torch.tensor(labels, dtype=torch.long))
