"""Training augmentation: pure functions over a (B, 1, 28, 28) float batch in [0, 1].

Random affine transforms (rotation, scale, shear, shift), elastic warps and stroke thickness,
each image by its own random amount; `augment` is what training applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .config_flags import option


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
