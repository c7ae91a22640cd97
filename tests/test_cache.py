from __future__ import annotations

from conftest import draw_digit
from mnist_core.cache import PredictorCache
from mnist_core.models import create_model
from mnist_core.paths import shipped_weights_dir
from mnist_core.predict import DETECTOR, SEGMENTER, Predictor


def test_corrupt_weights_fall_back_to_the_shipped_file(weights_copy):
    (weights_copy / "cnn.safetensors").write_bytes(b"garbage, as after a bad disk")
    data = bytearray((weights_copy / "lenet5.safetensors").read_bytes())
    data[-5] ^= 0xFF
    (weights_copy / "lenet5.safetensors").write_bytes(bytes(data))
    cache = PredictorCache(weights_copy)
    problems = cache.verify(["cnn", "lenet5", "mlp_128"])
    assert set(problems) == {"cnn", "lenet5"} and all("shipped" in p for p in problems.values())
    assert "checksum" in problems["lenet5"]
    assert cache.get("cnn").predict(draw_digit("7")).digit == 7


def test_every_model_in_the_cache_is_cut_by_its_segmenter_and_judged_by_its_detector(weights_copy):
    cache = PredictorCache(weights_copy)
    # a model trained in the app and put in use is cut by the segmenter too
    fresh = Predictor(create_model("cnn_small"), "cnn_small")
    cache.put("cnn_small", fresh)
    assert cache.get("cnn_small").segmenter is not None
    # one segmenter, loaded once, for every model; also for one whose own file is corrupt
    (weights_copy / "lenet5.safetensors").write_bytes(b"garbage")
    assert cache.get("lenet5").segmenter is cache.get("cnn").segmenter is cache.get(SEGMENTER)
    # ... and one detector; the two judges judge each other
    assert cache.get("lenet5").detector is cache.get("cnn_small").detector is cache.get(DETECTOR)
    assert cache.get(SEGMENTER).detector is cache.get(DETECTOR)
    assert cache.get(DETECTOR).segmenter is cache.get(SEGMENTER)
    # a judge retrained in the app judges every model from then on
    for judge, role in ((SEGMENTER, "segmenter"), (DETECTOR, "detector")):
        retrained = Predictor.from_file(shipped_weights_dir() / f"{judge}.safetensors")
        cache.put(judge, retrained)
        assert cache.get(judge) is retrained
        assert all(getattr(cache.get(m), role) is retrained for m in ("lenet5", "cnn", "cnn_small"))
