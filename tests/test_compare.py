from __future__ import annotations

import itertools
import json
import time

import numpy as np
import pytest
from PIL import Image

from conftest import draw_digit
from mnist_core import InputError
from mnist_core.compare import (
    ROW_HEADERS,
    ModelAnswer,
    answer_of,
    compare,
    disagreements,
    likeliest,
    majority,
    to_json,
    to_rows,
)
from mnist_core.models import list_models
from mnist_core.predict import Prediction


@pytest.fixture(scope="module")
def sevens(cache) -> list[ModelAnswer]:
    return compare(draw_digit("7"), cache)


def answer(model: str, text: str, confidence: float = 0.9) -> ModelAnswer:
    return ModelAnswer(model, text, confidence, ((text, confidence),), 1.0, False)


def test_every_registered_model_answers(sevens):
    assert [a.model for a in sevens] == list_models()


def test_a_drawn_seven_reads_seven(sevens):
    assert majority(sevens) == "7"
    assert sum(a.answer == "7" for a in sevens) >= 0.8 * len(sevens)


def test_answers_are_well_formed(sevens):
    for a in sevens:
        assert np.isfinite(a.milliseconds) and a.milliseconds > 0
        assert 0 < a.confidence <= 1
        assert a.top3[0] == (a.answer, pytest.approx(a.confidence))
        assert len(a.top3) == 3 and [p for _, p in a.top3] == sorted((p for _, p in a.top3), reverse=True)


def test_a_number_is_one_answer(cache):
    pair = np.concatenate([np.asarray(draw_digit("7", mode="RGB")), np.asarray(draw_digit("4", mode="RGB"))], axis=1)
    answers = compare(pair, cache, ["cnn_styles", "lenet5"])
    assert [a.answer for a in answers] == ["74", "74"]
    for a in answers:
        assert a.top3[0][0] == "74" and a.confidence == pytest.approx(a.top3[0][1])


def test_disagreements_on_constructed_answers():
    assert disagreements([]) == set()
    assert disagreements([answer("a", "7"), answer("b", "7"), answer("c", "1")]) == {"c"}
    assert disagreements([answer("a", "72"), answer("b", "12"), answer("c", "72"), answer("d", "72")]) == {"b"}
    assert disagreements([answer("a", "7"), answer("b", "7")]) == set()
    # a tie: the answer given more surely is the majority's
    assert disagreements([answer("a", "7", 0.9), answer("b", "1", 0.6)]) == {"b"}
    assert disagreements([answer("a", "7", 0.5), answer("b", "1", 0.6), answer("c", "7", 0.5)]) == {"b"}


def test_likeliest_readings_are_exact():
    rng = np.random.default_rng(0)
    for _ in range(20):
        probs = [rng.dirichlet(np.full(10, 0.3)) for _ in range(3)]
        every = sorted(
            (
                (f"{a}{b}{c}", probs[0][a] * probs[1][b] * probs[2][c])
                for a, b, c in itertools.product(range(10), repeat=3)
            ),
            key=lambda r: -r[1],
        )
        got = likeliest(probs)
        assert [s for s, _ in got] == [s for s, _ in every[:3]]
        assert [p for _, p in got] == pytest.approx([p for _, p in every[:3]])


class SlowPredictor:
    """Stands in for a Predictor: records what it was given and takes known time."""

    def __init__(self, name: str, answer: Prediction, seconds: float):
        self.name, self.answer, self.seconds, self.given = name, answer, seconds, []

    def predict(self, source):
        self.given.append(source)
        time.sleep(self.seconds)
        return self.answer


def test_the_image_is_decoded_once_and_only_predicting_is_timed(tmp_path, cache):
    path = tmp_path / "seven.png"
    draw_digit("7").save(path)
    real = cache.get("cnn_small").predict(path)
    slow = SlowPredictor("slow", real, 0.02)
    fast = SlowPredictor("fast", real, 0.0)
    answers = compare(path, {"slow": slow, "fast": fast})
    assert [a.model for a in answers] == ["cnn_small", "cnn_small"]  # the prediction's own model name
    assert isinstance(slow.given[0], Image.Image) and slow.given[0] is fast.given[0]
    assert answers[0].milliseconds >= 20 and answers[1].milliseconds < 20
    assert compare(path, {"slow": slow}, repeats=3)[0].milliseconds >= 20 and len(slow.given) == 4


def test_names_choose_and_order_the_models(cache):
    answers = compare(draw_digit("1"), cache, ["lenet5", "mlp_128"])
    assert [a.model for a in answers] == ["lenet5", "mlp_128"]
    with pytest.raises(ValueError, match="unknown model"):
        compare(draw_digit("1"), cache, ["no_such_model"])
    with pytest.raises(ValueError, match="no predictor"):
        compare(draw_digit("1"), {"lenet5": cache.get("lenet5")}, ["mlp_128"])


@pytest.mark.parametrize("source", [np.zeros((0, 0), np.uint8), Image.new("L", (64, 64), 255), b"junk"])
def test_bad_input_raises_input_error(cache, source):
    with pytest.raises(InputError):
        compare(source, cache, ["cnn_small"])


def test_rows_and_json_for_a_table():
    answers = [answer("a", "7"), answer("b", "1", 0.4), answer("c", "7")]
    answers[1] = ModelAnswer("b", "1", 0.4, (("1", 0.4), ("7", 0.3), ("2", 0.1)), 12.345, True)
    rows = to_rows(answers, not_sure="?")
    assert all(len(r) == len(ROW_HEADERS) for r in rows)
    assert rows[1] == ["b", "1 (?)", 0.4, "1 0.40, 7 0.30, 2 0.10", 12.3, True]
    assert [r[-1] for r in rows] == [False, True, False]
    data = json.loads(json.dumps(to_json(answers)))
    assert data[1]["top3"][1] == {"answer": "7", "probability": 0.3} and data[1]["uncertain"] is True
    assert [d["disagrees"] for d in data] == [False, True, False]


def test_answer_of_a_real_prediction(cache):
    p = cache.get("mlp_128").predict(draw_digit("0"))
    a = answer_of(p, 3.0)
    assert (a.model, a.answer, a.milliseconds, a.uncertain) == ("mlp_128", p.number, 3.0, p.uncertain)
    assert a.confidence == pytest.approx(p.confidence)
