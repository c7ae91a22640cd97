"""Letters and signs in Pillow's bundled font: NOT_A_DIGIT examples."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..mnist import Split
from .common import not_digits

# Letters and signs: the commonest non-digits, many made of a digit's strokes (an A, a P, an h). Left out:
# those people read as digits themselves (O, I, l, S, Z, B, D, G, g, q, b, &...).
LETTERS = "ACEFHKLMNPRTUVWXYacefhkmnprtuvwxy" + "#%@?+=<>*~"


def letters(count: int, seed: int = 0, symbols: str = LETTERS) -> Split:
    """`count` glyphs of `symbols` in Pillow's bundled font, rendered like every other input,
    labelled NOT_A_DIGIT."""
    rng = np.random.default_rng(seed)
    fonts = {size: ImageFont.load_default(size=size) for size in (40, 52, 64)}
    masks = []
    for symbol in rng.choice(list(symbols), size=count):
        img = Image.new("L", (112, 112))
        ImageDraw.Draw(img).text((56, 56), str(symbol), font=fonts[int(rng.choice(list(fonts)))], fill=255,
                                 anchor="mm", stroke_width=int(rng.integers(0, 4)), stroke_fill=255)  # fmt: skip
        img = img.rotate(float(rng.uniform(-20, 20)), Image.Resampling.BILINEAR)
        masks.append(np.asarray(img) > 127)
    return not_digits([m for m in masks if m.any()])
