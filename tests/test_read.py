"""Stage "read": every way an input can be unusable has its own clear error; good input comes through intact."""

from __future__ import annotations

import io
import json
import sys

import pytest

from onrecord import read
from onrecord.errors import InputError
from onrecord.read import Document, check_text, read_bytes, read_jsonl, read_path, read_text

STORY = (
    "Negotiators from both governments met in Geneva on Monday for a third round of talks, officials said.\n\n"
    "The foreign minister told reporters that “real progress” had been made on humanitarian corridors, "
    "but he warned that a ceasefire was still some way off.\n\n"
    "Opposition leaders said the shelling of towns in the east had continued overnight."
)


def _error(call, *args, **kwargs) -> str:
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message  # one line for the user
    return message


# ------------------------------------------------------------------------------------------- plain text, good


def test_plain_utf8_text_is_read_as_is() -> None:
    doc = read_bytes(STORY.encode("utf-8"))
    assert isinstance(doc, Document)
    assert doc.text == STORY
    assert doc.name == "-"


def test_read_path_names_the_file(tmp_path) -> None:
    path = tmp_path / "talks.txt"
    path.write_text(STORY, encoding="utf-8")
    doc = read_path(path)
    assert doc.text == STORY
    assert doc.name == str(path)


def test_normalisation_is_minimal() -> None:
    raw = "The envoy said \u201cwe are close\u201d.  \r\nTalks resume\u00a0on Friday.\t\r\n\r\nHe left for Kyiv.\r\n"
    doc = read_text(raw)
    # CRLF becomes LF and trailing blanks go; quotes, no-break spaces and inner spacing stay untouched.
    assert doc.text == "The envoy said \u201cwe are close\u201d.\nTalks resume\u00a0on Friday.\n\nHe left for Kyiv."


def test_unbalanced_quotes_are_not_an_error() -> None:
    text = "The minister said the “talks were over, and that the army would stay in the region for the winter."
    assert read_text(text).text == text


@pytest.mark.parametrize(
    "text",
    [
        "Russia and Ukraine resumed talks on Monday. Both sides said a deal was not yet in sight.",
        "Zelensky met Macron in Paris. The two leaders discussed air defence.",
        "Sanctions were tightened on Friday. The central bank said it would respond.",
        "Troops withdrew from Kherson overnight, the ministry said. Residents reported explosions near the bridge.",
        "Biden arrives in Warsaw",  # a headline alone: too short to judge, so it gets the benefit of the doubt
    ],
)
def test_short_english_news_is_accepted(text: str) -> None:
    check_text(text)  # does not raise


def test_metadata_given_to_read_text_is_kept() -> None:
    doc = read_text(STORY, title="Talks resume", url="https://example.org/a", published="2022-03-14", id="x1")
    assert (doc.title, doc.url, doc.published, doc.outlet, doc.id) == (
        "Talks resume", "https://example.org/a", "2022-03-14", None, "x1"
    )
    with pytest.raises(TypeError):
        read_text(STORY, author="somebody")


# ---------------------------------------------------------------------------------------------- empty, binary


@pytest.mark.parametrize("data", [b"", "".encode("utf-16")])
def test_empty_input(data: bytes) -> None:
    assert "empty" in _error(read_bytes, data) or "whitespace" in _error(read_bytes, data)


def test_empty_file(tmp_path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert "empty" in _error(read_path, path)


@pytest.mark.parametrize("data", [b"   \n\t\r\n  ", b"\n\n\n"])
def test_whitespace_only_input(data: bytes) -> None:
    assert "only whitespace" in _error(read_bytes, data)


def test_whitespace_only_text() -> None:
    assert "only whitespace" in _error(read_text, " \u00a0 \n ")
    assert "empty" in _error(check_text, "")


def test_binary_with_nul_bytes() -> None:
    data = bytes(range(256)) * 8
    assert "binary" in _error(read_bytes, data)


def test_binary_with_many_control_bytes() -> None:
    data = (b"\x01\x02\x03\x1b talks \x07\x08" * 50) + STORY.encode()
    assert "binary" in _error(read_bytes, data)


def test_known_binary_formats_are_named() -> None:
    assert "PDF" in _error(read_bytes, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    assert "PNG" in _error(read_bytes, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_control_characters_in_text() -> None:
    assert "binary" in _error(read_text, "peace\x00talks " * 20)


# --------------------------------------------------------------------------------------------------- encodings


def test_cp1252_file_is_decoded(tmp_path) -> None:
    text = "The café owner in Kherson said “nobody came” after the strike – the third this week."
    path = tmp_path / "cp1252.txt"
    path.write_bytes(text.encode("cp1252"))
    assert read_path(path).text == text


def test_latin1_file_is_decoded(tmp_path) -> None:
    text = "Officials in Zürich said the summit would go ahead, and the ministers agreed on a communiqué."
    path = tmp_path / "latin1.txt"
    path.write_bytes(text.encode("latin-1"))
    assert read_path(path).text == text


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom(codec: str) -> None:
    bom = {"utf-16": b"", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[codec]
    data = bom + STORY.encode(codec)
    assert read_bytes(data).text == STORY


def test_utf8_bom_is_dropped() -> None:
    assert read_bytes(b"\xef\xbb\xbf" + STORY.encode()).text == STORY


def test_utf16_without_bom_is_explained() -> None:
    message = _error(read_bytes, STORY.encode("utf-16-le"))
    assert "UTF-16" in message and "byte-order mark" in message


def test_text_in_another_multibyte_encoding_is_not_utf8() -> None:
    # GBK-encoded Chinese is not UTF-8, and read as Windows-1252 it is gibberish, not text.
    data = ("谈判双方周一在日内瓦举行了第三轮会谈，官员们表示进展有限。" * 5).encode("gbk")
    message = _error(read_bytes, data)
    assert message.startswith("not UTF-8 text (")


def test_html_meta_charset_is_honoured() -> None:
    # In ISO-8859-15 byte 0xA4 is the euro sign; Windows-1252 would read it as a currency sign "¤".
    html = (
        '<html><head><meta charset="iso-8859-15"><title>Aid package</title></head><body>'
        "<p>The European Union pledged another €500 million in military aid to Ukraine on Thursday, "
        "the commission said in a statement.</p></body></html>"
    )
    doc = read_bytes(html.encode("iso-8859-15"))
    assert "€500 million" in doc.text


# -------------------------------------------------------------------------------------------------------- size


def test_input_over_a_configured_limit_is_refused(tmp_path) -> None:
    path = tmp_path / "long.txt"
    path.write_text(STORY * 10, encoding="utf-8")
    message = _error(read_path, path, max_bytes=200)
    assert "too large" in message and "200" in message and "ONRECORD_MAX_BYTES" in message
    assert "too large" in _error(read_bytes, (STORY * 10).encode(), max_bytes=200)


def test_limit_from_environment(tmp_path, monkeypatch) -> None:
    path = tmp_path / "long.txt"
    path.write_text(STORY * 10, encoding="utf-8")
    monkeypatch.setenv("ONRECORD_MAX_BYTES", "300")
    assert "300" in _error(read_path, path)
    monkeypatch.setenv("ONRECORD_MAX_BYTES", "not-a-number")
    assert "ONRECORD_MAX_BYTES" in _error(read_path, path)
    monkeypatch.delenv("ONRECORD_MAX_BYTES")
    assert read_path(path).text.startswith("Negotiators")


def test_huge_file_is_refused_without_reading_it(tmp_path, monkeypatch) -> None:
    # A sparse 64 GB file: reading it into memory would fail or take minutes, stat-ing it takes microseconds.
    path = tmp_path / "huge.txt"
    with path.open("wb") as fh:
        fh.truncate(64 * 2**30)
    opened: list[str] = []
    real_open = read.Path.open
    monkeypatch.setattr(read.Path, "open", lambda self, *a, **k: opened.append(str(self)) or real_open(self, *a, **k))
    assert "too large" in _error(read_path, path)
    assert opened == []


def test_stdin_reads_at_most_the_limit(monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((STORY * 50).encode())))
    assert "more than" in _error(read_path, "-", max_bytes=500)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(STORY.encode())))
    doc = read_path("-")
    assert doc.name == "-" and doc.text == STORY


def test_missing_file_and_directory(tmp_path) -> None:
    assert "no such file" in _error(read_path, tmp_path / "nope.txt")
    assert "directory" in _error(read_path, tmp_path)


# ------------------------------------------------------------------------------------------------- not English

NON_ENGLISH = {
    "French": "Les négociateurs des deux pays se sont réunis lundi à Genève pour un troisième cycle de discussions. "
    "Le ministre a déclaré que des progrès avaient été faits sur les couloirs humanitaires, mais que le "
    "cessez-le-feu restait lointain.",
    "German": "Die Unterhändler beider Regierungen trafen sich am Montag in Genf zu einer dritten Gesprächsrunde. "
    "Der Außenminister sagte, es gebe Fortschritte bei den humanitären Korridoren, aber eine Waffenruhe sei "
    "noch nicht in Sicht.",
    "Spanish": "Los negociadores de ambos gobiernos se reunieron el lunes en Ginebra para una tercera ronda de "
    "conversaciones. El ministro dijo que hubo avances en los corredores humanitarios, pero que el alto el "
    "fuego todavía está lejos.",
    "Russian": "Переговорщики обеих стран встретились в понедельник в Женеве для третьего раунда переговоров. "
    "Министр заявил, что есть прогресс по гуманитарным коридорам, но до перемирия ещё далеко.",
    "Chinese": "两国谈判代表周一在日内瓦举行了第三轮会谈。外交部长表示，人道主义走廊问题取得了进展，但停火仍然遥远。",
}


@pytest.mark.parametrize("language", sorted(NON_ENGLISH))
def test_non_english_text_is_refused(language: str) -> None:
    message = _error(read_text, NON_ENGLISH[language])
    assert "does not look like English" in message


def test_non_latin_script_is_named() -> None:
    assert "Cyrillic" in _error(check_text, NON_ENGLISH["Russian"])
    assert "CJK" in _error(check_text, NON_ENGLISH["Chinese"])


def test_short_french_sentence_with_clear_function_words_is_refused() -> None:
    assert "French" in _error(check_text, "Le président a rencontré les ministres dans la capitale.")


def test_english_article_quoting_a_foreign_phrase_is_accepted() -> None:
    text = STORY + "\n\nProtesters chanted “Слава Україні” outside the embassy, according to witnesses."
    check_text(text)


# -------------------------------------------------------------------------------------------------------- HTML

PAGE = """<!DOCTYPE html>
<html><head>
<title>Talks resume in Geneva | The Daily Ledger</title>
<meta property="og:site_name" content="The Daily Ledger">
<link rel="canonical" href="https://ledger.example/world/talks-resume">
<meta property="article:published_time" content="2022-03-14T09:30:00Z">
<script>window.tracker = {page: "talks"};</script>
<style>p { color: black; }</style>
</head><body>
<nav><a href="/">Home</a> | <a href="/world">World</a></nav>
<article>
<h1>Talks resume in Geneva</h1>
<p>Negotiators from both governments met in Geneva on Monday for a third round of talks, officials said.</p>
<p>The foreign minister told reporters that “real progress” had been made on humanitarian corridors,
   but he warned that a ceasefire was still some way off.</p>
<p>Opposition leaders said the shelling of towns in the east had continued overnight.</p>
</article>
<footer>Contact us</footer>
</body></html>"""


def test_html_extraction_keeps_paragraphs_and_metadata() -> None:
    doc = read_text(PAGE, html=True)
    paragraphs = doc.text.split("\n\n")
    assert "Negotiators from both governments met in Geneva on Monday" in paragraphs[1]
    assert paragraphs[2].startswith("The foreign minister told reporters")
    assert "corridors, but he warned" in paragraphs[2]  # the line break inside <p> is layout, not a paragraph
    assert paragraphs[3].startswith("Opposition leaders")
    assert "window.tracker" not in doc.text and "color: black" not in doc.text
    assert doc.title == "Talks resume in Geneva"
    assert doc.url == "https://ledger.example/world/talks-resume"
    assert doc.published == "2022-03-14"
    assert doc.outlet == "The Daily Ledger"


def test_html_file_by_extension_and_by_sniffing(tmp_path) -> None:
    for name in ("page.html", "page.htm", "page.txt"):
        path = tmp_path / name
        path.write_text(PAGE, encoding="utf-8")
        doc = read_path(path)
        assert "<p>" not in doc.text and "Opposition leaders" in doc.text, name
    assert "<article>" not in read_bytes(PAGE.encode()).text


def test_broken_unclosed_html_still_yields_text() -> None:
    broken = (
        "<html><body><div class='story'><p>The defence ministry said on Tuesday that two drones had been shot "
        "down over the capital <b>overnight<p>Air raid sirens sounded for more than an hour, residents said"
        "<p>The mayor urged people to stay in shelters <i>until the all-clear"
    )
    doc = read_text(broken, html=True)
    assert "two drones had been shot down over the capital overnight" in doc.text
    assert "Air raid sirens sounded for more than an hour" in doc.text
    assert "<" not in doc.text


def test_html_with_only_script_has_no_article_text() -> None:
    page = "<html><head><title>x</title></head><body><script>document.write('talks');</script></body></html>"
    assert _error(read_text, page, html=True) == "no article text found in HTML"


def test_body_text_fallback_when_extractor_finds_nothing(monkeypatch) -> None:
    import trafilatura

    monkeypatch.setattr(trafilatura, "bare_extraction", lambda *a, **k: None)
    doc = read_text(PAGE, html=True)
    assert "Negotiators from both governments" in doc.text
    assert "window.tracker" not in doc.text and "color: black" not in doc.text
    assert "\n\nOpposition leaders said" in doc.text


def test_explicit_metadata_wins_over_html() -> None:
    doc = read_text(PAGE, html=True, title="My own title")
    assert doc.title == "My own title" and doc.outlet == "The Daily Ledger"


def test_html_that_is_not_english_is_refused() -> None:
    page = f"<html><body><p>{NON_ENGLISH['German']}</p></body></html>"
    assert "English" in _error(read_text, page, html=True)


# ------------------------------------------------------------------------------------------------- JSON lines


def test_jsonl_bad_line_in_the_middle_yields_an_error_and_continues() -> None:
    lines = [
        json.dumps({"text": STORY, "url": "https://example.org/1", "title": "Talks", "id": 7}),
        '{"text": "unterminated',
        "",
        json.dumps(["not", "an", "object"]),
        json.dumps({"title": "no body"}),
        json.dumps({"text": NON_ENGLISH["Spanish"]}),
        json.dumps({"html": PAGE, "outlet": "Given outlet"}),
        json.dumps({"text": STORY, "url": 5}),
    ]
    results = list(read_jsonl(io.StringIO("\n".join(lines) + "\n")))
    assert [type(r).__name__ for r in results] == [
        "Document", "InputError", "InputError", "InputError", "InputError", "Document", "InputError"
    ]
    first, bad_json, not_object, no_text, spanish, html, bad_url = results
    assert first.text == STORY and first.id == "7" and first.url == "https://example.org/1" and first.name == "-:1"
    assert str(bad_json).startswith("line 2: not valid JSON")
    assert str(not_object).startswith("line 4: ") and "object" in str(not_object)
    assert str(no_text).startswith("line 5: ") and '"text" or "html"' in str(no_text)
    assert str(spanish).startswith("line 6: ") and "English" in str(spanish)
    assert "Opposition leaders" in html.text
    assert html.outlet == "Given outlet" and html.title == "Talks resume in Geneva"
    assert str(bad_url).startswith("line 8: ") and '"url"' in str(bad_url)


def test_jsonl_record_over_the_limit(monkeypatch) -> None:
    monkeypatch.setenv("ONRECORD_MAX_BYTES", "100")
    (result,) = list(read_jsonl(io.StringIO(json.dumps({"text": STORY}))))
    assert isinstance(result, InputError) and "too large" in str(result)
    monkeypatch.delenv("ONRECORD_MAX_BYTES")
    (result,) = list(read_jsonl(io.StringIO(json.dumps({"text": STORY})), max_bytes=120))
    assert isinstance(result, InputError) and "120" in str(result)
