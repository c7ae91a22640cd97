"""The app in a real browser: Debian's Chromium driven by Playwright, mouse strokes on the sketchpad."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import REPO, draw_digit
from demo.app import CANVAS, AppConfig, build_demo

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip
ARTIFACTS = REPO / "test-artifacts"

# digits as mouse strokes, in units of the drawing area (0..1)
STROKES = {
    "7": [[(0.28, 0.22), (0.72, 0.22), (0.42, 0.82)]],
    "1": [[(0.42, 0.3), (0.55, 0.18), (0.55, 0.84)]],
    "4": [[(0.62, 0.84), (0.62, 0.16), (0.26, 0.6), (0.76, 0.6)]],
}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    wdir = tmp_path_factory.mktemp("weights")
    shutil.copytree(REPO / "weights", wdir, dirs_exist_ok=True)
    demo = build_demo(AppConfig(weights_dir=str(wdir)))
    demo.queue()
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def page(app_url):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: apt-get install chromium (.ci/run does this)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(app_url)
        page.wait_for_selector("#draw-pad canvas", timeout=60_000)
        yield page
        browser.close()


def drawing_area(page) -> tuple[float, float, float]:
    """Centre x, centre y and height of the sketchpad's drawing area (the editor's canvas is larger
    than the image it centres)."""
    box = page.locator("#draw-pad canvas").first.bounding_box()
    height = min(box["height"], box["width"] * CANVAS[1] / CANVAS[0]) * 0.9
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, height


def draw(page, text: str) -> None:
    """Each digit in a square cell, cells 0.6 of a side apart, as large as fits the drawing area."""
    cx, cy, height = drawing_area(page)
    side = min(height, height * CANVAS[0] / CANVAS[1] / (1 + 0.6 * (len(text) - 1))) * 0.95
    step = 0.6 * side
    left = cx - (step * (len(text) - 1) + side) / 2
    for i, digit in enumerate(text):
        x0, y0 = left + i * step, cy - side / 2
        for stroke in STROKES[digit]:
            pts = [(x0 + x * side, y0 + y * side) for x, y in stroke]
            page.mouse.move(*pts[0])
            page.mouse.down()
            for x, y in pts[1:]:
                page.mouse.move(x, y, steps=12)
            page.mouse.up()


def predicted(page, prefix: str, expected: str, timeout: float = 20_000) -> str:
    """Wait for the label to read `expected`; on a timeout, fail with what the page shows instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    label = page.locator(f"#{prefix}-label")
    try:
        page.wait_for_function(
            f"() => (document.querySelector('#{prefix}-label h2, #{prefix}-label .output-class') || {{}}).textContent?.trim() === '{expected}'",
            timeout=timeout,
        )
    except PlaywrightTimeout:
        page.screenshot(path=str(ARTIFACTS / f"failed-{prefix}-{expected}.png"))
        verdict = page.locator(f"#{prefix}-verdict").inner_text()
        pytest.fail(f"expected {expected!r} within {timeout / 1000:.0f} s; the page shows {verdict!r}")
    return label.inner_text()


def seen_image_loaded(page, elem: str) -> bool:
    return page.locator(f"#{elem} img").count() > 0


def clear(page) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.locator('#draw-pad button[aria-label="Clear canvas"]').click()
    try:
        page.wait_for_function("() => !document.querySelector('#draw-label h2, #draw-label .output-class')",
                               timeout=20_000)  # fmt: skip
    except PlaywrightTimeout:
        page.screenshot(path=str(ARTIFACTS / "failed-clear.png"))
        verdict = page.locator("#draw-verdict").inner_text()
        pytest.fail(f"the label is still there 20 s after Clear canvas; the page shows {verdict!r}")


def test_draw_without_picking_a_tool(page):
    draw(page, "7")  # no click on any tool first
    predicted(page, "draw", "7")
    assert seen_image_loaded(page, "draw-seen")
    page.screenshot(path=str(ARTIFACTS / "draw-7.png"))


def test_clear_then_draw_another(page):
    clear(page)
    draw(page, "4")
    predicted(page, "draw", "4")
    page.screenshot(path=str(ARTIFACTS / "draw-4.png"))


def test_draw_a_number(page):
    clear(page)
    draw(page, "471")
    predicted(page, "draw", "471")
    verdict = page.locator("#draw-verdict").inner_text()
    assert "3 digits" in verdict and verdict.count("%") >= 9  # each digit's top 3
    page.screenshot(path=str(ARTIFACTS / "draw-471.png"))
    clear(page)
    draw(page, "4")  # a single digit again, for the tests after this one
    predicted(page, "draw", "4")


def test_switch_model(page):
    page.locator("#model-select input").click()
    page.get_by_role("option", name=re.compile(r"^lenet5")).click()
    # both models read 4: wait for the new model's answer, not a fixed time (it raced on a busy machine)
    page.wait_for_function("() => document.querySelector('#draw-verdict')?.textContent.includes('lenet5')",
                           timeout=20_000)  # fmt: skip
    predicted(page, "draw", "4")
    assert "lenet5" in page.locator("#draw-verdict").inner_text()
    page.locator("#model-select input").click()
    page.get_by_role("option", name=re.compile(r"^cnn \(")).click()
    predicted(page, "draw", "4")


def test_upload_a_photo(page, tmp_path):
    path = tmp_path / "photo.jpg"
    draw_digit("1", size=600, width=14, ink=(30, 30, 90, 255), paper=(225, 222, 210, 255), mode="RGB").save(path)
    page.get_by_role("tab", name="Upload").click()
    page.locator("#upload-image input[type=file]").set_input_files(str(path))
    predicted(page, "upload", "1", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "upload-1.png"))


def test_upload_a_photo_of_a_number(page, dev_dir):
    page.get_by_role("tab", name="Upload").click()
    page.locator("#upload-image input[type=file]").set_input_files(str(dev_dir / "multi_photo" / "multi_photo_0003.jpg"))
    predicted(page, "upload", "5666", timeout=30_000)
    assert "4 digits" in page.locator("#upload-verdict").inner_text()
    page.screenshot(path=str(ARTIFACTS / "upload-5666.png"))
