"""Top-k prediction for one image or a batch, through the one preprocessing path."""

from __future__ import annotations

import copy
import functools
import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from .devices import AUTO, resolve_device
from .errors import InputError

# export imports onnx and onnxruntime (an optional extra) only inside the functions that use them
from .export import OnnxReader, require_onnx
from .image_io import ImageSource
from .models import DEFAULT_MODEL, get_spec, split_outputs
from .preprocess import Digit, analyze
from .render import normalize
from .weights import (
    WeightsError,
    WeightsInfo,
    load_named,
    load_weights,
    read_info,
    shipped_path,
    weights_path,
    weights_sources,
)

# Below even odds for the top digit the answer is "not sure" rather than a digit. (Label smoothing
# keeps confident answers near 0.9; at 0.5, 0.6% of the correct dev-set answers are held back.)
UNCERTAIN_BELOW = 0.5
# "Not sure" above this probability that the ink is no digit: the mean of the reading model's own
# "no digit" output (models.split_outputs) and the detector's (DETECTOR), or the detector's alone for
# a model without that output. Above CUT_NO_DIGIT_ABOVE for a digit cut from touching ink
# (segment.split_touching): a letter drawn in one stroke (an M, a w) is often cut into pieces that
# each read as a digit. The bars are the lowest tried (steps of 0.05 and 0.1) at which, against the
# default's own output alone at 0.97 and 0.8 (before the detector), no dev set's share of correct
# answers held back grows, nor that of 382 touching pairs of MNIST test digits cut and read right
# (2.1%, against 2.6%); the drawings of bench/not_digits.py read as digits went from 42% to 33%.
NO_DIGIT_ABOVE = 0.8
CUT_NO_DIGIT_ABOVE = 0.6


def no_digit_bar(cut: bool) -> float:
    """The "no digit" probability above which a digit's answer is "not sure"."""
    return CUT_NO_DIGIT_ABOVE if cut else NO_DIGIT_ABOVE


def needs_second_opinion(own: float | None, cut: bool) -> bool:
    """Whether the detector's opinion can change the answer: always for a model without a "no digit"
    output of its own (`own` None); else only when the mean of the two can pass the bar, which needs
    `own` over 2 * bar - 1 (the detector's at most 1). Below that, the model's own output answers
    alone: the same decision, and the detector's time saved on nearly every digit."""
    return own is None or own > 2 * no_digit_bar(cut) - 1


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
    # probability that the ink is no digit at all (see NO_DIGIT_ABOVE): the mean of the model's own
    # opinion and the detector's, or either alone (see needs_second_opinion)
    no_digit: float = 0.0
    cut: bool = False  # cut from touching ink (see CUT_NO_DIGIT_ABOVE)

    @property
    def uncertain(self) -> bool:
        """True when the answer should be "not sure" rather than a digit (or, for a number, when
        any of its digits is)."""
        if self.digits:
            return any(d.uncertain for d in self.digits)
        return self.confidence < UNCERTAIN_BELOW or not self.plausible or self.no_digit > no_digit_bar(self.cut)

    @property
    def number(self) -> str:
        """The digits read, left to right ("7" for a single digit)."""
        return "".join(str(d.digit) for d in self.digits) or str(self.digit)

    def top_k(self, k: int = 3) -> list[tuple[int, float]]:
        order = np.argsort(-self.probabilities, kind="stable")[: max(1, min(k, 10))]
        return [(int(d), float(self.probabilities[d])) for d in order]

    def to_json(self, path: str, k: int = 3) -> dict:
        """One line of `mnist-predict --json`."""
        out = {
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


def fuse_batch_norm(model: nn.Module) -> nn.Module:
    """An inference copy of `model` with each batch norm that directly follows a convolution folded
    into that convolution's weights (same outputs in eval mode, about 15% faster for the cnn), and
    without the layers that do nothing in eval mode (dropout; 3% of the cnn's time on one image)."""
    model = copy.deepcopy(model).eval()
    for seq in [m for m in model.modules() if isinstance(m, nn.Sequential)]:
        mods = list(seq)
        for i in range(len(mods) - 1):
            if isinstance(mods[i], nn.Conv2d) and isinstance(mods[i + 1], nn.BatchNorm2d):
                seq[i] = fuse_conv_bn_eval(mods[i], mods[i + 1])
                seq[i + 1] = nn.Identity()
        for i in reversed(range(len(seq))):
            if isinstance(seq[i], (nn.Identity, nn.Dropout)):
                del seq[i]
    return model


# The model that judges where touching digits are cut (segment.split_touching), for every model's
# predictions: trained to read pairs and parts of digits unsure, it cuts better than any reader.
SEGMENTER = "cnn_segment"
# The model whose "no digit" output is a second opinion for every model's predictions (averaged with
# the reader's own, where it has one, and then asked only where it can change the answer:
# needs_second_opinion): trained from scratch to tell digits from what is no digit.
DETECTOR = "cnn_no_digit"
JUDGES = {SEGMENTER: "segmenter", DETECTOR: "detector"}  # judge -> its Predictor attribute

# What runs the models: PyTorch, or ONNX Runtime on the model exported in memory (export.OnnxReader,
# an optional extra). Preprocessing is the same for both; a predictor's judges run on its backend.
BACKENDS = ("torch", "onnx")


def check_backend(backend: str) -> str:
    """`backend` if it is one of BACKENDS and its packages are installed; else ValueError or ImportError."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    if backend == "onnx":
        require_onnx()
    return backend


class Predictor:
    """A model in eval mode plus its name and weights metadata, and optionally the segmenter that
    judges where touching digits are cut (without one, the model judges its own cuts) and the
    detector that gives a second opinion on "no digit". `backend` (BACKENDS) runs the model, on
    `device` (devices.resolve_device: "auto", "cpu", "cuda[:N]", "mps"; ONNX Runtime runs on the CPU)."""

    def __init__(self, model: nn.Module, name: str, info: WeightsInfo | None = None,
                 segmenter: Predictor | None = None, detector: Predictor | None = None,
                 backend: str = "torch", device: str = AUTO):  # fmt: skip
        self.backend = check_backend(backend)
        self.device = torch.device("cpu") if backend == "onnx" else resolve_device(device)
        self.model = model.eval()
        self._onnx: OnnxReader | None = None
        if backend == "onnx":
            self._onnx = OnnxReader.from_module(model)
            self.has_no_digit = self._onnx.has_no_digit
        else:
            # channels-last convolutions run about 1.5x faster on the CPU here (bench/predict_latency.py)
            self._net = fuse_batch_norm(model).to(self.device, memory_format=torch.channels_last)
            with torch.inference_mode():
                probe = self._net(torch.zeros(1, 1, 28, 28, device=self.device))
                self.has_no_digit = split_outputs(probe)[1] is not None
        self.name = name
        self.info = info
        self.segmenter = segmenter
        self.detector = detector

    @classmethod
    def load(cls, name: str = DEFAULT_MODEL, weights_dir: str | os.PathLike | None = None,
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
    def from_file(cls, path: str | os.PathLike | Path, backend: str = "torch", device: str = AUTO) -> Predictor:
        check_backend(backend)
        model, info = load_weights(path)
        return cls(model, info.model, info, backend=backend, device=device)

    def read(self, images: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray | None]:
        """(B, 28, 28) [0, 1] MNIST-format images -> (B, 10) softmax probabilities, and (B,)
        probabilities that each is no digit (None for a model without that output)."""
        if self._onnx is not None:
            return self._onnx.read(np.asarray(images, np.float32))
        return self._read_torch(images)

    @torch.inference_mode()
    def _read_torch(self, images: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray | None]:
        x = torch.as_tensor(np.asarray(images, np.float32)).reshape(-1, 1, 28, 28).to(self.device)
        logits, no_digit = split_outputs(self._net(normalize(x).contiguous(memory_format=torch.channels_last)))
        probs = torch.softmax(logits, dim=1).cpu().numpy()
        return probs, None if no_digit is None else torch.sigmoid(no_digit).cpu().numpy()

    def probabilities(self, images: np.ndarray | torch.Tensor) -> np.ndarray:
        """(B, 28, 28) [0, 1] MNIST-format images -> (B, 10) softmax probabilities."""
        return self.read(images)[0]

    def no_digit(self, images: list[np.ndarray], own: list[float | None], cut: list[bool]) -> list[float]:
        """The probability that each (28, 28) image is no digit, given the model's own opinions (None
        for a model without that output): the mean of its own and the detector's, the detector being
        asked only where its opinion can change the answer (needs_second_opinion)."""
        ask = [i for i, (o, c) in enumerate(zip(own, cut, strict=True)) if needs_second_opinion(o, c)]
        seconds = {}
        if self.detector is not None and ask:
            seconds = dict(zip(ask, self.detector.read(np.stack([images[i] for i in ask]))[1], strict=True))
        given = [[v for v in (o, seconds.get(i)) if v is not None] for i, o in enumerate(own)]
        return [float(np.mean(g)) if g else 0.0 for g in given]

    def predict(self, source: ImageSource) -> Prediction:
        """Raises InputError for an unreadable image or one without ink."""
        return self.predict_many([source])[0]  # type: ignore[return-value]

    def predict_many(self, sources: list[ImageSource], raise_errors: bool = True) -> list[Prediction | InputError]:
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
        todo = [d.image for d in every if d.probabilities is None]
        probs, own = self.read(np.stack(todo)) if todo else (np.zeros((0, 10)), None)
        answers = iter(zip(probs, own if own is not None else [None] * len(probs), strict=True))
        # each digit's probabilities and own "no digit" opinion (None for a model without that output)
        opinions = [(d.probabilities, None) if d.probabilities is not None else next(answers) for d in every]
        judged = self.no_digit([d.image for d in every], [o for _, o in opinions], [d.cut for d in every])
        digits = []
        for d, (p, _), nd in zip(every, opinions, judged, strict=True):
            k = int(p.argmax())
            digits.append(Prediction(k, float(p[k]), p, d.image, self.name, d.plausible, d.box, no_digit=nd, cut=d.cut))
        ordered = iter(digits)
        out: list[Prediction | InputError] = []
        for r in read:
            if isinstance(r, InputError):
                out.append(r)
                continue
            each = [next(ordered) for _ in r]
            out.append(replace(each[0], digits=tuple(each)) if len(each) > 1 else each[0])
        return out


def load_judge(name: str, weights_dir: str | os.PathLike | None = None, backend: str = "torch",
               device: str = AUTO) -> Predictor | None:  # fmt: skip
    """A judge of every model's predictions (SEGMENTER, DETECTOR) from where load_named finds it,
    else the shipped file; None when neither loads."""
    for path in dict.fromkeys([*weights_sources(name, weights_dir), shipped_path(name)]):
        try:
            return Predictor.from_file(path, backend, device)
        except WeightsError:
            continue
    return None


class PredictorCache:
    """Predictors by model name, loaded on first use and swapped whole after a retrain.

    A swap replaces the reference in one assignment, so a prediction running at that moment
    finishes with the model it started with. With `follow_files`, a model is also reloaded when its
    weights file changes on disk (for worker processes, which do not see the app's swaps). Every
    predictor in the cache runs on its `backend` (BACKENDS).
    """

    def __init__(self, weights_dir: str | os.PathLike | None = None, follow_files: bool = False,
                 backend: str = "torch", device: str = AUTO):  # fmt: skip
        self.weights_dir = weights_dir
        self.follow_files = follow_files
        self.backend = check_backend(backend)
        self.device = str(resolve_device(device))  # a device that is not there fails at start-up
        self.problems: dict[str, str] = {}  # model -> what was wrong with its weights file
        self._loaded: dict[str, tuple[Predictor, int | None]] = {}  # model -> (predictor, file stamp)
        self._lock = threading.RLock()  # loading a model loads its judges through get()

    def _stamp(self, name: str) -> int | None:
        """The written file's change time (None while there is none): a retrain kept elsewhere shows here."""
        try:
            return os.stat(weights_path(name, self.weights_dir)).st_mtime_ns
        except OSError:
            return None

    def _load(self, name: str) -> Predictor:
        path = weights_sources(name, self.weights_dir)[0]
        try:
            return Predictor.from_file(path, self.backend, self.device)
        except WeightsError as exc:
            if path.resolve() == shipped_path(name).resolve():
                raise
            # a corrupt retrained file must not take the model down
            pred = Predictor.from_file(shipped_path(name), self.backend, self.device)
            self.problems[name] = f"{exc}; using the shipped weights instead"
            return pred

    def _with_judges(self, name: str, pred: Predictor) -> Predictor:
        """Every model shares the cache's one segmenter and one detector (each loaded once, shipped
        file as fallback). Without the segmenter a model judges its own cuts; without the detector,
        its own "no digit" output (if any) alone says what is no digit."""
        for judge, role in JUDGES.items():
            if name != judge and getattr(pred, role) is None:
                try:
                    setattr(pred, role, self.get(judge))
                except WeightsError:
                    pass
        return pred

    def get(self, name: str) -> Predictor:
        """Raises ValueError for an unknown model, WeightsError when its weights (and the shipped
        ones) are missing or corrupt."""
        entry = self._loaded.get(name)
        if entry is None or (self.follow_files and entry[1] != self._stamp(name)):
            get_spec(name)
            with self._lock:
                stamp = self._stamp(name)
                entry = self._loaded.get(name)
                if entry is None or (self.follow_files and entry[1] != stamp):
                    entry = self._install(name, self._load(name), stamp)
        return entry[0]

    def _install(self, name: str, pred: Predictor, stamp: int | None) -> tuple[Predictor, int | None]:
        """Put `pred` in use for `name`, with the cache's judges; a new judge judges every model's
        predictions from now on (the file of one retrained in the app, or changed on disk)."""
        entry = self._loaded[name] = (pred, stamp)
        self._with_judges(name, pred)  # once it is in the cache: a judge's own judges then find it there
        role = JUDGES.get(name)
        if role is not None:
            for other, (loaded, _) in list(self._loaded.items()):
                if other != name:
                    setattr(loaded, role, pred)
        return entry

    def verify(self, names: list[str]) -> dict[str, str]:
        """Load (and so checksum) every model's weights now; returns the problems found."""
        for name in names:
            try:
                self.get(name)
            except WeightsError as exc:
                self.problems[name] = str(exc)
        return dict(self.problems)

    def put(self, name: str, predictor: Predictor) -> None:
        """Put a predictor in use for `name` (rebuilt on the cache's backend if it runs on another)."""
        if predictor.backend != self.backend or str(predictor.device) != self.device:
            predictor = Predictor(predictor.model, predictor.name, predictor.info, predictor.segmenter,
                                  predictor.detector, backend=self.backend, device=self.device)  # fmt: skip
        with self._lock:
            self._install(name, predictor, self._stamp(name))

    def accuracy(self, name: str) -> float | None:
        """The recorded test accuracy of the weights in use (or on disk), None if there are none."""
        entry = self._loaded.get(name)
        if entry is not None and entry[0].info is not None:
            return entry[0].info.test_accuracy
        try:
            return read_info(weights_sources(name, self.weights_dir)[0]).test_accuracy
        except WeightsError:
            return None


@functools.cache
def _default_predictor(model: str) -> Predictor:
    return Predictor.load(model)


def predict(source: ImageSource, model: str = DEFAULT_MODEL) -> Prediction:
    """Read the digit (or number) in one image: a path, bytes, a PIL image or an array. The model
    loads on the first call and is kept for the next (Predictor.load chooses weights and device).
    Raises InputError for an image that cannot be used."""
    return _default_predictor(model).predict(source)
