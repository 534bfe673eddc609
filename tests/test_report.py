"""The HTML report: structure, offsets, no outside references, and escaping of hostile articles and records."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from onrecord.record import (
    Article,
    Attribution,
    Boilerplate,
    Flag,
    Record,
    Span,
    Speaker,
    Unsourced,
    Via,
)
from onrecord.render import html as report

ROOT = Path(__file__).resolve().parents[1]

BENIGN = """City council approves new tram line

Members of the city council voted 31 to 12 on Tuesday to approve a new tram line through the eastern districts.

"This is the biggest investment in public transport in forty years," said Mayor Helen Gartner. She told the local \
radio station KRW that construction would begin in the spring.

Opposition leader Tomas Brandt said the project was "a vanity scheme that taxpayers will regret."

According to a report by the transport authority, the line will carry 40,000 passengers a day.

The tram line will cost 420 million euros and is due to open in 2029.

Read more: Why the old bus depot closed
"""

HOSTILE = """Mayor Jane <b>Doe</b> defends the budget

Mayor Jane Doe said on Monday that the budget "<script>alert(1)</script>" was fair and balanced.

"We will not accept "><img src=x onerror=alert(1)> from anyone," Doe told reporters at the town hall.

Critics said the plan was ' onmouseover='alert(1)' and ` backtick `${alert(1)}` nonsense.

The council spent 4 million euros on javascript:alert(1) consultants in 2023.\u2028The figure rose by 12% last year.

Opposition leader Mark </script><script>alert(2)</script> Smith said the mayor was "wrong about <!-- everything -->".

Read more: <a href="javascript:alert(1)">click</a> and <iframe src="http://127.0.0.1:9/x"></iframe>
"""

PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "' onmouseover='alert(1)'",
            "`${alert(1)}`", "javascript:alert(1)", "</script><script>alert(2)</script>", "<!--", "\u2028")

# Tags and attributes the report is made of; anything else in the output came from the data.
TAGS = {"html", "head", "meta", "title", "style", "body", "div", "header", "h1", "h2", "h3", "p", "span", "b", "small",
        "section", "ol", "ul", "li", "a", "i", "main", "aside", "article", "dl", "dt", "dd", "blockquote", "footer",
        "button", "script", "bdi"}
ATTRIBUTES = {"lang", "charset", "http-equiv", "content", "name", "class", "id", "href", "title", "role", "aria-label",
              "hidden", "type", "tabindex", "data-o", "data-a", "data-s", "data-c", "data-v", "data-u", "data-f",
              "data-b", "data-rank", "data-fn", "data-point", "data-figure"}
VOID = {"meta", "br", "img", "input", "link", "hr"}


class Page(HTMLParser):
    """What a browser would build from the report, as far as the tests need it."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.segments: list[dict[str, Any]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self.styles: list[str] = []
        self.text_of: dict[str, str] = {}  # element id -> its text
        self.row_of: dict[str, int] = {}  # note id -> the article row it sits in
        self.row = -1
        self._open: list[tuple[str, str | None]] = []
        self._raw: str | None = None
        self._segment: dict[str, Any] | None = None
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.elements.append((tag, a))
        classes = a.get("class", "").split()
        if tag == "div" and "row" in classes:
            self.row += 1
        if "data-o" in a:
            self._segment = {"o": int(a["data-o"]), "text": "", "classes": set(classes), "attrs": a, "row": self.row}
            self.segments.append(self._segment)
        if "id" in a:
            self.text_of[a["id"]] = ""
            self.row_of[a["id"]] = self.row
        if tag in ("script", "style"):
            self._raw = ""
        if tag not in VOID:
            self._open.append((tag, a.get("id")))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.scripts.append((self.elements[-1][1] if self._raw is not None else {}, self._raw or ""))
        if tag == "style":
            self.styles.append(self._raw or "")
        self._raw = None
        if self._segment is not None and tag == "span":
            self._segment = None
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._raw is not None:
            self._raw += data
            return
        if self._segment is not None:
            self._segment["text"] += data
        for _tag, ident in self._open:
            if ident:
                self.text_of[ident] += data

    def ids(self, segment: dict[str, Any], name: str) -> set[int]:
        return {int(x) for x in segment["attrs"].get(name, "").split()}


def nonspace(text: str) -> int:
    return len(re.sub(r"\s+", "", text))


def span(text: str, part: str, after: int = 0) -> tuple[int, int]:
    start = text.index(part, after)
    return start, start + len(part)


def small_record() -> Record:
    """A hand-made record with nesting (a speaker inside another's content), a via, unsourced, flags, boilerplate."""
    text = ('Mayor Ann Lee said: "The auditor told us the books are clean." Officials said the plan works, '
            "according to Radio North. It was a cold day. Crime rose 40% in 2023.\n\nRead more: other story\n")

    def sp(cls: type, part: str, after: int = 0, **kw: Any) -> Any:
        s, e = span(text, part, after)
        return cls(start=s, end=e, text=text[s:e], **kw)

    second_said = text.index("said", text.index("Officials"))
    return Record(
        article=Article(id="small", title="Small test record"),
        text=text,
        attributions=[
            Attribution("a1", sp(Speaker, "Mayor Ann Lee", name="Ann Lee", actor="ann-lee", kind="person",
                                 role="Mayor"),
                        sp(Span, "said"), sp(Span, "The auditor told us the books are clean."), "direct"),
            Attribution("a2", sp(Speaker, "The auditor", name="auditor", kind="person"), sp(Span, "told"),
                        sp(Span, "the books are clean"), "indirect", when="on Monday"),
            Attribution("a3", sp(Speaker, "Officials", name="Officials", kind="group"), sp(Span, "said", second_said),
                        sp(Span, "the plan works"), "indirect",
                        via=[sp(Via, "Radio North", name="Radio North", kind="outlet")]),
        ],
        unsourced=[sp(Unsourced, "It was a cold day.", id="u1", checkworthiness=0.1),
                   sp(Unsourced, "Crime rose 40% in 2023.", id="u2", checkworthiness=0.9, flags=["unsourced-claim"])],
        flags=[sp(Flag, "Crime rose 40% in 2023.", code="unsourced-claim", severity="high",
                  explanation="Stated as fact without a source.", related=["u2"]),
               sp(Flag, "the plan works", code="loaded-language", severity="low",
                  explanation="A judgement, not a fact.", related=["a3"])],
        boilerplate=[sp(Boilerplate, "Read more: other story", reason="related-link")],
    )


def hostile_record() -> Record:
    """Payloads in every string field of a hand-made record, including the speaker's name and the URL."""
    text = ('<script>alert("t")</script> "<img src=x onerror=alert(1)>," said </script><b>Evil</b> on Monday.\r\n'
            "\n\u2028 javascript:alert(1) ' \" ` \x00 \ud800 done.\n\nRead more: <a href=javascript:alert(1)>x</a>\n")

    def sp(cls: type, part: str, **kw: Any) -> Any:
        s, e = span(text, part)
        return cls(start=s, end=e, text=text[s:e], **kw)

    evil = '"><img src=x onerror=alert(1)></script><script>alert(1)</script>\u2028`${alert(1)}`'
    return Record(
        article=Article(id='a1" onmouseover="alert(1)', title="<script>alert('title')</script>",
                        url="javascript:alert(1)", published="</script>\u2028",
                        outlet="<style>*{display:none}</style>"),
        text=text,
        attributions=[Attribution(
            id='a1" autofocus onfocus="alert(1)',
            speaker=sp(Speaker, "</script><b>Evil</b>", name="<b onmouseover=alert(1)>Evil</b>", actor=evil,
                       kind='person" onclick="alert(1)', role=evil),
            cue=sp(Span, "said"),
            content=sp(Span, "<img src=x onerror=alert(1)>"),
            form='direct" onclick="alert(1)',  # type: ignore[arg-type]
            via=[sp(Via, "javascript:alert(1)", name="javascript:alert(1)", kind="<i>outlet</i>")],  # type: ignore
            when="`${alert(1)}`",
        )],
        unsourced=[sp(Unsourced, "\u2028 javascript:alert(1) ' \" ` \x00 \ud800 done.", id="<u>",
                      checkworthiness=float("nan"), flags=["<b>x</b>"])],
        flags=[sp(Flag, "<script>alert(\"t\")</script>", code="<svg onload=alert(1)>", severity='high" x="1',
                  explanation="</aside><script>alert(1)</script>", related=["a1", "<u>", "<nope>"])],
        boilerplate=[sp(Boilerplate, "Read more: <a href=javascript:alert(1)>x</a>",
                        reason='<iframe src="http://127.0.0.1:9/"></iframe>')],
    )


@pytest.fixture(scope="module")
def analysed() -> dict[str, Record]:
    from onrecord import analyze

    return {"benign": analyze(BENIGN), "hostile": analyze(HOSTILE)}


def all_records(analysed: dict[str, Record]) -> dict[str, Record]:
    return {**analysed, "small": small_record(), "hostile-record": hostile_record()}


# ------------------------------------------------------------------------------------------------- structure


def test_segments_are_the_text_at_their_offsets(analysed: dict[str, Record]) -> None:
    for name, record in all_records(analysed).items():
        page = Page(report.report_html(record))
        expected = re.sub("[\x00\ud800-\udfff]", "\ufffd", record.text)  # what an HTML document can carry
        offset = 0
        for seg in page.segments:
            assert seg["o"] == offset, (name, seg)
            assert seg["text"] == expected[offset : offset + len(seg["text"])], (name, seg)
            offset += len(seg["text"])
        assert "".join(s["text"] for s in page.segments) == expected, name


def test_every_attribution_highlighted_in_its_speakers_colour(analysed: dict[str, Record]) -> None:
    for name, record in all_records(analysed).items():
        page = Page(report.report_html(record))
        colours = report.speaker_palette(record)
        for i, a in enumerate(record.attributions):
            suffix = "x" if colours[i] is None else str(colours[i])
            parts = {"data-a": a.content, "data-s": a.speaker, "data-c": a.cue}
            for attr, expected in parts.items():
                if expected is None:
                    continue
                covered = [s for s in page.segments if i in page.ids(s, attr)]
                assert covered, (name, a.id, attr)
                # The segments carrying this attribution's part are exactly its span.
                assert covered[0]["o"] == expected.start and covered[-1]["o"] + len(covered[-1]["text"]) == expected.end
                assert sum(len(s["text"]) for s in covered) == expected.end - expected.start
            speaker_segments = [s for s in page.segments if i in page.ids(s, "data-s")]
            assert any(f"sc{suffix}" in s["classes"] and "sk" in s["classes"] for s in speaker_segments), (name, a.id)
            content_segments = [s for s in page.segments if i in page.ids(s, "data-a")]
            assert all("ct" in s["classes"] for s in content_segments)
            assert any(f"cc{suffix}" in s["classes"] for s in content_segments), (name, a.id)
            assert f"att-{i}" in page.text_of  # its details card


def test_speaker_colours_follow_actors(analysed: dict[str, Record]) -> None:
    record = analysed["benign"]
    colours = report.speaker_palette(record)
    keys = [report._speaker_key(a) for a in record.attributions]
    assert len({k for k in keys if k}) >= 2, keys
    for i in range(len(keys)):
        for j in range(len(keys)):
            if keys[i] and keys[j]:
                assert (colours[i] == colours[j]) == (keys[i] == keys[j]), (keys[i], keys[j])


def test_nested_speaker_keeps_own_colour_inside_other_content() -> None:
    record = small_record()
    page = Page(report.report_html(record))
    auditor = [s for s in page.segments if 1 in page.ids(s, "data-s")]
    assert auditor and all(0 in page.ids(s, "data-a") for s in auditor)  # inside a1's quotation
    assert all({"sk", "sc1", "cc0"} <= s["classes"] for s in auditor)
    inner = [s for s in page.segments if 1 in page.ids(s, "data-a")]
    assert all("cc1" in s["classes"] and "fi" in s["classes"] for s in inner)  # innermost content wins, indirect
    outer_only = [s for s in page.segments if page.ids(s, "data-a") == {0}]
    assert outer_only and all("cc0" in s["classes"] and "fi" not in s["classes"] for s in outer_only)
    radio = [s for s in page.segments if 2 in page.ids(s, "data-v")]
    assert "".join(s["text"] for s in radio) == "Radio North" and all("vi" in s["classes"] for s in radio)


def test_card_shows_speaker_role_cue_form_via_when() -> None:
    page = Page(report.report_html(small_record()))
    card = " ".join(page.text_of["att-2"].split())
    for expected in ("Officials", "group", "Cue", "\u201csaid\u201d", "Form", "indirect", "Via", "Radio North",
                     "outlet", "the plan works", "a3"):
        assert expected in card, (expected, card)
    # Card text joined without layout: each <dt> label runs into its <dd> value.
    first = page.text_of["att-0"]
    assert "RoleMayor" in first and "Named as\u201cMayor Ann Lee\u201d" in first and "Formdirect" in first
    assert "Whenon Monday" in page.text_of["att-1"]


def test_unsourced_ranked_by_checkworthiness(analysed: dict[str, Record]) -> None:
    for name, record in [("small", small_record()), ("benign", analysed["benign"])]:
        markup = report.report_html(record)
        page = Page(markup)
        links = [a["href"] for tag, a in page.elements if tag == "a" and a.get("data-point", "").startswith("u:")]
        order = [int(h.removeprefix("#u-")) for h in links]
        assert sorted(order) == list(range(len(record.unsourced))), name
        scores = [record.unsourced[i].checkworthiness for i in order]
        assert scores == sorted(scores, reverse=True), name
        for rank, i in enumerate(order, start=1):
            assert f"u-{i}" in page.text_of  # the anchor in the text
            anchor = next(a for tag, a in page.elements if a.get("id") == f"u-{i}")
            assert anchor["data-rank"] == str(rank)
            segs = [s for s in page.segments if i in page.ids(s, "data-u")]
            assert "".join(s["text"] for s in segs) == record.unsourced[i].text
            assert all("un" in s["classes"] for s in segs)
        for i in order:
            assert f"{record.unsourced[i].checkworthiness:.2f}" in page.text_of[f"uc-{i}"]
    page = Page(report.report_html(small_record()))
    side = [a.get("href") for tag, a in page.elements if a.get("data-point", "").startswith("u:")]
    assert side == ["#u-1", "#u-0"]  # 0.9 before 0.1
    hot = [s for s in page.segments if 1 in page.ids(s, "data-u")]
    assert all("hot" in s["classes"] for s in hot)


def test_flags_beside_their_sentence_with_explanation() -> None:
    record = small_record()
    page = Page(report.report_html(record))
    for i, flag in enumerate(record.flags):
        note = page.text_of[f"fn-{i}"]
        assert flag.explanation in note and flag.code in note and flag.severity in note
        flagged = [s for s in page.segments if i in page.ids(s, "data-f")]
        assert "".join(s["text"] for s in flagged) == flag.text
        assert all(f"fl-{flag.severity}" in s["classes"] for s in flagged)
        assert page.row_of[f"fn-{i}"] == flagged[0]["row"]  # the note sits in the row of its sentence
    note_classes = {a.get("id"): a["class"] for tag, a in page.elements if a.get("id", "").startswith("fn-")}
    assert "fl-high" in note_classes["fn-0"].split() and "fl-low" in note_classes["fn-1"].split()
    related = [a["href"] for tag, a in page.elements if tag == "a" and a.get("href") in ("#u-1", "#att-2")]
    assert "#u-1" in related and "#att-2" in related


def test_boilerplate_greyed(analysed: dict[str, Record]) -> None:
    record = small_record()
    page = Page(report.report_html(record))
    grey = [s for s in page.segments if page.ids(s, "data-b")]
    assert "".join(s["text"] for s in grey) == "Read more: other story"
    assert all("bp" in s["classes"] for s in grey)
    assert sum(1 for s in page.segments if "bp" in s["classes"]) == len(grey)
    paras = [a["class"] for tag, a in page.elements if tag == "p" and "para" in a.get("class", "")]
    assert paras == ["para", "para bp-all"]
    benign = analysed["benign"]
    if benign.boilerplate:  # the reader's call; when it finds the related link, it is greyed too
        bpage = Page(report.report_html(benign))
        assert any("bp" in s["classes"] for s in bpage.segments)


def test_summary_figures_match_the_record() -> None:
    record = small_record()
    fig = report.summary_figures(record)
    a1, a3 = record.attributions[0].content.text, record.attributions[2].content.text
    total = nonspace(record.text) - nonspace(record.boilerplate[0].text)
    assert fig["sourced_share"] == pytest.approx((nonspace(a1) + nonspace(a3)) / total)  # a2 is inside a1
    assert fig["unsourced_share"] == pytest.approx(sum(nonspace(u.text) for u in record.unsourced) / total)
    assert fig["forms"] == {"direct": 1, "indirect": 2, "mixed": 0}
    assert (fig["named"], fig["anonymous"], fig["unresolved"]) == (2, 1, 0)
    assert fig["speakers"] == 3 and fig["unsourced"] == 2 and fig["checkworthy"] == 1
    assert fig["flags"] == {"high": 1, "medium": 0, "low": 1}
    page = Page(report.report_html(record))
    panels = {a["data-figure"]: a.get("id") for tag, a in page.elements if "data-figure" in a}
    assert set(panels) == {"Attributions", "Sourced text", "Speakers", "Unsourced statements", "Flags"}
    markup = report.report_html(record)
    assert f'{round(100 * fig["sourced_share"])}<small>%</small>' in markup
    assert "<b>1</b> direct" in markup and "<b>2</b> indirect" in markup and "<b>1</b> anonymous" in markup
    who = re.findall(r'<li class="sc(\d)" data-point="a:(\d)">', markup)
    assert who == [("0", "0"), ("1", "1"), ("2", "2")]


def test_empty_record_renders() -> None:
    record = Record(article=Article(id="e"), text="Nothing was said here at all.")
    page = Page(report.report_html(record))
    assert "".join(s["text"] for s in page.segments) == record.text
    assert report.summary_figures(record)["sourced_share"] == 0.0


# ------------------------------------------------------------------------------------------------- safety


def without_json(markup: str) -> str:
    """The markup less the embedded record: JSON data, inert by type, whose strings only need < > & escaped."""
    start = markup.index('<script type="application/json"')
    return markup[:start] + markup[markup.index("</script>", start):]


def check_inert(record: Record) -> str:
    """Assert the report of ``record`` is only the report's own markup, whatever the record holds."""
    markup = report.report_html(record)
    assert markup.isascii()
    page = Page(markup)
    tags = {tag for tag, _ in page.elements}
    assert tags <= TAGS, tags - TAGS
    for tag, attrs in page.elements:
        assert set(attrs) <= ATTRIBUTES, (tag, attrs)
        assert not any(name.startswith("on") or name in ("style", "src", "srcdoc", "action") for name in attrs)
        if "href" in attrs:
            assert re.fullmatch(r"#[a-z]+-\d+", attrs["href"]), attrs  # fragments of our own ids only
        if "id" in attrs:
            assert re.fullmatch(r"[a-z]+(-[a-z]+)*(-\d+)?", attrs["id"]), attrs
        for token in attrs.get("class", "").split():
            assert re.fullmatch(r"[a-z][a-z0-9-]*", token), token
        for name in ("data-a", "data-s", "data-c", "data-v", "data-u", "data-f", "data-b", "data-o", "tabindex"):
            if name in attrs:
                assert re.fullmatch(r"\d+( \d+)*", attrs[name]), (name, attrs)
    # Exactly two scripts: the JSON record (data, not code) and the report's own code, allowed by its hash.
    assert [a.get("type") for a, _ in page.scripts] == ["application/json", None]
    assert page.scripts[1][1] == report.JS
    assert json.loads(page.scripts[0][1]) == json.loads(json.dumps(report._finite(record.to_dict())))
    assert page.styles == [report.CSS]
    csp = next(a["content"] for tag, a in page.elements if a.get("http-equiv") == "Content-Security-Policy")
    digest = base64.b64encode(hashlib.sha256(report.JS.encode()).digest()).decode()
    style_digest = base64.b64encode(hashlib.sha256(report.CSS.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp and f"style-src 'sha256-{style_digest}'" in csp
    assert "default-src 'none'" in csp and "unsafe" not in csp
    # The CSP meta comes before any style or script, or it would not govern them.
    assert markup.index("Content-Security-Policy") < markup.index("<style>") < markup.index("<script")
    return markup


def test_hostile_record_is_inert() -> None:
    record = hostile_record()
    markup = check_inert(record)
    page = Page(markup)
    # The payloads are there, as text a person can read.
    card = page.text_of["att-0"]
    assert "<b onmouseover=alert(1)>Evil</b>" in card and "`${alert(1)}`" in card and "javascript:alert(1)" in card
    assert record.attributions[0].speaker.role in card  # type: ignore[union-attr]
    assert "<h1><bdi>&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;</bdi></h1>" in markup
    assert "</aside><script>alert(1)</script>" in page.text_of["fn-0"]
    # The URL is shown as text, not a link.
    assert not any(tag == "a" and "javascript" in a.get("href", "") for tag, a in page.elements)
    assert "javascript:alert(1)" in markup  # as escaped text only (no tag or attribute can hold it, see above)
    # Unknown severity / form / kind never become class names.
    assert 'fl-high" x' not in markup and "onclick" not in "".join(a.get("class", "") for _, a in page.elements)


def test_hostile_analysed_article_is_inert(analysed: dict[str, Record]) -> None:
    record = analysed["hostile"]
    markup = without_json(check_inert(record))
    for payload in PAYLOADS:
        assert payload in record.text
        assert payload not in markup or payload in ("javascript:alert(1)", "`${alert(1)}`")  # those are plain text
    assert "\u2028" not in markup and "</script><script>" not in markup


def test_json_escaping() -> None:
    data = {"t": "</script><!-- <script>&\u2028\u2029", "n": float("nan")}
    text = report.json_for_html(data)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text and text.isascii()
    assert json.loads(text) == {"t": data["t"], "n": None}


def test_esc() -> None:
    assert report.esc("<a href='x' title=\"y\">&`") == "&lt;a href=&#x27;x&#x27; title=&quot;y&quot;&gt;&amp;`"
    assert report.esc("a\r\nb\x00c\ud800\u2028é") == "a&#13;\nb\ufffdc\ufffd&#8232;&#233;".replace(
        "\ufffd", "&#65533;")


def test_no_outside_references(analysed: dict[str, Record]) -> None:
    for name, record in all_records(analysed).items():
        page = Page(report.report_html(record))
        markup = without_json(report.report_html(record))
        for tag, attrs in page.elements:
            for key in ("src", "href", "action", "formaction", "poster", "data", "srcset", "background"):
                value = attrs.get(key)
                assert value is None or value.startswith("#"), (name, tag, key, value)
        style_and_code = "".join(page.styles) + "".join(c for a, c in page.scripts if a.get("type") is None)
        assert "@import" not in style_and_code and "url(" not in style_and_code
        assert not re.search(r"https?:|//[a-z0-9]", style_and_code, re.I)
        # Inside a tag (escaped article text has no literal "<" to start one).
        assert not re.search(r"<[a-z][^<>]*\s(src|href)\s*=\s*[\"']?\s*(https?:|//|javascript:)", markup, re.I), name
        assert "<link" not in markup and "<img" not in markup and "<iframe" not in markup


# ------------------------------------------------------------------------------------------------- CLI


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "onrecord.cli", *args], input=stdin, capture_output=True,
                          timeout=300, cwd=ROOT)


def test_cli_report_file_and_html_input(tmp_path: Path) -> None:
    source = tmp_path / "article.html"
    paragraphs = "".join(f"<p>{html_escape(p)}</p>" for p in BENIGN.split("\n\n")[1:])
    source.write_text(f"<html><head><title>Tram line</title></head><body><article><h1>Tram line</h1>{paragraphs}"
                      "</article></body></html>", encoding="utf-8")
    out = tmp_path / "report.html"
    proc = run("report", str(source), "-o", str(out), "--title", "Tram <line>")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b""
    markup = out.read_text(encoding="ascii")
    assert "<h1><bdi>Tram &lt;line&gt;</bdi></h1>" in markup
    page = Page(markup)
    assert any(page.ids(s, "data-s") for s in page.segments)


def test_cli_report_stdin_and_analyze_html() -> None:
    proc = run("report", "-", stdin=HOSTILE.encode())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(b"<!DOCTYPE html>") and proc.stdout.isascii()
    assert b"<script>alert" not in proc.stdout
    proc2 = run("analyze", "--format", "html", "-", stdin=BENIGN.encode())
    assert proc2.returncode == 0, proc2.stderr
    assert proc2.stdout.startswith(b"<!DOCTYPE html>") and b"onrecord-record" in proc2.stdout


def test_cli_report_errors_are_one_line(tmp_path: Path) -> None:
    proc = run("report", str(tmp_path / "missing.txt"))
    assert proc.returncode == 2 and proc.stderr.decode().count("\n") == 1 and "no such file" in proc.stderr.decode()
    src = tmp_path / "a.txt"
    src.write_text(BENIGN, encoding="utf-8")
    proc = run("report", str(src), "-o", str(tmp_path / "no" / "such" / "dir.html"))
    assert proc.returncode == 2 and "cannot write" in proc.stderr.decode() and "Traceback" not in proc.stderr.decode()


def html_escape(text: str) -> str:
    import html

    return html.escape(text)


def test_offsets_outside_the_text_do_not_break_the_page() -> None:
    text = "Hello there.\n\nA second paragraph."
    record = Record(article=Article(id="b"), text=text,
                    unsourced=[Unsourced(start=-5, end=5, text="Hello", id="u1", checkworthiness=2.0)],
                    flags=[Flag(start=50, end=60, text="zz", code="odd", explanation="Out of range."),
                           Flag(start=9, end=3, text="", code="reversed", explanation="Backwards.")])
    page = Page(report.report_html(record))
    assert "".join(s["text"] for s in page.segments) == text
    assert "Out of range." in page.text_of["fn-0"] and "Backwards." in page.text_of["fn-1"]
    assert "".join(s["text"] for s in page.segments if page.ids(s, "data-u")) == "Hello"  # cut to the text
    assert "1.00" in page.text_of["uc-0"]  # a score above 1 is shown as 1
