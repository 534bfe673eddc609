"""The store's tables: one definition gives the DuckDB DDL and the Arrow schema each batch is written with.

Columns are plain (text, numbers, dates, lists of text) so a person can query them with the DuckDB CLI.
Spans are character offsets into ``articles.text`` (``start_char``/``end_char``, or ``content_start`` and so on
in ``attributions``), exactly as in the record. See onrecord/store/README.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from onrecord.errors import InputError, OnrecordError

STORE_SCHEMA = "onrecord-store/1"

TEXT = ("VARCHAR", pa.string())
_INT = ("INTEGER", pa.int32())
_BIG = ("BIGINT", pa.int64())
_FLOAT = ("DOUBLE", pa.float64())
_DATE = ("DATE", pa.date32())
TEXTS = ("VARCHAR[]", pa.list_(pa.string()))
_VIA = (
    'STRUCT(name VARCHAR, kind VARCHAR, "start" INTEGER, "end" INTEGER, text VARCHAR)[]',
    pa.list_(pa.struct([("name", pa.string()), ("kind", pa.string()), ("start", pa.int32()),
                        ("end", pa.int32()), ("text", pa.string())])),
)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, tuple[str, Any]], ...]
    key: tuple[str, ...] = ()  # PRIMARY KEY columns (only where a lookup or an upsert needs them)
    order: tuple[str, ...] = ()  # stable order for exports and comparisons

    def ddl(self) -> str:
        cols = [f"{name} {kind[0]}" for name, kind in self.columns]
        if self.key:
            cols.append(f"PRIMARY KEY ({', '.join(self.key)})")
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n  " + ",\n  ".join(cols) + "\n)"

    @property
    def arrow(self) -> pa.Schema:
        return pa.schema([(name, kind[1]) for name, kind in self.columns])

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.columns]


ARTICLES = Table("articles", (
    ("id", TEXT),  # the record's article.id: sha256 of the text, or the id the source gave
    ("seq", _BIG),  # ingest order, 1, 2, …: the same on a resumed run as on an uninterrupted one
    ("content_hash", TEXT),  # sha256 of the analysed text
    ("title", TEXT), ("url", TEXT), ("published", TEXT), ("published_date", _DATE), ("outlet", TEXT),
    ("language", TEXT),
    ("source", TEXT),  # the SOURCE argument the article came from
    ("source_name", TEXT),  # the file, "file:line", "file#offset" (WARC) or "-:line" (stdin)
    ("record_schema", TEXT),
    ("n_attributions", _INT), ("n_unsourced", _INT), ("n_flags", _INT),
    ("text", TEXT),
), key=("id",), order=("id",))

ATTRIBUTIONS = Table("attributions", (
    ("article_id", TEXT), ("id", TEXT),
    ("actor_id", TEXT),  # canonical actor across articles (actors.id), NULL for unnamed groups and unknowns
    ("speaker_name", TEXT), ("speaker_kind", TEXT), ("speaker_role", TEXT),
    ("speaker_local", TEXT),  # the actor id inside the record (before cross-article merging)
    ("speaker_text", TEXT), ("speaker_start", _INT), ("speaker_end", _INT),
    ("cue", TEXT), ("cue_start", _INT), ("cue_end", _INT),
    ("content", TEXT), ("content_start", _INT), ("content_end", _INT),
    ("form", TEXT),  # direct | indirect | mixed
    ("via_chain", TEXT),  # the channel names, innermost first, joined by " ← " (NULL when none)
    ("via", _VIA),
    ("said_when", TEXT),  # the record's "when": a time expression from the sentence
), order=("article_id", "content_start", "id"))

UNSOURCED = Table("unsourced", (
    ("article_id", TEXT), ("id", TEXT), ("text", TEXT), ("start_char", _INT), ("end_char", _INT),
    ("checkworthiness", _FLOAT), ("flags", TEXTS),
), order=("article_id", "start_char", "id"))

ACTORS = Table("actors", (
    ("id", TEXT), ("name", TEXT), ("kind", TEXT),
    ("aliases", TEXTS),  # every spelling seen or given for this actor, the name included
    ("origin", TEXT),  # auto | merge (an aliases-file [[merge]]) | split (an aliases-file [[split]])
    ("match_key", TEXT),  # what merging looks candidates up by: p:<first 4 letters of the surname> or o:<slug>
    ("first_seq", _BIG),  # articles.seq of the first article naming it: ties between candidates go to the oldest
), key=("id",), order=("id",))

MENTIONS = Table("mentions", (
    ("article_id", TEXT),
    ("actor_id", TEXT),  # canonical (actors.id)
    ("local_id", TEXT),  # the actor id inside the record
    ("name", TEXT),  # the actor's name as this article gives it (its fullest form there)
    ("kind", TEXT), ("roles", TEXTS),
    ("text", TEXT), ("start_char", _INT), ("end_char", _INT),
    ("mention_kind", TEXT),  # name | pronoun | description (the record's actors[].mentions[].kind)
), order=("article_id", "local_id", "start_char"))

POSITIONS = Table("positions", (
    ("article_id", TEXT), ("actor_id", TEXT), ("local_actor", TEXT), ("issue", TEXT), ("stance", TEXT),
    ("attribution_id", TEXT), ("confidence", _FLOAT),
    ("origin", TEXT),  # "record" for positions from an article's record
), order=("article_id", "attribution_id", "issue", "actor_id"))

FLAGS = Table("flags", (
    ("article_id", TEXT), ("code", TEXT), ("severity", TEXT), ("text", TEXT), ("start_char", _INT),
    ("end_char", _INT), ("explanation", TEXT),
    ("related", TEXTS),  # ids of attributions / unsourced statements of the same article
    ("origin", TEXT),  # "record" for flags from one article's analysis, "corpus" for flags across articles
    ("statement", TEXT),  # corpus flags: the id of the statement flagged (related holds "<article id>/<id>")
), order=("article_id", "start_char", "code", "explanation"))

BOILERPLATE = Table("boilerplate", (
    ("article_id", TEXT), ("reason", TEXT), ("text", TEXT), ("start_char", _INT), ("end_char", _INT),
), order=("article_id", "start_char"))

FAILURES = Table("failures", (
    ("name", TEXT),  # the item that failed (same naming as articles.source_name)
    ("source", TEXT), ("stage", TEXT),  # read | analyse
    ("reason", TEXT),
), key=("name",), order=("name",))

ALIAS_RULES = Table("alias_rules", (
    ("n", _INT), ("rule", TEXT), ("canonical", TEXT), ("names", TEXTS), ("kind", TEXT), ("articles", TEXTS),
), order=("n",))

STORE_INFO = Table("store_info", (("key", TEXT), ("value", TEXT)), key=("key",), order=("key",))

# What one article adds (written together with its articles row, in one transaction per batch).
ARTICLE_TABLES = (ARTICLES, ATTRIBUTIONS, UNSOURCED, MENTIONS, POSITIONS, FLAGS, BOILERPLATE)
TABLES = (*ARTICLE_TABLES, ACTORS, FAILURES, ALIAS_RULES, STORE_INFO)
BY_NAME = {t.name: t for t in TABLES}


def create(con: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables; refuse a store written by an incompatible version."""
    for table in TABLES:
        con.execute(table.ddl())
        add_columns(con, table)
    # fetchall, not fetchone: DuckDB refuses register() on a connection left with an unfinished result
    rows = con.execute("SELECT value FROM store_info WHERE key = 'schema'").fetchall()
    row = rows[0] if rows else None
    if row is None:
        con.execute("INSERT INTO store_info VALUES ('schema', ?)", [STORE_SCHEMA])
    elif row[0] != STORE_SCHEMA:
        raise OnrecordError(f"the store has schema {row[0]!r}; this onrecord writes {STORE_SCHEMA!r}")


def add_columns(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Columns added to a table's definition since the store was created (additions only keep the schema)."""
    have = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                      "WHERE table_name = ? AND table_schema = 'main'", [table.name]).fetchall()}
    for name, kind in table.columns:
        if name not in have:
            con.execute(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind[0]}")


def connect(path: str | Path, *, read_only: bool = False, sandbox: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a store. Writable opens create it; read-only opens need it to exist. ``sandbox``: no file access
    beyond the store itself (no COPY TO, ATTACH, read_csv…), for queries a user types. A directory is a Parquet
    store (``onrecord.store.parquet_store``), opened read-only as DuckDB views over its files."""
    p = Path(path)
    if p.is_dir():
        from onrecord.store import parquet_store

        if not parquet_store.is_store(p):
            raise InputError(f"{p} is a folder, not a store (a DuckDB file, or a Parquet store from --engine ray)")
        if not read_only:
            raise InputError(f"{p} is a Parquet store: it is written only by onrecord ingest --engine ray")
        return parquet_store.connect(p, sandbox=sandbox)
    if read_only and not p.exists():
        raise InputError(f"no store at {p} (create one with: onrecord ingest SOURCE --store {p})")
    if not read_only and p.parent and not p.parent.exists():
        raise InputError(f"cannot create {p}: the folder {p.parent} does not exist")
    try:
        config = {"enable_external_access": False} if sandbox else {}
        con = duckdb.connect(str(p), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        message = str(exc)
        if "lock" in message.lower():
            raise OnrecordError(f"{p} is in use by another onrecord process (an ingest still running?)") from None
        raise InputError(f"cannot open {p}: {message.splitlines()[0]}") from None
    except duckdb.Error as exc:
        raise InputError(f"cannot open {p} as a DuckDB store: {str(exc).splitlines()[0]}") from None
    if not read_only:
        create(con)
    else:
        missing = [t.name for t in (ARTICLES, ACTORS) if not _has_table(con, t.name)]
        if missing:
            con.close()
            raise InputError(f"{p} is not an onrecord store (no table {missing[0]})")
    return con


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    query = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
    return bool(con.execute(query, [name]).fetchone()[0])


def insert(con: duckdb.DuckDBPyConnection, table: Table, rows: list[dict[str, Any]], *, upsert: bool = False,
           table_name: str | None = None) -> None:
    """Append rows through Arrow (by column name, so tables that gained columns still take them)."""
    if not rows:
        return
    data = pa.Table.from_pylist(rows, schema=table.arrow)
    target = table_name or table.name
    view = f"_batch_{target}"
    con.register(view, data)
    try:
        verb = "INSERT OR REPLACE INTO" if upsert else "INSERT INTO"
        con.execute(f"{verb} {target} BY NAME SELECT * FROM {view}")
    finally:
        con.unregister(view)
