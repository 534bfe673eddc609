"""``ingest --engine ray``: the Parquet store equals the DuckDB store, re-runs add nothing, a killed driver
resumes, a killed worker loses nothing, two nodes share the work, bad input is a failure row.

One Ray cluster serves the module: two "nodes" on this machine (``ray start --head --num-cpus 1`` and
``ray start --address … --num-cpus 1``, separate processes), stopped by PID at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from feeds import write_feed

from onrecord.store import schema
from onrecord.store.ingest import ingest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0",
       "OMP_NUM_THREADS": "1"}
MAX_BYTES = 4000
CLUSTER: list[int] = []  # PIDs of the two `ray start` processes

PEOPLE = [("Trade Minister Carla Mendes", "Mendes"), ("Union leader Piet Olsen", "Olsen"),
          ("Mayor Ana Ruiz", "Ruiz"), ("Trade Minister Carla Mendez", "Mendez")]
TOPICS = ["tariffs on steel would stay in place", "the port strike would continue until Friday",
          "the budget would include new money for schools", "the bridge would reopen in the spring"]


def article(i: int) -> dict[str, str]:
    """Distinct short articles (speakers repeat across them, with a spelling variant)."""
    full, short = PEOPLE[i % len(PEOPLE)]
    return {"published": f"2024-{1 + i % 12:02d}-{1 + i % 27:02d}", "outlet": ["Harbour Times", "Valley Post"][i % 2],
            "title": f"Report {i}", "url": f"https://news.example/{i}",
            "text": f"{full} said on Tuesday that {TOPICS[i % len(TOPICS)]}.\n\n"
                    f"“We have made our decision number {i},” {short} told reporters.\n\n"
                    f"The city spent {i + 3} million euros on the project in 2023.\n"}


def write_sources(base: Path, n: int) -> list[str]:
    """A feed with bad lines (not JSON, empty, too large) and a duplicate, a folder with a binary and an empty
    file, and a Parquet file of articles."""
    arts = [article(i) for i in range(n)]
    base.mkdir(parents=True, exist_ok=True)
    feed = write_feed(base / "feed.jsonl", arts[: n // 2])
    with open(feed, "a", encoding="utf-8") as fh:
        fh.write("{not json\n" + json.dumps({"text": ""}) + "\n" + json.dumps(arts[0]) + "\n")
        fh.write(json.dumps({"title": "too large", "text": "Words. " * (MAX_BYTES // 5)}) + "\n")
    folder = base / "folder"
    folder.mkdir(exist_ok=True)
    (folder / "a-binary.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "b-empty.txt").write_text("", encoding="utf-8")
    (folder / "c-good.txt").write_text(article(n)["text"], encoding="utf-8")
    pq.write_table(pa.Table.from_pylist(arts[n // 2:]), base / "more.parquet")
    return [feed, str(folder), str(base / "more.parquet")]


BAD = 5  # not JSON, no text, too large, binary, empty file


def tables(path: Path) -> dict[str, tuple[list[tuple[str, str]], list[str]]]:
    """Every table's columns (name, type) and rows (sorted, ids included)."""
    con = schema.connect(path, read_only=True)
    try:
        out = {}
        for t in schema.TABLES:
            columns = [(r[0], r[1]) for r in con.execute(f"DESCRIBE {t.name}").fetchall()]
            out[t.name] = (columns, sorted(repr(r) for r in con.execute(f"SELECT * FROM {t.name}").fetchall()))
        return out
    finally:
        con.close()


def assert_same(duck: Path, store: Path) -> None:
    a, b = tables(duck), tables(store)
    for name in a:
        assert a[name][0] == b[name][0], f"{name}: columns differ"
        assert a[name][1] == b[name][1], f"{name}: rows differ"
    assert len(a["articles"][1]) > 5 and len(a["actors"][1]) >= 2 and len(a["failures"][1]) >= 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(path: Path, text: str, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise RuntimeError(f"ray start exited: {path.read_text(errors='replace')[-2000:]}")
        time.sleep(0.5)
    raise TimeoutError(f"ray start did not come up: {path.read_text(errors='replace')[-2000:]}")


def _stop(procs: list[subprocess.Popen]) -> None:
    """Stop the processes we started, and what they started, by PID."""
    family = []
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            family += [p.pid, *(c.pid for c in psutil.Process(p.pid).children(recursive=True))]
    for p in reversed(procs):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
    for pid in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).kill()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A head node and a second node, one CPU each; yields the address."""
    base = tmp_path_factory.mktemp("cluster")
    port = _free_port()
    address = f"127.0.0.1:{port}"
    ray_bin = str(BIN / "ray")
    procs: list[subprocess.Popen] = []
    try:
        head_log = base / "head.log"
        procs.append(subprocess.Popen([ray_bin, "start", "--head", "--num-cpus", "1", "--port", str(port),
                                       "--include-dashboard=false", "--disable-usage-stats", "--block"],
                                      stdout=head_log.open("w"), stderr=subprocess.STDOUT, env=ENV))
        _wait_for(head_log, "block forever", procs[0])
        node_log = base / "node.log"
        procs.append(subprocess.Popen([ray_bin, "start", "--address", address, "--num-cpus", "1",
                                       "--disable-usage-stats", "--block"],
                                      stdout=node_log.open("w"), stderr=subprocess.STDOUT, env=ENV))
        _wait_for(node_log, "block forever", procs[1])
        CLUSTER.extend(p.pid for p in procs)
        os.environ.update({k: ENV[k] for k in ("RAY_AUTH_MODE", "RAY_USAGE_STATS_ENABLED")})
        yield address
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        _stop(procs)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return write_sources(tmp_path_factory.mktemp("src"), 14)


@pytest.fixture(scope="module")
def reference(sources: list[str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The DuckDB store ``onrecord ingest`` builds from the same input."""
    path = tmp_path_factory.mktemp("ref") / "ref.duckdb"
    summary = ingest(sources, path, jobs=1, max_bytes=MAX_BYTES, progress=False)
    assert summary.failed == BAD
    return path


@pytest.fixture(scope="module")
def ray_store(cluster: str, sources: list[str], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    from onrecord.store import ray_engine

    path = tmp_path_factory.mktemp("ray") / "store"
    summary = ray_engine.ingest(sources, path, address=cluster, batch_size=3, max_bytes=MAX_BYTES, progress=False)
    return path, summary


def _onrecord(*args: str, **kwargs: object) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "onrecord"), *args], env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def _outcome_files(store: Path) -> list[Path]:
    return sorted((store / "_analysed" / "outcomes").glob("*.parquet"))


# ---------------------------------------------------------------------------------------------------------- tests


def test_parquet_store_equals_duckdb_store(ray_store: tuple[Path, object], reference: Path) -> None:
    path, summary = ray_store
    assert summary.failed == BAD and summary.stored == len(tables(reference)["articles"][1])
    assert len({w.split(":")[0] for w in summary.workers}) == 2  # both nodes analysed
    assert_same(reference, path)
    failures = {r["name"].rsplit("/", 1)[-1] for r in pq.read_table(
        next((path / (path / "current").read_text().strip() / "failures").glob("*.parquet"))).to_pylist()}
    assert {"a-binary.txt", "b-empty.txt"} <= failures


def test_rerun_adds_nothing(ray_store: tuple[Path, object], reference: Path, sources: list[str],
                            cluster: str) -> None:
    from onrecord.store import ray_engine

    path, _ = ray_store
    summary = ray_engine.ingest(sources, path, address=cluster, batch_size=4, max_bytes=MAX_BYTES, progress=False)
    assert summary.stored == 0 and summary.failed == BAD
    assert_same(reference, path)


def test_cli_joins_the_cluster_and_a_killed_worker(cluster: str, sources: list[str], reference: Path,
                                                    tmp_path: Path) -> None:
    """The CLI joins the two-node cluster with --address; an analysis worker is killed by PID mid-run: its
    batch is retried, and the store has exactly the reference rows."""
    store = tmp_path / "store"
    proc = _onrecord("ingest", *sources, "--engine", "ray", "--address", cluster, "--store", str(store),
                     "--batch-size", "1", "--max-bytes", str(MAX_BYTES), "--quiet")
    killed = None
    deadline = time.monotonic() + 300
    while killed is None and proc.poll() is None and time.monotonic() < deadline:
        if _outcome_files(store):
            workers = [p for p in psutil.process_iter(["pid", "cmdline"])
                       if "Analyser" in " ".join(p.info["cmdline"] or [])
                       and {a.pid for a in p.parents()} & set(CLUSTER)]
            if workers:
                killed = workers[0].pid
                os.kill(killed, signal.SIGKILL)
        time.sleep(0.2)
    _, err = proc.communicate(timeout=600)
    assert killed is not None, "the run ended before a worker could be killed"
    assert proc.returncode == 1, err[-2000:]  # the bad items
    assert "Connecting to existing Ray cluster" in err and "Ray workers" in err, err[-2000:]
    assert_same(reference, store)


def test_driver_sigkill_then_resume(cluster: str, sources: list[str], reference: Path, tmp_path: Path) -> None:
    """A local Ray (no --address) whose driver is SIGKILLed mid-run; the same command again (here on the
    cluster) does only what was not committed and ends with the reference rows."""
    store = tmp_path / "store"
    args = ["ingest", *sources, "--engine", "ray", "--store", str(store), "--batch-size", "1",
            "--max-bytes", str(MAX_BYTES), "--quiet"]
    proc = _onrecord(*args, "--cpus", "1")
    deadline = time.monotonic() + 300
    while len(_outcome_files(store)) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    family = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    for pid in family:  # the local Ray it started
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).kill()
    first = len(_outcome_files(store))
    assert first >= 3 and not (store / "current").exists(), "the driver was not killed mid-run"
    resumed = _onrecord(*args, "--address", cluster)
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 1, err[-2000:]
    assert_same(reference, store)
    # every item was committed as analysed ("ok" or "failed") exactly once; the resumed run skipped the others
    outcomes = pq.read_table(store / "_analysed" / "outcomes").to_pylist()
    analysed = [o for o in outcomes if o["status"] == "ok"]
    assert len(analysed) == len({(o["_run"], o["_pos"]) for o in analysed})
    assert sum(o["status"] == "skipped" for o in outcomes) >= 1


def test_import_does_not_load_ray(tmp_path: Path) -> None:
    text = tmp_path / "a.txt"
    text.write_text(article(1)["text"], encoding="utf-8")
    code = ("import sys, onrecord; from onrecord.cli import main; main(['analyze', '--format', 'json', sys.argv[1]]); "
            "assert not [m for m in sys.modules if m == 'ray' or m.startswith('ray.')], 'ray was imported'")
    done = subprocess.run([sys.executable, "-c", code, str(text)], env=ENV, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


# ------------------------------------------------------------------------------------- corroboration on the engine

TEASER = "Watch the video of the day and sign in to see more stories from our region."
STORIES = ["The new library opens its doors to readers in the old town hall next spring.",
           "Farmers in the valley expect a record apple harvest after a mild and wet summer.",
           "The city council agreed to rebuild the footbridge across the river by the end of May.",
           "A local choir won the national competition for the third time in a row this year."]


def corroboration_tables(path: Path) -> dict[str, list[str]]:
    from onrecord.store import corroborate

    con = schema.connect(path, read_only=True)
    try:
        return {t.name: sorted(repr(r) for r in con.execute(f"SELECT * FROM {t.name}").fetchall())
                for t in (*schema.TABLES, *corroborate.TABLES, corroborate.STATUS)}
    finally:
        con.close()


@pytest.fixture(scope="module")
def corroboration_feed(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Wire copies, a rewrite (a copy by its statements), an independent report quoting the same sentence, status
    and casualty conflicts, a teaser one outlet prints under every story."""
    from test_corroborate import PART1, PART2

    teasers = [{"id": f"h{i}", "outlet": "Harbour Times", "published": f"2024-08-0{i + 1}", "title": f"Story {i}",
                "text": f"{story}\n\n{TEASER}\n"} for i, story in enumerate(STORIES)]
    return write_feed(tmp_path_factory.mktemp("corroboration") / "feed.jsonl", PART1 + PART2 + teasers)


@pytest.fixture(scope="module")
def corroborated(cluster: str, corroboration_feed: str, tmp_path_factory: pytest.TempPathFactory
                 ) -> tuple[Path, object]:
    """The feed through ``--corroborate`` on the two-node cluster (4 articles per batch, the default corroboration
    batches and one shuffle partition per CPU)."""
    from onrecord.store import ray_engine

    path = tmp_path_factory.mktemp("corroborated") / "store"
    summary = ray_engine.ingest([corroboration_feed], path, address=cluster, batch_size=4, progress=False,
                                corroborate=True)
    return path, summary


def test_corroboration_on_the_engine_equals_one_process(corroborated: tuple[Path, object], corroboration_feed: str,
                                                        tmp_path: Path) -> None:
    """``--corroborate`` on Ray (map, groupbys over bucket shards, joins, the driver on the link lists, the summary
    as groupbys) gives the one-process tables, ids included."""
    path, summary = corroborated
    reference = tmp_path / "ref.duckdb"
    expected = ingest([corroboration_feed], reference, jobs=1, progress=False, corroborate=True).corroboration
    got = summary.corroboration
    assert corroboration_tables(reference) == corroboration_tables(path)
    assert (got.clusters, got.copies, got.flags, got.furniture) == \
        (expected.clusters, expected.copies, expected.flags, expected.furniture)
    assert got.clusters >= 3 and got.copies >= 3 and got.furniture >= 4  # the input exercises every part
    assert got.flags.get("conflict", 0) >= 2  # a status and a casualty conflict
    # what the driver held: one founder count per block of statements and one row per copy, no statement link
    assert got.sizes["driver_rows"] == got.sizes["founder_counts"] + got.sizes["text_copies"] + \
        got.sizes["statement_copies"] < got.statements
    assert got.sizes["founder_counts"] == 1 and got.link_rounds >= 1  # links resolved on the engine
    con = schema.connect(path, read_only=True)
    how = dict(con.execute("SELECT how, count(*) FROM article_sources WHERE how IS NOT NULL GROUP BY 1").fetchall())
    con.close()
    assert how.get("text", 0) >= 2 and how.get("statements", 0) >= 1


def test_corroboration_does_not_depend_on_partitioning(corroborated: tuple[Path, object], corroboration_feed: str,
                                                       cluster: str, tmp_path: Path) -> None:
    """The same input cut otherwise — 2 articles per analysis batch (4 above), 3 per corroboration call (64), 7
    partitions in every groupby and join (one per CPU: 2) — gives the same corroboration tables and flags."""
    from onrecord.store import ray_engine

    path, first = corroborated
    summary = ray_engine.ingest([corroboration_feed], tmp_path / "store", address=cluster, batch_size=2,
                                progress=False, corroborate=True, corroborate_batch_size=3, partitions=7)
    assert corroboration_tables(tmp_path / "store") == corroboration_tables(path)
    assert summary.corroboration.flags == first.corroboration.flags


def test_local_ray_environment_is_set_then_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """A local Ray's processes inherit the one-thread settings from the driver's environment while it starts
    (no runtime_env); the driver's own environment is as it was afterwards."""
    from onrecord.store.ray_engine import _environment

    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    monkeypatch.delenv("TOKENIZERS_PARALLELISM", raising=False)
    with _environment({"OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}):
        assert os.environ["OMP_NUM_THREADS"] == "1" and os.environ["TOKENIZERS_PARALLELISM"] == "false"
    assert os.environ["OMP_NUM_THREADS"] == "4" and "TOKENIZERS_PARALLELISM" not in os.environ


# ------------------------------------------------------------------------ the paraphrase stage on the engine

TALKS = "Talks on the new port agreement will resume in Geneva on Monday, the foreign ministry said."
TALKS_OTHER = "The foreign ministry said negotiations over the port deal would restart Monday in Geneva."
TALKS_THIRD = "Port agreement negotiations restart on Monday in Geneva, according to the foreign ministry."
STORM = "The storm killed {n} people in the coastal villages, the civil defence said on Sunday."
STORM_OTHER = "The civil defence said {n} people were killed by the storm in the coastal villages on Sunday."


@pytest.fixture(scope="module")
def paraphrase_feed(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One-sentence articles of several outlets: a claim in three wordings, a casualty figure told by three outlets
    (one with another figure), a wording copied three weeks later (across a gap no window spans) and undated."""
    rows = [("p1", "Harbour Times", "2024-03-04", TALKS), ("p2", "Valley Post", "2024-03-04", TALKS_OTHER),
            ("p3", "Daily Ledger", "2024-03-05", TALKS_THIRD),
            ("p4", "Harbour Times", "2024-03-05", STORM.format(n=12)),
            ("p5", "Valley Post", "2024-03-05", STORM_OTHER.format(n=36)),
            ("p6", "Daily Ledger", "2024-03-06", STORM_OTHER.format(n=12)),
            ("p7", "Evening Star", "2024-03-25", TALKS_OTHER), ("p8", "Morning Herald", "2024-03-26", TALKS_THIRD),
            ("p9", "Evening Star", None, TALKS_OTHER)]
    return write_feed(tmp_path_factory.mktemp("paraphrase") / "feed.jsonl", [
        {"id": i, "outlet": outlet, "title": f"Story {i}", "text": text, **({"published": day} if day else {})}
        for i, outlet, day, text in rows])


def test_paraphrase_stage_on_the_engine_equals_one_process(cluster: str, paraphrase_feed: str,
                                                           tmp_path: Path) -> None:
    """A store set to corroborate in other words: ``ingest --engine ray --corroborate`` (vectors in the analysis
    actors, the linking per time segment) gives the tables of ``corroborate --paraphrase`` then ``ingest
    --corroborate`` on a DuckDB store — ``cluster_members`` (how, similarity), ``statement_embeddings``,
    ``statement_vectors``, ``claim_conflicts`` and the conflict flags — ids included; ``onrecord corroborate`` on the
    Parquet store publishes the same tables again."""
    from onrecord.store import corroborate, parquet_store, ray_engine

    reference = tmp_path / "ref.duckdb"
    corroborate.corroborate(reference, paraphrase=True)  # the setting first: the workers compute the vectors
    expected = ingest([paraphrase_feed], reference, jobs=1, progress=False, corroborate=True).corroboration
    path = tmp_path / "store"
    store = parquet_store.ParquetStore(path)
    store.create()
    store.set_paraphrase(True)
    got = ray_engine.ingest([paraphrase_feed], path, address=cluster, batch_size=3, progress=False,
                            corroborate=True).corroboration
    want = {**corroboration_tables(reference), **_embeddings(reference)}
    assert want == {**corroboration_tables(path), **_embeddings(path)}
    assert (got.clusters, got.copies, got.flags, got.furniture) == \
        (expected.clusters, expected.copies, expected.flags, expected.furniture)
    assert got.verdicts == expected.verdicts and got.flags.get("conflict", 0) >= 1
    assert any("'paraphrase'" in r for r in want["cluster_members"]) and want["claim_conflicts"]
    assert len(want["statement_embeddings"]) == len(want["cluster_members"])  # computed by the analysis, both sides
    assert got.paraphrase_rounds == 2  # the copies across the gap moved with the statement they copy
    again = ray_engine.corroborate_store(path, address=cluster)  # the store's setting, kept
    assert {**corroboration_tables(path), **_embeddings(path)} == want and again.flags == got.flags


def _embeddings(path: Path) -> dict[str, list[str]]:
    from onrecord.store.corroborate import EMBEDDINGS

    con = schema.connect(path, read_only=True)
    try:
        return {EMBEDDINGS.name: sorted(repr(r) for r in con.execute(f"SELECT * FROM {EMBEDDINGS.name}").fetchall())}
    finally:
        con.close()
