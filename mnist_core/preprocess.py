"""Any image -> the 28x28 MNIST-format digit the models were trained on.

This is the one preprocessing path: prediction, evaluation, the CLI and the app all call
`preprocess` (or `to_mnist` for the picture), and training uses `normalize` from here.

It follows how MNIST itself was made (LeCun et al.): find the ink, crop it, scale it to fit
a 20x20 box keeping the aspect ratio with anti-aliasing, and centre it by its centre of mass
in a 28x28 frame. Real inputs need more than the scans MNIST came from, so before that:

- a transparent layer's ink is what is painted on it (sketchpad strokes live only in alpha),
- polarity is detected (dark ink on light paper, or light on dark),
- uneven lighting is flattened by dividing by a local paper estimate (phone photos),
- a robust threshold and a choice of connected components (`segment`) find the digits and drop
  specks, ruling lines and table edges that touch the border; a number is split into its digits,
  each rendered on its own,
- stroke width is brought into MNIST's range (a thin pen on a big canvas would vanish at 20 px),
- a small image is a scan (other collections, MNIST itself): enlarged smoothly, evenly lit, given
  a margin, and drawn from its own grey levels.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

from .errors import InputError, NoInkError
from .segment import MIN_CONTRAST, bounding_box, digit_masks

# MNIST training-set statistics of [0, 1] pixels; defined here once for training and prediction.
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081

MAX_PIXELS = 40_000_000  # about the largest phone photo; bigger is refused before decoding
# long side of the working image: larger reads no better and costs more (bench/real_handwriting.py)
WORK_SIDE = 192
# Smaller images (scans of single digits, such as MNIST's own 28x28) are enlarged smoothly to at
# least this, so the threshold follows their grey edges, not their pixel blocks.
MIN_SIDE = 128  # at least the render scale (RENDER_SIDE): a mask is never enlarged as blocks
SCAN_MARGIN = 0.2  # ... and given this much empty margin (of the long side): their digit may fill the frame
FIT_BOX = 20  # MNIST's digits fit a 20x20 box
RENDER_SIDE = 4 * FIT_BOX  # stroke width is adjusted at 4x the final scale, then box-averaged down
# MNIST's median stroke width at the 20 px scale (stroke_width of the mask > 0.5; tests/test_preprocess.py
# checks it). Inputs are brought into STROKE_RANGE x this, MNIST's own 10th-90th percentile range.
MNIST_STROKE = 2.7
STROKE_RANGE = (0.8, 1.35)

ImageSource = str | os.PathLike | bytes | Image.Image | np.ndarray


# --- decoding -------------------------------------------------------------------------------------


def load_image(source: ImageSource, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Open a path, bytes or PIL image; EXIF orientation applied; refuse bombs before decoding them."""
    if isinstance(source, Image.Image):
        img = source
    else:
        if isinstance(source, (bytes, bytearray)):
            fp, name = io.BytesIO(source), "the uploaded data"
        elif isinstance(source, (str, os.PathLike)):
            path = Path(source)
            if not path.is_file():
                raise InputError(f"{source}: no such file")
            fp, name = path, str(source)
        else:
            raise InputError(f"cannot read an image from a {type(source).__name__}")
        try:
            # Image.open reads only the header, so the size check below happens before any pixel is decoded.
            img = Image.open(fp)
        except UnidentifiedImageError:
            raise InputError(f"{name} is not an image file this program can read") from None
        except Image.DecompressionBombError:
            raise InputError(f"{name} is too large: over {max_pixels // 1_000_000} megapixels") from None
        except OSError as exc:
            raise InputError(f"{name} could not be read: {exc}") from None
    w, h = img.size
    if w < 1 or h < 1:
        raise InputError("the image is empty (0 pixels)")
    if w * h > max_pixels:
        raise InputError(f"the image is too large: {w}x{h} pixels is over {max_pixels // 1_000_000} megapixels")
    try:
        # JPEG can decode straight at 1/2, 1/4 or 1/8 scale, skipping most of a big photo's cost.
        scale = max(w, h) // (2 * WORK_SIDE)
        if scale >= 2:
            img.draft(img.mode, (w // scale, h // scale))
        img.load()
        # turned as the EXIF orientation says; in place when we opened the image (a copy into new memory
        # costs about as much as decoding), never in the caller's image
        turned = ImageOps.exif_transpose(img, in_place=img is not source)
        img = turned if turned is not None else img
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise InputError(f"the image data is corrupt or truncated ({exc})") from None
    # the size before drafting, turned as the picture was: digit boxes are reported in these pixels
    known = source.info.get("full_size") if isinstance(source, Image.Image) else None  # decoded here before
    img.info["full_size"] = known or ((w, h) if (img.width >= img.height) == (w >= h) else (h, w))
    return img


def _pil_to_gray_alpha(img: Image.Image) -> tuple[np.ndarray, np.ndarray | None, float]:
    """Grey in [0, 1] and alpha in [0, 1] (or None), about WORK_SIDE on the long side, and the
    input's pixels per working pixel."""
    full_width = img.info.get("full_size", img.size)[0]
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float32)
        img = Image.fromarray(_rescale(arr)).convert("L") if arr.size else img
    has_alpha = img.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (img.mode == "P" and "transparency" in img.info)
    if has_alpha and img.mode not in ("RGBA", "LA"):
        img = img.convert("RGBA")
    if max(img.size) < MIN_SIDE:
        if img.mode not in ("L", "LA", "RGB", "RGBA"):
            img = img.convert("L")
        up = -(-MIN_SIDE // max(img.size))
        img = img.resize((img.width * up, img.height * up), Image.Resampling.BICUBIC)
    # grey and alpha as single-channel images, then an integer box reduction to about WORK_SIDE:
    # cheaper than converting or resizing the full-size multi-channel image
    factor = max(1, round(max(img.size) / WORK_SIDE))

    def reduced(channel: Image.Image) -> np.ndarray:
        return np.asarray(channel.reduce(factor) if factor > 1 else channel, dtype=np.float32) / 255.0

    alpha = reduced(img.getchannel("A")) if has_alpha else None
    painted = bounding_box(alpha > 0) if _is_layer(alpha) else None
    if painted is None:
        gray = reduced(img.convert("L"))  # convert handles 1, P, CMYK...
    else:  # strokes on transparency: a fully transparent block's grey never shows, so only the
        # painted blocks are converted (the same blocks, so the same values as converting it all)
        rows, cols = painted
        x1, y1 = min(cols.stop * factor, img.width), min(rows.stop * factor, img.height)
        gray = np.zeros_like(alpha)
        gray[painted] = reduced(img.crop((cols.start * factor, rows.start * factor, x1, y1)).convert("L"))
    return gray, alpha, full_width / gray.shape[1]


def _rescale(arr: np.ndarray) -> np.ndarray:
    """Any finite array -> uint8 0..255 with its own range (used for 16/32-bit and float data)."""
    lo, hi = float(arr.min()) / 2, float(arr.max()) / 2  # halves: hi - lo cannot overflow even at +-1e308
    if hi - lo < 1e-12:
        return np.zeros(arr.shape, np.uint8)
    return ((arr.astype(np.float64) / 2 - lo) * (255.0 / (hi - lo))).astype(np.uint8)


def _array_to_gray_alpha(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, float]:
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise InputError(f"an image array must be numeric, not {arr.dtype}")
    if np.iscomplexobj(arr):
        raise InputError("an image array cannot be complex")
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[-1] not in (2, 3, 4)):
        raise InputError(f"an image array must be HxW, HxWx1, HxWx3 or HxWx4, not {arr.shape}")
    if arr.size == 0:
        raise InputError("the image is empty (0 pixels)")
    if arr.shape[0] * arr.shape[1] > MAX_PIXELS:
        raise InputError(f"the image is too large: over {MAX_PIXELS // 1_000_000} megapixels")
    if arr.dtype == np.uint8:  # what Gradio hands over: L, LA, RGB or RGBA as it is, with no float copy
        return _pil_to_gray_alpha(Image.fromarray(arr))
    if arr.dtype == bool:
        f = arr.astype(np.float32)
    elif arr.dtype == np.uint16:
        f = arr.astype(np.float32) / 65535.0
    else:
        f = arr.astype(np.float64)
        if not np.isfinite(f).all():
            raise InputError("the image array holds NaN or infinite values")
        if f.min() < 0 or f.max() > 1:  # not a [0, 1] image: scale by its own range
            f = _rescale(f).astype(np.float32) / 255.0
        f = f.astype(np.float32)
    alpha = None
    if f.ndim == 3:
        if f.shape[-1] in (2, 4):
            alpha = f[..., -1]
        gray = f[..., 0] if f.shape[-1] == 2 else f[..., :3] @ np.float32([0.299, 0.587, 0.114])
    else:
        gray = f
    img = Image.fromarray((np.clip(gray, 0, 1) * 255).astype(np.uint8))
    if alpha is not None:
        img = Image.merge("LA", (img, Image.fromarray((alpha * 255).astype(np.uint8))))
    return _pil_to_gray_alpha(img)


def gray_alpha(source: ImageSource) -> tuple[np.ndarray, np.ndarray | None, float]:
    """Decode any supported source to grey (and alpha) float arrays at working resolution, and the
    input's pixels per working pixel."""
    if isinstance(source, np.ndarray):
        return _array_to_gray_alpha(source)
    return _pil_to_gray_alpha(load_image(source))


# --- ink ------------------------------------------------------------------------------------------


def _is_layer(alpha: np.ndarray | None) -> bool:
    """Painted on a transparent layer: some pixels are (nearly) see-through."""
    return alpha is not None and float(alpha.min()) <= 0.99


def _layer_ink(gray: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The ink of a transparent layer: what is painted, by how much it stands out from a backdrop
    that contrasts with it.

    A sketchpad layer is black (or any colour) strokes on fully transparent pixels whose RGB is
    also black, so only alpha carries the digit: composited onto white, it shows. White strokes on
    transparency would vanish on white, so the backdrop is chosen from the painted tone. The ink
    is how far the composite is from the backdrop: alpha * |grey - backdrop|.
    """
    painted = alpha.sum()
    if painted < 1e-3:
        raise NoInkError("the image is fully transparent: nothing is drawn")
    tone = float((gray * alpha).sum() / painted)
    return alpha * (1.0 - gray if tone < 0.5 else gray)


def _dark_ink(gray: np.ndarray) -> bool:
    """True when the ink is darker than the background (the usual case); NoInkError without contrast.

    The background tone is read from the frame's outer ring: paper (or a canvas) surrounds the
    digit, even in a scan where the digit touches the edges at a few points. The ink is then
    whichever extreme lies farther from that tone.
    """
    h, w = gray.shape
    r = max(1, min(h, w) // 32)
    ring = np.concatenate([gray[:r].ravel(), gray[-r:].ravel(), gray[:, :r].ravel(), gray[:, -r:].ravel()])
    tone = float(np.median(ring))
    flat = gray[::2, ::2].ravel() if gray.size > 40_000 else gray.ravel()  # a subsample is plenty
    k = max(1, flat.size // 200)  # the 0.5% most extreme pixels on each side
    low = float(np.partition(flat, k - 1)[:k].mean())
    high = float(np.partition(flat, flat.size - k)[-k:].mean())
    if max(tone - low, high - tone) < MIN_CONTRAST:
        raise NoInkError("no ink found: the image is blank or has too little contrast")
    return (tone - low) >= (high - tone)


def _paper(light: np.ndarray) -> np.ndarray:
    """Estimate the local paper brightness under the ink (ink is dark in `light`).

    A max filter wider than any stroke removes the ink; smoothing then follows shadows and
    vignetting. Done at 1/4 resolution: it is the slowest step otherwise.
    """
    h, w = light.shape
    f = 4
    small = ndimage.maximum_filter(light, size=f, mode="nearest")[f // 2 :: f, f // 2 :: f]  # block max
    size = max(3, round(max(small.shape) * 0.09))  # wider than any stroke, assumed under ~6.5% of the side
    small = ndimage.maximum_filter(small, size=size, mode="nearest")
    small = ndimage.uniform_filter(small, size=size, mode="nearest")
    return np.asarray(Image.fromarray(small.astype(np.float32), mode="F").resize((w, h), Image.Resampling.BILINEAR))


def ink_map(gray: np.ndarray, alpha: np.ndarray | None = None, even_light: bool = False) -> np.ndarray:
    """Ink strength in [0, 1] per pixel, background 0, whatever the polarity and lighting.

    `even_light` (a scan): the paper is one tone, so there is no lighting to flatten; that also
    holds when the strokes are too thick for `_paper`'s filter (a digit that fills a small frame).
    """
    if _is_layer(alpha):  # drawn on a transparent layer: no paper, no lighting to flatten
        return _layer_ink(gray, alpha)  # type: ignore[arg-type]
    light = gray if _dark_ink(gray) else 1.0 - gray
    if even_light:
        paper = np.maximum(np.percentile(light, 95), light)
    else:
        paper = np.maximum(_paper(light), light)
    # relative darkening: a stroke in a shadow is as dark, relative to its paper, as one in the light
    return np.clip((paper - light) / np.maximum(paper, 0.2), 0.0, 1.0)


# Writing is strokes several pixels wide, so neighbouring ink values go together (1: a smooth field);
# in noise they do not (about 0, at any scale). Below this, the image is refused as noise.
MIN_NEIGHBOUR_CORRELATION = 0.2


def neighbour_correlation(ink: np.ndarray) -> float:
    """Correlation of each pixel's ink with its right and lower neighbours' (0 for a flat image).
    Computed on the flattened image for speed, so a row's last pixel also pairs with the next row's
    first: one pair per row, negligible."""
    d = (ink - ink.mean()).ravel()
    var = float(np.dot(d, d))
    if var < 1e-12:
        return 0.0
    w = ink.shape[1]
    return (float(np.dot(d[:-1], d[1:])) + float(np.dot(d[:-w], d[w:]))) / (2 * var)


# --- the digit ------------------------------------------------------------------------------------


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width in pixels: 2 * area / boundary length (a long stroke has two edges)."""
    area = int(mask.sum())
    if area == 0:
        return 0.0
    inner = mask.copy()  # erosion by the 4-neighbour cross, pixels outside the frame counting as empty
    inner[1:] &= mask[:-1]
    inner[:-1] &= mask[1:]
    inner[:, 1:] &= mask[:, :-1]
    inner[:, :-1] &= mask[:, 1:]
    inner[[0, -1]] = False
    inner[:, [0, -1]] = False
    boundary = area - int(inner.sum())
    return 2.0 * area / max(boundary, 1)


def _disk_rows(r: int) -> list[tuple[int, int]]:
    """The disk of radius r as (row offset, half-width) runs: |dx| <= half-width on row dy.
    x^2 + y^2 <= r^2 + r: the +r gives rounder small disks."""
    return [(dy, math.isqrt(r * r + r - dy * dy)) for dy in range(-r, r + 1)]


def dilate(mask: np.ndarray, r: int, outside: bool = False) -> np.ndarray:
    """Binary dilation by a disk of radius r, pixels beyond the frame counting as `outside`.

    Each row of the disk is a horizontal run: the mask's windowed counts along rows (prefix sums)
    give each run's widening, and the rows shifted together give the disk: O(r) array passes, where
    scipy's dilation by the disk as a structure makes O(r^2).
    """
    h, w = mask.shape
    padded = np.full((h + 2 * r, w + 2 * r + 1), outside, np.int32)  # + a leading column of zeros
    padded[:, 0] = 0
    padded[r : r + h, r + 1 : r + 1 + w] = mask
    counts = padded.cumsum(axis=1)  # counts[:, j]: set pixels before padded column j
    out = np.zeros((h, w), bool)
    widened: dict[int, np.ndarray] = {}
    for dy, a in _disk_rows(r):
        if a not in widened:  # pixels within a columns on the same row
            widened[a] = (counts[:, r + a + 1 : r + a + 1 + w] - counts[:, r - a : r - a + w]) > 0
        out |= widened[a][r + dy : r + dy + h]
    return out


def erode(mask: np.ndarray, r: int) -> np.ndarray:
    """Binary erosion by a disk of radius r, pixels beyond the frame counting as empty."""
    return ~dilate(~mask, r, outside=True)


def render_mnist(mask: np.ndarray, grey: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """A binary digit mask -> 28x28 float image in [0, 1], MNIST-style (20x20 fit, centre of mass),
    and the ink's elongation: its long side over its stroke width (a dot or blob is about 1-2).

    With `grey` (the ink map the mask came from), the digit is drawn from its grey levels inside
    the mask instead, strokes as they are: for a small scan, whose grey edges carry detail that a
    mask at its few pixels loses (a 9's loop filled in, strokes twice as thick).
    """
    box = bounding_box(mask)
    if box is None:
        raise NoInkError("no ink found in the image")
    crop = mask[box]
    h, w = crop.shape
    s = RENDER_SIDE / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    resample = Image.Resampling.BOX if s < 1 else Image.Resampling.BILINEAR
    big = np.asarray(Image.fromarray(crop.astype(np.uint8) * 255).resize(size, resample)) > 127
    if not big.any():  # a hairline shrunk below half coverage: keep it
        big = np.asarray(Image.fromarray(crop.astype(np.uint8) * 255).resize(size, Image.Resampling.BOX)) > 0
    # the stroke width, measured at this 4x scale
    width = stroke_width(big)
    elongation = max(big.shape) / max(width, 1e-9)
    if grey is not None:  # a scan: its own grey levels inside the mask, strokes as they are
        ink = np.where(crop, grey[box], 0.0).astype(np.float32)
        small = Image.fromarray(ink / max(float(ink.max()), 1e-6)).resize(_fit_size(ink.shape), Image.Resampling.BOX)
        return _centred(np.asarray(small)), elongation

    # bring the stroke width into MNIST's range
    target = MNIST_STROKE * RENDER_SIDE / FIT_BOX
    pad = RENDER_SIDE // 4
    padded = np.zeros((big.shape[0] + 2 * pad, big.shape[1] + 2 * pad), bool)  # np.pad without its overhead
    padded[pad:-pad, pad:-pad] = big
    big = padded
    if width < STROKE_RANGE[0] * target:
        r = max(1, round((STROKE_RANGE[0] * target - width) / 2))
        big = dilate(big, r)
    elif width > STROKE_RANGE[1] * target:
        r = max(1, round((width - STROKE_RANGE[1] * target) / 2))
        thinner = erode(big, r)
        if thinner.sum() > 0.2 * big.sum():  # erosion must not break the digit apart
            big = thinner
    big = big[bounding_box(big)]
    # fit a 20x20 box, keeping aspect ratio; box averaging gives MNIST's anti-aliased edges
    small = Image.fromarray(big.astype(np.uint8) * 255).resize(_fit_size(big.shape), Image.Resampling.BOX)
    return _centred(np.asarray(small, np.float32) / 255.0), elongation


def _fit_size(shape: tuple[int, ...]) -> tuple[int, int]:
    """(width, height) that fits a FIT_BOX square, keeping the aspect ratio."""
    h, w = shape
    s = FIT_BOX / max(h, w)
    return max(1, round(w * s)), max(1, round(h * s))


def _centred(small: np.ndarray) -> np.ndarray:
    """The 28x28 frame with `small` placed so its centre of mass is at the centre, kept inside."""
    sh, sw = small.shape
    total = float(small.sum(dtype=np.float64))
    cy = float(small.sum(1, dtype=np.float64) @ np.arange(sh)) / total  # the centre of mass
    cx = float(small.sum(0, dtype=np.float64) @ np.arange(sw)) / total
    top = min(max(round(14 - cy - 0.5), 0), 28 - sh)
    left = min(max(round(14 - cx - 0.5), 0), 28 - sw)
    out = np.zeros((28, 28), np.float32)
    out[top : top + sh, left : left + sw] = small
    return out


# --- the public path ------------------------------------------------------------------------------


# A digit is longer than its stroke is wide (a dot is about 2) and is most of what was drawn. Set below
# what the dev sets' digits reach (bench/real_handwriting.py): meant to fail only dots, blobs and strays.
MIN_ELONGATION = 2.5
MIN_KEPT = 0.6


@dataclass(frozen=True)
class Digit:
    image: np.ndarray  # (28, 28) float in [0, 1], white ink on black: what the model sees
    kept: float  # share of the image's ink that is the written digits
    elongation: float  # long side over stroke width
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive) in the input image's pixels
    probabilities: np.ndarray | None = None  # the classifier's answer, when segmenting already asked it
    cut: bool = False  # a piece of ink cut from touching neighbours (segment.split_touching)

    @property
    def plausible(self) -> bool:
        """False for a dot or blob, or when most of the ink is elsewhere (noise, scribbles)."""
        return self.elongation >= MIN_ELONGATION and self.kept >= MIN_KEPT


def analyze(source: ImageSource, classify: Callable[[np.ndarray], np.ndarray] | None = None) -> list[Digit]:
    """Any image -> each digit written in it, left to right, as the model sees it, with the shape
    facts used to say "not sure". One digit for a single digit; several for a number.

    `classify` maps (B, 28, 28) images to (B, 10) probabilities; with it, touching digits are split
    where the pieces read better than the whole (see segment.split_touching).
    """
    gray, alpha, scale = gray_alpha(source)
    # id -> (mask, image, elongation, probs)
    seen: dict[int, tuple[np.ndarray, np.ndarray, float, np.ndarray | None]] = {}

    def render(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, np.ndarray | None]:
        if id(mask) not in seen:  # the mask is kept in the entry, so its id stays unique
            seen[id(mask)] = (mask, *render_mnist(mask, ink if scan else None), None)
        return seen[id(mask)]

    def score(masks: list[np.ndarray]) -> np.ndarray:
        assert classify is not None
        probs = classify(np.stack([render(m)[1] for m in masks]))
        for m, p in zip(masks, probs, strict=True):
            seen[id(m)] = (*seen[id(m)][:3], p)
        return probs.max(axis=1)

    scan = scale < 1  # a small image, enlarged: a scan of one digit or of a number
    ink = ink_map(gray, alpha, even_light=scan)
    # (a scan's enlargement smooths noise too: there the threshold's noise floor refuses it)
    if not scan and neighbour_correlation(ink) < MIN_NEIGHBOUR_CORRELATION:
        raise NoInkError("no writing found: the image looks like noise")
    margin = round(SCAN_MARGIN * max(ink.shape)) if scan else 0
    if margin:  # the paper a page would have around it: a digit that fills its frame is then not
        ink = np.pad(ink, margin)  # clutter along the border, and the threshold sees paper beside the ink
    masks, kept, cut = digit_masks(ink, score if classify is not None else None, margin)
    digits = []
    for m, piece in zip(masks, cut, strict=True):
        _, image, elongation, probs = render(m)
        rows, cols = bounding_box(m)  # type: ignore[misc]
        box = ((cols.start - margin) * scale, (rows.start - margin) * scale, (cols.stop - margin) * scale,
               (rows.stop - margin) * scale)  # fmt: skip
        digits.append(Digit(image, kept, elongation, tuple(int(round(v)) for v in box), probs, piece))  # type: ignore[arg-type]
    return digits


def to_mnist(source: ImageSource) -> np.ndarray:
    """Any image -> the 28x28 [0, 1] digit (white ink on black) that the model sees (the first one,
    when several are written side by side)."""
    return analyze(source)[0].image


def normalize(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] (or uint8) MNIST pixels -> the models' input scale."""
    if x.dtype == torch.uint8:
        x = x.float() / 255.0
    return (x - MNIST_MEAN) / MNIST_STD


def preprocess(source: ImageSource) -> torch.Tensor:
    """Any image -> the normalized (1, 28, 28) float tensor the models take."""
    return normalize(torch.from_numpy(to_mnist(source))).unsqueeze(0)
