"""Drawings that are no digit, of many kinds, as 28x28 MNIST-format images for training.

A "no digit" detector trained on a few kinds of non-digits (one font's letters, turned digits)
learns those kinds and reads the rest of what people draw (doodles, other alphabets, signs) as
digits. These generators spread wide instead: scribbles, shapes and doodles drawn as pen strokes
with a tremor; letters and signs of several scripts from the fonts on the system, warped as a hand
would; and digits overlaid or struck out. Each is a pure function of a numpy Generator returning an
ink mask, rendered like every input (render.render_mnist). Shapes that people read as digits
themselves (a circle, a line, an S, a Z, an O...) are left out: refusing them would refuse digits.

    draw("star", seed=3)                    -> one (28, 28) uint8 image
    negatives(1000, seed=0, digits=mnist)   -> a Split of 1000, labelled mnist.NOT_A_DIGIT
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from ..augment import AugmentConfig, random_affine
from ..mnist import NOT_A_DIGIT, Split
from ..render import render_mnist

Stroke = np.ndarray  # (n, 2) points, x right and y down, about the unit square
CANVAS = 160  # px: drawn at this side, then fit to MNIST's 20x20 box by render_mnist
TAU = 2 * math.pi


# --- pen strokes ----------------------------------------------------------------------------------


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float = 0.0, a1: float = TAU, n: int = 40) -> Stroke:
    t = np.linspace(a0, a1, n)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def _line(*points: tuple[float, float]) -> Stroke:
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


def ink(strokes: list[Stroke], rng: np.random.Generator, tremor: float = 0.012) -> np.ndarray:
    """Strokes drawn with a round pen of random width on a CANVAS-square mask, the drawing filling it."""
    strokes = [_tremor(s, rng, rng.uniform(0, tremor)) for s in _turned(strokes, rng)]
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


def _smooth(points: np.ndarray, per_point: int = 30, window: int = 15) -> Stroke:
    """A stroke wandering smoothly through `points` (corners rounded by a moving average)."""
    t = np.linspace(0, len(points) - 1, per_point * len(points))
    xy = np.stack([np.interp(t, np.arange(len(points)), points[:, i]) for i in (0, 1)], 1)
    k = np.ones(window) / window
    pad = np.pad(xy, ((window // 2, window // 2), (0, 0)), mode="edge")
    return np.stack([np.convolve(pad[:, i], k, "valid") for i in (0, 1)], 1)


# --- scribbles ------------------------------------------------------------------------------------


def scribble(rng: np.random.Generator) -> list[Stroke]:
    """One to three smooth strokes wandering through random points."""
    return [_smooth(rng.uniform(0, 1, (int(rng.integers(5, 11)), 2))) for _ in range(int(rng.integers(1, 4)))]


def zigzag(rng: np.random.Generator) -> list[Stroke]:
    """A zigzag of 4-9 teeth (a saw, an M run on), sharp or rounded."""
    n = int(rng.integers(4, 10))
    x = np.linspace(0, 1, 2 * n + 1)
    y = np.where(np.arange(2 * n + 1) % 2 == 0, 0.0, rng.uniform(0.25, 0.6)) + rng.normal(0, 0.04, 2 * n + 1)
    s = np.stack([x, y], 1)
    return [_smooth(s, 12, 5) if rng.random() < 0.5 else s]


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
            strokes.append(_line(*(normal * o - d * 0.5), *(normal * o + d * 0.5)).reshape(2, 2))
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
            strokes.append(_line(tuple(end), tuple(end - size * np.array([c * d[0] - s * d[1], s * d[0] + c * d[1]]))))
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
    strokes = [_line((-over, y), (1 + over, y)) for y in np.linspace(0.15, 0.85, rows) + rng.normal(0, 0.03, rows)]
    return strokes + [
        _line((x, -over), (x, 1 + over)) for x in np.linspace(0.15, 0.85, cols) + rng.normal(0, 0.03, cols)
    ]


def cross(rng: np.random.Generator) -> list[Stroke]:
    """A plus, an x or an asterisk: 2-4 strokes through one centre."""
    n = int(rng.integers(2, 5))
    start = rng.uniform(0, math.pi)
    return [_line((-math.cos(a), -math.sin(a)), (math.cos(a), math.sin(a))) for a in start + np.arange(n) * math.pi / n]


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
    strokes = [_arc(0, 0, 1, rng.uniform(0.8, 1.2))]
    for x in (-0.35, 0.35):
        strokes.append(_arc(x, -0.3, 0.1, 0.1, n=12) if rng.random() < 0.5 else _line((x, -0.4), (x, -0.2)))
    smile = rng.uniform(-0.4, 0.4)
    strokes.append(np.stack([np.linspace(-0.45, 0.45, 20), 0.35 + smile * (1 - np.linspace(-1, 1, 20) ** 2)], 1))
    if rng.random() < 0.4:
        strokes += [_arc(x, 0, 0.2, 0.3, n=20) for x in (-1.15, 1.15)]
    if rng.random() < 0.3:
        strokes += [_line((x, -0.95), (x * 1.3, -1.35)) for x in np.linspace(-0.5, 0.5, int(rng.integers(3, 7)))]
    return strokes


def house(rng: np.random.Generator) -> list[Stroke]:
    """Walls, a roof, a door and sometimes a window."""
    w, h, roof = rng.uniform(0.8, 1.2), rng.uniform(0.6, 1.0), rng.uniform(0.3, 0.7)
    strokes = [_line((0, 0), (w, 0), (w, h), (0, h), (0, 0)), _line((-0.1, 0), (w / 2, -roof), (w + 0.1, 0))]
    dx = rng.uniform(0.15, w - 0.35)
    strokes.append(_line((dx, h), (dx, h * 0.5), (dx + 0.2, h * 0.5), (dx + 0.2, h)))
    if rng.random() < 0.6:
        wx = 0.1 if dx > w / 2 else w - 0.35
        strokes.append(_line((wx, 0.2), (wx + 0.25, 0.2), (wx + 0.25, 0.4), (wx, 0.4), (wx, 0.2)))
    return strokes


def sun(rng: np.random.Generator) -> list[Stroke]:
    """A disc with 6-14 rays."""
    n = int(rng.integers(6, 15))
    a = np.linspace(0, TAU, n, endpoint=False) + rng.uniform(0, 1)
    r0, r1 = rng.uniform(0.55, 0.7), rng.uniform(0.85, 1.2)
    return [_arc(0, 0, 0.45, 0.45)] + [
        _line((r0 * math.cos(t), r0 * math.sin(t)), (r1 * math.cos(t), r1 * math.sin(t))) for t in a
    ]


def flower(rng: np.random.Generator) -> list[Stroke]:
    """Petals round a centre, on a stem, sometimes with a leaf."""
    n = int(rng.integers(4, 9))
    strokes = [_arc(0, 0, 0.2, 0.2, n=16)]
    for t in np.linspace(0, TAU, n, endpoint=False):
        petal = _arc(0.45, 0, 0.25, 0.13, n=20)
        strokes.append(petal @ np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]]))
    strokes.append(_line((0, 0.7), (rng.uniform(-0.2, 0.2), 2.0)))
    if rng.random() < 0.5:
        strokes.append(_arc(0.25, 1.3, 0.25, 0.1, n=16))
    return strokes


def tree(rng: np.random.Generator) -> list[Stroke]:
    """A trunk under a crown of bumps, or a fir of stacked triangles."""
    if rng.random() < 0.5:
        levels = int(rng.integers(2, 4))
        strokes = [
            _line((-0.5 - 0.1 * i, 0.4 * i + 0.4), (0, 0.4 * i - 0.1), (0.5 + 0.1 * i, 0.4 * i + 0.4))
            for i in range(levels)
        ]
        return strokes + [
            _line((-0.1, 0.4 * levels), (-0.1, 0.4 * levels + 0.4)),
            _line((0.1, 0.4 * levels), (0.1, 0.4 * levels + 0.4)),
        ]
    return cloud(rng) + [_line((-0.15, 0.5), (-0.15, 1.5), (0.15, 1.5), (0.15, 0.5))]


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
            strokes.append(_line((cx, cy), (cx + w, cy), (cx + w, cy + h), (cx, cy + h), (cx, cy)))
        elif kind == 1:
            strokes.append(_line((cx, cy + h), (cx + w / 2, cy), (cx + w, cy + h), (cx, cy + h)))
        elif kind == 2:
            strokes.append(_arc(cx, cy, w / 2, h / 2))
        elif kind == 3:
            strokes.append(_line((cx, cy), (cx + rng.uniform(-0.6, 0.6), cy + rng.uniform(-0.6, 0.6))))
        else:
            a0 = rng.uniform(0, TAU)
            strokes.append(_arc(cx, cy, w / 2, h / 2, a0, a0 + rng.uniform(1.5, 4)))
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
            s = _smooth(np.stack([p, mid, q]), 20, 9)
        else:
            s = _line(tuple(p), tuple(q))
        if rng.random() < 0.25:
            s = np.vstack([s, s[-1] + rng.normal(0, 0.15, 2)])
        strokes.append(s)
    return strokes


# --- letters and signs of several scripts ---------------------------------------------------------
# Characters people read as digits themselves are left out (O, I, l, S, Z, B, G, b, g, q, Greek
# omicron and iota, Cyrillic Z-like and b-like letters, Hebrew vav, Arabic alef...).

SCRIPTS = {
    "latin": "ACEFHKLMNPRTUVWXYacefhkmnprtuvwxyÆŒÑÅÉÄÜñéäüæœ",
    "greek": "ΔΛΞΠΣΦΨΩΓαγεηκλμπτφχψω",
    "cyrillic": "ГДЖИЙКЛПФЦШЩЪЫЭЮЯджиклмпфцшщъыэюя",
    "hebrew": "אבגדהחטכמנעפצקרשת",
    "arabic": "بتثجحخسشصضطظعغفقكلمني",
    "armenian": "ԱԲԳԴԵԺԻԽԾԿՀՂՃՄՆՇՊՌՍՎՏՓՔ",
    "georgian": "ლმშჩხწჭქფ",
    "signs": "#$%*+=@×÷±≠≈∞√∑∏∆∇∀∃∈⊂⊃∪∩←→↑↓↔⇒⇐⇔♠♣♥♦★☆☺☻☼♪♫✓✗€£¥©®",
}
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts")
GLYPH_SIZE = 96  # px on the CANVAS


@functools.cache
def font_files() -> tuple[str, ...]:
    """The TrueType fonts installed (none is fine: Pillow's bundled font is always there)."""
    return tuple(sorted(str(p) for d in FONT_DIRS if Path(d).is_dir() for p in Path(d).rglob("*.ttf")))


@functools.cache
def _font(path: str) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=GLYPH_SIZE) if path == "" else ImageFont.truetype(path, GLYPH_SIZE)


@functools.cache
def _has_glyph(path: str, char: str) -> bool:
    """False when the font would draw its "missing glyph" box (or nothing) for `char`."""
    font = _font(path)
    missing = font.getmask("\ue000")  # a private-use code point no font here defines
    drawn = font.getmask(char)
    return drawn.size[0] > 0 and (
        drawn.size != missing.size or not np.array_equal(np.asarray(drawn), np.asarray(missing))
    )


def glyph(rng: np.random.Generator) -> np.ndarray:
    """A letter or sign of a random script in a random font having it, at a random weight, warped
    smoothly as a hand draws it (an ink mask, not strokes)."""
    chars = SCRIPTS[str(rng.choice(list(SCRIPTS)))]
    fonts = ("", *font_files())
    for _ in range(20):  # a font may lack the character; another one has it
        char, path = str(rng.choice(list(chars))), str(rng.choice(fonts))
        if _has_glyph(path, char):
            break
    else:
        char, path = "#", ""
    img = Image.new("L", (CANVAS, CANVAS))
    ImageDraw.Draw(img).text((CANVAS / 2, CANVAS / 2), char, font=_font(path), fill=255, anchor="mm",
                             stroke_width=int(rng.integers(0, 4)), stroke_fill=255)  # fmt: skip
    return _warped(np.asarray(img, np.float32) / 255, rng) > 0.5


def _warped(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A turned, slanted, scaled and smoothly wobbled copy (augment.random_affine with elastic warps)."""
    cfg = AugmentConfig(rotate_deg=20, scale=0.15, shear=0.3, translate_px=0, elastic_px=2.5, elastic_sigma=14)
    gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
    return random_affine(torch.from_numpy(img)[None, None], cfg, gen)[0, 0].numpy()


# --- digits made no digit -------------------------------------------------------------------------


def _big(digit: np.ndarray) -> np.ndarray:
    """An MNIST digit's ink as a CANVAS-square mask, its grey edges scaled up smoothly."""
    return np.asarray(Image.fromarray(digit).resize((CANVAS, CANVAS), Image.Resampling.BILINEAR)) > 100


# a second digit hidden in the first (a 3 over an 8) leaves a digit: it must add this much ink
MIN_NEW_INK = 0.4


def overlaid(rng: np.random.Generator, digits: Split) -> np.ndarray:
    """Two different digits (not 1s, which a digit crossed by a stroke resembles) written on top of
    each other, shifted by up to a fifth of their size."""
    labels = digits.labels.numpy()
    pool = np.flatnonzero((labels >= 2) | (labels == 0))
    for _ in range(10):
        a = int(rng.choice(pool))
        b = int(rng.choice(pool[labels[pool] != labels[a]]))
        shift = rng.integers(-CANVAS // 5, CANVAS // 5 + 1, 2)
        first, second = _big(digits.images[a].numpy()), np.roll(_big(digits.images[b].numpy()), tuple(shift), (0, 1))
        if (second & ~first).sum() > MIN_NEW_INK * first.sum():
            break
    both: np.ndarray = first | second
    return both


def struck(rng: np.random.Generator, digits: Split) -> np.ndarray:
    """A digit scribbled over (crossed out) with a zigzag or scribble as wide as it is."""
    d = _big(digits.images[int(rng.integers(len(digits)))].numpy())
    strokes = zigzag(rng) if rng.random() < 0.5 else scribble(rng)
    mark = ink(strokes, rng)
    crossed: np.ndarray = d | mark
    return crossed


# --- all of them ----------------------------------------------------------------------------------

StrokeMaker = Callable[[np.random.Generator], list[Stroke]]
_DRAWN = (scribble, zigzag, loops, hatching, star, arrow, spiral, heart, grid, cross, polygon, face, house, sun, flower,
          tree, cloud, waves, doodle, pseudo_glyph)  # fmt: skip
STROKES: dict[str, StrokeMaker] = {f.__name__: f for f in _DRAWN}
FROM_DIGITS: dict[str, Callable[[np.random.Generator, Split], np.ndarray]] = {"overlaid": overlaid, "struck": struck}
GENERATORS: tuple[str, ...] = (*STROKES, "glyph", *FROM_DIGITS)
# how often each kind is drawn, against 1 for the rest: scripts and doodles vary most. Made-up glyphs
# are often a digit's strokes (a 4, a 7), and overlaid or struck-out digits look like messy real
# ones: a detector trained on more of them held back more real digits (docs/not_digit_tradeoff.md)
WEIGHTS = {"glyph": 6.0, "doodle": 2.0, "pseudo_glyph": 0.5, "scribble": 1.5, "overlaid": 0.0, "struck": 0.0}


def mask(kind: str, rng: np.random.Generator, digits: Split | None = None) -> np.ndarray:
    """One drawing of `kind` (one of GENERATORS) as a CANVAS-square ink mask."""
    if kind in STROKES:
        return ink(STROKES[kind](rng), rng)
    if kind == "glyph":
        return glyph(rng)
    if kind in FROM_DIGITS:
        if digits is None or len(digits) == 0:
            raise ValueError(f"{kind!r} drawings are made from digits: pass some")
        return FROM_DIGITS[kind](rng, digits)
    raise ValueError(f"unknown kind {kind!r}; known kinds: {', '.join(GENERATORS)}")


def _render(m: np.ndarray) -> torch.Tensor:
    return torch.from_numpy((render_mnist(m)[0] * 255).round().astype(np.uint8))


def draw(kind: str, seed: int = 0, digits: Split | None = None) -> np.ndarray:
    """One drawing of `kind` as a (28, 28) uint8 MNIST-format image (white ink on black)."""
    return _render(mask(kind, np.random.default_rng(seed), digits)).numpy()


def negatives(count: int, seed: int = 0, digits: Split | None = None) -> Split:
    """`count` drawings of every kind (by WEIGHTS; those made from digits only given `digits`),
    rendered like every input, labelled NOT_A_DIGIT."""
    rng = np.random.default_rng(seed)
    kinds = [k for k in GENERATORS if k not in FROM_DIGITS or (digits is not None and len(digits))]
    p = np.array([WEIGHTS.get(k, 1.0) for k in kinds])
    images = []
    for kind in rng.choice(kinds, size=count, p=p / p.sum()):
        m = mask(str(kind), rng, digits)
        if m.any():
            images.append(_render(m))
    out = torch.stack(images) if images else torch.zeros((0, 28, 28), dtype=torch.uint8)
    return Split(out, torch.full((len(out),), NOT_A_DIGIT, dtype=torch.long))
