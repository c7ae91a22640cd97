"""Why a model gave its answer: the data, and one picture of it.

For every digit read (each digit of a number), three things:

- the preprocessing, step by step: the decoded input, the ink found, the digit's crop box, the
  20x20 fit and the centred 28x28 the model sees (rebuilt with preprocess's own functions);
- where the model looked: Captum's Integrated Gradients of the digit read, over the 28x28 and mapped
  back onto the drawing through the crop box;
- what the first layer sees: a CNN's first feature maps, or an MLP's strongest first hidden units
  (each unit's weights, and its weights times this input).

`explain` returns the data (the app may draw it its own way); `render` draws it as one picture, its
captions a dict that can be translated.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import torch
from captum.attr import IntegratedGradients
from PIL import Image, ImageDraw, ImageFont
from torch import nn

from .image_io import ImageSource, gray_alpha, load_image
from .ink import ink_map
from .models import split_outputs
from .predict import Prediction, Predictor
from .render import FIT_BOX, normalize
from .segment import bounding_box

# Integration steps (Gauss-Legendre): enough for the attributions to add up closely to the logit's rise
# from the black baseline (Captum's convergence delta) on every model, at a fraction of a second a digit.
IG_STEPS = 64
TOP_UNITS = 8  # an MLP's strongest first hidden units shown
MAX_MAPS = 32  # a CNN's first feature maps shown (the strongest, when it has more)
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)
ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.GELU, nn.SiLU, nn.ELU, nn.Tanh, nn.Sigmoid)

# Every text of the picture, by key; `render(captions=...)` replaces any of them (another language).
# Fields in braces are filled in; a translation keeps them.
CAPTIONS: dict[str, str] = {
    "title": "{model} reads {answer}",
    "not_sure": "{model} is not sure: {answer}?",
    "digit": "digit {index} of {count}: {digit} ({confidence:.0%})",
    "legend": "red: for {digit}, blue: against",
    "input": "input",
    "ink": "ink found",
    "box": "crop box",
    "fit": "20x20 fit",
    "centred": "28x28 centred",
    "heat": "where it looked",
    "heat_input": "on the drawing",
    "conv": "first layer: {count} feature maps",
    "linear": "first layer: top {count} units, weights / x input",
}


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


# --- the data -------------------------------------------------------------------------------------


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


# --- the picture ----------------------------------------------------------------------------------

PANEL = 112  # side of a square panel: 4 px per MNIST pixel
GAP = 10
MARGIN = 10
CAPTION_SIZE = 12
LINE = CAPTION_SIZE + 6  # a line of text
TITLE = CAPTION_SIZE + 12
GRID_WIDTH = 2 * PANEL + GAP  # the first layer's panel spans two
ROW = 2 * LINE + PANEL  # a digit's header, the captions, the panels
# the panels of a row, left to right ("layer": the first layer, captioned "conv" or "linear")
PANELS = ("input", "ink", "box", "fit", "centred", "heat", "heat_input", "layer")
WHITE, FRAME, TEXT, BOX = (255, 255, 255), (200, 200, 200), (30, 30, 30), (230, 60, 20)
RED, BLUE = np.array([215, 40, 30], np.float32), np.array([30, 90, 215], np.float32)
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def picture_size(rows: int) -> tuple[int, int]:
    """(width, height) of `render`'s picture for this many digits."""
    width = 2 * MARGIN + (len(PANELS) - 1) * (PANEL + GAP) + GRID_WIDTH
    return width, MARGIN + TITLE + rows * (ROW + GAP) - GAP + MARGIN


def panel_box(row: int, key: str) -> Box:
    """Where a panel's slot lies in `render`'s picture: x0, y0, x1, y1 (exclusive). A panel smaller
    than its slot (the 20x20 fit, a wide input) is centred in it."""
    slot = PANELS.index(key)
    x0 = MARGIN + slot * (PANEL + GAP)
    y0 = MARGIN + TITLE + row * (ROW + GAP) + 2 * LINE
    return x0, y0, x0 + (GRID_WIDTH if key == "layer" else PANEL), y0 + PANEL


def render(expl: Explanation, captions: dict[str, str] | None = None, font: str | None = None) -> Image.Image:
    """One RGB picture: a title, then a row per digit of the preprocessing, the attribution and the
    first layer (PANELS). `captions` replaces texts of CAPTIONS by key; `font`: a TrueType file for
    scripts the default font lacks (Chinese)."""
    texts = _captions(captions)
    small, large = _font(font, CAPTION_SIZE), _font(font, CAPTION_SIZE + 3)
    canvas = Image.new("RGB", picture_size(len(expl.digits)), WHITE)
    draw = ImageDraw.Draw(canvas)
    p = expl.prediction
    title = texts["not_sure" if p.uncertain else "title"].format(model=expl.model, answer=p.number)
    draw.text((MARGIN, MARGIN), _shorten(draw, title, canvas.width - 2 * MARGIN, large), fill=TEXT, font=large)
    for i in range(len(expl.digits)):
        _row(canvas, draw, expl, i, texts, small)
    return canvas


def explain_png(predictor: Predictor, source: ImageSource, captions: dict[str, str] | None = None,
                font: str | None = None) -> bytes:  # fmt: skip
    """`render(explain(...))` as PNG bytes."""
    out = io.BytesIO()
    render(explain(predictor, source), captions, font).save(out, format="PNG")
    return out.getvalue()


def _captions(captions: dict[str, str] | None) -> dict[str, str]:
    unknown = set(captions or {}) - set(CAPTIONS)
    if unknown:
        raise ValueError(f"unknown caption keys {sorted(unknown)}; known: {', '.join(CAPTIONS)}")
    return {**CAPTIONS, **(captions or {})}


def _font(path: str | None, size: int) -> Font:
    if path:
        return ImageFont.truetype(path, size)
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: its small bitmap font
        return ImageFont.load_default()


def _row(canvas: Image.Image, draw: ImageDraw.ImageDraw, expl: Explanation, index: int, texts: dict[str, str],
         font: Font) -> None:  # fmt: skip
    d = expl.digits[index]
    p = d.prediction
    header = texts["digit"].format(index=index + 1, count=len(expl.digits), digit=p.digit, confidence=p.confidence)
    text = f"{header}    {texts['legend'].format(digit=p.digit)}"
    x0, y0, _, _ = panel_box(index, PANELS[0])
    draw.text((x0, y0 - 2 * LINE), _shorten(draw, text, canvas.width - 2 * MARGIN, font), fill=TEXT, font=font)
    scale = _heat_scale(d.attribution)
    shape = expl.drawing.shape
    nearest = Image.Resampling.NEAREST  # MNIST pixels shown as the blocks they are
    panels = {
        "input": _fit_panel(_grey_rgb(expl.drawing)),
        "ink": _fit_panel(_grey_rgb(expl.ink)),
        "box": _fit_panel(_with_box(_grey_rgb(expl.drawing), d.box, shape)),
        "fit": _fit_panel(_boxed_fit(d.fit), side=FIT_BOX * PANEL // 28, resample=nearest),  # at the 28x28's scale
        "centred": _fit_panel(_grey_rgb(p.image), resample=nearest),
        "heat": _fit_panel(_heat(1.0 - 0.6 * p.image, d.attribution, scale), resample=nearest),
        "heat_input": _fit_panel(_heat(0.35 + 0.65 * expl.drawing, d.on_drawing, scale).crop(_around(d.box, shape))),
        "layer": _grid(d.first_layer),
    }
    for key, image in panels.items():
        x0, y0, x1, y1 = panel_box(index, key)
        caption = texts[d.first_layer.kind if key == "layer" else key].format(count=len(d.first_layer.units))
        draw.text((x0, y0 - LINE), _shorten(draw, caption, x1 - x0, font), fill=TEXT, font=font)
        at = (x0 + (x1 - x0 - image.width) // 2, y0 + (y1 - y0 - image.height) // 2)
        canvas.paste(image, at)
        draw.rectangle((at[0] - 1, at[1] - 1, at[0] + image.width, at[1] + image.height), outline=FRAME)


def _shorten(draw: ImageDraw.ImageDraw, text: str, width: int, font: Font) -> str:
    """The caption cut to the panel's width (a long translation must not run into the next panel)."""
    while text and draw.textlength(text, font=font) > width:
        text = text[:-2] + "…"
    return text


def _grey_rgb(a: np.ndarray) -> Image.Image:
    return Image.fromarray((np.clip(a, 0, 1) * 255).astype(np.uint8)).convert("RGB")


def _fit_panel(
    image: Image.Image, side: int = PANEL, resample: Image.Resampling = Image.Resampling.BILINEAR
) -> Image.Image:
    """The image scaled to fit a square panel, aspect kept, on a light frame."""
    s = side / max(image.size)
    size = (max(1, round(image.width * s)), max(1, round(image.height * s)))
    panel = Image.new("RGB", (side, side), FRAME)
    panel.paste(image.resize(size, resample), ((side - size[0]) // 2, (side - size[1]) // 2))
    return panel


def _with_box(image: Image.Image, box: Box, shape: tuple[int, ...]) -> Image.Image:
    draw = ImageDraw.Draw(image)
    x0, y0, x1, y1 = box
    line = max(1, round(max(shape) / PANEL))  # about one panel pixel thick, whatever the input's size
    draw.rectangle((x0, y0, max(x0, x1 - 1), max(y0, y1 - 1)), outline=BOX, width=line)
    return image


def _around(box: Box, shape: tuple[int, ...], margin: float = 0.25) -> Box:
    """A square around the box with some margin, inside the frame: the digit large, with its
    surroundings (a digit of a long number is a sliver of the whole drawing)."""
    x0, y0, x1, y1 = box
    side = max(1, round(max(x1 - x0, y1 - y0) * (1 + 2 * margin)))
    h, w = shape[:2]
    left = min(max(0, (x0 + x1 - side) // 2), max(0, w - side))
    top = min(max(0, (y0 + y1 - side) // 2), max(0, h - side))
    return left, top, min(w, left + side), min(h, top + side)


def _boxed_fit(fit: np.ndarray) -> Image.Image:
    """The fitted digit in its FIT_BOX square (centred there: its place in the 28x28 comes next)."""
    frame = np.zeros((FIT_BOX, FIT_BOX), np.float32)
    h, w = fit.shape
    top, left = (FIT_BOX - h) // 2, (FIT_BOX - w) // 2
    frame[top : top + h, left : left + w] = fit
    return _grey_rgb(frame)


def _heat_scale(attr: np.ndarray) -> float:
    """The attribution shown at full colour: a high percentile, so that one extreme pixel does not
    wash out the rest."""
    nonzero = np.abs(attr[attr != 0])
    return float(np.percentile(nonzero, 98)) if nonzero.size else 1.0


def _heat(base: np.ndarray, attr: np.ndarray, scale: float) -> Image.Image:
    """Grey `base` with red where the attribution is for the digit and blue where it is against."""
    rgb = np.repeat(np.clip(base, 0, 1)[..., None] * 255, 3, axis=2).astype(np.float32)
    strength = np.clip(np.abs(attr) / max(scale, 1e-12), 0, 1)[..., None] * 0.9
    colour = np.where(attr[..., None] >= 0, RED, BLUE)
    return Image.fromarray((rgb * (1 - strength) + colour * strength).astype(np.uint8))


def _diverging(a: np.ndarray, scale: float) -> np.ndarray:
    """Signed values -> RGB: white at 0, red positive, blue negative."""
    t = np.clip(a / max(scale, 1e-12), -1, 1)[..., None]
    white = np.full(3, 255, np.float32)
    return np.where(t >= 0, white + (RED - white) * t, white + (BLUE - white) * -t)


def _grid(layer: FirstLayer) -> Image.Image:
    """The first layer as tiles: a CNN's feature maps (brighter: stronger), 8 to a row; an MLP's
    units, one per column, their weights above and weights x input below (red +, blue -)."""
    if layer.kind == "conv":
        peak = max(float(layer.maps.max()), 1e-12)
        tiles = [np.repeat((np.clip(m / peak, 0, 1) * 255)[..., None], 3, axis=2) for m in layer.maps]
        cols = 8
    else:
        assert layer.weights is not None
        w_scale = float(np.abs(layer.weights).max())
        x_scale = float(np.abs(layer.maps).max())
        tiles = [_diverging(w, w_scale) for w in layer.weights] + [_diverging(m, x_scale) for m in layer.maps]
        cols = len(layer.weights)
    rows = -(-len(tiles) // cols)
    tile = min(GRID_WIDTH // cols, PANEL // rows) - 1
    grid = Image.new("RGB", (cols * (tile + 1) - 1, rows * (tile + 1) - 1), FRAME)
    for i, t in enumerate(tiles):
        image = Image.fromarray(t.astype(np.uint8))
        resample = Image.Resampling.NEAREST if tile >= image.width else Image.Resampling.BOX
        grid.paste(image.resize((tile, tile), resample), ((i % cols) * (tile + 1), (i // cols) * (tile + 1)))
    return grid
