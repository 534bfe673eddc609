"""The corroboration summary's engine-neutral steps, without Ray: the conflict checks' input rows the engine's map
builds per article equal the rows a DuckDB store's SQL selects, and the flags, ``clusters`` and copy groups'
sources do not depend on how their rows are cut into groups (any partitioning of whole groups gives the tables
``onrecord corroborate`` writes)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from feeds import write_feed
from test_corroborate import PART1, PART2

from onrecord.store import corroborate as co
from onrecord.store import corroborate_batch as cb
from onrecord.store import parquet_store, schema
from onrecord.store.ingest import ingest

CUTS = (1, 3, 7)  # partitions the groups are cut into
CLUSTER_IN = pa.schema([*cb.MEMBERS_IN, ("source_key", pa.string())])  # members joined to their article's source


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corroboration articles, with stances on two issues (a change, and a same-day conflict), corroborated."""
    base = tmp_path_factory.mktemp("summary")
    path = base / "store.duckdb"
    ingest([write_feed(base / "feed.jsonl", PART1 + PART2)], path, jobs=1, progress=False)
    con = schema.connect(path)
    try:
        rows = [("before", "a1", "tomas-varga", "police-budget", "cut", 0.9),
                ("speaks", "a1", "tomas-varga", "police-budget", "raise", 0.9),
                ("speaks", "a1", "tomas-varga", "police-budget", "cut", 0.4),  # its less confident reading
                ("w2", "a1", "ana-ferraz", "rail", "reopen", 0.9),
                ("w3", "a1", "ana-ferraz", "rail", "delay", None)]
        schema.insert(con, schema.POSITIONS, [
            {"article_id": a, "attribution_id": s, "actor_id": actor, "local_actor": None, "issue": issue,
             "stance": stance, "confidence": confidence, "origin": "issues"}
            for a, s, actor, issue, stance, confidence in rows])
        co.corroborate(con)
    finally:
        con.close()
    return path


def _canon(rows: list[dict[str, Any]], names: list[str]) -> list[str]:
    return sorted(repr(tuple(r[n] for n in names)) for r in rows)


def _rows(con: duckdb.DuckDBPyConnection, query: str) -> list[dict[str, Any]]:
    cursor = con.execute(query)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _write_version(con: duckdb.DuckDBPyConnection, work: Path) -> None:
    """The store's article tables as a Parquet version in ``work`` (the engine's input is built from them)."""
    for name in ("articles", "attributions", "unsourced", "mentions", "positions", "actors"):
        (work / name).mkdir(parents=True)
        con.execute(f"COPY {name} TO '{work / name / 'part-0.parquet'}' (FORMAT parquet)")


def _partitions(rows: list[dict[str, Any]], shard: str, k: int) -> list[list[dict[str, Any]]]:
    parts: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        parts[r[shard] % k].append(r)
    return list(parts.values())


def test_check_rows_per_article_equal_the_store_query(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    expected = co.check_rows(con)
    assert {r["check"] for r in expected} == {"event", "spoken", "count", "position"}
    work = tmp_path / "version"  # the store's tables as a Parquet version, the engine's input built from them
    _write_version(con, work)
    articles = pq.read_table(parquet_store.corroboration_input(work))
    reported = {r["key"] for r in expected if r["check"] == "event"}
    for size in (1, 5):  # articles per map call
        got = [r for i in range(0, articles.num_rows, size)
               for r in cb.prepare(articles.slice(i, size))["checks"].to_pylist()]
        # the map cannot know which actors have events, so it keeps every dated attribution of a canonical actor:
        # a group without an event gives no flag
        got = [r for r in got if r["check"] != "spoken" or r["key"] in reported]
        assert _canon(got, co.CHECKS.names) == _canon(expected, co.CHECKS.names)


def test_flags_do_not_depend_on_grouping(con: duckdb.DuckDBPyConnection) -> None:
    stored = [dict(zip(schema.FLAGS.names, r, strict=True)) for r in con.execute(
        "SELECT * FROM flags WHERE origin = 'corpus'").fetchall()]
    assert {f["code"] for f in stored} == {"conflict", "position-change"}
    rows = [{**r, "shard": cb.text_shard(r["key"])} for r in co.check_rows(con)]
    for k in CUTS:
        flags = [f for part in _partitions(rows, "shard", k)
                 for f in cb.check_flags(pa.Table.from_pylist(part, schema=cb.CHECKS)).to_pylist()]
        for k2 in CUTS:
            got = [f for part in _partitions(flags, "shard", k2)
                   for f in cb.unique_flags(pa.Table.from_pylist(part, schema=cb.FLAGS_IN)).to_pylist()]
            assert _canon(got, schema.FLAGS.names) == _canon(stored, schema.FLAGS.names)


def test_sources_and_clusters_do_not_depend_on_grouping(con: duckdb.DuckDBPyConnection) -> None:
    names = co.BY_NAME["article_sources"].names
    stored = _rows(con, "SELECT * FROM article_sources")
    rows = _rows(con, """SELECT s.* REPLACE (NULL AS source_key), a.published_date FROM article_sources s
                          JOIN articles a ON a.id = s.article_id""")
    rows = [{**r, "shard": cb.text_shard(r["group_id"])} for r in rows]
    assert len({r["group_id"] for r in rows}) < len(rows)  # copies share groups
    for k in CUTS:
        got = [r for part in _partitions(rows, "shard", k)
               for r in cb.group_sources(pa.Table.from_pylist(part, schema=cb.SOURCES_IN)).to_pylist()]
        assert _canon(got, names) == _canon(stored, names)
    stored = _rows(con, "SELECT * FROM clusters")
    members = _rows(con, """
        SELECT m.*, s.source_key, a.seq, a.published_date, a.outlet, coalesce(t.content, u.text) AS text
        FROM cluster_members m JOIN articles a ON a.id = m.article_id JOIN article_sources s ON s.article_id = a.id
        LEFT JOIN attributions t ON m.kind = 'attribution' AND t.article_id = m.article_id AND t.id = m.statement_id
        LEFT JOIN unsourced u ON m.kind = 'unsourced' AND u.article_id = m.article_id AND u.id = m.statement_id
        WHERE m.cluster_id >= 0""")
    members = [{**r, "shard": r["cluster_id"] & (cb.SHARDS - 1)} for r in members]
    names = co.BY_NAME["clusters"].names
    for k in CUTS:
        got = [r for part in _partitions(members, "shard", k)
               for r in cb.cluster_rows(pa.Table.from_pylist(part, schema=CLUSTER_IN)).to_pylist()]
        assert _canon(got, names) == _canon(stored, names)
    assert any(r["articles"] > 1 for r in stored)


def _compared(pairs: pa.Table, items: pa.Table, id_column: str, payload: pa.Schema, verdict: Any, k: int
              ) -> pa.Table:
    """``ray_engine._compare`` in this process: ``route`` over the pairs and items cut by candidate shard into ``k``
    partitions of whole groups, then ``compare`` over ``k`` parts."""
    schema = cb.compare_schema(payload)

    def parts(table: pa.Table) -> list[pa.Table]:
        return [pa.Table.from_pylist(p, schema=schema) for p in _partitions(table.to_pylist(), "shard", k)]

    rows = pa.concat_tables([cb.pair_rows(pairs, schema), cb.item_rows(items, schema, id_column)])
    routed = pa.concat_tables([cb.route(p, k) for p in parts(rows)] or [schema.empty_table()])
    keyed = pa.concat_tables([routed, cb.item_rows(items, schema, id_column, k)])
    return pa.concat_tables([cb.compare(p, verdict) for p in parts(keyed)] or [cb.LINKS.empty_table()])


def test_comparisons_do_not_depend_on_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Candidate pairs compared with each side's payload fetched once per part give the links of the pairs joined
    to both payloads, whatever the parts; a part holds each payload at most once."""
    monkeypatch.setattr(cb, "VERDICT_BATCH", 3)
    base = list(range(100, 160))
    shingles = {seq: [*base[seq % 4:], seq] if seq % 3 else base[:5] for seq in range(1, 40)}
    items = pa.table({"seq": list(shingles), "shingles": list(shingles.values())},
                     schema=pa.schema([("seq", pa.int64()), ("shingles", pa.list_(pa.int64()))]))
    pairs = pa.table({"key": [k for k in shingles for c in shingles if c < k and (k + c) % 4],
                      "candidate": [c for k in shingles for c in shingles if c < k and (k + c) % 4]})
    joined = pa.Table.from_pylist([{"key": k, "candidate": c, "shingles": shingles[k], "c_shingles": shingles[c]}
                                   for k, c in zip(pairs["key"].to_pylist(), pairs["candidate"].to_pylist(),
                                                   strict=True)])
    expected = _canon(cb.article_verdicts(joined).to_pylist(), cb.LINKS.names)
    assert len(expected) > 10
    for k in CUTS:
        got = _compared(pairs, items, "seq", cb.ARTICLE_SHINGLES, cb.article_verdicts, k)
        assert _canon(got.to_pylist(), cb.LINKS.names) == expected
    schema = cb.compare_schema(cb.ARTICLE_SHINGLES)
    routed = cb.route(pa.concat_tables([cb.pair_rows(pairs, schema), cb.item_rows(items, schema, "seq")]), 2)
    sent = routed.filter(pc.is_valid(routed["id"]))
    assert sent.num_rows <= 2 * items.num_rows < pairs.num_rows  # a candidate's list once per part, not per pair


def _joined(left: pa.Table, right: pa.Table, on: str, schemas: tuple[pa.Schema, pa.Schema], k: int,
            how: str = "inner") -> pa.Table:
    """``ray_engine._join`` in this process: both sides' rows cut into ``k`` parts by key, a lookup per part."""
    schema = cb.join_schema(*schemas, on)
    rows = pa.concat_tables([cb.join_rows(left.select(schemas[0].names), schema, on, False, k),
                             cb.join_rows(right.select(schemas[1].names), schema, on, True, k)])
    names = [n for n in schemas[1].names if n != on]
    return pa.concat_tables([cb.lookup(pa.Table.from_pylist(p, schema=schema), on, how, schemas[0].names, names)
                             for p in _partitions(rows.to_pylist(), "_part", k)])


def _statement_clusters(statements: pa.Table, k: int) -> list[dict[str, Any]]:
    """The engine's statement steps (``ray_engine._corroborate``) in this process, every groupby cut into ``k``
    partitions of whole groups and every map into batches of ``k`` rows: ``cluster_members`` rows."""
    linked = _linked_members(statements, k)
    return [r for i in range(0, linked.num_rows, k) for r in cb.member_rows(linked.slice(i, k)).to_pylist()]


def _linked_members(statements: pa.Table, k: int) -> pa.Table:
    """The engine's ``linked_members`` (``RESOLVED`` rows with their cluster id), built as ``_statement_clusters``
    says."""
    def parts(table: pa.Table) -> list[pa.Table]:
        return [pa.Table.from_pylist(p, schema=table.schema) for p in _partitions(table.to_pylist(), "shard", k)]

    def batches(table: pa.Table) -> list[pa.Table]:
        return [table.slice(i, k) for i in range(0, table.num_rows, k)]

    lined = pa.concat_tables([cb.line_links(p) for p in parts(cb.line_shard(statements))])
    pairs = pa.concat_tables([cb.bucket_pairs(p, "member") for p in parts(cb.rep_bands(lined))])
    reps = lined.filter(pc.is_null(lined["matched"])).select(["member", "text", "context"])
    links = _compared(pairs, reps, "member", cb.STATEMENT_TEXT, cb.statement_verdicts, k)
    links = cb.with_shard(links, "key")
    rep_links = pa.concat_tables([cb.best_per_key(p) for p in parts(links)] or [cb.REP_LINKS.empty_table()])
    while True:  # pointer jumping: the engine's rounds of joins, each a lookup here
        roots = dict(zip(rep_links["via"].to_pylist(), rep_links["b_root"].to_pylist(), strict=True))
        step = rep_links.append_column("next_root", pa.array([roots.get(r) for r in rep_links["b_root"].to_pylist()],
                                                             pa.int64()))
        step = pa.concat_tables([cb.jump(b) for b in batches(step)] or [rep_links.append_column(
            "changed", pa.array([], pa.bool_()))])
        rep_links = step.drop_columns(["changed"])
        if not any(step["changed"].to_pylist()):
            break
    lined = _joined(cb.with_via(lined), rep_links, "via", (cb.VIA, cb.REP_LINKS), k, "left_outer")
    resolved = pa.concat_tables([cb.resolve(b) for b in batches(lined)])
    founders = resolved.filter(pc.equal(resolved["root"], resolved["member"])).select(["member", "block"])
    counts: dict[int, int] = defaultdict(int)
    for block in founders["block"].to_pylist():
        counts[block] += 1
    before = cb.blocks_before(counts)
    founders = founders.append_column("shard", founders["block"])
    ids = pa.concat_tables([cb.number_founders(p.drop_columns(["shard"]), before) for p in parts(founders)])
    joined_ids = _joined(resolved, ids, "root", (cb.RESOLVED, cb.FOUNDERS), k)
    assert joined_ids.num_rows == resolved.num_rows
    return joined_ids


def test_statement_clusters_do_not_depend_on_cuts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many copies of one statement (more than BUCKET_CAP) and four wordings of another (their links a chain): the
    engine's steps — copies linked per wording, representatives by LSH, links resolved by pointer jumping, founders
    numbered per block — give the one-process ``cluster_members`` whatever the cut, each copy one link."""
    from test_corroborate import COPIES, copies_store

    monkeypatch.setattr(cb, "BLOCK", 16)  # founders numbered across several blocks
    path = copies_store(tmp_path / "copies.duckdb")
    con = schema.connect(path, read_only=True)
    try:
        stored = _rows(con, "SELECT * FROM cluster_members")
        work = tmp_path / "version"
        _write_version(con, work)
    finally:
        con.close()
    statements = cb.prepare(pq.read_table(parquet_store.corroboration_input(work)))["statements"]
    names = cb.MEMBERS.names
    for k in CUTS:
        assert _canon(_statement_clusters(statements, k), names) == _canon(stored, names)
    lined = cb.line_links(cb.line_shard(statements))
    assert pc.sum(pc.is_valid(lined["matched"])).as_py() == (COPIES - 1) + (COPIES - 4)  # a copy: one link
    reps = set(lined.filter(pc.is_null(lined["matched"]))["member"].to_pylist())
    pairs = cb.bucket_pairs(cb.rep_bands(lined), "member")  # LSH candidates: among the representatives only
    assert set(pairs["key"].to_pylist()) | set(pairs["candidate"].to_pylist()) <= reps


def test_copy_pairs_grow_linearly_with_copies() -> None:
    """A cluster carried by n articles pairs each with the cluster's first ORIGINALS articles: n × ORIGINALS rows
    (less the article with itself), not n²."""
    for n in (10, 100):
        group = pa.table({"cluster_id": [7] * n, "member": list(range(1, n + 1)),
                          "article_id": [f"a{i:03d}" for i in range(n)], "seq": list(range(1, n + 1)),
                          "own": [True] * n})
        pairs = cb.statement_copy_pairs(group)
        assert pairs.num_rows == n * co.ORIGINALS - co.ORIGINALS
        assert set(pairs["y"].to_pylist()) == {f"a{i:03d}" for i in range(co.ORIGINALS)}


def test_time_segments() -> None:
    """Blocks two or more apart never meet in a window: a segment each; undated statements are one of their own."""
    from onrecord.store import match

    assert match.segments([10, 11, 12, 14, 15, 30, None, 11]) == {10: 10, 11: 10, 12: 10, 14: 14, 15: 14, 30: 30,
                                                                   None: match.UNDATED_SEGMENT}
    assert match.segments([]) == {}


def test_paraphrase_stage_per_segment_equals_one_process(tmp_path: Path) -> None:
    """The second stage as the engine runs it — statements cut into time segments, each segment's loop on its own,
    run again while a verbatim copy across a gap moves — gives the one-process ``cluster_members``,
    ``statement_vectors`` and ``claim_conflicts`` of ``corroborate(paraphrase=True)``, ids included. A copy three
    weeks later of a statement that joined another outlet's cluster in other words needs the second round."""
    from datetime import date, timedelta

    from test_corroborate_semantic import TALKS, TALKS_OTHER_WORDS, TALKS_THIRD, UNRELATED, make_store

    day, later = date(2024, 3, 4), date(2024, 3, 25)
    killed12 = "The storm killed 12 people in the coastal villages, the civil defence said."
    killed36 = "The civil defence said 36 people were killed by the storm in coastal villages."
    path = make_store(tmp_path / "s.duckdb", [
        ("a", "Harbour Times", day, [TALKS, UNRELATED]),
        ("b", "Valley Post", day, [TALKS_OTHER_WORDS]),
        ("c", "Daily Ledger", later, [TALKS_OTHER_WORDS]),  # a verbatim copy across the gap of b's
        ("d", "Evening Star", later, [TALKS_THIRD]),  # other words, judged against the cluster's core (a's)
        ("e", "Harbour Times", later, [killed12]),
        ("f", "Valley Post", later + timedelta(days=1), [killed36]),  # a changed figure: a conflict
        ("g", "Morning Herald", None, [TALKS_OTHER_WORDS, UNRELATED]),  # undated copies
    ])
    co.corroborate(path, paraphrase=True)
    con = schema.connect(path, read_only=True)
    try:
        expected = {name: _rows(con, f"SELECT * FROM {name}")
                    for name in ("cluster_members", "statement_vectors", "claim_conflicts")}
        work = tmp_path / "version"
        _write_version(con, work)
    finally:
        con.close()
    assert any(r["how"] == "paraphrase" for r in expected["cluster_members"]) and expected["claim_conflicts"]
    statements = cb.prepare(pq.read_table(parquet_store.corroboration_input(work)))["statements"]
    parts = work / parquet_store.CORROBORATION
    parquet_store.write_table(parts / "linked_members" / "part-0.parquet", _linked_members(statements, 1))
    folders, needs = parquet_store.paraphrase_input(work)
    assert len(folders) == 3 and sum(map(len, needs.values())) >= 1  # two dated segments and the undated one

    def run(todo: list[Path], redirects: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for f in todo for r in parquet_store.paraphrase_segment(f, redirects)[0].to_pylist()]

    rounds, _ = cb.paraphrase_rounds(folders, needs, run)
    assert rounds == 2  # the copies of b's statement moved with it in the second
    parquet_store.paraphrase_finish(work)
    got = pq.read_table(parts / "linked_members")
    names = cb.MEMBERS.names
    assert _canon(cb.member_rows(got).to_pylist(), names) == _canon(expected["cluster_members"], names)
    for name in ("statement_vectors", "claim_conflicts"):
        names = co.BY_NAME[name].names
        assert _canon(pq.read_table(parts / name).to_pylist(), names) == _canon(expected[name], names)
