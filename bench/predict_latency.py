"""Prediction latency per stage, on one thread: decode, preprocess, model.

Inputs: an 800x800 RGBA sketchpad PNG (strokes only in alpha), the same sketch as the RGBA array
Gradio hands the app's handler (decoded already), a 1600x1200 JPEG photo and a 4000x3000 JPEG
photo (made from a development-set photo). The model stage includes the "no digit" judgement as
predictions make it (Predictor.no_digit: the detector, predict.DETECTOR, asked where its opinion can
change the answer). Prints median and p99 per stage and end to end, then batch throughput of the
model alone, and as a baseline in the same run the seed tutorials' pipeline (decode, grey, resize
to 28x28) with the same model. Last, the two backends (inference.BACKENDS: PyTorch and ONNX Runtime,
each on one thread) on the same sketch: end to end through Predictor.predict, the model call alone,
and a batch of 64, measured in turns so that both see the same load on the machine.

    python bench/predict_latency.py [--model cnn] [--repeats 200] [--no-onnx]
Targets (issue 4): sketchpad median end to end <= 5 ms; a 4000x3000 photo under 100 ms.
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageOps

from mnist_core import DEFAULT_MODEL, Predictor
from mnist_core.image_io import load_image
from mnist_core.preprocess import to_mnist

DEV_PHOTO = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "dev" / "photo" / "photo_0000.jpg"


def sketchpad_png() -> bytes:
    img = Image.new("RGBA", (800, 800), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.line([(250, 200), (560, 200), (360, 640)], fill=(0, 0, 0, 255), width=40, joint="curve")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def photo_jpeg(size: tuple[int, int]) -> bytes:
    if DEV_PHOTO.exists():
        img = ImageOps.exif_transpose(Image.open(DEV_PHOTO)).convert("RGB").resize(size, Image.Resampling.BICUBIC)
    else:  # a drawn digit on grey paper, if the dev set is not beside the repo
        img = Image.new("RGB", size, (215, 210, 200))
        w, h = size
        ImageDraw.Draw(img).line([(w * 0.4, h * 0.3), (w * 0.6, h * 0.3), (w * 0.45, h * 0.7)], fill=(30, 30, 60),
                                 width=max(3, w // 80))  # fmt: skip
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def stats(xs: list[float]) -> tuple[float, float]:
    a = np.array(xs) * 1000
    return float(np.median(a)), float(np.percentile(a, 99))


def measure(predictor: Predictor, data: bytes | np.ndarray, repeats: int) -> dict[str, list[float]]:
    """Per-stage times; an array (what Gradio hands the app's handler) has no decode stage."""
    out: dict[str, list[float]] = {"decode": [], "preprocess": [], "model": [], "total": [], "baseline": []}
    for _ in range(repeats):
        t0 = time.perf_counter()
        img = data if isinstance(data, np.ndarray) else load_image(data)
        t1 = time.perf_counter()
        x = to_mnist(img)
        t2 = time.perf_counter()
        _, own = predictor.read(x[None])  # and "no digit" as predictions judge it (the detector where needed)
        predictor.no_digit([x], [None if own is None else own[0]], [False])
        t3 = time.perf_counter()
        out["decode"].append(t1 - t0)
        out["preprocess"].append(t2 - t1)
        out["model"].append(t3 - t2)
        out["total"].append(t3 - t0)
        t = time.perf_counter()
        pic = Image.fromarray(data) if isinstance(data, np.ndarray) else Image.open(io.BytesIO(data))
        naive = np.asarray(pic.convert("L").resize((28, 28)), np.float32) / 255.0
        predictor.probabilities(1.0 - naive[None])
        out["baseline"].append(time.perf_counter() - t)
    return out


def in_turns(calls: Mapping[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Each call's times, the calls taking turns: a busy moment on the machine costs each the same."""
    out: dict[str, list[float]] = {k: [] for k in calls}
    for _ in range(repeats):
        for key, call in calls.items():
            t = time.perf_counter()
            call()
            out[key].append(time.perf_counter() - t)
    return out


def compare_backends(model: str, sketch: bytes, repeats: int) -> None:
    """PyTorch against ONNX Runtime on the same sketch, end to end and the model call alone."""
    try:
        onnx = Predictor.load(model, backend="onnx")
    except ImportError as exc:
        print(f"\nbackends: onnx skipped ({exc})")
        return
    torch_ = Predictor.load(model)
    array = np.asarray(Image.open(io.BytesIO(sketch)))
    one = to_mnist(sketch)[None]
    batch = np.repeat(one, 64, axis=0)
    cases: dict[str, tuple[Callable[[Predictor], object], int]] = {
        "predict, sketchpad PNG": (lambda p: p.predict(sketch), repeats),
        "predict, sketchpad array": (lambda p: p.predict(array), repeats),
        "model call, 1 image": (lambda p: p.read(one), repeats * 5),
        "model call, batch of 64": (lambda p: p.read(batch), max(20, repeats // 2)),
    }
    print(f"\nbackends: {model} (and its judges), 1 thread each; times in ms (median / p99); ratio > 1: onnx faster")
    print(f"{'':28s} {'torch':>15s} {'onnx':>15s} {'torch/onnx':>11s}")
    for name, (case, n) in cases.items():
        calls = {"torch": partial(case, torch_), "onnx": partial(case, onnx)}
        in_turns(calls, 3)  # warm-up
        r = in_turns(calls, n)
        (tm, tp), (om, op) = stats(r["torch"]), stats(r["onnx"])
        print(f"{name:28s} {f'{tm:6.2f} / {tp:6.2f}':>15s} {f'{om:6.2f} / {op:6.2f}':>15s} {tm / om:11.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--no-onnx", action="store_true", help="skip the comparison of the two backends")
    args = ap.parse_args()
    torch.set_num_threads(1)
    predictor = Predictor.load(args.model)
    sketch = sketchpad_png()
    inputs: dict[str, tuple[bytes | np.ndarray, int]] = {
        "sketchpad 800x800 RGBA PNG": (sketch, args.repeats),
        "sketchpad as Gradio hands it": (np.asarray(Image.open(io.BytesIO(sketch))), args.repeats),
        "photo 1600x1200 JPEG": (photo_jpeg((1600, 1200)), args.repeats),
        "photo 4000x3000 JPEG": (photo_jpeg((4000, 3000)), max(10, args.repeats // 10)),
    }
    print(f"model {args.model}, 1 thread; times in ms (median / p99)")
    head = ["decode", "preprocess", "model", "end to end"]
    print(f"{'input':28s} " + " ".join(f"{h:>13s}" for h in head) + f" {'resize-28 baseline':>19s}")
    for name, (data, n) in inputs.items():
        measure(predictor, data, 3)  # warm-up
        r = measure(predictor, data, n)
        cells = [f"{stats(r[k])[0]:5.1f} / {stats(r[k])[1]:5.1f}" for k in ("decode", "preprocess", "model", "total")]
        print(f"{name:28s} " + " ".join(f"{c:>13s}" for c in cells) + f" {stats(r['baseline'])[0]:19.1f}")
    print("\nmodel throughput in batches (preprocessed 28x28 inputs)")
    x = np.random.rand(256, 28, 28).astype(np.float32)
    for b in (1, 16, 64, 256):
        predictor.probabilities(x[:b])
        t = time.perf_counter()
        reps = max(3, 512 // b)
        for _ in range(reps):
            predictor.probabilities(x[:b])
        print(f"  batch {b:4d}: {b * reps / (time.perf_counter() - t):8.0f} images/s")
    if not args.no_onnx:
        compare_backends(args.model, sketch, args.repeats)


if __name__ == "__main__":
    main()
