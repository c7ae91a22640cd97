"""Small scans: MNIST digits as a coarse 16x16 scanner stores them, read back through the preprocessing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mnist_core import Predictor
from mnist_core.synth.scans import SIDE, scanned, to_scan


def test_scanned_keeps_shapes_dtypes_and_labels(mnist_test):
    split = mnist_test.subset(slice(0, 60))
    every = scanned(split, fraction=1.0, seed=0)
    assert every.images.shape == (60, 28, 28) and every.images.dtype == torch.uint8
    assert every.labels.dtype == torch.int64 and torch.equal(every.labels, split.labels)  # in order, all kept
    half = scanned(split, fraction=0.5, seed=0)
    assert len(half) == 30 and not scanned(split, fraction=0.0).images.numel()
    # through the preprocessing: each digit fit to MNIST's 20x20 box, not the scan enlarged to the frame
    ink = every.images > 0
    assert ink.any(2).sum(1).max() <= 20 and ink.any(1).sum(1).max() <= 20
    with pytest.raises(ValueError):
        scanned(split, fraction=1.5)


def test_scanned_is_a_function_of_its_seed(mnist_test):
    split = mnist_test.subset(slice(0, 40))
    a, b, c = scanned(split, 0.5, seed=3), scanned(split, 0.5, seed=3), scanned(split, 0.5, seed=4)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.images, c.images)


def test_a_scan_is_16x16_blocky_when_binarized_and_fills_its_frame(mnist_test):
    rng = np.random.default_rng(0)
    digit = mnist_test.images[0].numpy()  # a 7, taller than wide
    binary, grey = to_scan(digit, True, rng), to_scan(digit, False, rng)
    for scan in (binary, grey):
        assert scan.shape == (SIDE, SIDE) and scan.dtype == np.uint8
        assert scan[0].max() == 255 and scan.min() == 0  # white paper, the darkest cell full black
        inked = scan < 128
        assert inked.any(1).sum() == SIDE  # the long side fills the frame
    assert set(np.unique(binary).tolist()) == {0, 255}  # two levels: blocky
    assert len(np.unique(grey)) > 5  # area-averaged grey levels
    thick = to_scan(digit, True, np.random.default_rng(0), thicken=0.75)
    assert (thick == 0).sum() > (to_scan(digit, True, np.random.default_rng(0)) == 0).sum()
    with pytest.raises(ValueError):
        to_scan(np.zeros((28, 28)), True, rng)


def test_the_default_model_reads_scanned_mnist(mnist_test):
    split = mnist_test.subset(slice(0, 400))
    scans = scanned(split, 1.0, seed=1)
    probs, _ = Predictor.load("cnn_styles").read(scans.images.numpy().astype(np.float32) / 255)
    accuracy = float((probs.argmax(1) == scans.labels.numpy()).mean())
    assert len(scans) == 400 and accuracy >= 0.98, accuracy
