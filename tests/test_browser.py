"""The app in a real browser: Debian's Chromium driven by Playwright. Mouse strokes on a desktop page,
finger strokes on a phone-sized one, and the page in Simplified Chinese."""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import pytest

from conftest import REPO, draw_digit
from demo.app import CANVAS, AppConfig, build_demo
from demo.i18n import EN, ZH

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip
ARTIFACTS = REPO / "test-artifacts"
PHONE = {"width": 375, "height": 812}  # CSS px, an iPhone X-class screen

# digits as strokes of a mouse or a finger, in units of a square cell of the drawing area (0..1)
STROKES = {
    "7": [[(0.28, 0.22), (0.72, 0.22), (0.42, 0.82)]],
    "1": [[(0.42, 0.3), (0.55, 0.18), (0.55, 0.84)]],
    "4": [[(0.62, 0.84), (0.62, 0.16), (0.26, 0.6), (0.76, 0.6)]],
}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, data_root):
    wdir = tmp_path_factory.mktemp("weights")
    shutil.copytree(REPO / "weights", wdir, dirs_exist_ok=True)
    # train_limit: learning from corrections replays a few hundred MNIST images, not thousands
    demo = build_demo(AppConfig(weights_dir=str(wdir), data_root=str(data_root), train_limit=500))
    demo.queue()
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: apt-get install chromium (.ci/run does this)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def open_app(browser, url: str, **context):
    """The app in a fresh browser context (its own viewport, locale, touch), ready to draw on."""
    page = browser.new_context(**context).new_page()
    page.goto(url)
    page.wait_for_selector("#draw-pad canvas", timeout=60_000)
    page.wait_for_selector('#draw-pad button[aria-label="Brush"].highlight', timeout=20_000)  # armed on load
    return page


@pytest.fixture(scope="module")
def page(browser, app_url):
    page = open_app(browser, app_url, viewport={"width": 1280, "height": 1000})
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def phone(browser, app_url):
    page = open_app(browser, app_url, viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def chinese(browser, app_url):
    page = open_app(browser, app_url, viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    yield page
    page.context.close()


def drawing_area(page) -> tuple[float, float, float, float]:
    """Centre x, centre y, width and height of the sketchpad's drawing area: the editor's canvas is
    larger than the image it centres, shown at the zoom the editor displays."""
    box = page.locator("#draw-pad canvas").first.bounding_box()
    zoom = float(page.locator("#draw-pad .zoom-number").inner_text().strip().rstrip("%")) / 100
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, CANVAS[0] * zoom, CANVAS[1] * zoom


def mouse_stroke(page, pts: list[tuple[float, float]]) -> None:
    page.mouse.move(*pts[0])
    page.mouse.down()
    for x, y in pts[1:]:
        page.mouse.move(x, y, steps=12)
    page.mouse.up()


def touch_stroke(page, pts: list[tuple[float, float]]) -> None:
    """One finger down, along the points, up: real touch input through Chromium's input pipeline
    (Playwright's touchscreen only taps), so the browser may scroll the page instead, as a phone would."""
    cdp = page.context.new_cdp_session(page)

    def send(kind: str, points: list[tuple[float, float]]) -> None:
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y} for x, y in points]})

    send("touchStart", pts[:1])
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        for i in range(1, 13):
            send("touchMove", [(x0 + (x1 - x0) * i / 12, y0 + (y1 - y0) * i / 12)])
    send("touchEnd", [])
    cdp.detach()


def draw(page, text: str, stroke=mouse_stroke) -> None:
    """Each digit in a square cell, cells 0.6 of a side apart, as large as fits the drawing area."""
    cx, cy, width, height = drawing_area(page)
    side = min(height, width / (1 + 0.6 * (len(text) - 1))) * 0.95
    step = 0.6 * side
    left = cx - (step * (len(text) - 1) + side) / 2
    for i, digit in enumerate(text):
        x0, y0 = left + i * step, cy - side / 2
        for points in STROKES[digit]:
            stroke(page, [(x0 + x * side, y0 + y * side) for x, y in points])


def overlap(a: dict, b: tuple[float, float, float, float]) -> bool:
    """Whether a bounding box overlaps an area given as (centre x, centre y, width, height)."""
    cx, cy, w, h = b
    return (
        a["x"] < cx + w / 2
        and cx - w / 2 < a["x"] + a["width"]
        and a["y"] < cy + h / 2
        and cy - h / 2 < a["y"] + a["height"]
    )


def predicted(page, prefix: str, expected: str, timeout: float = 20_000) -> str:
    """Wait for the label to read `expected`; on a timeout, fail with what the page shows instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    label = page.locator(f"#{prefix}-label")
    try:
        shown = f"(document.querySelector('#{prefix}-label h2, #{prefix}-label .output-class') || {{}})"
        page.wait_for_function(f"() => {shown}.textContent?.trim() === '{expected}'", timeout=timeout)
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
    page.locator("#upload-image input[type=file]").set_input_files(
        str(dev_dir / "multi_photo" / "multi_photo_0003.jpg")
    )
    predicted(page, "upload", "5666", timeout=30_000)
    assert "4 digits" in page.locator("#upload-verdict").inner_text()
    page.screenshot(path=str(ARTIFACTS / "upload-5666.png"))


def test_english_texts(page):
    """The page shows the English table's texts (not its keys: translations come with launch())."""
    page.get_by_role("tab", name="Draw").click()
    assert page.locator("#draw-label [data-testid=block-label]").inner_text().strip() == EN["prediction"]
    assert page.locator("#draw-pad [data-testid=block-label]").inner_text().strip() == EN["pad_label"]
    assert "see what a neural network reads" in page.locator("body").inner_text()


def page_text(page, elem: str, expected: str, timeout: float = 20_000) -> str:
    """Wait for an element's text to contain `expected`; on a timeout, fail with what it shows instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(f"() => document.querySelector('#{elem}')?.textContent.includes({expected!r})",
                               timeout=timeout)  # fmt: skip
    except PlaywrightTimeout:
        page.screenshot(path=str(ARTIFACTS / f"failed-{elem}.png"))
        shown = page.locator(f"#{elem}").inner_text()
        pytest.fail(f"#{elem} does not say {expected!r} within {timeout / 1000:.0f} s; it says {shown!r}")
    return page.locator(f"#{elem}").inner_text()


def test_correct_then_learn_from_my_corrections(page):
    """One click says the 7 read was a 1; "Learn from my corrections" fine-tunes cnn_small on it and
    shows the accuracy before and after."""
    page.get_by_role("tab", name="Draw").click()
    clear(page)
    draw(page, "7")
    predicted(page, "draw", "7")
    page.locator("#draw-correct-1").click()
    assert "it is 1 (the model read 7). Your corrections: 1." in page_text(page, "draw-ack", "Saved")
    page.get_by_role("tab", name="Retrain").click()
    page_text(page, "mine-count", "Your corrections: 1.")
    assert page.locator("#mine-gallery img").count() == 1
    assert page.locator("#learn-keep").is_disabled()  # nothing to keep before learning
    page.locator("#learn-start").click()
    scores = page_text(page, "learn-scores", EN["ln_mnist"], timeout=60_000)
    assert EN["ln_held_out"] in scores and EN["ln_all"] in scores and scores.count("%") >= 4
    status = page_text(page, "learn-status", "finished")
    assert "Corrections to learn from: 1." in status and "cnn_small" in status
    page.wait_for_function("() => !document.querySelector('#learn-discard').disabled", timeout=10_000)
    allowed = "cannot be kept" not in status
    assert page.locator("#learn-keep").is_enabled() is allowed
    page.screenshot(path=str(ARTIFACTS / "learn.png"), full_page=True)
    page.locator("#learn-discard").click()
    page_text(page, "learn-status", "discarded")
    page.get_by_role("tab", name="Draw").click()


def test_phone_layout_and_touch_drawing(phone):
    width = PHONE["width"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= width  # nothing to scroll sideways to
    box = phone.locator("#draw-pad canvas").first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    area = drawing_area(phone)
    assert area[2] >= 0.75 * width  # the drawing gets most of the screen's width
    assert area[1] + area[3] / 2 <= PHONE["height"]  # and all of it is on screen without scrolling
    assert not overlap(phone.locator("#draw-pad .toolbar-wrap").bounding_box(), area)  # no tools over the drawing
    scrolled = phone.evaluate("window.scrollY")
    draw(phone, "7", touch_stroke)
    predicted(phone, "draw", "7")
    assert phone.evaluate("window.scrollY") == scrolled  # the strokes drew; they did not scroll the page
    assert phone.locator('#draw-pad button[aria-label="Brush"]').evaluate("b => b.classList.contains('highlight')")
    phone.screenshot(path=str(ARTIFACTS / "phone-7.png"))


def test_chinese_page(chinese):
    for tab in ["手写", "上传", "重新训练"]:
        assert chinese.get_by_role("tab", name=tab).is_visible()
    assert chinese.locator("#draw-label [data-testid=block-label]").inner_text().strip() == ZH["prediction"]
    assert chinese.locator("#draw-pad [data-testid=block-label]").inner_text().strip() == ZH["pad_label"]
    chinese.wait_for_function("() => document.querySelector('#model-select input')?.value.includes('（')",
                              timeout=20_000)  # fmt: skip
    draw(chinese, "7")
    predicted(chinese, "draw", "7")
    verdict = chinese.locator("#draw-verdict").inner_text()
    assert verdict.startswith("7（") and "模型" in verdict and "model" not in verdict, verdict
    chinese.screenshot(path=str(ARTIFACTS / "zh-7.png"))
