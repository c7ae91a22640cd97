"""The app over real HTTP: launched server, driven with gradio_client as Gradio's own tests do."""

from __future__ import annotations

import time

import httpx
import pytest
from gradio_client import Client, handle_file

from conftest import draw_digit
from demo import app
from demo.app import AppConfig, build_demo, config_from_args, main, parse_args, serve, sketch_image
from mnist_core.cache import PredictorCache
from mnist_core.weights import read_info


@pytest.fixture(scope="module")
def server(tmp_path_factory, data_root):
    import shutil

    from conftest import REPO

    wdir = tmp_path_factory.mktemp("weights")
    shutil.copytree(REPO / "weights", wdir, dirs_exist_ok=True)
    demo, url = serve(AppConfig(weights_dir=str(wdir), data_root=str(data_root), train_limit=3000), port=None,
                      block=False)  # fmt: skip
    yield demo, url, wdir
    demo.close()


@pytest.fixture(scope="module")
def client(server) -> Client:
    return Client(server[1], verbose=False)


@pytest.mark.parametrize("digit", ["7", "4"])
def test_predict_drawn_digit(client, tmp_path, digit):
    path = tmp_path / f"{digit}.png"
    draw_digit(digit, paper=(0, 0, 0, 0)).save(path)  # as a sketchpad layer: strokes only in alpha
    result = client.predict(handle_file(str(path)), "cnn", api_name="/predict")
    assert result["digit"] == int(digit) and result["model"] == "cnn" and "path" not in result
    assert result["top_k"][0]["digit"] == int(digit) and len(result["top_k"]) == 3
    assert "digits" not in result and "number" not in result


def test_predict_with_another_model(client, tmp_path):
    path = tmp_path / "seven.jpg"
    draw_digit("7", mode="RGB").save(path)
    assert client.predict(handle_file(str(path)), "lenet5", api_name="/predict")["model"] == "lenet5"


def test_predict_a_number(client, dev_dir):
    """/predict answers like `mnist-predict --json`: digits with boxes, and the number."""
    path = dev_dir / "multi_photo" / "multi_photo_0003.jpg"  # 5666 on squared paper, rotated 8 degrees
    result = client.predict(handle_file(str(path)), "cnn", api_name="/predict")
    assert result["number"] == "5666" and result["digit"] == 5
    boxes = [d["box"] for d in result["digits"]]
    assert all(x0 < x1 and y0 < y1 for x0, y0, x1, y1 in boxes)
    assert [b[0] for b in boxes] == sorted(b[0] for b in boxes)  # left to right


@pytest.mark.parametrize("content,model,message", [(b"not an image", "cnn", "not an image"), (None, "cnn", "ink"),
                                                   (None, "gpt-5", "not in the list of choices")])  # fmt: skip
def test_predict_bad_input_is_a_clear_error(client, tmp_path, content, model, message):
    path = tmp_path / "bad.png"
    if content is None:
        draw_digit("7", ink=(255, 255, 255, 255)).save(path)  # blank canvas
    else:
        path.write_bytes(content)
    with pytest.raises(Exception, match=message) as err:
        client.predict(handle_file(str(path)), model, api_name="/predict")
    assert "/tmp" not in str(err.value)  # no server paths leak into messages


def test_sketchpad_value_shapes():
    import numpy as np

    layer, blank = np.zeros((4, 4, 4), np.uint8), np.full((4, 4, 4), 255, np.uint8)
    assert sketch_image({"background": None, "layers": [layer], "composite": None}) is layer
    assert sketch_image({"background": blank, "layers": [layer], "composite": None}) is layer
    assert sketch_image({"background": None, "layers": [], "composite": None}) is None
    assert sketch_image(None) is None


def test_retrain_one_job_at_a_time_and_new_weights_used(server, client, tmp_path):
    demo, url, wdir = server
    before = read_info(wdir / "cnn_small.safetensors")
    first = client.submit("cnn_small", 2, 0.05, 64, api_name="/retrain")
    time.sleep(1.0)
    second = Client(url, verbose=False).predict("cnn_small", 1, 0.05, 64, api_name="/retrain")
    assert "already running" in second[0]
    # predictions keep working while the job trains
    path = tmp_path / "seven.png"
    draw_digit("7").save(path)
    assert client.predict(handle_file(str(path)), "cnn", api_name="/predict")["digit"] == 7
    status, plot, confusion = first.result(timeout=300)
    assert "finished" in status, status
    assert len(plot["data"]) == 4  # two epochs x (train, test)
    assert sum(sum(row[1:]) for row in confusion["data"]) == 10000
    # nothing changes until the new weights are kept
    assert read_info(wdir / "cnn_small.safetensors").sha256 == before.sha256
    assert "kept" in client.predict(api_name="/keep_weights")
    after = read_info(wdir / "cnn_small.safetensors")
    assert after.train_config["limit"] == 3000 and after.test_accuracy > 0.85 and after.sha256 != before.sha256
    assert read_info(wdir / "cnn_small.previous.safetensors").sha256 == before.sha256
    assert client.predict(handle_file(str(path)), "cnn_small", api_name="/predict")["digit"] == 7

    def answers() -> tuple[float, float]:
        """cnn_small's confidence from the app's process and from the /v1 worker processes."""
        gradio = client.predict(handle_file(str(path)), "cnn_small", api_name="/predict")["confidence"]
        rest = httpx.post(
            url + "v1/predict", files={"image": ("7.png", path.read_bytes())}, data={"model": "cnn_small"}
        )
        return gradio, rest.json()["confidence"]

    kept = answers()
    assert kept[0] == pytest.approx(kept[1], abs=1e-6)  # the workers reloaded the kept file
    # one click restores the previous version, on disk and in use
    assert "restored" in client.predict("cnn_small", api_name="/restore_weights")
    assert read_info(wdir / "cnn_small.safetensors").sha256 == before.sha256
    restored = answers()
    assert restored[0] == pytest.approx(restored[1], abs=1e-6) and restored[0] != pytest.approx(kept[0], abs=1e-6)
    assert demo.jobs.snapshot().status == "kept"
    with pytest.raises(Exception, match="no new weights"):
        client.predict(api_name="/keep_weights")


def test_retrain_cancel(server, client):
    demo, url, wdir = server
    before = (wdir / "mlp_128.safetensors").read_bytes()
    job = client.submit("mlp_128", 30, 0.002, 64, api_name="/retrain")
    deadline = time.time() + 60
    while not demo.jobs.snapshot().running and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    t = time.time()
    assert Client(url, verbose=False).predict(api_name="/cancel_retrain") == "Cancelling..."
    status, _, _ = job.result(timeout=60)
    assert "cancelled" in status and time.time() - t < 5
    assert (wdir / "mlp_128.safetensors").read_bytes() == before


@pytest.mark.parametrize(
    "settings,message",
    [((0, 0.05, 64), "epochs and batch sizes must be at least 1"), ((1, 0, 64), "learning rate must be a positive "
     "number, not 0"), ((1, -0.1, 64), "positive number, not -0.1"), ((1, 0.05, 0), "batch sizes must be at least 1")],
)  # fmt: skip
def test_retrain_bad_settings_are_a_clear_error(server, client, settings, message):
    """TrainConfig checks the form's values; the page gets its message, and no job starts."""
    demo = server[0]
    before = demo.jobs.snapshot()
    with pytest.raises(Exception, match=message):
        client.predict("cnn_small", *settings, api_name="/retrain")
    after = demo.jobs.snapshot()
    assert (after.status, after.model, after.started) == (before.status, before.model, before.started)


def test_retrain_form_is_generated_from_train_config():
    """The form's controls: one per RETRAIN_FIELDS field, by its type, showing the model's recipe."""
    import gradio as gr

    from demo.retraining import RETRAIN_FIELDS, Retraining, control, controls
    from mnist_core.config_flags import flags, value_of
    from mnist_core.train_config import TrainConfig

    known = {f.path: f for f in flags(TrainConfig)}
    recipe = TrainConfig.for_model("mlp_128")
    with gr.Blocks():
        form = controls(RETRAIN_FIELDS, recipe)
        other = {p: control(known[p], value_of(recipe, p)) for p in ("augment", "optimizer", "augmentation.elastic_px")}
    assert [c.value for c in form] == [30, 0.002, 128] == list(Retraining.recipe("mlp_128"))  # its recipe
    assert [type(c) for c in form] == [gr.Number] * 3 and [c.precision for c in form] == [0, None, 0]
    assert [c.elem_id for c in form] == ["retrain-epochs", "retrain-lr", "retrain-batch-size"]
    assert [type(c) for c in other.values()] == [gr.Checkbox, gr.Textbox, gr.Number]
    elastic = other["augmentation.elastic_px"]  # no texts of its own: the field's help, untranslated
    assert elastic.label == elastic.info == known["augmentation.elastic_px"].help and elastic.value == 0.0


@pytest.mark.parametrize(
    "argv,allowed",
    [([], True), (["--share"], False), (["--host", "0.0.0.0"], False), (["--share", "--auth", "a:b"], True),
     (["--host", "0.0.0.0", "--allow-retrain"], True)],
)  # fmt: skip
def test_retrain_disabled_on_public_servers_without_auth(argv, allowed):
    config = config_from_args(parse_args(argv))
    assert config.allow_retrain is allowed and config.public is (argv != [])
    assert config.retrain_disabled_reason == ("" if allowed else app.PUBLIC_REASON)


@pytest.fixture
def no_serving(monkeypatch) -> list[AppConfig]:
    """main() up to serving: the configs it would have served."""
    served: list[AppConfig] = []
    monkeypatch.setattr(app, "serve", lambda config, *args, **kwargs: served.append(config))
    return served


@pytest.mark.parametrize(("device", "message"), [("cuda:99", "cuda:99"), ("tpu", "unknown device 'tpu'")])
def test_a_device_that_is_not_there_exits_2_before_serving(no_serving, capsys, device, message):
    assert main(["--device", device]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert no_serving == []


def test_device_and_backend_reach_the_app(no_serving, monkeypatch, capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_args(["--backend", "tensorflow"])
    assert exit_.value.code == 2 and "invalid choice: 'tensorflow'" in capsys.readouterr().err
    assert main(["--backend", "onnx", "--device", "cpu", "--port", "0"]) == 0
    assert (no_serving[0].backend, no_serving[0].device) == ("onnx", "cpu")
    monkeypatch.setattr(PredictorCache, "verify", lambda self, names: {})  # load only the model asked for below
    demo = build_demo(no_serving[0])
    assert (demo.cache.backend, demo.cache.device) == ("onnx", "cpu")
    assert demo.cache.get("lenet5").backend == "onnx"


def test_rest_predict(server, tmp_path):
    _, url, _ = server
    path = tmp_path / "seven.png"
    draw_digit("7", paper=(0, 0, 0, 0)).save(path)
    r = httpx.post(url + "v1/predict", files={"image": ("seven.png", path.read_bytes(), "image/png")},
                   data={"top_k": "2", "model": "lenet5"})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["path"] == "seven.png" and body["digit"] == 7 and body["model"] == "lenet5" and len(body["top_k"]) == 2


def test_rest_survives_a_killed_worker(server, tmp_path):
    """A worker killed mid-service (as the kernel does when memory runs out): at most one request
    is told to retry, and the endpoint serves again with new workers."""
    import os
    import signal

    demo, url, _ = server
    body = {"image": ("7.png", _png(draw_digit("7")))}
    assert httpx.post(url + "v1/predict", files=body).status_code == 200  # the workers are up
    os.kill(next(iter(demo.rest_workers.pool._processes)), signal.SIGKILL)
    time.sleep(0.5)
    first = httpx.post(url + "v1/predict", files=body, timeout=60)
    assert first.status_code == 200 or (first.status_code == 503 and "try again" in first.json()["error"])
    again = httpx.post(url + "v1/predict", files=body, timeout=60)
    assert again.status_code == 200 and again.json()["digit"] == 7


def _png(img) -> bytes:
    import io

    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    "content,data,status,message",
    [(b"<html>not a picture</html>", {}, 400, "not an image"), (b"GIF89a", {}, 400, "corrupt|not an image"),
     (b"x", {"model": "gpt"}, 400, "unknown model"), (b"x", {"top_k": "0"}, 400, "top_k")],
)  # fmt: skip
def test_rest_predict_errors(server, content, data, status, message):
    import re

    r = httpx.post(server[1] + "v1/predict", files={"image": ("x.png", content, "image/png")}, data=data)
    assert r.status_code == status and re.search(message, r.json()["error"])


def test_verdict_says_why_it_is_not_sure():
    from dataclasses import replace

    from demo.reading import _verdict
    from mnist_core import Predictor

    seven = Predictor.load().predict(draw_digit("7"))
    assert _verdict(seven).startswith("**7**")
    assert "does not look like a digit (99% sure)" in _verdict(replace(seven, no_digit=0.99))
    assert "may not be a digit" in _verdict(replace(seven, confidence=0.3))
