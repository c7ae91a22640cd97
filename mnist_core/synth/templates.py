"""Digits drawn from pen-stroke templates, in writing styles MNIST (1990 American writers) barely has:
slashed, barred and open 0s, flagged 1s with a foot, looped 2s, flat-topped 3s, open 4s, crossed and hooked
7s, 8s of two circles, 9s with a curled or bent tail. Each digit is a pure function of a numpy Generator
returning strokes (strokes.py) of random proportions, its styles set by keywords; `ink` draws them as a hand
would, turned less than non-digits (a digit turned far is another digit), and render_mnist fits them.

    draw_style("seven_crossed", seed=3)  -> one (28, 28) uint8 image
    template_digits(1000, seed=0)        -> a Split of 1000, each digit a tenth of them"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import numpy as np
import torch

from ..mnist import Split
from ..render import render_mnist
from .strokes import TAU, Stroke, arc, ink, line

Template = Callable[[np.random.Generator], list[Stroke]]
DEGREES = 12.0  # digits turn by up to this much, about half what non-digits do (strokes.ink's default)
PI = math.pi


def _arc_at(p: Stroke, rx: float, ry: float, t0: float, t1: float) -> Stroke:
    """An elliptic arc from angle t0 to t1 (y down: increasing runs clockwise) starting at point p."""
    return arc(float(p[0]) - rx * math.cos(t0), float(p[1]) - ry * math.sin(t0), rx, ry, t0, t1)


def _curve(*points: tuple[float, float], n: int = 12) -> Stroke:
    """A smooth (Catmull-Rom) stroke through `points`."""
    p = np.array(points, float)
    p = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    t = np.linspace(0, 1, n)[:, None]
    parts = [0.5 * (2 * b + (c - a) * t + (2 * a - 5 * b + 4 * c - d) * t**2 + (3 * b - a - 3 * c + d) * t**3)
             for a, b, c, d in zip(p[:-3], p[1:-2], p[2:-1], p[3:], strict=True)]  # fmt: skip
    return np.vstack(parts)


# --- the digits ----------------------------------------------------------------------------------


def zero(rng: np.random.Generator, mark: str = "") -> list[Stroke]:
    """An oval from its top round to the left, ending a little past its start; with `mark` "slash" crossed
    upper right to lower left (Ø), "bar" barred across the middle (θ), "gap" left open at the top."""
    gap = rng.uniform(0.6, 1.0) if mark == "gap" else 0.0
    top, rx = -PI / 2 + rng.uniform(-0.4, 0.4), rng.uniform(0.24, 0.4)
    t = np.linspace(top - gap / 2, top + gap / 2 - TAU - (0 if gap else rng.uniform(-0.05, 0.35)), 60)
    r = 1 + rng.uniform(-0.08, 0.08) * np.linspace(0, 1, 60)  # a hand's oval does not end where it began
    oval = np.stack([0.5 + rx * r * np.cos(t), 0.5 + 0.5 * r * np.sin(t)], 1)
    (x0, y0), (x1, y1) = oval.min(0), oval.max(0)
    ex, ey = rng.uniform(-0.1, 0.12, 2) * (x1 - x0, y1 - y0)  # the mark ends a little inside or past the oval
    if mark == "slash":
        return [oval, line((x1 + ex, y0 - ey), (x0 - ex, y1 + ey))]
    y = 0.5 + rng.uniform(-0.07, 0.07)
    return [oval, line((x0 - ex, y), (x1 + ex, y))] if mark == "bar" else [oval]


def one(rng: np.random.Generator, flag: tuple[float, float] | None = None, foot: bool = False) -> list[Stroke]:
    """A stem, upright or slanted a little; a flag of `flag` (shortest, longest) of its length falling steeply
    from its top, 25-40 degrees off the stem (flatter and longer it is a 7's bar, see styles.py); a foot."""
    slant = rng.uniform(-0.08, 0.12)  # ink slants it further
    x0, x1 = 0.5 + slant, 0.5 - slant
    stem = line((x0, 0), (x1, 1))
    if flag is not None:
        a, length = math.atan2(1, x0 - x1) - math.radians(rng.uniform(25, 40)), rng.uniform(*flag)
        stem = np.vstack([line((x0 - length * math.cos(a), length * math.sin(a))), stem])
    return [stem, line((x1 - rng.uniform(0.12, 0.28), 1), (x1 + rng.uniform(0.12, 0.28), 1))] if foot else [stem]


def two(rng: np.random.Generator, loop: bool = False) -> list[Stroke]:
    """An arched top, a diagonal down to the bottom left and a base; with `loop`, the diagonal curls up and
    round at the bottom left, crossing itself, before it runs along the base."""
    rx, ry, x_end = rng.uniform(0.3, 0.42), rng.uniform(0.18, 0.28), rng.uniform(0.8, 1.0)
    top = arc(0.5, ry + 0.02, rx, ry, PI + rng.uniform(-0.2, 0.5), TAU + rng.uniform(0.3, 0.8))
    if not loop:
        return [np.vstack([top, line((rng.uniform(0.0, 0.2), 1), (x_end, 1 + rng.uniform(-0.05, 0.03)))])]
    d, r = np.array([rng.uniform(0.15, 0.28), rng.uniform(0.8, 0.88)]), rng.uniform(0.1, 0.16)
    t0 = math.atan2(*(d - top[-1])[::-1]) - PI / 2  # the loop goes on in the diagonal's direction
    curl = _arc_at(d, r, r, t0, t0 + rng.uniform(1.3, 1.55) * PI)
    base = _curve(tuple(curl[-1]), (curl[-1, 0] + 0.12, d[1] + r + 0.08), (x_end, d[1] + r + 0.1))
    return [np.vstack([top, line(tuple(d)), curl, base])]


def _bowl(rng: np.random.Generator, start: Stroke, waist: float, lean: float) -> Stroke:
    """A 3's or 5's lower bowl from `start` (its top, `lean` radians left of it) round the right to the lower left."""
    return _arc_at(start, rng.uniform(0.3, 0.42), (1 - waist) / 2, -PI / 2 - lean, PI - rng.uniform(0.25, 0.7))


def three(rng: np.random.Generator, flat: bool = False) -> list[Stroke]:
    """Two bowls open to the left, meeting at a waist; `flat`, the upper one a flat top and a diagonal down
    to the waist (a Z's top)."""
    m, w, lean = rng.uniform(0.38, 0.52), rng.uniform(0.26, 0.36), rng.uniform(0.0, 0.5)
    if flat:
        top = line((rng.uniform(0.05, 0.2), 0), (0.5 + w * 1.3, rng.uniform(-0.03, 0.03)), (rng.uniform(0.3, 0.5), m))
    else:
        top, lean = arc(0.5, m / 2, w, m / 2, PI + rng.uniform(0.2, 0.7), 2.5 * PI + rng.uniform(0.1, 0.5)), lean + 0.2
    return [np.vstack([top, _bowl(rng, top[-1], m, lean)])]


def four(rng: np.random.Generator, top: str = "closed") -> list[Stroke]:
    """A stem crossing a bar, and `top`: "closed", a diagonal from the stem's top down to the bar (a
    triangle); "open", in one stroke down-left well short of the stem, across, up the stem (retraced) and down
    through the bar; "split", an upright L apart from the stem, open between them at the top."""
    xs, yb, ext, y0 = rng.uniform(0.55, 0.75), rng.uniform(0.55, 0.72), rng.uniform(0.0, 0.2), rng.uniform(0.0, 0.12)
    stem = line((xs, rng.uniform(-0.04, 0.06)), (xs - rng.uniform(-0.03, 0.08), 1))
    if top == "open":
        zig = line((xs - rng.uniform(0.3, 0.45), y0), (rng.uniform(0.0, 0.1), yb), (xs + ext / 2, yb))
        return [np.vstack([zig, stem])]
    xa = xs - rng.uniform(0.4, 0.55)  # the split L's upright
    left = ((xs, 0), (xa - 0.1, yb)) if top == "closed" else ((xa + rng.uniform(-0.02, 0.08), y0), (xa, yb))
    return [line(*left, (xs + 0.05 + ext, yb + rng.uniform(-0.03, 0.03))), stem]


def five(rng: np.random.Generator) -> list[Stroke]:
    """A short down stroke, a bowl open to the left and a flag on top, joined or drawn apart."""
    xl, m = rng.uniform(0.15, 0.35), rng.uniform(0.35, 0.5)
    bowl = _bowl(rng, np.array([xl - rng.uniform(-0.05, 0.08), m]), m, rng.uniform(0.5, 1.0))
    body = np.vstack([line((xl, 0)), bowl])
    x0, x1 = xl + rng.uniform(-0.02, 0.06), rng.uniform(0.75, 0.95)
    flag = line((x0, rng.uniform(-0.05, 0.0)), (x1, rng.uniform(-0.06, 0.02)))
    return [np.vstack([flag[::-1], body])] if rng.random() < 0.5 else [body, flag]


def six(rng: np.random.Generator, closed: bool = True) -> list[Stroke]:
    """A stem curving down the left into a loop at the bottom, which closes on the stem (or, not `closed`,
    stops short of it at the loop's top, leaving a gap)."""
    rx, ry = rng.uniform(0.27, 0.36), rng.uniform(0.18, 0.25)
    cx, cy = 0.5, 1 - ry
    stem = _curve((cx + rx * rng.uniform(0.0, 0.6), 0), (cx - rx * rng.uniform(0.5, 0.9), cy * rng.uniform(0.35, 0.5)),
                  (cx - rx, cy))  # fmt: skip
    end = -PI + rng.uniform(-0.15, 0.2) if closed else -PI / 2 + rng.uniform(-0.35, 0.1)
    return [np.vstack([stem, arc(cx, cy, rx, ry, PI, end)])]


def seven(rng: np.random.Generator, mark: str = "") -> list[Stroke]:
    """A bar and a stem falling from its right end to the lower left, slightly bowed; with `mark` "cross" a
    short bar crossing the stem at mid-height (European; long, it reads as a 2 or a 4), "hook" a short serif
    hanging down from the bar's left end."""
    bar = line((rng.uniform(0.0, 0.15), rng.uniform(-0.04, 0.04)), (rng.uniform(0.85, 1.0), rng.uniform(-0.05, 0.06)))
    foot, bow = rng.uniform(0.25, 0.55), rng.uniform(-0.05, 0.05)
    stem = _curve(tuple(bar[-1]), ((bar[-1, 0] + foot) / 2 + bow, 0.5), (foot, 1))
    if mark == "hook":
        hook = line((bar[0, 0] + rng.uniform(-0.03, 0.03), bar[0, 1] + rng.uniform(0.12, 0.25)))
        return [np.vstack([hook, bar, stem])]
    if mark == "cross":
        x, y = stem[np.argmin(np.abs(stem[:, 1] - rng.uniform(0.45, 0.6)))]
        h, off, tilt = rng.uniform(0.14, 0.24), rng.uniform(-0.04, 0.04), rng.uniform(-0.03, 0.03)
        return [np.vstack([bar, stem]), line((x - h + off, y + tilt), (x + h + off, y - tilt))]
    return [np.vstack([bar, stem])]


def eight(rng: np.random.Generator, circles: bool = False) -> list[Stroke]:
    """A figure of eight in one stroke, or two `circles` stacked touching or overlapping a little; the upper
    loop usually the smaller."""
    if circles:
        r1, r2 = rng.uniform(0.19, 0.25), rng.uniform(0.23, 0.3)
        a1, a2, w1, w2 = rng.uniform(0, TAU, 2).tolist() + rng.uniform(0.9, 1.2, 2).tolist()
        return [arc(0.5 + rng.uniform(-0.04, 0.04), r1, r1 * w1, r1, a1, a1 + TAU + 0.2),
                arc(0.5, 2 * r1 + r2 - rng.uniform(0.0, 0.05), r2 * w2, r2, a2, a2 + TAU + 0.2)]  # fmt: skip
    t = np.linspace(0, TAU + rng.uniform(-0.1, 0.25), 120) + rng.uniform(-0.3, 0.5)
    upper = np.cos(t) > 0
    a = np.where(upper, rng.uniform(0.2, 0.3), rng.uniform(0.25, 0.38))
    b = np.where(upper, rng.uniform(0.4, 0.48), rng.uniform(0.48, 0.56))
    return [np.stack([0.5 + a * np.sin(2 * t), 0.5 - b * np.cos(t)], 1)]


def nine(rng: np.random.Generator, tail: str = "") -> list[Stroke]:
    """A closed round head, drawn from its right round to the left, and a straight stem; with `tail`
    "curl" its end curling round to the left and up, as a "g" is written, "bend" bending to the left."""
    rx, ry, t0 = rng.uniform(0.25, 0.34), rng.uniform(0.2, 0.26), rng.uniform(-0.5, 0.3)
    head = arc(0.5, ry, rx, ry, t0, t0 - TAU - rng.uniform(0.0, 0.3))
    x, y = 0.5 + rx, float(head[-1, 1]) + 0.05  # the stem's top
    if tail == "curl":
        r = rng.uniform(0.15, 0.25)
        stem = line((x, y), (x, 1 - r))
        return [np.vstack([head, stem, _arc_at(stem[-1], r, r, 0.0, PI + rng.uniform(-0.4, 0.4))])]
    if tail == "bend":
        return [np.vstack([head, _curve((x, y), (x - 0.02, rng.uniform(0.55, 0.7)), (x - rng.uniform(0.12, 0.28), 1))])]
    return [np.vstack([head, line((x, y), (x - rng.uniform(-0.05, 0.15), 1))])]


# --- all of them ----------------------------------------------------------------------------------

TEMPLATES: dict[str, tuple[int, Template]] = {
    "zero_plain": (0, zero), "zero_slashed": (0, partial(zero, mark="slash")),
    "zero_barred": (0, partial(zero, mark="bar")), "zero_open": (0, partial(zero, mark="gap")),
    "one_plain": (1, one), "one_flag": (1, partial(one, flag=(0.2, 0.4))),
    "one_flag_foot": (1, partial(one, flag=(0.3, 0.55), foot=True)),  # with a foot it is no 7: a long flag is fine
    "two_plain": (2, two), "two_looped": (2, partial(two, loop=True)),
    "three_round": (3, three), "three_flat": (3, partial(three, flat=True)),
    "four_closed": (4, four), "four_open": (4, partial(four, top="open")),
    "four_split": (4, partial(four, top="split")),
    "five_plain": (5, five),
    "six_plain": (6, six), "six_open": (6, partial(six, closed=False)),
    "seven_plain": (7, seven), "seven_crossed": (7, partial(seven, mark="cross")),
    "seven_hooked": (7, partial(seven, mark="hook")),
    "eight_loops": (8, eight), "eight_circles": (8, partial(eight, circles=True)),
    "nine_plain": (9, nine), "nine_curled": (9, partial(nine, tail="curl")),
    "nine_bent": (9, partial(nine, tail="bend")),
}  # fmt: skip


def _drawn(template: Template, rng: np.random.Generator) -> torch.Tensor:
    return torch.from_numpy((render_mnist(ink(template(rng), rng, degrees=DEGREES))[0] * 255).round().astype(np.uint8))


def draw_style(name: str, seed: int = 0) -> np.ndarray:
    """One digit in style `name` (a key of TEMPLATES) as a (28, 28) uint8 MNIST-format image."""
    if name not in TEMPLATES:
        raise ValueError(f"unknown style {name!r}; known styles: {', '.join(TEMPLATES)}")
    return _drawn(TEMPLATES[name][1], np.random.default_rng(seed)).numpy()


def template_digits(count: int, seed: int = 0) -> Split:
    """`count` digits, each 0-9 a tenth of them (in any of its styles, equally), labelled with the digit."""
    rng = np.random.default_rng(seed)
    by_digit = [[f for d, f in TEMPLATES.values() if d == digit] for digit in range(10)]
    labels = rng.permutation(np.arange(count) % 10)
    images = [_drawn(by_digit[d][int(rng.integers(len(by_digit[d])))], rng) for d in labels]
    out = torch.stack(images) if images else torch.zeros((0, 28, 28), dtype=torch.uint8)
    return Split(out, torch.from_numpy(labels).long())
