"""Any image source -> grey and alpha float arrays at working resolution.

Decodes paths, bytes, PIL images and arrays of every mode; applies EXIF orientation; refuses
decompression bombs and oversized inputs before decoding them.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TypeGuard

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InputError
from .segment import bounding_box

MAX_PIXELS = 40_000_000  # about the largest phone photo; bigger is refused before decoding
# long side of the working image: larger reads no better and costs more (bench/real_handwriting.py)
WORK_SIDE = 192
# Smaller images (scans of single digits, such as MNIST's own 28x28) are enlarged smoothly to at
# least this, so the threshold follows their grey edges, not their pixel blocks.
MIN_SIDE = 128  # at least the render scale (render.RENDER_SIDE): a mask is never enlarged as blocks

ImageSource = str | os.PathLike[str] | bytes | Image.Image | np.ndarray


def load_image(source: ImageSource, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Open a path, bytes or PIL image; EXIF orientation applied; refuse bombs before decoding them."""
    if isinstance(source, Image.Image):
        img = source
    else:
        fp: io.BytesIO | Path
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
        if img is source:
            img = ImageOps.exif_transpose(img)
        else:
            ImageOps.exif_transpose(img, in_place=True)
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
    painted = bounding_box(alpha > 0) if is_layer(alpha) else None
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
        gray = f[..., 0] if f.shape[-1] == 2 else f[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
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


def is_layer(alpha: np.ndarray | None) -> TypeGuard[np.ndarray]:
    """Painted on a transparent layer: some pixels are (nearly) see-through."""
    return alpha is not None and float(alpha.min()) <= 0.99
