"""The Gradio app: plain handler functions over mnist_core, then the Blocks, then launch."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd

from mnist_core import DEFAULT_MODEL, InputError, list_models
from mnist_core.jobs import JobBusyError, JobState, RetrainJobs
from mnist_core.paths import HOME_ENV
from mnist_core.predict import NO_DIGIT_ABOVE, Prediction, PredictorCache
from mnist_core.train import TrainConfig
from mnist_core.weights import WeightsError

TOP_K = 3
CANVAS = (480, 320)  # px, wide enough for a number; a digit drawn across its height with a 22 px brush
BRUSH = 22  # has MNIST's stroke-to-size ratio
SEEN_ZOOM = 8  # the 28x28 image is shown as 224x224 with square pixels
RETRAIN_DEFAULT = "cnn_small"  # its recipe reaches 99% in about 10 s on 2 vCPUs

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


@dataclass
class AppConfig:
    weights_dir: str | None = None
    data_root: str | None = None
    allow_retrain: bool = True
    train_limit: int = 0  # retrain on only the first N images (tests); 0 means all of MNIST
    retrain_disabled_reason: str = ""


# --- handlers: values in, values out ---------------------------------------------------------------


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


def _verdict(pred: Prediction) -> str:
    if not pred.digits:
        if pred.uncertain:
            why = "this may not be a digit"
            if pred.no_digit > NO_DIGIT_ABOVE:
                why = f"it does not look like a digit ({pred.no_digit:.0%} sure)"
            return f"**Not sure.** Best guess {pred.digit} at {pred.confidence:.0%}: {why}."
        return f"**{pred.digit}** ({pred.confidence:.1%}, model `{pred.model}`)"
    head = f"**Not sure.** Best guess **{pred.number}**" if pred.uncertain else f"**{pred.number}**"
    rows = [f"| {i} | {'not sure' if d.uncertain else d.digit} | {_top(d)} |" for i, d in enumerate(pred.digits, 1)]
    return "\n".join([f"{head} ({len(pred.digits)} digits, model `{pred.model}`)", "",
                      "| # | read | top 3 |", "|---|---|---|", *rows])  # fmt: skip


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


PROMPT = "Draw a digit (or upload a photo) to see what the model reads."


def make_handlers(cache: PredictorCache):
    def show(source, model: str):
        """(label, seen image, verdict) for the UI; input problems become a message, never a crash."""
        if source is None:
            return None, None, PROMPT
        try:
            pred = cache.get(model or DEFAULT_MODEL).predict(_upload(source))
        except InputError as exc:
            return None, None, f"No digit to read: {exc}."
        except (WeightsError, ValueError) as exc:
            return None, None, f"Model problem: {exc}"
        return _label(pred), _seen(pred), _verdict(pred)

    def on_draw(value, model):
        return show(sketch_image(value), model)

    def api_predict(image: str | None, model: str | None) -> dict:
        """Image file + model name -> one line of `mnist-predict --json` without "path" (the /predict
        endpoint): gradio_client downloads any dict with a "path" as a file."""
        if image is None:
            raise gr.Error("no image was sent")
        try:
            pred = cache.get(model or DEFAULT_MODEL).predict(_upload(image))
            out = pred.to_json("", TOP_K)
            del out["path"]
            return out
        except (InputError, WeightsError, ValueError) as exc:
            raise gr.Error(str(exc)) from None

    return show, on_draw, api_predict


def model_choices(cache: PredictorCache) -> list[tuple[str, str]]:
    out = []
    for name in list_models():
        acc = cache.accuracy(name)
        out.append((f"{name} ({acc:.2%})" if acc is not None else f"{name} (no weights)", name))
    return out


def confusion_frame(state: JobState) -> pd.DataFrame:
    """The new weights' confusion matrix: rows are the true digit, columns the prediction."""
    if not state.confusion:
        return pd.DataFrame()
    return pd.DataFrame([[str(d), *row] for d, row in enumerate(state.confusion)], columns=["true \\ predicted", *map(str, range(10))])


def job_view(state: JobState) -> tuple[str, pd.DataFrame]:
    """Status text and the per-epoch curves for a job snapshot."""
    rows = []
    for p in state.history:
        rows += [
            {"epoch": p.epoch, "accuracy": p.accuracy, "curve": "train"},
            {"epoch": p.epoch, "accuracy": p.test_accuracy, "curve": "test"},
        ]
    df = pd.DataFrame(rows, columns=["epoch", "accuracy", "curve"])
    if state.status == "idle":
        return "No training has run on this server yet.", df
    lines = [f"**{state.model}**: {state.status}. {state.message}"]
    if state.last is not None:
        p = state.last
        lines.append(
            f"epoch {p.epoch}/{p.epochs}, step {p.step}/{p.steps_per_epoch}, loss {p.loss:.4f}, "
            f"train accuracy {p.accuracy:.2%}"
        )
    timing = f"elapsed {state.elapsed:.0f} s"
    if state.remaining is not None:
        timing += f", about {state.remaining:.0f} s left"
    lines.append(timing)
    if state.test_accuracy is not None:
        before = "none" if state.previous_accuracy is None else f"{state.previous_accuracy:.2%}"
        lines.append(f"test accuracy of the new weights: {state.test_accuracy:.2%} (weights in use: {before})")
    return "\n\n".join(lines), df


# --- the Blocks ------------------------------------------------------------------------------------


def build_demo(config: AppConfig | None = None) -> gr.Blocks:
    config = config or AppConfig()
    cache = PredictorCache(config.weights_dir)
    problems = cache.verify(list_models())  # checksums every weights file at start-up
    for name, problem in problems.items():
        logging.getLogger("mnist-canvas").warning("weights for %s: %s", name, problem)
    jobs = RetrainJobs(config.weights_dir, config.data_root, on_finished=cache.put)
    show, on_draw, api_predict = make_handlers(cache)

    with gr.Blocks(title="mnist-canvas: handwritten digit recognition") as demo:
        gr.Markdown("# mnist-canvas\nDraw a digit or a number, or upload a photo of one, and see what a neural "
                    "network reads.")
        if problems:
            gr.Markdown("**Weights problems found at start-up:**\n" + "\n".join(f"- `{n}`: {p}" for n, p in problems.items()),
                        elem_id="weights-problems")  # fmt: skip
        model = gr.Dropdown(model_choices(cache), value=DEFAULT_MODEL, label="Model (MNIST test accuracy)",
                            elem_id="model-select")
        with gr.Tabs():
            with gr.Tab("Draw", id="draw"):
                with gr.Row():
                    pad = gr.Sketchpad(
                        type="numpy",
                        image_mode="RGBA",
                        canvas_size=CANVAS,
                        fixed_canvas=True,
                        brush=gr.Brush(colors=["#000000"], color_mode="fixed", default_size=BRUSH),
                        layers=False,
                        transforms=(),
                        label="Draw a digit or a number, large",
                        elem_id="draw-pad",
                    )
                    with gr.Column():
                        draw_label = gr.Label(num_top_classes=TOP_K, label="Prediction", elem_id="draw-label")
                        draw_verdict = gr.Markdown(elem_id="draw-verdict")
                        draw_seen = gr.Image(label="What the model sees (28x28 per digit)", interactive=False,
                                             height=224, elem_id="draw-seen")  # fmt: skip
            with gr.Tab("Upload", id="upload"):
                with gr.Row():
                    photo = gr.Image(type="filepath", image_mode=None, sources=["upload", "webcam", "clipboard"],
                                     label="A photo or scan of a handwritten digit or number", elem_id="upload-image")  # fmt: skip
                    with gr.Column():
                        up_label = gr.Label(num_top_classes=TOP_K, label="Prediction", elem_id="upload-label")
                        up_verdict = gr.Markdown(elem_id="upload-verdict")
                        up_seen = gr.Image(label="What the model sees (28x28 per digit)", interactive=False, height=224,
                                           elem_id="upload-seen")
            with gr.Tab("Retrain", id="retrain"):
                if not config.allow_retrain:
                    gr.Markdown(f"Retraining is disabled on this server: {config.retrain_disabled_reason}")
                quick = TrainConfig.for_model(RETRAIN_DEFAULT)
                with gr.Row():
                    rt_model = gr.Dropdown(list_models(), value=RETRAIN_DEFAULT, label="Model to retrain")
                    rt_epochs = gr.Slider(1, 30, value=quick.epochs, step=1, label="Epochs")
                    rt_lr = gr.Number(value=quick.lr, label="Peak learning rate")
                    rt_batch = gr.Dropdown([64, 128, 256, 512], value=quick.batch_size, label="Batch size")
                with gr.Row():
                    rt_start = gr.Button("Start retraining", variant="primary", interactive=config.allow_retrain)
                    rt_cancel = gr.Button("Cancel", interactive=config.allow_retrain)
                rt_status = gr.Markdown(elem_id="retrain-status")
                rt_plot = gr.LinePlot(x="epoch", y="accuracy", color="curve", label="Accuracy per epoch",
                                      y_lim=[0.9, 1.0])  # fmt: skip
                rt_confusion = gr.Dataframe(label="Confusion matrix of the new weights (test set)", interactive=False)
                with gr.Row():
                    rt_keep = gr.Button("Keep new weights", interactive=config.allow_retrain)
                    rt_discard = gr.Button("Discard new weights", interactive=config.allow_retrain)
                    rt_restore = gr.Button("Restore previous version", interactive=config.allow_retrain)

        inputs_draw, outputs_draw = [pad, model], [draw_label, draw_seen, draw_verdict]
        drawn = pad.change(on_draw, inputs_draw, outputs_draw, trigger_mode="always_last", api_visibility="private")
        # "Clear canvas" empties the answer at once and drops predictions still waiting for the old drawing,
        # which could otherwise put its label back after the clear
        pad.clear(lambda: (None, None, PROMPT), None, outputs_draw, queue=False, cancels=[drawn],
                  api_visibility="private")  # fmt: skip
        photo.change(show, [photo, model], [up_label, up_seen, up_verdict], api_visibility="private")
        model.change(on_draw, inputs_draw, outputs_draw, api_visibility="private")
        model.change(show, [photo, model], [up_label, up_seen, up_verdict], api_visibility="private")
        # /predict takes any file: the core decodes it, so a bad file gets the core's clear error
        api_file, api_out = gr.File(visible=False, type="filepath"), gr.JSON(visible=False)
        gr.Button(visible=False).click(api_predict, [api_file, model], api_out, api_name="predict")
        demo.load(None, js=ARM_BRUSH_JS)

        def on_model_pick(name: str):
            recipe = TrainConfig.for_model(name)
            return gr.update(value=min(recipe.epochs, 30)), recipe.lr, recipe.batch_size

        rt_model.change(on_model_pick, rt_model, [rt_epochs, rt_lr, rt_batch], api_visibility="private")

        def require_retrain() -> None:
            if not config.allow_retrain:
                raise gr.Error(f"retraining is disabled: {config.retrain_disabled_reason}")

        def retrain(name: str, epochs: float, lr: float, batch: int, progress=gr.Progress()):
            """Start a job (or join the running one) and stream its progress until it ends."""
            require_retrain()
            note = ""
            try:
                cfg = TrainConfig.for_model(name, epochs=int(epochs), lr=float(lr), batch_size=int(batch),
                                            limit=config.train_limit)  # fmt: skip
                jobs.start(name, cfg, previous_accuracy=cache.accuracy(name))
            except JobBusyError as exc:
                note = f"{exc}; showing its progress instead of starting another.\n\n"
            except ValueError as exc:
                raise gr.Error(str(exc)) from None
            while True:
                state = jobs.snapshot()
                progress(state.fraction, desc=f"{state.model}: {state.status}")
                text, df = job_view(state)
                yield note + text, df, confusion_frame(state)
                if not state.running:
                    break
                jobs.wait(timeout=0.5)

        rt_start.click(retrain, [rt_model, rt_epochs, rt_lr, rt_batch], [rt_status, rt_plot, rt_confusion],
                       api_name="retrain", concurrency_limit=4)  # fmt: skip

        def cancel():
            return "Cancelling..." if jobs.cancel() else "No training is running."

        def guarded(action):
            """A weights decision as a handler: allowed only with retraining, errors shown as messages."""

            def handler(*args) -> str:
                require_retrain()
                try:
                    return action(*args)
                except (ValueError, JobBusyError, WeightsError) as exc:
                    raise gr.Error(str(exc)) from None

            return handler

        rt_cancel.click(cancel, None, rt_status, api_name="cancel_retrain", queue=False)
        rt_keep.click(guarded(lambda: jobs.keep().message), None, rt_status, api_name="keep_weights")
        rt_discard.click(guarded(lambda: jobs.discard().message), None, rt_status, api_name="discard_weights")
        rt_restore.click(guarded(jobs.restore_previous), rt_model, rt_status, api_name="restore_weights")
        demo.load(lambda: gr.update(choices=model_choices(cache)), None, model, api_visibility="private")
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
    reason = "" if allow else "this server is public; start it with --auth USER:PASS or --allow-retrain to enable it"
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


def serve(config: AppConfig, host: str = "127.0.0.1", port: int | None = 7860, share: bool = False,
          auth: tuple[str, str] | None = None, block: bool = True) -> tuple[gr.Blocks, str]:
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
