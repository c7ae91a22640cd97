"""Console scripts: mnist-train, mnist-eval, mnist-predict. They parse, call the core, and print.

Over 250 lines because the three share their arguments (_common, _parse).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import torch

from .config_flags import add_flags, given, with_values
from .devices import DeviceError, resolve_device
from .distributed import World, check_batch, process_group, rank_device
from .errors import InputError
from .errors import fail as _fail
from .inference import BACKENDS
from .mnist import DatasetNotFoundError, Split, load_mnist, train_val_split
from .models import DEFAULT_MODEL, count_parameters, get_spec, list_models
from .paths import HOME_ENV, set_home
from .predict import Predictor
from .train import Progress, TrainingCancelled, TrainResult, evaluate, train
from .train_config import TrainConfig
from .weights import WeightsError, load_named, save_weights, weights_path


def _model_arg(value: str) -> str:
    try:
        get_spec(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights-dir", help="folder of weights files to read and write (default: $MNIST_WEIGHTS, "
                   "else your retrained weights in the data folder, falling back to the shipped ones)")  # fmt: skip
    p.add_argument("--home", help=f"the data folder for what the program writes (default: ${HOME_ENV}, "
                   "else the platform's user data folder)")  # fmt: skip
    p.add_argument("--device", default="auto", help="where to run: auto (the machine's accelerator if it has one, "
                   "else the CPU), cpu, cuda, cuda:N or mps")  # fmt: skip


def _parse(p: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    args = p.parse_args(argv)
    if args.home:
        set_home(args.home)
    return args


# --- mnist-train ----------------------------------------------------------------------------------


def train_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="mnist-train",
        description="Train a registered model on MNIST and save its weights. "
        "Flags left out follow the model's registered recipe.",
    )
    p.add_argument("--model", required=True, type=_model_arg, help=f"one of: {', '.join(list_models())}")
    add_flags(p, TrainConfig)  # one flag per TrainConfig field; unset ones follow the recipe
    p.add_argument("--data-root", help="MNIST folder (default: $MNIST_DATA, else ~/.cache/mnist-canvas)")
    p.add_argument("--out", help="weights file to write "
                   "(default: <model>.safetensors in --weights-dir, else in the data folder)")  # fmt: skip
    p.add_argument("--feedback", action="store_true", help="fine-tune --model from its current weights on the "
                   "corrections stored by the app, MNIST replayed; written only if MNIST accuracy drops "
                   "<= 0.1 point")  # fmt: skip
    _common(p)
    args = _parse(p, argv)
    if args.feedback and args.start_from not in (None, args.model):
        return _fail("--feedback fine-tunes --model from its own weights: --start-from, if given, must name it")
    try:
        world = World.from_env()  # torchrun's processes, or this one alone
        cfg = with_values(TrainConfig.for_model(args.model, device=args.device), given(args, TrainConfig))
        device = rank_device(resolve_device(cfg.device), world)  # before any data is read
        check_batch(cfg.batch_size, world)
    except ValueError as exc:  # DeviceError among them
        return _fail(str(exc))
    out = Path(args.out) if args.out else weights_path(args.model, args.weights_dir)
    try:
        full = load_mnist(args.data_root, train=True)
        test = load_mnist(args.data_root, train=False)
    except DatasetNotFoundError as exc:
        return _fail(str(exc))
    if args.feedback:
        return _learn(args.model, full, test, out, args.weights_dir)
    train_split, val_split = train_val_split(full, cfg.val_size, cfg.seed)
    # with a validation split the per-epoch curve is on it, so recipes are chosen without the test set
    monitor = val_split if cfg.val_size else test
    try:
        with _progress_bar(args.model, cfg, world.is_main) as on_progress, process_group(world, device):
            result = train(args.model, train_split, monitor, cfg, on_progress=on_progress, weights_dir=args.weights_dir)
    except (KeyboardInterrupt, TrainingCancelled):
        return _fail(f"training interrupted; {out} was not changed", 130)
    except WeightsError as exc:  # the weights to start from are missing, corrupt or do not fit
        return _fail(str(exc))
    except torch.distributed.DistError as exc:  # another process failed, was killed, or stopped answering
        return _fail(f"training failed: {str(exc).splitlines()[0]}; {out} was not changed", 1)
    if not world.is_main:  # rank 0 alone evaluates and writes
        return 0
    return _save(args.model, result, test, out, replace(cfg, device=device.type))


def _learn(name: str, full: Split, test: Split, out: Path, weights_dir: str | None) -> int:
    """mnist-train --feedback: learn.learn_from_corrections on every stored correction; the weights are
    written only when they may be kept, as in the app."""
    from .feedback import FeedbackStore, FeedbackUnavailable
    from .learn import learn_from_corrections

    try:
        result = learn_from_corrections(name, FeedbackStore().as_split(), full, test, weights_dir=weights_dir)
    except (FeedbackUnavailable, ValueError, WeightsError) as exc:
        return _fail(str(exc))
    summary: dict[str, Any] = {"model": name, "corrections": result.learnt_from + result.held_out,
                               "before": asdict(result.before), "after": asdict(result.after),
                               "kept": result.keep_allowed, "reason": result.reason}  # fmt: skip
    if result.keep_allowed:
        result.save(out)
        summary["out"] = str(out)
    print(json.dumps(summary))
    return 0 if result.keep_allowed else 1


@contextmanager
def _progress_bar(name: str, cfg: TrainConfig, shown: bool = True) -> Iterator[Callable[[Progress], None] | None]:
    """A progress bar on stderr for the duration (only where `shown`: rank 0); yields its callback."""
    if not shown:
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(total=cfg.epochs, unit="epoch", desc=name, file=sys.stderr, dynamic_ncols=True)

    def on_progress(pr: Progress) -> None:
        bar.n = round(pr.fraction * cfg.epochs, 3)
        post = {"loss": f"{pr.loss:.4f}", "train": f"{pr.accuracy:.4f}"}
        if pr.kind == "epoch":
            post["val" if cfg.val_size else "test"] = f"{pr.test_accuracy:.4f}"
        bar.set_postfix(post, refresh=True)

    try:
        yield on_progress
    finally:
        bar.close()


def _save(name: str, result: TrainResult, test: Split, out: Path, cfg: TrainConfig) -> int:
    """Write the weights (atomically) with the test accuracy and the recipe, the device it ran on included."""
    test_acc, _ = evaluate(result.model, test) if cfg.val_size else (result.test_accuracy, None)
    save_weights(result.model, name, out, test_accuracy=test_acc, epochs=cfg.epochs,
                 train_config=cfg.to_dict(), train_seconds=result.seconds)  # fmt: skip
    summary = {"model": name, "test_accuracy": test_acc, "seconds": round(result.seconds, 1), "out": str(out)}
    if cfg.val_size:
        summary["val_accuracy"] = result.test_accuracy
    print(json.dumps(summary))
    return 0


# --- mnist-eval -----------------------------------------------------------------------------------


def eval_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="mnist-eval", description="Accuracy of shipped weights on the MNIST test set.")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--model", type=_model_arg, default=None, help=f"default: {DEFAULT_MODEL}")
    g.add_argument("--all", action="store_true", help="every registered model")
    p.add_argument("--data-root")
    p.add_argument("--json", action="store_true", help="one JSON object per model")
    p.add_argument("--markdown", action="store_true", help="a table for the README (accuracy, size, training time)")
    p.add_argument("--card", metavar="DIR", help="write each model's card (Hugging Face layout) into DIR "
                   "as <model>.md, from its weights file; with --data-root also measured on MNIST, "
                   "with --dev-root on real handwriting")  # fmt: skip
    p.add_argument("--dev-root", metavar="DIR", help="with --card: the development sets of real handwriting")
    _common(p)
    args = _parse(p, argv)
    try:
        device = resolve_device(args.device)
    except DeviceError as exc:
        return _fail(str(exc))
    names = list_models() if args.all else [args.model or DEFAULT_MODEL]
    if args.card:  # cards instead of accuracy lines; MNIST is measured only when --data-root is given
        from .cards import write_cards

        try:
            for path in write_cards(Path(args.card), names, args.weights_dir, args.data_root, args.dev_root):
                print(path, flush=True)
        except (WeightsError, DatasetNotFoundError, ValueError) as exc:
            return _fail(str(exc))
        return 0
    if args.markdown:
        print("| model | architecture | parameters | MNIST test accuracy | epochs | training time |")
        print("|---|---|---:|---:|---:|---:|")
    try:
        test = load_mnist(args.data_root, train=False)
    except DatasetNotFoundError as exc:
        return _fail(str(exc))
    code = 0
    for name in names:
        try:
            model, info, _ = load_named(name, args.weights_dir)
        except WeightsError as exc:
            print(json.dumps({"model": name, "error": str(exc)}) if args.json else f"{name}: {exc}")
            code = 1
            continue
        acc, _ = evaluate(model.to(device), test)
        if args.markdown:
            star = " (default)" if name == DEFAULT_MODEL else ""
            seconds = f"{info.train_seconds / 60:.1f} min" if info.train_seconds else "?"
            print(f"| `{name}`{star} | {get_spec(name).description} | {count_parameters(model):,} | "
                  f"{acc:.2%} | {info.epochs or '?'} | {seconds} |", flush=True)  # fmt: skip
        elif args.json:
            print(json.dumps({"model": name, "accuracy": round(acc, 6), "n": len(test)}), flush=True)
        else:
            print(f"{name:24s} {acc * 100:6.2f}%  (n={len(test)})", flush=True)
    return code


# --- mnist-predict --------------------------------------------------------------------------------


def predict_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="mnist-predict", description="Read the handwritten digit (or number) in each image."
    )
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--model", type=_model_arg, default=DEFAULT_MODEL)
    p.add_argument("--top-k", type=int, default=3)
    p.add_argument("--json", action="store_true", help="one JSON object per input line, in input order")
    p.add_argument("--backend", choices=BACKENDS, default="torch", help="what runs the model (onnx: ONNX Runtime, "
                   'pip install "mnist-canvas[onnx]")')  # fmt: skip
    _common(p)
    args = _parse(p, argv)
    if not 1 <= args.top_k <= 10:
        return _fail("--top-k must be between 1 and 10")
    try:
        device = resolve_device(args.device)  # before any weights are read
    except DeviceError as exc:
        return _fail(str(exc))
    try:
        predictor = Predictor.load(args.model, args.weights_dir, args.backend, str(device))
    except (WeightsError, ImportError) as exc:
        return _fail(str(exc))
    code = 0
    for path in args.images:  # one at a time: a bad file costs only its own line
        try:
            pred = predictor.predict(path)
        except InputError as exc:
            code = 1
            line = {"path": path, "error": str(exc)}
            print(json.dumps(line) if args.json else f"{path}: error: {exc}", flush=True)
            continue
        if args.json:
            print(json.dumps(pred.to_json(path, args.top_k)), flush=True)
        else:
            label = ("not sure: " if pred.uncertain else "") + pred.number
            each = [", ".join(f"{d}: {p:.1%}" for d, p in x.top_k(args.top_k)) for x in pred.digits or (pred,)]
            print(f"{path}: {label}  " + "  ".join(f"({t})" for t in each), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(predict_main())
