"""The explanation and comparison views, through their endpoints (/explain, /compare) and handlers:
every registered model compared, a picture that opens, and a message (never a crash) for bad input."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from conftest import REPO, draw_digit
from demo import explain_view
from demo.app import AppConfig, build_demo
from demo.compare_view import HIGHLIGHT, Comparing, comparison_note, comparison_table
from demo.explain_view import Explaining, captions
from demo.feedback_view import Corrections
from demo.i18n import CHINESE, EN, ENGLISH, EXPLAIN_CAPTIONS, ZH
from mnist_core import list_models
from mnist_core.cache import PredictorCache
from mnist_core.compare import ModelAnswer
from mnist_core.explain import CAPTIONS, picture_size
from mnist_core.feedback import FeedbackStore


@pytest.fixture(scope="module")
def cache() -> PredictorCache:
    return PredictorCache(str(REPO / "weights"))


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    wdir = tmp_path_factory.mktemp("weights")
    shutil.copytree(REPO / "weights", wdir, dirs_exist_ok=True)
    demo = build_demo(AppConfig(weights_dir=str(wdir)))
    demo.queue()
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def seven(tmp_path_factory):
    path = tmp_path_factory.mktemp("images") / "seven.png"
    draw_digit("7", paper=(0, 0, 0, 0)).save(path)
    return path


@pytest.fixture(scope="module")
def junk(tmp_path_factory):
    path = tmp_path_factory.mktemp("images") / "junk.png"
    path.write_bytes(b"<html>not a picture</html>")
    return path


def test_compare_names_every_registered_model(url, seven):
    rows = Client(url, verbose=False).predict(handle_file(str(seven)), api_name="/compare")
    assert [r["model"] for r in rows] == list_models()
    for r in rows:
        assert set(r) >= {"model", "answer", "confidence", "top3", "milliseconds", "disagrees"}
        assert 0 < r["confidence"] <= 1 and r["milliseconds"] > 0 and len(r["top3"]) == 3
        assert r["disagrees"] is (r["answer"] != "7")
    assert sum(r["answer"] == "7" for r in rows) > len(rows) / 2


def test_explain_returns_a_png_that_opens(url, seven, dev_dir):
    client = Client(url, verbose=False)
    with Image.open(client.predict(handle_file(str(seven)), "cnn", api_name="/explain")) as img:
        assert img.format == "PNG" and img.size == picture_size(1)
        english = np.asarray(img.convert("RGB"))
    number = dev_dir / "multi_photo" / "multi_photo_0003.jpg"  # 5666: a row per digit
    with Image.open(client.predict(handle_file(str(number)), "lenet5", api_name="/explain")) as img:
        assert img.size == picture_size(4)
    chinese = Client(url, verbose=False, headers={"Accept-Language": "zh-CN"})
    with Image.open(chinese.predict(handle_file(str(seven)), "cnn", api_name="/explain")) as img:
        zh = np.asarray(img.convert("RGB"))
    assert zh.shape == english.shape
    # the same picture, other captions; without a Chinese font the English ones (explain_view.captions)
    assert (zh != english).any() == (explain_view.cjk_font() is not None)


@pytest.mark.parametrize(("endpoint", "args", "message"), [("/explain", ("junk", "cnn"), "not an image"),
                                                           ("/explain", ("blank", "cnn"), "ink"),
                                                           ("/compare", ("junk",), "not an image"),
                                                           ("/compare", ("blank",), "ink")])  # fmt: skip
def test_endpoints_refuse_bad_input_with_a_message(url, seven, junk, tmp_path, endpoint, args, message):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), "white").save(blank)
    files = {"junk": junk, "blank": blank}
    client = Client(url, verbose=False)
    with pytest.raises(Exception, match=message) as err:
        client.predict(handle_file(str(files[args[0]])), *args[1:], api_name=endpoint)
    assert "/tmp" not in str(err.value)  # no server paths in messages
    assert client.predict(handle_file(str(seven)), api_name="/compare")[0]["answer"] == "7"  # still serving


def test_handlers_answer_bad_input_with_a_message(cache, junk, tmp_path):
    blank = np.zeros((64, 64, 4), np.uint8)  # a sketchpad layer with nothing drawn
    explaining, comparing = Explaining(cache), Comparing(cache)
    assert explaining.show(None, "cnn") == (None, EN["ex_nothing"])
    for source in (blank, {"composite": blank, "layers": []}, str(junk)):
        picture, note = explaining.show(source, "cnn")
        assert picture is None and note.startswith("No digit to read: ")
        table, note = comparing.show(source)
        assert table["visible"] is False and note.startswith("No digit to read: ")
    assert explaining.show(np.asarray(draw_digit("7")), "gpt-5")[1].startswith("Model problem: ")
    corrections = Corrections(AppConfig(), FeedbackStore(tmp_path / "feedback.sqlite3"), cache)
    assert corrections.click(None, 3, "cnn", None)[0].startswith("Nothing to correct: ")
    assert corrections.click(str(junk), 3, "cnn", None)[0].startswith("Nothing to correct: ")
    assert corrections.click(blank, 3, "cnn", None, gr_request("zh-CN"))[0].startswith("没有可更正的内容：")
    assert not (tmp_path / "feedback.sqlite3").exists() or FeedbackStore(tmp_path / "feedback.sqlite3").count() == 0


def gr_request(accept_language: str):
    import gradio as gr

    return gr.Request(headers={"accept-language": accept_language}, session_hash="test")


def test_views_of_a_drawing(cache):
    drawing = {"composite": np.asarray(draw_digit("7")), "layers": []}
    picture, note = Explaining(cache).show(drawing, "cnn")
    assert note == "" and picture.size == picture_size(1)
    table, note = Comparing(cache).show(drawing, gr_request("zh-CN"))
    assert table["visible"] is True and note.startswith("全部 10 个模型都读作 **7**")
    assert list(table["value"].data.columns)[0] == ZH["cmp_model"]


def answers(*reads: tuple[str, str]) -> list[ModelAnswer]:
    return [ModelAnswer(model, answer, 0.9, ((answer, 0.9),), 5.0, False) for model, answer in reads]


def test_disagreements_are_marked_and_highlighted():
    found = answers(("a", "7"), ("b", "7"), ("c", "1"))
    styler = comparison_table(found)
    assert list(styler.data.columns) == [EN[k] for k in ("cmp_model", "cmp_answer", "cmp_confidence", "cmp_top3",
                                                          "cmp_ms", "cmp_disagrees")]  # fmt: skip
    assert styler.data.iloc[:, -1].tolist() == ["", "", EN["cmp_marker"]]
    styled = styler._compute().ctx  # (row, column) -> CSS of the cells the Styler styles
    assert {row for row, _ in styled if styled[row, 0]} == {2}
    assert dict(styled[2, 0])["background-color"] in HIGHLIGHT
    assert comparison_note(found) == "Most models read **7**; 1 disagree: c."
    assert comparison_note(answers(("a", "7"), ("b", "7"))) == "All 2 models read **7**."
    assert comparison_table(found, CHINESE).data.columns[-1] == ZH["cmp_disagrees"]


def test_captions_translated_only_with_a_font_for_them(monkeypatch):
    assert set(EXPLAIN_CAPTIONS[CHINESE]) == set(CAPTIONS)
    assert captions(ENGLISH) == (None, None)
    if explain_view.cjk_font() is not None:
        assert captions(CHINESE) == (EXPLAIN_CAPTIONS[CHINESE], explain_view.cjk_font())
    monkeypatch.setattr(explain_view, "cjk_font", lambda: None)
    assert captions(CHINESE) == (None, None)  # English captions rather than boxes for missing glyphs
