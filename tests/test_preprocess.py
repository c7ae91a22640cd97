from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image
from scipy import ndimage

from conftest import draw_digit
from mnist_core.preprocess import (
    MNIST_MEAN,
    MNIST_STD,
    InputError,
    NoInkError,
    analyze,
    dilate,
    erode,
    load_image,
    normalize,
    preprocess,
    stroke_width,
    to_mnist,
)


def similar(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_output_is_normalized_28x28_tensor():
    x = preprocess(draw_digit("7"))
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32
    assert torch.isclose(x.min(), torch.tensor(-MNIST_MEAN / MNIST_STD), atol=1e-5)
    assert x.max() <= (1 - MNIST_MEAN) / MNIST_STD + 1e-5


def test_mnist_geometry_fit_20x20_and_centre_of_mass():
    img = to_mnist(draw_digit("0", offset=(-120, 90), scale=0.4))
    ys, xs = np.nonzero(img > 0.05)
    h, w = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    assert max(h, w) in (20, 21)  # 20 plus at most one anti-aliased row
    cy, cx = ndimage.center_of_mass(img)
    assert abs(cy - 13.5) <= 1.0 and abs(cx - 13.5) <= 1.0


def test_alpha_only_strokes_are_ink():
    """A sketchpad layer: black strokes, and black RGB under the transparent pixels too."""
    layer = draw_digit("4", paper=(0, 0, 0, 0))
    assert np.asarray(layer.convert("L")).max() == 0  # no ink at all without alpha
    reference = to_mnist(draw_digit("4"))
    assert similar(to_mnist(layer), reference) > 0.98


def test_white_strokes_on_transparency():
    layer = draw_digit("4", ink=(255, 255, 255, 255), paper=(0, 0, 0, 0))
    assert similar(to_mnist(layer), to_mnist(draw_digit("4"))) > 0.98


def test_colour_under_transparent_pixels_never_shows():
    """On a layer, random colours under the transparent pixels away from the strokes change nothing."""
    layer = np.array(draw_digit("4", paper=(0, 0, 0, 0)))
    noisy = layer.copy()
    clear = ~ndimage.binary_dilation(noisy[..., 3] > 0, iterations=8)
    noisy[clear, :3] = np.random.default_rng(0).integers(0, 256, (int(clear.sum()), 3), dtype=np.uint8)
    assert np.array_equal(to_mnist(noisy), to_mnist(layer))


@pytest.mark.parametrize(
    "ink,paper", [((255, 255, 255, 255), (0, 0, 0, 255)), ((20, 20, 120, 255), (230, 225, 210, 255))]
)
def test_polarity_detected(ink, paper):
    assert similar(to_mnist(draw_digit("7", ink=ink, paper=paper)), to_mnist(draw_digit("7"))) > 0.98


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F"])
def test_every_mode(mode):
    base = draw_digit("7")
    if mode == "I;16":
        img = Image.fromarray(np.asarray(base.convert("L"), np.uint16) * 257)
        assert img.mode.startswith("I;16")
    else:
        img = base.convert(mode)
    assert similar(to_mnist(img), to_mnist(base)) > 0.97


@pytest.mark.parametrize("orientation,transpose", [(3, Image.Transpose.ROTATE_180), (6, Image.Transpose.ROTATE_90),
                                                   (8, Image.Transpose.ROTATE_270)])  # fmt: skip
def test_exif_orientation_honoured(tmp_path, orientation, transpose):
    upright = draw_digit("7", mode="RGB")
    stored = upright.transpose(transpose)  # what the camera wrote; the tag says how to turn it back
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "photo.jpg"
    stored.save(path, exif=exif, quality=92)
    assert similar(to_mnist(path), to_mnist(upright)) > 0.97
    assert similar(to_mnist(stored), to_mnist(upright)) < 0.8  # without the tag it really is turned
    opened = Image.open(path)  # a caller's own image is turned as well, and left as it was
    assert similar(to_mnist(opened), to_mnist(upright)) > 0.97
    assert opened.size == stored.size and opened.getexif()[0x0112] == orientation


def test_thin_strokes_on_big_canvas_stay_visible():
    img = to_mnist(draw_digit("7", size=800, width=2))
    assert img.max() > 0.99
    # stroke width brought into MNIST's range (MNIST: 2.1-3.6 px at 10-90%)
    assert 1.8 <= stroke_width(img > 0.5) <= 4.0


def test_stroke_width_is_area_over_boundary():
    rng = np.random.default_rng(0)
    for _ in range(20):  # blobs of every shape, some touching the frame
        mask = ndimage.binary_opening(rng.random((40, 50)) > 0.45)
        boundary = (mask & ~ndimage.binary_erosion(mask, border_value=0)).sum()
        assert stroke_width(mask) == pytest.approx(2 * mask.sum() / max(boundary, 1))
    line = np.zeros((30, 30), bool)
    line[5:25, 10:14] = True  # a bar 4 px wide, 20 long: 44 of its 80 pixels are on its boundary
    assert stroke_width(line) == pytest.approx(2 * 80 / (80 - 2 * 18))
    assert stroke_width(np.zeros((5, 5), bool)) == 0.0


@pytest.mark.parametrize("r", [1, 2, 3, 5, 9])
def test_dilate_and_erode_by_a_disk(r):
    y, x = np.ogrid[-r : r + 1, -r : r + 1]
    disk = x * x + y * y <= r * r + r
    rng = np.random.default_rng(r)
    for shape in [(40, 50), (7, 30), (1, 1)]:  # random blobs, some wider than the frame is tall
        mask = rng.random(shape) > rng.random()
        assert (dilate(mask, r) == ndimage.binary_dilation(mask, disk)).all()
        assert (erode(mask, r) == ndimage.binary_erosion(mask, disk)).all()  # the frame's outside is empty


def test_huge_marker_strokes_thinned():
    img = to_mnist(draw_digit("4", size=400, width=70))
    assert stroke_width(img > 0.5) <= 4.5


def test_mnist_sample_survives_the_pipeline(mnist_test):
    """An MNIST digit through the full path comes out close to itself (up to a one-pixel shift of centring)."""

    def score(i: int) -> float:
        ours, orig = to_mnist(mnist_test.images[i].numpy()), mnist_test.images[i].numpy() / 255.0
        return max(similar(np.roll(ours, (dy, dx), (0, 1)), orig) for dy in (-1, 0, 1) for dx in (-1, 0, 1))

    scores = [score(i) for i in range(100)]
    assert np.median(scores) > 0.85 and min(scores) > 0.5


@pytest.mark.parametrize(
    "make",
    [
        lambda: Image.new("RGB", (300, 300), "white"),
        lambda: Image.new("RGBA", (300, 300), (0, 0, 0, 0)),
        lambda: Image.new("L", (50, 50), 128),
        lambda: np.zeros((28, 28), np.uint8),
        lambda: np.full((64, 64, 3), 255, np.uint8),
    ],
)
def test_no_ink_refused(make):
    with pytest.raises(NoInkError):
        to_mnist(make())


def test_faint_paper_noise_is_not_ink():
    rng = np.random.default_rng(0)
    paper = np.clip(rng.normal(0.9, 0.01, (240, 320)), 0, 1).astype(np.float32)
    with pytest.raises(NoInkError):
        to_mnist(paper)


NOISE_CASES = [(kind, side) for kind in ("uniform", "gaussian") for side in (16, 64, 300, 1200)]
NOISE_CASES += [("binary", 300), ("binary", 1200)]  # small binary noise: see the docstring


@pytest.mark.parametrize("kind,side", NOISE_CASES)
def test_noise_is_not_writing(kind, side):
    """Noise that fills the frame is refused at any size. (Small binary noise can still be read, as
    an unsure blob or a few 1s: enlarged, a scan that small cannot be told from a tight crop by its
    texture.)"""
    rng = np.random.default_rng(side)
    if kind == "uniform":
        img = rng.random((side, side))
    elif kind == "gaussian":
        img = np.clip(rng.normal(0.5, 0.15, (side, side)), 0, 1)
    else:
        img = (rng.random((side, side)) < 0.5).astype(np.float64)
    with pytest.raises(NoInkError):
        to_mnist((img * 255).astype(np.uint8))


def test_clutter_at_the_border_ignored():
    """A dark table edge along the top of a photo must not be taken for the digit."""
    img = draw_digit("1", size=400, mode="RGB")
    arr = np.asarray(img).copy()
    arr[:30] = 60  # table
    assert similar(to_mnist(arr), to_mnist(img)) > 0.97


def test_scan_that_fills_its_frame():
    """Scans of other collections: the digit touches all four borders."""
    digit = np.asarray(draw_digit("0", size=200).convert("L"))
    ys, xs = np.nonzero(digit < 128)
    tight = digit[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = tight.shape
    small = np.asarray(Image.fromarray(tight).resize((round(16 * w / h), 16), Image.Resampling.BOX))
    out = to_mnist(small)
    assert out[12:16, 12:16].max() < 0.3  # the hole of the 0 stayed paper: polarity read from the frame
    assert similar(out, to_mnist(digit)) > 0.7


def test_small_scan_box_in_its_own_pixels():
    """A 1 that fills a 20x16 scan top to bottom: read whole, its box in the scan's pixels although
    the scan is enlarged and given a margin on the way (UCI's optdigits in test_real_handwriting)."""
    scan = np.full((20, 16), 255, np.uint8)
    scan[:, 6:10] = 0
    (digit,) = analyze(scan)
    assert digit.box == (6, 0, 10, 20)
    bar = digit.image > 0.5
    assert bar.sum(0).max() == 20 and bar.any(0).sum() <= 6  # a tall, narrow stroke filling the 20 px box


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "not an image"),
        (b"hello, I am text", "not an image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "not an image"),
    ],
)
def test_unreadable_bytes(data, message):
    with pytest.raises(InputError, match=message):
        load_image(data)


def test_truncated_file():
    buf = io.BytesIO()
    draw_digit("7", mode="RGB").save(buf, "PNG")
    with pytest.raises(InputError):
        to_mnist(buf.getvalue()[: len(buf.getvalue()) // 2])


def test_decompression_bomb_refused_before_decoding():
    buf = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buf, "PNG")  # 400 MP in a few kB
    assert len(buf.getvalue()) < 200_000
    with pytest.raises(InputError, match="too large"):
        to_mnist(buf.getvalue())


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        to_mnist(tmp_path / "nope.png")


def test_normalize_matches_mnist_statistics(mnist_train):
    x = normalize(mnist_train.images[:10000])
    assert abs(float(x.mean())) < 0.02 and abs(float(x.std()) - 1) < 0.02
