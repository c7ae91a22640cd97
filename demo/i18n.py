"""The app's texts in English and Simplified Chinese: one table per language, the same keys.

Static texts (labels, tab names, buttons) go to the browser through `gr.I18n`, which picks the table
from the browser's language. Texts a handler builds (verdicts, retrain status) are formatted on the
server with `tr()`, in the language of the request's Accept-Language header.
"""

from __future__ import annotations

import gradio as gr
from gradio.i18n import I18nData

from mnist_core.errors import NoInkError

ENGLISH = "en"
CHINESE = "zh-CN"  # the locale Gradio's frontend gives a Simplified Chinese browser

EN: dict[str, str] = {
    # static: components and layout
    "intro": "# mnist-canvas\nDraw a digit or a number, or upload a photo of one, and see what a neural network reads.",
    "weights_problems": "**Weights problems found at start-up:**",
    "model_label": "Model (MNIST test accuracy)",
    "tab_draw": "Draw",
    "tab_upload": "Upload",
    "tab_retrain": "Retrain",
    "pad_label": "Draw a digit or a number, large",
    "prediction": "Prediction",
    "seen_label": "What the model sees (28x28 per digit)",
    "photo_label": "A photo or scan of a handwritten digit or number",
    "rt_model": "Model to retrain",
    "rt_epochs": "Epochs",
    "rt_lr": "Peak learning rate",
    "rt_batch": "Batch size",
    "rt_start": "Start retraining",
    "rt_cancel": "Cancel",
    "rt_plot": "Accuracy per epoch",
    "rt_confusion": "Confusion matrix of the new weights (test set)",
    "rt_keep": "Keep new weights",
    "rt_discard": "Discard new weights",
    "rt_restore": "Restore previous version",
    # dynamic: reading a digit
    "prompt": "Draw a digit (or upload a photo) to see what the model reads.",
    "no_digit": "No digit to read: {error}.",
    "model_problem": "Model problem: {error}",
    "verdict": "**{digit}** ({confidence}, model `{model}`)",
    "unsure": "**Not sure.** Best guess {digit} at {confidence}: {why}.",
    "why_unsure": "this may not be a digit",
    "why_not_digit": "it does not look like a digit ({sure} sure)",
    "number_sure": "**{number}**",
    "number_unsure": "**Not sure.** Best guess **{number}**",
    "number_line": "{head} ({count} digits, model `{model}`)",
    "number_table": "| # | read | top 3 |",
    "digit_unsure": "not sure",
    "model_choice": "{name} ({accuracy})",
    "model_no_weights": "{name} (no weights)",
    # dynamic: retraining
    "job_idle": "No training has run on this server yet.",
    "job_head": "**{model}**: {status}. {message}",
    "job_step": "epoch {epoch}/{epochs}, step {step}/{steps}, loss {loss}, train accuracy {accuracy}",
    "job_elapsed": "elapsed {elapsed} s",
    "job_remaining": ", about {remaining} s left",
    "job_result": "test accuracy of the new weights: {new} (weights in use: {before})",
    "job_none": "none",
    "status_idle": "idle",
    "status_loading": "loading",
    "status_training": "training",
    "status_saving": "saving",
    "status_finished": "finished",
    "status_kept": "kept",
    "status_discarded": "discarded",
    "status_failed": "failed",
    "status_cancelled": "cancelled",
    "busy_note": "{error}; showing its progress instead of starting another.",
    "cancelling": "Cancelling...",
    "not_running": "No training is running.",
    "restored": "{message}",
    "action_failed": "{error}",
    "retrain_off": "Retraining is disabled on this server: {reason}",
    "retrain_off_error": "retraining is disabled: {reason}",
    "reason_public": "this server is public; start it with --auth USER:PASS or --allow-retrain to enable it",
    "plot_epoch": "epoch",
    "plot_accuracy": "accuracy",
    "plot_curve": "curve",
    "curve_train": "train",
    "curve_test": "test",
    "confusion_corner": "true \\ predicted",
}

ZH: dict[str, str] = {
    "intro": "# mnist-canvas\n写一个数字或一串数字，或者上传一张照片，看看神经网络读出了什么。",
    "weights_problems": "**启动时发现权重文件有问题：**",
    "model_label": "模型（MNIST 测试集准确率）",
    "tab_draw": "手写",
    "tab_upload": "上传",
    "tab_retrain": "重新训练",
    "pad_label": "写一个或一串数字，写大些",
    "prediction": "预测结果",
    "seen_label": "模型看到的图像（每个数字 28x28）",
    "photo_label": "手写数字的照片或扫描件",
    "rt_model": "要重新训练的模型",
    "rt_epochs": "训练轮数",
    "rt_lr": "峰值学习率",
    "rt_batch": "批大小",
    "rt_start": "开始重新训练",
    "rt_cancel": "取消",
    "rt_plot": "每轮的准确率",
    "rt_confusion": "新权重的混淆矩阵（测试集）",
    "rt_keep": "保留新权重",
    "rt_discard": "丢弃新权重",
    "rt_restore": "恢复上一版本",
    "prompt": "写一个数字（或上传一张照片），看看模型读出了什么。",
    "no_digit": "没有可读的数字：{error}。",
    "model_problem": "模型出错：{error}",
    "verdict": "**{digit}**（{confidence}，模型 `{model}`）",
    "unsure": "**不确定。** 最可能是 {digit}，把握 {confidence}：{why}。",
    "why_unsure": "这可能不是数字",
    "why_not_digit": "它看起来不像数字（{sure} 确定）",
    "number_sure": "**{number}**",
    "number_unsure": "**不确定。** 最可能是 **{number}**",
    "number_line": "{head}（{count} 位数字，模型 `{model}`）",
    "number_table": "| # | 读作 | 前 3 名 |",
    "digit_unsure": "不确定",
    "model_choice": "{name}（{accuracy}）",
    "model_no_weights": "{name}（没有权重）",
    "job_idle": "此服务器上还没有运行过训练。",
    "job_head": "**{model}**：{status}。{message}",
    "job_step": "第 {epoch}/{epochs} 轮，第 {step}/{steps} 步，损失 {loss}，训练准确率 {accuracy}",
    "job_elapsed": "已用 {elapsed} 秒",
    "job_remaining": "，大约还需 {remaining} 秒",
    "job_result": "新权重的测试准确率：{new}（正在使用的权重：{before}）",
    "job_none": "无",
    "status_idle": "空闲",
    "status_loading": "加载中",
    "status_training": "训练中",
    "status_saving": "保存中",
    "status_finished": "已完成",
    "status_kept": "已保留",
    "status_discarded": "已丢弃",
    "status_failed": "失败",
    "status_cancelled": "已取消",
    "busy_note": "{error}；下面显示它的进度，不另外开始训练。",
    "cancelling": "正在取消……",
    "not_running": "当前没有正在运行的训练。",
    "restored": "已恢复：{message}",
    "action_failed": "操作失败：{error}",
    "retrain_off": "此服务器已禁用重新训练：{reason}",
    "retrain_off_error": "重新训练已禁用：{reason}",
    "reason_public": "这是一台公开的服务器；用 --auth USER:PASS 或 --allow-retrain 启动它才能重新训练",
    "plot_epoch": "轮次",
    "plot_accuracy": "准确率",
    "plot_curve": "曲线",
    "curve_train": "训练集",
    "curve_test": "测试集",
    "confusion_corner": "真实 \\ 预测",
}

TABLES: dict[str, dict[str, str]] = {ENGLISH: EN, CHINESE: ZH}

# The core writes its messages in English. In other languages, the kinds of message it tells apart
# (by exception type, or by a job's status) get their own text; any other message stays English.
CORE_TEXTS: dict[str, dict[str, str]] = {
    ENGLISH: {},
    CHINESE: {
        "no_ink": "图像是空白的或对比度太低，找不到笔迹",
        "job_loading": "正在加载 MNIST",
        "job_training": "正在训练",
        "job_saving": "正在评估并保存",
        "job_finished": "在 10,000 张测试图像上的准确率为 {accuracy}。请保留或丢弃新权重。",
        "job_cancelled": "已取消；仍在使用之前的权重",
        "job_kept": "{model} 现在使用新权重（{accuracy}）；可以恢复上一版本",
        "job_discarded": "正在使用的权重没有改变",
        "job_busy": "{model} 的训练任务正在进行",
    },
}

I18N = gr.I18n(**TABLES)


def i18n(key: str) -> I18nData:
    """A static text, translated in the browser; fails at build time on an unknown key."""
    if key not in EN:
        raise KeyError(f"no text {key!r} in demo/i18n.py")
    return I18N(key)


def tr(lang: str, key: str, **values: object) -> str:
    """A text built on the server, in `lang` (English for a language without a table)."""
    return TABLES.get(lang, EN)[key].format(**values)


def core_text(lang: str, kind: str, english: str, **values: object) -> str:
    """A message of the core in `lang`: its translation by kind if there is one, else as the core wrote it."""
    template = CORE_TEXTS.get(lang, {}).get(kind)
    return template.format(**values) if template else english


def core_error(lang: str, exc: Exception) -> str:
    return core_text(lang, "no_ink" if isinstance(exc, NoInkError) else "", str(exc))


def language(accept_language: str | None) -> str:
    """The table for an Accept-Language header: its most preferred language (the first of the highest q).

    zh, zh-CN, zh-SG and zh-Hans (with any region) read Simplified Chinese; anything else, English.
    """
    best, best_q = "", 0.0
    for entry in (accept_language or "").split(","):
        tag, _, params = entry.partition(";")
        try:
            q = float(params.strip().removeprefix("q=")) if params.strip().startswith("q=") else 1.0
        except ValueError:
            continue
        if q > best_q:
            best, best_q = tag.strip().lower(), q
    parts = best.split("-")
    if parts[0] == "zh" and (len(parts) == 1 or parts[1] in ("cn", "sg", "hans")):
        return CHINESE
    return ENGLISH
