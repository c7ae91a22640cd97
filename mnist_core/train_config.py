"""TrainConfig: what a training run does, every setting validated on the way in.

A recipe (models.py), `mnist-train`'s flags (config_flags.py), a weights file's metadata and the
Retrain tab all become one of these; train.py runs it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from .augment import AugmentConfig
from .config_flags import option
from .devices import check_device_spec
from .models import get_spec

OPTIMIZERS = ("sgd", "adamw", "adadelta")


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = option(10, "passes over the training set")
    batch_size: int = option(128, "images per optimizer step (with torchrun: across all processes)")
    lr: float = option(0.05, "peak learning rate of the one-cycle schedule")
    optimizer: str = option("sgd", "sgd (Nesterov, momentum 0.9), adamw or adadelta")
    weight_decay: float = option(5e-4, "weight decay")
    label_smoothing: float = option(0.0, "label smoothing of the cross-entropy")
    warmup: float = option(0.15, "fraction of all steps spent warming the learning rate up")
    augment: bool = option(False, "augment every batch: rotation, scale, shear, shift, stroke thickness")
    styles: float = option(0.0, "add flagged 1s and crossed 7s made from this fraction of MNIST's 1s and 7s")
    curls: float = option(0.0, "add 9s with a curled tail made from this fraction of MNIST's 9s")
    upright_flags: bool = option(False, "make flagged 1s only from upright 1s, with steep flags")
    start_from: str = option("", "start from this registered model's weights, not from scratch")
    head_only: bool = option(False, "train only the last layer; the rest stays as it is")
    pairs: float = option(0.0, "add touching pairs of digits, this fraction of the training set, read unsure")
    fragments: float = option(0.0, "add parts of digits cut in two, this fraction of the training set, read unsure")
    turned: float = option(0.0, "add digits mirrored or turned so they are no digit, this fraction of the training set")
    letters: float = option(0.0, "add letters and signs, this fraction of the training set, read as no digit")
    negatives: float = option(0.0, "add drawings of every kind that are no digit, this fraction of the training set")
    rendered: float = option(0.0, "first add this fraction of the digits again, drawn as inputs are")
    templates: float = option(0.0, "add digits in styles MNIST lacks (pen templates), this fraction of the set")
    font_digits: float = option(0.0, "add digits of vector fonts drawn with a pen, this fraction of the training set")
    scans: float = option(0.0, "add this fraction of the digits again as small 16x16 scans, binarized or grey")
    seed: int = option(0, "random seed of the initialization, the order and the additions")
    val_size: int = option(0, "hold out this many training images and report accuracy on them")
    limit: int = option(0, "train on only the first N training images (a quick smoke run); 0: all")
    eval_batch_size: int = 1000
    augmentation: AugmentConfig = field(default_factory=AugmentConfig)
    # where, not what: devices.resolve_device's spec, resolved when training starts; configs that
    # differ only here are equal, so weights trained anywhere still match their recipe
    device: str = field(default="auto", compare=False)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            kinds: dict[str, type | tuple[type, ...]] = {"int": int, "float": (int, float), "str": str, "bool": bool}
            expected = kinds.get(str(f.type))
            if expected and (not isinstance(value, expected) or (expected is int and isinstance(value, bool))):
                raise ValueError(f"TrainConfig.{f.name} must be {f.type}, not {value!r}")
        if self.epochs < 1 or self.batch_size < 1 or self.eval_batch_size < 1:
            raise ValueError("epochs and batch sizes must be at least 1")
        if self.limit < 0 or self.val_size < 0:
            raise ValueError("limit and val_size cannot be negative")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"the learning rate must be a positive number, not {self.lr}")
        if self.start_from:
            get_spec(self.start_from)  # an unknown model is a ValueError naming the known ones
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
        fractions = {"styles": self.styles, "curls": self.curls, "pairs": self.pairs, "fragments": self.fragments,
                     "turned": self.turned, "letters": self.letters, "rendered": self.rendered,
                     "negatives": self.negatives, "templates": self.templates, "font_digits": self.font_digits,
                     "scans": self.scans}  # fmt: skip
        if not all(0 <= v <= 1 for v in fractions.values()):
            raise ValueError(f"{', '.join(fractions)} are fractions in [0, 1]")
        if not 0 <= self.label_smoothing < 1 or not 0 <= self.warmup < 1 or self.weight_decay < 0:
            raise ValueError("label_smoothing and warmup must be in [0, 1), weight_decay >= 0")
        check_device_spec(self.device)  # a DeviceError (a ValueError); whether it is there is asked at train time

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Build from plain values (a recipe, CLI flags, JSON metadata); unknown keys are errors."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - names
        if unknown:
            raise ValueError(f"unknown training settings: {', '.join(sorted(unknown))}")
        values = dict(values)
        if isinstance(values.get("augmentation"), dict):
            values["augmentation"] = AugmentConfig(**values["augmentation"])
        return cls(**values)

    @classmethod
    def for_model(cls, name: str, **overrides: Any) -> TrainConfig:
        """The model's registered recipe, with explicit overrides on top."""
        return cls.from_dict({**get_spec(name).recipe, **{k: v for k, v in overrides.items() if v is not None}})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
