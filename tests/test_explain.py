from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import draw_digit
from mnist_core import InputError
from mnist_core.explain import CAPTIONS, explain_png, panel_box, picture_size, render
from mnist_core.explanation import MAX_MAPS, TOP_UNITS, explain
from mnist_core.models import DEFAULT_MODEL, list_models


def drawn_pair() -> np.ndarray:
    """A 7 and a 4 side by side on one canvas: the number 74."""
    return np.concatenate([np.asarray(draw_digit("7", mode="RGB")), np.asarray(draw_digit("4", mode="RGB"))], axis=1)


def first_layer_type(model: torch.nn.Module) -> type:
    return next(type(m) for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)))


@pytest.mark.parametrize("name", list_models())
def test_every_model_explains_a_drawn_digit(cache, name):
    predictor = cache.get(name)
    expl = explain(predictor, draw_digit("7"))
    assert expl.model == name and expl.prediction.number == "7"
    (d,) = expl.digits
    assert d.attribution.shape == (28, 28) and d.on_drawing.shape == expl.drawing.shape == expl.ink.shape
    assert d.fit.shape[0] <= 20 and d.fit.shape[1] <= 20 and max(d.fit.shape) >= 19  # fitted to the 20x20 box
    layer = first_layer_type(predictor.model)
    if layer is torch.nn.Conv2d:
        first = next(m for m in predictor.model.modules() if isinstance(m, torch.nn.Conv2d))
        assert d.first_layer.kind == "conv" and len(d.first_layer.units) == min(first.out_channels, MAX_MAPS)
        assert (d.first_layer.maps >= 0).all()  # after its ReLU
    else:
        assert d.first_layer.kind == "linear" and d.first_layer.weights.shape == (TOP_UNITS, 28, 28)
        assert list(d.first_layer.activations) == sorted(d.first_layer.activations, reverse=True)
    picture = render(expl)
    assert picture.size == picture_size(1) and picture.mode == "RGB"
    # the 28x28 panel is the model's input, at 4 px a pixel
    x0, y0, x1, y1 = panel_box(0, "centred")
    shown = np.asarray(picture.crop((x0, y0, x1, y1)).convert("L"), np.float32)[::4, ::4] / 255
    assert np.abs(shown - d.prediction.image).max() < 0.01


def test_a_number_gives_a_row_per_digit(cache):
    expl = explain(cache.get(DEFAULT_MODEL), drawn_pair())
    assert expl.prediction.number == "74" and len(expl.digits) == 2
    (_, _, a1, _), (b0, _, _, _) = (d.box for d in expl.digits)
    middle = expl.drawing.shape[1] / 2
    assert a1 <= middle + 2 and b0 >= middle - 2  # each box is around its own digit
    assert render(expl).size == picture_size(2)
    assert picture_size(2)[1] > picture_size(1)[1]


@pytest.mark.parametrize(
    "source",
    [np.zeros((0, 0), np.uint8), Image.new("RGB", (200, 200), "white"), b"not an image"],
    ids=["empty", "blank", "not an image"],
)
def test_bad_input_raises_input_error(cache, source):
    with pytest.raises(InputError):
        explain(cache.get(DEFAULT_MODEL), source)
    with pytest.raises(InputError):
        explain_png(cache.get("mlp_128"), source)


def test_png_bytes_open_with_pil(cache):
    png = explain_png(cache.get(DEFAULT_MODEL), drawn_pair())
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == picture_size(2)
        image.load()


def test_captions_can_be_replaced_and_unknown_keys_are_refused(cache):
    expl = explain(cache.get("cnn_small"), draw_digit("7"))
    plain = np.asarray(render(expl))
    renamed = np.asarray(render(expl, {"title": "{model} → {answer}!", "heat": "X"}))
    assert (plain != renamed).any()
    x0, y0, x1, _ = panel_box(0, "centred")  # the panels themselves are the same
    assert (plain[y0:, x0:x1] == renamed[y0:, x0:x1]).all()
    with pytest.raises(ValueError, match="unknown caption"):
        render(expl, {"titel": "typo"})
    assert set(CAPTIONS) >= {"input", "ink", "box", "fit", "centred", "heat", "heat_input", "conv", "linear"}
