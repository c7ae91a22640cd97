"""Style variants: flagged 1s (upright ones only, with upright flags), crossed 7s, curled 9s."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageDraw

from mnist_core.mnist import Split
from mnist_core.synth.styles import _variant, style_variants


def test_style_variants_are_flagged_ones_and_crossed_sevens(mnist_test):
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
    v = style_variants(mnist_test.subset(slice(0, 1000)), fraction=0.5, seed=0, digits=(9,))
    nines = mnist_test.images[:1000][mnist_test.labels[:1000] == 9]
    assert set(v.labels.tolist()) == {9} and len(v) == len(nines) // 2
    # a 9's stem ends low in the middle; the curl turns it to the left, where a plain 9 has no ink
    low_left = (slice(19, 25), slice(4, 12))
    assert v.images.float().mean(0)[low_left].mean() > nines.float().mean(0)[low_left].mean() + 10


def test_upright_flags_only_on_upright_ones():
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
