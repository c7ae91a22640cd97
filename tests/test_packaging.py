"""The project as people install and deploy it: a wheel with the weights, a Hugging Face Space."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import tomllib

from conftest import REPO, draw_digit
from mnist_core.models import list_models


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out, src = tmp_path_factory.mktemp("dist"), tmp_path_factory.mktemp("src") / "mnist-canvas"
    # from a copy: building writes build/ and *.egg-info beside the sources
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "test-artifacts"))
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(src)],
                   check=True, capture_output=True, timeout=600)  # fmt: skip
    (path,) = out.glob("mnist_canvas-*.whl")
    return path


def test_the_wheel_carries_every_module_and_every_registered_models_weights(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"mnist_canvas_weights/{m}.safetensors" for m in list_models()} <= names
    modules = {p.relative_to(REPO).as_posix() for d in ("mnist_core", "demo") for p in (REPO / d).rglob("*.py")}
    assert modules <= names, sorted(modules - names)  # a subpackage left out of pyproject's list
    assert not [n for n in names if n.startswith("tests/")]


@pytest.mark.slow
def test_an_installed_wheel_reads_a_digit_anywhere(wheel, tmp_path):
    """Installed into a fresh virtual environment, run from a folder outside the clone with an empty
    HOME and no MNIST. The venv borrows torch and the other dependencies from this environment
    (--system-site-packages), since installing them again would copy gigabytes; mnist-canvas itself
    comes from the wheel alone."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    subprocess.run([venv / "bin" / "pip", "install", "-q", "--no-deps", str(wheel)], check=True, timeout=300)
    work, home = tmp_path / "elsewhere", tmp_path / "home"
    work.mkdir(), home.mkdir()
    draw_digit("7").save(work / "seven.png")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MNIST", "XDG_"))} | {"HOME": str(home)}
    where = subprocess.run([venv / "bin" / "python", "-c", "import mnist_core.paths as p; print(p.__file__); "
                            "print(p.shipped_weights_dir()); print(p.data_home())"],
                           cwd=work, env=env, capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    assert all(Path(w).is_relative_to(venv) for w in where[:2]), where  # the wheel's code and weights
    assert Path(where[2]).is_relative_to(home)
    res = subprocess.run([venv / "bin" / "mnist-predict", "--json", "seven.png"], cwd=work, env=env,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["digit"] == 7
    assert not (home / ".local").exists()  # reading writes nothing


def test_requirements_txt_follows_pyproject():
    """The Space installs requirements.txt; the rest of the world installs pyproject's dependencies."""
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    reqs = [line.split("#")[0].strip() for line in (REPO / "requirements.txt").read_text().splitlines()]
    reqs = {r.replace(" ", "") for r in reqs if r and not r.startswith("-")}
    expected = {d.replace(" ", "") for d in deps if not d.startswith("gradio")}  # the Space provides gradio
    assert reqs == expected


def test_readme_is_a_space_card():
    text = (REPO / "README.md").read_text()
    front = re.match(r"---\n(.*?)\n---\n", text, re.S)
    assert front, "README.md must start with Hugging Face Space front-matter"
    keys = dict(line.split(":", 1) for line in front.group(1).splitlines())
    assert keys["sdk"].strip() == "gradio" and keys["app_file"].strip() == "app.py"
    import gradio

    assert keys["sdk_version"].strip() == gradio.__version__
    assert len(text.splitlines()) <= 250
    assert (REPO / "LICENSE").read_text().startswith("MIT License")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_the_space_serves_the_demo(tmp_path):
    """`python app.py` from the clone, as Spaces run it: the page, /predict, and retraining locked."""
    from gradio_client import Client, handle_file

    port = _free_port()
    env = os.environ | {"SYSTEM": "spaces", "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1"}
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/"
        client = None
        for _ in range(240):
            try:
                client = Client(url, verbose=False)
                break
            except Exception:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                time.sleep(0.5)
        assert client is not None, "the Space did not start"
        draw_digit("7", paper=(0, 0, 0, 0)).save(tmp_path / "seven.png")
        assert client.predict(handle_file(str(tmp_path / "seven.png")), None, api_name="/predict")["digit"] == 7
        with pytest.raises(Exception, match="retraining is disabled"):
            client.predict("cnn_small", 1, 0.05, 128, api_name="/retrain")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _git_status() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--ignored"], cwd=REPO, capture_output=True, text=True
    ).stdout


def test_training_writes_to_the_data_folder_not_the_clone(tmp_path, data_root, monkeypatch):
    from mnist_core.cache import PredictorCache
    from mnist_core.weights import read_info, shipped_path

    monkeypatch.setenv("MNIST_CANVAS_HOME", str(tmp_path))
    before = _git_status()
    res = subprocess.run(["mnist-train", "--model", "cnn_small", "--limit", "3000", "--epochs", "1", "--data-root",
                          str(data_root)], capture_output=True, text=True, timeout=600)  # fmt: skip
    assert res.returncode == 0, res.stderr
    written = tmp_path / "weights" / "cnn_small.safetensors"
    assert json.loads(res.stdout)["out"] == str(written)
    assert _git_status() == before
    retrained = read_info(written)
    assert retrained.sha256 != read_info(shipped_path("cnn_small")).sha256
    assert PredictorCache().get("cnn_small").info.sha256 == retrained.sha256  # the demo's cache uses it
    written.unlink()
    assert PredictorCache().get("cnn_small").info.sha256 == read_info(shipped_path("cnn_small")).sha256


def test_a_kept_retrain_lives_in_the_data_folder_and_restores_to_shipped(tmp_path, data_root, monkeypatch):
    from mnist_core.cache import PredictorCache
    from mnist_core.jobs import RetrainJobs
    from mnist_core.train_config import TrainConfig
    from mnist_core.weights import read_info, shipped_path

    monkeypatch.setenv("MNIST_CANVAS_HOME", str(tmp_path))
    before, cache = _git_status(), PredictorCache()
    jobs = RetrainJobs(data_root=data_root, on_finished=cache.put)
    jobs.start("cnn_small", TrainConfig.for_model("cnn_small", limit=2000))
    assert jobs.wait(300).awaiting_decision, jobs.snapshot().message
    jobs.keep()
    kept = tmp_path / "weights" / "cnn_small.safetensors"
    assert cache.get("cnn_small").info.sha256 == read_info(kept).sha256
    assert _git_status() == before
    assert "shipped weights again" in jobs.restore_previous("cnn_small")
    assert not kept.exists()
    assert cache.get("cnn_small").info.sha256 == read_info(shipped_path("cnn_small")).sha256
