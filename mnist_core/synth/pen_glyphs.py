"""Characters of other scripts and signs, drawn in pen strokes: the no-digit drawings closest to a hand's.

The outline fonts' glyphs (negatives.glyph) are filled shapes of a font's stroke weight; people draw
a character as a line of one pen. The Hershey vector fonts (the Hershey-Fonts package, the same
strokes on every machine) are such lines: Japanese kana and kanji, Greek and Cyrillic letters, and
mathematical, astronomical, weather and map signs. They are drawn with strokes.ink (turned, slanted,
trembling, a round pen of random width) like the other drawings. Characters a person reads as a
digit (a circle, a lone line, a 6-like delta, Cyrillic Б, З and Э, a zero with a bar or slash like θ,
loops stacked like an 8, every font's own digits) are left out.

    pen_glyph(rng) -> a CANVAS-square ink mask
"""

from __future__ import annotations

import functools

import numpy as np

from .strokes import Stroke, ink

# font -> its characters (by their ASCII key in that font) that are no digit, and how often the font
# is chosen: the kana and kanji vary most
CHARACTERS: dict[str, tuple[str, float]] = {
    "japanese": ("#$%&'()*+,-./013456789:ABCDEFGHIJKLMNOPQRSTUVWXZ[\\]^_`abcdefghijklmnopqrsxyz{|}~", 4.0),
    "greek": ("ACDEFGHKLMNPSTUWXYacfhklmnptuwy", 1.5),
    "cyrillic": ("ADFGHIJKLMNPQTUWXYadfghijklmnpqtuwxy", 1.5),
    "symbolic": ("ACDEFGIJKLMNOPQRSTUWXYZ[^_`abcdfghjkno", 1.5),
    "mathlow": ("!\"#$&'*+.:;<>?@bcdefghijklnvwxz", 1.0),
    "astrology": ("!\"%&'*+-/;<=>?@", 0.5),
    "meteorology": ("\"#$&'()*+.", 0.5),
}


@functools.cache
def _strokes(font: str) -> dict[str, tuple[Stroke, ...]]:
    """The font's characters of CHARACTERS as strokes in the unit square, y down as the package gives them."""
    from HersheyFonts import HersheyFonts  # loaded on first use: nothing is read at import time

    fonts = HersheyFonts()
    fonts.load_default_font(font)

    out = {}
    for char in CHARACTERS[font][0]:
        strokes = [np.array(s, float) for s in fonts.strokes_for_text(char) if len(s)]
        every = np.concatenate(strokes)
        lo, size = every.min(0), max(float(np.ptp(every, 0).max()), 1e-6)
        out[char] = tuple((s - lo) / size for s in strokes)  # in the unit square, as strokes.ink expects
    return out


def pen_glyph(rng: np.random.Generator) -> np.ndarray:
    """One character of a random font of CHARACTERS, drawn by hand with a pen (a CANVAS-square mask)."""
    fonts = list(CHARACTERS)
    p = np.array([CHARACTERS[f][1] for f in fonts])
    font = fonts[int(rng.choice(len(fonts), p=p / p.sum()))]
    chars = _strokes(font)
    char = sorted(chars)[int(rng.integers(len(chars)))]
    return ink(list(chars[char]), rng)
