"""Scoring labelled folders of real handwriting (a `labels.csv` of filename,label beside the images).

The same reading as `mnist-predict`: Predictor.predict on each file. Used by bench/real_handwriting.py
and by the model cards (mnist_core.cards), so both report the same figures. A set can also be read as
small scans of its images (as_scans), to measure coarse 16x16 scans of writers the model never saw,
or redrawn with another pen or hand (as_pens: thin, thick, slanted, shaky).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from .errors import InputError
from .image_io import ImageSource, gray_alpha
from .ink import dilate, ink_map
from .predict import Predictor
from .segment import digit_masks
from .synth.pens import redraw
from .synth.scans import to_scan

NUMBER_LENGTHS = (2, 3, 4)  # the lengths the number targets are set on


Item = tuple[str, "Path | np.ndarray", str]  # name, image (a file or a decoded array), label


def naive_28x28(source: Path | np.ndarray) -> np.ndarray:
    """The seed tutorials' pipeline: grey, invert, resize the whole image to 28x28."""
    img = Image.fromarray(source) if isinstance(source, np.ndarray) else ImageOps.exif_transpose(Image.open(source))
    return 1.0 - np.asarray(img.convert("L").resize((28, 28)), np.float32) / 255.0


def dev_set(folder: Path) -> list[Item]:
    return [(r["filename"], folder / r["filename"], r["label"]) for r in csv.DictReader(open(folder / "labels.csv"))]


def digit_ink(source: ImageSource) -> np.ndarray:
    """The ink of the digits written in an image (float, 0 where there is none) at preprocessing's
    working size, as preprocessing finds it: ink_map, kept within a pixel of segment's digit masks
    (specks and clutter left out, the strokes' grey edges kept)."""
    gray, alpha, _ = gray_alpha(source)
    ink = ink_map(gray, alpha)
    masks, _, _ = digit_masks(ink)
    written: np.ndarray = np.where(dilate(np.logical_or.reduce(masks), 1), ink, 0.0)
    return written


def as_scans(items: list[Item], binarize: bool, seed: int = 0) -> list[Item]:
    """Each item's image as a small scan (synth.scans.to_scan of its digit_ink: 16x16, the digit
    filling the frame, aspect kept, binarized or grey, dark ink on white paper): what a coarse scanner
    makes of the same writers' digits. Binarizing thresholds are drawn from `seed`."""
    rng = np.random.default_rng(seed)
    return [(name, to_scan(digit_ink(source), binarize, rng), label) for name, source, label in items]


def as_pens(items: list[Item], variants: Sequence[str], seed: int = 0) -> dict[str, list[Item]]:
    """Variant -> each item's image redrawn in that synth.pens variant (a thin or thick pen, slanted,
    shaky) from its digit_ink (found once per item), dark ink on white: the same writers with another
    pen or hand. Shakes drawn from `seed`."""
    rng = np.random.default_rng(seed)
    inks = [(name, digit_ink(source), label) for name, source, label in items]
    return {v: [(name, redraw(ink, v, rng), label) for name, ink, label in inks] for v in variants}


def run_set(predictor: Predictor, items: list[Item]) -> dict[str, Any]:
    labels, reads, uncertain, errors, times, naive = [], [], [], [], [], []
    for name, source, label in items:
        t = time.perf_counter()
        try:
            p = predictor.predict(source)
            reads.append(p.number)
            uncertain.append(p.uncertain)
        except InputError:
            reads.append("")
            uncertain.append(False)
            errors.append(name)
        times.append((time.perf_counter() - t, name))
        labels.append(label)
        if len(label) == 1:
            naive.append(str(int(predictor.probabilities(naive_28x28(source)[None]).argmax())) == label)
    exact = np.array([a == b for a, b in zip(labels, reads, strict=True)])
    counted = np.array([len(a) == len(b) for a, b in zip(labels, reads, strict=True)])
    conf = np.zeros((10, 10), int)
    for a, b in zip(labels, reads, strict=True):
        if len(a) == len(b):
            for x, y in zip(a, b, strict=True):
                conf[int(x), int(y)] += 1
    n_digits = sum(len(a) for a in labels)
    # right answers marked "not sure", and images refused ("no writing found")
    held_back = int(sum(u and e for u, e in zip(uncertain, exact, strict=True))) + len(errors)
    lengths = sorted({len(a) for a in labels})
    short = np.array([len(a) in NUMBER_LENGTHS for a in labels])
    return {
        "n": len(labels),
        "accuracy": float(exact.mean()),
        "accuracy_2_4": float(exact[short].mean()) if short.any() else None,
        "by_length": {k: (int(sum(len(a) == k for a in labels)),
                          float(np.mean([e for a, e in zip(labels, exact, strict=True) if len(a) == k])))
                      for k in lengths},
        "count_right": float(counted.mean()),
        "per_digit": float(np.trace(conf) / n_digits),
        "naive": float(np.mean(naive)) if naive else None,
        "uncertain": float(np.mean(uncertain)),
        "false_reject": held_back / len(labels),
        # wrong answers given without "not sure": what the "not sure" bars let through
        "wrong_sure": sum(bool(r) and not (u or e) for r, u, e in zip(reads, uncertain, exact, strict=True))
        / len(labels),
        "held_back": held_back,
        "errors": errors,
        "per_class": [float(conf[d, d] / max(1, conf[d].sum())) for d in range(10)],
        "confusion": conf,
        "slowest": sorted(times, reverse=True)[:5],
        "median_ms": float(np.median([t for t, _ in times]) * 1000),
    }  # fmt: skip
