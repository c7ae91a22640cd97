"""Load on the running app: 16 concurrent clients on loopback, real drawings and photos.

Starts two servers as subprocesses: the app (`python -m demo`) and, in the same run, a trivial
Gradio app whose handler only decodes the image (each with a REST twin: POST /v1/predict on the
app, POST /v1/decode on the trivial one). Then drives, one after the other:

  1. the Gradio `/predict` endpoint with `gradio_client` clients, app vs trivial app;
  2. the plain HTTP `POST /v1/predict`, app vs a decode-only endpoint: with `wrk` (16 connections,
     bench/wrk_post.lua cycling through the same files) when it is installed, since Python clients
     on the same two cores cannot send 100 requests/s; else with httpx clients.

Prints throughput, p50/p95/p99 latency and errors for each. Targets (issue 6): zero errors; Gradio
/predict at least 80% of the trivial app's throughput; /v1/predict at least 100 requests/s.

    python bench/load.py [--clients 16] [--requests 20] [--driver auto|wrk|python] [--seconds 15]
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Annotated

import numpy as np
from fastapi import File, UploadFile  # module level: FastAPI resolves these annotations by name

DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "dev"


def sample_files(n: int = 40) -> list[Path]:
    files = []
    for kind in ("canvas", "photo"):
        rows = list(csv.DictReader(open(DEV / kind / "labels.csv")))
        files += [DEV / kind / r["filename"] for r in rows[: n // 2]]
    return files


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_trivial(port: int) -> None:
    """A Gradio app whose /predict only decodes the image (the protocol's own cost), plus /v1/decode."""
    import gradio as gr
    from PIL import Image

    def decode(path: str) -> dict[str, float]:
        with Image.open(path) as img:
            img.load()
        return {"0": 1.0}

    with gr.Blocks() as demo:
        f = gr.File(type="filepath")
        out = gr.Label()
        gr.Button().click(decode, f, out, api_name="predict")
    demo.queue(default_concurrency_limit=4)
    app, _, _ = demo.launch(server_port=port, prevent_thread_lock=True, quiet=True)

    @app.post("/v1/decode")
    def v1_decode(image: Annotated[UploadFile, File()]) -> dict:
        import io

        with Image.open(io.BytesIO(image.file.read())) as img:
            img.load()
        return {"digit": 0}

    demo.block_thread()


def start(cmd: list[str], port: int) -> subprocess.Popen:
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            time.sleep(1.0)
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"server on port {port} did not start: {' '.join(cmd)}")


def drive(call, clients: int, requests: int, files: list[Path]) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        state = {}
        for j in range(requests):
            f = files[(i * requests + j) % len(files)]
            t = time.perf_counter()
            try:
                call(state, f)
                with lock:
                    latencies.append(time.perf_counter() - t)
            except Exception as exc:  # every failure counts, whatever it is
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    lat = np.array(latencies or [float("nan")]) * 1000
    return {
        "rps": len(latencies) / wall,
        "p50": np.percentile(lat, 50),
        "p95": np.percentile(lat, 95),
        "p99": np.percentile(lat, 99),
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
    }


def wrk(url: str, connections: int, seconds: int, files: list[Path]) -> dict:
    """`wrk` POSTing the files in turn; its latency percentiles (p95 is not among them: its 90%)."""
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
                          "-s", str(Path(__file__).with_name("wrk_post.lua")), url, *map(str, files)],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}

    def pct(p: str) -> float:
        m = re.search(rf"^\s*{p}%\s+([\d.]+)(us|ms|s)$", out, re.M)
        return float(m.group(1)) * scale[m.group(2)] if m else float("nan")

    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = (sum(map(int, m.groups())) if m else 0) + (int(non2xx.group(1)) if non2xx else 0)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": pct(50),
        "p95": pct(90),
        "p99": pct(99),
        "errors": errors,
        "first_error": "" if not errors else out.strip().splitlines()[-4],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--driver", choices=["auto", "wrk", "python"], default="auto", help="load generator for /v1")
    ap.add_argument("--seconds", type=int, default=15, help="wrk's run time per endpoint")
    ap.add_argument("--serve-trivial", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_trivial:
        serve_trivial(args.serve_trivial)
        return
    import httpx
    from gradio_client import Client, handle_file

    files = sample_files()
    app_port, triv_port = free_port(), free_port()
    procs = [start([sys.executable, "-m", "demo", "--port", str(app_port)], app_port),
             start([sys.executable, __file__, "--serve-trivial", str(triv_port)], triv_port)]  # fmt: skip
    try:
        app_url, triv_url = f"http://127.0.0.1:{app_port}/", f"http://127.0.0.1:{triv_port}/"

        def gradio(url: str, extra: tuple):
            def call(state: dict, f: Path) -> None:
                client = state.setdefault("client", Client(url, verbose=False))
                client.predict(handle_file(str(f)), *extra, api_name="/predict")

            return call

        def rest(url: str):
            def call(state: dict, f: Path) -> None:
                http = state.setdefault("http", httpx.Client(timeout=60))
                r = http.post(url, files={"image": (f.name, f.read_bytes())})
                r.raise_for_status()

            return call

        use_wrk = args.driver == "wrk" or (args.driver == "auto" and shutil.which("wrk") is not None)

        def plain(url: str) -> dict:
            if use_wrk:
                return wrk(url, args.clients, args.seconds, files)
            return drive(rest(url), args.clients, args.requests * 5, files)

        drive(rest(app_url + "v1/predict"), 2, 2, files)  # the prediction workers are up and warm
        runs = {
            "gradio /predict: trivial app (decode only)": drive(
                gradio(triv_url, ()), args.clients, args.requests, files
            ),
            "gradio /predict: mnist-canvas": drive(gradio(app_url, ("cnn",)), args.clients, args.requests, files),
            "POST /v1/decode (decode only)": plain(triv_url + "v1/decode"),
            "POST /v1/predict: mnist-canvas": plain(app_url + "v1/predict"),
        }
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
    driver = "wrk (2 threads)" if use_wrk else "httpx clients"
    print(f"{args.clients} clients on loopback, {len(files)} real drawings and photos; /v1 driven by {driver}")
    print(f"{'endpoint':45s} {'req/s':>7s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s} {'errors':>7s}"
          + ("  (wrk reports p90 in the p95 column)" if use_wrk else ""))  # fmt: skip
    for name, r in runs.items():
        print(f"{name:45s} {r['rps']:7.1f} {r['p50']:8.0f} {r['p95']:8.0f} {r['p99']:8.0f} {r['errors']:7d}")
        if r["first_error"]:
            print(f"    first error: {r['first_error']}")
    names = list(runs)
    print(
        "gradio: mnist-canvas / trivial throughput = "
        f"{runs[names[1]]['rps'] / runs[names[0]]['rps']:.0%} (target >= 80%)"
    )
    print(f"/v1/predict: {runs[names[3]]['rps']:.0f} req/s (target >= 100)")


if __name__ == "__main__":
    main()
