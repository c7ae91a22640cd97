from __future__ import annotations

import pytest
import torch

from mnist_core import weights as W
from mnist_core.models import create_model
from mnist_core.weights import WeightsError, load_weights, read_info, save_weights


def test_roundtrip_with_metadata(tmp_path):
    model = create_model("lenet5")
    path = tmp_path / "lenet5.safetensors"
    save_weights(model, "lenet5", path, test_accuracy=0.987, epochs=3, train_config={"lr": 0.1}, train_seconds=12.5)
    loaded, info = load_weights(path)
    assert info.model == "lenet5" and info.test_accuracy == pytest.approx(0.987) and info.epochs == 3
    assert info.train_config == {"lr": 0.1} and info.date.startswith("20")
    for a, b in zip(model.state_dict().values(), loaded.state_dict().values()):
        assert torch.equal(a, b)
    assert [p.name for p in tmp_path.iterdir()] == ["lenet5.safetensors"]  # no temp file left behind


def test_failed_write_leaves_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "mlp_128.safetensors"
    save_weights(create_model("mlp_128"), "mlp_128", path, test_accuracy=0.9)
    before = path.read_bytes()

    def crash(tensors, filename, metadata=None):
        open(filename, "wb").write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(W, "save_file", crash)
    with pytest.raises(OSError):
        save_weights(create_model("mlp_128"), "mlp_128", path, test_accuracy=0.5)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["mlp_128.safetensors"]


def test_corrupt_file_is_a_clear_error(tmp_path):
    path = tmp_path / "x.safetensors"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(WeightsError, match="not a readable weights file"):
        load_weights(path)


def test_flipped_bytes_fail_the_checksum(tmp_path):
    path = tmp_path / "mlp_128.safetensors"
    save_weights(create_model("mlp_128"), "mlp_128", path)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF  # inside the last tensor
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="checksum"):
        load_weights(path)


def test_pickle_files_are_not_loaded(tmp_path):
    path = tmp_path / "evil.safetensors"
    torch.save(create_model("mlp_128").state_dict(), path)  # a pickle, named like weights
    with pytest.raises(WeightsError):
        load_weights(path)


def test_missing_file(tmp_path):
    with pytest.raises(WeightsError, match="no weights file"):
        read_info(tmp_path / "none.safetensors")


def test_weights_dir_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_WEIGHTS", str(tmp_path))
    assert W.weights_path("cnn") == tmp_path / "cnn.safetensors"
    assert W.weights_path("cnn", tmp_path / "other") == tmp_path / "other" / "cnn.safetensors"
