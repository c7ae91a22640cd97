"""Pen strokes: the drawing primitives of synth's non-digits.

A drawing is a list of strokes, each an (n, 2) array of points about the unit square. `ink` draws them
as a hand would (turned and slanted a little, a tremor, a round pen of random width) onto a
CANVAS-square mask, which render.render_mnist then fits as it fits every input.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

Stroke = np.ndarray  # (n, 2) points, x right and y down, about the unit square
CANVAS = 160  # px: drawn at this side, then fit to MNIST's 20x20 box by render_mnist
TAU = 2 * math.pi


def arc(cx: float, cy: float, rx: float, ry: float, a0: float = 0.0, a1: float = TAU, n: int = 40) -> Stroke:
    t = np.linspace(a0, a1, n)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def line(*points: tuple[float, float]) -> Stroke:
    return np.array(points, float)


def _resampled(s: Stroke, step: float) -> Stroke:
    """The stroke's points every `step` along its length (so a tremor bends long lines as short ones)."""
    d = np.r_[0.0, np.cumsum(np.hypot(*np.diff(s, axis=0).T))]
    if d[-1] <= 0:
        return s
    t = np.linspace(0.0, d[-1], max(2, int(d[-1] / step) + 1))
    return np.stack([np.interp(t, d, s[:, 0]), np.interp(t, d, s[:, 1])], 1)


def _tremor(s: Stroke, rng: np.random.Generator, amount: float) -> Stroke:
    """A hand's wobble: smooth random displacement along the stroke, `amount` of the drawing's size."""
    s = _resampled(s, 0.01)
    if len(s) < 4 or amount <= 0:
        return s
    k = np.hanning(15)
    noise = np.stack([np.convolve(rng.normal(0, 1, len(s) + 14), k / k.sum(), "valid") for _ in range(2)], 1)
    return s + noise * amount / max(float(noise.std()), 1e-6)


def _turned(strokes: list[Stroke], rng: np.random.Generator, degrees: float = 25.0) -> list[Stroke]:
    """Strokes turned, slanted and stretched by random amounts, as people draw a shape each their way."""
    a = math.radians(rng.uniform(-degrees, degrees))
    shear, stretch = rng.uniform(-0.3, 0.3), math.exp(rng.uniform(-0.35, 0.35))
    m = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]) @ np.array(
        [[stretch, shear], [0, 1 / stretch]]
    )
    return [s @ m.T for s in strokes]


def ink(strokes: list[Stroke], rng: np.random.Generator, tremor: float = 0.012, degrees: float = 25.0) -> np.ndarray:
    """Strokes drawn with a round pen of random width on a CANVAS-square mask, the drawing filling it
    (turned by up to `degrees`: digits less, as a digit turned far is another digit or none)."""
    strokes = [_tremor(s, rng, rng.uniform(0, tremor)) for s in _turned(strokes, rng, degrees)]
    pts = np.concatenate(strokes)
    lo, hi = pts.min(0), pts.max(0)
    scale = (CANVAS - 24) / max(float((hi - lo).max()), 1e-6)
    width = int(rng.integers(4, 13))
    img = Image.new("L", (CANVAS, CANVAS))
    pen = ImageDraw.Draw(img)
    for s in strokes:
        q = [tuple(p) for p in ((s - (lo + hi) / 2) * scale + CANVAS / 2).tolist()]
        pen.line(q if len(q) > 1 else q * 2, fill=255, width=width, joint="curve")
        for x, y in (q[0], q[-1]):  # round pen ends
            pen.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=255)
    return np.asarray(img) > 127


def smooth(points: np.ndarray, per_point: int = 30, window: int = 15) -> Stroke:
    """A stroke wandering smoothly through `points` (corners rounded by a moving average)."""
    t = np.linspace(0, len(points) - 1, per_point * len(points))
    xy = np.stack([np.interp(t, np.arange(len(points)), points[:, i]) for i in (0, 1)], 1)
    k = np.ones(window) / window
    pad = np.pad(xy, ((window // 2, window // 2), (0, 0)), mode="edge")
    return np.stack([np.convolve(pad[:, i], k, "valid") for i in (0, 1)], 1)
