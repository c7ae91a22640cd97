"""The app in a real browser: Debian's Chromium driven by Playwright, mouse strokes on the sketchpad."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import REPO, draw_digit
from demo.app import AppConfig, build_demo

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


def drawing_area(page) -> dict:
    """The sketchpad's drawing area: the editor's canvas is wider than the square it centres."""
    box = page.locator("#draw-pad canvas").first.bounding_box()
    side = min(box["width"], box["height"]) * 0.9
    return {"x": box["x"] + (box["width"] - side) / 2, "y": box["y"] + (box["height"] - side) / 2, "side": side}


def draw(page, digit: str) -> None:
    a = drawing_area(page)
    for stroke in STROKES[digit]:
        pts = [(a["x"] + x * a["side"], a["y"] + y * a["side"]) for x, y in stroke]
        page.mouse.move(*pts[0])
        page.mouse.down()
        for x, y in pts[1:]:
            page.mouse.move(x, y, steps=12)
        page.mouse.up()


def predicted(page, prefix: str, expected: str, timeout: float = 20_000) -> str:
    label = page.locator(f"#{prefix}-label")
    label.locator("h2, .output-class").first.wait_for(timeout=timeout)
    page.wait_for_function(
        f"() => (document.querySelector('#{prefix}-label h2, #{prefix}-label .output-class') || {{}}).textContent?.trim() === '{expected}'",
        timeout=timeout,
    )
    return label.inner_text()


def seen_image_loaded(page, elem: str) -> bool:
    return page.locator(f"#{elem} img").count() > 0


def test_draw_without_picking_a_tool(page):
    draw(page, "7")  # no click on any tool first
    predicted(page, "draw", "7")
    assert seen_image_loaded(page, "draw-seen")
    page.screenshot(path=str(ARTIFACTS / "draw-7.png"))


def test_clear_then_draw_another(page):
    page.locator('#draw-pad button[aria-label="Clear canvas"]').click()
    page.wait_for_function("() => !document.querySelector('#draw-label h2, #draw-label .output-class')", timeout=20_000)
    draw(page, "4")
    predicted(page, "draw", "4")
    page.screenshot(path=str(ARTIFACTS / "draw-4.png"))


def test_switch_model(page):
    page.locator("#model-select input").click()
    page.get_by_role("option", name=re.compile(r"^lenet5")).click()
    page.wait_for_timeout(500)
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
