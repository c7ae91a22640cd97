"""Why the model answered what it did: mnist_core.explain's picture (the preprocessing, where the model
looked, its first layer) of the current drawing or upload, captioned in the visitor's language."""

from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from PIL import Image, ImageFont

from mnist_core import DEFAULT_MODEL, InputError
from mnist_core.cache import PredictorCache
from mnist_core.explain import render
from mnist_core.explanation import explain
from mnist_core.weights import WeightsError

from .common import Panel, decoded, request_language, sketch_image
from .i18n import EXPLAIN_CAPTIONS, core_error, i18n, tr

CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"  # Debian's fonts-wqy-microhei


@functools.cache
def cjk_font() -> str | None:
    """A TrueType font with Chinese glyphs: WenQuanYi Micro Hei, else the first fontconfig lists for
    Chinese (fc-match would answer a Latin font when there is none); None when there is none."""
    candidates = [CJK_FONT]
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10)
        candidates += sorted(line.split(":")[0].strip() for line in listed.stdout.splitlines())
    except (OSError, subprocess.SubprocessError):
        pass  # no fontconfig: only the known path
    for path in candidates:
        try:
            if Path(path).is_file():
                ImageFont.truetype(path, 12)
                return path
        except OSError:
            continue
    return None


def captions(lang: str) -> tuple[dict[str, str] | None, str | None]:
    """(captions, font) for the picture: the language's captions with a font that has its script,
    else the core's English captions and default font."""
    table = EXPLAIN_CAPTIONS.get(lang)
    font = cjk_font() if table else None
    return (table, font) if table and font else (None, None)


@dataclass
class Explaining:
    """The handlers of the explanation view and of /explain."""

    cache: PredictorCache

    def picture(self, source: Any, model: str | None, lang: str) -> Image.Image:
        """Raises InputError for an input without a digit, WeightsError/ValueError for the model."""
        table, font = captions(lang)
        return render(explain(self.cache.get(model or DEFAULT_MODEL), decoded(source)), table, font)

    def show(self, value: Any, model: str, request: gr.Request | None = None) -> tuple[Image.Image | None, str]:
        """(picture, note) for the page; bad input becomes a note, never a crash."""
        lang = request_language(request)
        source = sketch_image(value)
        if source is None:
            return None, tr(lang, "ex_nothing")
        try:
            return self.picture(source, model, lang), ""
        except InputError as exc:
            return None, tr(lang, "no_digit", error=core_error(lang, exc))
        except (WeightsError, ValueError) as exc:
            return None, tr(lang, "model_problem", error=exc)

    @staticmethod
    def clear() -> tuple[None, str]:
        return None, ""

    def api_explain(self, image: str | None, model: str | None, request: gr.Request) -> Image.Image:
        """The /explain endpoint: image file + model -> the picture, as a PNG file."""
        if image is None:
            raise gr.Error("no image was sent")
        try:
            return self.picture(image, model, request_language(request))
        except (InputError, WeightsError, ValueError) as exc:
            raise gr.Error(str(exc)) from None


def build_explain(prefix: str) -> Panel:
    with gr.Accordion(i18n("ex_title"), open=False, elem_id=f"{prefix}-explain") as accordion:
        gr.Markdown(i18n("ex_about"))
        run = gr.Button(i18n("ex_run"), size="sm", elem_id=f"{prefix}-explain-run")
        note = gr.Markdown(elem_id=f"{prefix}-explain-note")
        picture = gr.Image(type="pil", format="png", interactive=False, show_label=False,
                           buttons=["download", "fullscreen"], elem_id=f"{prefix}-explain-picture")  # fmt: skip
    return Panel(accordion, run, picture, note)


def wire_explain(explaining: Explaining, model: gr.Dropdown, source: gr.components.Component, box: Panel) -> None:
    box.wire(explaining.show, explaining.clear, [source, model])


def wire_explain_api(explaining: Explaining, model: gr.Dropdown) -> None:
    image = gr.File(visible=False, type="filepath")
    out = gr.Image(visible=False, type="pil", format="png")
    gr.Button(visible=False).click(explaining.api_explain, [image, model], out, api_name="explain")
