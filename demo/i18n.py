"""The app's texts in English and Simplified Chinese: one table per language, the same keys (the
Chinese ones in demo/i18n_zh.py).

Static texts (labels, tab names, buttons) go to the browser through `gr.I18n`, which picks the table
from the browser's language. Texts a handler builds (verdicts, retrain status) are formatted on the
server with `tr()`, in the language of the request's Accept-Language header.
"""

from __future__ import annotations

import gradio as gr
from gradio.i18n import I18nData

from mnist_core.config_flags import flags
from mnist_core.errors import NoInkError
from mnist_core.train_config import TrainConfig

from .i18n_zh import ZH, ZH_CAPTIONS, ZH_CORE

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
    "rt_start": "Start retraining",
    "rt_cancel": "Cancel",
    "rt_plot": "Accuracy per epoch",
    "rt_confusion": "Confusion matrix of the new weights (test set)",
    "rt_keep": "Keep new weights",
    "rt_discard": "Discard new weights",
    "rt_restore": "Restore previous version",
    # the training settings of the Retrain tab (retraining.RETRAIN_FIELDS): cfg_<field path> is the label,
    # cfg_<field path>_info the help under it, in English TrainConfig's own (added below the table)
    "cfg_epochs": "Epochs",
    "cfg_lr": "Peak learning rate",
    "cfg_batch_size": "Batch size",
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
    # dynamic: corrections
    "fb_heading": "**Wrong?** It is:",
    "fb_which": "Which digit?",
    "fb_which_choice": "digit {index}: {digit}",
    "fb_not_digit": "not a digit",
    "fb_not_digit_text": "not a digit",
    "fb_off_note": "Corrections are switched off on this server.",
    "fb_off": "Corrections are switched off on this server.",
    "fb_unavailable": "Corrections are unavailable right now: the server cannot use its corrections database. "
    "Predictions still work.",
    "fb_nothing": "Nothing to correct: {error}.",
    "fb_failed": "The correction was not stored: {error}",
    "fb_saved": "Saved, thank you: it is **{label}** (the model read {read}). Your corrections: {count}.",
    "fb_mine_heading": "### Your corrections",
    "fb_mine": "Your corrections: **{count}**.",
    "fb_scope_public": "Only you see them, and learning here uses only yours.",
    "fb_scope_local": "Only this browser session's are shown; learning on this local server uses every stored one.",
    "fb_gallery": "What the model saw (true label ← its answer; - is not a digit)",
    "fb_refresh": "Refresh",
    # explanation
    "ex_title": "Why this answer?",
    "ex_about": "The preprocessing step by step, where the model looked (red: for the digit it read, blue: "
    "against) and what its first layer sees.",
    "ex_run": "Explain",
    "ex_nothing": "Draw a digit (or upload a photo) first.",
    # comparison
    "cmp_title": "All models",
    "cmp_run": "Compare every model",
    "cmp_model": "model",
    "cmp_answer": "answer",
    "cmp_confidence": "confidence",
    "cmp_top3": "top 3",
    "cmp_ms": "ms",
    "cmp_disagrees": "disagrees",
    "cmp_marker": "⚠ differs",
    "cmp_not_sure": "not sure",
    "cmp_agree": "All {count} models read **{answer}**.",
    "cmp_disagree": "Most models read **{answer}**; {count} disagree: {models}.",
    # learning from corrections
    "ln_heading": "### Learn from corrections",
    "ln_about_public": "Fine-tunes the model chosen above on your corrections only, mixed with MNIST images so "
    "that it does not forget MNIST. The new weights can be kept only if MNIST test accuracy fell by at most 0.1 point.",
    "ln_about_local": "Fine-tunes the model chosen above on every correction stored on this computer, mixed with "
    "MNIST images so that it does not forget MNIST. The new weights can be kept only if MNIST test accuracy fell "
    "by at most 0.1 point.",
    "ln_start": "Learn from my corrections",
    "ln_scores": "Accuracy before and after",
    "ln_keep": "Keep the new weights",
    "ln_discard": "Discard the new weights",
    "ln_measure": "measured on",
    "ln_before": "before",
    "ln_after": "after",
    "ln_held_out": "held-out corrections",
    "ln_all": "all corrections",
    "ln_mnist": "MNIST test set",
    "ln_no_held_out": "none held out",
    "ln_nothing": "There are no corrections to learn from yet: correct an answer first.",
    "ln_using": "Corrections to learn from: {count}.",
    "ln_cannot_keep": "**These weights cannot be kept:** MNIST test accuracy fell from {before} to {after}, by more "
    "than {drop} point: the model forgot MNIST. Discard them.",
}

# A setting's help in English is its field's help in TrainConfig (the one source), for each setting
# whose help the Chinese table translates; a setting without texts here shows its help, untranslated.
EN |= {key: f.help for f in flags(TrainConfig) if (key := f"cfg_{f.path}_info") in ZH}

TABLES: dict[str, dict[str, str]] = {ENGLISH: EN, CHINESE: ZH}

# The core writes its messages in English. In other languages, the kinds of message it tells apart
# (by exception type, or by a job's status) get their own text; any other message stays English.
CORE_TEXTS: dict[str, dict[str, str]] = {
    ENGLISH: {},
    CHINESE: ZH_CORE,
}

# mnist_core.explain.CAPTIONS in other languages (render() needs a font with the script: explain_view.py)
EXPLAIN_CAPTIONS: dict[str, dict[str, str]] = {
    CHINESE: ZH_CAPTIONS,
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
