from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage

from conftest import draw_digit
from mnist_core.explanation import explain
from mnist_core.models import list_models, split_outputs
from mnist_core.render import normalize


@pytest.mark.parametrize("name", list_models())
def test_attributions_add_up_to_the_digit_logit(cache, name):
    """Integrated Gradients' completeness: the pixels' shares sum to the read digit's logit minus
    its logit for a black image (for an 11-output model: the digit's, not the "no digit" logit)."""
    predictor = cache.get(name)
    d = explain(predictor, draw_digit("4")).digits[0]
    x = torch.from_numpy(d.prediction.image.astype(np.float32)).reshape(1, 1, 28, 28)
    with torch.no_grad():
        logits = [split_outputs(predictor.model(normalize(v)))[0][0, d.prediction.digit] for v in (x, 0 * x)]
    rise = float(logits[0] - logits[1])
    assert abs(float(d.attribution.sum()) - rise) < 0.05 * abs(rise)


@pytest.mark.parametrize("name", ["mlp_128", "mlp_deep"])
def test_mlp_units_are_their_inputs_pixel_by_pixel(cache, name):
    """weights x input, summed, plus the bias is the unit's input: its activation after the ReLU."""
    predictor = cache.get(name)
    d = explain(predictor, draw_digit("1")).digits[0]
    first = next(m for m in predictor.model.modules() if isinstance(m, torch.nn.Linear))
    bias = first.bias.detach().numpy()[list(d.first_layer.units)]
    pre = d.first_layer.maps.sum(axis=(1, 2)) + bias
    assert np.allclose(np.maximum(pre, 0), d.first_layer.activations, atol=1e-4)


@pytest.mark.parametrize("name", list_models())
@pytest.mark.parametrize("drawing", ["7", "4", "small 7 off centre"])
def test_heat_lies_on_the_drawn_ink(cache, name, drawing):
    """Mapped back through the crop box, the attribution lies on the strokes of the drawing; a digit
    drawn small in a corner tests the mapping (a box in the wrong place puts it on paper)."""
    source = draw_digit("7", offset=(90, -70), scale=0.45) if drawing.startswith("small") else draw_digit(drawing)
    expl = explain(cache.get(name), source)
    heat = np.abs(expl.digits[0].on_drawing)
    strokes = ndimage.binary_dilation(expl.ink > 0.3, iterations=2)
    assert heat[strokes].sum() > 0.75 * heat.sum()
    assert strokes.mean() < 0.25  # ... which is a small part of the picture
