"""The HTML report in a real browser: hostile articles execute nothing and fetch nothing; details show on hover.

Needs Debian's chromium (/usr/bin/chromium) and the playwright package (which drives it; no browser download).
Every test is skipped, with the reason, when either is missing.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from onrecord.record import Article, Attribution, Flag, Record, Span, Speaker, Unsourced, Via
from onrecord.render.html import report_html

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (pip install playwright)")

BENIGN = """Harbour authority approves new ferry route

The harbour authority voted on Thursday to open a ferry route between the old port and the island of Kessa.

"This route will cut the crossing from three hours to forty minutes," said port director Ilse Moreau. She told the \
regional broadcaster RTK that the first boats would sail in May.

Fishermen's union leader Paul Varga said the plan was "a threat to every small boat in the bay."

The new ferries will cost 85 million euros and carry 1,200 passengers a day.

Read more: The history of the old port
"""


def hostile_article(base: str) -> str:
    """An English article whose every paragraph carries a payload that would call home to ``base`` if it ran."""
    return f"""Mayor Jane Doe defends the budget

Mayor Jane Doe said on Monday that the budget "<script>window.__pwned=1;alert(1);fetch('{base}/script')</script>" \
was fair and balanced.

"We will not accept "><img src={base}/img onerror=window.__pwned=2;alert(2)> from anyone," Doe told reporters.

Critics said the plan was ' onmouseover='window.__pwned=3' autofocus onfocus='alert(3)' x=' and ` onclick=`alert(4)`.

Opposition leader Mark </script><script>window.__pwned=5;alert(5)</script> Smith said the mayor was "wrong about \
<svg onload=alert(6)> everything".

The council paid <iframe src="{base}/iframe"></iframe> 4 million euros to <link rel=stylesheet href="{base}/css"> \
consultants in 2023.\u2028The figure rose by 12% last year.

Residents said <style>@import url({base}/import);body{{background:url({base}/bg)}}</style> the fees were too high.

<object data="{base}/object"></object> The mayor, according to <form action="{base}/form"><button>go</button></form> \
a statement, will reply on Friday.

Read more: <a href="javascript:alert(7)">click</a> <meta http-equiv="refresh" content="0;url={base}/refresh"> \
<base href="{base}/">
"""


def hostile_record(base: str) -> Record:
    """A hand-made record with payloads in the fields an article cannot reach: the speaker's name, role, URL…"""
    text = f'Chief <img src={base}/speaker onerror=alert(8)> said: "</script><script>alert(9)</script>" on Friday.'

    def sp(cls: type, part: str, **kw: Any) -> Any:
        start = text.index(part)
        return cls(start=start, end=start + len(part), text=part, **kw)

    evil = f'"><img src={base}/role onerror=alert(10)></script><script>window.__pwned=11</script>\u2028'
    return Record(
        article=Article(id="x", title=f"<img src={base}/title onerror=alert(12)>", url="javascript:alert(13)",
                        outlet="<style>*{display:none}</style>", published="</script>"),
        text=text,
        attributions=[Attribution(
            "a1", sp(Speaker, f"Chief <img src={base}/speaker onerror=alert(8)>", name=f"<b>Chief</b>{evil}",
                     actor=evil, kind="person", role=evil),
            sp(Span, "said"), sp(Span, "</script><script>alert(9)</script>"), "direct",
            via=[sp(Via, "Chief", name=f"<a href=javascript:alert(14)>{evil}</a>", kind="outlet")],
            when=f"<iframe src={base}/when></iframe>")],
        unsourced=[sp(Unsourced, "on Friday.", id="<u1>", checkworthiness=0.7, flags=[evil])],
        flags=[sp(Flag, "said", code=evil, severity="high", explanation=evil, related=["a1", evil])],
    )


# ------------------------------------------------------------------------------------------------- harness


@dataclass
class Trap:
    """A local HTTP server that records every request: any hit means the page called out."""

    hits: list[str] = field(default_factory=list)
    base: str = ""


@pytest.fixture(scope="module")
def trap() -> Iterator[Trap]:
    found = Trap()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found.hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(b"window.__pwned = 'fetched';")

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def records(trap: Trap) -> dict[str, Record]:
    from onrecord import analyze

    return {"benign": analyze(BENIGN), "hostile": analyze(hostile_article(trap.base)),
            "hostile-record": hostile_record(trap.base)}


# Runs before any page script and is not subject to the page's CSP: it only listens.
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@dataclass
class Visit:
    page: Any
    url: str
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # url -> why it did not load
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return list(self.page.evaluate("window.__csp || []"))

    def pwned(self) -> Any:
        return self.page.evaluate("window.__pwned === undefined ? null : String(window.__pwned)")


@pytest.fixture
def visit(browser: Any, tmp_path: Path) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_markup(markup: str, name: str = "report.html") -> Visit:
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        path = tmp_path / name
        path.write_text(markup, encoding="utf-8")
        seen = Visit(page, path.as_uri())

        def on_dialog(dialog: Any) -> None:
            seen.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("request", lambda request: seen.requests.append(request.url))
        page.on("requestfailed", lambda request: seen.failed.update({request.url: request.failure or ""}))
        page.on("pageerror", lambda exc: seen.errors.append(str(exc)))
        page.on("console", lambda msg: seen.console.append(f"{msg.type}: {msg.text}"))
        page.add_init_script(LISTEN)
        page.goto(seen.url, wait_until="load")
        page.wait_for_timeout(300)
        return seen

    yield open_markup
    for context in contexts:
        context.close()


def exercise(seen: Visit) -> None:
    """Do what a reader does: hover, click and focus every highlighted piece, follow the side links, then Esc."""
    page = seen.page
    page.evaluate("""() => {
      for (const el of document.querySelectorAll('#text .s.k, [data-point], .anc')) {
        for (const type of ['mouseover', 'mouseenter', 'click', 'focusin', 'mouseleave']) {
          el.dispatchEvent(new MouseEvent(type, {bubbles: true}));
        }
      }
    }""")
    for selector in ("#text .s.sk", "#text .s.ct", "#text .s.un", ".rank a", ".note"):
        items = page.locator(selector)
        for i in range(min(items.count(), 4)):
            items.nth(i).hover()
            items.nth(i).click()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)


def assert_nothing_ran(seen: Visit, trap: Trap) -> None:
    assert seen.dialogs == [], seen.dialogs
    assert seen.pwned() is None
    assert trap.hits == [], trap.hits
    assert [u for u in seen.requests if u.split("#")[0] != seen.url] == [], seen.requests  # only the document
    assert seen.errors == [], seen.errors  # the report's own script ran without failing
    dangerous = seen.page.evaluate("""() => {
      const bad = [];
      for (const el of document.querySelectorAll('*')) {
        for (const attr of el.attributes) {
          // #pop's style is the report's script placing it (CSSOM, which the CSP allows).
          if (/^on/i.test(attr.name) || /^\\s*javascript:/i.test(attr.value) || attr.name === 'src'
              || (attr.name === 'style' && el.id !== 'pop')) { bad.push(el.tagName + ' ' + attr.name); }
        }
      }
      const tags = 'img,iframe,svg,object,embed,link,base,form,input,button:not(#copy-json),frame,video,audio';
      for (const el of document.querySelectorAll(tags)) { bad.push(el.tagName); }
      if (document.scripts.length !== 2) { bad.push('scripts: ' + document.scripts.length); }
      return bad;
    }""")
    assert dangerous == [], dangerous


# ------------------------------------------------------------------------------------------------- tests


def test_control_the_traps_catch_a_page_that_runs_payloads(visit: Any, trap: Trap) -> None:
    """The same payloads, unescaped and without a CSP, do fire: so the checks below can fail."""
    trap.hits.clear()
    seen = visit(f"<!DOCTYPE html><html><body><p>{hostile_article(trap.base)}</p></body></html>", "control.html")
    seen.page.wait_for_timeout(500)
    assert seen.dialogs, "an unescaped <script>alert() should have opened a dialog"
    # Scripts and images called out, and the meta refresh navigated the page to the trap (no CSP stops that).
    assert {"/img", "/script", "/refresh"} <= set(trap.hits), trap.hits
    trap.hits.clear()


@pytest.mark.parametrize("name", ["hostile", "hostile-record"])
def test_hostile_report_runs_and_fetches_nothing(name: str, records: dict[str, Record], visit: Any,
                                                 trap: Trap) -> None:
    trap.hits.clear()
    record = records[name]
    seen = visit(report_html(record), f"{name}.html")
    exercise(seen)
    assert_nothing_ran(seen, trap)
    # Escaping alone held: nothing even tried something the CSP had to refuse.
    assert seen.csp_violations() == [], seen.csp_violations()
    assert not [line for line in seen.console if line.startswith("error")], seen.console
    # The browser shows exactly the article text, and the embedded JSON reads back to the record's text.
    shown, embedded = seen.page.evaluate("""() => [
      Array.from(document.querySelectorAll('#text [data-o]'), e => e.textContent).join(''),
      JSON.parse(document.getElementById('onrecord-record').textContent).text]""")
    assert shown == record.text and embedded == record.text


def test_hostile_speaker_name_shows_as_text(records: dict[str, Record], visit: Any, trap: Trap) -> None:
    trap.hits.clear()
    record = records["hostile-record"]
    seen = visit(report_html(record), "speaker.html")
    seen.page.locator("#text .s.sk").first.hover()
    pop = seen.page.locator("#pop")
    assert pop.is_visible()
    assert record.attributions[0].speaker.name in pop.inner_text()  # type: ignore[union-attr]
    assert seen.page.evaluate("document.querySelectorAll('#pop *:not(article,h3,span,dl,dt,dd,blockquote,a,div,b,bdi)')"
                              ".length") == 0
    assert seen.page.locator("h1").inner_text() == record.article.title
    assert_nothing_ran(seen, trap)


def test_csp_stops_payloads_if_escaping_ever_failed(records: dict[str, Record], visit: Any, trap: Trap) -> None:
    """Defence in depth: raw payloads pasted into the report (as an escaping bug would) are refused by its CSP.

    A <meta http-equiv=refresh> is left out: a CSP cannot stop navigation, only the escaping does."""
    trap.hits.clear()
    raw = trap.base
    payloads = (f"<script>window.__pwned=1;alert(1)</script><img src={raw}/img onerror=alert(2)>"
                f"<img src=x onerror='window.__pwned=3'><iframe src='{raw}/iframe'></iframe>"
                f"<link rel=stylesheet href='{raw}/css'><style>@import url({raw}/import);</style>"
                f"<object data='{raw}/object'></object><svg><image href='{raw}/svg'/></svg>"
                f"<script src='{raw}/x.js'></script><base href='{raw}/'>")
    markup = report_html(records["benign"]).replace('<div id="text" class="text">',
                                                    f'<div id="text" class="text">{payloads}', 1)
    seen = visit(markup, "injected.html")
    seen.page.wait_for_timeout(500)
    assert seen.dialogs == [] and seen.pwned() is None
    assert trap.hits == [], trap.hits
    # The browser starts the requests and its CSP check cancels each one before it leaves.
    outside = [u for u in seen.requests if u.split("#")[0] != seen.url]
    assert outside and all("csp" in seen.failed.get(u, "").lower() for u in outside), (outside, seen.failed)
    violations = seen.csp_violations()
    assert any(v.startswith("script-src") for v in violations), violations
    assert any(v.startswith("img-src") for v in violations), violations


def test_hover_and_click_show_details(records: dict[str, Record], visit: Any, tmp_path: Path, trap: Trap) -> None:
    trap.hits.clear()
    record = records["benign"]
    assert record.attributions, "the sample article should yield attributions"
    seen = visit(report_html(record), "benign.html")
    page = seen.page
    pop = page.locator("#pop")
    assert pop.is_hidden()

    speaker = page.locator("#text .s.sk").first
    i = int(speaker.get_attribute("data-s").split()[0])
    a = record.attributions[i]
    speaker.hover()
    assert pop.is_visible()
    details = pop.inner_text()
    for expected in (a.speaker.name or a.speaker.text, "Cue", "Form", a.form, "When"):  # type: ignore[union-attr]
        assert expected in details, (expected, details)
    if a.cue:
        assert a.cue.text in details
    lit = page.locator("#text .s.on")
    assert lit.count() >= 1  # the attribution is marked in the text
    page.mouse.move(5, 5)
    assert pop.is_hidden()  # hover only: leaving the text closes it

    content = page.locator("#text .s.ct").first
    content.click()
    assert pop.is_visible() and "pinned" in (pop.get_attribute("class") or "")
    page.mouse.move(5, 5)
    assert pop.is_visible()  # pinned stays
    shot = tmp_path / "report-details.png"
    page.screenshot(path=str(shot))
    page.keyboard.press("Escape")
    assert pop.is_hidden()

    via = page.locator("#text .s.vi")
    if via.count():
        via.first.hover()
        assert "Via" in pop.inner_text()

    if record.unsourced:
        page.locator(".rank a").first.click()
        best = max(range(len(record.unsourced)), key=lambda k: record.unsourced[k].checkworthiness)
        assert page.url.endswith(f"#u-{best}")
        page.locator(f"#text .s.un[data-u~='{best}']").first.hover()
        assert "Check-worthiness" in pop.inner_text()

    full = tmp_path / "report-full.png"
    page.keyboard.press("Escape")
    page.screenshot(path=str(full), full_page=True)
    print(f"\nreport screenshots: {shot} {full}")
    assert shot.stat().st_size > 10_000 and full.stat().st_size > 10_000
    assert_nothing_ran(seen, trap)


# ------------------------------------------------------------------------------------------ bidi and accessibility

SPOOF = "Anna \u202eBerg"  # a right-to-left override: without isolation, "Anna greB" and the rest reversed after it


def spoof_record() -> Record:
    text = f'{SPOOF} said the new bridge was "safe for every lorry" on Monday. The bridge opened in May.'
    name_at = text.index(SPOOF)
    content_at = text.index("safe for every lorry")
    return Record(
        article=Article(id="spoof", title="Bridge \u202eopens"), text=text,
        attributions=[Attribution(
            "a1", Speaker(start=name_at, end=name_at + len(SPOOF), text=SPOOF, name=SPOOF, kind="person"),
            Span(start=text.index("said"), end=text.index("said") + 4, text="said"),
            Span(start=content_at, end=content_at + len("safe for every lorry"), text="safe for every lorry"),
            "mixed")])


def x_of(page: Any, selector: str, words: list[str]) -> list[float]:
    """The left edge on screen of each word's first occurrence in the element's text (in logical order)."""
    return page.evaluate("""([selector, words]) => {
        const root = document.querySelector(selector);
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        const nodes = []; let all = "";
        for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push([n, all.length]); all += n.data; }
        return words.map(word => {
            const at = all.indexOf(word);
            const [node, base] = nodes.filter(([n, b]) => b <= at && at < b + n.data.length)[0];
            const range = document.createRange();
            range.setStart(node, at - base); range.setEnd(node, at - base + word.length);
            return range.getBoundingClientRect().left;
        });
    }""", [selector, words])


def test_a_bidi_override_reverses_nothing_outside_its_string(visit: Any) -> None:
    seen = visit(report_html(spoof_record()))
    page = seen.page
    # the card: the name is isolated, the override shown as a visible mark, and the closing quote of
    # "Named as" stays after the name instead of being pulled into it
    heading = page.locator("#att-0 h3 .spk")
    assert heading.inner_text().startswith("Anna [U+202E]Berg")
    assert page.locator("#att-0 h3 .spk bdi").count() == 1
    left = x_of(page, "#att-0 h3", ["Anna", "Berg", "person"])
    assert left == sorted(left), f"the heading reads out of order: {left}"
    # the article text: nothing after the name is reversed
    left = x_of(page, "#text", ["Anna", "Berg", "said", "bridge", "Monday"])
    assert left == sorted(left), f"the text reads out of order: {left}"
    left = x_of(page, "h1", ["Bridge", "opens"])
    assert left == sorted(left)
    assert "\u202e" not in page.evaluate("document.body.innerText")


AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.mark.skipif(not AXE.exists(), reason=f"{AXE} is missing (setup.sh installs it with npm ci)")
def test_axe_finds_no_violations_in_reports_and_corpus_pages(browser: Any, records: dict[str, Record],
                                                                       tmp_path: Path) -> None:
    from feeds import write_feed
    from test_report_corpus import ARTICLES, EXAMPLE

    from onrecord.render.corpus import actor_report_html, positions_report_html
    from onrecord.store.ingest import ingest

    store = tmp_path / "corpus.duckdb"
    ingest([write_feed(tmp_path / "feed.jsonl", ARTICLES)], store, jobs=1, progress=False)
    pages = {name: report_html(record) for name, record in records.items()}
    pages["actor page"] = actor_report_html(store, "Kuleba")
    pages["positions page"] = positions_report_html(store, EXAMPLE, ["nato"], by="party")
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})  # to inject axe
    found = {}
    for name, markup in pages.items():
        path = tmp_path / f"{name.replace(' ', '-')}.html"
        path.write_text(markup, encoding="utf-8")
        page = context.new_page()
        page.goto(path.as_uri())
        page.evaluate(AXE.read_text(encoding="utf-8"))
        found[name] = page.evaluate("""async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(" "))}));
        }""")
        page.close()
    context.close()
    for name, violations in found.items():
        assert not violations, (name, violations)  # of any impact: minor and moderate ones too
