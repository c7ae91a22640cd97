"""MNIST as in-memory tensors, plus batch augmentation as pure functions.

The whole dataset is 55 MB of uint8, so it lives in memory and batches are index
slices: a DataLoader over it would only add per-sample Python overhead.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .config_flags import option

DATA_ENV = "MNIST_DATA"


class DatasetNotFoundError(RuntimeError):
    """MNIST is not under the data root and could not be downloaded."""


def default_data_root() -> Path:
    """The user cache folder, e.g. ~/.cache/mnist-canvas (XDG_CACHE_HOME honoured)."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "mnist-canvas"


def resolve_data_root(root: str | os.PathLike | None = None) -> Path:
    """An explicit root, else $MNIST_DATA, else the user cache folder."""
    if root:
        return Path(root).expanduser()
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser()
    return default_data_root()


@dataclass(frozen=True)
class Split:
    """Images as uint8 (N, 28, 28) and labels as int64 (N,)."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index: torch.Tensor | slice) -> Split:
        return Split(self.images[index], self.labels[index])

    def plus(self, other: Split) -> Split:
        """This split's images and labels followed by `other`'s."""
        return Split(torch.cat([self.images, other.images]), torch.cat([self.labels, other.labels]))


def load_mnist(root: str | os.PathLike | None = None, train: bool = True, download: bool = True) -> Split:
    """Load one MNIST split into memory, downloading it into `root` if it is missing."""
    from torchvision.datasets import MNIST  # torchvision is slow to import; only the data path needs it

    path = resolve_data_root(root)
    try:
        ds = MNIST(str(path), train=train, download=download)
    except (RuntimeError, OSError) as exc:  # torchvision raises RuntimeError when not found / not downloadable
        raise DatasetNotFoundError(
            f"MNIST was not found in {path} and could not be downloaded ({exc}). "
            f"Put the raw files in {path}/MNIST/raw, or point --data-root or ${DATA_ENV} at a folder that has them."
        ) from exc
    return Split(ds.data.clone(), ds.targets.clone())


def train_val_split(split: Split, val_size: int, seed: int = 0) -> tuple[Split, Split]:
    """A fixed random hold-out from the training set, for choosing recipes without the test set."""
    if val_size <= 0:
        return split, split.subset(slice(0, 0))
    perm = torch.randperm(len(split), generator=torch.Generator().manual_seed(seed))
    return split.subset(perm[val_size:]), split.subset(perm[:val_size])


# --- augmentation: pure functions over a (B, 1, 28, 28) float batch -------------------------------


@dataclass(frozen=True)
class AugmentConfig:
    rotate_deg: float = 12.0  # +-degrees: people tilt their digits; a little beyond MNIST's own spread
    scale: float = 0.12  # +-12% size, on top of the 20x20 fit
    shear: float = 0.2  # slant, as in cursive-leaning writers
    translate_px: float = 2.5  # centre of mass is centred, but not exactly
    thickness_p: float = 0.3  # fraction of the batch made thinner or thicker (pens differ)
    elastic_px: float = option(0.0, "augment with smooth random warps moving pixels by this much (std)", "--elastic")
    elastic_sigma: float = 4.0  # smoothness of the warps, in pixels (Simard et al., 2003)

    def __post_init__(self) -> None:
        if self.elastic_px < 0 or self.elastic_sigma <= 0:
            raise ValueError("elastic_px must be >= 0 and elastic_sigma > 0")


def random_affine(x: torch.Tensor, cfg: AugmentConfig, gen: torch.Generator | None = None) -> torch.Tensor:
    """Rotate, scale, shear and shift each image of the batch by its own random amount."""
    b = x.shape[0]

    def u(lo: float, hi: float) -> torch.Tensor:
        return torch.rand(b, generator=gen) * (hi - lo) + lo

    angle = u(-cfg.rotate_deg, cfg.rotate_deg) * math.pi / 180
    scale = 1 + u(-cfg.scale, cfg.scale)
    shear = u(-cfg.shear, cfg.shear)
    tx = u(-cfg.translate_px, cfg.translate_px) * 2 / x.shape[-1]
    ty = u(-cfg.translate_px, cfg.translate_px) * 2 / x.shape[-2]
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    # inverse map (output -> input coordinates), as affine_grid expects
    theta = torch.stack(
        [torch.stack([cos, -sin + shear * cos, tx], 1), torch.stack([sin, cos + shear * sin, ty], 1)], 1
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    if cfg.elastic_px > 0:
        grid = grid + elastic_field(x.shape, cfg.elastic_px, cfg.elastic_sigma, gen)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def elastic_field(shape: torch.Size, px: float, sigma: float, gen: torch.Generator | None = None) -> torch.Tensor:
    """Random smooth displacements (B, H, W, 2) in grid_sample's coordinates, `px` pixels std: white
    noise blurred by a Gaussian of `sigma` pixels, the elastic distortion of Simard et al. (2003)."""
    b, _, h, w = shape
    r = max(1, round(2 * sigma))
    k = torch.exp(-(torch.arange(-r, r + 1, dtype=torch.float32) ** 2) / (2 * sigma**2))
    k = k / k.sum()
    field = torch.rand(b * 2, 1, h, w, generator=gen) * 2 - 1
    field = F.conv2d(F.pad(field, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1))
    field = F.conv2d(F.pad(field, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1))
    field = field * (px / field.std().clamp_min(1e-8))  # pixels
    scale = torch.tensor([2 / w, 2 / h])  # pixels -> grid_sample's [-1, 1]
    return field.view(b, 2, h, w).permute(0, 2, 3, 1) * scale


def random_thickness(x: torch.Tensor, p: float, gen: torch.Generator | None = None) -> torch.Tensor:
    """Dilate or erode a random part of the batch by one pixel (grey-level max/min filter)."""
    if p <= 0:
        return x
    r = torch.rand(x.shape[0], generator=gen)
    thick = F.max_pool2d(x, 3, stride=1, padding=1)
    thin = -F.max_pool2d(-x, 3, stride=1, padding=1)
    # erosion of a thin digit can erase it; keep at least the original's brightest core
    thin = torch.maximum(thin, x * 0.5)
    pick = r.view(-1, 1, 1, 1)
    out = torch.where(pick < p / 2, thick, x)
    return torch.where((pick >= p / 2) & (pick < p), thin, out)


def augment(x: torch.Tensor, cfg: AugmentConfig, gen: torch.Generator | None = None) -> torch.Tensor:
    """The training augmentation, on a [0, 1] batch (before normalization)."""
    return random_affine(random_thickness(x, cfg.thickness_p, gen), cfg, gen)


# --- writing styles MNIST lacks ------------------------------------------------------------------
# MNIST's 1s are mostly bare and its 7s uncrossed, so flagged 1s read as 7s and crossed 7s as 2s. These
# variants are drawn onto MNIST digits and re-rendered through the one preprocessing path, like any input.


# A 1's flag as the dev sets' writers draw it: 20-55 degrees below horizontal, FLAG_FROM_STEM off the stem,
# shorter than it. Flatter and longer, like a 7's bar, it would teach the model to read MNIST's 7s as 1s.
FLAG_DEGREES, FLAG_FROM_STEM, FLAG_LENGTH = (20.0, 55.0), 25.0, (0.25, 0.55)
# Upright flags (TrainConfig.upright_flags): only on 1s within 20 degrees of vertical, 30-55 degrees below
# horizontal (else augmentation turns them into a 7's bar); being steep, they may be long, as many draw them.
UPRIGHT_SLANT, UPRIGHT_DEGREES, UPRIGHT_LENGTH = 20.0, (30.0, 55.0), (0.3, 0.8)


# A 9's curled tail: a circle's arc of this radius (of the digit's height), from the stem's end
# clockwise through the bottom and up the left, by these many degrees.
CURL_RADIUS, CURL_DEGREES = (0.12, 0.25), (140.0, 200.0)


def _ink_mask(img: np.ndarray, scale: int = 4) -> np.ndarray:
    """An MNIST digit's ink as a mask `scale` times its size, its grey edges scaled up smoothly."""
    from PIL import Image

    h, w = img.shape
    return np.asarray(Image.fromarray(img).resize((w * scale, h * scale), Image.Resampling.BILINEAR)) > 100


def _variant(img: np.ndarray, label: int, rng: np.random.Generator, upright: bool = False) -> np.ndarray | None:
    from PIL import Image, ImageDraw

    from .preprocess import render_mnist, stroke_width

    big = _ink_mask(img)
    ys, xs = np.nonzero(big)
    if ys.size < 20:
        return None
    height = ys.max() - ys.min()
    width = max(2, round(stroke_width(big)))
    canvas = Image.fromarray(big.astype(np.uint8) * 255)
    draw = ImageDraw.Draw(canvas)
    if label == 1:  # a flag from the top of the stroke, down to the left, at an angle unlike a 7's bar
        top, bottom = ys.min(), ys.max()
        x0, x1 = float(xs[ys <= top + 2].mean()), float(xs[ys >= bottom - 2].mean())
        stem = np.degrees(np.arctan2(height, x0 - x1))  # the stem's angle below horizontal, leftwards
        if upright and abs(90.0 - stem) > UPRIGHT_SLANT:
            return None
        degrees = UPRIGHT_DEGREES if upright else FLAG_DEGREES
        angles = [a for a in rng.uniform(*degrees, 10) if abs(a - stem) >= FLAG_FROM_STEM]
        if not angles:
            return None
        length = height * rng.uniform(*(UPRIGHT_LENGTH if upright else FLAG_LENGTH))
        end = (x0 - length * np.cos(np.deg2rad(angles[0])), top + length * np.sin(np.deg2rad(angles[0])))
        draw.line([(x0, top), end], fill=255, width=width)
        for x, y in ((x0, top), end):  # round pen ends
            draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=255)
    elif label == 9:  # the stem's end curled to the left, as a "g" is written
        bottom = ys.max()
        x = float(xs[ys >= bottom - 2].mean())
        r = height * rng.uniform(*CURL_RADIUS)
        y = bottom - r * rng.uniform(0.3, 0.8)  # the curl starts a little above the stem's end
        draw.arc((x - 2 * r, y - r, x, y + r), 0, rng.uniform(*CURL_DEGREES), fill=255, width=width)
    else:  # a crossbar through the middle of the 7's stem
        y = ys.min() + height * rng.uniform(0.45, 0.62)
        row = xs[np.abs(ys - y) < 2]
        if row.size == 0:
            return None
        half = (xs.max() - xs.min()) * rng.uniform(0.2, 0.35)
        c = float(row.mean())
        draw.line([(c - half, y), (c + half, y)], fill=255, width=width)
    out, _ = render_mnist(np.asarray(canvas) > 127)
    return (out * 255).astype(np.uint8)


def style_variants(
    split: Split, fraction: float = 0.3, seed: int = 0, upright: bool = False, digits: tuple[int, ...] = (1, 7)
) -> Split:
    """Extra training digits made from a `fraction` of MNIST's: flagged 1s, crossed 7s and 9s with a
    curled tail, of the given `digits` (with `upright`, flagged 1s only from upright 1s, with steep flags)."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for label in digits:
        idx = torch.nonzero(split.labels == label).flatten().numpy()
        for i in rng.choice(idx, int(len(idx) * fraction), replace=False):
            v = _variant(split.images[i].numpy(), label, rng, upright)
            if v is not None:
                images.append(torch.from_numpy(v))
                labels.append(label)
    if not images:
        return split.subset(slice(0, 0))
    return Split(torch.stack(images), torch.tensor(labels, dtype=torch.long))


def rendered_digits(split: Split, count: int, seed: int = 0) -> Split:
    """`count` MNIST digits (each at most once) drawn again the way every input is: their ink mask,
    scaled up smoothly, through the preprocessing's render_mnist. A model trained from scratch on
    rendered no-digit examples beside MNIST's own grey digits learns the rendering as "no digit",
    and then calls every real input no digit; with these, both look alike."""
    from .preprocess import render_mnist

    rng = np.random.default_rng(seed)
    idx = rng.choice(len(split), min(count, len(split)), replace=False)
    images = []
    for i in idx:
        big = _ink_mask(split.images[i].numpy())
        images.append(torch.from_numpy((render_mnist(big)[0] * 255).astype(np.uint8)) if big.any() else split.images[i])
    if not images:
        return split.subset(slice(0, 0))
    return Split(torch.stack(images), split.labels[torch.from_numpy(idx)])


# --- what is not one digit ----------------------------------------------------------------------
# Segmentation asks the model whether ink reads as one digit (segment.split_touching). Trained as NOT_A_DIGIT,
# pairs and parts of digits read unsure, not confidently as some digit: a pair is split, a wrong cut refused.

NOT_A_DIGIT = -1  # the label of training images that are no single digit


def _not_digits(masks: list[np.ndarray]) -> Split:
    """Ink masks rendered like every input (fit 20x20, centred by mass), labelled NOT_A_DIGIT."""
    from .preprocess import render_mnist

    images = [torch.from_numpy((render_mnist(m)[0] * 255).astype(np.uint8)) for m in masks]
    out = torch.stack(images) if images else torch.zeros((0, 28, 28), dtype=torch.uint8)
    return Split(out, torch.full((len(out),), NOT_A_DIGIT, dtype=torch.long))


def touching_pairs(split: Split, count: int, seed: int = 0) -> Split:
    """`count` images of two MNIST digits side by side, touching or overlapping by up to a third of
    a digit, rendered like every other input (fit 20x20, centred), labelled NOT_A_DIGIT."""
    rng = np.random.default_rng(seed)
    images = split.images.numpy() > 100
    masks = []
    for a, b in rng.integers(0, len(split), size=(count, 2)):
        cols_a, cols_b = np.nonzero(images[a].any(0))[0], np.nonzero(images[b].any(0))[0]
        if cols_a.size == 0 or cols_b.size == 0:
            continue
        overlap = int(rng.integers(0, (cols_a[-1] + 1 - cols_a[0]) // 3 + 1))  # 0: just touching
        canvas = np.zeros((34, 90), bool)
        xa = 28 - cols_a[0]  # offsets keep both digits inside the canvas
        xb = xa + cols_a[-1] + 1 - overlap - cols_b[0]
        dy = int(rng.integers(-3, 4))  # written a little higher or lower
        canvas[3:31, xa : xa + 28] |= images[a]
        canvas[3 + dy : 31 + dy, xb : xb + 28] |= images[b]
        masks.append(canvas)
    return _not_digits(masks)


# A mirrored or turned digit is familiar strokes in an order no digit has: NOT_A_DIGIT. Listed: the digits
# each turn makes no digit (6 and 9 turn into each other; 0, 1 and 8 are their own mirror; a sideways 0 is a 0).
TURNS = {"mirror": (2, 3, 4, 5, 6, 7, 9), "half": (3, 4, 7), "quarter": (1, 2, 3, 4, 5, 6, 7, 8, 9)}


def turned_digits(split: Split, count: int, seed: int = 0) -> Split:
    """`count` MNIST digits mirrored left to right, turned upside down, or turned on their side (an
    equal share each, of the digits in TURNS), rendered like every other input, labelled NOT_A_DIGIT."""
    rng = np.random.default_rng(seed)
    images = split.images.numpy() > 100
    pools = {turn: np.flatnonzero(np.isin(split.labels.numpy(), digits)) for turn, digits in TURNS.items()}
    masks = []
    for turn in rng.choice(list(TURNS), size=count):
        if pools[turn].size == 0:
            continue
        img = images[rng.choice(pools[turn])]
        if turn == "mirror":
            masks.append(img[:, ::-1])
        else:
            masks.append(np.rot90(img, 2 if turn == "half" else rng.choice([1, 3])))
    return _not_digits([m for m in masks if m.any()])


FRAGMENTED = (0, 2, 3, 5, 6, 8, 9)  # digits whose left or right part is no digit (a 4's right part is a 1)


def digit_fragments(split: Split, count: int, seed: int = 0) -> Split:
    """Up to `count` left or right parts of MNIST digits cut at 30-70% of their width, holding 25-60%
    of the ink, rendered like every other input, labelled NOT_A_DIGIT: a wrong cut of one digit must
    not read as two digits."""
    rng = np.random.default_rng(seed)
    idx = torch.nonzero(torch.isin(split.labels, torch.tensor(FRAGMENTED))).flatten().numpy()
    images = split.images.numpy() > 100
    masks = []
    for i in rng.choice(idx, size=count):
        cols = np.nonzero(images[i].any(0))[0]
        if cols.size < 6:
            continue
        cut = cols[0] + int(round((cols[-1] + 1 - cols[0]) * rng.uniform(0.3, 0.7)))
        piece = images[i].copy()
        if rng.random() < 0.5:
            piece[:, cut:] = False
        else:
            piece[:, :cut] = False
        if 0.25 <= piece.sum() / images[i].sum() <= 0.6:  # most of a digit still reads as that digit
            masks.append(piece)
    return _not_digits(masks)


# Letters and signs: the commonest non-digits, many made of a digit's strokes (an A, a P, an h). Left out:
# those people read as digits themselves (O, I, l, S, Z, B, D, G, g, q, b, &...).
LETTERS = "ACEFHKLMNPRTUVWXYacefhkmnprtuvwxy" + "#%@?+=<>*~"


def letters(count: int, seed: int = 0, symbols: str = LETTERS) -> Split:
    """`count` glyphs of `symbols` in Pillow's bundled font, rendered like every other input,
    labelled NOT_A_DIGIT."""
    from PIL import Image, ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    fonts = {size: ImageFont.load_default(size=size) for size in (40, 52, 64)}
    masks = []
    for symbol in rng.choice(list(symbols), size=count):
        img = Image.new("L", (112, 112))
        ImageDraw.Draw(img).text((56, 56), str(symbol), font=fonts[int(rng.choice(list(fonts)))], fill=255,
                                 anchor="mm", stroke_width=int(rng.integers(0, 4)), stroke_fill=255)  # fmt: skip
        img = img.rotate(float(rng.uniform(-20, 20)), Image.Resampling.BILINEAR)
        masks.append(np.asarray(img) > 127)
    return _not_digits([m for m in masks if m.any()])
