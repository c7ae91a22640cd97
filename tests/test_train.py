from __future__ import annotations

from itertools import pairwise

import pytest

from mnist_core.mnist import Split
from mnist_core.render import normalize
from mnist_core.train import Progress, TrainingCancelled, evaluate, one_cycle, train
from mnist_core.train_config import TrainConfig


def small(split: Split, n: int) -> Split:
    return split.subset(slice(0, n))


def test_one_cycle_schedule():
    lrs = [one_cycle(s, 100, 0.1) for s in range(100)]
    assert lrs[9] == pytest.approx(1.0) and lrs[0] < 0.2 and lrs[-1] < 0.02
    assert max(lrs) == pytest.approx(1.0)


def test_tiny_training_learns_and_reports(mnist_train, mnist_test):
    reports: list[Progress] = []
    cfg = TrainConfig.for_model("cnn_small", epochs=2, batch_size=64, lr=0.05)
    result = train("cnn_small", small(mnist_train, 3000), small(mnist_test, 1000), cfg, reports.append, report_every=10)
    steps = [r for r in reports if r.kind == "step"]
    epochs = [r for r in reports if r.kind == "epoch"]
    assert len(epochs) == 2 and len(steps) >= 9
    assert all(a.fraction <= b.fraction for a, b in pairwise(reports))
    assert epochs[-1].test_accuracy == result.test_accuracy > 0.85  # far above chance after 94 steps
    assert evaluate(result.model, small(mnist_test, 1000))[0] == pytest.approx(result.test_accuracy)


def test_augmented_training_runs(mnist_train):
    cfg = TrainConfig(epochs=1, batch_size=100, lr=0.05, augment=True, limit=500)
    result = train("lenet5", mnist_train, None, cfg)
    assert len(result.history) == 1


def test_cancel(mnist_train):
    calls = iter(range(1000))
    with pytest.raises(TrainingCancelled):
        train("mlp_128", mnist_train, None, TrainConfig(epochs=1, limit=2000), should_stop=lambda: next(calls) >= 3)


def test_pairs_are_trained_towards_an_unsure_answer(mnist_train, mnist_test):
    import torch

    from mnist_core.synth.pairs import touching_pairs

    cfg = TrainConfig.for_model("cnn_small", epochs=2, batch_size=64, lr=0.05, pairs=0.5)
    result = train("cnn_small", small(mnist_train, 3000), None, cfg)
    pairs = touching_pairs(small(mnist_test, 1000), 300, seed=1)
    with torch.no_grad():
        on_pairs = torch.softmax(result.model(normalize(pairs.images.unsqueeze(1))), 1).max(1).values
        on_digits = torch.softmax(result.model(normalize(small(mnist_test, 300).images.unsqueeze(1))), 1).max(1).values
    assert on_pairs.median() < 0.5 < on_digits.median()
    assert evaluate(result.model, small(mnist_test, 1000))[0] > 0.85  # digits are still learned


def test_start_from_weights_and_train_only_the_last_layer(mnist_train, mnist_test):
    """cnn_styles's recipe: the shipped weights of another model, then only the last layer learns;
    the layers before it, batch-norm statistics included, stay exactly as they were."""
    import torch

    from mnist_core.paths import shipped_weights_dir
    from mnist_core.weights import load_weights

    start, _ = load_weights(shipped_weights_dir() / "cnn_small.safetensors")
    cfg = TrainConfig(epochs=1, batch_size=100, lr=0.05, start_from="cnn_small", head_only=True)
    test = small(mnist_test, 500)
    result = train("cnn_small", small(mnist_train, 500), test, cfg)
    before, after = start.state_dict(), result.model.state_dict()
    last = list(after)[-2:]  # the last layer's weight and bias
    assert all(torch.equal(before[k], after[k]) for k in after if k not in last)
    assert not torch.equal(before[last[0]], after[last[0]])
    assert result.test_accuracy > 0.95  # one epoch on 500 images: it started from trained weights


def test_no_digit_output_learns_apart_from_the_digits():
    """With an 11th output, a NOT_A_DIGIT image trains only that output; a digit trains both."""
    import torch

    from mnist_core.train import _loss

    out = torch.zeros(2, 11, requires_grad=True)
    _loss(out, torch.tensor([3, -1]), 0.1).backward()
    assert out.grad[1, :10].abs().sum() == 0 and out.grad[1, 10] < 0  # descent raises "no digit"
    assert out.grad[0, :10].abs().sum() > 0 and out.grad[0, 10] > 0  # ... and lowers it for a digit


def test_the_default_starts_from_the_cnn_and_learns_what_is_no_digit(mnist_train, mnist_test):
    """cnn_styles's recipe on a few images: its 11 outputs start from the cnn's 10 and one fresh; the
    body stays the cnn's; the new output then calls turned digits and letters no digit, and MNIST's digits digits."""
    import torch

    from mnist_core.models import split_outputs
    from mnist_core.paths import shipped_weights_dir
    from mnist_core.synth.letters import letters
    from mnist_core.synth.turned import turned_digits
    from mnist_core.weights import load_weights

    start, _ = load_weights(shipped_weights_dir() / "cnn.safetensors")
    cfg = TrainConfig.for_model("cnn_styles", limit=6000)
    result = train("cnn_styles", mnist_train, None, cfg)
    before, after = start.state_dict(), result.model.state_dict()
    head = list(after)[-2:]
    assert all(torch.equal(before[k], after[k]) for k in after if k not in head)
    assert after[head[0]].shape == (11, 1152) and before[head[0]].shape == (10, 1152)

    @torch.no_grad()
    def no_digit(images: torch.Tensor) -> float:
        return torch.sigmoid(split_outputs(result.model(normalize(images.unsqueeze(1))))[1]).mean().item()

    turned = turned_digits(small(mnist_test, 1000), 500, seed=5).images
    glyphs = letters(500, seed=5).images
    # measured: 0.79, 0.77 and 0.13
    assert min(no_digit(turned), no_digit(glyphs)) > 0.6 > 4 * no_digit(mnist_test.images[:500])
    assert evaluate(result.model, small(mnist_test, 1000))[0] > 0.98


def test_same_seed_same_weights_and_the_model_comes_back_on_the_cpu(mnist_train):
    import torch

    cfg = TrainConfig(epochs=1, batch_size=100, lr=0.05, augment=True, limit=500, device="cpu")
    a, b = (train("cnn_small", mnist_train, None, cfg).model for _ in range(2))
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))
    assert {p.device.type for p in a.parameters()} == {"cpu"} and a[0].weight.is_contiguous()


def test_a_device_that_is_not_there_fails_before_training(mnist_train):
    import torch

    from mnist_core.devices import DeviceError

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    reports: list[Progress] = []
    with pytest.raises(DeviceError, match=r"CUDA was asked for \(--device cuda\)"):
        train("cnn_small", mnist_train, None, TrainConfig(limit=100, device="cuda"), reports.append)
    assert reports == []
