"""analyze(): chunked parsing of long texts keeps one record with exact offsets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import onrecord.analysis as analysis
from onrecord import analyze, analyze_many
from onrecord.read import Document

PARAGRAPHS = [
    "Foreign Minister Lena Vogt told CNN that sanctions would remain in place.",
    "“We will not lift them before the troops leave,” Vogt said on Monday.",
    "Grain exports fell by 30% in March, the lowest level since 2019.",
    "She added that talks with the envoy would resume in Geneva next week.",
]


def test_chunks_join_to_the_text() -> None:
    text = "\n\n".join(PARAGRAPHS * 30)
    pieces = analysis.chunks(text, 500)
    assert "".join(pieces) == text and len(pieces) > 5
    assert all(len(p) <= 500 for p in pieces)


def test_long_text_is_parsed_in_chunks_with_the_same_record(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "\n\n".join(PARAGRAPHS * 6)
    whole = analyze(text)
    monkeypatch.setattr(analysis, "CHUNK_CHARS", 400)
    chunked = analyze(text)
    assert [(a.content.start, a.speaker.name) for a in chunked.attributions] == [
        (a.content.start, a.speaker.name) for a in whole.attributions]
    for a in chunked.attributions:
        assert chunked.text[a.content.start : a.content.end] == a.content.text
    # coreference crosses chunk boundaries: every "She" resolves to the minister
    assert {a.speaker.name for a in chunked.attributions} == {"Lena Vogt"}


@pytest.mark.parametrize("n_process", [1, 2])
def test_analyze_many_keeps_order_and_metadata(n_process: int) -> None:
    docs = [Document(text=p + " The ministry said the plan was ready.", name=str(i), url=f"https://example.org/{i}")
            for i, p in enumerate(PARAGRAPHS * 3)]
    records = list(analyze_many(docs, n_process=n_process, batch_size=2))
    assert [r.article.url for r in records] == [d.url for d in docs]
    assert [r.text for r in records] == [d.text for d in docs]  # each record is its own document's
    assert all(r.article.id for r in records)


def test_analyze_many_can_be_left_early_with_workers() -> None:
    # spaCy's own clean-up joins forked workers blocked on a full pipe: run in a child with a timeout,
    # so that a regression fails here instead of hanging the test run
    code = """
import multiprocessing, pathlib, sys
from onrecord.analysis import analyze_many
from onrecord.read import Document
texts = [p.read_text(encoding="utf-8") for p in sorted(pathlib.Path(sys.argv[1]).glob("*.txt"))] * 6
records = analyze_many([Document(text=t, name=str(i)) for i, t in enumerate(texts)], n_process=2, batch_size=16)
first = next(records)
records.close()
assert first.attributions and not multiprocessing.active_children()
print("left early")
"""
    articles = str(Path(__file__).parent / "gold" / "articles")
    done = subprocess.run([sys.executable, "-c", code, articles], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "left early" in done.stdout, done.stderr[-2000:]


def test_record_to_dict_is_dataclasses_asdict_schema_first() -> None:
    import dataclasses

    record = analyze("\n\n".join(PARAGRAPHS))
    data = record.to_dict()
    expected = dataclasses.asdict(record)
    del expected["status_events"]  # kept on the analysis for the store, not part of the record
    assert data == {"schema": expected.pop("schema"), **expected} and next(iter(data)) == "schema"
    assert data["attributions"] and data["actors"][0]["mentions"]
    data["attributions"][0]["content"]["text"] = "changed"  # plain data, not views of the record
    assert record.attributions[0].content.text != "changed"


def test_every_span_is_exact_on_the_gold_articles() -> None:
    from pathlib import Path

    from onrecord.read import read_path

    articles = sorted((Path(__file__).parent / "gold" / "articles").glob("*.*"))
    assert articles
    for path in articles:
        record = analyze(read_path(path).text)
        spans = [*record.boilerplate, *record.unsourced, *record.flags]
        spans += [m for actor in record.actors for m in actor.mentions]
        for a in record.attributions:
            spans += [s for s in (a.content, a.cue, a.speaker, *a.via) if s is not None]
        for span in spans:
            assert record.text[span.start : span.end] == span.text, (path.name, span)
        assert len({a.id for a in record.attributions}) == len(record.attributions)


def test_docs_carry_only_the_record_and_survive_docbin() -> None:
    from spacy.tokens import DocBin

    from onrecord.parse import load_pipeline

    nlp = load_pipeline()
    doc = nlp("“The ceasefire holds,” General Ruth Ames said on Monday.")
    assert [k for k in doc.user_data if isinstance(k, tuple) and k[0] == "onrecord"] == []
    restored = next(iter(DocBin(docs=[doc], store_user_data=True).get_docs(nlp.vocab)))
    assert restored._.record.attributions[0].speaker.name == "Ruth Ames"
