"""Drawings that are no digit, of many kinds, as 28x28 MNIST-format images for training.

A "no digit" detector trained on a few kinds of non-digits (one font's letters, turned digits)
learns those kinds and reads the rest of what people draw (doodles, other alphabets, signs) as
digits. These generators spread wide instead: scribbles, shapes and doodles drawn as pen strokes
with a tremor (drawings.py, strokes.py); letters and signs of several scripts from the fonts on the
system, warped as a hand would; and digits overlaid or struck out. Each is a pure function of a
numpy Generator returning an ink mask, rendered like every input (render.render_mnist). Shapes that
people read as digits themselves (a circle, a line, an S, a Z, an O...) are left out: refusing them
would refuse digits.

    draw("star", seed=3)                    -> one (28, 28) uint8 image
    negatives(1000, seed=0, digits=mnist)   -> a Split of 1000, labelled mnist.NOT_A_DIGIT
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from ..augment import AugmentConfig, random_affine
from ..mnist import NOT_A_DIGIT, Split
from ..render import render_mnist
from .drawings import KINDS, scribble, zigzag
from .pen_glyphs import pen_glyph
from .strokes import CANVAS, Stroke, ink

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
STROKES: dict[str, StrokeMaker] = {f.__name__: f for f in KINDS}
FROM_DIGITS: dict[str, Callable[[np.random.Generator, Split], np.ndarray]] = {"overlaid": overlaid, "struck": struck}
GENERATORS: tuple[str, ...] = (*STROKES, "glyph", "pen_glyph", *FROM_DIGITS)
# how often each kind is drawn, against 1 for the rest: scripts and doodles vary most. Made-up glyphs
# are often a digit's strokes (a 4, a 7), and overlaid or struck-out digits look like messy real
# ones: a detector trained on more of them held back more real digits (docs/not_digit_tradeoff.md).
# Pen-drawn characters are off: a detector trained with them did no better, and the weights stay as shipped.
WEIGHTS = {"glyph": 6.0, "pen_glyph": 0.0, "doodle": 2.0, "pseudo_glyph": 0.5, "scribble": 1.5, "overlaid": 0.0,
           "struck": 0.0}  # fmt: skip


def mask(kind: str, rng: np.random.Generator, digits: Split | None = None) -> np.ndarray:
    """One drawing of `kind` (one of GENERATORS) as a CANVAS-square ink mask."""
    if kind in STROKES:
        return ink(STROKES[kind](rng), rng)
    if kind == "glyph":
        return glyph(rng)
    if kind == "pen_glyph":
        return pen_glyph(rng)
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
