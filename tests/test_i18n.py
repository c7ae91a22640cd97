"""The app's two languages: the tables agree, every key the app uses exists, handlers answer in the
language of the request (no browser; tests/test_browser.py drives the Chinese page)."""

from __future__ import annotations

import ast
import string
from dataclasses import replace

import gradio as gr
import numpy as np
import pytest

from conftest import REPO, draw_digit
from demo.common import AppConfig, request_language
from demo.compare_view import HEADER_KEYS
from demo.i18n import CHINESE, CORE_TEXTS, EN, ENGLISH, EXPLAIN_CAPTIONS, TABLES, ZH, core_text, i18n, language, tr
from demo.reading import Reading, _verdict, model_choices
from demo.retraining import PUBLIC_REASON, RETRAIN_FIELDS, Retraining, confusion_frame, job_message, job_view
from mnist_core import Predictor
from mnist_core.cache import PredictorCache
from mnist_core.config_flags import flags
from mnist_core.explain import CAPTIONS
from mnist_core.jobs import JobState, RetrainJobs
from mnist_core.train_config import TrainConfig

STATUSES = ["idle", "loading", "training", "saving", "finished", "kept", "discarded", "failed", "cancelled"]


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def fields_free(text: str) -> str:
    """The text without its {placeholders} and Markdown: what a reader would need translated."""
    return "".join(literal for literal, *_ in string.Formatter().parse(text)).replace("**", "").replace("`", "")


def browser(accept_language: str) -> gr.Request:
    return gr.Request(headers={"accept-language": accept_language})


@pytest.fixture(scope="module")
def seven():
    return Predictor.load().predict(draw_digit("7"))


def test_tables_have_the_same_keys_and_placeholders():
    assert set(EN) == set(ZH)
    for key in EN:
        assert fields(EN[key]) == fields(ZH[key]), key
        assert ZH[key] != EN[key] or not any(c.isalpha() for c in fields_free(EN[key])), f"{key} is not translated"


def test_every_key_the_app_uses_exists():
    """Keys passed to tr() and i18n() in every module of demo/, including both branches of a conditional."""
    used = set()
    for path in (REPO / "demo").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("tr", "i18n"):
                used |= literals(node.args[1 if node.func.id == "tr" else 0])
    assert len(used) > 90 and used - set(EN) == set()
    assert {f"status_{s}" for s in STATUSES} <= set(EN)  # the keys built from a job's status
    assert {"fb_off", "fb_unavailable", "fb_scope_public", "fb_scope_local"} <= set(EN)  # built from a value
    assert set(HEADER_KEYS) <= set(EN)


def literals(node: ast.expr) -> set[str]:
    """The keys a key expression can take: a string, or either branch of `a if c else b` (f-strings: none)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return literals(node.body) | literals(node.orelse)
    return set()


def test_every_retrain_setting_has_its_texts_and_the_english_help_is_train_configs():
    helps = {f.path: f.help for f in flags(TrainConfig)}
    for path in RETRAIN_FIELDS:
        assert {f"cfg_{path}", f"cfg_{path}_info"} <= set(EN) & set(ZH)
        assert EN[f"cfg_{path}_info"] == helps[path]


def test_unknown_static_key_fails_when_the_page_is_built():
    with pytest.raises(KeyError, match="no text"):
        i18n("no_such_text")


def test_core_translations_exist_for_every_language_and_format():
    assert set(CORE_TEXTS) == set(TABLES) and CORE_TEXTS[ENGLISH] == {}
    for template in CORE_TEXTS[CHINESE].values():
        assert fields(template) <= {"model", "accuracy"}
    assert core_text(CHINESE, "job_kept", "kept: ...", model="cnn", accuracy="99.00%").startswith("cnn 现在")
    assert core_text(ENGLISH, "job_kept", "kept: as the core says", model="cnn") == "kept: as the core says"
    assert core_text(CHINESE, "no_such_kind", "the core's words") == "the core's words"


@pytest.mark.parametrize(
    "header,lang",
    [(None, ENGLISH), ("", ENGLISH), ("zh", CHINESE), ("zh-CN", CHINESE), ("zh-Hans", CHINESE),
     ("zh-Hans-CN,zh;q=0.9", CHINESE), ("zh-CN,zh;q=0.9,en;q=0.8", CHINESE), ("ZH-cn", CHINESE), ("zh-SG", CHINESE),
     ("zh-TW,zh;q=0.9", ENGLISH), ("zh-Hant", ENGLISH), ("en-US,en;q=0.9,zh-CN;q=0.8", ENGLISH),
     ("en;q=0.5, zh-CN", CHINESE), ("fr-FR", ENGLISH), ("*", ENGLISH), ("zh;q=nonsense, de", ENGLISH)],
)  # fmt: skip
def test_language_of_an_accept_language_header(header, lang):
    assert language(header) == lang


def test_request_language():
    assert request_language(None) == ENGLISH  # called as a plain function, or from an API client
    assert request_language(browser("zh-CN,zh;q=0.9")) == CHINESE


def test_verdict_in_both_languages(seven):
    assert _verdict(seven) == f"**7** ({seven.confidence:.1%}, model `{seven.model}`)"  # the English of before
    zh = _verdict(seven, CHINESE)
    assert zh.startswith("**7**（") and "模型" in zh and "model" not in zh
    unsure = _verdict(replace(seven, no_digit=0.99), CHINESE)
    assert "不确定" in unsure and "不像数字" in unsure and "99%" in unsure


def test_number_verdict_in_chinese(dev_dir):
    pred = Predictor.load("cnn").predict(dev_dir / "multi_photo" / "multi_photo_0003.jpg")
    text = _verdict(pred, CHINESE)
    assert text.startswith(f"**{pred.number}**（4 位数字，模型 `cnn`）") and "| # | 读作 | 前 3 名 |" in text
    assert "4 digits" in _verdict(pred)


def test_handlers_answer_in_the_request_language(tmp_path):
    reading = Reading(PredictorCache(str(REPO / "weights")))
    blank = np.zeros((64, 64, 4), np.uint8)  # a sketchpad layer with nothing drawn
    en = reading.show(blank, "cnn")[2]
    assert en.startswith("No digit to read: ") and en.endswith(".")  # the core's message, as before
    zh = reading.show(blank, "cnn", browser("zh-CN"))[2]
    assert zh.startswith("没有可读的数字：") and not any("a" <= c <= "z" for c in zh)  # no ink: fully translated
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    assert reading.show(str(junk), "cnn", browser("zh-CN"))[2].startswith("没有可读的数字：")  # English after it
    assert reading.show(None, "cnn", browser("zh"))[2] == ZH["prompt"]
    assert reading.cleared(browser("en-GB"))[2] == EN["prompt"]
    shown = reading.on_draw({"composite": np.asarray(draw_digit("7")), "layers": []}, "cnn", browser("zh-CN"))
    assert next(iter(shown.label)) == "7" and shown.seen.shape == (224, 224) and "模型 `cnn`" in shown.verdict
    assert shown.which["visible"] is False and shown.ack == ""  # one digit: no digit selector


def test_model_choices_in_chinese(tmp_path):
    cache = PredictorCache(str(tmp_path))  # no weights at all
    assert model_choices(cache, CHINESE)[0] == ("mlp_128（没有权重）", "mlp_128")
    assert model_choices(cache)[0] == ("mlp_128 (no weights)", "mlp_128")


def test_job_view_in_both_languages():
    state = JobState(model="cnn_small", status="finished", started=1.0, test_accuracy=0.9876, previous_accuracy=0.99,
                     message="finished: 98.76% on the 10,000 test images. Keep the new weights or discard them.",
                     confusion=tuple(tuple(int(i == j) for j in range(10)) for i in range(10)))  # fmt: skip
    en, _ = job_view(state)
    assert en.startswith(f"**cnn_small**: finished. {state.message}")  # the English of before
    assert "test accuracy of the new weights: 98.76% (weights in use: 99.00%)" in en
    zh, _ = job_view(state, CHINESE)
    assert zh.startswith("**cnn_small**：已完成。在 10,000 张测试图像上的准确率为 98.76%") and "finished" not in zh
    failed, _ = job_view(replace(state, status="failed", message="failed: out of memory"), CHINESE)
    assert failed.startswith("**cnn_small**：失败。failed: out of memory")  # an unknown error stays English
    assert job_view(JobState(), CHINESE)[0] == ZH["job_idle"]
    assert confusion_frame(state, CHINESE).columns[0] == "真实 \\ 预测"


def test_retrain_messages_in_chinese(tmp_path):
    jobs = RetrainJobs(str(tmp_path))
    locked = Retraining(AppConfig(allow_retrain=False, retrain_disabled_reason=PUBLIC_REASON), jobs, PredictorCache())
    notice, plot = locked.on_load(browser("zh-CN"))
    assert notice == tr(CHINESE, "retrain_off", reason=ZH["reason_public"]) and plot["x_title"] == ZH["plot_epoch"]
    assert locked.on_load()[0] == f"Retraining is disabled on this server: {PUBLIC_REASON}"
    with pytest.raises(gr.Error, match="重新训练已禁用：这是一台公开的服务器"):
        locked.keep(browser("zh-CN"))
    open_ = Retraining(AppConfig(), jobs, PredictorCache())
    assert open_.on_load(browser("zh-CN"))[0] == ""
    assert open_.cancel(browser("zh-CN")) == ZH["not_running"] and open_.cancel() == "No training is running."
    with pytest.raises(gr.Error, match="操作失败：there are no new weights"):
        open_.keep(browser("zh-CN"))
    with pytest.raises(gr.Error, match="操作失败：the learning rate must be a positive number, not 0"):
        next(open_.retrain("cnn_small", browser("zh-CN"), gr.Progress(), 1, 0, 64))  # TrainConfig's own check


def test_explanation_captions_keep_the_cores_fields():
    assert set(EXPLAIN_CAPTIONS) <= set(TABLES) - {ENGLISH}
    for table in EXPLAIN_CAPTIONS.values():
        assert set(table) == set(CAPTIONS)
        for key, text in table.items():
            assert fields(text) == fields(CAPTIONS[key]), key


def test_learn_job_messages_in_chinese():
    learning = JobState(model="cnn_small", status="training", kind="learn", message="learning from 3 corrections")
    assert job_message(learning, CHINESE) == "正在从更正中学习"
    assert job_message(learning) == "learning from 3 corrections"
    done = replace(learning, status="finished", test_accuracy=0.991, message="finished: MNIST test accuracy ...")
    assert job_message(done, CHINESE) == "已完成：新权重在 MNIST 测试集上的准确率为 99.10%。"
    kept = replace(done, status="kept", message="kept: ...")
    assert job_message(kept, CHINESE) == core_text(CHINESE, "job_kept", "", model="cnn_small", accuracy="99.10%")


def test_the_digit_selector_of_a_number(dev_dir):
    from demo.feedback_view import which_digit

    pred = Predictor.load("cnn").predict(dev_dir / "multi_photo" / "multi_photo_0003.jpg")  # 5666
    update = which_digit(pred, CHINESE)
    assert update["visible"] is True and update["value"] == 1
    assert update["choices"] == [("第 1 位：5", 1), ("第 2 位：6", 2), ("第 3 位：6", 3), ("第 4 位：6", 4)]
