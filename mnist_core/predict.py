"""Top-k prediction for one image or a batch, through the one preprocessing path.

The models run through inference.BatchReader; when an answer is "not sure" is verdict's to say; an
app keeps its predictors in cache.PredictorCache.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, replace
from typing import Any, Literal, overload

import numpy as np
import torch
from torch import nn

from .devices import AUTO
from .errors import InputError
from .image_io import ImageSource
from .inference import BatchReader, check_backend
from .models import DEFAULT_MODEL
from .preprocess import Digit, analyze
from .verdict import is_uncertain, needs_second_opinion
from .weights import WeightsError, WeightsInfo, load_named, load_weights, weights_sources


@dataclass(frozen=True)
class Prediction:
    digit: int
    confidence: float
    probabilities: np.ndarray  # (10,), sums to 1
    image: np.ndarray  # (28, 28) float in [0, 1]: what the model saw
    model: str
    plausible: bool = True  # the ink looks like one digit (not a dot, noise or scribbles)
    box: tuple[int, int, int, int] | None = None  # x0, y0, x1, y1 in the input image's pixels
    # for a number: every digit, left to right (this prediction's own fields are the first digit's)
    digits: tuple[Prediction, ...] = ()
    # probability that the ink is no digit at all (see verdict.NO_DIGIT_ABOVE): the mean of the model's
    # own opinion and the detector's, or either alone (see verdict.needs_second_opinion)
    no_digit: float = 0.0
    cut: bool = False  # cut from touching ink (see verdict.CUT_NO_DIGIT_ABOVE)
    alone: bool = True  # the whole answer is this digit (False for a digit of a number)

    @property
    def uncertain(self) -> bool:
        """True when the answer should be "not sure" rather than a digit (or, for a number, when
        any of its digits is)."""
        if self.digits:
            return any(d.uncertain for d in self.digits)
        return is_uncertain(self.confidence, self.plausible, self.no_digit, self.cut, self.alone)

    @property
    def number(self) -> str:
        """The digits read, left to right ("7" for a single digit)."""
        return "".join(str(d.digit) for d in self.digits) or str(self.digit)

    def top_k(self, k: int = 3) -> list[tuple[int, float]]:
        order = np.argsort(-self.probabilities, kind="stable")[: max(1, min(k, 10))]
        return [(int(d), float(self.probabilities[d])) for d in order]

    def to_json(self, path: str, k: int = 3) -> dict[str, Any]:
        """One line of `mnist-predict --json`."""
        out: dict[str, Any] = {
            "path": path,
            "digit": self.digit,
            "confidence": round(self.confidence, 6),
            "top_k": [{"digit": d, "probability": round(p, 6)} for d, p in self.top_k(k)],
            "model": self.model,
        }
        if self.digits:
            out["digits"] = [{"digit": d.digit, "confidence": round(d.confidence, 6), "box": list(d.box or ())}
                             for d in self.digits]  # fmt: skip
            out["number"] = self.number
        if self.uncertain:
            out["uncertain"] = True
        return out


# The model that judges where touching digits are cut (segment.split_touching), for every model's
# predictions: trained to read pairs and parts of digits unsure, it cuts better than any reader.
SEGMENTER = "cnn_segment"
# The model whose "no digit" output is a second opinion for every model's predictions (averaged with
# the reader's own, where it has one, and then asked only where it can change the answer:
# verdict.needs_second_opinion): trained from scratch to tell digits from what is no digit.
DETECTOR = "cnn_no_digit"
JUDGES = {SEGMENTER: "segmenter", DETECTOR: "detector"}  # judge -> its Predictor attribute


class Predictor:
    """A model in eval mode plus its name and weights metadata, and optionally the segmenter that
    judges where touching digits are cut (without one, the model judges its own cuts) and the
    detector that gives a second opinion on "no digit". `backend` (inference.BACKENDS) runs the
    model, on `device` (devices.resolve_device: "auto", "cpu", "cuda[:N]", "mps"; ONNX Runtime runs
    on the CPU): see inference.BatchReader."""

    def __init__(self, model: nn.Module, name: str, info: WeightsInfo | None = None,
                 segmenter: Predictor | None = None, detector: Predictor | None = None,
                 backend: str = "torch", device: str = AUTO):  # fmt: skip
        self._reader = BatchReader(model, backend, device)  # checks the backend and device first
        self.backend = self._reader.backend
        self.device = self._reader.device
        self.has_no_digit = self._reader.has_no_digit
        self.model = model.eval()
        self.name = name
        self.info = info
        self.segmenter = segmenter
        self.detector = detector

    @classmethod
    def load(cls, name: str = DEFAULT_MODEL, weights_dir: str | os.PathLike[str] | None = None,
             backend: str = "torch", device: str = AUTO) -> Predictor:  # fmt: skip
        """The model's weights (weights.load_named: `weights_dir` if given, else the user's retrained
        ones, else the shipped ones), with the segmenter's and the detector's found the same way and
        run on the same backend."""
        check_backend(backend)  # before any weights are read
        model, info, _ = load_named(name, weights_dir)
        pred = cls(model, info.model, info, backend=backend, device=device)
        for judge, role in JUDGES.items():
            if name != judge:
                setattr(pred, role, load_judge(judge, weights_dir, backend, device))
        return pred

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], backend: str = "torch", device: str = AUTO) -> Predictor:
        check_backend(backend)
        model, info = load_weights(path)
        return cls(model, info.model, info, backend=backend, device=device)

    def read(self, images: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray | None]:
        """(B, 28, 28) [0, 1] MNIST-format images -> (B, 10) softmax probabilities, and (B,)
        probabilities that each is no digit (None for a model without that output)."""
        return self._reader.read(images)

    def probabilities(self, images: np.ndarray | torch.Tensor) -> np.ndarray:
        """(B, 28, 28) [0, 1] MNIST-format images -> (B, 10) softmax probabilities."""
        return self.read(images)[0]

    def no_digit(self, images: list[np.ndarray], own: list[float | None], cut: list[bool],
                 alone: list[bool] | None = None) -> list[float]:  # fmt: skip
        """The probability that each (28, 28) image is no digit, given the model's own opinions (None
        for a model without that output): the mean of its own and the detector's, the detector being
        asked only where its opinion can change the answer (needs_second_opinion; `alone`: whether
        each is a whole answer, not a digit of a number, all by default)."""
        alone = [True] * len(own) if alone is None else alone
        ask = [i for i, (o, c, a) in enumerate(zip(own, cut, alone, strict=True)) if needs_second_opinion(o, c, a)]
        seconds = {}
        if self.detector is not None and ask:
            theirs = self.detector.read(np.stack([images[i] for i in ask]))[1]
            assert theirs is not None, f"the detector {self.detector.name} has no 'no digit' output"
            seconds = dict(zip(ask, theirs, strict=True))
        given = [[v for v in (o, seconds.get(i)) if v is not None] for i, o in enumerate(own)]
        return [float(np.mean(g)) if g else 0.0 for g in given]

    def predict(self, source: ImageSource) -> Prediction:
        """Raises InputError for an unreadable image or one without ink."""
        return self.predict_many([source])[0]

    @overload
    def predict_many(self, sources: list[ImageSource], raise_errors: Literal[True] = True) -> list[Prediction]: ...

    @overload
    def predict_many(self, sources: list[ImageSource], raise_errors: bool) -> list[Prediction | InputError]: ...

    def predict_many(
        self, sources: list[ImageSource], raise_errors: bool = True
    ) -> list[Prediction] | list[Prediction | InputError]:
        """Predict a batch (the digits not yet classified while segmenting in one forward pass);
        with raise_errors=False, bad inputs give their error."""
        judge = self.segmenter or self
        read: list[list[Digit] | InputError] = []
        for s in sources:
            try:
                read.append(analyze(s, judge.probabilities))
            except InputError as exc:
                if raise_errors:
                    raise
                read.append(exc)
        if judge is not self or self.has_no_digit:  # the cuts are decided; this model reads the digits
            read = [r if isinstance(r, InputError) else [replace(d, probabilities=None) for d in r] for r in read]
        every = [d for r in read if not isinstance(r, InputError) for d in r]
        alone = [len(r) == 1 for r in read if not isinstance(r, InputError) for _ in r]
        todo = [d.image for d in every if d.probabilities is None]
        probs, own = self.read(np.stack(todo)) if todo else (np.zeros((0, 10)), None)
        answers = iter(zip(probs, own if own is not None else [None] * len(probs), strict=True))
        # each digit's probabilities and own "no digit" opinion (None for a model without that output)
        opinions = [(d.probabilities, None) if d.probabilities is not None else next(answers) for d in every]
        judged = self.no_digit([d.image for d in every], [o for _, o in opinions], [d.cut for d in every], alone)
        digits = []
        for d, (p, _), nd, a in zip(every, opinions, judged, alone, strict=True):
            k = int(p.argmax())
            digits.append(Prediction(k, float(p[k]), p, d.image, self.name, d.plausible, d.box, no_digit=nd, cut=d.cut,
                                     alone=a))  # fmt: skip
        ordered = iter(digits)
        out: list[Prediction | InputError] = []
        for r in read:
            if isinstance(r, InputError):
                out.append(r)
                continue
            each = [next(ordered) for _ in r]
            out.append(replace(each[0], digits=tuple(each)) if len(each) > 1 else each[0])
        return out


def load_judge(name: str, weights_dir: str | os.PathLike[str] | None = None, backend: str = "torch",
               device: str = AUTO) -> Predictor | None:  # fmt: skip
    """A judge of every model's predictions (SEGMENTER, DETECTOR) from where load_named finds it,
    else the shipped file; None when neither loads."""
    for path in weights_sources(name, weights_dir, fallback=True):
        try:
            return Predictor.from_file(path, backend, device)
        except WeightsError:
            continue
    return None


@functools.cache
def _default_predictor(model: str) -> Predictor:
    return Predictor.load(model)


def predict(source: ImageSource, model: str = DEFAULT_MODEL) -> Prediction:
    """Read the digit (or number) in one image: a path, bytes, a PIL image or an array. The model
    loads on the first call and is kept for the next (Predictor.load chooses weights and device).
    Raises InputError for an image that cannot be used."""
    return _default_predictor(model).predict(source)
