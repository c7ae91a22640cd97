"""Accuracy on real handwriting that is not MNIST: the development sets in ../shared/data/dev.

Runs every image through the same path as `mnist-predict` (Predictor.predict on the file) and
prints, per set: accuracy, the rate of "not sure" answers and errors, per-class accuracy, the
confusion matrix and the slowest images. Compares against the baseline pipeline of the tutorials
this project grew from (grey, invert, resize the whole image to 28x28) with the same model.

    python bench/real_handwriting.py [--model cnn] [--dev ../shared/data/dev] [--sets canvas photo]
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from mnist_core import DEFAULT_MODEL, InputError, Predictor

TARGETS = {"canvas": 0.98, "photo": 0.96}
DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "dev"


def naive_28x28(path: Path) -> np.ndarray:
    """The seed tutorials' pipeline: grey, invert, resize the whole image to 28x28."""
    img = ImageOps.exif_transpose(Image.open(path)).convert("L").resize((28, 28))
    return 1.0 - np.asarray(img, np.float32) / 255.0


def run_set(predictor: Predictor, folder: Path) -> dict:
    rows = list(csv.DictReader(open(folder / "labels.csv")))
    labels, preds, uncertain, errors, times, naive = [], [], [], [], [], []
    for r in rows:
        path = folder / r["filename"]
        t = time.perf_counter()
        try:
            p = predictor.predict(path)
            preds.append(p.digit)
            uncertain.append(p.uncertain)
        except InputError:
            preds.append(-1)
            uncertain.append(False)
            errors.append(r["filename"])
        times.append((time.perf_counter() - t, r["filename"]))
        labels.append(int(r["label"]))
        naive.append(int(predictor.probabilities(naive_28x28(path)[None]).argmax()))
    y, p = np.array(labels), np.array(preds)
    conf = np.zeros((10, 10), int)
    for a, b in zip(y, p):
        if b >= 0:
            conf[a, b] += 1
    return {
        "n": len(y),
        "accuracy": float((y == p).mean()),
        "naive": float((y == np.array(naive)).mean()),
        "uncertain": float(np.mean(uncertain)),
        "false_reject": float(np.mean([u and a == b for u, a, b in zip(uncertain, y, p)])) + len(errors) / len(y),
        "errors": errors,
        "per_class": [float((p[y == d] == d).mean()) for d in range(10)],
        "confusion": conf,
        "slowest": sorted(times, reverse=True)[:5],
        "median_ms": float(np.median([t for t, _ in times]) * 1000),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--dev", type=Path, default=DEV)
    ap.add_argument("--sets", nargs="+", default=list(TARGETS))
    args = ap.parse_args()
    predictor = Predictor.load(args.model)
    results = {}
    for name in args.sets:
        r = results[name] = run_set(predictor, args.dev / name)
        print(f"\n== {name} ({r['n']} images, model {args.model})")
        print("per-class accuracy: " + "  ".join(f"{d}:{a:.0%}" for d, a in enumerate(r["per_class"])))
        print("confusion (rows: true digit, columns: predicted)")
        print("     " + " ".join(f"{d:>4d}" for d in range(10)))
        for d in range(10):
            print(f"  {d}: " + " ".join(f"{v:>4d}" for v in r["confusion"][d]))
        print(f"errors (no digit found): {len(r['errors'])} {r['errors'][:5]}")
        print("slowest: " + ", ".join(f"{f} {t * 1000:.0f} ms" for t, f in r["slowest"]))
    print(f"\n{'set':8s} {'n':>5s} {'accuracy':>9s} {'target':>7s} {'resize-28 baseline':>19s} "
          f"{'not sure':>9s} {'false rejects':>14s} {'median ms':>10s}")  # fmt: skip
    for name, r in results.items():
        target = TARGETS.get(name)
        print(f"{name:8s} {r['n']:5d} {r['accuracy']:9.2%} {target if target is None else f'{target:.0%}':>7s} "
              f"{r['naive']:19.2%} {r['uncertain']:9.2%} {r['false_reject']:14.2%} {r['median_ms']:10.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
