"""Checks on the project's own gold readings (tests/gold/*.json, format onrecord-gold/1).

The gold is only useful if every span in it can be found in its article, so these tests
validate the files themselves (structure, exact substrings, the form rules written in
tests/gold/README.md) and a few properties of the set as a whole.
"""

from __future__ import annotations

import json
import pathlib
import re

import pytest

GOLD_DIR = pathlib.Path(__file__).parent / "gold"
EXAMPLES_DIR = pathlib.Path(__file__).parent.parent / "examples"
SEED_DIR = pathlib.Path("/work/shared/seed")  # only present on the team's machine; the copy check skips elsewhere

GOLD_FILES = sorted(GOLD_DIR.glob("*.json"))
KINDS = {"person", "organization", "group", "document", "unknown"}
FORMS = {"direct", "indirect", "mixed"}
FLAG_CODES = {"conflict", "unsourced-claim", "loaded-language"}
REQUIRED_TOP = ("schema", "document", "boilerplate", "attributions", "unsourced", "actors", "flags")
REQUIRED_ATTR = ("speaker", "speaker_text", "speaker_kind", "cue", "form", "via", "content")
OPEN_MARKS = "\u201c\"'\u2018"
CLOSE_MARKS = "\u201d\"'\u2019"
# A quote mark in content: curly doubles, straight double, opening curly single, or a straight
# single quote at a word start (a straight ' inside a word is an apostrophe, as in "Ukraine's").
QUOTE_IN_CONTENT = re.compile("[\u201c\u201d\"\u2018]|(?:^|\\s)'")


def load(path: pathlib.Path) -> tuple[dict, str]:
    """The gold reading and the text of the document it names."""
    gold = json.loads(path.read_text(encoding="utf-8"))
    doc = (path.parent / gold["document"]).read_text(encoding="utf-8")
    return gold, doc


def word_count(path: pathlib.Path) -> int:
    """Words of the article as a reader sees it (for HTML, the text inside <article>)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        match = re.search(r"<article\b.*?</article>", text, re.S)
        text = re.sub(r"<[^>]+>", " ", match.group(0) if match else "")
    return len(text.split())


def is_whole_line(doc: str, text: str, html: bool) -> bool:
    """True when `text` fills a whole line of a text file, or the whole text of an HTML element."""
    if html:
        return f">{text}<" in doc
    return text in (line.strip() for line in doc.splitlines())


def quoted_in_place(doc: str, content: str) -> bool:
    """Some occurrence of `content` sits between an opening mark and a closing mark (a comma may precede it)."""
    start = doc.find(content)
    while start != -1:
        end = start + len(content)
        after = doc[end : end + 1]
        if after == ",":
            after = doc[end + 1 : end + 2]
        if start > 0 and doc[start - 1] in OPEN_MARKS and after and after in CLOSE_MARKS:
            return True
        start = doc.find(content, start + 1)
    return False


def test_set_size_and_coverage():
    assert len(GOLD_FILES) >= 14
    golds = [load(p)[0] for p in GOLD_FILES]
    documents = [g["document"] for g in golds]
    assert len(set(documents)) == len(documents), "each article has exactly one gold reading"
    assert any(d.endswith(".html") for d in documents)
    assert sum(any(f["code"] == "conflict" for f in g["flags"]) for g in golds) >= 3
    attrs = [a for g in golds for a in g["attributions"]]
    assert {a["form"] for a in attrs} == FORMS
    assert {"person", "organization", "group", "document"} <= {a["speaker_kind"] for a in attrs}
    assert sum("\n" in a["content"] for a in attrs) >= 2, "at least two multi-paragraph quotes"
    assert sum(bool(a["via"]) for a in attrs) >= 5


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_structure(path: pathlib.Path):
    gold, _ = load(path)
    for key in REQUIRED_TOP:
        assert key in gold, f"missing {key}"
    assert gold["schema"] == "onrecord-gold/1"
    for key in REQUIRED_TOP[2:]:
        assert isinstance(gold[key], list), key
    assert gold["attributions"], "every article has attributions"
    for attr in gold["attributions"]:
        for key in REQUIRED_ATTR:
            assert key in attr, f"attribution missing {key}: {attr}"
        assert attr["speaker_kind"] in KINDS
        assert attr["form"] in FORMS
        assert isinstance(attr["via"], list) and all(isinstance(v, str) and v for v in attr["via"])
        assert attr["content"].strip() and attr["cue"].strip()
        # An empty speaker is only for agentless reports ("It has been claimed …").
        assert (attr["speaker"] == "") == (attr["speaker_kind"] == "unknown")
    for actor in gold["actors"]:
        assert actor["name"] and actor["mentions"]
    for flag in gold["flags"]:
        assert flag["code"] in FLAG_CODES and flag["statement"] and flag["why"]
    for pos in gold.get("positions", []):
        assert pos["actor"] and pos["issue"] and pos["stance"]


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_every_span_is_in_the_document(path: pathlib.Path):
    gold, doc = load(path)
    spans = list(gold["boilerplate"]) + list(gold["unsourced"])
    for attr in gold["attributions"]:
        spans += [attr["speaker_text"], attr["cue"], attr["content"], *attr["via"]]
        if "role" in attr:
            spans.append(attr["role"])
    for actor in gold["actors"]:
        spans += [actor["name"], *actor["mentions"]]
    spans += [f["statement"] for f in gold["flags"]]
    spans += [p["stance"] for p in gold.get("positions", [])]
    missing = [s for s in spans if s not in doc]
    assert not missing, f"not exact substrings of {gold['document']}: {missing}"


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_forms_follow_the_guideline(path: pathlib.Path):
    gold, doc = load(path)
    for attr in gold["attributions"]:
        content, form = attr["content"], attr["form"]
        if form == "direct":
            assert content[0] not in OPEN_MARKS and content[-1] not in CLOSE_MARKS.replace("\u2019", ""), content
            assert quoted_in_place(doc, content), f"direct content is not between quote marks: {content!r}"
        elif form == "mixed":
            assert QUOTE_IN_CONTENT.search(content), f"mixed content has no quoted fragment: {content!r}"
        else:
            assert not QUOTE_IN_CONTENT.search(content), f"indirect content holds a quote mark: {content!r}"
        if form != "direct":
            # Words wholly inside quote marks are a direct quotation, whatever the label says.
            assert not quoted_in_place(doc, content), f"{form} content is a whole quotation: {content!r}"
        if "\n" in content:
            # A quote running over paragraphs: each new paragraph reopens with a mark.
            assert form == "direct"
            for part in content.split("\n\n")[1:]:
                assert part[0] in OPEN_MARKS, content


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_sections_are_consistent(path: pathlib.Path):
    gold, doc = load(path)
    html = gold["document"].endswith(".html")
    for line in gold["boilerplate"]:
        assert is_whole_line(doc, line, html), f"boilerplate is not a whole line: {line!r}"
    for sentence in gold["unsourced"]:
        # Sentences that contain an attribution are never listed as unsourced.
        inside = [a["content"] for a in gold["attributions"] if a["content"] in sentence]
        assert not inside, f"unsourced sentence contains attributed content: {sentence!r}"
        assert not any(sentence in b for b in gold["boilerplate"])
    for flag in gold["flags"]:
        if flag["code"] == "conflict":
            assert flag["statement"] in gold["unsourced"], "a conflict is flagged on an author assertion"
    actors = {a["name"]: a["mentions"] for a in gold["actors"]}
    for attr in gold["attributions"]:
        if attr["speaker_kind"] != "person":
            continue
        assert attr["speaker"] in actors, f"person speaker not among actors: {attr['speaker']}"
        mentions = actors[attr["speaker"]]
        assert any(m in attr["speaker_text"] for m in mentions), f"{attr['speaker_text']!r} not a mention"


@pytest.mark.parametrize("path", sorted((GOLD_DIR / "articles").glob("*.*")), ids=lambda p: p.name)
def test_article_length(path: pathlib.Path):
    # News items are 150-450 words; the one long-form feature (copied from the positions set) may run to 900.
    assert 150 <= word_count(path) <= 900


def test_at_most_one_long_form_article():
    long_form = [p.name for p in (GOLD_DIR / "articles").glob("*.*") if word_count(p) > 450]
    assert len(long_form) <= 1, long_form


def test_examples_exist_and_are_article_sized():
    paths = sorted(p for p in EXAMPLES_DIR.glob("*.*") if p.suffix in (".txt", ".html"))  # articles, not configs
    assert (EXAMPLES_DIR / "talks-geneva.txt") in paths
    assert len(paths) >= 2
    for path in paths:
        assert 150 <= word_count(path) <= 450, path.name


def test_articles_do_not_copy_the_seed():
    if not SEED_DIR.is_dir():
        pytest.skip("seed article not available here")
    seed_words = " ".join(p.read_text(encoding="utf-8") for p in SEED_DIR.glob("*.txt")).lower().split()
    seed_grams = {tuple(seed_words[i : i + 8]) for i in range(len(seed_words) - 7)}
    ours = [*(GOLD_DIR / "articles").glob("*.*"), *EXAMPLES_DIR.glob("*.*")]
    for path in ours:
        words = path.read_text(encoding="utf-8").lower().split()
        shared = {tuple(words[i : i + 8]) for i in range(len(words) - 7)} & seed_grams
        assert not shared, f"{path.name} shares 8-word sequences with the seed article"
