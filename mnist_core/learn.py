"""Learn from corrections: fine-tune a registered model on what users said it got wrong.

The model starts from its current weights (train_config.TrainConfig.start_from) and trains briefly on the
corrections, each repeated a few times, mixed with MNIST training images replayed so that it does
not forget MNIST. Its recipe stays as it is (optimizer, label smoothing, head_only, and the extra
images it was made with, such as letters for a "no digit" output), at a fraction of its learning
rate. A fixed part of the corrections is held out of training, so the before/after accuracy on them
is an honest measure; the MNIST test set says what it cost. A model whose MNIST test accuracy fell
by more than MAX_MNIST_DROP must not be kept.

What counts as right (`right_answers`): for a digit, the model's top digit is that digit (as
train.evaluate counts); for "not a digit", the model's own "no digit" output is over even odds, or,
for a model without one, its top digit is below verdict.UNCERTAIN_BELOW (its answer is "not sure",
which training towards a uniform answer aims at).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .mnist import NOT_A_DIGIT, Split
from .models import split_outputs
from .render import normalize
from .train import Progress, evaluate, predictions, train
from .train_config import TrainConfig
from .verdict import UNCERTAIN_BELOW
from .weights import WeightsInfo, load_named, save_weights

MAX_MNIST_DROP = 0.001  # 0.1 point: 10 of the 10,000 test images
MIN_FOR_HOLD_OUT = 5  # with fewer corrections, all are learnt from and none is held out
# The fine-tuning peak learning rate, as a fraction of the model's recipe (made for training from
# scratch). AdamW's steps are about its learning rate whatever the gradient, SGD's grow with the large
# gradients of images the model gets wrong, so AdamW needs a larger fraction to learn at all.
LR_SCALE = {"sgd": 0.03, "adamw": 0.1, "adadelta": 0.03}
EVAL_BATCH = 250  # ran faster than train.evaluate's 1000 on a 2-vCPU machine (the batch stays in cache)


@dataclass(frozen=True)
class LearnConfig:
    epochs: int = 1
    replay: int = 3000  # MNIST training images mixed in so the model does not forget MNIST
    share: float = 0.2  # of the training mix, at most this part is corrections, each repeated to fill it ...
    repeats: int = 10  # ... but at most this many times: more of the same few images is learning them by heart
    lr: float = 0.0  # peak learning rate; 0: lr_scale times the model's recipe
    lr_scale: float = 0.0  # 0: LR_SCALE of the recipe's optimizer
    augment: bool = True  # repeated corrections would be learnt by heart; shifted and turned, they teach more
    hold_out: float = 0.2  # the part of the corrections held out for the before/after comparison
    seed: int = 0

    def __post_init__(self) -> None:
        types: dict[str, tuple[type, ...]] = {"int": (int,), "float": (int, float), "bool": (bool,)}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, types[str(f.type)]) or (f.type != "bool" and isinstance(value, bool)):
                raise ValueError(f"LearnConfig.{f.name} must be {f.type}, not {value!r}")
        if self.epochs < 1 or self.replay < 0 or self.repeats < 1:
            raise ValueError("epochs and repeats must be at least 1, and replay at least 0")
        if not 0 < self.share < 1 or not 0 <= self.hold_out < 1:
            raise ValueError("share must be in (0, 1) and hold_out in [0, 1)")
        if not all(math.isfinite(v) and v >= 0 for v in (self.lr, self.lr_scale)):
            raise ValueError("lr and lr_scale must be 0 (the default) or positive")


@dataclass(frozen=True)
class Scores:
    held_out: float | None  # accuracy on the held-out corrections (None: none held out)
    corrections: float  # on all corrections, the ones learnt from included
    mnist: float  # on the MNIST test set


@dataclass
class LearnResult:
    model: nn.Module  # the fine-tuned model (not saved: the caller decides)
    name: str
    before: Scores
    after: Scores
    keep_allowed: bool  # False when MNIST test accuracy fell by more than MAX_MNIST_DROP
    reason: str  # why it may or may not be kept, in a sentence
    learnt_from: int  # corrections trained on (before repeating)
    held_out: int  # corrections held out
    train_config: TrainConfig  # to save the weights with
    seconds: float

    def save(self, path: str | os.PathLike[str]) -> WeightsInfo:
        """Write the new weights (atomically) with their MNIST test accuracy and training settings."""
        return save_weights(self.model, self.name, path, test_accuracy=self.after.mnist,
                            epochs=self.train_config.epochs, train_config=self.train_config.to_dict(),
                            train_seconds=self.seconds)  # fmt: skip


def hold_out_mask(n: int, fraction: float = 0.2) -> torch.Tensor:
    """Which of `n` corrections are held out: `fraction` of them (at least one from MIN_FOR_HOLD_OUT
    on, none below), evenly spread over their order, so a burst of one digit is not all on one side."""
    k = 0 if n < MIN_FOR_HOLD_OUT or fraction <= 0 else max(1, math.floor(n * fraction))
    mask = torch.zeros(n, dtype=torch.bool)
    mask[[round((j + 1) * n / k) - 1 for j in range(k)]] = True
    return mask


@torch.no_grad()
def right_answers(model: nn.Module, split: Split) -> torch.Tensor:
    """Whether the model answers each image right (see the module's docstring for "not a digit")."""
    right = predictions(model, split) == split.labels
    none = split.labels == NOT_A_DIGIT
    if none.any():
        logits, no_digit = split_outputs(model(normalize(split.images[none].unsqueeze(1))))
        if no_digit is not None:
            right[none] = no_digit > 0  # a logit over 0: the probability is over one half
        else:
            right[none] = logits.softmax(1).max(1).values < UNCERTAIN_BELOW
    return right


def _accuracy(model: nn.Module, split: Split) -> float | None:
    return right_answers(model, split).float().mean().item() if len(split) else None


def _scores(model: nn.Module, corrections: Split, held_out: Split, mnist_test: Split) -> Scores:
    everything = _accuracy(model, corrections)
    assert everything is not None  # learn_from_corrections refuses an empty set
    return Scores(_accuracy(model, held_out), everything, evaluate(model, mnist_test, EVAL_BATCH)[0])


def fine_tune_lr(model: str, config: LearnConfig) -> float:
    """config.lr, else the model's recipe's peak times config.lr_scale (else LR_SCALE's)."""
    recipe = TrainConfig.for_model(model)
    return config.lr or recipe.lr * (config.lr_scale or LR_SCALE[recipe.optimizer])


def training_mix(corrections: Split, mnist_train: Split, config: LearnConfig) -> Split:
    """`config.replay` random MNIST training images, and the corrections repeated to make up
    `config.share` of the mix, at most `config.repeats` times and at least once each."""
    gen = torch.Generator().manual_seed(config.seed)
    replay = mnist_train.subset(torch.randperm(len(mnist_train), generator=gen)[: config.replay])
    fill = math.floor(config.share * len(replay) / ((1 - config.share) * len(corrections)))
    repeats = max(1, min(config.repeats, fill))
    index = torch.arange(len(corrections)).repeat(repeats)
    return replay.plus(corrections.subset(index))


def _verdict(before: Scores, after: Scores) -> tuple[bool, str]:
    drop = before.mnist - after.mnist
    mnist = f"MNIST test accuracy {before.mnist:.2%} -> {after.mnist:.2%}"
    if drop > MAX_MNIST_DROP + 1e-9:  # the tolerance: accuracies are counts over 10,000, as floats
        return False, f"{mnist}: it fell by more than {MAX_MNIST_DROP:.1%}, so the model forgot MNIST"
    if before.held_out is not None and after.held_out is not None:
        held = f"held-out corrections {before.held_out:.0%} -> {after.held_out:.0%}"
    else:
        held = "no corrections held out to judge the learning by"
    return True, f"{mnist} (within {MAX_MNIST_DROP:.1%}); {held}"


def learn_from_corrections(
    model: str,
    corrections: Split,
    mnist_train: Split,
    mnist_test: Split,
    config: LearnConfig | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    weights_dir: str | os.PathLike[str] | None = None,
) -> LearnResult:
    """Fine-tune registered `model` from its current weights (as weights.load_named finds them) on
    `corrections` (uint8 images, labels 0-9 or NOT_A_DIGIT), mixed with replayed MNIST training images;
    score it before and after. `on_progress` and `should_stop` are train.train's (TrainingCancelled
    when stopped). Raises ValueError for no corrections or bad labels, WeightsError for missing weights."""
    config = config or LearnConfig()
    start = time.perf_counter()
    if len(corrections) == 0:
        raise ValueError("there are no corrections to learn from")
    if corrections.images.dtype != torch.uint8 or corrections.images.shape[1:] != (28, 28):
        raise ValueError(f"corrections must be uint8 28x28 images, not {corrections.images.dtype} "
                         f"{tuple(corrections.images.shape)}")  # fmt: skip
    labels = corrections.labels
    if not (((labels >= 0) & (labels <= 9)) | (labels == NOT_A_DIGIT)).all():
        raise ValueError(f"correction labels must be 0-9 or {NOT_A_DIGIT} (not a digit)")
    held = hold_out_mask(len(corrections), config.hold_out)
    learn_split, held_split = corrections.subset(~held), corrections.subset(held)
    current, _, _ = load_named(model, weights_dir)
    before = _scores(current, corrections, held_split, mnist_test)
    train_config = TrainConfig.for_model(model, start_from=model, epochs=config.epochs, augment=config.augment,
                                         lr=fine_tune_lr(model, config), seed=config.seed)  # fmt: skip
    mix = training_mix(learn_split, mnist_train, config)
    # the very weights scored above (start_from names them for the record): a file replaced meanwhile
    # cannot make "before" and "after" two different starts
    result = train(copy.deepcopy(current), mix, None, train_config, on_progress, should_stop)
    after = _scores(result.model, corrections, held_split, mnist_test)
    keep, reason = _verdict(before, after)
    return LearnResult(result.model, model, before, after, keep, reason, len(learn_split), len(held_split),
                       train_config, time.perf_counter() - start)  # fmt: skip
