"""What browsers, phones and attackers send: every format and mode, bombs, junk named as images.

Each file gets a prediction or a clear error, through the Python API, the CLI and the app; nothing
crashes, and a decompression bomb is refused without decoding it.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import draw_digit
from mnist_core import DEFAULT_MODEL, InputError, Predictor


def _save(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def corpus() -> dict[str, tuple[bytes, str | None]]:
    """name -> (file content, the digit it shows or None when it must be refused)."""
    seven = draw_digit("7", size=300)
    rgb = seven.convert("RGB")
    files: dict[str, tuple[bytes, str | None]] = {}
    for mode in ["1", "L", "LA", "P", "RGB", "RGBA"]:
        files[f"png-{mode}.png"] = (_save(seven.convert(mode), "PNG"), "7")
    files["png-16bit.png"] = (_save(Image.fromarray(np.asarray(seven.convert("L"), np.uint16) * 257), "PNG"), "7")
    files["png-alpha-only.png"] = (_save(draw_digit("7", size=300, paper=(0, 0, 0, 0)), "PNG"), "7")
    files["jpeg-rgb.jpg"] = (_save(rgb, "JPEG", quality=80), "7")
    files["jpeg-gray.jpg"] = (_save(seven.convert("L"), "JPEG"), "7")
    files["jpeg-cmyk.jpg"] = (_save(rgb.convert("CMYK"), "JPEG"), "7")
    for orientation, turn in [
        (3, Image.Transpose.ROTATE_180),
        (6, Image.Transpose.ROTATE_90),
        (8, Image.Transpose.ROTATE_270),
    ]:
        exif = Image.Exif()
        exif[0x0112] = orientation
        files[f"jpeg-exif-{orientation}.jpg"] = (_save(rgb.transpose(turn), "JPEG", exif=exif), "7")
    files["webp.webp"] = (_save(rgb, "WEBP"), "7")
    files["gif.gif"] = (_save(rgb.convert("P"), "GIF"), "7")
    frames = [rgb.convert("P"), draw_digit("1", size=300).convert("RGB").convert("P")]
    files["gif-animated.gif"] = (_save(frames[0], "GIF", save_all=True, append_images=frames[1:]), "7")  # first frame
    files["bmp.bmp"] = (_save(rgb, "BMP"), "7")
    files["tiff.tiff"] = (_save(rgb, "TIFF"), "7")
    files["tiny-1x1.png"] = (_save(Image.new("L", (1, 1), 0), "PNG"), None)
    mnist_like = draw_digit("7", size=28, width=3).convert("L")
    files["mnist-28x28.png"] = (_save(Image.eval(mnist_like, lambda v: 255 - v), "PNG"), "7")
    files["bomb.png"] = (_save(Image.new("1", (30000, 30000)), "PNG"), None)
    files["empty.png"] = (b"", None)
    files["text.png"] = (b"just some text, honestly\n", None)
    files["page.jpg"] = (b"<!doctype html><html><body>hi</body></html>", None)
    files["drawing.png"] = (b"<svg xmlns='http://www.w3.org/2000/svg'><path d='M0 0L9 9'/></svg>", None)
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("a.txt", "x" * 1000)
    files["archive.png"] = (zbuf.getvalue(), None)
    png = files["png-RGB.png"][0]
    files["truncated.png"] = (png[: len(png) // 2], None)
    jpg = files["jpeg-rgb.jpg"][0]
    files["truncated.jpg"] = (jpg[: len(jpg) // 3], None)
    files["blank-white.png"] = (_save(Image.new("RGB", (400, 400), "white"), "PNG"), None)
    files["blank-transparent.png"] = (_save(Image.new("RGBA", (400, 400), (0, 0, 0, 0)), "PNG"), None)
    return files


CORPUS = corpus()


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("corpus")
    for name, (data, _) in CORPUS.items():
        (d / name).write_bytes(data)
    return d


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor.load(DEFAULT_MODEL)


@pytest.mark.parametrize("name", list(CORPUS))
def test_python_api(predictor, corpus_dir, name):
    expected = CORPUS[name][1]
    try:
        pred = predictor.predict(corpus_dir / name)
    except InputError as exc:
        assert expected is None, f"{name} refused: {exc}"
        assert str(exc)
        return
    assert expected is not None, f"{name} should have been refused, got {pred.digit}"
    assert str(pred.digit) == expected


def test_cli_reads_every_file_and_reports_each(corpus_dir):
    exe = shutil.which("mnist-predict")
    names = list(CORPUS)
    res = subprocess.run([exe, "--json", *names], capture_output=True, text=True, cwd=corpus_dir, timeout=300)
    assert res.returncode == 1  # some files are refused
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert [line["path"] for line in lines] == names
    for line in lines:
        expected = CORPUS[line["path"]][1]
        if expected is None:
            assert set(line) == {"path", "error"} and line["error"], line
        else:
            assert str(line.get("digit")) == expected, line


def test_bomb_refused_fast_with_bounded_memory(corpus_dir):
    """Peak RSS of a process that reads the 900-megapixel bomb stays near that of one reading a small file."""
    code = (
        "import resource, sys, time\n"
        "from mnist_core.errors import InputError\n"
        "from mnist_core.preprocess import to_mnist\n"
        "t = time.perf_counter()\n"
        "try: to_mnist(sys.argv[1])\n"
        "except InputError as e: print('refused', e)\n"
        "print(time.perf_counter() - t); print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )

    def run(path: Path) -> tuple[str, float, int]:
        out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
        lines = out.stdout.splitlines()
        return lines[0] if len(lines) == 3 else "", float(lines[-2]), int(lines[-1])

    msg, seconds, rss_bomb = run(corpus_dir / "bomb.png")
    _, _, rss_small = run(corpus_dir / "png-L.png")
    assert msg.startswith("refused") and "too large" in msg
    assert seconds < 0.5
    assert rss_bomb < rss_small + 50_000  # kB: the 900 MB image was never allocated


def test_app_survives_the_corpus(corpus_dir, tmp_path_factory):
    import httpx
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    from conftest import REPO
    from demo.app import AppConfig, serve

    wdir = tmp_path_factory.mktemp("weights")
    shutil.copytree(REPO / "weights", wdir, dirs_exist_ok=True)
    demo, url = serve(AppConfig(weights_dir=str(wdir)), port=None, block=False)
    try:
        client = Client(url, verbose=False)
        for name, (data, expected) in CORPUS.items():
            r = httpx.post(url + "v1/predict", files={"image": (name, data)}, timeout=60)
            if expected is None:
                assert r.status_code == 400 and r.json()["error"], (name, r.text)
            else:
                assert r.status_code == 200 and str(r.json()["digit"]) == expected, (name, r.text)
            if expected is None:
                with pytest.raises(AppError):
                    client.predict(handle_file(str(corpus_dir / name)), "cnn", api_name="/predict")
            else:
                assert client.predict(handle_file(str(corpus_dir / name)), "cnn", api_name="/predict")["digit"] == int(
                    expected
                )
        # still serving after all of it
        assert httpx.post(url + "v1/predict", files={"image": ("ok.png", CORPUS["png-RGB.png"][0])}).status_code == 200
    finally:
        demo.close()
