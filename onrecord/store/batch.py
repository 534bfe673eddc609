"""The per-batch function every engine runs: an Arrow table of articles in, Arrow tables of rows out.

``analyse_batch`` is the whole per-article work of a corpus run (read, skip what is stored, analyse, turn the
record into rows) and knows nothing about the engine around it: ``onrecord ingest`` runs the same steps
(``ingest.process``) on its process pool, ``--engine ray`` calls it from Ray Data's ``map_batches``, and Spark's
``mapInArrow`` can call it too (recipe in onrecord/store/README.md).

Input: a table in the ``ITEMS`` schema (one row per article to read: where it came from and what to read it
from; ``items_table`` builds it from ``sources.Item``s, ``articles_items`` from a table of articles with a
``text`` or ``html`` column). Output: one table per article table of the store (``seq`` and ``actor_id`` left
NULL: they are corpus-level, filled in when the rows are published) plus ``outcomes`` (one row per input row:
``ok``, ``skipped`` or ``failed`` with the stage and a one-line reason), and with ``status`` (the store
corroborates) ``status_events``: the status events each article's check read (``corroborate.STATUS``), so that the
corpus check need not parse the article again, and with ``vectors`` (the store corroborates in other words)
``statement_embeddings`` (``corroborate.EMBEDDINGS``). Every output row carries the input's ``_run`` and ``_pos``, which
order the articles exactly as a one-process run would.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import pyarrow as pa

from onrecord.store import schema
from onrecord.store.sources import Item

ORDER = [("_run", pa.int32()), ("_pos", pa.int64())]  # which ingest run, and the item's place in its input

ITEMS = pa.schema([*ORDER, ("source", pa.string()), ("name", pa.string()), ("kind", pa.string()),
                   ("payload", pa.binary()), ("url", pa.string())])

OUTCOMES = pa.schema([("name", pa.string()), ("source", pa.string()), ("status", pa.string()),
                      ("stage", pa.string()), ("reason", pa.string()), ("article_id", pa.string()), *ORDER])


def raw_schema(table: schema.Table) -> pa.Schema:
    """The Arrow schema of a table's rows as a batch produces them: the table's columns plus the order."""
    return pa.schema([*table.arrow, *ORDER])


def _payload(item: Item) -> bytes | None:
    if item.payload is None:
        return None
    if item.kind == "row":
        return json.dumps(item.payload, ensure_ascii=False).encode("utf-8")
    if isinstance(item.payload, bytes):
        return item.payload
    return str(item.payload).encode("utf-8", "surrogatepass")


def items_table(items: Iterable[tuple[int, Item]], run: int) -> pa.Table:
    """``(position, item)`` pairs as an ``ITEMS`` table."""
    rows = [{"_run": run, "_pos": pos, "source": it.source, "name": it.name, "kind": it.kind,
             "payload": _payload(it), "url": it.url} for pos, it in items]
    return pa.Table.from_pylist(rows, schema=ITEMS)


def articles_items(articles: pa.Table, *, source: str, run: int = 0, first_pos: int = 0) -> pa.Table:
    """A table of articles (``text`` or ``html`` plus optional ``title``, ``url``, ``published``, ``outlet``,
    ``id``) as an ``ITEMS`` table: each row is read like a JSON Lines object. Rows are named ``source:N``."""
    rows = []
    for i, row in enumerate(articles.to_pylist()):
        payload = {k: v for k, v in row.items() if v is not None and not isinstance(v, bytes)}
        rows.append({"_run": run, "_pos": first_pos + i, "source": source, "name": f"{source}:{first_pos + i + 1}",
                     "kind": "row", "payload": json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8"),
                     "url": None})
    return pa.Table.from_pylist(rows, schema=ITEMS)


def to_items(table: pa.Table) -> list[Item]:
    """The ``sources.Item`` of each row of an ``ITEMS`` table (what ``ingest.process`` reads)."""
    out = []
    for row in table.select(["source", "name", "kind", "payload", "url"]).to_pylist():
        payload: Any = row["payload"]
        if row["kind"] == "row":
            payload = json.loads(payload.decode("utf-8"))
        elif row["kind"] in ("file", "error"):
            payload = payload.decode("utf-8", "surrogatepass")
        out.append(Item(row["source"], row["name"], row["kind"], payload, row["url"]))
    return out


def row_tables(status: bool = False, vectors: bool = False) -> tuple[schema.Table, ...]:
    """The tables of rows a batch produces: the store's article tables, ``status_events`` with ``status`` and
    ``statement_embeddings`` with ``vectors``."""
    if not (status or vectors):
        return schema.ARTICLE_TABLES
    from onrecord.store.corroborate import EMBEDDINGS, STATUS

    return (*schema.ARTICLE_TABLES, *([STATUS] if status else []), *([EMBEDDINGS] if vectors else []))


def analyse_batch(items: pa.Table, *, max_bytes: int | None = None, known: np.ndarray | None = None,
                  status: bool = False, vectors: bool = False) -> dict[str, pa.Table]:
    """Analyse one batch of items. ``known``: sorted 8-byte hashes of the article ids already stored
    (``ingest.id_hash``), which are skipped before the costly analysis; ``status``: keep the status events too
    (``status_events``); ``vectors``: the statement vectors of the second stage (``statement_embeddings``). One bad
    item is a ``failed`` outcome, never an exception."""
    from onrecord.store import ingest

    ingest.init_worker(known if known is not None else np.empty(0, dtype=np.uint64), max_bytes, vectors=vectors,
                       status=status, in_pool=False)
    order = items.select(["_run", "_pos"]).to_pylist()
    outcomes = ingest.process(to_items(items))
    tables = row_tables(status, vectors)
    rows: dict[str, list[dict[str, Any]]] = {t.name: [] for t in tables}
    status = []
    for where, outcome in zip(order, outcomes, strict=True):
        status.append({"name": outcome.name, "source": outcome.source, "status": outcome.status,
                       "stage": outcome.stage, "reason": outcome.reason, "article_id": outcome.article_id, **where})
        for name, table_rows in (outcome.rows or {}).items():
            rows[name].extend({**r, **where} for r in table_rows)
    out = {t.name: pa.Table.from_pylist(rows[t.name], schema=raw_schema(t)) for t in tables}
    out["outcomes"] = pa.Table.from_pylist(status, schema=OUTCOMES)
    return out
