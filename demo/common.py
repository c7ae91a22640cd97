"""What every view of the app shares: its configuration, the request's language and session, and the
input of a reading (a sketchpad value or an uploaded file) as the core takes it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

from mnist_core.devices import AUTO
from mnist_core.image_io import load_image

from .i18n import language

TOP_K = 3


@dataclass
class Panel:
    """A view under an answer computed on demand: opening its accordion, or its button, fills a result
    and a note."""

    accordion: gr.Accordion
    run: gr.Button
    result: gr.components.Component
    note: gr.Markdown

    @property
    def outputs(self) -> list[gr.components.Component]:
        return [self.result, self.note]

    def wire(self, show: Callable[..., Any], clear: Callable[[], Any], inputs: list[gr.components.Component]) -> None:
        for event in (self.run.click, self.accordion.expand):
            event(show, inputs, self.outputs, api_visibility="private")
        for component in inputs:  # a result for an earlier input must not stay beside a new one
            component.change(clear, None, self.outputs, queue=False, api_visibility="private")


@dataclass
class AppConfig:
    weights_dir: str | None = None
    data_root: str | None = None
    allow_retrain: bool = True
    train_limit: int = 0  # retrain on only the first N images (tests); also caps a learn job's MNIST replay
    retrain_disabled_reason: str = ""
    feedback: bool = True  # store the corrections visitors give (--no-feedback: off)
    public: bool = False  # shared, on a Space or on a non-loopback host: learning uses a visitor's own corrections
    device: str = AUTO  # what runs the models (devices.resolve_device)
    backend: str = "torch"  # inference.BACKENDS


def request_language(request: gr.Request | None) -> str:
    """The table for the browser that sent the event (English for API clients, which send no language)."""
    return language(request.headers.get("accept-language") if request is not None else None)


def session_id(request: gr.Request | None) -> str:
    """An anonymous id for the browser session (one page load, or one gradio_client.Client) that sent
    the event. Hashed: the stored id cannot be replayed as the live session token it comes from."""
    token = getattr(request, "session_hash", None) or ""
    if not token:
        return "local"  # a handler called as a plain function, outside any session
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def sketch_image(value: Any) -> Any:
    """The drawing in a sketchpad value: the composite, else the first layer, else the background.
    Any other input (an upload's file path, an array, None) is the image itself."""
    if not isinstance(value, dict):
        return value
    layers = [layer for layer in value.get("layers") or [] if layer is not None]
    for image in (value.get("composite"), *layers, value.get("background")):
        if image is not None:
            return image
    return None


def upload_bytes(source: Any) -> Any:
    """An uploaded file's bytes: errors then name "the uploaded data", not a server temp path."""
    return Path(source).read_bytes() if isinstance(source, (str, Path)) else source


def decoded(source: Any) -> np.ndarray | Image.Image:
    """The input as the core reads it: a drawing's pixels, or an upload decoded once (EXIF orientation
    applied). Raises InputError for a file that is no image."""
    if isinstance(source, np.ndarray):
        return source
    return load_image(upload_bytes(source))
