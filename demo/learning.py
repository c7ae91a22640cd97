"""Learning from corrections, in the Retrain tab: a fine-tuning job (RetrainJobs.start_learning) on the
stored corrections, its progress streamed like retraining, then a before/after table and the new
weights kept only when they did not forget MNIST (learn.MAX_MNIST_DROP)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import gradio as gr
import pandas as pd

from mnist_core.feedback import FeedbackStore, FeedbackUnavailable
from mnist_core.jobs import JobBusyError, JobState
from mnist_core.learn import MAX_MNIST_DROP, LearnConfig
from mnist_core.mnist import Split

from .common import AppConfig, request_language, session_id
from .i18n import ENGLISH, i18n, tr
from .retraining import Retraining, job_view

Decision = tuple[str, dict, dict]  # status text, the Keep button, the Discard button


def learn_config(config: AppConfig) -> LearnConfig:
    """The core's defaults; a test's train_limit also caps the MNIST images replayed."""
    default = LearnConfig()
    return LearnConfig(replay=min(default.replay, config.train_limit)) if config.train_limit else default


def scores_frame(state: JobState, lang: str = ENGLISH) -> pd.DataFrame:
    """A learn job's accuracy before and after: held-out corrections, all corrections, MNIST test set."""
    before, after = state.before, state.after
    if state.kind != "learn" or before is None or after is None:
        return pd.DataFrame()

    def cell(value: float | None, digits: int) -> str:
        return tr(lang, "ln_no_held_out") if value is None else f"{value:.{digits}%}"

    rows = [[tr(lang, "ln_held_out"), cell(before.held_out, 1), cell(after.held_out, 1)],
            [tr(lang, "ln_all"), cell(before.corrections, 1), cell(after.corrections, 1)],
            [tr(lang, "ln_mnist"), cell(before.mnist, 2), cell(after.mnist, 2)]]  # fmt: skip
    return pd.DataFrame(rows, columns=[tr(lang, "ln_measure"), tr(lang, "ln_before"), tr(lang, "ln_after")])


@dataclass
class Learning:
    """The handlers of "Learn from my corrections": the retraining rules and job, the stored corrections."""

    config: AppConfig
    retraining: Retraining
    store: FeedbackStore

    def corrections(self, request: gr.Request | None, lang: str) -> Split:
        """On a public server the visitor's own corrections; run locally, every stored one."""
        if not self.config.feedback:
            raise gr.Error(tr(lang, "fb_off"))
        session = session_id(request) if self.config.public else None
        try:
            split = self.store.as_split(session)
        except FeedbackUnavailable:
            raise gr.Error(tr(lang, "fb_unavailable")) from None
        if len(split) == 0:
            raise gr.Error(tr(lang, "ln_nothing"))
        return split

    def learn(
        self,
        name: str,
        request: gr.Request | None = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio finds its progress tracker by this default)
    ) -> Iterator[tuple[str, pd.DataFrame, dict, dict]]:
        """Start the job (or follow the running one) and stream it; at the end, the before/after table."""
        lang = request_language(request)
        self.retraining.require(lang)
        split = self.corrections(request, lang)
        note = tr(lang, "ln_using", count=len(split)) + "\n\n"
        try:
            self.retraining.jobs.start_learning(name, split, learn_config(self.config))
        except JobBusyError as exc:
            note = self.retraining.busy_note(exc, lang)
        except ValueError as exc:
            raise gr.Error(tr(lang, "action_failed", error=exc)) from None
        for state in self.retraining.follow(progress, lang):
            text, keep, discard = self.decision(state, lang)
            yield note + text, scores_frame(state, lang), keep, discard

    @staticmethod
    def decision(state: JobState, lang: str) -> Decision:
        """The job's status, and Keep offered only for weights that may be kept (else why not)."""
        text, _ = job_view(state, lang)
        waiting = state.awaiting_decision and state.kind == "learn"
        if waiting and not state.keep_allowed and state.before is not None and state.after is not None:
            text += "\n\n" + tr(lang, "ln_cannot_keep", before=f"{state.before.mnist:.2%}",
                                after=f"{state.after.mnist:.2%}", drop=f"{MAX_MNIST_DROP * 100:.1f}")  # fmt: skip
        return text, gr.update(interactive=waiting and state.keep_allowed), gr.update(interactive=waiting)

    def keep(self, request: gr.Request | None = None) -> Decision:
        return self.retraining.keep(request), gr.update(interactive=False), gr.update(interactive=False)

    def discard(self, request: gr.Request | None = None) -> Decision:
        return self.retraining.discard(request), gr.update(interactive=False), gr.update(interactive=False)


@dataclass
class LearnBox:
    start: gr.Button
    status: gr.Markdown
    scores: gr.Dataframe
    keep: gr.Button
    discard: gr.Button


def build_learn(config: AppConfig) -> LearnBox:
    """The learning part of the Retrain tab; it learns for the model chosen there."""
    gr.Markdown(i18n("ln_heading"))
    gr.Markdown(i18n("ln_about_public" if config.public else "ln_about_local"))
    start = gr.Button(i18n("ln_start"), variant="primary", interactive=config.allow_retrain and config.feedback,
                      elem_id="learn-start")  # fmt: skip
    status = gr.Markdown(elem_id="learn-status")
    scores = gr.Dataframe(label=i18n("ln_scores"), interactive=False, elem_id="learn-scores")
    with gr.Row():
        keep = gr.Button(i18n("ln_keep"), interactive=False, elem_id="learn-keep")
        discard = gr.Button(i18n("ln_discard"), interactive=False, elem_id="learn-discard")
    return LearnBox(start, status, scores, keep, discard)


def wire_learn(learning: Learning, box: LearnBox, model: gr.Dropdown) -> None:
    box.start.click(learning.learn, model, [box.status, box.scores, box.keep, box.discard], api_name="learn",
                    concurrency_limit=4)  # fmt: skip
    box.keep.click(learning.keep, None, [box.status, box.keep, box.discard], api_visibility="private")
    box.discard.click(learning.discard, None, [box.status, box.keep, box.discard], api_visibility="private")
