"""The page end to end in headless Chromium: paste an article, analyse it, see the highlights, open a speaker's
details, upload a file; nothing is fetched from anywhere but the server, and the CSP blocks nothing of ours.

Uses Debian's /usr/bin/chromium through Playwright (never `playwright install`). Screenshots go to the test's
tmp dir; their paths are printed (pytest -s shows them).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright import sync_api

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_serve import ARTICLE, ServerProcess, running_server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                                reason=f"{CHROMIUM} is not installed (Debian: apt-get install chromium)")


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with running_server("--timeout", "120", workers=1) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


class Watched:
    """A page that records every request leaving the server and every console error (CSP violations among them)."""

    def __init__(self, browser: Any, server: ServerProcess) -> None:
        self.page = browser.new_page(viewport={"width": 1360, "height": 1000})
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", self._request(server.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _request(self, base: str) -> Any:
        def check(request: Any) -> None:
            if not request.url.startswith((base + "/", "about:", "data:")):
                self.outside.append(request.url)
        return check

    def clean(self) -> None:
        assert not self.outside, f"requests outside the server: {self.outside}"
        assert not self.errors, f"console errors: {self.errors}"


def test_paste_analyse_and_open_a_speaker(browser: Any, server: ServerProcess, tmp_path: Path) -> None:
    w = Watched(browser, server)
    page = w.page
    page.goto(server.url + "/")
    assert page.title().startswith("onrecord")
    assert page.locator("#result").is_hidden()  # no empty frame before there is a report

    page.click("#analyse")  # nothing given: the page says so and sends nothing
    assert "Paste an article" in page.locator("#status").inner_text()

    page.fill("#text", ARTICLE)
    page.click("#analyse")
    report = page.frame_locator("#report")
    # The report marks every piece of attributed text with data-a (content) and data-s (speaker) attributes.
    report.locator("#text [data-a]").first.wait_for(timeout=120_000)
    page.locator("#result").wait_for(state="visible")
    assert page.locator("#analyse").is_enabled()

    quoted = report.locator("#text [data-a]")
    speakers = report.locator("#text [data-s]")
    assert quoted.count() >= 5 and speakers.count() >= 3

    # Click a speaker in the text: the details card pops up with who it is and what was said.
    natarajan = speakers.filter(has_text="Natarajan").first
    natarajan.scroll_into_view_if_needed()
    pop = report.locator("#pop")
    # On a loaded machine the frame's script may not be listening yet when the text is already there:
    # click again until the card shows (a click that lands after the listener pins it open).
    for _ in range(6):
        natarajan.click()
        try:
            pop.wait_for(state="visible", timeout=5_000)
            break
        except sync_api.TimeoutError:
            continue
    pop.wait_for(state="visible")
    details = pop.inner_text()
    assert "Natarajan" in details and "said" in details
    assert "Eastgate stops living in fear" in details  # what she said

    frame_shot = tmp_path / "serve-report-frame.png"
    page.locator("#report").screenshot(path=str(frame_shot))
    page.evaluate("window.scrollTo(0, 0)")
    shot = tmp_path / "serve-page.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"\nscreenshots: {shot} {frame_shot}")
    assert shot.stat().st_size > 10_000 and frame_shot.stat().st_size > 10_000
    w.clean()
    page.close()


def test_upload_a_file_and_see_errors_in_the_frame(browser: Any, server: ServerProcess, tmp_path: Path) -> None:
    w = Watched(browser, server)
    page = w.page
    page.goto(server.url + "/")
    article = tmp_path / "barrier.html"
    paragraphs = "".join(f"<p>{p}</p>" for p in ARTICLE.split("\n\n")[1:])
    article.write_text(f"<html><head><title>Flood barrier</title></head><body><article>{paragraphs}</article>"
                       "</body></html>", encoding="utf-8")
    page.set_input_files("#file", str(article))
    assert page.locator("#file-name").inner_text() == "barrier.html"
    page.click("#analyse")
    report = page.frame_locator("#report")
    report.locator("#text [data-s]").first.wait_for(timeout=120_000)
    assert "Flood barrier" in report.locator("h1").inner_text()

    # A file that is not an article: the frame shows the server's one-line reason.
    page.click("#file-clear")
    junk = tmp_path / "photo.txt"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    page.set_input_files("#file", str(junk))
    page.click("#analyse")
    # The error page in the frame tells the page, which says it next to the button and hides the frame.
    sync_api.expect(page.locator("#status")).to_contain_text("PNG image", timeout=60_000)
    assert page.locator("#status").inner_text().startswith("Cannot analyse this")
    assert "PNG image" in report.locator("[role=alert]").inner_text()  # (what a page without script shows)
    page.locator("#result").wait_for(state="hidden")
    assert page.locator("#analyse").is_enabled()
    shot = tmp_path / "serve-error.png"
    page.screenshot(path=str(shot))
    print(f"\nscreenshot: {shot}")
    # the browser logs the 422 status of the frame's navigation as a console error; nothing else may appear
    w.errors = [e for e in w.errors if "422" not in e]
    w.clean()
    page.close()


# ------------------------------------------------------------------------------------------- a page anyone can use

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
needs_axe = pytest.mark.skipif(not AXE.exists(), reason=f"{AXE} is missing (setup.sh installs it with npm ci)")


def axe_violations(frame: Any) -> list[dict[str, Any]]:
    """axe-core's violations on a page or frame (its own document only), each with its impact and nodes."""
    frame.evaluate(AXE.read_text(encoding="utf-8"))
    return frame.evaluate("""async () => {
        const r = await axe.run(document, {iframes: false, resultTypes: ["violations"]});
        return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(" "))}));
    }""")


def overflow(frame: Any) -> int:
    """How many pixels the document is wider than its viewport (0: nothing scrolls sideways)."""
    return frame.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def report_frame(page: Any) -> Any:
    return next(f for f in page.frames if f.name == "report")


def analyse(page: Any, text: str) -> None:
    page.fill("#text", text)
    page.click("#analyse")
    page.frame_locator("#report").locator("#text [data-a]").first.wait_for(timeout=120_000)
    sync_api.expect(page.locator("#status")).to_contain_text("ready", timeout=30_000)


def test_the_first_click_submits_and_focus_lands_on_the_report(browser: Any, server: ServerProcess) -> None:
    w = Watched(browser, server)
    page = w.page
    page.goto(server.url + "/")
    analyse(page, ARTICLE)
    assert page.evaluate("document.activeElement.id") == "result-heading"  # announced, and where the keys go
    assert page.locator("#result-heading").inner_text() == "Report"

    # Edit the text after a report is shown, then one real mouse click on Analyse: it submits at once.
    page.click("#text")
    page.keyboard.press("End")
    page.keyboard.type(" The council will meet again in April.")
    box = page.locator("#analyse").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    after_down = page.locator("#analyse").bounding_box()
    page.mouse.up()
    assert after_down == box, "the button moved between mouse-down and mouse-up"
    sync_api.expect(page.locator("#status")).to_contain_text("ready", timeout=120_000)
    assert "April" in report_frame(page).locator("#text").inner_text()
    w.clean()
    page.close()


def test_every_control_shows_keyboard_focus(browser: Any, server: ServerProcess) -> None:
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    page.goto(server.url + "/")
    page.click("summary")  # open the metadata fields so they take part
    page.locator("body").focus()
    seen: dict[str, str] = {}
    for _ in range(14):
        page.keyboard.press("Tab")
        found = page.evaluate("""() => {
            const el = document.activeElement;
            // the file input is hidden behind its label: the label shows its focus
            const shown = el.type === "file" ? el.nextElementSibling : el;
            const style = getComputedStyle(shown);
            return [el.id || el.name || el.tagName, style.outlineStyle + " " + style.outlineWidth];
        }""")
        seen[found[0]] = found[1]
    assert {"text", "file", "analyse", "SUMMARY", "title", "published"} <= set(seen), seen
    for control, outline in seen.items():
        if control in ("BODY", "A"):
            continue
        assert not outline.startswith("none") and not outline.endswith(" 0px"), (control, outline)
    page.close()


def test_nothing_scrolls_sideways_at_360_px(browser: Any, server: ServerProcess) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(server.url + "/")
    assert overflow(page) == 0
    analyse(page, ARTICLE)
    report = report_frame(page)
    assert overflow(page) == 0
    assert overflow(report) == 0, "the report scrolls sideways in the page's frame"
    page.close()


@needs_axe
def test_axe_finds_no_violations_on_the_page_and_a_report(browser: Any, server: ServerProcess) -> None:
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})  # to inject axe
    page = context.new_page()
    page.goto(server.url + "/")
    found = {"page": axe_violations(page)}
    analyse(page, ARTICLE)
    found["page with a report"] = axe_violations(page)
    found["report"] = axe_violations(report_frame(page))
    for name, violations in found.items():
        assert not violations, (name, violations)  # of any impact: minor and moderate ones too
    context.close()
