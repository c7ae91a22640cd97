"""What the default model answers on a fixed sample of the development sets, pinned.

The first SAMPLE files (by name) of each of SETS in ../shared/data/dev, read with the shipped weights
on the CPU the way `mnist-predict` reads a file (Predictor.predict). Per file, tests/answers/dev_answers.json
holds the number read, whether the answer is "not sure", and the top probability (Prediction.confidence:
for a number, its first digit's, as in `mnist-predict --json`), or the error for a file that has none.

A change of number or of "not sure" fails, and so does a probability that moved by more than TOLERANCE.
When a change is meant (new weights, a new detector or threshold), regenerate the file and review its diff:

    OMP_NUM_THREADS=1 python tests/test_answers.py --write
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ANSWERS = REPO / "tests" / "answers" / "dev_answers.json"
SETS = ("canvas", "photo", "multi_canvas", "nondigit")
SAMPLE = 60  # per set: 240 images, read in about 5 s on one CPU thread
TOLERANCE = 0.002  # the pinned values are rounded (0.0005 off at most); room for float noise between machines
REGENERATE = "OMP_NUM_THREADS=1 python tests/test_answers.py --write"


def sample(dev_dir: Path) -> list[str]:
    """The pinned files, as set/filename: the first SAMPLE images of each set, by name."""
    return [f"{s}/{p.name}" for s in SETS
            for p in sorted(p for p in (dev_dir / s).iterdir() if p.suffix.lower() != ".csv")[:SAMPLE]]  # fmt: skip


def read_answers(dev_dir: Path) -> dict:
    """The current code's answers on the sample, with the shipped weights they came from."""
    from mnist_core import DEFAULT_MODEL, InputError, Predictor

    # the shipped weights explicitly: never a retrained file in the user's data folder
    predictor = Predictor.load(DEFAULT_MODEL, weights_dir=REPO / "weights", device="cpu")
    answers = {}
    for name in sample(dev_dir):
        try:
            p = predictor.predict(dev_dir / name)
        except InputError as exc:
            answers[name] = {"error": type(exc).__name__}
            continue
        answers[name] = {"number": p.number, "uncertain": bool(p.uncertain), "top": round(float(p.confidence), 3)}
    judges = {role: getattr(predictor, role, None) for role in ("segmenter", "detector")}
    weights = {pr.name: pr.info.sha256[:12] for pr in [predictor, *judges.values()] if pr is not None and pr.info}
    return {"model": DEFAULT_MODEL, "weights_sha256": weights, "per_set": SAMPLE, "answers": answers}


def differences(pinned: dict, now: dict) -> list[str]:
    """One line per file whose answer changed (number, "not sure", error, or top probability beyond TOLERANCE)."""
    out = []
    for name in sorted(pinned["answers"].keys() | now["answers"].keys()):
        a, b = pinned["answers"].get(name), now["answers"].get(name)
        if a is None or b is None:
            out.append(f"{name}: {'new in the sample' if a is None else 'no longer in the sample'}")
            continue
        if "error" in a or "error" in b:
            if a != b:
                out.append(f"{name}: {describe(a)} -> {describe(b)}")
            continue
        moved = abs(a["top"] - b["top"]) > TOLERANCE + 1e-9  # 1e-9: 0.893 - 0.891 is a little over 0.002 in floats
        if a["number"] != b["number"] or a["uncertain"] != b["uncertain"] or moved:
            out.append(f"{name}: {describe(a)} -> {describe(b)}")
    return out


def describe(answer: dict) -> str:
    if "error" in answer:
        return answer["error"]
    return f"{answer['number']}{' (not sure)' if answer['uncertain'] else ''} p={answer['top']:.3f}"


def report(pinned: dict, now: dict, changed: list[str]) -> str:
    lines = [f"{len(changed)} of {len(now['answers'])} pinned answers changed (pinned -> now):", *changed]
    if pinned.get("weights_sha256") != now["weights_sha256"]:
        lines.append(f"the weights differ: pinned {pinned.get('weights_sha256')}, now {now['weights_sha256']}")
    lines.append(f"if the change is meant, regenerate tests/answers/dev_answers.json with: {REGENERATE}")
    return "\n".join(lines)


def to_json(pinned: dict) -> str:
    """The file's text: one line per image, so a review's diff shows each changed answer on its line."""
    head = {k: v for k, v in pinned.items() if k != "answers"}
    rows = [f"  {json.dumps(n)}: {json.dumps(a, sort_keys=True)}" for n, a in sorted(pinned["answers"].items())]
    return json.dumps(head, indent=1)[:-2] + ',\n "answers": {\n' + ",\n".join(rows) + "\n }\n}\n"


def test_default_model_answers_as_pinned(dev_dir):
    pinned = json.loads(ANSWERS.read_text())
    now = read_answers(dev_dir)
    changed = differences(pinned, now)
    assert not changed, report(pinned, now, changed)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Compare the default model's answers with the pinned ones, "
                                                 "or (--write) pin the current answers.")  # fmt: skip
    parser.add_argument("--write", action="store_true", help=f"overwrite {ANSWERS.relative_to(REPO)}")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from conftest import SHARED_DATA  # tests/ is on the path when this file is run

    dev = Path(os.environ.get("MNIST_DEV_DATA") or SHARED_DATA / "dev")
    now = read_answers(dev)
    if args.write:
        ANSWERS.parent.mkdir(exist_ok=True)
        tmp = ANSWERS.with_suffix(".tmp")
        tmp.write_text(to_json(now))
        os.replace(tmp, ANSWERS)
        print(f"wrote {len(now['answers'])} answers to {ANSWERS.relative_to(REPO)}; review its diff before committing")
    elif ANSWERS.exists():
        pinned = json.loads(ANSWERS.read_text())
        changed = differences(pinned, now)
        print(report(pinned, now, changed) if changed else f"all {len(now['answers'])} pinned answers are unchanged")
        sys.exit(1 if changed else 0)
    else:
        sys.exit(f"{ANSWERS.relative_to(REPO)} does not exist: run {REGENERATE}")
