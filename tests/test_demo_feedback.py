"""Corrections in the app: stored through /correct (the page's own code), on disk when acknowledged,
each visitor seeing only their own, and predictions unharmed when the database is not usable."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import gradio as gr
import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from conftest import REPO, draw_digit
from demo.app import AppConfig, build_demo, config_from_args, parse_args, serve
from demo.common import session_id
from demo.feedback_view import Corrections, parse_label
from demo.i18n import CHINESE, EN, ZH
from demo.learning import Learning, learn_config, scores_frame
from demo.retraining import Retraining
from mnist_core.cache import PredictorCache
from mnist_core.feedback import DB_NAME, FeedbackStore
from mnist_core.jobs import JobState, RetrainJobs
from mnist_core.learn import Scores
from mnist_core.paths import HOME_ENV


@pytest.fixture(scope="module")
def seven(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("images") / "seven.png"
    draw_digit("7", paper=(0, 0, 0, 0)).save(path)  # as a sketchpad layer: strokes only in alpha
    return path


def launched(config: AppConfig, home: Path):
    """An app without the /v1 workers (not under test here), its store under `home`."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(HOME_ENV, str(home))
        demo = build_demo(config)
    demo.queue()
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True)
    return demo, url


@pytest.fixture(scope="module")
def served(tmp_path_factory, data_root):
    """The app as `mnist-demo` serves it, with MNIST_CANVAS_HOME at a folder of its own."""
    home = tmp_path_factory.mktemp("home")
    wdir = tmp_path_factory.mktemp("weights")
    shutil.copytree(REPO / "weights", wdir, dirs_exist_ok=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(HOME_ENV, str(home))
        demo, url = serve(AppConfig(weights_dir=str(wdir), data_root=str(data_root), train_limit=500), port=None,
                          block=False)  # fmt: skip
        yield demo, url, home
        demo.close()


def test_two_corrections_are_stored_with_what_the_model_saw(served, seven):
    demo, url, home = served
    client = Client(url, verbose=False)
    first = client.predict(handle_file(str(seven)), 3, "cnn", api_name="/correct")
    second = client.predict(handle_file(str(seven)), "not a digit", "lenet5", api_name="/correct")
    assert first["stored"] and second["stored"] and second["corrections"] == first["corrections"] + 1
    assert (first["label"], first["predicted"], first["model"], second["label"]) == (3, 7, "cnn", -1)
    rows = {c.id: c for c in FeedbackStore(home / DB_NAME).list()}
    a, b = rows[first["id"]], rows[second["id"]]
    assert (a.label, a.predicted, a.model, b.label, b.predicted, b.model) == (3, 7, "cnn", None, 7, "lenet5")
    assert a.confidence == pytest.approx(first["confidence"], abs=1e-6) and 0.5 < a.confidence <= 1
    assert a.session == b.session and a.session != client.session_hash  # one anonymous id, not the token
    assert a.image().size == (400, 400) and a.image().mode == "RGBA"  # the upload as decoded
    seen = demo.cache.get("cnn").predict(seven).image
    assert np.abs(a.seen_pixels.astype(int) - np.rint(seen * 255)).max() <= 1  # the 28x28 the model saw


def test_a_digit_of_a_number_is_corrected(served, dev_dir):
    demo, url, home = served
    photo = dev_dir / "multi_photo" / "multi_photo_0003.jpg"  # 5666
    client = Client(url, verbose=False)
    ack = client.predict(handle_file(str(photo)), 5, "cnn", 2, api_name="/correct")
    assert ack["stored"] and ack["digit"] == 2 and ack["predicted"] == 6
    stored = next(c for c in FeedbackStore(home / DB_NAME).list() if c.id == ack["id"])
    second = demo.cache.get("cnn").predict(photo).digits[1].image
    assert np.abs(stored.seen_pixels.astype(int) - np.rint(second * 255)).max() <= 1
    with pytest.raises(Exception, match=r"digit 7 was asked for, but 4 digit\(s\) were read"):
        client.predict(handle_file(str(photo)), 5, "cnn", 7, api_name="/correct")


def test_two_sessions_do_not_see_each_others_corrections(served, seven):
    _, url, home = served
    alice, bob = Client(url, verbose=False), Client(url, verbose=False)
    for label in (1, 2):
        alice.predict(handle_file(str(seven)), label, "cnn", api_name="/correct")
    bob.predict(handle_file(str(seven)), 9, "cnn", api_name="/correct")
    (alice_text, alice_gallery), (bob_text, bob_gallery) = (c.predict(api_name="/my_corrections") for c in (alice, bob))
    assert "Your corrections: **2**" in alice_text and len(alice_gallery) == 2
    assert "Your corrections: **1**" in bob_text and len(bob_gallery) == 1
    assert [g["caption"] for g in alice_gallery] == ["2 ← 7", "1 ← 7"] and bob_gallery[0]["caption"] == "9 ← 7"
    assert Client(url, verbose=False).predict(api_name="/my_corrections")[1] == []  # a new visitor sees none


@pytest.mark.parametrize(("label", "message"), [(12, "must be a digit 0-9"), ("seven", "must be a digit 0-9"),
                                                (None, "must be a digit 0-9")])  # fmt: skip
def test_a_bad_label_is_a_clear_error_and_stores_nothing(served, seven, label, message):
    _, url, home = served
    before = FeedbackStore(home / DB_NAME).count()
    with pytest.raises(Exception, match=message):
        Client(url, verbose=False).predict(handle_file(str(seven)), label, "cnn", api_name="/correct")
    assert FeedbackStore(home / DB_NAME).count() == before


def test_an_image_without_a_digit_is_a_clear_error(served, tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), "white").save(blank)
    with pytest.raises(Exception, match="ink"):
        Client(served[1], verbose=False).predict(handle_file(str(blank)), 3, "cnn", api_name="/correct")


@pytest.mark.parametrize(("value", "label"), [(0, 0), ("9", 9), (" 4 ", 4), (-1, None), ("-1", None),
                                              ("Not a digit", None)])  # fmt: skip
def test_labels_the_api_takes(value, label):
    assert parse_label(value) == label


def test_learning_from_corrections_through_the_api(served, seven):
    demo, url, home = served
    client = Client(url, verbose=False)
    client.predict(handle_file(str(seven)), 1, "cnn_small", api_name="/correct")
    status, scores = client.predict("cnn_small", api_name="/learn")  # the Keep/Discard buttons are not API values
    stored = FeedbackStore(home / DB_NAME).count()
    assert f"Corrections to learn from: {stored}." in status  # run locally: every stored correction
    assert "finished" in status and demo.jobs.snapshot().kind == "learn"
    assert [row[0] for row in scores["data"]] == [EN["ln_held_out"], EN["ln_all"], EN["ln_mnist"]]
    assert scores["headers"] == [EN["ln_measure"], EN["ln_before"], EN["ln_after"]]
    assert all(cell.endswith("%") for cell in scores["data"][2][1:])
    assert "discarded" in client.predict(api_name="/discard_weights")


def test_learning_uses_only_the_visitors_corrections_on_a_public_server(tmp_path, seven):
    store = FeedbackStore(tmp_path / DB_NAME)
    alice, bob = gr.Request(session_hash="alice"), gr.Request(session_hash="bob")
    pixels = np.zeros((28, 28), np.uint8)
    for label, who in [(1, alice), (2, alice), (3, bob)]:
        store.add(np.asarray(draw_digit("7")), pixels, label, 7, 0.9, "cnn", session_id(who))
    jobs = RetrainJobs(str(tmp_path))

    def learning(public: bool) -> Learning:
        config = AppConfig(public=public)
        return Learning(config, Retraining(config, jobs, PredictorCache()), store)

    assert learning(True).corrections(alice, "en").labels.tolist() == [1, 2]
    assert learning(True).corrections(bob, "en").labels.tolist() == [3]
    assert learning(False).corrections(bob, "en").labels.tolist() == [1, 2, 3]
    with pytest.raises(gr.Error, match="no corrections to learn from"):
        learning(True).corrections(gr.Request(session_hash="carol"), "en")


def test_weights_that_forgot_mnist_are_not_offered_to_keep():
    state = JobState(model="cnn_small", status="finished", kind="learn", keep_allowed=False, test_accuracy=0.985,
                     previous_accuracy=0.99, before=Scores(0.0, 0.0, 0.99), after=Scores(1.0, 1.0, 0.985))  # fmt: skip
    text, keep, discard = Learning.decision(state, "en")
    assert keep["interactive"] is False and discard["interactive"] is True
    assert "cannot be kept" in text and "from 99.00% to 98.50%, by more than 0.1 point" in text
    zh, _, _ = Learning.decision(state, CHINESE)
    assert "不能保留" in zh and "已完成：新权重在 MNIST 测试集上的准确率为 98.50%" in zh
    kept, keep, _ = Learning.decision(JobState(status="finished", kind="learn", before=state.before,
                                               after=state.before), "en")  # fmt: skip
    assert keep["interactive"] is True and "cannot be kept" not in kept
    frame = scores_frame(state, CHINESE)
    assert list(frame.columns) == [ZH["ln_measure"], ZH["ln_before"], ZH["ln_after"]]
    assert frame.iloc[2].tolist() == [ZH["ln_mnist"], "99.00%", "98.50%"]
    assert scores_frame(JobState(status="finished")).empty  # a retrain job has no before/after


def test_train_limit_shrinks_the_replay():
    assert learn_config(AppConfig(train_limit=200)).replay == 200
    assert learn_config(AppConfig()).replay == 3000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ready(url: str, image: Path, timeout: float = 120.0) -> None:
    """Until the server's /v1 workers answer: a worker still starting when its server dies cannot
    tell that it has lost its parent."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if httpx.post(url + "v1/predict", files={"image": ("7.png", image.read_bytes())}, timeout=60).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            if f"\nPPid:\t{pid}\n" in status.read_text():
                found.append(int(status.parent.name))
        except OSError:
            continue  # ended meanwhile
    return found


def reap(pids: list[int], grace: float = 5.0) -> None:
    """Give the killed server's workers time to stop by themselves; end the ones that did not."""
    deadline = time.time() + grace
    while pids and time.time() < deadline:
        pids = [p for p in pids if Path(f"/proc/{p}").exists() and "State:\tZ" not in _status(p)]
        time.sleep(0.2)
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _status(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "State:\tZ"


def test_acknowledged_corrections_survive_a_killed_server(tmp_path, seven):
    """mnist-demo in its own process, killed with SIGKILL right after two acknowledged corrections:
    mnist-feedback export finds both."""
    port = free_port()
    env = {**os.environ, HOME_ENV: str(tmp_path / "home"), "OMP_NUM_THREADS": "1"}
    with open(tmp_path / "server.log", "wb") as log:
        server = subprocess.Popen([shutil.which("mnist-demo"), "--port", str(port)], env=env, stdout=log, stderr=log)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.time() + 180
        while time.time() < deadline and server.poll() is None:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        assert server.poll() is None, (tmp_path / "server.log").read_text()
        ready(url, seven)
        client = Client(url, verbose=False)
        acks = [client.predict(handle_file(str(seven)), label, "cnn", api_name="/correct") for label in (4, -1)]
        assert all(a["stored"] for a in acks)
    finally:
        workers = children(server.pid)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(30)
        reap(workers)
    out = tmp_path / "export"
    done = subprocess.run([shutil.which("mnist-feedback"), "export", str(out)], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    with open(out / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["label"] for r in rows) == ["-1", "4"] and {r["predicted"] for r in rows} == {"7"}
    for r in rows:
        with Image.open(out / r["filename"]) as img:
            img.load()
            assert img.size == (400, 400)
        with Image.open(out / "seen" / r["filename"]) as img:
            assert img.size == (28, 28)


def test_a_corrupt_database_leaves_predictions_working(tmp_path, seven):
    home = tmp_path / "home"
    home.mkdir()
    garbage = os.urandom(8192)
    (home / DB_NAME).write_bytes(garbage)
    demo, url = launched(AppConfig(), home)
    try:
        client = Client(url, verbose=False)
        assert client.predict(handle_file(str(seven)), "cnn", api_name="/predict")["digit"] == 7
        ack = client.predict(handle_file(str(seven)), 3, "cnn", api_name="/correct")
        assert ack == {"stored": False, "reason": "unavailable", "message": EN["fb_unavailable"]}
        assert client.predict(api_name="/my_corrections") == (EN["fb_unavailable"], [])
        assert client.predict(handle_file(str(seven)), "cnn", api_name="/predict")["digit"] == 7
        assert (home / DB_NAME).read_bytes() == garbage  # never "repaired" over the operator's file
    finally:
        demo.close()
    shown = Corrections(AppConfig(), FeedbackStore(home / DB_NAME), PredictorCache()).on_load()
    assert shown == (EN["fb_unavailable"],) * 3 + ([],)  # said under both tabs' buttons and in the Retrain tab


def test_no_feedback_stores_nothing(tmp_path, seven):
    assert config_from_args(parse_args(["--no-feedback"])).feedback is False
    assert config_from_args(parse_args([])).feedback is True
    home = tmp_path / "home"
    demo, url = launched(AppConfig(feedback=False), home)
    try:
        client = Client(url, verbose=False)
        ack = client.predict(handle_file(str(seven)), 3, "cnn", api_name="/correct")
        assert ack == {"stored": False, "reason": "off", "message": EN["fb_off"]}
        assert client.predict(api_name="/my_corrections")[0] == EN["fb_off"]
        with pytest.raises(Exception, match="switched off"):
            client.predict("cnn_small", api_name="/learn")
    finally:
        demo.close()
    assert not (home / DB_NAME).exists()
    off = Corrections(AppConfig(feedback=False), FeedbackStore(home / DB_NAME), PredictorCache())
    assert off.click(np.asarray(draw_digit("7")), 3, "cnn", None)[0] == EN["fb_off"]
    assert not (home / DB_NAME).exists()
