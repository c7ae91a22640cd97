from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from torch import nn

from mnist_core.learn import (
    LR_SCALE,
    MAX_MNIST_DROP,
    LearnConfig,
    fine_tune_lr,
    hold_out_mask,
    learn_from_corrections,
    right_answers,
    training_mix,
)
from mnist_core.mnist import NOT_A_DIGIT, Split
from mnist_core.paths import HOME_ENV
from mnist_core.preprocess import to_mnist
from mnist_core.synth.letters import letters
from mnist_core.train import TrainingCancelled
from mnist_core.weights import load_named

QUICK = LearnConfig(replay=1000)  # the defaults, with fewer MNIST images replayed: a test's budget


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))


def flagged_ones(n: int, seed: int) -> Split:
    """1s with a long flag, as much of Europe writes them, drawn on a canvas and preprocessed as the
    app does: MNIST's 1s are bare strokes, so the shipped cnn_small reads most of these as 7s."""
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(n):
        flag = (rng.uniform(0.2, 0.3), rng.uniform(0.25, 0.38))
        top = (rng.uniform(0.5, 0.6), rng.uniform(0.12, 0.2))
        foot = (top[0] + rng.uniform(-0.08, 0.03), rng.uniform(0.8, 0.88))
        img = Image.new("L", (400, 400), 255)
        points = [(x * 400, y * 400) for x, y in (flag, top, foot)]
        ImageDraw.Draw(img).line(points, fill=0, width=int(rng.integers(14, 30)), joint="curve")
        images.append(torch.from_numpy(np.rint(to_mnist(img) * 255).astype(np.uint8)))
    return Split(torch.stack(images), torch.ones(n, dtype=torch.long))


class Fixed(nn.Module):
    """A model that answers the same logits for every image."""

    def __init__(self, logits: list[float]) -> None:
        super().__init__()
        self.logits = torch.tensor([logits])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits.expand(len(x), -1)


def test_hold_out_is_a_fixed_fifth_from_five_corrections_on():
    assert [int(hold_out_mask(n).sum()) for n in range(12)] == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2]
    assert torch.nonzero(hold_out_mask(20)).flatten().tolist() == [4, 9, 14, 19]  # spread over their order
    assert torch.equal(hold_out_mask(37), hold_out_mask(37)) and int(hold_out_mask(37).sum()) == 7
    assert not hold_out_mask(20, 0.0).any()


@pytest.mark.parametrize(("name", "value"), [("epochs", 0), ("share", 1.0), ("hold_out", 1.0), ("lr", -1.0),
                                           ("lr", float("nan")), ("lr_scale", -0.1), ("replay", 2.5), ("augment", 1),
                                           ("repeats", 0)])  # fmt: skip
def test_config_is_checked(name, value):
    with pytest.raises(ValueError, match=name if name != "augment" else "augment must be bool"):
        LearnConfig(**{name: value})


def test_the_fine_tuning_learning_rate():
    assert fine_tune_lr("cnn_small", LearnConfig()) == pytest.approx(0.3 * LR_SCALE["sgd"])  # its recipe: SGD at 0.3
    assert fine_tune_lr("mlp_128", LearnConfig()) == pytest.approx(2e-3 * LR_SCALE["adamw"])
    assert fine_tune_lr("cnn_small", LearnConfig(lr_scale=0.5)) == pytest.approx(0.15)
    assert fine_tune_lr("cnn_small", LearnConfig(lr=0.01, lr_scale=0.5)) == 0.01


def test_right_answers_for_digits_and_not_a_digit():
    images = Split(torch.zeros((3, 28, 28), dtype=torch.uint8), torch.tensor([3, 4, NOT_A_DIGIT]))
    sure_3 = [0.0] * 10
    sure_3[3] = 9.0
    assert right_answers(Fixed(sure_3), images).tolist() == [True, False, False]
    assert right_answers(Fixed([0.0] * 10), images).tolist() == [False, False, True]  # unsure: "not a digit"
    assert right_answers(Fixed([*sure_3, 2.0]), images).tolist() == [True, False, True]  # its "no digit" output
    assert right_answers(Fixed([*[0.0] * 10, -2.0]), images).tolist() == [False, False, False]


def test_corrections_are_repeated_into_a_share_of_the_mix(mnist_train):
    few = flagged_ones(4, seed=0)
    mix = training_mix(few, mnist_train, LearnConfig(replay=1000, share=0.2, repeats=1000))
    assert len(mix) == 1000 + 4 * 62 and (mix.labels[1000:] == 1).all()  # 248 of 1248: just under a fifth
    assert len(training_mix(few, mnist_train, LearnConfig(replay=1000, repeats=10))) == 1000 + 4 * 10
    assert len(training_mix(few, mnist_train, LearnConfig(replay=0))) == 4  # at least once each


@pytest.mark.slow
def test_learning_flagged_ones_reads_unseen_ones_and_keeps_mnist(mnist_train, mnist_test):
    corrections, unseen = flagged_ones(20, seed=1), flagged_ones(40, seed=2)
    shipped, _, _ = load_named("cnn_small")
    reports = []
    result = learn_from_corrections("cnn_small", corrections, mnist_train, mnist_test, QUICK, reports.append)
    assert (result.learnt_from, result.held_out) == (16, 4)
    assert result.before.held_out is not None and result.after.held_out is not None
    assert result.before.held_out <= 0.5 < result.after.held_out  # the held-out 1s were never trained on
    assert result.before.corrections <= 0.5 < result.after.corrections
    before, after = (right_answers(m, unseen).float().mean().item() for m in (shipped, result.model))
    assert before < 0.5 < after
    drop = result.before.mnist - result.after.mnist
    assert result.keep_allowed and drop <= MAX_MNIST_DROP and "MNIST test accuracy" in result.reason
    assert reports and reports[-1].kind == "epoch"


@pytest.mark.slow
def test_a_huge_learning_rate_forgets_mnist_and_may_not_be_kept(mnist_train, mnist_test):
    result = learn_from_corrections("cnn_small", flagged_ones(8, seed=3), mnist_train,
                                    mnist_test.subset(slice(0, 2000)), LearnConfig(replay=500, lr=5.0))  # fmt: skip
    assert result.after.mnist < result.before.mnist - MAX_MNIST_DROP
    assert not result.keep_allowed and "forgot MNIST" in result.reason


@pytest.mark.slow
def test_not_a_digit_corrections_are_learnt(mnist_train, mnist_test):
    shipped, _, _ = load_named("cnn_small")
    drawn = letters(60, seed=4, symbols="ACEFHKLMNPRTUVWXY")
    # letters it reads confidently as digits
    misread = drawn.subset(~right_answers(shipped, drawn)).subset(slice(0, 10))
    assert len(misread) == 10 and (misread.labels == NOT_A_DIGIT).all()
    result = learn_from_corrections("cnn_small", misread, mnist_train, mnist_test.subset(slice(0, 1000)), QUICK)
    assert result.before.corrections == 0 < result.after.corrections


def test_bad_corrections_and_cancelling(mnist_train, mnist_test):
    empty = Split(torch.zeros((0, 28, 28), dtype=torch.uint8), torch.zeros(0, dtype=torch.long))
    with pytest.raises(ValueError, match="no corrections"):
        learn_from_corrections("cnn_small", empty, mnist_train, mnist_test, QUICK)
    wrong = Split(torch.zeros((1, 28, 28), dtype=torch.uint8), torch.tensor([12]))
    with pytest.raises(ValueError, match="0-9"):
        learn_from_corrections("cnn_small", wrong, mnist_train, mnist_test, QUICK)
    with pytest.raises(TrainingCancelled):
        learn_from_corrections("cnn_small", flagged_ones(3, seed=5), mnist_train, mnist_test.subset(slice(0, 100)),
                               QUICK, should_stop=lambda: True)  # fmt: skip
