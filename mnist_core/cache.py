"""Predictors by model name for a long-running app: loaded on first use, swapped whole after a retrain."""

from __future__ import annotations

import os
import threading

from .devices import AUTO, resolve_device
from .inference import check_backend
from .models import get_spec
from .predict import JUDGES, Predictor
from .weights import WeightsError, read_info, weights_path, weights_sources


class PredictorCache:
    """Predictors by model name, loaded on first use and swapped whole after a retrain.

    A swap replaces the reference in one assignment, so a prediction running at that moment
    finishes with the model it started with. With `follow_files`, a model is also reloaded when its
    weights file changes on disk (for worker processes, which do not see the app's swaps). Every
    predictor in the cache runs on its `backend` (inference.BACKENDS).
    """

    def __init__(self, weights_dir: str | os.PathLike[str] | None = None, follow_files: bool = False,
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
        *first, last = weights_sources(name, self.weights_dir, fallback=True)
        for path in first:  # a corrupt retrained file must not take the model down
            try:
                return Predictor.from_file(path, self.backend, self.device)
            except WeightsError as exc:
                self.problems[name] = f"{exc}; using the shipped weights instead"
        return Predictor.from_file(last, self.backend, self.device)

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
