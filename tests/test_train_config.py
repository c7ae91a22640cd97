from __future__ import annotations

import pytest

from mnist_core.train_config import TrainConfig


def test_config_validation():
    with pytest.raises(ValueError, match="unknown training settings: colour"):
        TrainConfig.from_dict({"colour": "red"})
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(epochs="3")
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(optimizer="lbfgs")
    with pytest.raises(ValueError, match="pairs"):
        TrainConfig(pairs=2.0)
    with pytest.raises(ValueError, match="turned"):
        TrainConfig(turned=-0.1)
    with pytest.raises(ValueError, match="letters"):
        TrainConfig(letters=1.5)
    with pytest.raises(ValueError, match="learning rate"):
        TrainConfig(lr=float("nan"))
    with pytest.raises(ValueError, match="limit"):
        TrainConfig(limit=-1)
    with pytest.raises(ValueError, match="unknown model 'resnet'"):
        TrainConfig(start_from="resnet")
    assert TrainConfig.for_model("cnn", epochs=2).epochs == 2


def test_the_device_is_where_not_what():
    """A config names its device, checked as a name; configs differing only there are the same recipe."""
    from mnist_core.devices import DeviceError

    with pytest.raises(DeviceError, match="unknown device 'tpu'"):
        TrainConfig(device="tpu")
    elsewhere = TrainConfig.for_model("cnn", device="cuda:1")  # recorded on a GPU machine, read on any
    assert elsewhere == TrainConfig.for_model("cnn") and elsewhere.to_dict()["device"] == "cuda:1"
    assert TrainConfig.from_dict(elsewhere.to_dict()).device == "cuda:1"
