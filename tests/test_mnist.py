"""MNIST: where it is found, loading it as tensors, the validation hold-out."""

from __future__ import annotations

import pytest
import torch

from mnist_core.mnist import DatasetNotFoundError, load_mnist, resolve_data_root, train_val_split


def test_data_root_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_DATA", str(tmp_path / "env"))
    assert resolve_data_root(tmp_path / "arg") == tmp_path / "arg"
    assert resolve_data_root() == tmp_path / "env"
    monkeypatch.delenv("MNIST_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert resolve_data_root() == tmp_path / "cache" / "mnist-canvas"


def test_missing_dataset_names_the_root_and_the_setting(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=str(tmp_path)) as err:
        load_mnist(tmp_path, train=False, download=False)
    assert "MNIST_DATA" in str(err.value)


def test_loaded_as_tensors(mnist_test):
    assert mnist_test.images.shape == (10000, 28, 28) and mnist_test.images.dtype == torch.uint8
    assert mnist_test.labels.shape == (10000,) and set(mnist_test.labels.tolist()) == set(range(10))


def test_validation_split_is_disjoint(mnist_test):
    a, b = train_val_split(mnist_test, 1000, seed=1)
    assert len(a) == 9000 and len(b) == 1000
    assert not (set(map(bytes, a.images[:50].numpy())) & set(map(bytes, b.images.numpy())))
