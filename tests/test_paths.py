"""Where files live: shipped weights as package data, and the user's data folder."""

from __future__ import annotations

from pathlib import Path

from mnist_core.models import list_models
from mnist_core.paths import HOME_ENV, data_home, shipped_weights_dir, user_weights_dir


def test_home_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "h"))
    assert data_home() == tmp_path / "h"
    assert user_weights_dir() == tmp_path / "h" / "weights"
    assert data_home(tmp_path / "x") == tmp_path / "x"  # an explicit folder wins


def test_home_defaults_to_the_platform_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(HOME_ENV)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert data_home() == tmp_path / "mnist-canvas"


def test_shipped_weights_hold_every_registered_model():
    folder = shipped_weights_dir()
    assert {p.stem for p in folder.glob("*.safetensors")} >= set(list_models())
    assert folder == Path(__file__).resolve().parent.parent / "weights"  # an editable install reads the clone's
