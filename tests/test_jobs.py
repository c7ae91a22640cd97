"""Background jobs: learning from corrections goes through the same keep/discard flow as retraining."""

from __future__ import annotations

import pytest
from test_learn import flagged_ones

from mnist_core.cache import PredictorCache
from mnist_core.jobs import RetrainJobs, candidate_path
from mnist_core.learn import LearnConfig
from mnist_core.weights import read_info


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_CANVAS_HOME", str(tmp_path))


def test_learning_from_corrections_is_a_job_to_keep(tmp_path, data_root):
    cache = PredictorCache()
    jobs = RetrainJobs(data_root=data_root, on_finished=cache.put)
    with pytest.raises(ValueError, match="no stored corrections"):
        jobs.start_learning("cnn_small", flagged_ones(1, seed=0).subset(slice(0, 0)))
    jobs.start_learning("cnn_small", flagged_ones(10, seed=1))
    state = jobs.wait(300)
    assert state.awaiting_decision and state.kind == "learn", state.message
    assert state.before is not None and state.after is not None and state.keep_allowed
    assert state.after.mnist == pytest.approx(read_info(candidate_path("cnn_small")).test_accuracy, abs=1e-6)
    jobs.keep()
    assert cache.get("cnn_small").info.sha256 == read_info(tmp_path / "weights" / "cnn_small.safetensors").sha256


def test_weights_that_forgot_mnist_cannot_be_kept(data_root):
    jobs = RetrainJobs(data_root=data_root)
    jobs.start_learning("cnn_small", flagged_ones(8, seed=3), LearnConfig(lr=5.0))
    state = jobs.wait(300)
    assert state.awaiting_decision and not state.keep_allowed, state.message
    with pytest.raises(ValueError, match="cannot be kept"):
        jobs.keep()
    assert jobs.discard().status == "discarded"
    assert not candidate_path("cnn_small").exists()
