"""Decoding: every mode, EXIF orientation, unreadable, truncated, missing and oversized inputs."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from conftest import draw_digit, similar
from mnist_core.errors import InputError
from mnist_core.image_io import load_image
from mnist_core.preprocess import to_mnist


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
