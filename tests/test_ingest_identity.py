"""Ingest reads dates where feeds put them, and knows an article by its id, else its URL, else text and outlet."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import duckdb
import pytest
from feeds import write_feed

from onrecord.store.ingest import ingest

TEXT = ("The regional council approved a new bus network for the valley on Thursday, its chair said. "
        "Routes will start in September.")


def stored(path: Path, query: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def test_dates_from_every_usual_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"id": "p", "text": TEXT + " One.", "published": "2024-05-01T10:00:00Z"},
            {"id": "d", "text": TEXT + " Two.", "date": "2024-05-02"},
            {"id": "pa", "text": TEXT + " Three.", "published_at": "2024-05-03 08:00"},
            {"id": "dp", "text": TEXT + " Four.", "datePublished": "2024-05-04"},
            {"id": "rss", "text": TEXT + " Five.", "pubDate": "Sun, 05 May 2024 10:00:00 +0000"},
            {"id": "bad", "text": TEXT + " Six.", "date": "sometime last spring", "section": "x", "tags": "y"},
            {"id": "bad2", "text": TEXT + " Seven.", "date": "not a date either", "section": "z"}]
    feed = write_feed(tmp_path / "dates.jsonl", rows)
    summary = ingest([feed], tmp_path / "s.duckdb", jobs=1, progress=False)
    assert summary.stored == 7 and summary.failed == 0  # an unreadable date loses nothing
    days = dict(stored(tmp_path / "s.duckdb", "SELECT id, published_date FROM articles"))
    assert days == {"p": date(2024, 5, 1), "d": date(2024, 5, 2), "pa": date(2024, 5, 3), "dp": date(2024, 5, 4),
                    "rss": date(2024, 5, 5), "bad": None, "bad2": None}
    err = capsys.readouterr().err
    assert "dates.jsonl:6: cannot read the date 'sometime last spring'" in err
    assert "dates.jsonl:7: cannot read the date" in err
    assert err.count("unknown field") == 1 and "'section'" in err and "'tags'" in err  # once per run


def test_identity_by_url_then_text_and_outlet(tmp_path: Path) -> None:
    rows = [{"text": TEXT, "url": "https://one.example/a", "outlet": "One"},
            {"text": TEXT, "url": "https://two.example/b", "outlet": "Two"},  # the same wire story elsewhere
            {"text": TEXT, "outlet": "Three"},
            {"text": TEXT, "outlet": "Four"}]
    feed = write_feed(tmp_path / "wire.jsonl", rows)
    store = tmp_path / "s.duckdb"
    assert ingest([feed], store, jobs=1, progress=False).stored == 4
    again = ingest([feed], store, jobs=1, progress=False)
    assert (again.stored, again.skipped) == (0, 4)  # re-ingesting the same items adds nothing


def test_a_store_made_by_the_old_rule_keeps_working(tmp_path: Path) -> None:
    """Before, an article without id was known by the hash of its text alone: re-ingesting it (same URL and
    outlet) must not store it a second time under its new identity."""
    store = tmp_path / "s.duckdb"
    feed = write_feed(tmp_path / "one.jsonl", [{"text": TEXT, "url": "https://one.example/a", "outlet": "One"}])
    assert ingest([feed], store, jobs=1, progress=False).stored == 1
    con = duckdb.connect(str(store))
    old = hashlib.sha256(TEXT.encode()).hexdigest()
    (new,) = con.execute("SELECT id FROM articles").fetchall()[0]
    for table in ("articles", "attributions", "unsourced", "mentions", "positions", "flags", "boilerplate"):
        key = "id" if table == "articles" else "article_id"
        con.execute(f"UPDATE {table} SET {key} = ? WHERE {key} = ?", [old, new])
    con.close()
    again = ingest([feed], store, jobs=1, progress=False)
    assert (again.stored, again.skipped) == (0, 1)
    assert stored(store, "SELECT count(*) FROM articles") == [(1,)]
