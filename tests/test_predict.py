from __future__ import annotations

import csv

import numpy as np
import pytest
import torch

from conftest import draw_digit
from mnist_core import DEFAULT_MODEL, InputError, Predictor
from mnist_core.errors import NoInkError


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor.load(DEFAULT_MODEL)


@pytest.mark.parametrize("digit", ["0", "1", "4", "7"])
def test_drawn_digits(predictor, digit):
    pred = predictor.predict(draw_digit(digit))
    assert pred.digit == int(digit) and not pred.uncertain


def test_top_k_sorted_and_probabilities_sum_to_one(predictor):
    pred = predictor.predict(draw_digit("4"))
    top = pred.top_k(5)
    assert len(top) == 5 and [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    assert pred.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert pred.image.shape == (28, 28)
    line = pred.to_json("x.png", 3)
    assert line["path"] == "x.png" and line["digit"] == 4 and len(line["top_k"]) == 3


def test_batch_keeps_order_and_reports_bad_inputs(predictor):
    blank = np.full((50, 50), 255, np.uint8)
    out = predictor.predict_many([draw_digit("1"), blank, b"junk", draw_digit("7")], raise_errors=False)
    assert out[0].digit == 1 and out[3].digit == 7
    assert isinstance(out[1], NoInkError) and isinstance(out[2], InputError)
    with pytest.raises(NoInkError):
        predictor.predict(blank)


@pytest.mark.slow
def test_mnist_through_the_full_pipeline(predictor, mnist_test):
    """The real-input path (decode, find ink, crop, re-centre) keeps MNIST accuracy close to the raw one."""
    n = 1000
    preds = predictor.predict_many([mnist_test.images[i].numpy() for i in range(n)])
    acc = np.mean([p.digit == int(mnist_test.labels[i]) for i, p in enumerate(preds)])
    assert acc >= 0.98


@pytest.mark.slow
@pytest.mark.parametrize("kind,minimum", [("canvas", 0.95), ("photo", 0.9)])
def test_real_handwriting_dev_sets(predictor, dev_dir, kind, minimum):
    """A sample of each development set (real handwriting that is not MNIST)."""
    rows = list(csv.DictReader(open(dev_dir / kind / "labels.csv")))[::5]
    preds = predictor.predict_many([dev_dir / kind / r["filename"] for r in rows])
    acc = np.mean([p.digit == int(r["label"]) for p, r in zip(preds, rows, strict=True)])
    assert acc >= minimum, f"{kind}: {acc:.3f}"


def test_a_dot_is_not_sure_and_noise_is_no_writing(predictor):
    from PIL import Image, ImageDraw

    dot = Image.new("RGB", (400, 400), "white")
    ImageDraw.Draw(dot).ellipse((190, 190, 215, 215), fill="black")
    assert predictor.predict(dot).uncertain
    rng = np.random.default_rng(1)
    noise = np.where(rng.random((300, 300)) < 0.03, 0, 255).astype(np.uint8)  # salt-and-pepper specks
    with pytest.raises(NoInkError, match="noise"):  # not even an unsure digit: no writing at all
        predictor.predict(noise)
    assert "uncertain" in predictor.predict(dot).to_json("dot.png")


def test_every_model_is_cut_by_the_segmenter_and_judged_by_the_detector(weights_copy):
    from mnist_core.predict import DETECTOR, SEGMENTER

    lenet = Predictor.load("lenet5")
    assert lenet.segmenter.name == SEGMENTER and lenet.detector.name == DETECTOR
    assert Predictor.load(SEGMENTER).segmenter is None  # it judges its own cuts
    assert Predictor.load(DETECTOR).detector is None and Predictor.load(DETECTOR).segmenter.name == SEGMENTER
    # a corrupt segmenter file in a weights folder falls back to the shipped one
    (weights_copy / f"{SEGMENTER}.safetensors").write_bytes(b"garbage")
    assert Predictor.load("cnn", weights_copy).segmenter.name == SEGMENTER


def test_the_segmenter_decides_the_cuts_and_the_model_reads(mnist_test):
    """Two touching digits: the segmenter cuts them, and each piece is read by the selected model."""
    from conftest import compose_number

    reader = Predictor.load("lenet5")
    three, eight = (mnist_test.images[mnist_test.labels == d][0].numpy() for d in (3, 8))
    pred = reader.predict(compose_number([three, eight], gap=0))
    assert pred.number == "38" and pred.model == "lenet5"
    for d in pred.digits:
        assert np.allclose(d.probabilities, reader.probabilities(d.image[None])[0], atol=1e-5)


def test_the_detector_gives_every_model_a_second_opinion_on_no_digit(mnist_test):
    """For a model without a "no digit" output, the detector's opinion alone (the mean with the
    model's own: the next test); the detector calls turned digits no digit, and MNIST's digits digits."""
    from mnist_core.predict import DETECTOR
    from mnist_core.synth.turned import turned_digits

    plain = Predictor.load("mlp_128")
    detector = plain.detector
    assert detector is not None and detector.name == DETECTOR and detector.has_no_digit and not plain.has_no_digit
    seven = plain.predict(draw_digit("7"))
    assert seven.no_digit == pytest.approx(detector.read(seven.image[None])[1][0], abs=1e-6) and not seven.uncertain
    _, digits = detector.read(mnist_test.images[:2000].numpy() / 255.0)
    turned = turned_digits(mnist_test.subset(slice(0, 2000)), 500, seed=3).images.numpy() / 255.0
    assert (digits > 0.5).mean() < 0.005 and (detector.read(turned)[1] > 0.5).mean() > 0.5


def test_device_choice():
    from mnist_core.devices import DeviceError

    pred = Predictor.load("mlp_128", device="cpu")
    assert pred.device == torch.device("cpu") and Predictor.load("mlp_128").device == torch.device("cpu")
    with pytest.raises(DeviceError, match="CUDA"):
        Predictor.load("mlp_128", device="cuda")
