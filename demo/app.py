"""The Gradio app: plain handlers over mnist_core, one builder per part of the page, then launch.

A view is three small pieces, in its own module: a builder that lays out its components and returns
them (a dataclass), handlers (values in, values out), and a wire_* function that connects the two.
build_demo calls them in order:

- reading.py: the Draw and Upload tabs, each an input with its Answer (and /predict);
- feedback_view.py: "Wrong? It is ..." under every Answer, the visitor's own corrections (/correct);
- explain_view.py, compare_view.py: why the model answered, and every model's answer (/explain, /compare);
- retraining.py, learning.py: the Retrain tab, retraining on MNIST and learning from corrections.

This module is over 250 lines for the page's CSS and the launch path (arguments, serve, main),
which belong with build_demo.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys
from typing import Any

import gradio as gr

from mnist_core import list_models
from mnist_core.cache import PredictorCache
from mnist_core.devices import AUTO, DeviceError, resolve_device
from mnist_core.feedback import FeedbackStore
from mnist_core.inference import BACKENDS, check_backend
from mnist_core.jobs import RetrainJobs
from mnist_core.paths import HOME_ENV, set_home

from .common import AppConfig, request_language, sketch_image
from .compare_view import Comparing, wire_compare, wire_compare_api
from .explain_view import Explaining, wire_explain, wire_explain_api
from .feedback_view import Corrections, build_mine, wire_correct, wire_feedback
from .i18n import I18N, i18n
from .learning import Learning, build_learn, wire_learn
from .reading import (
    CANVAS,
    Reading,
    ReadTab,
    _verdict,
    build_draw_tab,
    build_header,
    build_upload_tab,
    model_choices,
    wire_predict_api,
    wire_reading,
)
from .retraining import PUBLIC_REASON, Retraining, build_retrain, confusion_frame, job_view, wire_retrain

__all__ = [  # what callers and tests import from here
    "CANVAS",
    "PUBLIC_REASON",
    "AppConfig",
    "Reading",
    "Retraining",
    "_verdict",
    "build_demo",
    "config_from_args",
    "confusion_frame",
    "job_view",
    "main",
    "model_choices",
    "parse_args",
    "request_language",
    "serve",
    "sketch_image",
]

TITLE = "mnist-canvas: handwritten digit recognition"  # the page title: Gradio 6 does not translate it

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


class DigitDemo(gr.Blocks):
    """The app's Blocks. Gradio 6 takes translations and CSS at launch(), not in the constructor: they
    are defaults here, so every caller's launch() serves both languages and the phone layout."""

    jobs: RetrainJobs
    cache: PredictorCache
    store: FeedbackStore

    def launch(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("i18n", I18N)
        kwargs.setdefault("css", CSS)
        return super().launch(*args, **kwargs)


def wire_views(explaining: Explaining, comparing: Comparing, model: gr.Dropdown, tabs: list[ReadTab]) -> None:
    for tab in tabs:
        wire_explain(explaining, model, tab.source, tab.explain)
        wire_compare(comparing, tab.source, tab.compare)
    wire_explain_api(explaining, model)
    wire_compare_api(comparing)


def build_demo(config: AppConfig | None = None) -> DigitDemo:
    config = config or AppConfig()
    cache = PredictorCache(config.weights_dir, backend=config.backend, device=config.device)
    problems = cache.verify(list_models())  # checksums every weights file at start-up
    for name, problem in problems.items():
        logging.getLogger("mnist-canvas").warning("weights for %s: %s", name, problem)
    jobs = RetrainJobs(config.weights_dir, config.data_root, on_finished=cache.put)
    store = FeedbackStore()  # opened by each call: a corrupt file fails a correction, never the start
    reading, retraining = Reading(cache), Retraining(config, jobs, cache)
    corrections, learning = Corrections(config, store, cache), Learning(config, retraining, store)

    with DigitDemo(title=TITLE) as demo:
        header = build_header(cache, problems)
        with gr.Tabs():
            draw, upload = build_draw_tab(config.feedback), build_upload_tab(config.feedback)
            with gr.Tab(i18n("tab_retrain"), id="retrain"):
                retrain, mine, learn = build_retrain(config), build_mine(), build_learn(config)
        wire_reading(reading, header.model, draw, upload)
        wire_predict_api(reading, header.model)
        for tab in (draw, upload):
            wire_correct(corrections, header.model, tab.source, tab.answer.correct, mine)
        wire_feedback(corrections, mine, header.model)
        wire_views(Explaining(cache), Comparing(cache), header.model, [draw, upload])
        wire_retrain(retraining, retrain)
        wire_learn(learning, learn, retrain.model)
        demo.load(None, js=ARM_BRUSH_JS)
        demo.load(reading.choices, None, header.model, api_visibility="private")
        demo.load(retraining.on_load, None, [retrain.notice, retrain.plot], api_visibility="private")
        demo.load(corrections.on_load, None, [draw.answer.correct.status, upload.answer.correct.status, mine.count,
                                              mine.gallery], api_visibility="private")  # fmt: skip
    demo.jobs, demo.cache, demo.store = jobs, cache, store  # for callers that serve the app, and for tests
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
    p.add_argument("--no-feedback", action="store_true", help="do not store the corrections visitors give")
    p.add_argument("--device", default=AUTO, help="what runs the models: auto (an accelerator if there is one), "
                   "cpu, cuda, cuda:N or mps")  # fmt: skip
    p.add_argument("--backend", choices=BACKENDS, default="torch", help="torch, or onnx (ONNX Runtime, on the CPU)")
    return p.parse_args(argv)


def on_spaces() -> bool:
    """Hugging Face Spaces set SYSTEM=spaces: a public server whoever runs it."""
    return os.environ.get("SYSTEM") == "spaces"


def config_from_args(args: argparse.Namespace) -> AppConfig:
    public = args.share or not _is_loopback(args.host) or on_spaces()
    allow = not public or bool(args.auth) or args.allow_retrain
    reason = "" if allow else PUBLIC_REASON
    return AppConfig(weights_dir=args.weights_dir, data_root=args.data_root, allow_retrain=allow,
                     retrain_disabled_reason=reason, feedback=not args.no_feedback, public=public,
                     device=args.device, backend=args.backend)  # fmt: skip


def check_runtime(config: AppConfig) -> str | None:
    """Why the models cannot run as asked (a device that is not there, ONNX Runtime missing), else None."""
    try:
        check_backend(config.backend)
        resolve_device(config.device)
    except (DeviceError, ValueError, ImportError) as exc:
        return str(exc)
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.home:  # through the environment, so the prediction worker processes see it too
        set_home(args.home)
    auth = None
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not sep or not user or not password:
            print("error: --auth takes USER:PASS", file=sys.stderr)
            return 2
        auth = (user, password)
    config = config_from_args(args)
    problem = check_runtime(config)
    if problem is not None:  # before any model loads or any port opens
        print(f"error: {problem}", file=sys.stderr)
        return 2
    serve(config, args.host, args.port, share=args.share, auth=auth)
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
    demo.rest_workers = add_rest_routes(app, config.weights_dir, auth, config.backend, config.device)
    demo.rest_workers.wait_ready()  # the first /v1 request should not wait for processes to start
    close = demo.close

    def close_all(verbose: bool = True) -> None:
        close(verbose)
        demo.rest_workers.shutdown()

    demo.close = close_all  # stopping the server stops its prediction workers too
    if block:
        demo.block_thread()
    return demo, url
