"""Accuracy on real handwriting that is not MNIST: the development sets in ../shared/data/dev.

Runs every image through the same path as `mnist-predict` (Predictor.predict on the file): single
digits (canvas, photo) and whole numbers (multi_canvas, multi_photo). Prints, per set: exact
accuracy (the number read, all digits, equals the label), the rate of "not sure" answers and
errors, per-class accuracy, a confusion matrix of the digits read where the count was right and
the slowest images; for numbers also exact accuracy by length, how often the count of digits was
right, and per-digit accuracy. Compares single digits against the baseline pipeline of the
tutorials this project grew from (grey, invert, resize the whole image to 28x28), same model.

The "scans" set is scans from another collection: UCI's optdigits (1,797 digits by 43 writers,
8x8 grey levels from 32x32 binary scans, the digit filling the frame), from the copy bundled with
scikit-learn (installed with the test extras), shown dark on white as a scan.

    python bench/real_handwriting.py [--model cnn] [--dev ../shared/data/dev] [--sets canvas photo scans ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from mnist_core import DEFAULT_MODEL, Predictor
from mnist_core.devsets import Item, dev_set, run_set

# exact accuracy targets: single digits; numbers of 2-4 digits
TARGETS = {"canvas": 0.98, "photo": 0.96, "multi_canvas": 0.95, "multi_photo": 0.90, "scans": 0.97}
DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "dev"


def optdigits() -> list[Item]:
    """UCI's optdigits as scikit-learn bundles it: 8x8, 0-16 ink per cell, as dark ink on white paper."""
    from sklearn.datasets import load_digits

    data = load_digits()
    scans = (255 - data.images * (255 / 16)).round().astype(np.uint8)
    return [
        (f"optdigits_{i:04d}", scan, str(label)) for i, (scan, label) in enumerate(zip(scans, data.target, strict=True))
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--dev", type=Path, default=DEV)
    ap.add_argument("--sets", nargs="+", default=list(TARGETS))
    args = ap.parse_args()
    predictor = Predictor.load(args.model)
    results = {}
    for name in args.sets:
        r = results[name] = run_set(predictor, optdigits() if name == "scans" else dev_set(args.dev / name))
        print(f"\n== {name} ({r['n']} images, model {args.model})")
        if len(r["by_length"]) > 1 or 1 not in r["by_length"]:
            print(
                "exact by length: " + "  ".join(f"{k} digits: {a:.1%} of {n}" for k, (n, a) in r["by_length"].items())
            )
            print(f"count of digits right: {r['count_right']:.1%}   per-digit accuracy: {r['per_digit']:.1%}")
        print("per-class accuracy: " + "  ".join(f"{d}:{a:.0%}" for d, a in enumerate(r["per_class"])))
        print("confusion (rows: true digit, columns: read; where the count of digits was right)")
        print("     " + " ".join(f"{d:>4d}" for d in range(10)))
        for d in range(10):
            print(f"  {d}: " + " ".join(f"{v:>4d}" for v in r["confusion"][d]))
        print(f"errors (no digit found): {len(r['errors'])} {r['errors'][:5]}")
        print("slowest: " + ", ".join(f"{f} {t * 1000:.0f} ms" for t, f in r["slowest"]))
    print(f"\n{'set':13s} {'n':>5s} {'exact':>7s} {'2-4 digits':>10s} {'target':>7s} {'per digit':>9s} "
          f"{'resize-28':>9s} {'not sure':>9s} {'false rejects':>14s} {'median ms':>10s}")  # fmt: skip

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.1%}"

    for name, r in results.items():
        target = TARGETS.get(name)
        print(f"{name:13s} {r['n']:5d} {pct(r['accuracy']):>7s} {pct(r['accuracy_2_4']):>10s} "
              f"{'-' if target is None else f'{target:.0%}':>7s} {pct(r['per_digit']):>9s} {pct(r['naive']):>9s} "
              f"{pct(r['uncertain']):>9s} {pct(r['false_reject']):>14s} {r['median_ms']:10.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
