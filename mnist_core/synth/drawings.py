"""The non-digits drawn in pen strokes: scribbles, shapes, doodles and made-up glyphs.

Each kind is a pure function of a numpy Generator returning strokes (strokes.py); negatives.py inks,
renders and catalogues them. Shapes people read as digits (a circle, an S, a Z...) are left out.
"""

from __future__ import annotations

import math

import numpy as np

from .strokes import TAU, Stroke, arc, line, smooth

# --- scribbles ------------------------------------------------------------------------------------


def scribble(rng: np.random.Generator) -> list[Stroke]:
    """One to three smooth strokes wandering through random points."""
    return [smooth(rng.uniform(0, 1, (int(rng.integers(5, 11)), 2))) for _ in range(int(rng.integers(1, 4)))]


def zigzag(rng: np.random.Generator) -> list[Stroke]:
    """A zigzag of 4-9 teeth (a saw, an M run on), sharp or rounded."""
    n = int(rng.integers(4, 10))
    x = np.linspace(0, 1, 2 * n + 1)
    y = np.where(np.arange(2 * n + 1) % 2 == 0, 0.0, rng.uniform(0.25, 0.6)) + rng.normal(0, 0.04, 2 * n + 1)
    s = np.stack([x, y], 1)
    return [smooth(s, 12, 5) if rng.random() < 0.5 else s]


def loops(rng: np.random.Generator) -> list[Stroke]:
    """A row of 3-6 cursive loops, as in "eeee" or "llll"."""
    n, r = int(rng.integers(3, 7)), rng.uniform(0.12, 0.3)
    t = np.linspace(0, n * TAU, 60 * n)
    return [
        np.stack([t / TAU * rng.uniform(0.2, 0.4) - r * np.sin(t), -r * (1 - np.cos(t)) * rng.uniform(1.0, 2.0)], 1)
    ]


def hatching(rng: np.random.Generator) -> list[Stroke]:
    """3-7 parallel strokes, sometimes crossed by a second set."""
    strokes = []
    for angle in rng.uniform(0, math.pi, int(rng.integers(1, 3))):
        d, n = np.array([math.cos(angle), math.sin(angle)]), int(rng.integers(3, 8))
        normal = np.array([-d[1], d[0]])
        for o in np.linspace(-0.5, 0.5, n):
            strokes.append(line(*(normal * o - d * 0.5), *(normal * o + d * 0.5)).reshape(2, 2))
    return strokes


# --- shapes ---------------------------------------------------------------------------------------


def star(rng: np.random.Generator) -> list[Stroke]:
    """A 5-8 pointed star outline, or a pentagram drawn in one stroke."""
    n = int(rng.integers(5, 9))
    a = np.linspace(0, TAU, 2 * n + 1) - math.pi / 2
    if rng.random() < 0.3:  # every second point of five, in one stroke
        t = np.arange(6) * 2 * TAU / 5 - math.pi / 2
        return [np.stack([np.cos(t), np.sin(t)], 1)]
    r = np.where(np.arange(2 * n + 1) % 2 == 0, 1.0, rng.uniform(0.35, 0.6))
    return [np.stack([r * np.cos(a), r * np.sin(a)], 1)]


def arrow(rng: np.random.Generator) -> list[Stroke]:
    """An arrow, straight or curved, one or two heads, pointing anywhere."""
    bend = rng.uniform(-0.3, 0.3) if rng.random() < 0.4 else 0.0
    t = np.linspace(0, 1, 30)
    shaft = np.stack([t, bend * np.sin(t * math.pi)], 1)
    strokes = [shaft]
    for end, back in ((shaft[-1], shaft[-4]), (shaft[0], shaft[3]))[: 1 + int(rng.random() < 0.25)]:
        d = (end - back) / np.linalg.norm(end - back)
        size, spread = rng.uniform(0.2, 0.4), rng.uniform(0.4, 0.9)
        for sign in (1, -1):
            c, s = math.cos(sign * spread), math.sin(sign * spread)
            strokes.append(line(tuple(end), tuple(end - size * np.array([c * d[0] - s * d[1], s * d[0] + c * d[1]]))))
    turn = rng.uniform(0.6, math.pi - 0.6) + math.pi * rng.integers(2)  # never upright: an upright arrow is a 1's flag
    m = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    return [s @ m.T for s in strokes]


def spiral(rng: np.random.Generator) -> list[Stroke]:
    """An Archimedean spiral of 1.5-4 turns, either way round."""
    t = np.linspace(0, rng.uniform(1.5, 4) * TAU, 200)
    r = t / t[-1]
    return [np.stack([r * np.cos(t), r * np.sin(t) * (1 if rng.random() < 0.5 else -1)], 1)]


def heart(rng: np.random.Generator) -> list[Stroke]:
    """A heart, pointed at the bottom."""
    t = np.linspace(0, TAU, 80)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return [np.stack([x, y * rng.uniform(0.8, 1.15)], 1) / 16]


def grid(rng: np.random.Generator) -> list[Stroke]:
    """2-4 lines across and 2-4 down: a hash, a noughts-and-crosses board, a ladder, a table."""
    rows, cols = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    over = rng.uniform(0, 0.2)  # lines may run past the outermost ones
    strokes = [line((-over, y), (1 + over, y)) for y in np.linspace(0.15, 0.85, rows) + rng.normal(0, 0.03, rows)]
    return strokes + [
        line((x, -over), (x, 1 + over)) for x in np.linspace(0.15, 0.85, cols) + rng.normal(0, 0.03, cols)
    ]


def cross(rng: np.random.Generator) -> list[Stroke]:
    """A plus, an x or an asterisk: 2-4 strokes through one centre."""
    n = int(rng.integers(2, 5))
    start = rng.uniform(0, math.pi)
    return [line((-math.cos(a), -math.sin(a)), (math.cos(a), math.sin(a))) for a in start + np.arange(n) * math.pi / n]


def polygon(rng: np.random.Generator) -> list[Stroke]:
    """A triangle, square, diamond, pentagon or hexagon, sometimes with diagonals or one inside another."""
    n = int(rng.integers(3, 7))
    a = np.linspace(0, TAU, n + 1) + rng.uniform(0, TAU)
    outline = np.stack([np.cos(a), np.sin(a)], 1)
    strokes = [outline]
    if rng.random() < 0.3:
        strokes.append(outline * rng.uniform(0.4, 0.7))
    if rng.random() < 0.3:
        strokes.append(outline[[0, n // 2]])
    return strokes


# --- doodles --------------------------------------------------------------------------------------


def face(rng: np.random.Generator) -> list[Stroke]:
    """A head with two eyes and a mouth (smiling or not), sometimes ears or hair."""
    strokes = [arc(0, 0, 1, rng.uniform(0.8, 1.2))]
    for x in (-0.35, 0.35):
        strokes.append(arc(x, -0.3, 0.1, 0.1, n=12) if rng.random() < 0.5 else line((x, -0.4), (x, -0.2)))
    smile = rng.uniform(-0.4, 0.4)
    strokes.append(np.stack([np.linspace(-0.45, 0.45, 20), 0.35 + smile * (1 - np.linspace(-1, 1, 20) ** 2)], 1))
    if rng.random() < 0.4:
        strokes += [arc(x, 0, 0.2, 0.3, n=20) for x in (-1.15, 1.15)]
    if rng.random() < 0.3:
        strokes += [line((x, -0.95), (x * 1.3, -1.35)) for x in np.linspace(-0.5, 0.5, int(rng.integers(3, 7)))]
    return strokes


def house(rng: np.random.Generator) -> list[Stroke]:
    """Walls, a roof, a door and sometimes a window."""
    w, h, roof = rng.uniform(0.8, 1.2), rng.uniform(0.6, 1.0), rng.uniform(0.3, 0.7)
    strokes = [line((0, 0), (w, 0), (w, h), (0, h), (0, 0)), line((-0.1, 0), (w / 2, -roof), (w + 0.1, 0))]
    dx = rng.uniform(0.15, w - 0.35)
    strokes.append(line((dx, h), (dx, h * 0.5), (dx + 0.2, h * 0.5), (dx + 0.2, h)))
    if rng.random() < 0.6:
        wx = 0.1 if dx > w / 2 else w - 0.35
        strokes.append(line((wx, 0.2), (wx + 0.25, 0.2), (wx + 0.25, 0.4), (wx, 0.4), (wx, 0.2)))
    return strokes


def sun(rng: np.random.Generator) -> list[Stroke]:
    """A disc with 6-14 rays."""
    n = int(rng.integers(6, 15))
    a = np.linspace(0, TAU, n, endpoint=False) + rng.uniform(0, 1)
    r0, r1 = rng.uniform(0.55, 0.7), rng.uniform(0.85, 1.2)
    return [arc(0, 0, 0.45, 0.45)] + [
        line((r0 * math.cos(t), r0 * math.sin(t)), (r1 * math.cos(t), r1 * math.sin(t))) for t in a
    ]


def flower(rng: np.random.Generator) -> list[Stroke]:
    """Petals round a centre, on a stem, sometimes with a leaf."""
    n = int(rng.integers(4, 9))
    strokes = [arc(0, 0, 0.2, 0.2, n=16)]
    for t in np.linspace(0, TAU, n, endpoint=False):
        petal = arc(0.45, 0, 0.25, 0.13, n=20)
        strokes.append(petal @ np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]]))
    strokes.append(line((0, 0.7), (rng.uniform(-0.2, 0.2), 2.0)))
    if rng.random() < 0.5:
        strokes.append(arc(0.25, 1.3, 0.25, 0.1, n=16))
    return strokes


def tree(rng: np.random.Generator) -> list[Stroke]:
    """A trunk under a crown of bumps, or a fir of stacked triangles."""
    if rng.random() < 0.5:
        levels = int(rng.integers(2, 4))
        strokes = [
            line((-0.5 - 0.1 * i, 0.4 * i + 0.4), (0, 0.4 * i - 0.1), (0.5 + 0.1 * i, 0.4 * i + 0.4))
            for i in range(levels)
        ]
        return strokes + [
            line((-0.1, 0.4 * levels), (-0.1, 0.4 * levels + 0.4)),
            line((0.1, 0.4 * levels), (0.1, 0.4 * levels + 0.4)),
        ]
    return cloud(rng) + [line((-0.15, 0.5), (-0.15, 1.5), (0.15, 1.5), (0.15, 0.5))]


def cloud(rng: np.random.Generator) -> list[Stroke]:
    """A closed outline of 5-9 bumps."""
    n = int(rng.integers(5, 10))
    t = np.linspace(0, TAU, 40 * n)
    r = 1 + rng.uniform(0.12, 0.25) * np.abs(np.sin(n * t / 2))
    return [np.stack([r * np.cos(t) * 1.4, r * np.sin(t) * 0.8], 1)]


def waves(rng: np.random.Generator) -> list[Stroke]:
    """2-4 parallel waves (water, hair, a flag's stripes)."""
    t = np.linspace(0, 1, 80)
    f, a = rng.uniform(1.5, 4), rng.uniform(0.04, 0.12)
    return [np.stack([t, y + a * np.sin(TAU * f * t)], 1) for y in np.linspace(0, 0.6, int(rng.integers(2, 5)))]


def doodle(rng: np.random.Generator) -> list[Stroke]:
    """3-6 simple parts scattered and overlapping: boxes, triangles, ellipses, lines, arcs (a
    stand-in for the objects people doodle, of which no list is ever complete)."""
    strokes = []
    for _ in range(int(rng.integers(3, 7))):
        cx, cy, w, h = *rng.uniform(0, 1, 2), *rng.uniform(0.15, 0.6, 2)
        kind = rng.integers(5)
        if kind == 0:
            strokes.append(line((cx, cy), (cx + w, cy), (cx + w, cy + h), (cx, cy + h), (cx, cy)))
        elif kind == 1:
            strokes.append(line((cx, cy + h), (cx + w / 2, cy), (cx + w, cy + h), (cx, cy + h)))
        elif kind == 2:
            strokes.append(arc(cx, cy, w / 2, h / 2))
        elif kind == 3:
            strokes.append(line((cx, cy), (cx + rng.uniform(-0.6, 0.6), cy + rng.uniform(-0.6, 0.6))))
        else:
            a0 = rng.uniform(0, TAU)
            strokes.append(arc(cx, cy, w / 2, h / 2, a0, a0 + rng.uniform(1.5, 4)))
    return strokes


def pseudo_glyph(rng: np.random.Generator) -> list[Stroke]:
    """A character of a made-up script: 3-5 straight or bent strokes between points of a 3x3 grid,
    some with a hook (as katakana, runes or ideographs' parts are built)."""
    nodes = np.array([(x, y) for y in (0, 0.5, 1) for x in (0, 0.5, 1)], float)
    strokes = []
    for _ in range(int(rng.integers(3, 6))):
        a, b = rng.choice(9, 2, replace=False)
        p, q = nodes[a] + rng.normal(0, 0.08, 2), nodes[b] + rng.normal(0, 0.08, 2)
        if rng.random() < 0.4:  # bent: through a point off the straight line
            mid = (p + q) / 2 + rng.normal(0, 0.2, 2)
            s = smooth(np.stack([p, mid, q]), 20, 9)
        else:
            s = line(tuple(p), tuple(q))
        if rng.random() < 0.25:
            s = np.vstack([s, s[-1] + rng.normal(0, 0.15, 2)])
        strokes.append(s)
    return strokes


# every kind above, in the order negatives.GENERATORS lists them
KINDS = (scribble, zigzag, loops, hatching, star, arrow, spiral, heart, grid, cross, polygon, face, house, sun, flower,
         tree, cloud, waves, doodle, pseudo_glyph)  # fmt: skip
