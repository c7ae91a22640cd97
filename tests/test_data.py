from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from mnist_core.data import (
    AugmentConfig,
    DatasetNotFoundError,
    Split,
    augment,
    elastic_field,
    load_mnist,
    resolve_data_root,
    train_val_split,
)


def test_data_root_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_DATA", str(tmp_path / "env"))
    assert resolve_data_root(tmp_path / "arg") == tmp_path / "arg"
    assert resolve_data_root() == tmp_path / "env"
    monkeypatch.delenv("MNIST_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert resolve_data_root() == tmp_path / "cache" / "mnist-canvas"


def test_missing_dataset_names_the_root_and_the_setting(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=str(tmp_path)) as err:
        load_mnist(tmp_path, train=False, download=False)
    assert "MNIST_DATA" in str(err.value)


def test_loaded_as_tensors(mnist_test):
    assert mnist_test.images.shape == (10000, 28, 28) and mnist_test.images.dtype == torch.uint8
    assert mnist_test.labels.shape == (10000,) and set(mnist_test.labels.tolist()) == set(range(10))


def test_validation_split_is_disjoint(mnist_test):
    a, b = train_val_split(mnist_test, 1000, seed=1)
    assert len(a) == 9000 and len(b) == 1000
    assert not (set(map(bytes, a.images[:50].numpy())) & set(map(bytes, b.images.numpy())))


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


def test_style_variants_are_flagged_ones_and_crossed_sevens(mnist_test):
    from mnist_core.data import style_variants

    v = style_variants(mnist_test.subset(slice(0, 1000)), fraction=0.5, seed=0)
    assert set(v.labels.tolist()) == {1, 7} and v.images.shape[1:] == (28, 28)
    ones = mnist_test.images[:1000][mnist_test.labels[:1000] == 1].float().mean(0)
    flagged = v.images[v.labels == 1].float().mean(0)
    # the flag adds ink to the upper left, where a bare 1 has none
    assert flagged[4:12, 4:13].mean() > ones[4:12, 4:13].mean() + 5

    def top_width(images):  # columns inked in a digit's top three rows
        widths = []
        for im in images > 100:
            top = int(im.any(1).nonzero()[0])
            widths.append(float(im[top : top + 3].any(0).sum()))
        return sum(widths) / len(widths)

    # the flag falls steeply from the top: a 1 that starts like a 7's bar teaches MNIST's 7s to read as 1s
    sevens = mnist_test.images[:1000][mnist_test.labels[:1000] == 7]
    bare = mnist_test.images[:1000][mnist_test.labels[:1000] == 1]
    assert top_width(bare) + 1 < top_width(v.images[v.labels == 1]) < 0.6 * top_width(sevens)


def test_curled_nines_have_ink_low_on_the_left(mnist_test):
    from mnist_core.data import style_variants

    v = style_variants(mnist_test.subset(slice(0, 1000)), fraction=0.5, seed=0, digits=(9,))
    nines = mnist_test.images[:1000][mnist_test.labels[:1000] == 9]
    assert set(v.labels.tolist()) == {9} and len(v) == len(nines) // 2
    # a 9's stem ends low in the middle; the curl turns it to the left, where a plain 9 has no ink
    low_left = (slice(19, 25), slice(4, 12))
    assert v.images.float().mean(0)[low_left].mean() > nines.float().mean(0)[low_left].mean() + 10


def test_touching_pairs_are_two_digits_wide_and_not_a_digit(mnist_test):
    from mnist_core.data import NOT_A_DIGIT, touching_pairs

    pairs = touching_pairs(mnist_test.subset(slice(0, 500)), 200, seed=0)
    assert len(pairs) == 200 and pairs.images.shape[1:] == (28, 28)
    assert (pairs.labels == NOT_A_DIGIT).all()

    # a pair fills the 20 px box in width, where most single digits are narrower than tall
    def width(images):
        return (images > 50).any(1).sum(1).float().mean()

    assert width(pairs.images) > width(mnist_test.images[:500]) + 4


def test_fragments_are_parts_of_wide_digits(mnist_test):
    from mnist_core.data import FRAGMENTED, NOT_A_DIGIT, digit_fragments

    split = mnist_test.subset(slice(0, 500))
    parts = digit_fragments(split, 200, seed=0)
    assert 100 < len(parts) <= 200 and (parts.labels == NOT_A_DIGIT).all()
    assert 1 not in FRAGMENTED and 4 not in FRAGMENTED and 7 not in FRAGMENTED  # their parts read as 1s
    # a part holds 25-60% of a digit's ink; rendered to the same 20 px box it is thinner on the page
    assert (parts.images > 50).sum((1, 2)).float().mean() < (split.images > 50).sum((1, 2)).float().mean()


def test_turned_digits_are_turned_and_not_a_digit():
    from mnist_core.data import NOT_A_DIGIT, TURNS, turned_digits

    # a 7 (a bar and a stem down its right side) mirrored has its stem on the left; on its side, no bar on top
    seven = np.zeros((28, 28), np.uint8)
    seven[6:9, 8:21] = 255
    seven[6:23, 18:21] = 255
    turned = turned_digits(Split(torch.from_numpy(np.stack([seven] * 60)), torch.full((60,), 7)), 60, seed=0)
    assert len(turned) == 60 and (turned.labels == NOT_A_DIGIT).all()
    ink = turned.images.numpy() > 127
    left_stem = ink[:, 10:20, 4:12].mean((1, 2)) > ink[:, 10:20, 16:24].mean((1, 2))
    bar_on_top = ink[:, 4:9].mean((1, 2)) > 0.5 * ink.mean((1, 2))
    assert left_stem.any() and (~bar_on_top).any()  # mirrored, and turned
    assert all(0 not in digits and 8 not in TURNS["mirror"] for digits in TURNS.values())
    assert 6 not in TURNS["half"] and 9 not in TURNS["half"]  # they turn into each other
    one = np.zeros((28, 28), np.uint8)
    one[4:24, 13:16] = 255
    bars = turned_digits(Split(torch.from_numpy(np.stack([one] * 5)), torch.full((5,), 1)), 30, seed=0)
    assert 0 < len(bars) < 30  # a 1 is only turned on its side: a bar, wider than tall
    assert ((bars.images > 127).any(2).sum(1) < (bars.images > 127).any(1).sum(1)).all()


def test_letters_are_glyphs_at_random_weights_and_turns_and_not_a_digit():
    from mnist_core.data import LETTERS, NOT_A_DIGIT, letters

    assert not set(LETTERS) & set("0123456789OoQDIlijJSsZzBGgqb&|!()/")  # what people read as digits themselves
    ts = letters(30, seed=0, symbols="T")
    assert len(ts) == 30 and ts.images.shape[1:] == (28, 28) and (ts.labels == NOT_A_DIGIT).all()
    ink = ts.images.numpy() > 127
    assert (ink[:, 4:10].sum((1, 2)) > ink[:, 18:24].sum((1, 2))).all()  # a T: its bar on top, wider than the stem
    weights, tilts = ink.sum((1, 2)), [np.polyfit(*np.nonzero(i[12:24].T)[::-1], 1)[0] for i in ink]
    assert weights.max() > 1.5 * weights.min() and np.ptp(tilts) > 0.2  # thin and bold, turned both ways
    assert not np.array_equal(letters(5, seed=0).images, letters(5, seed=1).images)


def test_rendered_digits_are_mnist_digits_drawn_as_inputs_are(mnist_test):
    from mnist_core import Predictor
    from mnist_core.data import rendered_digits

    some = mnist_test.subset(slice(0, 200))
    again = rendered_digits(some, 50, seed=0)
    assert len(again) == 50 and again.images.dtype == torch.uint8 and again.images.shape[1:] == (28, 28)
    # still the digits of their labels (the cnn reads 99.7% of all 10,000 test digits redrawn so), not copies
    read = Predictor.load("cnn").probabilities(again.images.numpy() / 255.0).argmax(1)
    assert (read == again.labels.numpy()).mean() >= 0.95
    assert not any(np.array_equal(img, s) for img in again.images.numpy() for s in some.images.numpy())
    assert not np.array_equal(rendered_digits(some, 5, seed=0).images, rendered_digits(some, 5, seed=1).images)


def test_upright_flags_only_on_upright_ones():
    from mnist_core.data import _variant, style_variants

    def one(slant: int) -> np.ndarray:  # a 1 from (14 + slant/2, 4) down to (14 - slant/2, 24), MNIST-sized
        img = Image.new("L", (28, 28))
        ImageDraw.Draw(img).line([(14 + slant / 2, 4), (14 - slant / 2, 24)], fill=255, width=3)
        return np.asarray(img)

    rng = np.random.default_rng(0)
    upright, slanted = one(0), one(12)  # 0 and about 31 degrees from vertical
    assert _variant(upright, 1, rng, upright=True) is not None
    assert _variant(slanted, 1, rng, upright=True) is None  # a flag on a slanted stem is a 7
    assert _variant(slanted, 1, rng) is not None
    ones = Split(torch.from_numpy(np.stack([upright, slanted] * 10)), torch.ones(20, dtype=torch.long))
    assert len(style_variants(ones, 1.0, upright=True)) == 10 and len(style_variants(ones, 1.0)) == 20

    def width_over_height(upright_flags: bool) -> float:  # how far the flags reach, for the upright 1
        rng = np.random.default_rng(1)
        masks = [_variant(upright, 1, rng, upright=upright_flags) > 100 for _ in range(60)]
        return float(np.mean([np.ptp(np.nonzero(m.any(0))[0]) / np.ptp(np.nonzero(m.any(1))[0]) for m in masks]))

    # steep as they are, upright flags are long (up to 0.8 of the height), as many writers draw them
    assert width_over_height(True) > width_over_height(False) + 0.05
