"""The store as a directory of Parquet datasets, one per table — what ``ingest --engine ray`` writes.

    DIR/onrecord-store.json          what the directory is, and the ingest runs it has seen (their sources)
    DIR/current                      the name of the published version, e.g. "v000003" (replaced atomically)
    DIR/v000003/<table>/*.parquet    the tables: the same names, columns and rows as a DuckDB store
    DIR/_analysed/<table>/<batch>.parquet   rows as the analysis wrote them, per batch (not yet numbered)
    DIR/_analysed/outcomes/<batch>.parquet  each batch's outcomes: written last, it commits the batch

Writing is in two steps, each atomic. A batch's files are written under temporary names and renamed; its
``outcomes`` file is renamed last, and a batch without one does not exist (a worker killed half-way leaves only
files nothing reads, which the retry overwrites). Publishing numbers the new articles (``seq``: after every
published article, in input order), merges actors across the whole corpus, writes every table into a new
version directory and then replaces ``current``: a reader sees the old tables or the new ones, never a mix.

Reading: ``connect`` opens an in-memory DuckDB with one view per table over the published Parquet files, so
every query command runs unchanged on ``--store DIR`` (no import step).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from onrecord.errors import InputError, OnrecordError
from onrecord.store import batch, canonical, schema

MARKER = "onrecord-store.json"
LAYOUT = "parquet-directory/1"
ANALYSED = "_analysed"
OUTCOMES = "outcomes"
STATUS_EVENTS = "status_events"  # kept by the analysis when the store corroborates (``batch.row_tables``)
EMBEDDINGS = "statement_embeddings"  # kept by the analysis when the store corroborates in other words
CHOSEN = "_chosen"  # per version: where each published article's rows are (id, seq, _batch, _pos)
KEEP_VERSIONS = 2  # the published version and the one before (a reader may still be on it)


SCRATCH_MEMORY = "512MB"  # DuckDB's memory on the publishing driver: past it, joins and sorts spill to disk


def scratch() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for publishing, bounded: its memory capped (by default DuckDB takes up to 80% of the
    machine's and its buffer pool grew with the corpus on the driver), spilling into the system's temporary
    folder (never into the store, whose folders are tables)."""
    spill = Path(tempfile.gettempdir()) / f"onrecord-duckdb-{os.getpid()}"
    return duckdb.connect(":memory:", config={"memory_limit": SCRATCH_MEMORY, "temp_directory": str(spill)})


def is_store(path: str | Path) -> bool:
    return (Path(path) / MARKER).is_file()


def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    write(tmp)
    os.replace(tmp, path)


def write_table(path: Path, table: pa.Table) -> None:
    """One Parquet file, written under a temporary name and renamed (readers never see part of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def _write_text(path: Path, text: str) -> None:
    _write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


class ParquetStore:
    """A Parquet store directory (see the module doc)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    # -- the directory

    def create(self) -> None:
        if self.path.exists() and not self.path.is_dir():
            raise InputError(f"{self.path} is a file: --engine ray writes a directory of Parquet datasets")
        if self.path.is_dir() and any(self.path.iterdir()) and not is_store(self.path):
            raise InputError(f"{self.path} is a folder with other files in it, not an onrecord Parquet store")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create {self.path}: {exc.strerror or exc}") from None
        if not is_store(self.path):
            self._save_info({"schema": schema.STORE_SCHEMA, "layout": LAYOUT, "runs": []})

    def info(self) -> dict[str, Any]:
        info = json.loads((self.path / MARKER).read_text(encoding="utf-8"))
        if info.get("schema") != schema.STORE_SCHEMA:
            raise OnrecordError(f"the store has schema {info.get('schema')!r}; this onrecord writes "
                                f"{schema.STORE_SCHEMA!r}")
        return info

    def _save_info(self, info: dict[str, Any]) -> None:
        _write_text(self.path / MARKER, json.dumps(info, indent=1) + "\n")

    def run_number(self, signature: list[str] | None) -> int:
        """The number of the run reading these sources: the same sources (a resumed run) get the same number, so
        their articles keep their input order; new sources (or stdin, ``None``) a new one."""
        info = self.info()
        runs = info.setdefault("runs", [])
        if signature is not None and signature in runs:
            return runs.index(signature)
        runs.append(signature)
        self._save_info(info)
        return len(runs) - 1

    def version(self) -> Path | None:
        current = self.path / "current"
        if not current.is_file():
            return None
        return self.path / current.read_text(encoding="utf-8").strip()

    # -- analysed batches

    def analysed(self, table: str) -> Path:
        return self.path / ANALYSED / table

    def write_batch(self, key: str, tables: dict[str, pa.Table]) -> None:
        """A batch's tables, then its outcomes (the commit marker)."""
        for name, table in tables.items():
            if name != OUTCOMES:
                write_table(self.analysed(name) / f"{key}.parquet", _with_batch(table, key))
        write_table(self.analysed(OUTCOMES) / f"{key}.parquet", _with_batch(tables[OUTCOMES], key))

    def attempt(self, key: str) -> int:
        """Count one more attempt at analysing batch ``key``; returns the count (1 on the first)."""
        path = self.path / ANALYSED / "_attempts" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        count = int(path.read_text(encoding="utf-8") or 0) + 1 if path.exists() else 1
        _write_text(path, str(count))
        return count

    def known_ids(self) -> np.ndarray:
        """8-byte hashes of every article id analysed and committed (the workers' "already stored?" test)."""
        from onrecord.store.ingest import id_hash

        con = self._raw_connection()
        try:
            cursor = con.execute("SELECT DISTINCT article_id FROM raw_outcomes WHERE status = 'ok'")
            hashes: list[int] = []
            while rows := cursor.fetchmany(100_000):
                hashes.extend(id_hash(r[0]) for r in rows)
        finally:
            con.close()
        values = np.array(hashes, dtype=np.uint64)
        values.sort()
        return values

    def _raw_connection(self) -> duckdb.DuckDBPyConnection:
        """DuckDB views ``raw_<table>`` over the committed batches (rows of batches without outcomes are ignored)."""
        con = scratch()
        con.execute("SET preserve_insertion_order = false")
        _view(con, "raw_outcomes", self.analysed(OUTCOMES), _batch_schema(batch.OUTCOMES))
        for table in batch.row_tables(status=True, vectors=True):
            _view(con, f"raw_all_{table.name}", self.analysed(table.name), _batch_schema(batch.raw_schema(table)))
            con.execute(f"CREATE VIEW raw_{table.name} AS SELECT * FROM raw_all_{table.name} "
                        "WHERE _batch IN (SELECT DISTINCT _batch FROM raw_outcomes)")
        return con

    # -- publishing

    def publish(self, rules: list[canonical.Rule], resolve: Callable[[Path, Path, list[canonical.Rule]], None],
                *, corroborate: bool | Callable[[Path], Any] = False, partitions: int = 1) -> tuple[int, Any]:
        """Number the new articles, merge actors (``resolve(input_dir, output_dir, rules)``: the engine's map over
        the partitions of the actor input, ``resolve_partition`` on each), corroborate when asked
        (``corroborate(version_dir)``: the engine's steps, ``True``: ``corroborate_tables`` in this process), write
        every table into a new version and make it current. ``partitions``: at least this many partitions of the
        actor input (more for a large corpus: ``ARTICLES_PER_PARTITION``). Returns how many articles were new, and
        the corroboration summary (or None)."""
        previous = self.version()
        name = f"v{(int(previous.name[1:]) + 1) if previous else 1:06d}"
        work = self.path / f".{name}.tmp"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        con = self._raw_connection()
        try:
            if previous is not None:
                _view(con, "prev_chosen", previous / CHOSEN, _CHOSEN_SCHEMA)
            else:
                con.register("prev_chosen", _CHOSEN_SCHEMA.empty_table())
            # the first analysis of each article id not yet published, numbered after the published ones
            con.execute("""
                CREATE TABLE new_chosen AS
                SELECT id, _batch, _run, _pos FROM raw_articles
                WHERE id NOT IN (SELECT id FROM prev_chosen)
                QUALIFY row_number() OVER (PARTITION BY id ORDER BY _run, _pos, _batch) = 1""")
            base = con.execute("SELECT coalesce(max(seq), 0) FROM prev_chosen").fetchone()[0]
            new = con.execute("SELECT count(*) FROM new_chosen").fetchone()[0]
            _copy(con, f"""SELECT id, {base} + row_number() OVER (ORDER BY _run, _pos, _batch) AS seq, _batch, _pos
                           FROM new_chosen UNION ALL SELECT id, seq, _batch, _pos FROM prev_chosen""", work / CHOSEN)
            _view(con, "chosen", work / CHOSEN, _CHOSEN_SCHEMA)
            # every record actor with its article's place in the corpus: the input of actor merging
            groups = canonical.rule_groups(rules)
            con.create_function("onrecord_group", lambda n: canonical.group_key(n, groups), ["VARCHAR"], "VARCHAR",
                                null_handling="special")
            # the actor input cut into partitions by resolution group, as DuckDB writes it (a group never spans two
            # partitions): the engine resolves each partition on its own, no shuffle
            parts = max(1, partitions, -(-(base + new) // ARTICLES_PER_PARTITION))
            con.execute(f"""
                COPY (SELECT *, hash("group") % {parts} AS _part FROM (
                    SELECT c.seq, m.article_id, m.local_id, any_value(m.name) AS name, any_value(m.kind) AS kind,
                           list(m.text) AS texts, onrecord_group(any_value(m.name)) AS "group"
                    FROM raw_mentions m
                    JOIN chosen c ON c.id = m.article_id AND c._batch = m._batch AND c._pos = m._pos
                    GROUP BY c.seq, m.article_id, m.local_id))
                TO {_quote(work / "_actor_input")} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (_part))""")
            # the engine merges actors while DuckDB writes the tables that carry no actor id
            with ThreadPoolExecutor(1) as merging:
                merged = merging.submit(resolve, work / "_actor_input", work / "_actors", rules)
                self._write_tables(con, work, rules, with_actors=False)
                merged.result()
            _view(con, "resolved", work / "_actors", canonical.RESOLVED)
            self._write_tables(con, work, rules, with_actors=True)
            shutil.rmtree(work / "_actor_input", ignore_errors=True)
            shutil.rmtree(work / "_actors", ignore_errors=True)
        finally:
            con.close()
        if corroborate is True:
            corroborate = corroborate_tables
        summary = corroborate(work) if corroborate else None
        os.replace(work, self.path / name)
        _write_text(self.path / "current", name + "\n")
        versions = sorted(p for p in self.path.glob("v[0-9]*") if p.is_dir())
        for old in versions[:-KEEP_VERSIONS]:
            shutil.rmtree(old, ignore_errors=True)
        return int(new), summary

    def paraphrase(self) -> bool:
        """Whether the store corroborates in other words (``corroborate --paraphrase``): the setting kept in the
        marker file, else the published version's ``store_info``, else ``corroborate.PARAPHRASE_DEFAULT`` — as
        ``corroborate.paraphrase_enabled`` reads a DuckDB store's."""
        from onrecord.store import corroborate as co

        info = self.info()
        if "paraphrase" in info:
            return bool(info["paraphrase"])
        version = self.version()
        if version is not None and (version / "store_info").is_dir():
            for r in pq.read_table(version / "store_info").to_pylist():
                if r["key"] == "corroborate_paraphrase":
                    return r["value"] == "1"
        return co.PARAPHRASE_DEFAULT

    def set_paraphrase(self, on: bool) -> None:
        """Keep the second stage's setting in the store: every later corroboration (an ingest's) follows it."""
        info = self.info()
        info["paraphrase"] = bool(on)
        self._save_info(info)

    def corroborated(self) -> bool:
        """Whether the published store has been corroborated (later ingests then keep it up to date)."""
        version = self.version()
        if version is None:
            return False
        rows = pq.read_table(version / "store_info").to_pylist()
        return any(r["key"] == "corroborate" for r in rows)

    def _write_tables(self, con: duckdb.DuckDBPyConnection, work: Path, rules: list[canonical.Rule], *,
                      with_actors: bool) -> None:
        """The version's tables: those with actor ids (``with_actors``: after actor merging, from ``resolved``),
        or the others."""
        local = {"attributions": "speaker_local", "mentions": "local_id", "positions": "local_actor"}
        # status_events, statement_embeddings: what the analysis kept for corroboration (``batch.row_tables``),
        # published when it did
        for table in batch.row_tables(status=any(self.analysed(STATUS_EVENTS).glob("*.parquet")),
                                      vectors=any(self.analysed(EMBEDDINGS).glob("*.parquet"))):
            if (table.name in local) != with_actors:
                continue
            cols = []
            for col in table.names:
                if table is schema.ARTICLES and col == "seq":
                    cols.append("c.seq")
                elif col == "actor_id" and table.name in local:
                    cols.append("r.actor_id")
                else:
                    cols.append(f"t.{col}")
            join = ""
            if table.name in local:
                join = ("LEFT JOIN (SELECT article_id, local_id, actor_id FROM resolved "
                        "WHERE article_id IS NOT NULL) r "
                        f"ON r.article_id = t.article_id AND r.local_id = t.{local[table.name]}")
            key = "id" if table is schema.ARTICLES else "article_id"
            _copy(con, f"""SELECT {', '.join(f'{c} AS {n}' for c, n in zip(cols, table.names, strict=True))}
                           FROM raw_{table.name} t
                           JOIN chosen c ON c.id = t.{key} AND c._batch = t._batch AND c._pos = t._pos {join}
                           ORDER BY {', '.join('t.' + o if o != 'seq' else 'c.seq' for o in table.order)}""",
                  work / table.name)
        if with_actors:
            actor_cols = ", ".join(f"canon_{n} AS {n}" for n in schema.ACTORS.names)
            _copy(con, f"SELECT {actor_cols} FROM resolved WHERE article_id IS NULL ORDER BY 1", work / "actors")
            return
        # an item's failure stands until a later outcome of the same name (stored or already there) clears it
        _copy(con, """SELECT name, source, stage, reason FROM (
                          SELECT * FROM raw_outcomes
                          QUALIFY row_number() OVER (PARTITION BY name
                                                     ORDER BY _run DESC, _pos DESC, status = 'failed', _batch) = 1)
                      WHERE status = 'failed' ORDER BY name""", work / "failures")
        _arrow(work / "alias_rules", pa.Table.from_pylist([r.row(n) for n, r in enumerate(rules, 1)],
                                                          schema=schema.ALIAS_RULES.arrow))
        _arrow(work / "store_info", pa.Table.from_pylist([{"key": "schema", "value": schema.STORE_SCHEMA}],
                                                         schema=schema.STORE_INFO.arrow))

    def stored_rules(self) -> list[canonical.Rule]:
        version = self.version()
        if version is None or not (version / "alias_rules").is_dir():
            return []
        rows = pq.read_table(version / "alias_rules").to_pylist()
        return [canonical.Rule(r["rule"], r["canonical"], tuple(r["names"] or ()), r["kind"],
                               tuple(r["articles"] or ())) for r in sorted(rows, key=lambda r: r["n"])]


ARTICLES_PER_PARTITION = 20_000  # of the actor input: ~200,000 record actors with their mention texts per partition


def actor_partitions(input_dir: Path) -> list[Path]:
    """The partitions of the actor input ``publish`` wrote (``_part=K`` folders; none when no article has an
    actor)."""
    return sorted(input_dir.glob("_part=*"))


def resolve_partition(partition: Path, output_dir: Path, rules: list[canonical.Rule]) -> int:
    """Actor merging for one partition of the actor input: ``canonical.resolve_group`` on each resolution group it
    holds (whole groups: ``publish`` partitions by group), written as one file of ``output_dir`` named after the
    partition (a retried partition rewrites the same file). Returns the rows written."""
    table = pq.read_table(partition, columns=["seq", "article_id", "local_id", "name", "kind", "texts", "group"])
    table = table.sort_by("group")  # each group's rows together: one slice per group
    keys = table["group"].to_pylist()
    starts = [i for i in range(len(keys)) if i == 0 or keys[i] != keys[i - 1]]
    parts = [canonical.resolve_group(table.slice(a, b - a), rules)
             for a, b in zip(starts, [*starts[1:], len(keys)], strict=True)]
    out = pa.concat_tables(parts) if parts else canonical.RESOLVED.empty_table()
    write_table(output_dir / f"{partition.name.replace('=', '-')}.parquet", out)
    return out.num_rows


def resolve_locally(input_dir: Path, output_dir: Path, rules: list[canonical.Rule]) -> None:
    """Actor merging in this process, partition by partition (the same ``resolve_partition`` the engine's tasks
    run): for a store built without a cluster, and for tests."""
    output_dir.mkdir(parents=True, exist_ok=True)
    for partition in actor_partitions(input_dir):
        resolve_partition(partition, output_dir, rules)


def corroborate_tables(work: Path) -> Any:
    """The adapter to ``onrecord.store.corroborate``: the version's tables are loaded into a scratch DuckDB
    file, ``corroborate`` runs there from scratch (which gives the same tables as running it after every ingest)
    and every table is written back. It runs in this process, not on the cluster: swap this call for the
    corroborate module's per-window functions when they exist."""
    from onrecord.store import corroborate, export

    scratch = work / "_corroborate.duckdb"
    con = schema.connect(scratch)
    try:
        for table in schema.TABLES:
            if table is not schema.STORE_INFO:  # connect wrote its schema row
                con.execute(f"INSERT INTO {table.name} BY NAME SELECT * FROM read_parquet("
                            f"{_quote(work / table.name / '*.parquet')})")
        summary = corroborate.corroborate(con)
        for name in export.table_names(con):
            shutil.rmtree(work / name, ignore_errors=True)
            _copy(con, f'SELECT * FROM "{name}" ORDER BY {export.order_by(name)}', work / name)
    finally:
        con.close()
        scratch.unlink(missing_ok=True)
        Path(str(scratch) + ".wal").unlink(missing_ok=True)
    return summary


CORROBORATION = "_corroboration"  # in a version being published: the engine's intermediate tables


def corroboration_input(work: Path) -> Path:
    """The input of the engine's corroboration: one row per article (``seq`` order) with its statements, each
    numbered (``member``) in the order ``corroborate`` processes them, the speaker of each attribution, the
    article's canonical person mentions and its stances (what the conflict checks read of one article), and the
    status events its analysis kept (NULL when it kept none: the article is parsed again). DuckDB over the version's
    Parquet."""
    from onrecord.store import corroborate as co

    folder = work / CORROBORATION / "input"
    con = scratch()
    try:
        for name in ("articles", "attributions", "unsourced", "mentions", "positions", "actors"):
            _view(con, name, work / name, getattr(schema, name.upper()).arrow)
        _view(con, STATUS_EVENTS, work / STATUS_EVENTS, co.STATUS.arrow)
        _copy(con, """
            WITH s AS (SELECT article_id, id AS statement_id, 'attribution' AS kind, content_start AS start_char,
                              content_end AS end_char, content AS text, coalesce(form, '') <> 'direct' AS own,
                              actor_id, speaker_role, said_when, speaker_text
                       FROM attributions
                       UNION ALL
                       SELECT article_id, id, 'unsourced', start_char, end_char, text, TRUE, NULL, NULL, NULL, NULL
                       FROM unsourced),
                 n AS (SELECT s.*, row_number() OVER (ORDER BY a.seq, s.start_char, s.kind, s.statement_id) AS member
                       FROM s JOIN articles a ON a.id = s.article_id),
                 g AS (SELECT article_id, list({'statement_id': statement_id, 'kind': kind,
                                                'start_char': start_char::INTEGER, 'end_char': end_char::INTEGER,
                                                'text': text, 'own': own, 'member': member, 'actor_id': actor_id,
                                                'speaker_role': speaker_role, 'said_when': said_when,
                                                'speaker_text': speaker_text} ORDER BY member) AS statements
                       FROM n GROUP BY article_id),
                 m AS (SELECT m.article_id, list({'start_char': m.start_char, 'end_char': m.end_char,
                                                  'actor_id': m.actor_id, 'name': ac.name}
                                                 ORDER BY m.start_char, m.end_char, m.actor_id) AS people
                       FROM mentions m LEFT JOIN actors ac ON ac.id = m.actor_id
                       WHERE m.kind = 'person' AND m.actor_id IS NOT NULL AND m.start_char IS NOT NULL
                       GROUP BY m.article_id),
                 p AS (SELECT p.article_id, list({'attribution_id': p.attribution_id, 'actor_id': p.actor_id,
                                                  'name': ac.name, 'issue': p.issue, 'stance': p.stance,
                                                  'confidence': p.confidence, 'origin': p.origin}) AS positions
                       FROM positions p LEFT JOIN actors ac ON ac.id = p.actor_id
                       WHERE p.actor_id IS NOT NULL GROUP BY p.article_id),
                 e AS (SELECT article_id, list({STATUS} ORDER BY verb NULLS FIRST) AS status
                       FROM status_events GROUP BY article_id)
            SELECT a.id, a.seq, a.text, a.outlet, a.url, a.published_date, g.statements, m.people, p.positions,
                   e.status
            FROM articles a LEFT JOIN g ON g.article_id = a.id LEFT JOIN m ON m.article_id = a.id
            LEFT JOIN p ON p.article_id = a.id LEFT JOIN e ON e.article_id = a.id ORDER BY a.seq""".replace(
            "{STATUS}", "{" + ", ".join(f"'{c}': {c}" for c in co.STATUS.names[1:]) + "}"), folder)
    finally:
        con.close()
    return folder


def paraphrase_input(work: Path) -> tuple[list[Path], dict[Path, set[int]]]:
    """The second stage's input (``corroborate_batch.PARAPHRASE_IN``), written by DuckDB on the driver's node cut by
    time segment (``match.segments`` over the statements' blocks; a folder per segment): each statement of the
    version's ``linked_members`` (its verbatim cluster) with its source, date, context and the analysis's vector,
    and the founders of the verbatim clusters it holds that lie in other segments (``outside``). Returns the segment
    folders and, per folder, the verbatim clusters founded elsewhere it needs (what the rounds watch)."""
    from onrecord.store import corroborate as co
    from onrecord.store import match

    parts = work / CORROBORATION
    folder = parts / "paraphrase_input"
    shutil.rmtree(folder, ignore_errors=True)
    con = scratch()
    try:
        _view(con, "linked", parts / "linked_members", pa.schema([]))
        _view(con, "embeddings", work / co.EMBEDDINGS.name, co.EMBEDDINGS.arrow)
        # the block of a date as ``match.block`` (date.toordinal() // WINDOW_DAYS; ordinals count from 0001-01-01 = 1)
        # (``time_block``: linked_members' own ``block`` numbers the founders)
        con.execute(f"""CREATE TABLE s AS SELECT l.*, CASE WHEN l.published_date IS NULL THEN NULL ELSE
                            (l.published_date - DATE '0001-01-01' + 1) // {match.WINDOW_DAYS} END AS time_block
                        FROM linked l""")
        blocks = [r[0] for r in con.execute("SELECT DISTINCT time_block FROM s").fetchall()]
        segment = match.segments(blocks)  # one row per distinct block on the driver
        con.register("_segments", pa.table({"block": pa.array([b for b in segment if b is not None], pa.int64()),
                                            "segment": pa.array([v for b, v in segment.items() if b is not None],
                                                                pa.int64())}))
        con.execute(f"""CREATE TABLE t AS SELECT s.*, coalesce(g.segment, {match.UNDATED_SEGMENT}) AS segment
                        FROM s LEFT JOIN _segments g ON g.block = s.time_block""")
        con.execute("""CREATE TABLE refs AS SELECT DISTINCT t.segment, f.member
                       FROM t JOIN t f ON f.member = t.root WHERE f.segment <> t.segment""")
        names = ("member", "cluster_id", "matched", "similarity", "words", "article_id", "statement_id",
                 "outlet_key AS source", "published_date", "context")

        def columns(alias: str) -> str:
            return ", ".join(f"{alias}.{c}" for c in names)

        con.execute(f"""COPY (
            SELECT t.segment, {columns('t')}, e.vector, FALSE AS outside,
                   t.member IN (SELECT member FROM refs) AS exported
            FROM t LEFT JOIN embeddings e ON e.article_id = t.article_id AND e.statement_id = t.statement_id
                                          AND e.kind = t.kind
            UNION ALL
            SELECT r.segment, {columns('f')}, NULL, TRUE, FALSE
            FROM refs r JOIN t f ON f.member = r.member)
            TO {_quote(folder)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (segment))""")
        needs: dict[Path, set[int]] = {}
        for seg, cluster in con.execute("SELECT r.segment, f.cluster_id FROM refs r JOIN t f ON f.member = r.member"
                                        ).fetchall():
            needs.setdefault(folder / f"segment={seg}", set()).add(cluster)
    finally:
        con.close()
    return sorted(folder.glob("segment=*")), needs


def paraphrase_segment(folder: Path, redirects: dict[int, dict[str, Any]]) -> tuple[pa.Table, int]:
    """One segment of the second stage (``corroborate_batch.paraphrase_segment`` with the shipped verdict), its rows
    written next to the other segments' (a segment run again rewrites its files). Returns its ``EXPORTED`` rows and
    the pairs the verdict read."""
    from onrecord.store import corroborate as co
    from onrecord.store import corroborate_batch as cb

    score = co.Scorer()
    rows = pq.read_table(folder, schema=cb.PARAPHRASE_IN.remove(0)).cast(cb.PARAPHRASE_IN.remove(0))
    tables = cb.paraphrase_segment(rows, redirects, score, score.threshold)
    parts = folder.parent.parent
    for name in ("linked", "statement_vectors", "claim_conflicts"):
        write_table(parts / f"paraphrase_{name}" / f"{folder.name.replace('=', '-')}.parquet", tables[name])
    return tables["exported"], score.pairs


def paraphrase_finish(work: Path) -> None:
    """The second stage's links into ``linked_members`` (each statement's final cluster, match, score and how; DuckDB
    on the driver's node, streaming) and its ``statement_vectors`` and ``claim_conflicts`` into place."""
    parts = work / CORROBORATION
    con = scratch()
    try:
        _view(con, "linked", parts / "linked_members", pa.schema([]))
        _view(con, "paraphrased", parts / "paraphrase_linked", pa.schema([]))
        _copy(con, """SELECT l.* REPLACE (p.cluster_id AS cluster_id, p.matched AS matched, p.similarity AS similarity),
                             p.how FROM linked l JOIN paraphrased p ON p.member = l.member ORDER BY l.member""",
              parts / "linked_members~paraphrased")
    finally:
        con.close()
    shutil.rmtree(parts / "linked_members")
    os.replace(parts / "linked_members~paraphrased", parts / "linked_members")
    for name in ("statement_vectors", "claim_conflicts"):
        shutil.rmtree(parts / name, ignore_errors=True)
        os.replace(parts / f"paraphrase_{name}", parts / name)
    shutil.rmtree(parts / "paraphrase_linked", ignore_errors=True)
    shutil.rmtree(parts / "paraphrase_input", ignore_errors=True)


def claim_flags(work: Path) -> pa.Table | None:
    """The flags of ``claim_conflicts`` (``corroborate._claim_conflicts``, the function a DuckDB store runs, over
    DuckDB views of the version's Parquet and the engine's ``article_sources``) as ``corroborate_batch.FLAGS_IN``
    rows (check ``claim``), or None when there are none."""
    from onrecord.store import corroborate as co
    from onrecord.store import corroborate_batch as cb

    parts = work / CORROBORATION
    if not any((parts / "claim_conflicts").glob("*.parquet")):
        return None
    con = scratch()
    try:
        for name in ("articles", "attributions", "unsourced"):
            _view(con, name, work / name, getattr(schema, name.upper()).arrow)
        for name in ("claim_conflicts", "article_sources"):
            _view(con, name, parts / name, co.BY_NAME[name].arrow)
        flags = co._claim_conflicts(con)
    finally:
        con.close()
    if not flags:
        return None
    rows = [{**f, "check": "claim", "shard": cb.text_shard(f["article_id"])} for f in flags]
    return pa.Table.from_pylist(rows, schema=cb.FLAGS_IN)


def lookup(folder: Path, key: str, values: list[Any], aggregate: str) -> dict[Any, Any]:
    """``aggregate`` per ``key`` for a few keys (a filtered scan of a Parquet folder: the driver gets one value
    per key asked for, never the folder's rows)."""
    con = scratch()
    try:
        con.register("_keys", pa.table({key: values}))
        rows = con.execute(f"SELECT t.{key}, {aggregate} FROM read_parquet({_quote(folder / '*.parquet')}) t "
                           f"SEMI JOIN _keys k ON k.{key} = t.{key} GROUP BY t.{key}").fetchall()
    finally:
        con.close()
    return dict(rows)


def corroboration_finish(work: Path, paraphrase: bool = False) -> Any:
    """The engine's corroboration tables into the version: each table the steps wrote under ``work/_corroboration``
    (an empty one for a table without rows), the corpus flags beside the record flags, ``store_info`` marked as
    corroborated. Returns ``corroborate.Summary`` with the store-wide counts (DuckDB aggregates over the Parquet)."""
    from onrecord.store import corroborate as co

    parts = work / CORROBORATION
    for table in co.TABLES:
        target = work / table.name
        shutil.rmtree(target, ignore_errors=True)
        if any((parts / table.name).glob("*.parquet")):
            os.replace(parts / table.name, target)
        else:
            _arrow(target, table.arrow.empty_table())
    for n, path in enumerate(sorted((parts / "corpus_flags").glob("*.parquet"))):
        os.replace(path, work / "flags" / f"corpus-{n:05d}.parquet")
    info = [r for r in pq.read_table(work / "store_info").to_pylist()
            if r["key"] not in ("corroborate", "corroborate_paraphrase")]
    info += [{"key": "corroborate", "value": co.VERSION},
             {"key": "corroborate_paraphrase", "value": "1" if paraphrase else "0"}]
    shutil.rmtree(work / "store_info")
    _arrow(work / "store_info", pa.Table.from_pylist(sorted(info, key=lambda r: r["key"]),
                                                     schema=schema.STORE_INFO.arrow))
    shutil.rmtree(parts, ignore_errors=True)
    summary = co.Summary()
    con = scratch()
    try:
        def count(table: str, where: str) -> int:
            return int(con.execute(f"SELECT count(*) FROM read_parquet({_quote(work / table / '*.parquet')}) "
                                   f"WHERE {where}").fetchone()[0])

        summary.clusters = count("clusters", "articles > 1")
        summary.copies = count("article_sources", "copy_of IS NOT NULL")
        summary.furniture = count("cluster_members", "how = 'furniture'")
        flags = _quote(work / "flags" / "*.parquet")
        summary.flags = dict(con.execute(f"SELECT code, count(*) FROM read_parquet({flags}) WHERE origin = 'corpus' "
                                         "GROUP BY 1 ORDER BY 1").fetchall())
    finally:
        con.close()
    return summary


_CHOSEN_SCHEMA = pa.schema([("id", pa.string()), ("seq", pa.int64()), ("_batch", pa.string()), ("_pos", pa.int64())])


def _batch_schema(s: pa.Schema) -> pa.Schema:
    return pa.schema([*s, ("_batch", pa.string())])


def _with_batch(table: pa.Table, key: str) -> pa.Table:
    return table.append_column("_batch", pa.array([key] * len(table), pa.string()))


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _view(con: duckdb.DuckDBPyConnection, name: str, folder: Path, empty: pa.Schema) -> None:
    """A view over a folder of Parquet files; an empty table of the right columns when there are none."""
    if any(folder.glob("*.parquet")):
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet({_quote(folder / '*.parquet')}, "
                    "union_by_name = true)")
    else:
        con.register(f"_empty_{name}", empty.empty_table())
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM _empty_{name}")


def _copy(con: duckdb.DuckDBPyConnection, query: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY ({query}) TO {_quote(folder / 'part-0.parquet')} (FORMAT parquet, COMPRESSION zstd)")


def _arrow(folder: Path, table: pa.Table) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / "part-0.parquet", compression="zstd")


# ------------------------------------------------------------------------------------------------------ reading


def connect(path: str | Path, *, sandbox: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with a view per published table. ``sandbox``: no file access beyond the store's own
    directory (and ``sql`` accepts only queries, see ``check_query``)."""
    store = ParquetStore(path)
    store.info()
    version = store.version()
    if version is None:
        raise InputError(f"{path} has no tables yet (an ingest has not finished; run it again to resume)")
    con = duckdb.connect(":memory:")
    for folder in sorted(p for p in version.iterdir() if p.is_dir() and not p.name.startswith("_")):
        con.execute(f"CREATE VIEW {folder.name} AS SELECT * FROM read_parquet({_quote(folder / '*.parquet')})")
    if sandbox:
        con.execute(f"SET allowed_directories = [{_quote(store.path.resolve())}]")
        con.execute("SET enable_external_access = false")
    return con


READ_STATEMENTS = ("SELECT", "EXPLAIN", "PRAGMA")


def check_query(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Only queries on a Parquet store: its tables are files, and COPY or CREATE could write next to them."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise InputError(str(exc).splitlines()[0]) from None
    for statement in statements:
        kind = str(statement.type).rsplit(".", 1)[-1]
        if kind not in READ_STATEMENTS:
            raise InputError(f"a Parquet store answers queries only ({kind} is not allowed)")
