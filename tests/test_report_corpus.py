"""Corpus reports: the actor page and the positions page over a small store of articles written for these tests
(some of them hostile: markup, attribute-breaking quotes and javascript: URLs in text, titles, outlets and URLs)."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from feeds import write_feed

from onrecord.cli import main
from onrecord.errors import OnrecordError
from onrecord.render.corpus import actor_report_html, positions_report_html
from onrecord.store.ingest import ingest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "issues.toml"

ARTICLES = [
    {"published": "2022-02-20", "outlet": "Harbour Times", "title": "Lavrov on NATO <script>alert(1)</script>",
     "url": "javascript:alert(1)",
     "text": "Russian Foreign Minister Sergei Lavrov said on Sunday that Ukraine must stay neutral and never join "
             "NATO.\n\n\u201cKyiv will never be a member of the alliance,\u201d Lavrov told reporters in Moscow.\n\n"
             "Ukrainian Foreign Minister Dmytro Kuleba said Ukraine would keep its goal of joining NATO.\n"},
    {"published": "2022-03-29", "outlet": 'Valley "Post" <b onmouseover=alert(2)>', "title": "Talks resume",
     "url": 'https://vp.example/2" onerror="alert(3)',
     "text": "Dmytro Kuleba said on Tuesday that Ukraine was ready to accept a neutral status outside NATO.\n\n"
             "\u201cWe could agree to neutrality <script>alert(\"x\")</script> if our security is guaranteed,\u201d "
             "Kuleba said.\n\nSergei Lavrov said Ukraine's neutrality was the key demand of Moscow.\n"},
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("corpus")
    path = base / "corpus.duckdb"
    assert ingest([write_feed(base / "feed.jsonl", ARTICLES)], path, jobs=1, progress=False).stored == len(ARTICLES)
    return path


@pytest.fixture(scope="module")
def positions_page(store: Path) -> str:
    return positions_report_html(store, EXAMPLE, ["nato"], by="party")


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <style> blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def parsed(page: str) -> Tags:
    parser = Tags()
    parser.feed(page)
    parser.close()
    return parser


def assert_safe(page: str) -> None:
    """No script, no event handler, no outside reference; the one style block is the one the CSP pins."""
    assert page.isascii()
    assert "<script" not in page.lower()
    tags = parsed(page)
    assert not [t for t, _ in tags.tags if t in ("script", "iframe", "img", "a", "link", "object", "embed", "base",
                                                  "form", "image", "use", "foreignobject")]
    for tag, attrs in tags.tags:
        assert not [k for k in attrs if k.startswith("on")], (tag, attrs)
        for key in ("href", "src", "xlink:href", "action", "style"):
            assert key not in attrs or (attrs[key] or "").startswith("#"), (tag, attrs)
    assert not re.search(r"url\(", "".join(tags.styles))
    csp = next(a["content"] for t, a in tags.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "script-src 'none'" in csp
    assert len(tags.styles) == 1
    digest = base64.b64encode(hashlib.sha256(tags.styles[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp


def stat(page: str, label: str) -> str:
    match = re.search(rf'data-figure="{re.escape(label)}"><div class="lbl">[^<]*</div><div class="n">([^<]*)<', page)
    assert match, label
    return match[1]


def test_actor_page_lists_statements_and_counts(store: Path) -> None:
    page = actor_report_html(store, "Kuleba")
    assert "<h1><bdi>Dmytro Kuleba</bdi></h1>" in page and "Ukrainian Foreign Minister" in page
    assert stat(page, "Statements") == "3" and stat(page, "Articles") == "2" and stat(page, "Outlets") == "2"
    assert stat(page, "First / last") == "2022-03-29" and "first quoted <b>2022-02-20</b>" in page
    assert "Ukraine was ready to accept a neutral status outside NATO" in page
    assert "Ukraine would keep its goal of joining NATO" in page
    # newest first: the March statement comes before the February one
    assert page.index("neutral status outside NATO") < page.index("keep its goal of joining NATO")
    assert "Sergei Lavrov" not in page.split("<body>", 1)[1]  # someone else's statements stay out
    assert page.count('<li data-statement="') >= 3
    limited = actor_report_html(store, "dmytro-kuleba", limit=1)
    assert limited.count('<li data-statement="') == 1 and "2 older statements not shown" in limited


def test_hostile_strings_are_escaped(store: Path) -> None:
    page = actor_report_html(store, "Dmytro Kuleba")
    assert_safe(page)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page  # shown, as text
    assert "&lt;b onmouseover=alert(2)&gt;" in page and "<b onmouseover" not in page
    assert 'https://vp.example/2&quot; onerror=&quot;alert(3)' in page  # the URL as text, its quote escaped
    assert "javascript:alert(1)" in page and 'href="javascript' not in page


def test_positions_page_draws_one_series_per_party(positions_page: str) -> None:
    assert_safe(positions_page)
    tags = parsed(positions_page)
    svgs = [a for t, a in tags.tags if t == "svg" and a.get("role") == "img"]
    assert len(svgs) == 1
    series = [a["data-group"] for t, a in tags.tags if t == "polyline" and a.get("class") == "series"]
    assert sorted(series) == ["russia", "ukraine"]
    points = [t for t, _ in tags.tags if t == "circle"]
    assert len(points) >= 3  # Russia and Ukraine in February and March, less any statement not matched
    assert "2022-02" in positions_page and "2022-03" in positions_page
    assert "Convergence Russia" in positions_page or "Convergence Ukraine" in positions_page
    assert "The statements behind each point" in positions_page
    assert "Ukraine would keep its goal of joining NATO" in positions_page


def test_actor_page_groups_by_issue_once_positions_exist(store: Path, positions_page: str) -> None:
    page = actor_report_html(store, "Kuleba")  # positions_page wrote the matched stances to the store
    assert "Issue nato" in page and "nato: <b>" in page


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_writes_pages_and_refuses_clearly(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "kuleba.html"
    code, _, err = run_cli(["report", "--store", str(store), "--actor", "Kuleba", "-o", str(out)], capsys)
    assert code == 0, err
    assert "<h1><bdi>Dmytro Kuleba</bdi></h1>" in out.read_text(encoding="ascii")
    for args, message in [
        (["--store", str(store), "--actor", "Nobody Atall"], "no actor matches 'Nobody Atall'"),
        (["--store", str(tmp_path / "missing.duckdb"), "--actor", "Kuleba"], "no store at"),
        (["--actor", "Kuleba"], "--actor and --positions need --store DB"),
        (["--store", str(store)], "--store needs either --actor NAME or --positions"),
        (["--store", str(store), "--positions"], "--positions needs --issues FILE"),
    ]:
        code, _, err = run_cli(["report", *args], capsys)
        assert code != 0 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "missing.duckdb").exists()
    with pytest.raises(OnrecordError, match="no store at"):
        positions_report_html(tmp_path / "missing.duckdb", EXAMPLE)
