"""Why a model gave its answer, in one picture: explanation.py's data, drawn.

A title, then a row per digit read: the preprocessing step by step, where the model looked (red for
the digit read, blue against), on the 28x28 and on the drawing, and what its first layer sees. Every
text is in CAPTIONS, a dict that can be translated.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .explanation import Box, Explanation, FirstLayer, explain
from .image_io import ImageSource
from .predict import Predictor
from .render import FIT_BOX

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
