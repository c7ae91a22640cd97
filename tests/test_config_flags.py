"""Flags generated from configuration dataclasses: TrainConfig's fields are mnist-train's flags."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from mnist_core.config_flags import add_flags, flags, given, value_of, with_values
from mnist_core.train_config import TrainConfig


def parse(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_flags(p, TrainConfig)
    return p.parse_args(list(argv))


def test_every_documented_field_is_a_flag():
    paths = {f.path for f in flags(TrainConfig)}
    assert {"epochs", "lr", "start_from", "head_only", "negatives", "augmentation.elastic_px"} <= paths
    assert "device" not in paths  # where, not what: every command's --device
    assert all(f.help for f in flags(TrainConfig))


def test_given_flags_override_the_recipe_and_the_rest_follows_it():
    recipe = TrainConfig.for_model("cnn")
    cfg = with_values(recipe, given(parse("--epochs", "2", "--head-only", "--elastic", "1.5"), TrainConfig))
    assert (cfg.epochs, cfg.head_only, cfg.augmentation.elastic_px) == (2, True, 1.5)
    assert dataclasses.replace(cfg, epochs=recipe.epochs, head_only=recipe.head_only,
                               augmentation=recipe.augmentation) == recipe  # fmt: skip


def test_values_are_validated():
    with pytest.raises(ValueError, match="fractions"):
        with_values(TrainConfig(), given(parse("--styles", "2"), TrainConfig))
    with pytest.raises(SystemExit):
        parse("--epochs", "two")


def test_value_of_a_dotted_path():
    cfg = with_values(TrainConfig(), {"lr": 0.3, "augmentation.elastic_px": 1.5})
    assert (value_of(cfg, "lr"), value_of(cfg, "augmentation.elastic_px")) == (0.3, 1.5)
    assert value_of(cfg, "augmentation") == cfg.augmentation
