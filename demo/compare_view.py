"""Every registered model's reading of the current drawing or upload, side by side, the models that
disagree with the majority marked and highlighted (mnist_core.compare)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd
from pandas.io.formats.style import Styler

from mnist_core import InputError, list_models
from mnist_core.cache import PredictorCache
from mnist_core.compare import ModelAnswer, compare, disagreements, majority, to_json, to_rows
from mnist_core.weights import WeightsError

from .common import Panel, decoded, request_language, sketch_image
from .i18n import ENGLISH, core_error, i18n, tr

HIGHLIGHT = "background-color: rgba(230, 120, 20, 0.28); font-weight: 600"  # readable in light and dark themes
HEADER_KEYS = ("cmp_model", "cmp_answer", "cmp_confidence", "cmp_top3", "cmp_ms", "cmp_disagrees")


def comparison_table(answers: list[ModelAnswer], lang: str = ENGLISH) -> Styler:
    """One row per model under translated headers; the rows that disagree with the majority marked
    in their last column and highlighted."""
    marker = tr(lang, "cmp_marker")
    rows = [[model, answer, f"{confidence:.1%}", top3, f"{ms:.1f}", marker if odd else ""]
            for model, answer, confidence, top3, ms, odd in to_rows(answers, tr(lang, "cmp_not_sure"))]  # fmt: skip
    frame = pd.DataFrame(rows, columns=[tr(lang, key) for key in HEADER_KEYS])
    odd = [bool(row[-1]) for row in rows]
    return frame.style.apply(lambda row: [HIGHLIGHT if odd[row.name] else ""] * len(row), axis=1)


def comparison_note(answers: list[ModelAnswer], lang: str = ENGLISH) -> str:
    odd = sorted(disagreements(answers), key=[a.model for a in answers].index)
    common = majority(answers)
    if not odd:
        return tr(lang, "cmp_agree", count=len(answers), answer=common)
    return tr(lang, "cmp_disagree", answer=common, count=len(odd), models=", ".join(odd))


@dataclass
class Comparing:
    """The handlers of the comparison view and of /compare."""

    cache: PredictorCache

    def answers(self, source: Any) -> list[ModelAnswer]:
        """Every registered model whose weights load, in list_models() order. Raises InputError."""
        image = decoded(source)
        return compare(image, self.cache, [name for name in list_models() if self._loads(name)])

    def _loads(self, name: str) -> bool:
        try:
            self.cache.get(name)
        except WeightsError:
            return False  # reported at start-up; the other models are still compared
        return True

    def show(self, value: Any, request: gr.Request | None = None) -> tuple[dict, str]:
        """(table, note) for the page; bad input becomes a note, never a crash."""
        lang = request_language(request)
        source = sketch_image(value)
        if source is None:
            return gr.update(visible=False), tr(lang, "ex_nothing")
        try:
            answers = self.answers(source)
        except InputError as exc:
            return gr.update(visible=False), tr(lang, "no_digit", error=core_error(lang, exc))
        return gr.update(value=comparison_table(answers, lang), visible=True), comparison_note(answers, lang)

    @staticmethod
    def clear() -> tuple[dict, str]:
        return gr.update(visible=False), ""

    def api_compare(self, image: str | None) -> list[dict]:
        """The /compare endpoint: image file -> [{model, answer, confidence, top3, milliseconds,
        uncertain, disagrees}, ...], one per registered model."""
        if image is None:
            raise gr.Error("no image was sent")
        try:
            return to_json(self.answers(image))
        except InputError as exc:
            raise gr.Error(str(exc)) from None


def build_compare(prefix: str) -> Panel:
    with gr.Accordion(i18n("cmp_title"), open=False, elem_id=f"{prefix}-compare") as accordion:
        run = gr.Button(i18n("cmp_run"), size="sm", elem_id=f"{prefix}-compare-run")
        note = gr.Markdown(elem_id=f"{prefix}-compare-note")
        table = gr.Dataframe(interactive=False, visible=False, wrap=True, elem_id=f"{prefix}-compare-table")
    return Panel(accordion, run, table, note)


def wire_compare(comparing: Comparing, source: gr.components.Component, box: Panel) -> None:
    box.wire(comparing.show, comparing.clear, [source])


def wire_compare_api(comparing: Comparing) -> None:
    image = gr.File(visible=False, type="filepath")
    gr.Button(visible=False).click(comparing.api_compare, image, gr.JSON(visible=False), api_name="compare")
