"""Drawings that are not digits: how often the app says "not sure" instead of reading a digit.

Letters (print and script, capitals and small), shapes and scribbles, drawn the way the sketchpad
sends them: black strokes on a transparent 800x800 layer, at random sizes, places, slants and
brush widths. Letters and shapes are the strokes of the Hershey vector fonts (the Hershey-Fonts
package). Letters that people read as digits themselves (O, I, l, S, Z, B, D, G, g, q, b...) are
left out: answering 0 for an O is no mistake. A drawing counts as read when the answer is a digit
(or a number) not marked "not sure"; refused means "no writing found".

    python bench/not_digits.py [--model cnn_styles] [--per-symbol 4] [--seed 0]
"""

from __future__ import annotations

import argparse
import collections
from typing import Iterator

import numpy as np
from PIL import Image, ImageDraw

from mnist_core import DEFAULT_MODEL, InputError, Predictor

Stroke = list[tuple[float, float]]

CAPITALS = "ACEFHKLMNPRTUVWXY"
SMALL = "acefhkmnprtuvwxy"
# the outlined shapes of Hershey's markers font, by their character there
SHAPES = {"B": "square", "C": "triangle", "D": "diamond", "E": "star", "F": "double cross", "G": "plus", "H": "x",
          "I": "asterisk", "P": "big triangle"}  # fmt: skip
KINDS = {  # kind -> (Hershey font, symbols); None: scribbles
    "capital letters": ("futural", CAPITALS),
    "small letters": ("futural", SMALL),
    "script capitals": ("scripts", CAPITALS),
    "script small letters": ("cursive", SMALL),
    "shapes": ("markers", SHAPES),
    "scribbles": None,
}
SCRIBBLES = 40  # per run, however many per symbol


def hershey_strokes(font: str, symbol: str) -> list[Stroke]:
    from HersheyFonts import HersheyFonts  # a test dependency: only the benches and tests draw symbols

    fonts = HersheyFonts()
    fonts.load_default_font(font)
    return [list(s) for s in fonts.strokes_for_text(symbol)]


def scribble(rng: np.random.Generator) -> list[Stroke]:
    """One smooth stroke wandering through 5-10 random points (y down, as Hershey's)."""
    points = rng.uniform(0, 1, (int(rng.integers(5, 11)), 2))
    t = np.linspace(0, len(points) - 1, 40 * len(points))
    xs = np.interp(t, np.arange(len(points)), points[:, 0])
    ys = np.interp(t, np.arange(len(points)), points[:, 1])
    k = np.ones(25) / 25  # rounds the corners
    xs, ys = np.convolve(np.pad(xs, 12, mode="edge"), k, "valid"), np.convolve(np.pad(ys, 12, mode="edge"), k, "valid")
    return [list(zip(xs.tolist(), ys.tolist()))]


def drawing(strokes: list[Stroke], rng: np.random.Generator, side: int = 800) -> np.ndarray:
    """Strokes (y down) drawn as a sketchpad layer: black on transparent, 25-70% of the canvas,
    anywhere on it, slanted up to 10 degrees, with a round brush of 2-5% of the side."""
    pts = np.array([p for s in strokes for p in s], float)
    lo, hi = pts.min(0), pts.max(0)
    size = rng.uniform(0.25, 0.7) * side
    scale = size / max(float((hi - lo).max()), 1e-6)
    a = np.deg2rad(rng.uniform(-10, 10))
    turn = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    placed = [(np.array(s, float) - (lo + hi) / 2) @ turn.T * scale for s in strokes]
    every = np.concatenate(placed)
    span_lo, span_hi = every.min(0), every.max(0)
    offset = rng.uniform(0.03 * side - span_lo, 0.97 * side - span_hi)
    width = max(2, round(rng.uniform(0.02, 0.05) * side))
    img = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    pen = ImageDraw.Draw(img)
    for s in placed:
        q = [tuple(p) for p in (s + offset).tolist()]
        pen.line(q if len(q) > 1 else q * 2, fill=(0, 0, 0, 255), width=width, joint="curve")
        for x, y in (q[0], q[-1]):  # round pen ends
            pen.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=(0, 0, 0, 255))
    return np.asarray(img)


def not_digits(per_symbol: int = 4, seed: int = 0) -> Iterator[tuple[str, str, np.ndarray]]:
    """(kind, symbol, RGBA drawing) for every kind: each symbol `per_symbol` times, and SCRIBBLES scribbles."""
    rng = np.random.default_rng(seed)
    for kind, source in KINDS.items():
        if source is None:
            for _ in range(SCRIBBLES):
                yield kind, "~", drawing(scribble(rng), rng)
            continue
        font, symbols = source
        for symbol in symbols:
            strokes = hershey_strokes(font, symbol)
            for _ in range(per_symbol):
                yield kind, SHAPES.get(symbol, symbol) if font == "markers" else symbol, drawing(strokes, rng)


def run(predictor: Predictor, per_symbol: int = 4, seed: int = 0) -> dict[str, dict]:
    """kind -> {"drawings", "not_sure", "refused", "read", "reads": Counter of the answers read}."""
    out: dict[str, dict] = collections.defaultdict(lambda: {"drawings": 0, "not_sure": 0, "refused": 0, "read": 0,
                                                             "reads": collections.Counter()})  # fmt: skip
    items = list(not_digits(per_symbol, seed))
    for (kind, symbol, _), pred in zip(items, predictor.predict_many([img for _, _, img in items], raise_errors=False)):
        row = out[kind]
        row["drawings"] += 1
        if isinstance(pred, InputError):
            row["refused"] += 1
        elif pred.uncertain:
            row["not_sure"] += 1
        else:
            row["read"] += 1
            row["reads"][f"{symbol}->{pred.number}"] += 1
    return dict(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--per-symbol", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    results = run(Predictor.load(args.model), args.per_symbol, args.seed)
    print(f"model {args.model}: drawings that are not digits, as the sketchpad sends them")
    print("| kind | drawings | \"not sure\" | refused | read as a digit | most often read |")
    print("|---|---:|---:|---:|---:|---|")
    total = collections.Counter()
    for kind, r in results.items():
        total.update({k: r[k] for k in ("drawings", "not_sure", "refused", "read")})
        common = ", ".join(f"{k} ({n})" for k, n in r["reads"].most_common(3))
        print(f"| {kind} | {r['drawings']} | {r['not_sure'] / r['drawings']:.0%} | {r['refused'] / r['drawings']:.0%} "
              f"| {r['read'] / r['drawings']:.0%} | {common} |")  # fmt: skip
    n = total["drawings"]
    print(f"| all | {n} | {total['not_sure'] / n:.0%} | {total['refused'] / n:.0%} | {total['read'] / n:.0%} | |")


if __name__ == "__main__":
    main()
