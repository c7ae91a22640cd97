"""Retraining a model on MNIST from the page: one job per server (mnist_core.jobs), its progress
streamed, the new weights kept only on request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from mnist_core import list_models
from mnist_core.cache import PredictorCache
from mnist_core.config_flags import Flag, flags, value_of, with_values
from mnist_core.jobs import JobBusyError, JobState, RetrainJobs
from mnist_core.train_config import TrainConfig
from mnist_core.weights import WeightsError

from .common import AppConfig, request_language
from .i18n import EN, ENGLISH, core_text, i18n, tr

RETRAIN_DEFAULT = "cnn_small"  # the quickest recipe to reach 99% (bench/train_speed.py)
PUBLIC_REASON = EN["reason_public"]
LEARN_STEPS = ("training", "finished")  # a learn job's own messages; its other ones are a retrain's
# TrainConfig's fields the form sets, in the order /retrain takes them after the model (API clients rely on it)
RETRAIN_FIELDS = ("epochs", "lr", "batch_size")


def control(flag: Flag, value: Any) -> gr.components.Component:
    """A form control for one TrainConfig field, chosen by the field's type; its label and help are the
    texts cfg_<path> and cfg_<path>_info, or the field's help where there are none."""
    key = f"cfg_{flag.path}"
    label = i18n(key) if key in EN else flag.help
    info = i18n(f"{key}_info") if f"{key}_info" in EN else flag.help
    shown: dict[str, Any] = {"value": value, "label": label, "info": info,
                             "elem_id": "retrain-" + flag.path.replace(".", "-").replace("_", "-")}  # fmt: skip
    if flag.type is bool:
        return gr.Checkbox(**shown)
    if flag.type is int:
        return gr.Number(precision=0, **shown)  # the bounds are TrainConfig's to check
    if flag.type is float:
        return gr.Number(**shown)
    if flag.type is str:
        return gr.Textbox(**shown)
    raise TypeError(f"no form control for {flag.path} of type {flag.type.__name__}")


def controls(paths: tuple[str, ...], config: TrainConfig) -> list[gr.components.Component]:
    """One control per field path, in that order, showing the value `config` has."""
    known = {f.path: f for f in flags(TrainConfig)}
    return [control(known[path], value_of(config, path)) for path in paths]


def confusion_frame(state: JobState, lang: str = ENGLISH) -> pd.DataFrame:
    """The new weights' confusion matrix: rows are the true digit, columns the prediction."""
    if not state.confusion:
        return pd.DataFrame()
    columns = [tr(lang, "confusion_corner"), *map(str, range(10))]
    return pd.DataFrame([[str(d), *row] for d, row in enumerate(state.confusion)], columns=columns)


def job_message(state: JobState, lang: str = ENGLISH) -> str:
    """The job's message as the core wrote it, or its translation for the job's kind and status."""
    accuracy = "" if state.test_accuracy is None else f"{state.test_accuracy:.2%}"
    kind = "learn" if state.kind == "learn" and state.status in LEARN_STEPS else "job"
    return core_text(lang, f"{kind}_{state.status}", state.message, model=state.model, accuracy=accuracy)


def job_view(state: JobState, lang: str = ENGLISH) -> tuple[str, pd.DataFrame]:
    """Status text and the per-epoch curves for a job snapshot."""
    train, test = tr(lang, "curve_train"), tr(lang, "curve_test")
    rows = []
    for p in state.history:
        rows += [{"epoch": p.epoch, "accuracy": p.accuracy, "curve": train},
                 {"epoch": p.epoch, "accuracy": p.test_accuracy, "curve": test}]  # fmt: skip
    df = pd.DataFrame(rows, columns=["epoch", "accuracy", "curve"])
    if state.status == "idle":
        return tr(lang, "job_idle"), df
    status = tr(lang, f"status_{state.status}")
    lines = [tr(lang, "job_head", model=state.model, status=status, message=job_message(state, lang))]
    if (p := state.last) is not None:
        lines.append(tr(lang, "job_step", epoch=p.epoch, epochs=p.epochs, step=p.step, steps=p.steps_per_epoch,
                        loss=f"{p.loss:.4f}", accuracy=f"{p.accuracy:.2%}"))  # fmt: skip
    timing = tr(lang, "job_elapsed", elapsed=f"{state.elapsed:.0f}")
    if state.remaining is not None:
        timing += tr(lang, "job_remaining", remaining=f"{state.remaining:.0f}")
    lines.append(timing)
    if state.test_accuracy is not None:
        before = tr(lang, "job_none") if state.previous_accuracy is None else f"{state.previous_accuracy:.2%}"
        lines.append(tr(lang, "job_result", new=f"{state.test_accuracy:.2%}", before=before))
    return "\n\n".join(lines), df


@dataclass
class Retraining:
    """The handlers of the Retrain tab: one job at a time per server, weights kept only on request."""

    config: AppConfig
    jobs: RetrainJobs
    cache: PredictorCache

    def reason(self, lang: str) -> str:
        reason = self.config.retrain_disabled_reason
        return tr(lang, "reason_public") if reason == PUBLIC_REASON else reason

    def on_load(self, request: gr.Request | None = None) -> tuple[str, dict]:
        """The texts of the tab that only the server can write in the browser's language: why retraining
        is off, and the plot's axis titles (a plot does not translate a gr.I18n title)."""
        lang = request_language(request)
        notice = "" if self.config.allow_retrain else tr(lang, "retrain_off", reason=self.reason(lang))
        titles = {"x_title": tr(lang, "plot_epoch"), "y_title": tr(lang, "plot_accuracy"),
                  "color_title": tr(lang, "plot_curve")}  # fmt: skip
        return notice, gr.update(**titles)

    def require(self, lang: str) -> None:
        if not self.config.allow_retrain:
            raise gr.Error(tr(lang, "retrain_off_error", reason=self.reason(lang)))

    @staticmethod
    def recipe(name: str) -> tuple[Any, ...]:
        """The model's own training recipe, as the form's defaults (RETRAIN_FIELDS' values, in order)."""
        recipe = TrainConfig.for_model(name)
        return tuple(value_of(recipe, path) for path in RETRAIN_FIELDS)

    def busy_note(self, exc: JobBusyError, lang: str) -> str:
        busy = core_text(lang, "job_busy", str(exc), model=self.jobs.snapshot().model)
        return tr(lang, "busy_note", error=busy) + "\n\n"

    def retrain(
        self,
        name: str,
        request: gr.Request | None = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio finds its progress tracker by this default)
        *values: Any,
    ) -> Iterator[tuple[str, pd.DataFrame, pd.DataFrame]]:
        """Start a job (or join the running one) and stream its progress until it ends.

        `values` are RETRAIN_FIELDS' values, in order; Gradio passes the request and the progress tracker
        (it finds them only before `*values`), so a plain call is retrain(name, None, gr.Progress(), *values)."""
        lang = request_language(request)
        self.require(lang)
        note = ""
        try:
            recipe = TrainConfig.for_model(name, limit=self.config.train_limit, device=self.config.device)
            cfg = with_values(recipe, dict(zip(RETRAIN_FIELDS, values, strict=True)))  # TrainConfig validates
            self.jobs.start(name, cfg, previous_accuracy=self.cache.accuracy(name))
        except JobBusyError as exc:
            note = self.busy_note(exc, lang)
        except ValueError as exc:
            raise gr.Error(tr(lang, "action_failed", error=exc)) from None
        for state in self.follow(progress, lang):
            text, df = job_view(state, lang)
            yield note + text, df, confusion_frame(state, lang)

    def follow(self, progress: gr.Progress, lang: str) -> Iterator[JobState]:
        """The job's snapshots, twice a second, until it ends (the last one included)."""
        while True:
            state = self.jobs.snapshot()
            progress(state.fraction, desc=f"{state.model}: {tr(lang, f'status_{state.status}')}")
            yield state
            if not state.running:
                break
            self.jobs.wait(timeout=0.5)

    def cancel(self, request: gr.Request | None = None) -> str:
        return tr(request_language(request), "cancelling" if self.jobs.cancel() else "not_running")

    def keep(self, request: gr.Request | None = None) -> str:
        return self._decide(request, lambda lang: job_message(self.jobs.keep(), lang))

    def discard(self, request: gr.Request | None = None) -> str:
        return self._decide(request, lambda lang: job_message(self.jobs.discard(), lang))

    def restore(self, name: str, request: gr.Request | None = None) -> str:
        return self._decide(request, lambda lang: tr(lang, "restored", message=self.jobs.restore_previous(name)))

    def _decide(self, request: gr.Request | None, action: Callable[[str], str]) -> str:
        """A weights decision: allowed only with retraining, errors shown as messages."""
        lang = request_language(request)
        self.require(lang)
        try:
            return action(lang)
        except (ValueError, JobBusyError, WeightsError) as exc:
            raise gr.Error(tr(lang, "action_failed", error=exc)) from None


@dataclass
class RetrainTab:
    notice: gr.Markdown
    model: gr.Dropdown
    settings: list[gr.components.Component]  # RETRAIN_FIELDS' controls, in order
    start: gr.Button
    cancel: gr.Button
    status: gr.Markdown
    plot: gr.LinePlot
    confusion: gr.Dataframe
    keep: gr.Button
    discard: gr.Button
    restore: gr.Button


def build_retrain(config: AppConfig) -> RetrainTab:
    """The retraining part of the Retrain tab (the caller opens the tab)."""
    allowed = config.allow_retrain
    notice = gr.Markdown(visible=not allowed, elem_id="retrain-notice")
    with gr.Row():
        model = gr.Dropdown(list_models(), value=RETRAIN_DEFAULT, label=i18n("rt_model"), elem_id="retrain-model")
        settings = controls(RETRAIN_FIELDS, TrainConfig.for_model(RETRAIN_DEFAULT))
    with gr.Row():
        start = gr.Button(i18n("rt_start"), variant="primary", interactive=allowed)
        cancel = gr.Button(i18n("rt_cancel"), interactive=allowed)
    status = gr.Markdown(elem_id="retrain-status")
    plot = gr.LinePlot(x="epoch", y="accuracy", color="curve", label=i18n("rt_plot"), y_lim=[0.9, 1.0])
    confusion = gr.Dataframe(label=i18n("rt_confusion"), interactive=False)
    with gr.Row():
        keep = gr.Button(i18n("rt_keep"), interactive=allowed)
        discard = gr.Button(i18n("rt_discard"), interactive=allowed)
        restore = gr.Button(i18n("rt_restore"), interactive=allowed)
    return RetrainTab(notice, model, settings, start, cancel, status, plot, confusion, keep, discard, restore)


def wire_retrain(retraining: Retraining, tab: RetrainTab) -> None:
    tab.model.change(retraining.recipe, tab.model, tab.settings, api_visibility="private")
    form = [tab.model, *tab.settings]
    tab.start.click(retraining.retrain, form, [tab.status, tab.plot, tab.confusion], api_name="retrain",
                    concurrency_limit=4)  # fmt: skip
    tab.cancel.click(retraining.cancel, None, tab.status, api_name="cancel_retrain", queue=False)
    tab.keep.click(retraining.keep, None, tab.status, api_name="keep_weights")
    tab.discard.click(retraining.discard, None, tab.status, api_name="discard_weights")
    tab.restore.click(retraining.restore, tab.model, tab.status, api_name="restore_weights")
