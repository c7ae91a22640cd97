"""Augmentation: shape, range and ink kept; elastic warps smooth and as strong as asked."""

from __future__ import annotations

import pytest
import torch

from mnist_core.augment import AugmentConfig, augment, elastic_field


def test_augment_keeps_shape_range_and_mostly_the_ink(mnist_test):
    x = mnist_test.images[:64].unsqueeze(1).float() / 255
    y = augment(x, AugmentConfig(), torch.Generator().manual_seed(0))
    assert y.shape == x.shape and y.min() >= 0 and y.max() <= 1
    ratio = y.sum((1, 2, 3)) / x.sum((1, 2, 3))
    assert ((ratio > 0.3) & (ratio < 3.5)).all()  # one-pixel dilation can triple a thin "1"
    assert not torch.allclose(x, y)


def test_elastic_field_is_smooth_and_as_strong_as_asked():
    field = elastic_field(torch.Size((32, 1, 28, 28)), 1.5, 4.0, torch.Generator().manual_seed(0))
    assert field.shape == (32, 28, 28, 2)
    px = field * 14  # grid_sample's [-1, 1] back to pixels
    assert px.std().item() == pytest.approx(1.5, rel=0.01)
    step = (px[:, 1:] - px[:, :-1]).abs().mean() / px.abs().mean()
    assert step < 0.2  # neighbours move together: a warp, not noise


def test_elastic_warps_move_ink_without_losing_it(mnist_test):
    x = mnist_test.images[:64].unsqueeze(1).float() / 255
    still = AugmentConfig(rotate_deg=0, scale=0, shear=0, translate_px=0, thickness_p=0)
    assert torch.allclose(augment(x, still), x, atol=1e-5)  # nothing asked, nothing changed
    warped = augment(x, AugmentConfig(rotate_deg=0, scale=0, shear=0, translate_px=0, thickness_p=0, elastic_px=1.5),
                     torch.Generator().manual_seed(0))  # fmt: skip
    assert (warped - x).abs().sum((1, 2, 3)).min() > 1  # every digit moved
    ratio = warped.sum((1, 2, 3)) / x.sum((1, 2, 3))  # stretched and squeezed strokes, but no digit lost
    assert ((ratio > 0.5) & (ratio < 2)).all()
    with pytest.raises(ValueError, match="elastic"):
        AugmentConfig(elastic_px=-1)
