"""A plain HTTP endpoint beside the Gradio app, on the same server: POST /v1/predict.

Multipart field `image` (optional `model`, `top_k`); the answer is the same JSON as one line of
`mnist-predict --json`, or a 4xx with {"error": ...}. Gradio's own protocol (queue, SSE) costs
about 100 ms per call; scripts and services that only want a digit use this instead.
"""

from __future__ import annotations

import base64
import os
import secrets
import threading

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from mnist_core import DEFAULT_MODEL, InputError, list_models
from mnist_core.predict import PredictorCache
from mnist_core.weights import WeightsError

MAX_UPLOAD = 10 * 1024 * 1024  # bytes, as for the app's uploads


def _authorized(request: Request, auth: tuple[str, str] | None) -> bool:
    if auth is None:
        return True
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return False
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return secrets.compare_digest(user, auth[0]) and secrets.compare_digest(password, auth[1])


def add_rest_routes(app: FastAPI, cache: PredictorCache, auth: tuple[str, str] | None = None) -> None:
    # as many predictions at once as there are cores: more threads only fight over the GIL and
    # torch's thread pool
    slots = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))

    def run(model: str, data: bytes):
        with slots:
            return cache.get(model).predict(data)

    @app.post("/v1/predict")
    async def predict(
        request: Request,
        image: UploadFile = File(...),
        model: str = Form(DEFAULT_MODEL),
        top_k: int = Form(3),
    ) -> JSONResponse:
        name = image.filename or "image"
        if not _authorized(request, auth):
            return JSONResponse({"error": "authentication required"}, 401, {"WWW-Authenticate": "Basic"})
        if model not in list_models():
            return JSONResponse({"path": name, "error": f"unknown model {model!r}; known: {', '.join(list_models())}"}, 400)
        if not 1 <= top_k <= 10:
            return JSONResponse({"path": name, "error": "top_k must be between 1 and 10"}, 400)
        data = await image.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            return JSONResponse({"path": name, "error": f"the file is larger than {MAX_UPLOAD // 2**20} MB"}, 413)
        try:
            pred = await run_in_threadpool(run, model, data)
        except InputError as exc:
            return JSONResponse({"path": name, "error": str(exc)}, 400)
        except WeightsError as exc:
            return JSONResponse({"path": name, "error": str(exc)}, 503)
        return JSONResponse(pred.to_json(name, top_k))
