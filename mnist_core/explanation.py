"""Why a model gave its answer, as data: for every digit read (each digit of a number), three things.

- the preprocessing, step by step: the decoded input, the ink found, the digit's crop box, the
  20x20 fit and the centred 28x28 the model sees (rebuilt with preprocess's own functions);
- where the model looked: Captum's Integrated Gradients of the digit read, over the 28x28 and mapped
  back onto the drawing through the crop box;
- what the first layer sees: a CNN's first feature maps, or an MLP's strongest first hidden units
  (each unit's weights, and its weights times this input).

`explain` returns it; explain.py draws it as one picture (the app may draw it its own way).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from captum.attr import IntegratedGradients
from PIL import Image
from torch import nn

from .image_io import ImageSource, gray_alpha, load_image
from .ink import ink_map
from .models import split_outputs
from .predict import Prediction, Predictor
from .render import normalize
from .segment import bounding_box

# Integration steps (Gauss-Legendre): enough for the attributions to add up closely to the logit's rise
# from the black baseline (Captum's convergence delta) on every model, at a fraction of a second a digit.
IG_STEPS = 64
TOP_UNITS = 8  # an MLP's strongest first hidden units shown
MAX_MAPS = 32  # a CNN's first feature maps shown (the strongest, when it has more)
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)
ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.GELU, nn.SiLU, nn.ELU, nn.Tanh, nn.Sigmoid)


@dataclass(frozen=True)
class FirstLayer:
    kind: str  # "conv": the first convolution's feature maps; "linear": the first Linear's strongest units
    maps: np.ndarray  # (K, h, w): feature maps after the activation, or each unit's weights x this input (28x28)
    units: tuple[int, ...]  # the channel or hidden unit of each map
    activations: np.ndarray  # (K,): each feature map's mean, or each unit's activation
    weights: np.ndarray | None = None  # (K, 28, 28): each unit's weights ("linear" only)


@dataclass(frozen=True)
class DigitExplanation:
    prediction: Prediction  # this digit's own (its image is the centred 28x28 the model saw)
    box: Box  # x0, y0, x1, y1 (exclusive) in the working image's pixels (Explanation.drawing)
    fit: np.ndarray  # the digit fitted into the FIT_BOX square, before centring
    attribution: np.ndarray  # (28, 28) Integrated Gradients of the read digit's logit, from a black image
    on_drawing: np.ndarray  # the attribution stretched over the crop box of the working image, 0 elsewhere
    first_layer: FirstLayer


@dataclass(frozen=True)
class Explanation:
    model: str
    prediction: Prediction
    drawing: np.ndarray  # (H, W) grey in [0, 1]: the decoded input at preprocessing's working resolution
    ink: np.ndarray  # (H, W) ink strength in [0, 1], whatever the polarity (ink.ink_map)
    digits: tuple[DigitExplanation, ...]  # left to right


def explain(predictor: Predictor, source: ImageSource, steps: int = IG_STEPS) -> Explanation:
    """Predict `source` and explain every digit read. Raises InputError as Predictor.predict does."""
    # decoded once: predicting and the pictures then read the same pixels, and box units agree
    decoded = source if isinstance(source, np.ndarray) else load_image(source)
    prediction = predictor.predict(decoded)
    gray, alpha, scale = gray_alpha(decoded)
    ink = ink_map(gray, alpha, even_light=scale < 1)  # as preprocess.analyze finds it (scale < 1: a scan)
    reads = prediction.digits or (prediction,)
    images = np.stack([p.image for p in reads]).astype(np.float32)
    attributions = integrated_gradients(predictor.model, images, [p.digit for p in reads], steps)
    layers = first_layer(predictor.model, images)
    digits = []
    for p, attr, layer in zip(reads, attributions, layers, strict=True):
        box = _working_box(p.box, scale, gray.shape)
        digits.append(DigitExplanation(p, box, fit_of(p.image), attr, onto_box(attr, p.image, box, gray.shape), layer))
    return Explanation(predictor.name, prediction, _visible(gray, alpha), ink, tuple(digits))


def integrated_gradients(model: nn.Module, images: np.ndarray, targets: list[int], steps: int = IG_STEPS) -> np.ndarray:
    """(B, 28, 28) [0, 1] images -> (B, 28, 28) Integrated Gradients of each target digit's logit.

    Over the [0, 1] pixels, not the normalized input, so a black image (no ink) is the baseline: each
    pixel's share says how much its ink raised (or lowered) the digit's logit.
    """

    def digit_logits(x: torch.Tensor) -> torch.Tensor:
        return split_outputs(model(normalize(x)))[0]  # a "no digit" output is left out: the digit is explained

    x = torch.from_numpy(images).unsqueeze(1)
    with torch.enable_grad():
        attr: torch.Tensor = IntegratedGradients(digit_logits).attribute(
            x, baselines=0.0, target=targets, n_steps=steps
        )
    return attr[:, 0].detach().numpy()


def first_layer(model: nn.Module, images: np.ndarray, top: int = TOP_UNITS) -> list[FirstLayer]:
    """What the first Conv2d or Linear layer makes of each (28, 28) [0, 1] image, after its activation.

    Runs the model's leading layers in module order, which is the order they run in for a sequential
    model (every registered model).
    """
    leaves = [m for m in model.modules() if not any(True for _ in m.children())]
    first = next((i for i, m in enumerate(leaves) if isinstance(m, (nn.Conv2d, nn.Linear))), None)
    if first is None:
        raise ValueError(f"{type(model).__name__} has no Conv2d or Linear layer to show")
    end = first + 1
    for i in range(first + 1, len(leaves)):  # up to its activation: what the next layer receives
        if isinstance(leaves[i], (nn.Conv2d, nn.Linear)):
            break
        if isinstance(leaves[i], ACTIVATIONS):
            end = i + 1
            break
    x = normalize(torch.from_numpy(images).unsqueeze(1))
    with torch.inference_mode():
        h = x
        for m in leaves[:end]:
            h = m(h)
    layer = leaves[first]
    if isinstance(layer, nn.Conv2d):
        return [_conv_maps(maps.numpy()) for maps in h]
    assert isinstance(layer, nn.Linear)
    return [_linear_units(layer, a.numpy(), xi[0].numpy(), top) for a, xi in zip(h, x, strict=True)]


def _conv_maps(maps: np.ndarray) -> FirstLayer:
    means = maps.mean(axis=(1, 2))
    units = np.sort(np.argsort(-means, kind="stable")[:MAX_MAPS])  # the strongest, in channel order
    return FirstLayer("conv", maps[units], tuple(int(u) for u in units), means[units])


def _linear_units(layer: nn.Linear, activations: np.ndarray, x: np.ndarray, top: int) -> FirstLayer:
    """The `top` most active hidden units: their weights, and weights x input (the unit's input,
    pixel by pixel, before its bias)."""
    if layer.in_features != x.size:
        raise ValueError(f"the first Linear layer takes {layer.in_features} inputs, not the image's {x.size} pixels")
    units = np.argsort(-activations, kind="stable")[:top]
    weights = layer.weight.detach().numpy()[units].reshape(-1, *x.shape)
    return FirstLayer("linear", weights * x, tuple(int(u) for u in units), activations[units], weights)


def fit_of(image: np.ndarray) -> np.ndarray:
    """The digit as it was fitted into the FIT_BOX square: the centred image's ink, cropped (centring
    only moves it, whole, inside the frame)."""
    box = bounding_box(image > 0)
    assert box is not None, "a predicted digit has ink"
    return image[box]


def onto_box(attr: np.ndarray, image: np.ndarray, box: Box, shape: tuple[int, ...]) -> np.ndarray:
    """The 28x28 attribution over the digit's ink, stretched onto its crop box in an array of `shape`.

    The ink's extent in the 28x28 is the crop box, scaled: exact but for the stroke width, which
    rendering may have thickened or thinned (render.render_mnist).
    """
    out = np.zeros(shape[:2], np.float32)
    x0, y0, x1, y1 = box
    if x1 <= x0 or y1 <= y0:
        return out
    rows, cols = bounding_box(image > 0)  # type: ignore[misc]
    patch = Image.fromarray(np.ascontiguousarray(attr[rows, cols], np.float32), mode="F")
    out[y0:y1, x0:x1] = np.asarray(patch.resize((x1 - x0, y1 - y0), Image.Resampling.BILINEAR))
    return out


def _working_box(box: Box | None, scale: float, shape: tuple[int, ...]) -> Box:
    """A box in the input's pixels -> the working image's, inside its frame."""
    h, w = shape[:2]
    if box is None:
        return 0, 0, w, h
    x0, y0, x1, y1 = (v / scale for v in box)
    return (min(max(int(np.floor(x0)), 0), w), min(max(int(np.floor(y0)), 0), h),
            min(max(int(np.ceil(x1)), 0), w), min(max(int(np.ceil(y1)), 0), h))  # fmt: skip


def _visible(gray: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """The input as a screen shows it: a transparent layer composited on a backdrop that contrasts
    with its strokes (its grey alone is often black everywhere)."""
    if alpha is None:
        return gray
    painted = float(alpha.sum())
    tone = float((gray * alpha).sum() / painted) if painted > 1e-3 else 0.0
    backdrop = 1.0 if tone < 0.5 else 0.0
    shown: np.ndarray = gray * alpha + backdrop * (1.0 - alpha)
    return shown
