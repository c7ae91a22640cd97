from __future__ import annotations

import csv
import io
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import REPO, draw_digit
from mnist_core.feedback import SCHEMA_VERSION, FeedbackStore, FeedbackUnavailable
from mnist_core.feedback_cli import feedback_main
from mnist_core.mnist import NOT_A_DIGIT
from mnist_core.paths import HOME_ENV


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def store(home) -> FeedbackStore:
    return FeedbackStore()


def seen(value: float = 0.5) -> np.ndarray:
    img = np.zeros((28, 28), np.float32)
    img[6:22, 12:16] = value
    return img


def add(store: FeedbackStore, label: int | None = 1, predicted: int | None = 7, session: str = "a", **kw) -> int:
    args = {"image": draw_digit("1"), "seen": seen(), "label": label, "predicted": predicted, "confidence": 0.8,
            "model": "cnn_small", "session": session}  # fmt: skip
    return store.add(**{**args, **kw})


def test_default_path_is_in_the_data_folder_and_the_database_is_set_up(store, home):
    assert store.path == home / "feedback.sqlite3"
    assert store.count() == 0
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_add_and_list_keep_every_field(store):
    photo = Image.new("RGB", (2000, 1000), "white")  # larger than is kept: scaled down, not refused
    first = add(store, label=1, predicted=7, image=draw_digit("1", mode="RGBA"))
    second = add(store, label=None, predicted=3, confidence=None, image=photo)
    third = add(store, label=np.int64(4), predicted=None, image=np.asarray(draw_digit("4", mode="L")),
                seen=(seen(1.0) * 255).astype(np.uint8))  # fmt: skip
    jpeg = io.BytesIO()
    draw_digit("0", mode="RGB").save(jpeg, format="JPEG")
    fourth = add(store, label=0, predicted=6, image=jpeg.getvalue())
    assert [first, second, third, fourth] == sorted({first, second, third, fourth})
    a, b, c, d = store.list()
    assert (a.id, a.label, a.predicted, a.confidence, a.model, a.session) == (first, 1, 7, 0.8, "cnn_small", "a")
    assert a.time.endswith("+00:00") and a.time[:4].isdigit()
    assert a.image().size == (400, 400) and a.image().mode == "RGBA"
    assert a.seen_pixels.dtype == np.uint8 and a.seen_pixels[10, 13] == 128 and a.seen_pixels[0, 0] == 0
    assert b.label is None and b.confidence is None and max(b.image().size) == 1024
    assert c.label == 4 and c.predicted is None and c.seen_pixels[10, 13] == 255 and c.image().mode == "L"
    assert d.image().size == (400, 400) and d.image().format == "PNG"  # stored as PNG whatever it came as
    assert store.count() == 4


@pytest.mark.parametrize("label", [10, -1, 3.0, True, "7"])
def test_a_label_that_is_no_digit_0_to_9_is_refused(store, label):
    with pytest.raises(ValueError, match="label must be a digit 0-9 or None"):
        add(store, label=label)
    assert store.count() == 0


def test_bad_inputs_are_refused_with_clear_errors(store):
    with pytest.raises(ValueError, match="predicted"):
        add(store, predicted=11)
    with pytest.raises(ValueError, match="confidence"):
        add(store, confidence=1.5)
    with pytest.raises(ValueError, match="28x28"):
        add(store, seen=np.zeros((28, 27)))
    with pytest.raises(ValueError, match="not an image"):
        add(store, image=b"not a picture")
    with pytest.raises(ValueError, match="session"):
        add(store, session="")


def test_sessions_do_not_see_each_others_corrections(store):
    add(store, label=1, session="alice")
    add(store, label=2, session="bob")
    add(store, label=3, session="alice")
    assert [c.label for c in store.list(session="alice")] == [1, 3]
    assert [c.label for c in store.list(session="bob")] == [2]
    assert store.list(session="carol") == []
    assert (store.count(), store.count("alice"), store.count("bob")) == (3, 2, 1)
    assert store.clear(session="alice") == 2
    assert [c.session for c in store.list()] == ["bob"]


def test_stats_count_per_true_and_predicted(store):
    for label, predicted, session in [(1, 7, "a"), (1, 7, "b"), (7, 1, "a"), (None, 4, "c"), (4, None, "c")]:
        add(store, label=label, predicted=predicted, session=session)
    stats = store.stats()
    assert stats["total"] == 5 and stats["sessions"] == 3
    assert stats["by_label"] == {1: 2, 7: 1, None: 1, 4: 1}
    assert stats["by_predicted"] == {7: 2, 1: 1, 4: 1, None: 1}
    assert stats["pairs"] == {(1, 7): 2, (7, 1): 1, (None, 4): 1, (4, None): 1}
    assert store.stats("c")["total"] == 2


def test_export_writes_pngs_and_labels_csv(store, tmp_path):
    ids = [add(store, label=3, predicted=8), add(store, label=None, predicted=1, session="b")]
    csv_path = store.export(tmp_path / "out")
    assert csv_path == tmp_path / "out" / "labels.csv"
    with open(csv_path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["filename", "label", "predicted", "model", "time"]
    assert [r[:4] for r in rows[1:]] == [[f"{ids[0]:06d}.png", "3", "8", "cnn_small"],
                                         [f"{ids[1]:06d}.png", str(NOT_A_DIGIT), "1", "cnn_small"]]  # fmt: skip
    for name, *_ in rows[1:]:
        with Image.open(tmp_path / "out" / name) as img:
            assert img.size == (400, 400)
        with Image.open(tmp_path / "out" / "seen" / name) as img:
            assert img.size == (28, 28) and np.asarray(img)[10, 13] == 128
    assert store.export(tmp_path / "b", session="b").read_text().count("\n") == 2  # the header and one row


def test_as_split_gives_what_the_model_saw_with_training_labels(store):
    assert len(store.as_split()) == 0 and store.as_split().images.shape == (0, 28, 28)
    add(store, label=5)
    add(store, label=None)
    split = store.as_split()
    assert split.images.dtype == torch.uint8 and split.images.shape == (2, 28, 28)
    assert split.labels.tolist() == [5, NOT_A_DIGIT] and split.images[0, 10, 13] == 128


def test_clear_deletes_everything(store):
    add(store)
    add(store, session="b")
    assert store.clear() == 2 and store.count() == 0 and store.clear() == 0


def test_adds_from_many_threads_are_all_kept(store):
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            for _ in range(5):
                add(store, session=f"s{i}")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and store.count() == 20 and len({c.id for c in store.list()}) == 20


def test_a_correction_survives_kill_9_right_after_add(home):
    script = textwrap.dedent("""
        import sys, time
        import numpy as np
        from mnist_core.feedback import FeedbackStore
        cid = FeedbackStore().add(np.zeros((40, 40), np.uint8), np.ones((28, 28)), 4, 9, 0.6, "cnn", "s")
        print(cid, flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        cid = int(proc.stdout.readline())
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL
    (c,) = FeedbackStore().list()
    assert (c.id, c.label, c.predicted, c.model) == (cid, 4, 9, "cnn")
    assert (c.seen_pixels == 255).all()


def test_a_corrupt_database_is_unavailable_from_every_method(store, tmp_path):
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b"this is not an SQLite database at all, only garbage bytes" * 100)
    calls = [lambda: add(store), store.list, store.count, store.stats, store.clear, store.as_split,
             lambda: store.export(tmp_path / "out")]  # fmt: skip
    for call in calls:
        with pytest.raises(FeedbackUnavailable, match=r"feedback.sqlite3 cannot be used: it is corrupt"):
            call()


def test_a_locked_database_is_unavailable(store):
    add(store)
    blocker = sqlite3.connect(store.path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(FeedbackUnavailable, match="locked"):
            FeedbackStore(store.path, timeout=0.1).add(draw_digit("1"), seen(), 1, 7, 0.8, "cnn", "a")
    finally:
        blocker.close()
    assert FeedbackStore(store.path).count() == 1


def test_an_unwritable_place_is_unavailable(tmp_path):
    (tmp_path / "a file").write_text("a file where a folder should be")
    with pytest.raises(FeedbackUnavailable, match="cannot be used"):
        FeedbackStore(tmp_path / "a file" / "feedback.sqlite3").count()
    with pytest.raises(FeedbackUnavailable, match="cannot export the corrections"):
        FeedbackStore(tmp_path / "feedback.sqlite3").export(tmp_path / "a file" / "out")


def test_a_database_from_a_newer_version_is_unavailable(store):
    store.count()
    with sqlite3.connect(store.path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(FeedbackUnavailable, match="newer version"):
        store.count()


# --- mnist-feedback --------------------------------------------------------------------------------


def test_cli_stats_and_export(store, tmp_path, capsys):
    add(store, label=1, predicted=7)
    add(store, label=1, predicted=7, session="b")
    add(store, label=None, predicted=4)
    assert feedback_main(["stats"]) == 0
    table = capsys.readouterr().out
    assert "3 corrections from 2 sessions" in table
    row = next(line.split() for line in table.splitlines() if line.split()[:1] == ["1"])
    assert row[1 + 7] == "2" and row[-1] == "2"  # true 1, predicted 7: twice
    assert any(line.split()[:2] == ["no", "digit"] for line in table.splitlines())
    assert feedback_main(["export", str(tmp_path / "out")]) == 0
    assert "exported 3 corrections" in capsys.readouterr().out
    assert len(list((tmp_path / "out").glob("*.png"))) == 3


def test_cli_clear_asks_first(store, monkeypatch, capsys):
    add(store)
    add(store)
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    assert feedback_main(["clear"]) == 1
    out = capsys.readouterr().out
    assert "Delete 2 corrections? [y/N]" in out and "nothing deleted" in out
    assert store.count() == 2
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no answer at all: nothing deleted either
    assert feedback_main(["clear"]) == 1 and store.count() == 2
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    assert feedback_main(["clear"]) == 0 and store.count() == 0
    add(store)
    assert feedback_main(["clear", "--yes"]) == 0
    assert "deleted 1 correction" in capsys.readouterr().out and store.count() == 0


def test_cli_home_and_db_choose_the_database(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "elsewhere"))  # restored after the test: --home changes it
    other = FeedbackStore(tmp_path / "other" / "feedback.sqlite3")
    add(other)
    assert feedback_main(["stats"]) == 0
    assert "no corrections yet" in capsys.readouterr().out
    assert feedback_main(["--db", str(other.path), "stats"]) == 0
    assert "1 correction from 1 session;" in capsys.readouterr().out
    assert feedback_main(["--home", str(tmp_path / "other"), "stats"]) == 0
    assert "1 correction from 1 session;" in capsys.readouterr().out
    assert os.environ[HOME_ENV] == str(tmp_path / "other")


def test_cli_errors_are_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"garbage" * 500)
    assert feedback_main(["--db", str(bad), "stats"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "corrupt" in err and err.count("\n") == 1
