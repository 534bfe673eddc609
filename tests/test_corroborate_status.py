"""Corpus status conflicts read status events with the article check's own reader: each guard of the article check
(reported speech, negation, hypothetical and future, another person of the same surname, background, a status
given back) holds across articles too, and someone who left one office and speaks in another is no conflict.

Each case is a pair of articles written for this test: one reports a person resigned, died or was arrested
(2024-06-03), another outlet has them speaking in office two days later. Only the plain cases are flagged.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from feeds import write_feed

from onrecord.analysis import analyze
from onrecord.store import corroborate, schema
from onrecord.store.ingest import ingest

CASES = {
    # name: (the event article, the speaking article), both about the same person
    "Daniel Moreau": ("Mayor Daniel Moreau resigned on Monday after a dispute over the harbour budget.\n\n"
                   "The council will meet on Thursday to choose an acting mayor.\n",
                   "Mayor Daniel Moreau said on Wednesday that the harbour budget would be published in July.\n"),
    "Pavel Rudnik": ("Health Minister Pavel Rudnik died on Monday at a hospital in the capital.\n\n"
                     "Flags flew at half mast over the ministry.\n",
                     "Pavel Rudnik said on Wednesday that hospital waiting lists had fallen.\n"),
    # reported speech: the event is the critics' words, not the author's
    "Marta Sorel": ("Opposition deputies claimed that Governor Marta Sorel was fired on Monday.\n\n"
                    "The governor's office did not answer questions about the report.\n",
                    "Governor Marta Sorel said on Wednesday that the new bridge would open in August.\n"),
    # negated
    "Oskar Lind": ("Finance Minister Oskar Lind did not resign on Monday despite the protests.\n\n"
                   "Hundreds of farmers blocked the roads around the parliament.\n",
                   "Finance Minister Oskar Lind said on Wednesday that fuel taxes would not rise.\n"),
    # future and conditional
    "Clara Benn": ("Chancellor Clara Benn will resign if the coalition collapses, aides say.\n\n"
                   "The coalition partners meet again next week.\n",
                   "Chancellor Clara Benn said on Wednesday that the coalition would hold.\n"),
    # threatened to: the event is not asserted
    "Tariq Osei": ("Labour Minister Tariq Osei threatened to resign on Monday over the pension reform.\n\n"
                   "The unions have called a strike for next month.\n",
                   "Labour Minister Tariq Osei said on Wednesday that the pension talks would go on.\n"),
    # another person of the same surname: "Lee" could be either
    "Ann Lee": ("Councillor Ann Lee and her brother Tom Lee run the family bakery.\n\n"
                "Lee resigned on Monday after the audit.\n",
                "Councillor Ann Lee said on Wednesday that the audit had found nothing wrong.\n"),
    # background: the pluperfect and "once" tell an event before the story's time
    "Hugo Brandt": ("Defence Minister Hugo Brandt had resigned from the board of an arms maker before he took "
                    "office.\n\nThe ministry published his declaration of interests on Monday.\n",
                    "Defence Minister Hugo Brandt said on Wednesday that the army would buy new trucks.\n"),
    # the status given back in the same article
    "Nadia Farouk": ("Senator Nadia Farouk was arrested on Monday at a protest and released on bail hours later.\n\n"
                     "Her lawyer said the charges would be dropped.\n",
                     "Senator Nadia Farouk said on Wednesday that the protest had been peaceful.\n"),
    # another office: fired as a campaign manager, speaking as a television commentator
    "Rick Dalton": ("Rick Dalton was fired as campaign manager on Monday after a string of poor polls.\n\n"
                    "The campaign named his deputy to replace him.\n",
                    "Television commentator Rick Dalton said on Wednesday that the polls would tighten.\n"),
    # speaking as a candidate is seeking an office, not holding one
    "Mara Quint": ("Mara Quint resigned on Monday after a row with the board.\n\n"
                   "The board will name a successor next month.\n",
                   "Republican candidate Mara Quint said on Wednesday that taxes were too high.\n"),
    # the same office named on both sides: a conflict
    "Sarah Whitman": ("Sarah Whitman was fired as campaign manager on Monday after a string of poor polls.\n\n"
                  "The campaign named her deputy to replace her.\n",
                  "Sarah Whitman, the campaign manager, said on Wednesday that the polls would tighten.\n"),
}
FLAGGED = {"Daniel Moreau", "Pavel Rudnik", "Sarah Whitman"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("status")
    items = []
    for i, (event, spoken) in enumerate(CASES.values()):
        items.append({"id": f"e{i}", "outlet": "Capital Gazette", "published": "2024-06-03", "title": "News",
                      "text": event})
        items.append({"id": f"s{i}", "outlet": "River Post", "published": "2024-06-05", "title": "News",
                      "text": spoken})
    path = base / "status.duckdb"
    ingest([write_feed(base / "feed.jsonl", items)], path, jobs=1, progress=False, corroborate=True)
    return path


@pytest.fixture(scope="module")
def con(store: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = schema.connect(store, read_only=True)
    yield connection
    connection.close()


def test_only_plain_status_events_conflict(con: duckdb.DuckDBPyConnection) -> None:
    flags = con.execute("SELECT article_id, related FROM flags WHERE origin = 'corpus' AND code = 'conflict'"
                        ).fetchall()
    names = list(CASES)
    flagged = {names[int(article_id[1:])] for article_id, _ in flags}
    assert flagged == FLAGGED
    # each flag on the speaking article, naming the event article of the same case
    for article_id, related in flags:
        assert article_id.startswith("s") and related[0].split("/")[0] == "e" + article_id[1:]


def test_events_are_the_article_checks(con: duckdb.DuckDBPyConnection) -> None:
    """The events stored for the corpus check are those the article check reads: none for the guarded cases
    (reported, negated, future, threatened, ambiguous surname), the background and restored ones left out."""
    rows = con.execute("SELECT article_id, lemma, subject_text, noun FROM statement_facts WHERE kind = 'status'"
                       ).fetchall()
    names = list(CASES)
    by_case = {names[int(a[1:])]: (lemma, subject, office) for a, lemma, subject, office in rows}
    assert set(by_case) == {"Daniel Moreau", "Pavel Rudnik", "Rick Dalton", "Mara Quint", "Sarah Whitman"}
    assert by_case["Rick Dalton"][2] == "campaign manager"
    assert by_case["Daniel Moreau"][0] == "resign" and by_case["Pavel Rudnik"][0] == "die"


FACTS = "SELECT * FROM statement_facts ORDER BY ALL"
CORPUS_FLAGS = "SELECT article_id, code, severity, start_char, related FROM flags WHERE origin = 'corpus' ORDER BY ALL"


def test_workers_keep_the_events_off_the_record() -> None:
    """The analysis keeps the status events its check read (for the store), and the record's JSON does not."""
    record = analyze(next(iter(CASES.values()))[0])
    assert [(e.lemma, record.text[e.subject[0]:e.subject[1]]) for e in record.status_events] == [
        ("resign", "Mayor Daniel Moreau")]
    assert "status_events" not in record.to_dict() and "status_events" not in record.to_json()


def test_corroborate_reads_the_workers_rows(store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every article ingested with corroboration has its status_events rows (one without an event when it holds
    none), and corroborating again from scratch reads them: no article is parsed again, the facts and the flags
    are the same."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(store, copy)
    con = schema.connect(copy)
    try:
        assert con.execute("SELECT count(DISTINCT article_id) FROM status_events").fetchone()[0] == 2 * len(CASES)
        before = con.execute(FACTS).fetchall(), con.execute(CORPUS_FLAGS).fetchall()

        def parsed_again(by_article: object, texts: object, todo: list[str]) -> dict[str, list[dict[str, object]]]:
            assert not todo, "articles with rows parsed again"
            return {}

        monkeypatch.setattr(corroborate, "_read_status", parsed_again)
        corroborate.corroborate(con, rebuild=True)
        assert (con.execute(FACTS).fetchall(), con.execute(CORPUS_FLAGS).fetchall()) == before
    finally:
        con.close()


def test_a_store_without_the_rows_parses_again(store: Path, tmp_path: Path) -> None:
    """A store ingested before the workers kept the events (no status_events table), or without corroborating:
    the articles are parsed again and give the same facts and flags."""
    with schema.connect(store, read_only=True) as con:
        before = con.execute(FACTS).fetchall(), con.execute(CORPUS_FLAGS).fetchall()
    assert any(row[2] == "status" for row in before[0]) and before[1]
    copy = tmp_path / "old.duckdb"
    shutil.copy(store, copy)
    con = schema.connect(copy)
    try:
        some = [r[0] for r in con.execute("SELECT DISTINCT article_id FROM status_events ORDER BY 1").fetchall()]
        con.execute("DELETE FROM status_events WHERE article_id IN (SELECT unnest(?::VARCHAR[]))", [some[::2]])
        corroborate.corroborate(con, rebuild=True)  # half the articles with rows, half without
        assert (con.execute(FACTS).fetchall(), con.execute(CORPUS_FLAGS).fetchall()) == before
        con.execute("DROP TABLE status_events")
        corroborate.corroborate(con, rebuild=True)
        assert (con.execute(FACTS).fetchall(), con.execute(CORPUS_FLAGS).fetchall()) == before
    finally:
        con.close()
