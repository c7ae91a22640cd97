"""Whether an ensemble or test-time augmentation pays: dev-set accuracy against the model's time.

Every dev image is cut into its digits once, as the app cuts it (the segmenter decides); each digit's
28x28 image is then read by every variant, and a number is right only when all its digits are:

- the default model alone (what the app does),
- ensembles: the mean of the digit probabilities of the default and other registered models (trained
  with other seeds, augmentations and extra data: cnn, cnn_segment, the detector cnn_no_digit),
- test-time augmentation (TTA): the default over the image and shifted, turned or scaled copies.

The time is the model's alone for one digit (batch of one, one thread, median of --repeats), the way
the app reads one drawing; preprocessing (several ms) is the same for every variant.

    python bench/ensemble.py [--dev ../shared/data/dev] [--sets canvas photo multi_canvas multi_photo]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torchvision.transforms.functional as TF

from mnist_core import DEFAULT_MODEL, InputError, Predictor
from mnist_core.devsets import dev_set
from mnist_core.predict import load_judge

DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "dev"
SETS = ("canvas", "photo", "multi_canvas", "multi_photo")
ENSEMBLES = {
    "default + cnn": ("cnn",),
    "default + cnn_segment": ("cnn_segment",),
    "default + cnn + cnn_segment": ("cnn", "cnn_segment"),
    "default + cnn + cnn_segment + cnn_no_digit": ("cnn", "cnn_segment", "cnn_no_digit"),
}
# (degrees, scale, dx, dy) of each copy besides the image itself
TTA = {
    "TTA: shifts of 1 px": [(0, 1.0, dx, dy) for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1))],
    "TTA: turned by 8 degrees": [(-8, 1.0, 0, 0), (8, 1.0, 0, 0)],
    "TTA: scaled by 10%": [(0, 0.9, 0, 0), (0, 1.1, 0, 0)],
}

Read = Callable[[np.ndarray], np.ndarray]  # (B, 28, 28) images -> (B, 10) probabilities


def cut(predictor: Predictor, folder: Path) -> list[tuple[str, np.ndarray | None]]:
    """(label, the digits' 28x28 images as the app cuts them; None when it finds no writing)."""
    items = dev_set(folder)
    preds = predictor.predict_many([source for _, source, _ in items], raise_errors=False)
    return [(label, None if isinstance(p, InputError) else np.stack([d.image for d in (p.digits or (p,))]))
            for (_, _, label), p in zip(items, preds, strict=True)]  # fmt: skip


def ensemble(readers: list[Predictor]) -> Read:
    return lambda images: np.mean([r.probabilities(images) for r in readers], axis=0)


def tta(reader: Predictor, copies: list[tuple[float, float, int, int]]) -> Read:
    def read(images: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(images)[:, None]
        every = [x] + [TF.affine(x, angle=a, translate=[dx, dy], scale=s, shear=[0.0]) for a, s, dx, dy in copies]
        return np.mean([reader.probabilities(v[:, 0].numpy()) for v in every], axis=0)

    return read


def exact(read: Read, items: list[tuple[str, np.ndarray | None]]) -> float:
    images = [im for _, im in items if im is not None]
    probs = iter(read(np.concatenate(images)).argmax(1)) if images else iter(())
    right = 0
    for label, im in items:
        if im is not None:
            right += "".join(str(next(probs)) for _ in im) == label
    return right / len(items)


def ms_per_digit(read: Read, image: np.ndarray, repeats: int) -> float:
    read(image[None])  # warm up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        read(image[None])
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dev", type=Path, default=DEV)
    ap.add_argument("--sets", nargs="+", default=list(SETS))
    ap.add_argument("--repeats", type=int, default=200)
    args = ap.parse_args()
    torch.set_num_threads(1)
    default = Predictor.load(DEFAULT_MODEL)
    data = {name: cut(default, args.dev / name) for name in args.sets}
    variants: dict[str, Read] = {f"{DEFAULT_MODEL} alone": default.probabilities}
    for label, names in ENSEMBLES.items():
        others = [load_judge(n) for n in names]
        variants[label] = ensemble([default, *[o for o in others if o is not None]])
    for label, copies in TTA.items():
        variants[label] = tta(default, copies)
    sample = next(im[0] for items in data.values() for _, im in items if im is not None)
    print("| variant | " + " | ".join(args.sets) + " | ms per digit | time against the default |")
    print("|---|" + "---:|" * (len(args.sets) + 2))
    base = 0.0
    for label, read in variants.items():
        ms = ms_per_digit(read, sample, args.repeats)
        base = base or ms
        print(f"| {label} | " + " | ".join(f"{exact(read, data[s]):.1%}" for s in args.sets)
              + f" | {ms:.2f} | {ms / base:.1f}x |")  # fmt: skip


if __name__ == "__main__":
    main()
