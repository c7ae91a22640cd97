"""Any image -> each digit written in it as the 28x28 MNIST-format picture the models were trained on.

The one preprocessing path: prediction, evaluation, the CLI and the app all call `preprocess` (or `to_mnist`,
`analyze`), and training uses the same `normalize`. It runs the steps of the other modules in order:

- image_io: any source decoded (EXIF orientation, every mode) to grey and alpha at working size; a small
  image is a scan (other collections, MNIST itself), enlarged smoothly and, here, given a margin,
- ink: the ink per pixel: a transparent layer's paint (sketchpad strokes live only in alpha), or dark or
  light ink with uneven lighting flattened (phone photos); noise is told from writing,
- segment: a robust threshold and a choice of connected components find the digits, dropping specks, ruling
  lines and table edges that touch the border; a number is split into its digits,
- render: each digit as MNIST was made (LeCun et al.): cropped, its stroke width brought into MNIST's range,
  fit to a 20x20 box with anti-aliasing and centred by its centre of mass in a 28x28 frame (a scan is drawn
  from its own grey levels).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .errors import NoInkError
from .image_io import ImageSource, gray_alpha
from .ink import MIN_NEIGHBOUR_CORRELATION, ink_map, neighbour_correlation
from .render import normalize, render_mnist
from .segment import bounding_box, digit_masks

# A scan (a small image, enlarged by image_io) is given this much empty margin, of its long side: its digit
# may fill the frame.
SCAN_MARGIN = 0.2

# A digit is longer than its stroke is wide (a dot is about 2) and is most of what was drawn. Set below
# what the dev sets' digits reach (bench/real_handwriting.py): meant to fail only dots, blobs and strays.
MIN_ELONGATION = 2.5
MIN_KEPT = 0.6


@dataclass(frozen=True)
class Digit:
    image: np.ndarray  # (28, 28) float in [0, 1], white ink on black: what the model sees
    kept: float  # share of the image's ink that is the written digits
    elongation: float  # long side over stroke width
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive) in the input image's pixels
    probabilities: np.ndarray | None = None  # the classifier's answer, when segmenting already asked it
    cut: bool = False  # a piece of ink cut from touching neighbours (segment.split_touching)

    @property
    def plausible(self) -> bool:
        """False for a dot or blob, or when most of the ink is elsewhere (noise, scribbles)."""
        return self.elongation >= MIN_ELONGATION and self.kept >= MIN_KEPT


def analyze(source: ImageSource, classify: Callable[[np.ndarray], np.ndarray] | None = None) -> list[Digit]:
    """Any image -> each digit written in it, left to right, as the model sees it, with the shape
    facts used to say "not sure". One digit for a single digit; several for a number.

    `classify` maps (B, 28, 28) images to (B, 10) probabilities; with it, touching digits are split
    where the pieces read better than the whole (see segment.split_touching).
    """
    gray, alpha, scale = gray_alpha(source)
    # id -> (mask, image, elongation, probs)
    seen: dict[int, tuple[np.ndarray, np.ndarray, float, np.ndarray | None]] = {}

    def render(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, np.ndarray | None]:
        if id(mask) not in seen:  # the mask is kept in the entry, so its id stays unique
            seen[id(mask)] = (mask, *render_mnist(mask, ink if scan else None), None)
        return seen[id(mask)]

    def score(masks: list[np.ndarray]) -> np.ndarray:
        assert classify is not None
        probs = classify(np.stack([render(m)[1] for m in masks]))
        for m, p in zip(masks, probs, strict=True):
            seen[id(m)] = (*seen[id(m)][:3], p)
        return probs

    scan = scale < 1  # a small image, enlarged: a scan of one digit or of a number
    ink = ink_map(gray, alpha, even_light=scan)
    # (a scan's enlargement smooths noise too: there the threshold's noise floor refuses it)
    if not scan and neighbour_correlation(ink) < MIN_NEIGHBOUR_CORRELATION:
        raise NoInkError("no writing found: the image looks like noise")
    margin = round(SCAN_MARGIN * max(ink.shape)) if scan else 0
    if margin:  # the paper a page would have around it: a digit that fills its frame is then not
        ink = np.pad(ink, margin)  # clutter along the border, and the threshold sees paper beside the ink
    masks, kept, cut = digit_masks(ink, score if classify is not None else None, margin)
    digits = []
    for m, piece in zip(masks, cut, strict=True):
        _, image, elongation, probs = render(m)
        rows, cols = bounding_box(m)  # type: ignore[misc]
        box = ((cols.start - margin) * scale, (rows.start - margin) * scale, (cols.stop - margin) * scale,
               (rows.stop - margin) * scale)  # fmt: skip
        digits.append(Digit(image, kept, elongation, tuple(int(round(v)) for v in box), probs, piece))  # type: ignore[arg-type]
    return digits


def to_mnist(source: ImageSource) -> np.ndarray:
    """Any image -> the 28x28 [0, 1] digit (white ink on black) that the model sees (the first one,
    when several are written side by side)."""
    return analyze(source)[0].image


def preprocess(source: ImageSource) -> torch.Tensor:
    """Any image -> the normalized (1, 28, 28) float tensor the models take."""
    return normalize(torch.from_numpy(to_mnist(source))).unsqueeze(0)
