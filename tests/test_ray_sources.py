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


def _feed_items(n: int) -> list[tuple[int, object]]:
    from onrecord.store.sources import Item

    return [(i, Item("feed", f"feed:{i + 1}", "row", {"text": f"Story {i}. " + TEXT}, None)) for i in range(n)]


def test_the_driver_stages_a_batch_at_a_time(tmp_path: Path) -> None:
    """The input is staged as one file per analysis batch, window by window, in input order; a window's last
    batches are cut into quarters (the actors finish together); no item is lost or repeated."""
    from onrecord.store import ray_engine

    items = iter(_feed_items(70))
    first = ray_engine._stage(items, tmp_path / "in", 40, 8, 2)
    second = ray_engine._stage(items, tmp_path / "in", 40, 8, 2)
    assert ray_engine._stage(items, tmp_path / "in", 40, 8, 2) == []
    assert [pq.read_metadata(f).num_rows for f in first] == [8] * 5
    assert [pq.read_metadata(f).num_rows for f in second] == [8, 8, 8, 6]
    first = ray_engine._cut_tail(first, 2, 8)
    assert [pq.read_metadata(f).num_rows for f in first] == [8, 8, 8, 2, 2, 2, 2, 2, 2, 2, 2]
    second = ray_engine._cut_tail(second, 2, 8)
    assert [pq.read_metadata(f).num_rows for f in second] == [8, 8, 2, 2, 2, 2, 2, 2, 2]
    assert len(list((tmp_path / "in").glob("*"))) == len(first) + len(second)  # the cut files are gone
    staged = ray_engine._read_items(first + second)
    assert staged["_pos"].to_pylist() == list(range(70)) and set(staged["_run"].to_pylist()) == {2}
    assert staged.schema == batch.ITEMS
    ones = ray_engine._stage(iter(_feed_items(3)), tmp_path / "small", 40, 1, 0)
    assert ray_engine._cut_tail(ones, 2, 1) == ones  # batches of 1 stay as they are


def test_actor_merging_does_not_depend_on_partitions(tmp_path: Path) -> None:
    """The actor input cut into 1, 3 or 7 partitions by resolution group, each resolved on its own, gives the
    same actors and ids."""
    from onrecord.store import parquet_store

    people = ["Minister Ruth Okoye", "Ruth Okoye", "Mayor Tom Berg", "Tom Berg", "Judge Ana Lima", "Okoye"]
    texts = [f"{people[i % 6]} said on Monday that plan {i} would go ahead.\n\n"
             f"“It is done,” {people[(i + 1) % 6].split()[-1]} told reporters.\n" for i in range(9)]
    results, cut = [], []

    def resolve(input_dir: Path, output_dir: Path, rules: list) -> None:
        cut.append(len(parquet_store.actor_partitions(input_dir)))
        parquet_store.resolve_locally(input_dir, output_dir, rules)

    for parts in (1, 3, 7):
        store = parquet_store.ParquetStore(tmp_path / f"s{parts}")
        store.create()
        items = batch.items_table(enumerate(parquet_sources.iter_all([_feed(tmp_path, texts)])), run=0)
        store.write_batch("b0", batch.analyse_batch(items))
        store.publish([], resolve, partitions=parts)
        con = schema.connect(store.path, read_only=True)
        results.append((con.execute("SELECT * FROM actors ORDER BY id").fetchall(),
                        con.execute("SELECT article_id, local_id, actor_id FROM mentions ORDER BY ALL").fetchall()))
        con.close()
    assert results[0][0] and len(results[0][0]) >= 3 and cut[0] == 1 and cut[1] > 1 and cut[2] > cut[1]
    assert results[0] == results[1] == results[2]


def _feed(tmp_path: Path, texts: list[str]) -> str:
    import json

    path = tmp_path / "feed.jsonl"
    if not path.exists():
        path.write_text("".join(json.dumps({"text": t, "id": f"a{i}"}) + "\n" for i, t in enumerate(texts)),
                        encoding="utf-8")
    return str(path)


def test_the_analysis_keeps_status_events_for_corroboration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``status`` the batch keeps the status events its articles' checks read (``status_events``); they are
    published, reach corroboration's input, and its per-article step reads them instead of parsing the articles
    again — with the facts a second parse gives."""
    from test_corroborate_status import CASES

    from onrecord.store import corroborate, corroborate_batch, parquet_store
    from onrecord.store.sources import Item

    articles = [{"id": f"e{i}", "outlet": "Capital Gazette", "published": "2024-06-03", "text": event}
                for i, (event, _) in enumerate(CASES.values())]
    items = batch.items_table([(i, Item("feed", f"feed:{i + 1}", "row", a)) for i, a in enumerate(articles)], run=0)
    out = batch.analyse_batch(items, status=True)
    assert set(out) == {t.name for t in schema.ARTICLE_TABLES} | {"outcomes", "status_events"}
    assert set(out["status_events"]["article_id"].to_pylist()) == {a["id"] for a in articles}  # one row at least
    assert "status_events" not in batch.analyse_batch(items)
    store = parquet_store.ParquetStore(tmp_path / "store")
    store.create()
    store.write_batch("b0", out)
    prepared: dict[str, list] = {}

    def read(work: Path) -> None:
        source = pq.read_table(parquet_store.corroboration_input(work))
        assert source["status"].null_count == 0
        real = corroborate._read_status
        parsed: list[str] = []

        def counted(by_article: object, texts: object, todo: list[str]) -> dict:
            parsed.extend(todo)
            return real(by_article, texts, todo)

        monkeypatch.setattr(corroborate, "_read_status", counted)
        prepared["kept"] = corroborate_batch.prepare(source)["statement_facts"].to_pylist()
        assert not parsed  # no article parsed again
        prepared["parsed"] = corroborate_batch.prepare(source.drop_columns(["status"]))["statement_facts"].to_pylist()
        assert parsed  # without the kept events, the articles are parsed

    store.publish([], parquet_store.resolve_locally, corroborate=read)
    assert any(f["kind"] == "status" for f in prepared["kept"])
    assert prepared["kept"] == prepared["parsed"]
    con = schema.connect(store.path, read_only=True)
    assert con.execute("SELECT count(DISTINCT article_id) FROM status_events").fetchone()[0] == len(articles)
    con.close()
