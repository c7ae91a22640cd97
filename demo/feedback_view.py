"""Corrections: "Wrong? It is: 0 1 ... 9 / not a digit" under every Answer, stored through
mnist_core.feedback with the visitor's anonymous session id, and the visitor's own corrections (never
anyone else's) in the Retrain tab. The page and the /correct endpoint store through the same code."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np

from mnist_core import DEFAULT_MODEL, InputError
from mnist_core.cache import PredictorCache
from mnist_core.feedback import Correction, FeedbackStore, FeedbackUnavailable
from mnist_core.predict import Prediction
from mnist_core.weights import WeightsError

from .common import AppConfig, decoded, request_language, session_id, sketch_image
from .i18n import ENGLISH, core_error, i18n, tr

NOT_A_DIGIT = -1  # the API's label for "not a digit" (the store's None), as in an export's labels.csv
NOT_A_DIGIT_TEXT = "not a digit"  # also accepted by /correct
SHOWN = 48  # the visitor's latest corrections shown in the gallery
log = logging.getLogger("mnist-canvas")


def parse_label(value: object) -> int | None:
    """A label as /correct takes it (0-9, -1 or "not a digit") -> 0-9, or None for not a digit."""
    text = str(value).strip().lower() if value is not None else ""
    if text in (NOT_A_DIGIT_TEXT, str(NOT_A_DIGIT)):
        return None
    if text.isdigit() and 0 <= int(text) <= 9:
        return int(text)
    raise ValueError(f'the label must be a digit 0-9, or "{NOT_A_DIGIT_TEXT}" (-1), not {value!r}')


def pick_digit(pred: Prediction, position: int | None) -> Prediction:
    """The digit being corrected: the position-th (from 1) of a number, the digit itself otherwise."""
    digits = pred.digits or (pred,)
    index = int(position or 1)
    if not 1 <= index <= len(digits):
        raise ValueError(f"digit {index} was asked for, but {len(digits)} digit(s) were read")
    return digits[index - 1]


def which_digit(pred: Prediction | None, lang: str = ENGLISH) -> dict:
    """The digit selector under an Answer: shown only for a number, one choice per digit read."""
    digits = pred.digits if pred is not None else ()
    choices = [(tr(lang, "fb_which_choice", index=i, digit=d.digit), i) for i, d in enumerate(digits, 1)]
    return gr.update(choices=choices or [("1", 1)], value=1, visible=len(choices) > 1)


def _label_text(label: int | None, lang: str) -> str:
    return tr(lang, "fb_not_digit_text") if label is None else str(label)


def _thumbnail(c: Correction) -> tuple[np.ndarray, str]:
    """What the model saw, 4x with square pixels, captioned "true label ← the model's answer"."""
    image = np.kron(c.seen_pixels, np.ones((4, 4), np.uint8))
    read = "?" if c.predicted is None else str(c.predicted)
    return image, f"{'-' if c.label is None else c.label} ← {read}"


@dataclass
class Corrections:
    """The handlers that store corrections and show a visitor their own."""

    config: AppConfig
    store: FeedbackStore
    cache: PredictorCache

    def correct(self, source: Any, label: int | None, model: str, position: int | None,
                request: gr.Request | None) -> dict:  # fmt: skip
        """Store one correction of the current reading; the JSON acknowledgement, written after the
        row is committed. Raises ValueError (or InputError) for an input that cannot be corrected."""
        if not self.config.feedback:
            return {"stored": False, "reason": "off"}
        if source is None:
            raise InputError("there is no drawing or image to correct")
        image = decoded(source)
        pred = self.cache.get(model or DEFAULT_MODEL).predict(image)
        digit = pick_digit(pred, position)
        session = session_id(request)
        try:
            row = self.store.add(image, digit.image, label, digit.digit, digit.confidence, pred.model, session)
            count = self.store.count(session)
        except FeedbackUnavailable as exc:
            log.warning("a correction was not stored: %s", exc)
            return {"stored": False, "reason": "unavailable"}
        return {"stored": True, "id": row, "label": NOT_A_DIGIT if label is None else label,
                "predicted": digit.digit, "confidence": round(digit.confidence, 6), "model": pred.model,
                "digit": int(position or 1), "corrections": count}  # fmt: skip

    def click(self, value: Any, label: int | None, model: str, which: int | None,
              request: gr.Request | None = None) -> tuple[str, str, list]:  # fmt: skip
        """A correction button: the acknowledgement, then the visitor's corrections anew."""
        lang = request_language(request)
        source = sketch_image(value)
        try:
            ack = self.correct(source, label, model, which, request)
        except InputError as exc:
            return tr(lang, "fb_nothing", error=core_error(lang, exc)), *self.mine(request)
        except (ValueError, WeightsError) as exc:
            return tr(lang, "fb_failed", error=exc), *self.mine(request)
        if not ack["stored"]:
            return tr(lang, f"fb_{ack['reason']}"), *self.mine(request)
        text = tr(lang, "fb_saved", label=_label_text(label, lang), read=ack["predicted"], count=ack["corrections"])
        return text, *self.mine(request)

    def button(self, label: int | None) -> Callable[..., tuple[str, str, list]]:
        """The handler of one label's button."""

        def on_click(value: Any, model: str, which: int | None, request: gr.Request) -> tuple[str, str, list]:
            return self.click(value, label, model, which, request)

        return on_click

    def api_correct(self, image: str | None, label: str | None, model: str | None, digit: float | None,
                    request: gr.Request) -> dict:  # fmt: skip
        """The /correct endpoint: image file, label (0-9, -1 or "not a digit"), model, and for a number
        which digit (from 1) -> {"stored": true, "id", ...} or {"stored": false, "reason", "message"}."""
        try:
            ack = self.correct(image, parse_label(label), model or DEFAULT_MODEL, int(digit or 1), request)
        except (ValueError, WeightsError) as exc:  # InputError is a ValueError
            raise gr.Error(str(exc)) from None
        if not ack["stored"]:
            ack["message"] = tr(ENGLISH, f"fb_{ack['reason']}")
        return ack

    def mine(self, request: gr.Request | None = None) -> tuple[str, list]:
        """The count ("Your corrections: N") and the latest corrections, this session's only: never another's."""
        lang = request_language(request)
        if not self.config.feedback:
            return tr(lang, "fb_off"), []
        rows = self._rows(request)
        return (tr(lang, "fb_unavailable"), []) if rows is None else self._view(rows, lang)

    def on_load(self, request: gr.Request | None = None) -> tuple[str, str, str, list]:
        """When a page opens: the note under both tabs' buttons (whether corrections can be stored),
        then the visitor's corrections (none yet: a new page is a new session)."""
        lang = request_language(request)
        if not self.config.feedback:
            return "", "", tr(lang, "fb_off"), []
        rows = self._rows(request)
        if rows is None:
            note = tr(lang, "fb_unavailable")
            return note, note, note, []
        return "", "", *self._view(rows, lang)

    def _rows(self, request: gr.Request | None) -> list[Correction] | None:
        """This session's corrections, None when the database cannot be used."""
        try:
            return self.store.list(session_id(request))
        except FeedbackUnavailable as exc:
            log.warning("corrections are unavailable: %s", exc)
            return None

    def _view(self, rows: list[Correction], lang: str) -> tuple[str, list]:
        scope = "fb_scope_public" if self.config.public else "fb_scope_local"
        text = tr(lang, "fb_mine", count=len(rows)) + " " + tr(lang, scope)
        return text, [_thumbnail(c) for c in reversed(rows[-SHOWN:])]


# --- the page ----------------------------------------------------------------------------------------

LABELS: tuple[int | None, ...] = (*range(10), None)


@dataclass
class CorrectBox:
    """Under an Answer: the digit selector (numbers), a button per label, and what happened."""

    which: gr.Radio
    buttons: dict[int | None, gr.Button]
    ack: gr.Markdown
    status: gr.Markdown


@dataclass
class MineBox:
    """The visitor's own corrections."""

    count: gr.Markdown
    gallery: gr.Gallery
    refresh: gr.Button


def build_correct(prefix: str, feedback: bool) -> CorrectBox:
    if not feedback:
        gr.Markdown(i18n("fb_off_note"), elem_id=f"{prefix}-correct-off")
    with gr.Column(visible=feedback, elem_id=f"{prefix}-correct"):
        gr.Markdown(i18n("fb_heading"))
        which = gr.Radio(choices=[("1", 1)], value=1, label=i18n("fb_which"), visible=False,
                         elem_id=f"{prefix}-which")  # fmt: skip
        with gr.Row(equal_height=True):
            buttons = {d: gr.Button(str(d), size="sm", min_width=36, elem_id=f"{prefix}-correct-{d}")
                       for d in range(10)}  # fmt: skip
        buttons[None] = gr.Button(i18n("fb_not_digit"), size="sm", elem_id=f"{prefix}-correct-none")
        ack = gr.Markdown(elem_id=f"{prefix}-ack")
        status = gr.Markdown(elem_id=f"{prefix}-fb-status")
    return CorrectBox(which, buttons, ack, status)


def build_mine() -> MineBox:
    gr.Markdown(i18n("fb_mine_heading"))
    count = gr.Markdown(elem_id="mine-count")
    gr.Markdown(i18n("fb_gallery"))
    # fit_columns=False: a few corrections as small tiles, not stretched over the page's width
    gallery = gr.Gallery(show_label=False, columns=10, fit_columns=False, height=180, format="png",
                         object_fit="contain", elem_id="mine-gallery")  # fmt: skip
    refresh = gr.Button(i18n("fb_refresh"), size="sm")
    return MineBox(count, gallery, refresh)


def wire_correct(corrections: Corrections, model: gr.Dropdown, source: gr.components.Component, box: CorrectBox,
                 mine: MineBox) -> None:  # fmt: skip
    for label, button in box.buttons.items():
        button.click(corrections.button(label), [source, model, box.which], [box.ack, mine.count, mine.gallery],
                     api_visibility="private")  # fmt: skip


def wire_feedback(corrections: Corrections, mine: MineBox, model: gr.Dropdown) -> None:
    """The visitor's corrections anew (/my_corrections), and /correct for scripts."""
    mine.refresh.click(corrections.mine, None, [mine.count, mine.gallery], api_name="my_corrections")
    # /correct: hidden inputs, so that scripts can send an image file and a label
    api_inputs = [gr.File(visible=False, type="filepath"), gr.Textbox(visible=False), model,
                  gr.Number(value=1, precision=0, visible=False)]  # fmt: skip
    gr.Button(visible=False).click(corrections.api_correct, api_inputs, gr.JSON(visible=False), api_name="correct")
