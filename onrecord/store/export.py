"""``onrecord export``: every table as Parquet or JSON Lines, and statements as ClaimReview JSON-LD.

ClaimReview (schema.org) describes a claim and a review of it. onrecord extracts who claimed what, where and
when; it does not rate truth, so each item is a ClaimReview with its ``itemReviewed`` Claim (author, date,
appearance) and no ``reviewRating``: a fact-checker can take the items and add their own rating.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

import duckdb

from onrecord.errors import InputError
from onrecord.store import schema


def table_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every base table of the store: onrecord's own first, then any added later (positions over time, …)."""
    names = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_type IN ('BASE TABLE', 'VIEW') "
        "AND table_schema = 'main' ORDER BY table_name").fetchall()]  # a Parquet store's tables are views
    known = [t.name for t in schema.TABLES if t.name in names]
    return known + [n for n in names if n not in known]


def order_by(name: str) -> str:
    """The ORDER BY list that gives a table a stable row order."""
    table = schema.BY_NAME.get(name)
    return ", ".join(table.order) if table and table.order else "ALL"


def export_tables(con: duckdb.DuckDBPyConnection, folder: str | Path, fmt: str) -> list[Path]:
    """Write each table to ``folder/<table>.parquet`` or ``.jsonl`` in a stable row order."""
    out = Path(folder)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {out}: {exc.strerror or exc}") from None
    written = []
    for name in table_names(con):
        path = out / f"{name}.{'parquet' if fmt == 'parquet' else 'jsonl'}"
        options = "FORMAT parquet" if fmt == "parquet" else "FORMAT json"
        query = f'SELECT * FROM "{name}" ORDER BY {order_by(name)}'
        literal = str(path).replace("'", "''")
        con.execute(f"COPY ({query}) TO '{literal}' ({options})")
        written.append(path)
    return written


def _author(name: str | None, kind: str | None) -> dict[str, Any] | None:
    if not name:
        return None
    return {"@type": "Person" if kind in ("person", "unknown", None) else "Organization", "name": name}


def _claim(text: str, author: dict[str, Any] | None, published: Any, url: str | None, title: str | None,
           outlet: str | None, identifier: str, description: str) -> dict[str, Any]:
    appearance: dict[str, Any] = {"@type": "NewsArticle"}
    if url:
        appearance["url"] = url
    if title:
        appearance["headline"] = title
    if outlet:
        appearance["publisher"] = {"@type": "Organization", "name": outlet}
    if published:
        appearance["datePublished"] = str(published)
    claim: dict[str, Any] = {"@type": "Claim", "appearance": appearance}
    if author:
        claim["author"] = author
    if published:
        claim["datePublished"] = str(published)
    return {"@type": "ClaimReview", "identifier": identifier, "claimReviewed": text, "description": description,
            "itemReviewed": claim}


def claim_reviews(con: duckdb.DuckDBPyConnection) -> Any:
    """ClaimReview items for every statement: attributed ones (author = the speaker), then unsourced ones
    (author = the article's outlet), in ingest order."""
    cursor = con.execute("""
        SELECT t.article_id, t.id, t.content, t.speaker_name, t.speaker_kind, t.form, t.cue, t.via_chain,
               coalesce(a.published_date::VARCHAR, a.published), a.url, a.title, a.outlet
        FROM attributions t JOIN articles a ON a.id = t.article_id ORDER BY a.seq, t.content_start, t.id""")
    while rows := cursor.fetchmany(1000):
        for aid, sid, text, speaker, kind, form, cue, via, published, url, title, outlet in rows:
            how = f"{form} statement" + (f" ({cue})" if cue else "") + (f" via {via}" if via else "")
            yield _claim(text, _author(speaker, kind), published, url, title, outlet, f"{aid}/{sid}", how)
    cursor = con.execute("""
        SELECT u.article_id, u.id, u.text, u.checkworthiness, coalesce(a.published_date::VARCHAR, a.published),
               a.url, a.title, a.outlet
        FROM unsourced u JOIN articles a ON a.id = u.article_id ORDER BY a.seq, u.start_char, u.id""")
    while rows := cursor.fetchmany(1000):
        for aid, sid, text, score, published, url, title, outlet in rows:
            how = f"unsourced statement in the author's own voice (check-worthiness {score:.2f})"
            author = {"@type": "Organization", "name": outlet} if outlet else None
            yield _claim(text, author, published, url, title, outlet, f"{aid}/{sid}", how)


def export_claimreview(con: duckdb.DuckDBPyConnection, path: str | Path) -> int:
    """Write one JSON-LD document (``@graph`` of ClaimReview items), streamed. Returns the item count."""
    try:
        fh: IO[str] = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed below, written as a stream
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    count = 0
    with fh:
        fh.write('{"@context": "https://schema.org", "@graph": [\n')
        for item in claim_reviews(con):
            fh.write((",\n" if count else "") + json.dumps(item, ensure_ascii=False))
            count += 1
        fh.write("\n]}\n")
    return count
