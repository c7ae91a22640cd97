"""Model cards are generated from the weights file itself: change the file and the card follows."""

from __future__ import annotations

import csv
import re

import pytest
import yaml

from conftest import draw_digit
from mnist_core.cards import model_card, write_cards
from mnist_core.cli import eval_main
from mnist_core.models import count_parameters, create_model
from mnist_core.paths import HOME_ENV
from mnist_core.weights import WEIGHTS_ENV, load_weights, read_info, save_weights, shipped_path


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    """Cards read the user's retrained weights first: point that folder at an empty temporary one."""
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)
    return tmp_path / "home"


def front_matter(card: str) -> dict:
    m = re.match(r"---\n(.*?)\n---\n", card, re.DOTALL)
    assert m, "a card starts with YAML front-matter"
    return yaml.safe_load(m.group(1))


def test_card_of_a_shipped_model():
    card = model_card("cnn_small", generated="2026-01-02")
    info = read_info(shipped_path("cnn_small"))
    meta = front_matter(card)
    assert meta["license"] == "mit" and meta["library_name"] == "pytorch"
    assert {"mnist", "image-classification", "handwriting"} <= set(meta["tags"])
    assert meta["datasets"] == ["mnist"] and meta["metrics"] == ["accuracy"]
    (result,) = meta["model-index"][0]["results"]
    assert meta["model-index"][0]["name"] == "cnn_small"
    assert result["dataset"]["type"] == "mnist" and result["metrics"][0]["value"] == info.test_accuracy
    assert f"**{count_parameters(create_model('cnn_small')):,} parameters**" in card
    assert f"**{info.test_accuracy:.2%}**" in card
    assert "mnist-train --model cnn_small\n" in card
    assert info.sha256 in card and "2026-01-02" in card and "shipped with the package" in card
    assert "Not measured for this card" in card  # no dev sets given


@pytest.mark.parametrize("where", ["weights_dir", "user folder"])
def test_card_follows_the_files_metadata(tmp_path, home, where):
    """A copy of the shipped file with other metadata: retrained weights, in an explicit folder or
    in the user's data folder (where load order finds them before the shipped ones)."""
    model, info = load_weights(shipped_path("cnn_small"))
    folder = tmp_path / "w" if where == "weights_dir" else home / "weights"
    cfg = {**info.train_config, "epochs": 2, "lr": 0.1, "warmup": 0.3}
    save_weights(model, "cnn_small", folder / "cnn_small.safetensors", test_accuracy=0.5, epochs=2,
                 train_config=cfg, train_seconds=600.0)  # fmt: skip
    card = model_card("cnn_small", folder if where == "weights_dir" else None)
    result = front_matter(card)["model-index"][0]["results"][0]
    assert result["metrics"][0]["value"] == 0.5
    assert "**50.00%**" in card and "Trained for 2 epochs, in 10.0 min" in card
    assert "mnist-train --model cnn_small --epochs 2 --lr 0.1" in card  # the command for these settings
    assert "`warmup`" in card  # no flag sets it: named as set through the training API
    assert "shipped with the package" not in card


def test_write_cards_writes_one_file_per_name(tmp_path):
    out = tmp_path / "cards"
    paths = write_cards(out, ["mlp_128", "cnn_small"])
    assert [p.name for p in paths] == ["mlp_128.md", "cnn_small.md"]
    assert sorted(p.name for p in out.iterdir()) == ["cnn_small.md", "mlp_128.md"]  # no temp file left
    assert front_matter(paths[0].read_text())["model-index"][0]["name"] == "mlp_128"
    with pytest.raises(ValueError, match="unknown model"):
        write_cards(out, ["no_such_model"])


def test_a_tiny_dev_set_is_measured_and_shown(tmp_path):
    """Three drawings as a development set, read the way bench/real_handwriting.py reads them."""
    canvas = tmp_path / "dev" / "canvas"
    canvas.mkdir(parents=True)
    with open(canvas / "labels.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["filename", "label"])
        for d in "714":
            draw_digit(d).save(canvas / f"d{d}.png")
            w.writerow([f"d{d}.png", d])
    (path,) = write_cards(tmp_path / "cards", ["cnn_small"], dev_root=tmp_path / "dev")
    row = next(line for line in path.read_text().splitlines() if line.startswith("| drawings, one digit |"))
    assert row.split("|")[2].strip() == "3"  # images
    assert "Not measured" not in path.read_text()
    with pytest.raises(ValueError, match="no development set"):
        write_cards(tmp_path / "none", ["cnn_small"], dev_root=tmp_path / "nowhere")
    assert not (tmp_path / "none").exists()  # refused before anything is written


def test_the_card_command_prints_what_it_wrote(tmp_path, capsys):
    assert eval_main(["--card", str(tmp_path / "cards"), "--model", "lenet5"]) == 0
    assert capsys.readouterr().out.strip().endswith("lenet5.md")
    with pytest.raises(SystemExit):
        eval_main(["--card", str(tmp_path / "cards"), "--model", "no_such_model"])
