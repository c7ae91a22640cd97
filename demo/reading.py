"""Reading a drawing or a photo: the handlers (values in, values out), the Draw and Upload tabs with an
Answer under each, and their wiring. The Answer holds the views on it: correct, explain, compare."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import gradio as gr
import numpy as np

from mnist_core import DEFAULT_MODEL, InputError, list_models
from mnist_core.cache import PredictorCache
from mnist_core.predict import Prediction
from mnist_core.verdict import no_digit_bar
from mnist_core.weights import WeightsError

from .common import TOP_K, Panel, request_language, sketch_image, upload_bytes
from .compare_view import build_compare
from .explain_view import build_explain
from .feedback_view import CorrectBox, build_correct, which_digit
from .i18n import ENGLISH, core_error, i18n, tr

CANVAS = (480, 320)  # px, wide enough for a number; a digit drawn across its height with a 22 px brush
BRUSH = 22  # has MNIST's stroke-to-size ratio
SEEN_ZOOM = 8  # the 28x28 image is shown as 224x224 with square pixels


class Shown(NamedTuple):
    """What an Answer shows for a reading, in the order of Answer.outputs."""

    label: dict[str, float] | None
    seen: np.ndarray | None
    verdict: str
    which: dict  # the correction's digit selector (a gr.update): one entry per digit read
    ack: str = ""  # a new reading clears the last correction's acknowledgement


# --- what a reading shows: values in, values out --------------------------------------------------


def _label(pred: Prediction) -> dict[str, float]:
    """A digit's top-k; for a number, the number read with the chance that every digit is right."""
    if pred.digits:
        return {pred.number: float(np.prod([d.confidence for d in pred.digits]))}
    return {str(d): p for d, p in pred.top_k(TOP_K)}


def _seen(pred: Prediction) -> np.ndarray:
    """What the model saw, 8x: the 28x28 digit, or each digit of a number side by side."""
    gap = np.full((28, 1), 0.35, np.float32)
    images = [d.image for d in pred.digits] or [pred.image]
    strip = np.concatenate([x for image in images for x in (gap, image)][1:], axis=1)
    return (np.kron(strip, np.ones((SEEN_ZOOM, SEEN_ZOOM), np.float32)) * 255).astype(np.uint8)


def _top(pred: Prediction) -> str:
    return " · ".join(f"{d}: {p:.0%}" for d, p in pred.top_k(TOP_K))


def _verdict(pred: Prediction, lang: str = ENGLISH) -> str:
    if pred.digits:
        return _number_verdict(pred, lang)
    if not pred.uncertain:
        return tr(lang, "verdict", digit=pred.digit, confidence=f"{pred.confidence:.1%}", model=pred.model)
    why = tr(lang, "why_unsure")
    if pred.no_digit > no_digit_bar(pred.cut, pred.alone):
        why = tr(lang, "why_not_digit", sure=f"{pred.no_digit:.0%}")
    return tr(lang, "unsure", digit=pred.digit, confidence=f"{pred.confidence:.0%}", why=why)


def _number_verdict(pred: Prediction, lang: str) -> str:
    """The number read, then one table row per digit with its top 3."""
    head = tr(lang, "number_unsure" if pred.uncertain else "number_sure", number=pred.number)
    rows = [f"| {i} | {tr(lang, 'digit_unsure') if d.uncertain else d.digit} | {_top(d)} |"
            for i, d in enumerate(pred.digits, 1)]  # fmt: skip
    line = tr(lang, "number_line", head=head, count=len(pred.digits), model=pred.model)
    return "\n".join([line, "", tr(lang, "number_table"), "|---|---|---|", *rows])


def model_choices(cache: PredictorCache, lang: str = ENGLISH) -> list[tuple[str, str]]:
    """(shown text, value) for the model dropdown: each model with its MNIST test accuracy."""
    out = []
    for name in list_models():
        acc = cache.accuracy(name)
        if acc is None:
            out.append((tr(lang, "model_no_weights", name=name), name))
        else:
            out.append((tr(lang, "model_choice", name=name, accuracy=f"{acc:.2%}"), name))
    return out


@dataclass
class Reading:
    """The handlers that read a drawing or a photo, over one cache of loaded models."""

    cache: PredictorCache

    def show(self, source: Any, model: str, request: gr.Request | None = None) -> Shown:
        """What an Answer shows; input problems become a message, never a crash."""
        lang = request_language(request)
        if source is None:
            return Shown(None, None, tr(lang, "prompt"), which_digit(None, lang))
        try:
            pred = self.cache.get(model or DEFAULT_MODEL).predict(upload_bytes(source))
        except InputError as exc:
            return Shown(None, None, tr(lang, "no_digit", error=core_error(lang, exc)), which_digit(None, lang))
        except (WeightsError, ValueError) as exc:
            return Shown(None, None, tr(lang, "model_problem", error=exc), which_digit(None, lang))
        return Shown(_label(pred), _seen(pred), _verdict(pred, lang), which_digit(pred, lang))

    def on_draw(self, value: dict | None, model: str, request: gr.Request | None = None) -> Shown:
        return self.show(sketch_image(value), model, request)

    def cleared(self, request: gr.Request | None = None) -> Shown:
        lang = request_language(request)
        return Shown(None, None, tr(lang, "prompt"), which_digit(None, lang))

    def choices(self, request: gr.Request | None = None) -> dict:
        """The model list with each model's current accuracy, in the browser's language."""
        return gr.update(choices=model_choices(self.cache, request_language(request)))

    def api_predict(self, image: str | None, model: str | None) -> dict:
        """Image file + model name -> one line of `mnist-predict --json` without "path" (the /predict
        endpoint): gradio_client downloads any dict with a "path" as a file."""
        if image is None:
            raise gr.Error("no image was sent")
        try:
            out = self.cache.get(model or DEFAULT_MODEL).predict(upload_bytes(image)).to_json("", TOP_K)
        except (InputError, WeightsError, ValueError) as exc:
            raise gr.Error(str(exc)) from None
        del out["path"]
        return out


# --- the page: a header, then an input and its Answer per tab -------------------------------------


@dataclass
class Header:
    model: gr.Dropdown


@dataclass
class Answer:
    """What the app read, beside an input, with the buttons that correct it."""

    label: gr.Label
    verdict: gr.Markdown
    seen: gr.Image
    correct: CorrectBox

    @property
    def outputs(self) -> list[gr.components.Component]:
        return [self.label, self.seen, self.verdict, self.correct.which, self.correct.ack]  # Shown's order


@dataclass
class ReadTab:
    """An input, its Answer, and the views of the same input below them (full width: the
    explanation's picture and the comparison's table are wide)."""

    source: gr.Sketchpad | gr.Image
    answer: Answer
    explain: Panel
    compare: Panel


def build_header(cache: PredictorCache, problems: dict[str, str]) -> Header:
    gr.Markdown(i18n("intro"))
    if problems:
        gr.Markdown(i18n("weights_problems") + "\n" + "\n".join(f"- `{n}`: {p}" for n, p in problems.items()),
                    elem_id="weights-problems")  # fmt: skip
    model = gr.Dropdown(model_choices(cache), value=DEFAULT_MODEL, label=i18n("model_label"), elem_id="model-select")
    return Header(model)


def build_answer(prefix: str, feedback: bool) -> Answer:
    with gr.Column():
        label = gr.Label(num_top_classes=TOP_K, label=i18n("prediction"), elem_id=f"{prefix}-label")
        verdict = gr.Markdown(elem_id=f"{prefix}-verdict")
        seen = gr.Image(label=i18n("seen_label"), interactive=False, height=224, elem_id=f"{prefix}-seen")
        correct = build_correct(prefix, feedback)
    return Answer(label, verdict, seen, correct)


def build_draw_tab(feedback: bool = True) -> ReadTab:
    with gr.Tab(i18n("tab_draw"), id="draw"):
        with gr.Row():
            pad = _sketchpad()
            answer = build_answer("draw", feedback)
        return ReadTab(pad, answer, build_explain("draw"), build_compare("draw"))


def _sketchpad() -> gr.Sketchpad:
    return gr.Sketchpad(
        type="numpy",
        image_mode="RGBA",
        canvas_size=CANVAS,
        fixed_canvas=True,
        brush=gr.Brush(colors=["#000000"], color_mode="fixed", default_size=BRUSH),
        layers=False,
        transforms=(),
        label=i18n("pad_label"),
        elem_id="draw-pad",
    )


def build_upload_tab(feedback: bool = True) -> ReadTab:
    with gr.Tab(i18n("tab_upload"), id="upload"):
        with gr.Row():
            photo = gr.Image(type="filepath", image_mode=None, sources=["upload", "webcam", "clipboard"],
                             label=i18n("photo_label"), elem_id="upload-image")  # fmt: skip
            answer = build_answer("upload", feedback)
        return ReadTab(photo, answer, build_explain("upload"), build_compare("upload"))


# --- wiring ----------------------------------------------------------------------------------------


def wire_reading(reading: Reading, model: gr.Dropdown, draw: ReadTab, upload: ReadTab) -> None:
    drawn = draw.source.change(reading.on_draw, [draw.source, model], draw.answer.outputs,
                               trigger_mode="always_last", api_visibility="private")  # fmt: skip
    # "Clear canvas" empties the answer at once and drops predictions still waiting for the old drawing,
    # which could otherwise put its label back after the clear
    draw.source.clear(reading.cleared, None, draw.answer.outputs, queue=False, cancels=[drawn],
                      api_visibility="private")  # fmt: skip
    upload.source.change(reading.show, [upload.source, model], upload.answer.outputs, api_visibility="private")
    model.change(reading.on_draw, [draw.source, model], draw.answer.outputs, api_visibility="private")
    model.change(reading.show, [upload.source, model], upload.answer.outputs, api_visibility="private")


def wire_predict_api(reading: Reading, model: gr.Dropdown) -> None:
    # /predict takes any file: the core decodes it, so a bad file gets the core's clear error
    api_file, api_out = gr.File(visible=False, type="filepath"), gr.JSON(visible=False)
    gr.Button(visible=False).click(reading.api_predict, [api_file, model], api_out, api_name="predict")
