"""The Gradio app: plain handlers over mnist_core, one builder per part of the page, then launch.

A view is three small pieces: a builder that lays out its components and returns them (a dataclass),
handlers (values in, values out), and a wire_* function that connects the two. build_demo calls them
in order; a new view (a tab, or buttons under an Answer) adds its own three.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd

from mnist_core import DEFAULT_MODEL, InputError, list_models
from mnist_core.jobs import JobBusyError, JobState, RetrainJobs
from mnist_core.paths import HOME_ENV
from mnist_core.predict import NO_DIGIT_ABOVE, Prediction, PredictorCache
from mnist_core.train import TrainConfig
from mnist_core.weights import WeightsError

from .i18n import EN, ENGLISH, I18N, core_error, core_text, i18n, language, tr

TOP_K = 3
CANVAS = (480, 320)  # px, wide enough for a number; a digit drawn across its height with a 22 px brush
BRUSH = 22  # has MNIST's stroke-to-size ratio
SEEN_ZOOM = 8  # the 28x28 image is shown as 224x224 with square pixels
RETRAIN_DEFAULT = "cnn_small"  # its recipe reaches 99% in about 10 s on 2 vCPUs
TITLE = "mnist-canvas: handwritten digit recognition"  # the page title: Gradio 6 does not translate it
PROMPT = EN["prompt"]
PUBLIC_REASON = EN["reason_public"]

# The sketchpad starts with no tool selected ("select the draw tool to start"), and clearing the
# canvas deselects it again. A digit pad's only job is drawing: whenever no tool is selected, select
# the brush. A tool the user picked (the eraser) is left alone.
ARM_BRUSH_JS = """
() => {
  const arm = () => {
    const pad = document.querySelector('#draw-pad');
    const brush = pad && pad.querySelector('button[aria-label="Brush"]');
    if (!brush) return;
    const tools = [brush, pad.querySelector('button[aria-label="Erase"]')].filter(Boolean);
    if (!tools.some(b => b.classList.contains('highlight'))) brush.click();
  };
  setInterval(arm, 250);
  arm();
}
"""

# The editor zooms its canvas to the width it is given, so on a phone the page's side padding is
# drawing area lost: the padding shrinks with the screen, from Gradio's 32 px down to 6 px. (Gradio
# scopes custom CSS to the app's content, which @media rules cannot leave; the page padding is outside.)
# On a phone the editor's tool column would cover the left of the canvas: it moves under the drawing.
CSS = """
.gradio-container .main.app { padding-left: clamp(6px, 5vw - 12px, var(--size-8));
                              padding-right: clamp(6px, 5vw - 12px, var(--size-8)); }
@media (max-width: 640px) {
  #draw-pad { height: 300px !important; }
  #draw-pad .toolbar-wrap { flex-direction: row; width: auto; top: auto; bottom: 6px; left: 50%; right: auto;
                            transform: translateX(-50%); }
  #draw-pad .toolbar-wrap > div { flex-direction: row; padding: 0 var(--spacing-sm); }
  #draw-pad .toolbar-wrap > div:last-child { border-top: none; border-left: 1px solid var(--block-border-color); }
}
"""


@dataclass
class AppConfig:
    weights_dir: str | None = None
    data_root: str | None = None
    allow_retrain: bool = True
    train_limit: int = 0  # retrain on only the first N images (tests); 0 means all of MNIST
    retrain_disabled_reason: str = ""


Shown = tuple[dict[str, float] | None, np.ndarray | None, str]  # an Answer's label, seen image and verdict


def request_language(request: gr.Request | None) -> str:
    """The table for the browser that sent the event (English for API clients, which send no language)."""
    return language(request.headers.get("accept-language") if request is not None else None)


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
    if pred.no_digit > NO_DIGIT_ABOVE:
        why = tr(lang, "why_not_digit", sure=f"{pred.no_digit:.0%}")
    return tr(lang, "unsure", digit=pred.digit, confidence=f"{pred.confidence:.0%}", why=why)


def _number_verdict(pred: Prediction, lang: str) -> str:
    """The number read, then one table row per digit with its top 3."""
    head = tr(lang, "number_unsure" if pred.uncertain else "number_sure", number=pred.number)
    rows = [f"| {i} | {tr(lang, 'digit_unsure') if d.uncertain else d.digit} | {_top(d)} |"
            for i, d in enumerate(pred.digits, 1)]  # fmt: skip
    line = tr(lang, "number_line", head=head, count=len(pred.digits), model=pred.model)
    return "\n".join([line, "", tr(lang, "number_table"), "|---|---|---|", *rows])


def sketch_image(value: dict | np.ndarray | None) -> np.ndarray | None:
    """The drawing in a sketchpad value: the composite, else the first layer, else the background."""
    if value is None or isinstance(value, np.ndarray):
        return value
    layers = [layer for layer in value.get("layers") or [] if layer is not None]
    for image in (value.get("composite"), *layers, value.get("background")):
        if image is not None:
            return image
    return None


def _upload(source):
    """An uploaded file's bytes: errors then name "the uploaded data", not a server temp path."""
    return Path(source).read_bytes() if isinstance(source, (str, Path)) else source


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
        """(label, seen image, verdict) for the UI; input problems become a message, never a crash."""
        lang = request_language(request)
        if source is None:
            return None, None, tr(lang, "prompt")
        try:
            pred = self.cache.get(model or DEFAULT_MODEL).predict(_upload(source))
        except InputError as exc:
            return None, None, tr(lang, "no_digit", error=core_error(lang, exc))
        except (WeightsError, ValueError) as exc:
            return None, None, tr(lang, "model_problem", error=exc)
        return _label(pred), _seen(pred), _verdict(pred, lang)

    def on_draw(self, value: dict | None, model: str, request: gr.Request | None = None) -> Shown:
        return self.show(sketch_image(value), model, request)

    def cleared(self, request: gr.Request | None = None) -> Shown:
        return None, None, tr(request_language(request), "prompt")

    def choices(self, request: gr.Request | None = None) -> dict:
        """The model list with each model's current accuracy, in the browser's language."""
        return gr.update(choices=model_choices(self.cache, request_language(request)))

    def api_predict(self, image: str | None, model: str | None) -> dict:
        """Image file + model name -> one line of `mnist-predict --json` without "path" (the /predict
        endpoint): gradio_client downloads any dict with a "path" as a file."""
        if image is None:
            raise gr.Error("no image was sent")
        try:
            out = self.cache.get(model or DEFAULT_MODEL).predict(_upload(image)).to_json("", TOP_K)
        except (InputError, WeightsError, ValueError) as exc:
            raise gr.Error(str(exc)) from None
        del out["path"]
        return out


# --- retraining: values in, values out ------------------------------------------------------------


def confusion_frame(state: JobState, lang: str = ENGLISH) -> pd.DataFrame:
    """The new weights' confusion matrix: rows are the true digit, columns the prediction."""
    if not state.confusion:
        return pd.DataFrame()
    columns = [tr(lang, "confusion_corner"), *map(str, range(10))]
    return pd.DataFrame([[str(d), *row] for d, row in enumerate(state.confusion)], columns=columns)


def job_message(state: JobState, lang: str = ENGLISH) -> str:
    """The job's message as the core wrote it, or its translation for the job's status."""
    accuracy = "" if state.test_accuracy is None else f"{state.test_accuracy:.2%}"
    return core_text(lang, f"job_{state.status}", state.message, model=state.model, accuracy=accuracy)


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
    def recipe(name: str) -> tuple[dict, float, int]:
        """The model's own training recipe, as the form's defaults."""
        recipe = TrainConfig.for_model(name)
        return gr.update(value=min(recipe.epochs, 30)), recipe.lr, recipe.batch_size

    def retrain(
        self,
        name: str,
        epochs: float,
        lr: float,
        batch: int,
        request: gr.Request | None = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio finds its progress tracker by this default)
    ) -> Iterator[tuple[str, pd.DataFrame, pd.DataFrame]]:
        """Start a job (or join the running one) and stream its progress until it ends."""
        lang = request_language(request)
        self.require(lang)
        note = ""
        try:
            cfg = TrainConfig.for_model(name, epochs=int(epochs), lr=float(lr), batch_size=int(batch),
                                        limit=self.config.train_limit)  # fmt: skip
            self.jobs.start(name, cfg, previous_accuracy=self.cache.accuracy(name))
        except JobBusyError as exc:
            busy = core_text(lang, "job_busy", str(exc), model=self.jobs.snapshot().model)
            note = tr(lang, "busy_note", error=busy) + "\n\n"
        except ValueError as exc:
            raise gr.Error(tr(lang, "action_failed", error=exc)) from None
        while True:
            state = self.jobs.snapshot()
            progress(state.fraction, desc=f"{state.model}: {tr(lang, f'status_{state.status}')}")
            text, df = job_view(state, lang)
            yield note + text, df, confusion_frame(state, lang)
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


# --- the page: one builder per part, each returning the components it made ------------------------


class DigitDemo(gr.Blocks):
    """The app's Blocks. Gradio 6 takes translations and CSS at launch(), not in the constructor: they
    are defaults here, so every caller's launch() serves both languages and the phone layout."""

    jobs: RetrainJobs
    cache: PredictorCache

    def launch(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("i18n", I18N)
        kwargs.setdefault("css", CSS)
        return super().launch(*args, **kwargs)


@dataclass
class Header:
    model: gr.Dropdown


@dataclass
class Answer:
    """What the app read, under or beside an input; feedback on the answer belongs here."""

    label: gr.Label
    verdict: gr.Markdown
    seen: gr.Image

    @property
    def outputs(self) -> list[gr.components.Component]:
        return [self.label, self.seen, self.verdict]  # the order Reading.show returns them in


@dataclass
class ReadTab:
    source: gr.Sketchpad | gr.Image
    answer: Answer


@dataclass
class RetrainTab:
    notice: gr.Markdown
    model: gr.Dropdown
    epochs: gr.Slider
    lr: gr.Number
    batch: gr.Dropdown
    start: gr.Button
    cancel: gr.Button
    status: gr.Markdown
    plot: gr.LinePlot
    confusion: gr.Dataframe
    keep: gr.Button
    discard: gr.Button
    restore: gr.Button


def build_header(cache: PredictorCache, problems: dict[str, str]) -> Header:
    gr.Markdown(i18n("intro"))
    if problems:
        gr.Markdown(i18n("weights_problems") + "\n" + "\n".join(f"- `{n}`: {p}" for n, p in problems.items()),
                    elem_id="weights-problems")  # fmt: skip
    model = gr.Dropdown(model_choices(cache), value=DEFAULT_MODEL, label=i18n("model_label"), elem_id="model-select")
    return Header(model)


def build_answer(prefix: str) -> Answer:
    with gr.Column():
        label = gr.Label(num_top_classes=TOP_K, label=i18n("prediction"), elem_id=f"{prefix}-label")
        verdict = gr.Markdown(elem_id=f"{prefix}-verdict")
        seen = gr.Image(label=i18n("seen_label"), interactive=False, height=224, elem_id=f"{prefix}-seen")
    return Answer(label, verdict, seen)


def build_draw_tab() -> ReadTab:
    with gr.Tab(i18n("tab_draw"), id="draw"), gr.Row():
        pad = gr.Sketchpad(
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
        return ReadTab(pad, build_answer("draw"))


def build_upload_tab() -> ReadTab:
    with gr.Tab(i18n("tab_upload"), id="upload"), gr.Row():
        photo = gr.Image(type="filepath", image_mode=None, sources=["upload", "webcam", "clipboard"],
                         label=i18n("photo_label"), elem_id="upload-image")  # fmt: skip
        return ReadTab(photo, build_answer("upload"))


def build_retrain_tab(config: AppConfig) -> RetrainTab:
    allowed = config.allow_retrain
    quick = TrainConfig.for_model(RETRAIN_DEFAULT)
    with gr.Tab(i18n("tab_retrain"), id="retrain"):
        notice = gr.Markdown(visible=not allowed, elem_id="retrain-notice")
        with gr.Row():
            model = gr.Dropdown(list_models(), value=RETRAIN_DEFAULT, label=i18n("rt_model"))
            epochs = gr.Slider(1, 30, value=quick.epochs, step=1, label=i18n("rt_epochs"))
            lr = gr.Number(value=quick.lr, label=i18n("rt_lr"))
            batch = gr.Dropdown([64, 128, 256, 512], value=quick.batch_size, label=i18n("rt_batch"))
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
    return RetrainTab(notice, model, epochs, lr, batch, start, cancel, status, plot, confusion, keep, discard, restore)


# --- wiring: events between the parts and the handlers --------------------------------------------


def wire_reading(reading: Reading, model: gr.Dropdown, draw: ReadTab, upload: ReadTab) -> None:
    drawn = draw.source.change(reading.on_draw, [draw.source, model], draw.answer.outputs, trigger_mode="always_last",
                               api_visibility="private")  # fmt: skip
    # "Clear canvas" empties the answer at once and drops predictions still waiting for the old drawing,
    # which could otherwise put its label back after the clear
    draw.source.clear(reading.cleared, None, draw.answer.outputs, queue=False, cancels=[drawn],
                      api_visibility="private")  # fmt: skip
    upload.source.change(reading.show, [upload.source, model], upload.answer.outputs, api_visibility="private")
    model.change(reading.on_draw, [draw.source, model], draw.answer.outputs, api_visibility="private")
    model.change(reading.show, [upload.source, model], upload.answer.outputs, api_visibility="private")


def wire_api(reading: Reading, model: gr.Dropdown) -> None:
    # /predict takes any file: the core decodes it, so a bad file gets the core's clear error
    api_file, api_out = gr.File(visible=False, type="filepath"), gr.JSON(visible=False)
    gr.Button(visible=False).click(reading.api_predict, [api_file, model], api_out, api_name="predict")


def wire_retrain(retraining: Retraining, tab: RetrainTab) -> None:
    tab.model.change(retraining.recipe, tab.model, [tab.epochs, tab.lr, tab.batch], api_visibility="private")
    tab.start.click(retraining.retrain, [tab.model, tab.epochs, tab.lr, tab.batch], [tab.status, tab.plot, tab.confusion],
                    api_name="retrain", concurrency_limit=4)  # fmt: skip
    tab.cancel.click(retraining.cancel, None, tab.status, api_name="cancel_retrain", queue=False)
    tab.keep.click(retraining.keep, None, tab.status, api_name="keep_weights")
    tab.discard.click(retraining.discard, None, tab.status, api_name="discard_weights")
    tab.restore.click(retraining.restore, tab.model, tab.status, api_name="restore_weights")


def build_demo(config: AppConfig | None = None) -> DigitDemo:
    config = config or AppConfig()
    cache = PredictorCache(config.weights_dir)
    problems = cache.verify(list_models())  # checksums every weights file at start-up
    for name, problem in problems.items():
        logging.getLogger("mnist-canvas").warning("weights for %s: %s", name, problem)
    jobs = RetrainJobs(config.weights_dir, config.data_root, on_finished=cache.put)
    reading, retraining = Reading(cache), Retraining(config, jobs, cache)

    with DigitDemo(title=TITLE) as demo:
        header = build_header(cache, problems)
        with gr.Tabs():
            draw, upload, retrain = build_draw_tab(), build_upload_tab(), build_retrain_tab(config)
        wire_reading(reading, header.model, draw, upload)
        wire_api(reading, header.model)
        wire_retrain(retraining, retrain)
        demo.load(None, js=ARM_BRUSH_JS)
        demo.load(reading.choices, None, header.model, api_visibility="private")
        demo.load(retraining.on_load, None, [retrain.notice, retrain.plot], api_visibility="private")
    demo.jobs = jobs  # for callers that serve the app (the REST routes) and for tests
    demo.cache = cache
    return demo


# --- launch ----------------------------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="mnist-demo", description="Serve the mnist-canvas Gradio app.")
    p.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    p.add_argument("--share", action="store_true", help="also serve through a public *.gradio.live link")
    p.add_argument("--auth", metavar="USER:PASS", help="require this login")
    p.add_argument("--allow-retrain", action="store_true", help="allow retraining on a public or shared server")
    p.add_argument("--weights-dir", help="folder of weights files to read and write (default: $MNIST_WEIGHTS, "
                   "else your retrained weights in the data folder, falling back to the shipped ones)")  # fmt: skip
    p.add_argument("--home", help=f"the data folder for retrained weights (default: ${HOME_ENV}, else the "
                   "platform's user data folder)")  # fmt: skip
    p.add_argument("--data-root", help="MNIST folder for retraining (default: $MNIST_DATA, else the user cache)")
    return p.parse_args(argv)


def on_spaces() -> bool:
    """Hugging Face Spaces set SYSTEM=spaces: a public server whoever runs it."""
    return os.environ.get("SYSTEM") == "spaces"


def config_from_args(args: argparse.Namespace) -> AppConfig:
    public = args.share or not _is_loopback(args.host) or on_spaces()
    allow = not public or bool(args.auth) or args.allow_retrain
    reason = "" if allow else PUBLIC_REASON
    return AppConfig(args.weights_dir, args.data_root, allow, reason)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.home:  # through the environment, so the prediction worker processes see it too
        os.environ[HOME_ENV] = str(Path(args.home).expanduser().resolve())
    auth = None
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not sep or not user or not password:
            print("error: --auth takes USER:PASS", file=sys.stderr)
            return 2
        auth = (user, password)
    serve(config_from_args(args), args.host, args.port, share=args.share, auth=auth)
    return 0


def serve(
    config: AppConfig,
    host: str = "127.0.0.1",
    port: int | None = 7860,
    share: bool = False,
    auth: tuple[str, str] | None = None,
    block: bool = True,
) -> tuple[DigitDemo, str]:
    """Launch the app and add POST /v1/predict to the same FastAPI server (one process, one port).

    Gradio's launch() builds that FastAPI app; mounting Gradio into our own app instead would lose
    --share, which only launch() provides.
    """
    from .rest import add_rest_routes

    demo = build_demo(config)
    demo.queue(default_concurrency_limit=4)
    app, url, _ = demo.launch(server_name=host, server_port=port, share=share, auth=auth, max_file_size="10mb",
                              prevent_thread_lock=True, quiet=not block)  # fmt: skip
    demo.rest_workers = add_rest_routes(app, config.weights_dir, auth)
    demo.rest_workers.wait_ready()  # the first /v1 request should not wait for processes to start
    close = demo.close

    def close_all(verbose: bool = True) -> None:
        close(verbose)
        demo.rest_workers.shutdown()

    demo.close = close_all  # stopping the server stops its prediction workers too
    if block:
        demo.block_thread()
    return demo, url
