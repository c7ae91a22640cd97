"""Drawings that are not digits: how often the app says "not sure" instead of reading a digit.

Letters (print and script, capitals and small), shapes and scribbles, drawn the way the sketchpad
sends them: black strokes on a transparent 800x800 layer, at random sizes, places, slants and
brush widths. Letters and shapes are the strokes of the Hershey vector fonts (the Hershey-Fonts
package). Letters that people read as digits themselves (O, I, l, S, Z, B, D, G, g, q, b...) are
left out: answering 0 for an O is no mistake. A drawing counts as read when the answer is a digit
(or a number) not marked "not sure"; refused means "no writing found".

With --curve, also the human drawings of ../shared/data/dev/nondigit (by kind) against real digits
(dev canvas, photo, multi_canvas, multi_photo and the MNIST test set), at the shipped "no digit" bars
and over a range of them: the share of non-digits read as digits against the share of real digits
read right but held back ("not sure", or "no writing found"). The reading model answers once (its
answers are cached in --cache); the detector's opinion is then combined as predict.Predictor does,
so another detector file (--detector) is compared in seconds.

    python bench/not_digits.py [--model cnn_styles] [--per-symbol 4] [--seed 0]
    python bench/not_digits.py --curve [--detector FILE] [--weights-dir DIR] [--cache /tmp/nd/cache.pkl]
"""

from __future__ import annotations

import argparse
import collections
import csv
import functools
import hashlib
import os
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from mnist_core import DEFAULT_MODEL, InputError, Predictor, verdict
from mnist_core.predict import DETECTOR, load_judge
from mnist_core.verdict import CUT_NO_DIGIT_ABOVE, NO_DIGIT_ABOVE, NUMBER_NO_DIGIT_ABOVE

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
    return [list(zip(xs.tolist(), ys.tolist(), strict=True))]


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
    preds = predictor.predict_many([img for _, _, img in items], raise_errors=False)
    for (kind, symbol, _), pred in zip(items, preds, strict=True):
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


# --- the trade-off: non-digits read as digits against real digits held back ------------------------

DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "dev"
REAL_SETS = ("canvas", "photo", "multi_canvas", "multi_photo")
BARS = tuple(round(0.3 + 0.05 * i, 2) for i in range(14))  # 0.30 .. 0.95
CHUNK = 50  # drawings decoded at once: 800x800 RGBA layers are 2.5 MB each


@dataclass(frozen=True)
class Reading:
    """One image as the reading model answered it, before any "no digit" bar: per digit read, its
    confidence, plausibility, cut flag, the model's own "no digit" opinion (None without that output)
    and the 28x28 image the detector is then asked about."""

    source: str  # the kind of non-digit, or the real set
    digit: bool  # a real digit (or number), not a drawing that is no digit
    refused: bool  # "no writing found"
    right: bool  # the number read equals the label (real digits only)
    confidence: tuple[float, ...] = ()
    plausible: tuple[bool, ...] = ()
    cut: tuple[bool, ...] = ()
    own: tuple[float | None, ...] = ()
    images: np.ndarray | None = None  # (digits, 28, 28) float


def _read(reader: Predictor, sources: list, source: str, digit: bool, labels: list[str]) -> list[Reading]:
    """Readings of the images `sources` by `reader` (its detector set aside: its opinion comes later)."""
    out = []
    for i in range(0, len(sources), CHUNK):
        chunk = reader.predict_many(sources[i : i + CHUNK], raise_errors=False)
        for pred, label in zip(chunk, labels[i : i + CHUNK], strict=True):
            if isinstance(pred, InputError):
                out.append(Reading(source, digit, True, False))
                continue
            each = pred.digits or (pred,)
            own = tuple(d.no_digit if reader.has_no_digit else None for d in each)
            out.append(Reading(source, digit, False, pred.number == label, tuple(d.confidence for d in each),
                               tuple(d.plausible for d in each), tuple(d.cut for d in each), own,
                               np.stack([d.image for d in each])))  # fmt: skip
    return out


def _mnist_readings(reader: Predictor, data_root: str | None) -> list[Reading]:
    """The MNIST test set as the model reads it (already 28x28: no preprocessing, no cuts)."""
    from mnist_core.mnist import load_mnist

    test = load_mnist(data_root, train=False, download=False)
    images = test.images.numpy().astype(np.float32) / 255
    probs, own = reader.read(images)
    return [Reading("MNIST test", True, False, int(p.argmax()) == int(y), (float(p.max()),), (True,), (False,),
                    (None if own is None else float(own[i]),), images[i : i + 1])
            for i, (p, y) in enumerate(zip(probs, test.labels.tolist(), strict=True))]  # fmt: skip


def _labels(folder: Path) -> list[dict[str, str]]:
    with open(folder / "labels.csv", newline="") as f:
        return list(csv.DictReader(f))


def collect(reader: Predictor, dev: Path, data_root: str | None, per_symbol: int = 4, seed: int = 0) -> list[Reading]:
    """Every non-digit (dev/nondigit by kind, this bench's drawings by kind) and every real digit
    (REAL_SETS, the MNIST test set), read by `reader` without its detector."""
    detector, reader.detector = reader.detector, None
    try:
        out: list[Reading] = []
        rows = _labels(dev / "nondigit")
        for kind in sorted({r["kind"] for r in rows}):
            files = [dev / "nondigit" / r["filename"] for r in rows if r["kind"] == kind]
            out += _read(reader, files, f"dev {kind}", False, [""] * len(files))
        drawn = list(not_digits(per_symbol, seed))
        for kind in KINDS:
            imgs = [img for k, _, img in drawn if k == kind]
            out += _read(reader, imgs, kind, False, [""] * len(imgs))
        for name in REAL_SETS:
            rows = _labels(dev / name)
            out += _read(reader, [dev / name / r["filename"] for r in rows], name, True, [r["label"] for r in rows])
        return out + _mnist_readings(reader, data_root)
    finally:
        reader.detector = detector


def second_opinions(detector: Predictor | None, readings: list[Reading]) -> list[np.ndarray | None]:
    """The detector's "no digit" probability for every digit of every reading (None: no detector)."""
    if detector is None:
        return [None] * len(readings)
    stacks = [r.images for r in readings if r.images is not None]
    every = np.concatenate([detector.read(np.concatenate(stacks[i : i + 20]))[1] for i in range(0, len(stacks), 20)])
    out: list[np.ndarray | None] = []
    at = 0
    for r in readings:
        n = 0 if r.images is None else len(r.images)
        out.append(every[at : at + n])
        at += n
    return out


@dataclass(frozen=True)
class Bars:
    """The "no digit" bars (verdict.no_digit_bar): a digit read alone, a digit of a number, a cut digit."""

    one: float = NO_DIGIT_ABOVE
    number: float = NUMBER_NO_DIGIT_ABOVE
    cut: float = CUT_NO_DIGIT_ABOVE

    def of(self, cut: bool, alone: bool) -> float:
        return self.cut if cut else self.one if alone else self.number


def answer(r: Reading, second: np.ndarray | None, bars: Bars) -> str:
    """The answer, "refused", "not sure" or "read", as Prediction.uncertain decides with these bars: a digit is not
    sure below even odds, when implausible, or when the mean of the model's own and the detector's
    "no digit" opinions passes its bar (a model's needs_second_opinion only skips the detector
    where the mean cannot pass it, so asking it always decides the same)."""
    if r.refused:
        return "refused"
    alone = len(r.confidence) == 1
    for i, (conf, plausible, cut, own) in enumerate(zip(r.confidence, r.plausible, r.cut, r.own, strict=True)):
        given = [v for v in (own, None if second is None else float(second[i])) if v is not None]
        no_digit = float(np.mean(given)) if given else 0.0
        if conf < verdict.UNCERTAIN_BELOW or not plausible or no_digit > bars.of(cut, alone):
            return "not sure"
    return "read"


def rates(readings: list[Reading], seconds: list[np.ndarray | None], bars: Bars) -> dict[str, float]:
    """source -> for non-digits, the share read as a digit; for real digits, the share read right
    but held back ("not sure" or refused), as bench/real_handwriting.py counts false rejects."""
    counts: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for r, s in zip(readings, seconds, strict=True):
        a = answer(r, s, bars)
        hit = a == "read" if not r.digit else (r.refused or (r.right and a != "read"))
        counts[r.source][0] += hit
        counts[r.source][1] += 1
    return {k: hit / n for k, (hit, n) in counts.items()}


def cached_readings(args: argparse.Namespace) -> list[Reading]:
    """The reading model's answers, from --cache when it holds those of these weights."""
    reader = Predictor.load(args.model, args.weights_dir)
    stamp = hashlib.sha256(repr((args.model, reader.info.sha256 if reader.info else None, args.per_symbol, args.seed,
                                 sorted(os.listdir(args.dev / "nondigit")) [:3])).encode()).hexdigest()  # fmt: skip
    if args.cache and Path(args.cache).exists():
        with open(args.cache, "rb") as f:
            saved_stamp, readings = pickle.load(f)
        if saved_stamp == stamp:
            return [Reading(**r) for r in readings]
    readings = collect(reader, args.dev, args.data_root, args.per_symbol, args.seed)
    if args.cache:
        Path(args.cache).parent.mkdir(parents=True, exist_ok=True)
        tmp = f"{args.cache}.tmp"
        with open(tmp, "wb") as f:
            pickle.dump((stamp, [vars(r) for r in readings]), f)  # plain dicts: loadable from any module
        os.replace(tmp, args.cache)
    return readings


def curve(args: argparse.Namespace) -> None:
    readings = cached_readings(args)
    detector = Predictor.from_file(args.detector) if args.detector else load_judge(DETECTOR, args.weights_dir)
    seconds = second_opinions(detector, readings)
    sources = list(dict.fromkeys(r.source for r in readings))
    bars = Bars(args.bar, args.number_bar, args.cut_bar)
    at = rates(readings, seconds, bars)
    print(f"model {args.model}, detector {args.detector or DETECTOR}, bars {bars.one} (one digit), "
          f"{bars.number} (a digit of a number), {bars.cut} (cut)")  # fmt: skip
    print("| drawings that are no digit | n | read as a digit |\n|---|---:|---:|")
    n = collections.Counter(r.source for r in readings)
    for s in sources:
        if not readings[[r.source for r in readings].index(s)].digit:
            print(f"| {s} | {n[s]} | {at[s]:.1%} |")
    for label, dev_only in (("all of dev/nondigit", True), ("all drawn here", False)):
        keep = functools.partial(_from_dev, dev_only=dev_only)
        share = _share_read(readings, seconds, bars, keep)
        print(f"| **{label}** | {sum(not r.digit and keep(r.source) for r in readings)} | **{share:.1%}** |")
    print("\n| real digits | n | read right | held back (not sure or refused) |\n|---|---:|---:|---:|")
    for s in sources:
        rs = [r for r in readings if r.source == s]
        if rs[0].digit:
            print(f"| {s} | {len(rs)} | {np.mean([r.right for r in rs]):.2%} | {at[s]:.2%} |")
    real = [s for s in sources if readings[[r.source for r in readings].index(s)].digit]
    sweeps = (("one", "the bar for a digit read alone"), ("number", "the bar for a digit of a number"),
              ("cut", "the bar for a cut digit"))  # fmt: skip
    for field, title in sweeps:
        print(f"\nthe trade-off: {title}, the others as above; non-digits read as digits against real digits held back")
        print("| bar | dev/nondigit read | drawn here read | " + " | ".join(f"{s} held back" for s in real) + " |")
        print("|---:|---:|---:|" + "---:|" * len(real))
        for bar in BARS:
            _curve_row(readings, seconds, real, f"{bar:.2f}", replace(bars, **{field: bar}))


def _curve_row(readings: list[Reading], seconds: list[np.ndarray | None], real: list[str], label: str,
               bars: Bars) -> None:  # fmt: skip
    r = rates(readings, seconds, bars)
    dev_read = _share_read(readings, seconds, bars, lambda s: s.startswith("dev "))
    drawn_read = _share_read(readings, seconds, bars, lambda s: not s.startswith("dev "))
    print(f"| {label} | {dev_read:.1%} | {drawn_read:.1%} | " + " | ".join(f"{r[s]:.2%}" for s in real) + " |")


def _from_dev(source: str, dev_only: bool) -> bool:
    return source.startswith("dev ") == dev_only


def _share_read(readings: list[Reading], seconds: list[np.ndarray | None], bars: Bars,
                keep: Callable[[str], bool]) -> float:  # fmt: skip
    """The share of the non-digits from the sources `keep` accepts that are read as a digit."""
    chosen = [(r, s) for r, s in zip(readings, seconds, strict=True) if not r.digit and keep(r.source)]
    return sum(answer(r, s, bars) == "read" for r, s in chosen) / max(1, len(chosen))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--per-symbol", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--curve", action="store_true", help="dev/nondigit and real digits, at the bars and over a range")
    ap.add_argument("--detector", help="the detector's weights file (default: as the app finds cnn_no_digit)")
    ap.add_argument("--weights-dir", help="folder of the reading model's (and by default the detector's) weights")
    ap.add_argument("--dev", type=Path, default=DEV)
    ap.add_argument("--data-root", help="MNIST folder (default: $MNIST_DATA)")
    ap.add_argument("--cache", help="file keeping the reading model's answers between runs")
    ap.add_argument("--bar", type=float, default=NO_DIGIT_ABOVE, help="--curve's tables at this bar for one digit")
    ap.add_argument("--number-bar", type=float, default=NUMBER_NO_DIGIT_ABOVE, help="... this one in a number")
    ap.add_argument("--cut-bar", type=float, default=CUT_NO_DIGIT_ABOVE, help="... and this one for a cut digit")
    ap.add_argument("--top-bar", type=float, default=verdict.UNCERTAIN_BELOW,
                    help='"not sure" below this top-digit probability (verdict.UNCERTAIN_BELOW)')  # fmt: skip
    args = ap.parse_args()
    verdict.UNCERTAIN_BELOW = args.top_bar  # read by Prediction.uncertain and answer() alike
    if args.curve:
        curve(args)
        return
    results = run(Predictor.load(args.model, args.weights_dir), args.per_symbol, args.seed)
    print(f"model {args.model}: drawings that are not digits, as the sketchpad sends them")
    print('| kind | drawings | "not sure" | refused | read as a digit | most often read |')
    print("|---|---:|---:|---:|---:|---|")
    total: collections.Counter[str] = collections.Counter()
    for kind, r in results.items():
        total.update({k: r[k] for k in ("drawings", "not_sure", "refused", "read")})
        common = ", ".join(f"{k} ({n})" for k, n in r["reads"].most_common(3))
        print(f"| {kind} | {r['drawings']} | {r['not_sure'] / r['drawings']:.0%} | {r['refused'] / r['drawings']:.0%} "
              f"| {r['read'] / r['drawings']:.0%} | {common} |")  # fmt: skip
    n = total["drawings"]
    print(f"| all | {n} | {total['not_sure'] / n:.0%} | {total['refused'] / n:.0%} | {total['read'] / n:.0%} | |")


if __name__ == "__main__":
    main()
