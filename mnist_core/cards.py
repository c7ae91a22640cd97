"""Model cards in the Hugging Face layout, generated from a weights file's own metadata.

Nothing numeric in a card is typed by hand: the parameter count comes from the model, the MNIST
test accuracy, epochs, date and training settings from the file's metadata (what `mnist-train`
stored), and the real-handwriting figures from a run at generation time, through the same path as
`mnist-predict` and the same code as `bench/real_handwriting.py`. Each card names the SHA-256 of
the weights it describes, so a card and a file that no longer match are easy to spot: regenerate.

    mnist-eval --all --card docs/models --data-root ../shared/data --dev-root ../shared/data/dev

Over 250 lines because model_card is one document written in the order it reads (~230 lines); the
measuring (measure_dev, _layers, _worst_digits) is the part to move out if it grows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .config_flags import flags
from .devsets import dev_set, run_set
from .models import DEFAULT_MODEL, DIGITS, count_parameters, get_spec, list_models
from .predict import DETECTOR, SEGMENTER, Predictor
from .render import MNIST_MEAN, MNIST_STD
from .train_config import TrainConfig
from .weights import WeightsError, WeightsInfo, load_named, shipped_path

# the development sets a card measures, in bench/real_handwriting.py's names; "scans" is left out:
# it needs scikit-learn, a test extra
DEV_SETS = ("canvas", "photo", "multi_canvas", "multi_photo")
SET_TITLES = {
    "canvas": "drawings, one digit",
    "photo": "phone photos, one digit",
    "multi_canvas": "drawn numbers, 2-6 digits",
    "multi_photo": "photographed numbers, 2-6 digits",
}

# what each training addition is, by its TrainConfig field (`mnist-train --help` says the same)
ADDITIONS = {
    "styles": "flagged 1s and crossed 7s, made from {:.0%} of MNIST's 1s and 7s",
    "curls": '9s whose stem ends in a tail curled to the left (as a "g" is written), made from {:.0%} of MNIST\'s 9s',
    "pairs": "two touching digits, {:.0%} of the training set's size, trained to read unsure",
    "fragments": "parts of digits cut in two, {:.0%} of the training set's size, trained to read unsure",
    "turned": "digits mirrored or turned so that they are no digit, {:.0%} of the training set's size",
    "letters": "letters and signs (the font bundled with Pillow), {:.0%} of the training set's size",
    "rendered": "{:.0%} of the digits again, drawn the way inputs are (their ink mask through the preprocessing)",
    "negatives": "drawings that are no digit (doodles, shapes, other scripts), {:.0%} of the training set's size",
    "templates": "digits of pen-stroke templates of styles MNIST lacks (slashed 0s, open 4s...), {:.0%} of its size",
    "font_digits": "digits of the Hershey vector fonts drawn with a pen, {:.0%} of the training set's size",
    "scans": "{:.0%} of the digits again as small 16x16 scans, binarized or grey",
}
# --- measurements ---------------------------------------------------------------------------------


def measure_dev(
    predictor: Predictor, dev_root: str | os.PathLike[str], sets: tuple[str, ...] = DEV_SETS
) -> dict[str, dict[str, Any]]:
    """Set name -> devsets.run_set() result, for each of `sets` under dev_root."""
    root = Path(dev_root).expanduser()
    return {s: run_set(predictor, dev_set(root / s)) for s in _dev_sets(root, sets)}


def _dev_sets(root: Path, sets: tuple[str, ...] = DEV_SETS) -> list[str]:
    """Those of `sets` present under root (each a folder with labels.csv); ValueError if none is."""
    found = [s for s in sets if (Path(root).expanduser() / s / "labels.csv").exists()]
    if not found:
        raise ValueError(f"no development set ({', '.join(sets)}) with a labels.csv under {root}")
    return found


# --- the card -------------------------------------------------------------------------------------


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.2%}"


def _pct1(v: float | None) -> str:
    """As bench/real_handwriting.py prints its figures."""
    return "-" if v is None else f"{v:.1%}"


def _layers(model: nn.Module) -> list[tuple[str, str, int]]:
    """(layer, output shape, parameters) for each leaf module, from one forward pass of a 28x28 input."""
    rows: list[tuple[str, str, int]] = []

    def hook(m: nn.Module, _inp: Any, out: torch.Tensor) -> None:
        rows.append((_layer_text(m), "x".join(map(str, out.shape[1:])), count_parameters(m)))

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        was_training = model.training
        model.eval()
        with torch.inference_mode():
            model(torch.zeros(1, 1, 28, 28))
        model.train(was_training)
    finally:
        for h in handles:
            h.remove()
    return rows


def _layer_text(m: nn.Module) -> str:
    if isinstance(m, nn.Conv2d):
        return (
            f"Conv2d {m.in_channels}->{m.out_channels}, {m.kernel_size[0]}x{m.kernel_size[1]}, padding {m.padding[0]}"
        )
    if isinstance(m, nn.Linear):
        return f"Linear {m.in_features}->{m.out_features}"
    if isinstance(m, nn.BatchNorm2d):
        return f"BatchNorm2d {m.num_features}"
    if isinstance(m, nn.MaxPool2d):
        return f"MaxPool2d {m.kernel_size}"
    if isinstance(m, nn.Dropout):
        return f"Dropout {m.p}"
    return type(m).__name__


def _differences(stored: dict[str, Any], recipe: dict[str, Any], prefix: str = "") -> list[tuple[str, Any, Any]]:
    """(setting, stored value, recipe value) where the file's training settings differ from the
    registered recipe. Settings the file has that TrainConfig no longer knows count only if set."""
    out = []
    for key, value in stored.items():
        name = prefix + key
        if key not in recipe:
            if value:
                out.append((name, value, None))
        elif isinstance(value, dict) and isinstance(recipe[key], dict):
            out += _differences(value, recipe[key], name + ".")
        elif value != recipe[key]:
            out.append((name, value, recipe[key]))
    return out


def _command(name: str, diffs: list[tuple[str, Any, Any]]) -> tuple[str, list[str]]:
    """The mnist-train command that reproduces these settings, and the settings no flag sets."""
    args, unflagged = [f"mnist-train --model {name}"], []
    flag_of = {f.path: f.flag for f in flags(TrainConfig)}
    for key, value, _ in diffs:
        flag = flag_of.get(key)
        if flag is None:
            unflagged.append(key)
        elif isinstance(value, bool):
            if value:
                args.append(flag)
            else:
                unflagged.append(key)  # the flags only switch these on
        else:
            args.append(f"{flag} {value}")
    return " ".join(args), unflagged


def _training_data(cfg: dict[str, Any]) -> list[str]:
    lines = []
    held, limit = cfg.get("val_size") or 0, cfg.get("limit") or 0
    base = "the MNIST training set (60,000 digits by about 250 writers)"
    if limit:
        base = f"the first {limit:,} images of the MNIST training set"
    if held:
        base += f", less {held:,} images held out for validation (seed {cfg.get('seed', 0)})"
    lines.append(base)
    if cfg.get("start_from"):
        what = "its last layer only" if cfg.get("head_only") else "every layer"
        lines.append(f"starting from the `{cfg['start_from']}` weights in the weights folder ({what} trained)")
    for key, text in ADDITIONS.items():
        if cfg.get(key):
            extra = (
                " (flags only on upright 1s, steeper than a 7's bar)"
                if key == "styles" and cfg.get("upright_flags")
                else ""
            )
            lines.append("plus " + text.format(cfg[key]) + extra)
    if cfg.get("augment"):
        aug_cfg = dict(cfg.get("augmentation") or {})
        if not aug_cfg.get("elastic_px"):
            aug_cfg.pop("elastic_sigma", None)  # the warp's smoothness, unused without a warp
        aug = ", ".join(f"{k} {v}" for k, v in sorted(aug_cfg.items()) if v)
        lines.append(f"augmented on the fly: random affine and stroke thickness ({aug})")
    return lines


def _confusion(dev: dict[str, dict[str, Any]]) -> np.ndarray:
    return sum((np.asarray(r["confusion"]) for r in dev.values()), np.zeros((10, 10), int))


def _worst_digits(dev: dict[str, dict[str, Any]], k: int = 3) -> list[str]:
    """The k digits read worst on the dev sets (where the count of digits was right), each with what
    it is most often read as."""
    conf = _confusion(dev)
    out = []
    for d in sorted(range(10), key=lambda d: (conf[d, d] / max(1, conf[d].sum()), d))[:k]:
        total, right = int(conf[d].sum()), int(conf[d, d])
        if not total or right == total:
            continue
        wrong = conf[d].copy()
        wrong[d] = 0
        top = [f"{j}: {int(c)}" for j, c in sorted(enumerate(wrong), key=lambda jc: -jc[1]) if c][:3]
        out.append(f"**{d}**, {right / total:.1%} of {total} read right (misread as {', '.join(top)})")
    return out


def _front_matter(name: str, info: WeightsInfo) -> str:
    lines = [
        "---",
        "license: mit",
        "library_name: pytorch",
        "pipeline_tag: image-classification",
        "tags:",
        "- mnist",
        "- image-classification",
        "- handwriting",
        "datasets:",
        "- mnist",
        "metrics:",
        "- accuracy",
    ]
    if info.test_accuracy is not None:
        lines += [
            "model-index:",
            f"- name: {name}",
            "  results:",
            "  - task:",
            "      type: image-classification",
            "      name: Image Classification",
            "    dataset:",
            "      type: mnist",
            "      name: MNIST",
            "      split: test",
            "    metrics:",
            "    - type: accuracy",
            f"      value: {info.test_accuracy}",
            "      name: MNIST test accuracy",
        ]
    return "\n".join(lines + ["---"])


def model_card(
    name: str,
    weights_dir: str | os.PathLike[str] | None = None,
    dev_results: dict[str, dict[str, Any]] | None = None,
    *,
    mnist_accuracy: float | None = None,
    generated: str | None = None,
) -> str:
    """The Markdown card of `name`'s weights as they load (weights.load_named: `weights_dir`, else
    the user's retrained file, else the shipped one). `dev_results` is measure_dev()'s answer (or
    None: not measured); `mnist_accuracy` an accuracy measured now beside the stored one."""
    model, info, path = load_named(name, weights_dir)
    if info.model != name:
        raise WeightsError(f"{path} holds the weights of {info.model!r}, not {name!r}")
    spec = get_spec(name)
    cfg = info.train_config
    file_sha = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    shipped = Path(path).resolve() == shipped_path(name).resolve()
    source = f"`weights/{path.name}`, shipped with the package" if shipped else f"`{path}`"
    generated = generated or dt.datetime.now(dt.timezone.utc).date().isoformat()
    params = count_parameters(model)
    with torch.inference_mode():
        no_digit = model.eval()(torch.zeros(1, 1, 28, 28)).shape[1] > DIGITS
    md: list[str] = [_front_matter(name, info), ""]
    say = md.append

    say(f"# {name}" + (" (default)" if name == DEFAULT_MODEL else ""))
    say("")
    say(f"> Generated by `mnist-eval --card` on {generated} from {source}: weights SHA-256 `{info.sha256}` "
        f"(of the tensors, checked on every load), file SHA-256 `{file_sha}`, "
        f"trained {info.date or 'on an unknown date'}. Regenerate it rather than edit it.")  # fmt: skip
    say("")

    say("## What it is")
    say("")
    say(f"{spec.description[0].upper()}{spec.description[1:]}.")
    say("")
    say(f"One of the {len(list_models())} registered models of [mnist-canvas](../../README.md), "
        "which reads handwritten digits and numbers drawn on a canvas or photographed.")  # fmt: skip
    roles = []
    if name == DEFAULT_MODEL:
        roles.append("It is the default model of the app, the command line and the HTTP API.")
    if name == SEGMENTER:
        roles.append("Whichever model reads the digits, this one judges where touching digits are cut.")
    if name == DETECTOR:
        roles.append(
            "Whichever model reads the digits, this one gives a second opinion on whether the ink is a digit at all."
        )
    if roles:
        say("")
        say(" ".join(roles))
    say("")
    say(f"Input: one 28x28 grey image of a digit (white ink on black, centred by its centre of mass, as in MNIST), "
        f"normalized with MNIST's mean {MNIST_MEAN} and std {MNIST_STD}; the project's preprocessing makes it from any "
        f"drawing or photo. Output: {DIGITS} logits, one per digit (softmax)"
        + (', and one more, "no digit" (sigmoid): the chance that the ink is no digit at all.'
           if no_digit else "."))  # fmt: skip
    say("")

    say("## Architecture")
    say("")
    say(f"**{params:,} parameters** (`models.count_parameters`), layer by layer for one 28x28 input:")
    say("")
    say("| layer | output | parameters |")
    say("|---|---|---:|")
    for layer, shape, n in _layers(model):
        say(f"| {layer} | {shape} | {n:,} |")
    say("")

    say("## Training")
    say("")
    for line in _training_data(cfg):
        say(f"- {line}")
    say("")
    seconds = f", in {info.train_seconds / 60:.1f} min" if info.train_seconds else ""
    seconds += f" on {cfg['device']}" if cfg.get("device") else ""
    epochs = "an unknown number of epochs" if info.epochs is None else f"{info.epochs} epoch{'s' * (info.epochs != 1)}"
    say(f"Trained for {epochs}{seconds} "
        f"(`{cfg.get('optimizer', '?')}`, peak learning rate {cfg.get('lr', '?')}, batch {cfg.get('batch_size', '?')}, "
        f"weight decay {cfg.get('weight_decay', '?')}, label smoothing {cfg.get('label_smoothing', '?')}, "
        f"seed {cfg.get('seed', '?')}).")  # fmt: skip
    say("The registered recipe (`models.get_spec(name).recipe`) reproduces it:")
    say("")
    say("```bash")
    say(f"mnist-train --model {name}")
    say("```")
    say("")
    # where it ran is not a setting to reproduce (mnist-train stores the device it used)
    diffs = [d for d in _differences(cfg, TrainConfig.for_model(name).to_dict()) if d[0] != "device"]
    if diffs:
        command, unflagged = _command(name, diffs)
        say("These weights were trained with settings other than the recipe's: "
            + "; ".join(f"`{k}` {json.dumps(v)} (recipe: {'none' if r is None else json.dumps(r)})"
                        for k, v, r in diffs)
            + ". The command for these settings:")  # fmt: skip
        say("")
        say("```bash")
        say(command)
        say("```")
        if unflagged:
            say("")
            say(f"(`{'`, `'.join(unflagged)}`: no flag sets these; pass them to `mnist_core.train.TrainConfig`.)")
        say("")
    if cfg.get("start_from"):
        say(f"It starts from the `{cfg['start_from']}` weights in the weights folder: the shipped ones, or yours "
            f"if you retrained `{cfg['start_from']}`.")  # fmt: skip
        say("")
    say(f"Recipe: `{json.dumps(spec.recipe, sort_keys=True)}`")
    say("")
    say("<details><summary>Training settings stored in the weights file</summary>")
    say("")
    say("```json")
    say(json.dumps(cfg, indent=2, sort_keys=True))
    say("```")
    say("")
    say("</details>")
    say("")

    say("## Evaluation")
    say("")
    say("### MNIST test set")
    say("")
    stored = _pct(info.test_accuracy) if info.test_accuracy is not None else "not recorded"
    say(f"Accuracy on the 10,000 MNIST test images: **{stored}**, as `mnist-train` measured and stored it in the file.")
    if mnist_accuracy is not None:
        same = (
            "the same"
            if info.test_accuracy is not None and abs(mnist_accuracy - info.test_accuracy) < 5e-7
            else "differs"
        )
        say(f"Measured again when this card was generated: {_pct(mnist_accuracy)} ({same}).")
    say("")
    say("### Real handwriting")
    say("")
    if dev_results:
        say("The development sets (drawings and phone photos by 30 writers MNIST never saw; "
            "[docs/benchmarks.md](../benchmarks.md)), read through the same path as `mnist-predict`. "
            "\"Exact\": the whole answer right, every digit and none missing or extra.")  # fmt: skip
        say("")
        say('| set | images | exact | numbers of 2-4 digits | per digit | "not sure" |')
        say("|---|---:|---:|---:|---:|---:|")
        for s, r in dev_results.items():
            say(f"| {SET_TITLES.get(s, s)} | {r['n']} | {_pct1(r['accuracy'])} | {_pct1(r.get('accuracy_2_4'))} "
                f"| {_pct1(r['per_digit'])} | {_pct1(r['uncertain'])} |")  # fmt: skip
        say("")
        say("The same figures, and per-class accuracy and confusion matrices: "
            f"`python bench/real_handwriting.py --model {name} --sets {' '.join(dev_results)}`.")  # fmt: skip
    else:
        say(
            f"Not measured for this card: `mnist-eval --model {name} --card DIR --dev-root ../shared/data/dev` "
            "measures it."
        )
    say("")

    say("## Intended use")
    say("")
    say("Reading single handwritten digits and short numbers (a drawing on the demo's canvas, a phone photo of "
        "a note) for demonstration and teaching: what a small network reads, and the 28x28 image it saw. "
        "Not for anything where a misread costs money or rights (cheques, forms, postal sorting, exams): "
        "it has not been evaluated for that, "
        "and its accuracy on a new writer's digits is below its MNIST figure.")  # fmt: skip
    say("")

    say("## Known limits")
    say("")
    worst = _worst_digits(dev_results) if dev_results else []
    if worst:
        say(f"- The digits it reads worst on the development sets above (where the count of digits was right): "
            f"{'; '.join(worst)}.")  # fmt: skip
    trained = [
        what
        for key, what in (("styles", "flagged 1s and crossed 7s"), ("curls", "9s whose tail curls to the left"))
        if cfg.get(key)
    ]
    styles = [f"It was trained with extra {' and with '.join(trained)}, which MNIST has few of."] if trained else []
    if not cfg.get("styles"):
        styles.append("It was not trained on flagged 1s or crossed 7s, which MNIST has few of: a 1 with a long flag "
                      "is often read as 7, and a crossed 7 may be misread.")  # fmt: skip
    if not cfg.get("curls"):
        styles.append('A 9 whose tail curls to the left (as a "g" is written) may be read as 3.')
    say("- Writing styles: MNIST's writers were American Census Bureau employees and high-school students. "
        + " ".join(styles)
        + " Other styles it has not seen, such as slashed 0s, may be misread or answered \"not sure\".")  # fmt: skip
    if no_digit:
        whose = 'its own "no digit" output' + ("" if name == DETECTOR else f", averaged with `{DETECTOR}`'s,")
        say(f"- Letters, shapes and scribbles: {whose} marks many of "
            "them \"not sure\", but a letter made of a digit's strokes can still be read as a digit "
            "([drawings that are not digits](../benchmarks.md#drawings-that-are-not-digits)).")  # fmt: skip
    else:
        say("- Letters, shapes and scribbles: it has no \"no digit\" output, so it names a digit for anything; "
            f"in the app and the command line `{DETECTOR}` judges what is no digit for it, "
            "which catches many but not all.")  # fmt: skip
    say("- One digit per 28x28 image: numbers are cut into digits by the preprocessing; two digits that overlap "
        "much can be read as one, and a digit drawn in strokes that do not meet as two.")  # fmt: skip
    if info.test_accuracy is not None:
        say(f"- {_pct(1 - info.test_accuracy)} of MNIST's own test digits are misread.")
    say("")

    say("## How to use")
    say("")
    say("```bash")
    say(f"pip install . && mnist-predict --model {name} digit.png")
    say("```")
    say("")
    say("```python")
    say("from mnist_core import Predictor")
    say("")
    say(f'p = Predictor.load("{name}")  # the weights described here, or yours if you retrained them')
    say('print(p.predict("digit.png").number)')
    say("```")
    say("")
    return "\n".join(md)


def write_cards(
    out_dir: Path,
    names: list[str] | None = None,
    weights_dir: str | os.PathLike[str] | None = None,
    data_root: str | os.PathLike[str] | None = None,
    dev_root: str | os.PathLike[str] | None = None,
    generated: str | None = None,
) -> list[Path]:
    """Write `<out_dir>/<name>.md` for each model (default: every registered one); with data_root,
    also measure each on the MNIST test set, with dev_root on the development sets."""
    names = list(names) if names else list_models()
    for n in names:
        get_spec(n)  # an unknown name fails before anything is measured
    if dev_root is not None:
        _dev_sets(Path(dev_root))  # so do missing dev sets
    test = None
    if data_root is not None:
        from .mnist import load_mnist

        test = load_mnist(data_root, train=False)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        mnist_accuracy, dev = None, None
        if test is not None or dev_root is not None:
            predictor = Predictor.load(name, weights_dir)
            if test is not None:
                from .train import evaluate

                mnist_accuracy = evaluate(predictor.model, test)[0]
            if dev_root is not None:
                dev = measure_dev(predictor, dev_root)
        text = model_card(name, weights_dir, dev, mnist_accuracy=mnist_accuracy, generated=generated)
        path = out_dir / f"{name}.md"
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
        written.append(path)
    return written
