"""Digits 0-9 from the Hershey vector fonts, drawn with a pen as a hand would.

A font's digit is its strokes (a centre line, not an outline), so `strokes.ink` can draw it like the
templates' digits: turned a little, with a tremor and a round pen of random width, then fit by
render.render_mnist like every input. Typeset shapes (serifs, a 1's flag and foot, italics) are
styles of handwriting that MNIST has few of.

    font_digits(1000, seed=0)  -> a Split of 1000, each digit a tenth of them, fonts at random
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from ..mnist import Split
from ..render import render_mnist
from .strokes import Stroke, ink
from .templates import DEGREES

# One font of each design of digits among the Hershey package's 32, the others drawing the same digits
# (cursive, greek, rowmans... futural's; cyrillic, timesg... timesr's; scripts, scriptc timesi's; astrology
# timesib's; rowmand futuram's; timesrb rowmant's). japanese, markers and symbolic have no digits; the
# gothic fonts' blackletter 6 and 9 look like a G and a g at 28x28, and the default reads them so.
FONTS: tuple[str, ...] = ("futural", "futuram", "rowmant", "timesr", "timesi", "timesib")


@functools.cache
def font_strokes(font: str) -> tuple[tuple[Stroke, ...], ...]:
    """The strokes of `font`'s digits 0-9, about the unit square (x right, y down)."""
    from HersheyFonts import HersheyFonts  # only the font digits need it

    if font not in FONTS:
        raise ValueError(f"unknown font {font!r}; known fonts: {', '.join(FONTS)}")
    hershey = HersheyFonts()
    hershey.load_default_font(font)
    # unscaled, the package gives the fonts' own coordinates: y down, capitals 21 units high
    height = float(hershey.render_options["base_line"] - hershey.render_options["cap_line"])
    digits = []
    for d in "0123456789":
        strokes = [np.array(s, float) / height for s in hershey.strokes_for_text(d)]
        for s in strokes:
            s.setflags(write=False)  # cached: shared by every caller
        digits.append(tuple(s for s in strokes if len(s)))
    return tuple(digits)


def font_digit(font: str, digit: int, rng: np.random.Generator) -> torch.Tensor:
    """`digit` in `font`, inked and rendered as a (28, 28) uint8 MNIST-format image."""
    if digit not in range(10):
        raise ValueError(f"a digit is 0-9, not {digit!r}")
    mask = ink(list(font_strokes(font)[digit]), rng, degrees=DEGREES)
    return torch.from_numpy((render_mnist(mask)[0] * 255).round().astype(np.uint8))


def font_digits(count: int, seed: int = 0) -> Split:
    """`count` digits, each 0-9 a tenth of them, in fonts drawn at random, labelled with the digit."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(count) % 10)
    images = [font_digit(str(rng.choice(FONTS)), int(d), rng) for d in labels]
    out = torch.stack(images) if images else torch.zeros((0, 28, 28), dtype=torch.uint8)
    return Split(out, torch.from_numpy(labels).long())
