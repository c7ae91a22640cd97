"""The path as a whole: any image to the normalized tensor, MNIST itself, clutter, scans."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from conftest import draw_digit, similar
from mnist_core.preprocess import analyze, preprocess, to_mnist
from mnist_core.render import MNIST_MEAN, MNIST_STD


def test_output_is_normalized_28x28_tensor():
    x = preprocess(draw_digit("7"))
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32
    assert torch.isclose(x.min(), torch.tensor(-MNIST_MEAN / MNIST_STD), atol=1e-5)
    assert x.max() <= (1 - MNIST_MEAN) / MNIST_STD + 1e-5


def test_mnist_sample_survives_the_pipeline(mnist_test):
    """An MNIST digit through the full path comes out close to itself (up to a one-pixel shift of centring)."""

    def score(i: int) -> float:
        ours, orig = to_mnist(mnist_test.images[i].numpy()), mnist_test.images[i].numpy() / 255.0
        return max(similar(np.roll(ours, (dy, dx), (0, 1)), orig) for dy in (-1, 0, 1) for dx in (-1, 0, 1))

    scores = [score(i) for i in range(100)]
    assert np.median(scores) > 0.85 and min(scores) > 0.5


def test_clutter_at_the_border_ignored():
    """A dark table edge along the top of a photo must not be taken for the digit."""
    img = draw_digit("1", size=400, mode="RGB")
    arr = np.asarray(img).copy()
    arr[:30] = 60  # table
    assert similar(to_mnist(arr), to_mnist(img)) > 0.97


def test_scan_that_fills_its_frame():
    """Scans of other collections: the digit touches all four borders."""
    digit = np.asarray(draw_digit("0", size=200).convert("L"))
    ys, xs = np.nonzero(digit < 128)
    tight = digit[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = tight.shape
    small = np.asarray(Image.fromarray(tight).resize((round(16 * w / h), 16), Image.Resampling.BOX))
    out = to_mnist(small)
    assert out[12:16, 12:16].max() < 0.3  # the hole of the 0 stayed paper: polarity read from the frame
    assert similar(out, to_mnist(digit)) > 0.7


def test_small_scan_box_in_its_own_pixels():
    """A 1 that fills a 20x16 scan top to bottom: read whole, its box in the scan's pixels although
    the scan is enlarged and given a margin on the way (UCI's optdigits in test_real_handwriting)."""
    scan = np.full((20, 16), 255, np.uint8)
    scan[:, 6:10] = 0
    (digit,) = analyze(scan)
    assert digit.box == (6, 0, 10, 20)
    bar = digit.image > 0.5
    assert bar.sum(0).max() == 20 and bar.any(0).sum() <= 6  # a tall, narrow stroke filling the 20 px box
