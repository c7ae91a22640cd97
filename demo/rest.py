"""A plain HTTP endpoint beside the Gradio app, on the same server: POST /v1/predict.

Multipart field `image` (optional `model`, `top_k`); the answer is the same JSON as one line of
`mnist-predict --json`, or a 4xx with {"error": ...}. Gradio's own protocol (queue, SSE) costs
about 100 ms per call; scripts and services that only want a digit use this instead.

Predictions run in worker processes, one per core: decoding and preprocessing are Python and
numpy code that threads would run one at a time under the GIL. Workers load each model once and
reload it when its weights file changes (a retrain kept, a version restored).
"""

from __future__ import annotations

import asyncio
import base64
import multiprocessing
import os
import secrets
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Annotated

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from mnist_core import DEFAULT_MODEL, InputError, list_models
from mnist_core.cache import PredictorCache
from mnist_core.weights import WeightsError

MAX_UPLOAD = 10 * 1024 * 1024  # bytes, as for the app's uploads

_worker_cache: PredictorCache | None = None  # in each worker process


def _start_worker(weights_dir: str | None, parent: int, backend: str, device: str) -> None:
    import torch

    global _worker_cache

    def exit_with_parent() -> None:  # a killed server cannot shut its pool down: do not outlive it
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    # the server's pid comes from the server: a worker asking later would see init if the server died meanwhile
    threading.Thread(target=exit_with_parent, daemon=True).start()
    torch.set_num_threads(1)  # one process per core already
    _worker_cache = PredictorCache(weights_dir, follow_files=True, backend=backend, device=device)


def _warm_up() -> None:
    assert _worker_cache is not None
    try:
        _worker_cache.get(DEFAULT_MODEL)
    except WeightsError:
        pass  # reported by the app at start-up; requests get the error


def _predict(model: str, data: bytes, name: str, top_k: int) -> dict:
    """In a worker: one line of `mnist-predict --json`; InputError/WeightsError travel back as raised."""
    assert _worker_cache is not None
    return _worker_cache.get(model).predict(data).to_json(name, top_k)


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


class Workers:
    """The prediction processes, one per core. If one dies (killed for memory, say), the pool is
    broken for good; the request that meets it gets a 503 and the pool is started afresh."""

    def __init__(self, weights_dir: str | None, backend: str = "torch", device: str = "auto"):
        self.weights_dir, self.backend, self.device = weights_dir, backend, device
        self._lock = threading.Lock()
        self.pool, self._warming = self._start()

    def _start(self) -> tuple[ProcessPoolExecutor, list[Future]]:
        """A new pool, and the futures of its workers starting and loading the default model (now,
        not on the first requests)."""
        n = max(1, os.cpu_count() or 1)
        # spawn, not fork: the server process already runs threads (torch's, uvicorn's)
        pool = ProcessPoolExecutor(n, multiprocessing.get_context("spawn"), initializer=_start_worker,
                                   initargs=(self.weights_dir, os.getpid(), self.backend, self.device))  # fmt: skip
        return pool, [pool.submit(_warm_up) for _ in range(n)]

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Block until every worker has started and loaded the default model."""
        wait(self._warming, timeout)

    async def predict(self, model: str, data: bytes, name: str, top_k: int) -> dict:
        pool = self.pool
        try:
            return await asyncio.wrap_future(pool.submit(_predict, model, data, name, top_k))
        except BrokenProcessPool:
            with self._lock:
                if self.pool is pool:
                    self.pool, self._warming = self._start()
                    pool.shutdown(wait=False, cancel_futures=True)
            raise

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def add_rest_routes(
    app: FastAPI,
    weights_dir: str | None,
    auth: tuple[str, str] | None = None,
    backend: str = "torch",
    device: str = "auto",
) -> Workers:
    """Add POST /v1/predict; returns its workers (shut them down with the server)."""
    workers = Workers(weights_dir, backend, device)

    @app.post("/v1/predict")
    async def predict(
        request: Request,
        image: Annotated[UploadFile, File()],
        model: str = Form(DEFAULT_MODEL),
        top_k: int = Form(3),
    ) -> JSONResponse:
        name = image.filename or "image"
        if not _authorized(request, auth):
            return JSONResponse({"error": "authentication required"}, 401, {"WWW-Authenticate": "Basic"})
        if model not in list_models():
            known = ", ".join(list_models())
            return JSONResponse({"path": name, "error": f"unknown model {model!r}; known: {known}"}, 400)
        if not 1 <= top_k <= 10:
            return JSONResponse({"path": name, "error": "top_k must be between 1 and 10"}, 400)
        data = await image.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            return JSONResponse({"path": name, "error": f"the file is larger than {MAX_UPLOAD // 2**20} MB"}, 413)
        try:
            line = await workers.predict(model, data, name, top_k)
        except InputError as exc:
            return JSONResponse({"path": name, "error": str(exc)}, 400)
        except WeightsError as exc:
            return JSONResponse({"path": name, "error": str(exc)}, 503)
        except BrokenProcessPool:
            error = "a prediction worker stopped; it is being restarted, try again"
            return JSONResponse({"path": name, "error": error}, 503)
        return JSONResponse(line)

    return workers
