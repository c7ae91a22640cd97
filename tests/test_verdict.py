"""The "not sure" rule and its bars; the last tests check the bars against the models' answers."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import draw_digit
from mnist_core import DEFAULT_MODEL, Predictor
from mnist_core.verdict import (
    CUT_NO_DIGIT_ABOVE,
    NO_DIGIT_ABOVE,
    NUMBER_NO_DIGIT_ABOVE,
    UNCERTAIN_BELOW,
    is_uncertain,
    needs_second_opinion,
    no_digit_bar,
)


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor.load(DEFAULT_MODEL)


def test_the_rule_for_not_sure():
    assert not is_uncertain(0.9, True, 0.1, cut=False)
    assert is_uncertain(UNCERTAIN_BELOW - 0.01, True, 0.0, cut=False)  # a weak top digit
    assert is_uncertain(0.9, False, 0.0, cut=False)  # ink that does not look like one digit
    between = (CUT_NO_DIGIT_ABOVE + NO_DIGIT_ABOVE) / 2  # a cut piece is "not sure" at a lower bar
    assert is_uncertain(0.9, True, between, cut=True) and not is_uncertain(0.9, True, between, cut=False)
    assert no_digit_bar(True) == CUT_NO_DIGIT_ABOVE < no_digit_bar(False) == NO_DIGIT_ABOVE
    # a digit of a number, written apart, gets the highest bar: the number is unsure if any digit is
    assert no_digit_bar(False, alone=False) == NUMBER_NO_DIGIT_ABOVE > NO_DIGIT_ABOVE
    assert no_digit_bar(True, alone=False) == CUT_NO_DIGIT_ABOVE
    between = (NO_DIGIT_ABOVE + NUMBER_NO_DIGIT_ABOVE) / 2
    assert is_uncertain(0.9, True, between, cut=False) and not is_uncertain(0.9, True, between, False, alone=False)


@pytest.mark.parametrize(("cut", "alone"), [(False, True), (False, False), (True, False)])
def test_a_second_opinion_is_asked_exactly_where_it_can_pass_the_bar(cut, alone):
    """The detector's opinion is at most 1, so the mean can pass the bar only for `own` over 2 * bar - 1."""
    assert needs_second_opinion(None, cut, alone)  # a model without its own "no digit" output
    for own in np.arange(0.025, 1, 0.05):  # away from the bars (multiples of 0.05), so float rounding cannot matter
        assert needs_second_opinion(float(own), cut, alone) == ((own + 1) / 2 > no_digit_bar(cut, alone))


def test_the_default_tells_turned_digits_from_digits(predictor, mnist_test):
    """The default's "no digit" opinion (the mean of its own output and the detector's): over
    NO_DIGIT_ABOVE for most MNIST digits mirrored or turned (85% measured), for almost no MNIST test
    digit (0.01%); either makes the answer "not sure"."""
    from dataclasses import replace

    from mnist_core.synth.turned import turned_digits

    assert predictor.has_no_digit and not Predictor.load("cnn").has_no_digit

    def no_digit(images: np.ndarray) -> np.ndarray:
        return (predictor.read(images)[1] + predictor.detector.read(images)[1]) / 2

    digits = no_digit(mnist_test.images.numpy() / 255.0)
    turned = no_digit(turned_digits(mnist_test.subset(slice(0, 2000)), 1000, seed=3).images.numpy() / 255.0)
    assert (digits > NO_DIGIT_ABOVE).mean() < 0.001 and (turned > NO_DIGIT_ABOVE).mean() > 0.6
    seven = predictor.predict(draw_digit("7"))
    assert not seven.uncertain and seven.no_digit < 0.5
    assert replace(seven, no_digit=NO_DIGIT_ABOVE + 0.01).uncertain


def test_the_detector_is_asked_only_where_it_can_change_the_answer(predictor, mnist_test, monkeypatch):
    """A cascade: where the model's own "no digit" output is too low for the mean of the two to pass
    the bar, the detector is not asked, and every answer is the same as with it always asked."""
    from mnist_core.synth.turned import turned_digits

    detector = predictor.detector
    turned = turned_digits(mnist_test.subset(slice(1000, 2000)), 1000, seed=3).images.numpy() / 255.0
    images = np.concatenate([mnist_test.images[:1000].numpy() / 255.0, turned])
    _, own = predictor.read(images)
    both = (own + detector.read(images)[1]) / 2
    asked = []
    monkeypatch.setattr(detector, "read", lambda x: (asked.append(len(x)), Predictor.read(detector, x))[1])
    seven = predictor.predict(draw_digit("7"))  # predictions judge "no digit" so too
    assert not asked and seven.no_digit == pytest.approx(predictor.read(seven.image[None])[1][0], abs=1e-6)
    for cut, alone in ((False, True), (False, False), (True, False)):
        bar = no_digit_bar(cut, alone)
        judged = np.array(predictor.no_digit(list(images), list(own), [cut] * len(images), [alone] * len(images)))
        asks = np.array([needs_second_opinion(o, cut, alone) for o in own])
        assert np.array_equal(judged > bar, both > bar)  # the same answers
        assert np.allclose(judged[asks], both[asks], atol=1e-6) and np.array_equal(judged[~asks], own[~asks])
        assert asked.pop() == asks.sum()
        if alone:  # asked for few of MNIST's digits, and for most turned ones
            assert asks[:1000].mean() < 0.1 and asks[1000:].mean() > 0.5


def test_a_number_s_digits_are_judged_at_the_number_s_bar(predictor, mnist_test):
    """Each digit of a number written apart knows it is one (alone=False), so a "no digit" opinion
    between the two bars leaves the number sure, and the same digit read alone not sure."""
    from dataclasses import replace

    from conftest import compose_number

    labels = mnist_test.labels.numpy()
    digits = [mnist_test.images[int(np.flatnonzero(labels == d)[0])].numpy() for d in (4, 7)]
    number = predictor.predict(compose_number(digits, gap=0.4))
    assert number.number == "47" and all(not d.alone and not d.cut for d in number.digits) and not number.uncertain
    single = predictor.predict(draw_digit("7"))
    assert single.alone and not single.digits
    between = (NO_DIGIT_ABOVE + NUMBER_NO_DIGIT_ABOVE) / 2
    doubtful = tuple(replace(d, no_digit=between) for d in number.digits)
    assert not replace(number, digits=doubtful).uncertain
    assert replace(single, no_digit=between).uncertain
