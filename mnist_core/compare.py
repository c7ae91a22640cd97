"""Every model's answer to one image, side by side: what each reads, how surely, and how fast.

The image is decoded once and handed to every model decoded, so a model's milliseconds are its
Predictor.predict on those pixels: preprocessing (working resolution, ink, segmentation with the
segmenter's reads, rendering to 28x28), the model's forward pass and the detector's second opinion
where it is asked. File reading and decoding are left out, and so is loading the model.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .cache import PredictorCache
from .image_io import ImageSource, load_image
from .models import list_models
from .predict import Prediction, Predictor

TOP = 3  # answers kept per model


@dataclass(frozen=True)
class ModelAnswer:
    model: str
    answer: str  # the digits read, left to right (Prediction.number): "7", or "72" for a number
    confidence: float  # probability of the whole answer: the product of its digits' (one digit: its own)
    top3: tuple[tuple[str, float], ...]  # the likeliest answers and their probabilities, likeliest first
    milliseconds: float  # Predictor.predict on the decoded image (see the module's docstring)
    uncertain: bool  # the model would answer "not sure" (Prediction.uncertain)


def answer_of(prediction: Prediction, milliseconds: float) -> ModelAnswer:
    reads = prediction.digits or (prediction,)
    top = likeliest([p.probabilities for p in reads])
    confidence = float(np.prod([p.confidence for p in reads]))
    return ModelAnswer(prediction.model, prediction.number, confidence, top, milliseconds, prediction.uncertain)


def likeliest(probabilities: list[np.ndarray], k: int = TOP) -> tuple[tuple[str, float], ...]:
    """The k likeliest readings of a number from each digit's (10,) probabilities, taken as
    independent. Keeping k per digit is exact: a reading with a digit ranked below k there has k
    likelier ones (that digit replaced by each of the k)."""
    beams: list[tuple[str, float]] = [("", 1.0)]
    for p in probabilities:
        best = np.argsort(-p, kind="stable")[:k]
        grown = [(s + str(int(d)), q * float(p[d])) for s, q in beams for d in best]
        beams = sorted(grown, key=lambda b: -b[1])[:k]
    return tuple(beams)


def compare(source: ImageSource, predictors: Mapping[str, Predictor] | PredictorCache,
            names: Iterable[str] | None = None, repeats: int = 1) -> list[ModelAnswer]:  # fmt: skip
    """Every model's answer to `source`, in the order of `names` (default: every model of `predictors`,
    or every registered model for a PredictorCache). Each model's milliseconds are the fastest of
    `repeats` predictions (the least disturbed by other work on the machine).

    Raises InputError for an image that cannot be read or holds no ink, as prediction does; with a
    PredictorCache, ValueError for an unknown model and WeightsError for weights that do not load.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}")
    if isinstance(predictors, PredictorCache):
        chosen = list(names) if names is not None else list_models()
        models = {name: predictors.get(name) for name in chosen}  # loaded before any timing
    else:
        chosen = list(names) if names is not None else list(predictors)
        unknown = [n for n in chosen if n not in predictors]
        if unknown:
            raise ValueError(f"no predictor for {', '.join(unknown)}; given: {', '.join(predictors)}")
        models = {name: predictors[name] for name in chosen}
    # an array is already pixels; anything else is decoded here, once (EXIF orientation applied)
    decoded = source if isinstance(source, np.ndarray) else load_image(source)
    return [_timed(models[name], decoded, repeats) for name in chosen]


def _timed(predictor: Predictor, decoded: ImageSource, repeats: int) -> ModelAnswer:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        prediction = predictor.predict(decoded)
        times.append(time.perf_counter() - start)
    return answer_of(prediction, 1000.0 * min(times))


def majority(answers: Iterable[ModelAnswer]) -> str | None:
    """The answer most models give; in a tie, the one given with the higher summed confidence
    (None for no answers)."""
    answers = list(answers)
    if not answers:
        return None
    votes = Counter(a.answer for a in answers)
    weight: dict[str, float] = {}
    for a in answers:
        weight[a.answer] = weight.get(a.answer, 0.0) + a.confidence
    return max(votes, key=lambda s: (votes[s], weight[s]))


def disagreements(answers: Iterable[ModelAnswer]) -> set[str]:
    """The models whose answer differs from the majority's."""
    answers = list(answers)
    common = majority(answers)
    return {a.model for a in answers if a.answer != common}


ROW_HEADERS = ("model", "answer", "confidence", "top 3", "ms", "disagrees")


def to_rows(answers: Iterable[ModelAnswer], not_sure: str = "not sure") -> list[list[str | float | bool]]:
    """One row per model under ROW_HEADERS, for a table (`not_sure`: the flag's text, translatable)."""
    answers = list(answers)
    odd = disagreements(answers)
    return [
        [a.model, f"{a.answer} ({not_sure})" if a.uncertain else a.answer, round(a.confidence, 4),
         ", ".join(f"{s} {p:.2f}" for s, p in a.top3), round(a.milliseconds, 1), a.model in odd]
        for a in answers
    ]  # fmt: skip


def to_json(answers: Iterable[ModelAnswer]) -> list[dict[str, Any]]:
    """The answers as JSON-ready dicts, each with whether it disagrees with the majority."""
    answers = list(answers)
    odd = disagreements(answers)
    out = []
    for a in answers:
        row = asdict(a)
        row["confidence"] = round(a.confidence, 6)
        row["top3"] = [{"answer": s, "probability": round(p, 6)} for s, p in a.top3]
        row["milliseconds"] = round(a.milliseconds, 3)
        row["disagrees"] = a.model in odd
        out.append(row)
    return out
