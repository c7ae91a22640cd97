"""The same handwriting with another pen or hand: thin or thick strokes, slanted, shaky.

Issue 31 names these as styles people draw with (a fine pen or a marker, a slanted hand, a mouse on
a trackpad). Each variant redraws an ink image (ink > 0 on 0, any size) and returns it as an upload
would come, dark ink on white paper, so it is read through the one preprocessing path: the bench's
pen sets redraw the dev canvas's writers this way (devsets.as_pens).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.morphology import skeletonize

from ..ink import stroke_width
from ..segment import bounding_box
from .common import unit_ink

INKED = 0.5  # share of the strongest ink that counts as stroke
# Pen widths as shares of the digit's height: a fine pen (never under MIN_WIDTH pixels) and a marker.
THIN, THICK, MIN_WIDTH = 0.03, 0.2, 1.5
SLANT = 0.4  # shear: the top moves this share of the height sideways against the bottom
# A shaky hand: the strokes displaced smoothly by this share of the height (standard deviation),
# the wobble at least SHAKE_SCALE of the height or two stroke widths long.
SHAKE, SHAKE_SCALE = 0.02, 0.05
VARIANTS = ("thin", "thick", "slant_right", "slant_left", "shaky")


def restroke(ink: np.ndarray, width: float) -> np.ndarray:
    """The strokes redrawn along their centre lines with a round pen `width` pixels wide (anti-aliased
    edges): a fine pen or a marker following the same path. Float ink in [0, 1] with a margin."""
    mask = _padded(ink, int(np.ceil(width)) + 2) >= INKED
    centre = skeletonize(mask)
    if not centre.any():  # a dot
        centre = mask
    distance: np.ndarray = ndimage.distance_transform_edt(~centre)
    return np.clip(width / 2 + 0.5 - distance, 0, 1).astype(np.float32)


def shear(ink: np.ndarray, slant: float) -> np.ndarray:
    """The ink slanted: rows above the centre moved right by `slant` x their height above it
    (negative: left), as a hand that leans its writing. Float ink with a margin."""
    ink = _padded(ink, 2)
    h = ink.shape[0]
    pad = int(np.ceil(abs(slant) * h / 2)) + 1
    ink = np.pad(ink, ((0, 0), (pad, pad)))
    # affine_transform maps output (row, col) to input (row, col + slant * (row - centre))
    matrix = np.array([[1.0, 0.0], [slant, 1.0]])
    out: np.ndarray = ndimage.affine_transform(ink, matrix, offset=(0.0, -slant * h / 2), order=1)
    return out.astype(np.float32)


def shake(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The ink displaced by a smooth random field: the wobbly lines of a mouse on a trackpad. The
    displacement's size is SHAKE of the digit's height, its wavelength set by SHAKE_SCALE and the
    stroke width, so strokes wander without breaking. Float ink with a margin."""
    height = _height(ink)
    ink = _padded(ink, int(np.ceil(4 * SHAKE * height)) + 2)
    sigma = max(2 * stroke_width(ink >= INKED), SHAKE_SCALE * height)
    field = []
    for _ in range(2):
        f = ndimage.gaussian_filter(rng.standard_normal(ink.shape), sigma)
        field.append(f * (SHAKE * height / max(float(f.std()), 1e-9)))
    rows, cols = np.indices(ink.shape, dtype=np.float64)
    out: np.ndarray = ndimage.map_coordinates(ink, [rows + field[0], cols + field[1]], order=1)
    return out.astype(np.float32)


def redraw(ink: np.ndarray, variant: str, rng: np.random.Generator) -> np.ndarray:
    """An ink image (ink > 0 on 0) in one of VARIANTS -> uint8 image, dark ink on white paper.
    ValueError for an unknown variant or an image without ink."""
    ink = unit_ink(ink, "redraw")
    if variant == "thin":
        out = restroke(ink, max(MIN_WIDTH, THIN * _height(ink)))
    elif variant == "thick":
        out = restroke(ink, THICK * _height(ink))
    elif variant in ("slant_right", "slant_left"):
        out = shear(ink, SLANT if variant == "slant_right" else -SLANT)
    elif variant == "shaky":
        out = shake(ink, rng)
    else:
        raise ValueError(f"unknown pen variant {variant!r}; one of {', '.join(VARIANTS)}")
    image: np.ndarray = np.round(255 * (1 - np.clip(out, 0, 1))).astype(np.uint8)
    return image


def _height(ink: np.ndarray) -> float:
    box = bounding_box(ink >= INKED)
    return float(box[0].stop - box[0].start) if box is not None else float(ink.shape[0])


def _padded(ink: np.ndarray, margin: int) -> np.ndarray:
    return np.pad(np.asarray(ink, np.float32), margin)
