"""Parquet files of articles as an ingest source, and the per-batch function's tables (no Ray needed)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from onrecord.errors import InputError
from onrecord.store import batch, parquet_sources, schema

TEXT = ("Health Minister Ruth Okoye said on Monday that the clinic would reopen in May.\n\n"
        "“Patients will not wait any longer,” Okoye told reporters.\n")


def test_parquet_rows_are_items(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    pq.write_table(pa.table({"text": [TEXT, None], "title": ["Clinic", "empty"], "views": [3, 4]}),
                   folder / "a.parquet")
    pq.write_table(pa.table({"body": ["no text column"]}), folder / "b.parquet")
    (folder / "c.parquet").write_bytes(b"not parquet at all")
    items = list(parquet_sources.iter_all([str(folder)]))
    assert [(Path(i.name).name, i.kind) for i in items] == [("a.parquet:1", "row"), ("a.parquet:2", "row"),
                                                              ("b.parquet", "error"), ("c.parquet", "error")]
    assert items[0].payload == {"text": TEXT, "title": "Clinic"}  # only the columns onrecord reads
    assert "'text' or 'html'" in items[2].payload
    with pytest.raises(InputError, match="no such file"):
        parquet_sources.check([str(tmp_path / "missing.parquet")])
    assert parquet_sources.signature(["-"]) is None


def test_analyse_batch_tables(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"text": [TEXT, "", TEXT]}), path)
    items = batch.items_table(enumerate(parquet_sources.iter_all([str(path)])), run=3)
    out = batch.analyse_batch(items)
    assert set(out) == {t.name for t in schema.ARTICLE_TABLES} | {"outcomes"}
    assert out["outcomes"].column("status").to_pylist() == ["ok", "failed", "ok"]  # the duplicate is kept here:
    assert out["articles"].num_rows == 2  # publishing takes each article id once
    assert out["attributions"].num_rows >= 2 and set(out["attributions"]["_run"].to_pylist()) == {3}
    assert out["articles"].schema == batch.raw_schema(schema.ARTICLES)


def test_a_batch_lost_on_every_retry_is_recorded_as_failures(tmp_path: Path) -> None:
    """Items whose batch never came back from Ray become failure rows (retried by the next run), never lost."""
    from onrecord.store import parquet_store, ray_engine
    from onrecord.store.sources import Item

    store = parquet_store.ParquetStore(tmp_path / "store")
    store.create()
    items = batch.items_table([(0, Item("feed", "feed:1", "json", b"{}")), (1, Item("feed", "feed:2", "json", b"{}"))],
                              run=0)
    assert ray_engine._record_lost(store, [items], {1}, "test") == ["feed:1"]
    store.publish([], parquet_store.resolve_locally)
    con = schema.connect(store.path, read_only=True)
    assert con.execute("SELECT name, stage FROM failures").fetchall() == [("feed:1", "analyse")]
    con.close()
