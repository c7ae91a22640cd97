"""One training loop for every registered model (its configuration: train_config.py).

The data stays in memory as one float tensor on the training device (moved there once) and batches
are slices of a random permutation. Progress goes to a callback (per step and per epoch); nothing
here prints. The learning rate follows a one-cycle schedule (linear warm-up, then linear decay to
zero), which reaches a given accuracy in far fewer epochs than a fixed or step schedule. Started by
torchrun, each process trains on its part of every batch (distributed.py).

Over 250 lines and still one module: the loop and the helpers only it calls (optimizer, loss,
schedule, generators, tally), read top to bottom as nanoGPT's train.py is.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .augment import augment
from .devices import move, resolve_device
from .distributed import World, check_batch, current_world, rank_device, shard, steps_per_epoch
from .mnist import Split
from .models import create_model, split_outputs
from .render import normalize
from .synth import negatives
from .synth.font_digits import font_digits
from .synth.fragments import digit_fragments
from .synth.letters import letters
from .synth.pairs import touching_pairs
from .synth.rendered import rendered_digits
from .synth.scans import scanned
from .synth.styles import style_variants
from .synth.templates import template_digits
from .synth.turned import turned_digits
from .train_config import TrainConfig
from .weights import WeightsError, load_named


@dataclass(frozen=True)
class Progress:
    """One report: kind is "step" (every few steps) or "epoch" (end of epoch, with test accuracy)."""

    kind: str
    epoch: int  # 1-based
    epochs: int
    step: int  # steps done in this epoch
    steps_per_epoch: int
    loss: float  # mean training loss over the epoch so far
    accuracy: float  # training accuracy over the epoch so far (on augmented data when augmenting)
    elapsed: float  # seconds since training started
    test_accuracy: float | None = None
    test_loss: float | None = None

    @property
    def fraction(self) -> float:
        return ((self.epoch - 1) * self.steps_per_epoch + self.step) / (self.epochs * self.steps_per_epoch)


@dataclass
class TrainResult:
    model: nn.Module
    config: TrainConfig
    history: list[Progress]
    test_accuracy: float
    test_loss: float
    seconds: float


class TrainingCancelled(Exception):
    pass


def _images(split: Split) -> torch.Tensor:
    return split.images.unsqueeze(1).float().div_(255.0)


def model_device(model: nn.Module) -> torch.device:
    """Where the model's parameters are (the CPU for a model without any)."""
    p = next(model.parameters(), None)
    return torch.device("cpu") if p is None else p.device


@torch.no_grad()
def evaluate(model: nn.Module, split: Split, batch_size: int = 1000) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) on a split, on the device the model is on."""
    model.eval()
    device = model_device(model)
    images, labels = split.images.to(device), split.labels.to(device)  # once, not per batch
    correct = torch.zeros((), dtype=torch.long, device=device)
    losses = []
    for i in range(0, len(labels), batch_size):
        logits = split_outputs(model(normalize(images[i : i + batch_size].unsqueeze(1))))[0]
        y = labels[i : i + batch_size]
        losses.append(F.cross_entropy(logits, y, reduction="sum"))
        correct += (logits.argmax(1) == y).sum()
    n = max(1, len(split))
    # one transfer at the end, and summed in the same order as ever
    return correct.item() / n, sum(torch.stack(losses).tolist()) / n if losses else 0.0


@torch.no_grad()
def predictions(model: nn.Module, split: Split, batch_size: int = 1000) -> torch.Tensor:
    """Predicted labels for a whole split (for confusion matrices), on the CPU."""
    model.eval()
    images = split.images.to(model_device(model))
    batches = [images[i : i + batch_size] for i in range(0, len(split), batch_size)]
    return torch.cat([split_outputs(model(normalize(b.unsqueeze(1))))[0].argmax(1) for b in batches]).cpu()


def _optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    # no weight decay on biases and batch-norm scales: decaying them only hurts
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim > 1]
    no_decay = [p for p in params if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=0.9, nesterov=True)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr)
    return torch.optim.Adadelta(groups, lr=cfg.lr)


def _loss(out: torch.Tensor, labels: torch.Tensor, label_smoothing: float, all_digits: bool = False) -> torch.Tensor:
    """Cross-entropy for digits; for NOT_A_DIGIT images (label -1), cross-entropy to the uniform answer,
    or, for a model with a "no digit" output, that output's binary cross-entropy instead (for every
    image), and the digits' logits learn from the digits alone. `all_digits`: the caller knows there
    is no NOT_A_DIGIT label, and the checks (each a wait for an accelerator) are skipped."""
    logits, no_digit = split_outputs(out)
    digits = labels >= 0
    if no_digit is not None:
        loss = F.binary_cross_entropy_with_logits(no_digit, (~digits).float())
        if all_digits or digits.any():
            loss = loss + F.cross_entropy(logits[digits], labels[digits], label_smoothing=label_smoothing)
        return loss
    per = F.cross_entropy(logits, labels.clamp(min=0), reduction="none", label_smoothing=label_smoothing)
    if not all_digits and not digits.all():
        per = torch.where(digits, per, -F.log_softmax(logits, 1).mean(1))
    return per.mean()


def one_cycle(step: int, total: int, warmup: float) -> float:
    """Learning-rate multiplier: linear up to 1 over `warmup` of the steps, then linear down to 0."""
    w = max(1, int(total * warmup))
    return (step + 1) / w if step < w else max(0.0, (total - step) / max(1, total - w))


def initial_model(name: str, config: TrainConfig, weights_dir: str | os.PathLike[str] | None = None) -> nn.Module:
    """A fresh registered model, or with config.start_from, one holding that model's weights (found
    as weights.load_named finds them). A last layer with more outputs than
    the start's takes the start's for its first ones; the rest begin fresh. Raises WeightsError when
    the weights are missing, corrupt or do not fit `name`'s architecture."""
    model = create_model(name)
    if config.start_from:
        start, _, _ = load_named(config.start_from, weights_dir)
        state = start.state_dict()
        for key, own in model.state_dict().items():  # more rows than the start's: theirs, then own fresh ones
            theirs = state.get(key)
            if theirs is not None and theirs.ndim and theirs.shape[1:] == own.shape[1:] and len(theirs) < len(own):
                state[key] = torch.cat([theirs, own[len(theirs) :]])
        try:
            model.load_state_dict(state)
        except RuntimeError as exc:
            raise WeightsError(f"{name} cannot start from {config.start_from}'s weights: {exc}") from None
    return model


def _frozen_body(model: nn.Module) -> list[nn.Module]:
    """With head_only: every layer before the last one with weights, its weights no longer trained."""
    layers = list(model.children())
    last = max(i for i, m in enumerate(layers) if next(m.parameters(), None) is not None)
    for m in layers[:last]:
        m.requires_grad_(False)
    return layers[:last]


def training_data(split: Split, config: TrainConfig) -> Split:
    """The images a recipe trains on: `split` (its first config.limit), then the extras it asks for."""
    if config.limit:
        split = split.subset(slice(0, config.limit))
    if config.rendered:  # before the other extras, which are then made from these digits too
        split = split.plus(rendered_digits(split, int(len(split) * config.rendered), config.seed))
    extras = [style_variants(split, config.styles, config.seed, config.upright_flags)] if config.styles else []
    if config.curls:
        extras.append(style_variants(split, config.curls, config.seed, digits=(9,)))
    if config.pairs:
        extras.append(touching_pairs(split, int(len(split) * config.pairs), config.seed))
    if config.fragments:
        extras.append(digit_fragments(split, int(len(split) * config.fragments), config.seed))
    if config.turned:
        extras.append(turned_digits(split, int(len(split) * config.turned), config.seed))
    if config.letters:
        extras.append(letters(int(len(split) * config.letters), config.seed))
    if config.negatives:
        extras.append(negatives(int(len(split) * config.negatives), config.seed, split))
    if config.templates:
        extras.append(template_digits(int(len(split) * config.templates), config.seed))
    if config.font_digits:
        extras.append(font_digits(int(len(split) * config.font_digits), config.seed))
    if config.scans:
        extras.append(scanned(split, config.scans, config.seed))
    for extra in extras:
        split = split.plus(extra)
    return split


def _rank_seed(seed: int, rank: int) -> int:
    """A seed of its own for each process, unrelated to the seeds of other processes or runs."""
    return int(np.random.SeedSequence([seed, rank]).generate_state(1, np.uint64)[0] >> 1)


def _generators(seed: int, device: torch.device, world: World) -> tuple[torch.Generator, torch.Generator]:
    """(order, augmentation) generators. Every process draws the same permutations (each trains on its
    part of every batch) and its own augmentations on its device. One process on the CPU draws both
    from one generator, as the shipped weights were trained, so they stay reproducible."""
    order = torch.Generator().manual_seed(seed)
    if world.size == 1 and device.type == "cpu":
        return order, order
    return order, torch.Generator(device).manual_seed(_rank_seed(seed, world.rank))


def _augment(x: torch.Tensor, config: TrainConfig, gen: torch.Generator) -> torch.Tensor:
    if x.device.type == "cpu":
        return augment(x, config.augmentation, gen)
    with torch.device(x.device):  # augment.augment's random draws and constants, made on the batch's device
        return augment(x, config.augmentation, gen)


def _autocast(device: torch.device) -> contextlib.AbstractContextManager[Any]:
    """bfloat16 on GPUs with bfloat16 tensor cores (compute capability 8 on); float32 elsewhere."""
    if device.type == "cuda" and torch.cuda.get_device_capability(device) >= (8, 0):
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _on(split: Split, device: torch.device) -> Split:
    return Split(split.images.to(device), split.labels.to(device))


@dataclass
class _Tally:
    """An epoch's training loss and accuracy so far, summed on the device: read only when reported."""

    loss: torch.Tensor
    correct: torch.Tensor
    digits: torch.Tensor
    seen: int = 0

    @classmethod
    def on(cls, device: torch.device) -> _Tally:
        zero = torch.zeros((), dtype=torch.long, device=device)
        return cls(torch.zeros((), device=device), zero, zero.clone())

    def add(self, loss: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor) -> None:
        digits = labels >= 0  # accuracy is over the digits alone
        self.loss += loss.detach() * len(labels)
        self.correct += ((logits.argmax(1) == labels) & digits).sum()
        self.digits += digits.sum()
        self.seen += len(labels)

    def read(self) -> tuple[float, float]:
        """(mean loss, accuracy)."""
        return self.loss.item() / max(1, self.seen), self.correct.item() / max(1, int(self.digits.item()))


def _parallel(model: nn.Module, device: torch.device, world: World) -> nn.Module:
    """The module the steps run: with several processes, DistributedDataParallel averages gradients."""
    if world.size == 1:
        return model
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def train(
    model: nn.Module | str,
    train_split: Split,
    test_split: Split | None,
    config: TrainConfig,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    report_every: int = 20,
    weights_dir: str | os.PathLike[str] | None = None,
) -> TrainResult:
    """Train `model` (or a registered model by name, see initial_model) on config.device; returns the
    model, on the CPU, and its metrics. Raises DeviceError when that device is not there.

    `should_stop` is polled every step; when it returns True, TrainingCancelled is raised.
    `test_split` (usually the 10k test set) is evaluated after every epoch for the curves.
    In a process group (distributed.process_group), each process trains on its part of every batch;
    only rank 0 evaluates and reports progress, its train loss and accuracy those of its own part.
    """
    world = current_world()
    device = rank_device(resolve_device(config.device), world)
    check_batch(config.batch_size, world)
    on_progress = on_progress if world.is_main else None
    torch.manual_seed(config.seed)
    order_gen, augment_gen = _generators(config.seed, device, world)
    if isinstance(model, str):
        model = initial_model(model, config, weights_dir)
    channels_last = device.type in ("cpu", "cuda")  # faster convolutions on the CPU (measured) and with cuDNN
    model = move(model, device, torch.channels_last if channels_last else torch.preserve_format)
    frozen = _frozen_body(model) if config.head_only else []
    train_split = training_data(train_split, config)
    all_digits = bool((train_split.labels >= 0).all())  # asked once here, not at every step on the device
    on_device = _on(train_split, device)  # moved once, as uint8: a quarter of the float images' bytes
    x_all, y_all = _images(on_device), on_device.labels
    monitor = _on(test_split, device) if test_split is not None and world.is_main else None
    net = _parallel(model, device, world)
    if world.rank:  # dropout of its own in each process; rank 0 draws as a lone process does
        torch.manual_seed(_rank_seed(config.seed, world.rank))
    epochs, batch, steps = config.epochs, config.batch_size, steps_per_epoch(len(y_all), config.batch_size, world)
    opt = _optimizer(model, config)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: one_cycle(step, epochs * steps, config.warmup))
    history: list[Progress] = []
    start = time.perf_counter()
    test_acc, test_loss = float("nan"), float("nan")
    for epoch in range(1, epochs + 1):
        net.train()
        for m in frozen:  # as trained: batch norm keeps its statistics, dropout is off
            m.eval()
        perm = torch.randperm(len(y_all), generator=order_gen).to(device)
        tally = _Tally.on(device)
        for step in range(steps):
            if should_stop is not None and should_stop():
                raise TrainingCancelled(f"training cancelled in epoch {epoch}")
            whole = perm[step * batch : (step + 1) * batch]
            idx = shard(whole, world)
            xb, yb = x_all[idx], y_all[idx]
            if config.augment:
                xb = _augment(xb, config, augment_gen)
            xb = normalize(xb)
            with _autocast(device):
                out = net(xb.contiguous(memory_format=torch.channels_last) if channels_last else xb)
                loss = _loss(out, yb, config.label_smoothing, all_digits)
            opt.zero_grad(set_to_none=True)
            # DDP averages the processes' gradients: weighted by its share, each part counts per image
            (loss * (len(idx) * world.size / len(whole)) if world.size > 1 else loss).backward()  # type: ignore[no-untyped-call]
            opt.step()
            sched.step()
            tally.add(loss, split_outputs(out)[0], yb)
            if on_progress and ((step + 1) % report_every == 0 or step + 1 == steps):
                loss_now, acc_now = tally.read()  # waits for the device: the clock then counts its work
                on_progress(
                    Progress("step", epoch, epochs, step + 1, steps, loss_now, acc_now, time.perf_counter() - start)
                )
        if monitor is not None:
            test_acc, test_loss = evaluate(model, monitor, config.eval_batch_size)
        report = Progress("epoch", epoch, epochs, steps, steps, *tally.read(), time.perf_counter() - start, test_acc,
                          test_loss)  # fmt: skip
        history.append(report)
        if on_progress:
            on_progress(report)
    model.eval()
    return TrainResult(move(model, "cpu", torch.contiguous_format), config, history, test_acc, test_loss,
                       time.perf_counter() - start)  # fmt: skip
