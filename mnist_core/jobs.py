"""Retraining as a background job: one at a time, cancellable, progress as snapshots.

The app (or any other caller) starts a job and polls `snapshot()`; training runs in its own
thread, off the request path. When it finishes, the new weights are evaluated on the test set
(accuracy and confusion matrix) and written atomically as a candidate file; `keep()` installs them
(the old file becomes the previous version, restorable with `restore_previous()`) and hands them to
`on_finished`, `discard()` deletes them. Until then the current weights stay in use, and a failed
or cancelled job leaves them untouched.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from .learn import LearnConfig, Scores, learn_from_corrections
from .mnist import Split, load_mnist
from .predict import Predictor
from .train import Progress, TrainingCancelled, predictions, train
from .train_config import TrainConfig
from .weights import explicit_weights_dir, install_weights, previous_path, save_weights, weights_path
from .weights import restore_previous as restore_previous_file


@dataclass(frozen=True)
class JobState:
    model: str = ""
    status: str = "idle"  # idle | loading | training | saving | finished | kept | discarded | failed | cancelled
    message: str = ""
    fraction: float = 0.0
    started: float = 0.0
    history: tuple[Progress, ...] = ()  # one entry per finished epoch
    last: Progress | None = None
    test_accuracy: float | None = None  # of the new weights
    previous_accuracy: float | None = None  # of the weights in use when the job started
    confusion: tuple[tuple[int, ...], ...] = ()  # rows: true digit, columns: predicted (new weights)
    kind: str = "retrain"  # retrain | learn (from stored corrections)
    before: Scores | None = None  # a learn job's scores of the weights in use ...
    after: Scores | None = None  # ... and of the new ones
    keep_allowed: bool = True  # False when the new weights forgot MNIST (learn.MAX_MNIST_DROP)

    @property
    def awaiting_decision(self) -> bool:
        """Finished: the new weights are saved as a candidate, to be kept or discarded."""
        return self.status == "finished"

    @property
    def running(self) -> bool:
        return self.status in ("loading", "training", "saving")

    @property
    def elapsed(self) -> float:
        return time.time() - self.started if self.started else 0.0

    @property
    def remaining(self) -> float | None:
        if not self.running or self.fraction <= 0.01:
            return None
        return self.elapsed * (1 - self.fraction) / self.fraction


class JobBusyError(RuntimeError):
    """A training job is already running on this server."""


@dataclass
class RetrainJobs:
    """At most one training job per instance (one instance per server)."""

    weights_dir: Path | str | None = None
    data_root: Path | str | None = None
    on_finished: Callable[[str, Predictor], None] | None = None
    _state: JobState = field(default_factory=JobState)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cancel: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _data: tuple[Split, Split] | None = None
    _candidate: Predictor | None = None

    def snapshot(self) -> JobState:
        return self._state

    def _set(self, **changes: Any) -> None:
        self._state = replace(self._state, **changes)

    def start(self, model: str, config: TrainConfig, previous_accuracy: float | None = None) -> JobState:
        """Start a job, or raise JobBusyError (with the running job's state) if one is running."""
        return self._start(model, previous_accuracy, lambda: self._run(model, config))

    def start_learning(self, model: str, corrections: Split, config: LearnConfig | None = None) -> JobState:
        """Fine-tune `model` on stored corrections (learn.learn_from_corrections) as a job like retraining."""
        if len(corrections) == 0:
            raise ValueError("there are no stored corrections to learn from")
        return self._start(model, None, lambda: self._learn(model, corrections, config or LearnConfig()), "learn")

    def _start(self, model: str, previous_accuracy: float | None, run: Callable[[], None],
               kind: str = "retrain") -> JobState:  # fmt: skip
        with self._lock:
            if self._state.running:
                raise JobBusyError(f"a training job for {self._state.model} is already running")
            self._cancel.clear()
            if self._state.awaiting_decision:  # a new job replaces new weights nobody kept
                candidate_path(self._state.model, self.weights_dir).unlink(missing_ok=True)
                self._candidate = None
            self._state = JobState(model=model, status="loading", message="loading MNIST", started=time.time(),
                                   previous_accuracy=previous_accuracy, kind=kind)  # fmt: skip
            self._thread = threading.Thread(target=run, name=kind, daemon=True)
            self._thread.start()
            return self._state

    def cancel(self) -> bool:
        """Ask the running job to stop; it stops at its next training step."""
        if not self._state.running:
            return False
        self._cancel.set()
        return True

    def wait(self, timeout: float | None = None) -> JobState:
        if self._thread is not None:
            self._thread.join(timeout)
        return self._state

    def _load(self) -> tuple[Split, Split]:
        if self._data is None:  # MNIST is loaded by the first job and kept for the next (it is small)
            self._data = (load_mnist(self.data_root, train=True), load_mnist(self.data_root, train=False))
        return self._data

    def _on_progress(self, p: Progress) -> None:
        hist = self._state.history + ((p,) if p.kind == "epoch" else ())
        self._set(fraction=p.fraction, last=p, history=hist)

    def _learn(self, model: str, corrections: Split, config: LearnConfig) -> None:
        try:
            train_split, test_split = self._load()
            self._set(status="training", message=f"learning from {len(corrections)} corrections")
            r = learn_from_corrections(model, corrections, train_split, test_split, config, self._on_progress,
                                       self._cancel.is_set, self.weights_dir)  # fmt: skip
            self._set(status="saving", message="saving")
            info = r.save(candidate_path(model, self.weights_dir))
            self._candidate = Predictor(r.model, model, info)
            self._set(status="finished", fraction=1.0, test_accuracy=r.after.mnist, previous_accuracy=r.before.mnist,
                      before=r.before, after=r.after, keep_allowed=r.keep_allowed,
                      message=f"finished: {r.reason}"
                              + ("" if r.keep_allowed else " The new weights cannot be kept."))  # fmt: skip
        except Exception as exc:
            self._ended(exc)

    def _ended(self, exc: Exception) -> None:
        """A job that did not finish ends in a state the UI can show, whatever went wrong."""
        if isinstance(exc, TrainingCancelled):
            self._cancel.clear()
            self._set(status="cancelled", message="cancelled; the previous weights are still in use")
        else:
            traceback.print_exception(exc)
            self._set(status="failed", message=f"failed: {exc}")

    def _run(self, model: str, config: TrainConfig) -> None:
        try:
            train_split, test_split = self._load()
            self._set(status="training", message="training")
            result = train(
                model,
                train_split,
                test_split,
                config,
                self._on_progress,
                should_stop=self._cancel.is_set,
                weights_dir=self.weights_dir,
            )
            self._set(status="saving", message="evaluating and saving")
            # one pass over the test set gives the confusion matrix, and the accuracy is its diagonal
            confusion = torch.zeros(10, 10, dtype=torch.long)
            confusion.index_put_((test_split.labels, predictions(result.model, test_split)),
                                 torch.ones(len(test_split), dtype=torch.long), accumulate=True)  # fmt: skip
            acc = confusion.trace().item() / max(1, len(test_split))
            path = candidate_path(model, self.weights_dir)
            info = save_weights(result.model, model, path, test_accuracy=acc, epochs=config.epochs,
                                train_config=config.to_dict(), train_seconds=result.seconds)  # fmt: skip
            self._candidate = Predictor(result.model, model, info)
            self._set(status="finished", fraction=1.0, test_accuracy=acc,
                      confusion=tuple(tuple(r) for r in confusion.tolist()),
                      message=f"finished: {acc:.2%} on the 10,000 test images. "
                              "Keep the new weights or discard them.")  # fmt: skip
        except Exception as exc:
            self._ended(exc)

    def keep(self) -> JobState:
        """Put the finished job's weights in use: atomic swap on disk, then in memory."""
        with self._lock:
            state, cand = self._state, self._candidate
            if not state.awaiting_decision or cand is None:
                raise ValueError("there are no new weights waiting to be kept")
            if not state.keep_allowed:
                raise ValueError("these weights cannot be kept: they forgot MNIST; discard them")
            info = install_weights(
                candidate_path(state.model, self.weights_dir), weights_path(state.model, self.weights_dir)
            )
            if self.on_finished is not None:
                self.on_finished(state.model, Predictor(cand.model, state.model, info))
            self._candidate = None
            self._set(status="kept",
                      message=f"kept: {state.model} now uses the new weights ({info.test_accuracy:.2%}); "
                              "the previous version can be restored")  # fmt: skip
            return self._state

    def discard(self) -> JobState:
        with self._lock:
            if not self._state.awaiting_decision:
                raise ValueError("there are no new weights waiting to be discarded")
            candidate_path(self._state.model, self.weights_dir).unlink(missing_ok=True)
            self._candidate = None
            self._set(status="discarded", message="discarded: the weights in use are unchanged")
            return self._state

    def restore_previous(self, model: str) -> str:
        """Swap a model's current and previous weights on disk and in use."""
        with self._lock:
            if self._state.running and self._state.model == model:
                raise JobBusyError(f"{model} is being retrained; restore it when the job ends")
            path = weights_path(model, self.weights_dir)
            if not previous_path(path).exists() and path.exists() and explicit_weights_dir(self.weights_dir) is None:
                path.unlink()  # the first retrain kept had the shipped weights before it
                message = f"{model} uses its shipped weights again"
            else:
                info = restore_previous_file(path)
                message = f"restored the previous weights of {model} ({info.test_accuracy:.2%}, {info.date})"
            if self.on_finished is not None:
                self.on_finished(model, Predictor.load(model, self.weights_dir))
            return message


def candidate_path(model: str, weights_dir: Path | str | None = None) -> Path:
    """Where a finished job's weights wait for the keep-or-discard decision."""
    return weights_path(model, weights_dir).with_name(f"{model}.candidate.safetensors")
