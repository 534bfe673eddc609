"""``onrecord ingest --engine ray``: the corpus on a Ray cluster, into a directory of Parquet datasets.

    onrecord ingest feed.jsonl articles.parquet --engine ray --store corpus/ [--address auto] [--cpus 2]

* The driver streams the sources into the store's ``_input`` folder, a file of items (``batch.ITEMS``) per
  analysis batch, holding one batch at a time (its memory does not grow with the corpus); a window of files is
  one Ray Data run, the next window staged while it runs (the first while Ray starts).
* Analysis is Ray Data batch inference: ``map_batches`` over a pool of actors, each loading the spaCy
  pipeline once and calling ``batch.analyse_batch`` on each batch; the actor writes the batch's rows into the
  store (``ParquetStore.write_batch``: atomic, its outcomes last) and returns only the outcomes. Actors are
  restarted and their batches retried when a worker process dies; a batch written twice has the same name
  and the same rows, and publishing takes each article once.
* Actor merging is a Ray Data map over the partitions of the actor input, which DuckDB writes cut by resolution
  group (``parquet_store.resolve_partition``: ``canonical.resolve_group`` per group; no shuffle).
* Publishing (numbering, joins, the new version) is DuckDB reading the Parquet in place on the driver's node.
* Corroboration (``--corroborate``) is Ray Data maps, joins and groupbys, statement links resolved by pointer
  jumping and its summary (sources, furniture, ``clusters``, corpus flags) included; the driver holds only the
  copy links between articles and one count per block of statements (``corroborate_on_ray``).

Ray is imported here only: ``import onrecord`` and single-article commands never load it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from onrecord.errors import InputError, OnrecordError
from onrecord.store import batch, canonical, corroborate_batch, parquet_sources, parquet_store
from onrecord.store import corroborate as co
from onrecord.store.ingest import Summary
from onrecord.store.sources import Item

DEFAULT_BATCH = 32  # articles per map_batches call (and per batch written)
DEFAULT_WINDOW = 65_536  # items per Ray Data run (one actor pool each); the driver stages them a batch at a time
TASK_RETRIES = 3  # a batch whose worker dies this many times more is recorded as failed (never retried forever)
CORROBORATE_BATCH = 64  # articles per corroboration prepare call
STATEMENTS_PER_PARTITION = 32_768  # at most this many statements in one join part (~30 MB of rows, one task's)
LOST = ("the analysis of its batch failed every retry (a crash, out of memory, or the store could not be written)")


def batch_key(table: pa.Table, invocation: str) -> str:
    """A batch's name: this ingest process and the positions the batch holds — the same when Ray retries the
    batch (its files are overwritten with the same rows), another one for a later ingest of the same items (whose
    outcomes, "skipped", must not replace the stored ones)."""
    pos = table["_pos"].to_pylist()
    return f"r{table['_run'][0].as_py():04d}-{invocation}-{min(pos):012d}-{max(pos):012d}-{len(pos)}"


def private_memory() -> int:
    """This process's private resident memory in bytes (resident less shared pages: without the object store's and
    the mapped files' pages)."""
    with open("/proc/self/statm", encoding="ascii") as f:
        fields = f.read().split()
    return (int(fields[1]) - int(fields[2])) * os.sysconf("SC_PAGE_SIZE")


@functools.cache
def _malloc_trim() -> Any:
    import ctypes

    return getattr(ctypes.CDLL(None), "malloc_trim", None)  # glibc's; other C libraries have none


def release_memory() -> None:
    """Give the memory this process freed back to the system: glibc's heap (``malloc_trim``) and Arrow's pool
    (needed where Arrow's default mimalloc runs: it keeps every freed buffer until asked; the engine's workers run
    jemalloc, ``MEMORY``, which gives pages back by itself)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    pa.default_memory_pool().release_unused()


RELEASE_GROWTH = 64 << 20  # bytes of private memory a task may gain before it gives freed memory back
_mark: dict[str, Any] = {"task": None, "low": 0}  # the task running, the least private memory since a release


def _released(fn: Any) -> Any:
    """``fn`` (a map or group function of the corpus steps) with ``_release`` before and after: a Ray worker runs
    task after task of every step (Ray Data's shuffles too), and what each freed stayed with the process — one
    worker reached 2.3 GB private at 8,000 articles."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        _release(starting=True)
        out = fn(*args, **kwargs)
        _release(starting=False)
        return out

    return call


def _release(starting: bool) -> None:
    """``release_memory`` before the first call of each task (what the worker's earlier tasks freed), and after a
    call once the process holds RELEASE_GROWTH more than the least it held since the last release (a group function
    is called once per group: a release costs ~1 ms, the test a read of /proc). A module function, so that the mark
    is the worker process's, not a copy shipped with each task's function."""
    if starting:
        import ray

        if not ray.is_initialized():  # not in a Ray process: asking for the task would start or join a Ray
            return
        task = ray.get_runtime_context().get_task_id()
        if task == _mark["task"]:
            return
        _mark["task"] = task
    elif (now := private_memory()) <= _mark["low"] + RELEASE_GROWTH:
        _mark["low"] = min(_mark["low"], now)
        return
    release_memory()
    _mark["low"] = private_memory()


class Analyser:
    """A Ray Data actor: the spaCy pipeline loaded once, then one ``analyse_batch`` per batch, after which the
    memory the batch freed goes back to the system."""

    def __init__(self, store: str, known: Any, max_bytes: int | None, invocation: str, status: bool = False,
                 vectors: bool = False) -> None:
        import ray

        from onrecord.parse import load_pipeline

        load_pipeline()
        self.store = parquet_store.ParquetStore(store)
        self.known: np.ndarray = ray.get(known[0])  # in a list: Ray resolves only top-level references
        self.max_bytes = max_bytes
        self.invocation = invocation
        self.status = status  # keep the status events the article check read (the run corroborates)
        self.vectors = vectors  # the statement vectors of the second stage (the store corroborates in other words)

    def __call__(self, files: pa.Table) -> pa.Table:
        items = _read_items(files["file"].to_pylist())
        key = batch_key(items, self.invocation)
        # Ray restarts a dead actor and retries its batch without limit: the store counts the attempts, so that an
        # article that kills its worker every time ends as failures rows instead of a loop
        if self.store.attempt(key) > TASK_RETRIES + 1:
            tables = {"outcomes": failed_outcomes(items, LOST)}
        else:
            tables = batch.analyse_batch(items, max_bytes=self.max_bytes, known=self.known, status=self.status,
                                         vectors=self.vectors)
        self.store.write_batch(key, tables)
        outcomes = tables["outcomes"]
        del tables
        # glibc keeps the heap a batch's parse freed (a few hundred MB at peak) and the actor lives for the whole run:
        # without giving it back, its RSS ratchets up with fragmentation
        release_memory()
        import ray

        worker = f"{ray.get_runtime_context().get_node_id()[:12]}:{os.getpid()}"
        return outcomes.append_column("node", pa.array([worker] * len(outcomes)))


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    """``env`` in this process's environment for the duration (what the processes it starts inherit)."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise OnrecordError("--engine ray needs Ray: pip install 'ray[data]==2.60.*' (setup.sh installs it)") from None
    return ray


# every read_parquet of Ray Data's Parquet reader starts up to 32 FooterReader actors, each a new worker process
# (~0.9 CPU-s): one per read reads the few hundred footers of a step's files (300 articles with --corroborate: CPU of
# the run 184 -> 71 s, worker processes started while publishing 135 -> 25, publishing 346 -> 85 s)
READS = {"RAY_DATA_PARQUET_FOOTER_NUM_ACTORS": "1"}
# a worker runs task after task of every step, Ray Data's shuffles too, and kept what they freed: Arrow's default pool
# (mimalloc) held freed buffers until asked, glibc kept a heap per thread. jemalloc gives freed pages back whoever
# freed them, two glibc arenas fragment less (1,000 articles, one window: largest task worker 1,189 -> 524 MB private)
MEMORY = {"ARROW_DEFAULT_MEMORY_POOL": "jemalloc", "MALLOC_ARENA_MAX": "2"}


def start(address: str | None, cpus: int | None) -> None:
    """Join the cluster at ``address`` (``auto``, ``ray://host:port``, ``host:port``), or start a local Ray
    with ``cpus`` CPUs (default 2) and no dashboard."""
    ray = _import_ray()
    if ray.is_initialized():
        return
    env = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", **READS, **MEMORY}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    if address:
        ray.init(address=address, log_to_driver=False, runtime_env={"env_vars": env})
    else:
        # a local Ray's workers inherit the environment its raylet started with: no runtime_env, whose set-up
        # starts every worker process through a second Python interpreter first (setup_worker.py, ~0.3 CPU-s each)
        with _environment(env):
            # "local": a new Ray of our own, even when another one runs on this machine
            ray.init(address="local", num_cpus=cpus or 2, include_dashboard=False, log_to_driver=False)
    import ray.data

    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    ctx.max_errored_blocks = -1  # a batch that fails every retry is recorded as failures, not a failed job


INPUT = "_input"  # in the store: the items staged for the analysis, a folder per ingest process, a file per batch


def _stage(items: Iterator[tuple[int, Item]], folder: Path, size: int, batch_size: int, run: int) -> list[str]:
    """The next ``size`` items of ``items`` written into ``folder`` as files of ``batch_size`` items (one analysis
    batch each), a batch at a time: the driver holds one batch of items, whatever the corpus. Returns the files
    (none: the input is done)."""
    files = []
    for _ in range(0, size, batch_size):
        chunk = list(islice(items, batch_size))
        if not chunk:
            break
        files.append(_write_items(folder, batch.items_table(chunk, run)))
    return files


def _cut_tail(files: list[str], tail: int, batch_size: int) -> list[str]:
    """A window's last ``tail`` batch files cut into quarters, so that the actors run out of work together (a batch
    of 32 articles is ~6 s of one core, which the other actors would spend idle at the end of the window)."""
    small = max(1, batch_size // 4)
    if not tail or not files or small >= batch_size:
        return files
    last = _read_items(files[-tail:])
    for f in files[-tail:]:
        Path(f).unlink()
    folder = Path(files[0]).parent
    return files[:-tail] + [_write_items(folder, last.slice(i, small)) for i in range(0, last.num_rows, small)]


def _write_items(folder: Path, items: pa.Table) -> str:
    path = folder / f"{items['_pos'][0].as_py():012d}.parquet"
    parquet_store.write_table(path, items)
    return str(path)


def _read_items(files: list[str]) -> pa.Table:
    """The items of staged batch files (``ITEMS``)."""
    return pa.concat_tables([pq.read_table(f, schema=batch.ITEMS) for f in files])


def failed_outcomes(items: pa.Table, reason: str) -> pa.Table:
    """An ``outcomes`` row per item: failed at the analysis stage, for ``reason``."""
    rows = [{"name": r["name"], "source": r["source"], "status": "failed", "stage": "analyse", "reason": reason,
             "article_id": None, "_run": r["_run"], "_pos": r["_pos"]}
            for r in items.select(["name", "source", "_run", "_pos"]).to_pylist()]
    return pa.Table.from_pylist(rows, schema=batch.OUTCOMES)


def _record_lost(target: parquet_store.ParquetStore, tables: Iterable[pa.Table], returned: set[int],
                 invocation: str) -> list[str]:
    """Items whose batch failed every retry (its worker kept dying, or writing it failed) become failures, so
    that nothing is lost silently and a later run tries them again. Returns their names."""
    lost = []
    seen = pa.array(sorted(returned), pa.int64())
    for table in tables:
        missing = table.filter(pc.invert(pc.is_in(table["_pos"], seen)))
        if not missing.num_rows:
            continue
        outcomes = failed_outcomes(missing, LOST)
        target.write_batch(f"lost-{batch_key(missing, invocation)}", {"outcomes": outcomes})
        lost += outcomes["name"].to_pylist()
    return lost


def _resolve_partitions(rows: pa.Table, output: str, rules: list[canonical.Rule]) -> pa.Table:
    """Ray Data's call: ``parquet_store.resolve_partition`` on each partition named in ``rows``."""
    done = [parquet_store.resolve_partition(Path(p), Path(output), rules) for p in rows["partition"].to_pylist()]
    return pa.table({"rows": pa.array(done, pa.int64())})


def resolve_on_ray(input_dir: Path, output_dir: Path, rules: list[canonical.Rule]) -> None:
    """Actor merging as a Ray Data map over the partitions of the actor input (DuckDB wrote them cut by resolution
    group, so each partition resolves on its own: no shuffle, no aggregator actors), one task per partition."""
    import ray.data

    partitions = [str(p) for p in parquet_store.actor_partitions(input_dir)]
    output_dir.mkdir(parents=True, exist_ok=True)
    if not partitions:
        return
    done = ray.data.from_items([{"partition": p} for p in partitions], override_num_blocks=len(partitions))
    _collect(done.map_batches(_resolve_partitions, batch_size=1, batch_format="pyarrow", num_cpus=1,
                              fn_kwargs={"output": str(output_dir), "rules": rules}))


def _cpus() -> int:
    """The cluster's CPUs (at least 1)."""
    import ray

    return max(1, int(ray.cluster_resources().get("CPU", 1)))


class Preparer:
    """Corroboration's per-article work (``corroborate_batch.prepare``) as a Ray Data actor: the batch's rows written
    into the version's ``_corroboration`` folder, counts returned. An actor, not a task: spaCy (for the facts) is
    loaded once per actor and leaves with it at the end of the step — a task worker that loaded it kept ≈ 400 MB
    through every later step it ran."""

    def __init__(self, parts: str) -> None:
        self.parts = Path(parts)

    def __call__(self, articles: pa.Table) -> pa.Table:
        tables = corroborate_batch.prepare(articles)
        key = f"b{pc.min(articles['seq']).as_py():012d}"  # a retried batch rewrites the same files
        for name, table in tables.items():
            parquet_store.write_table(self.parts / name / f"{key}.parquet", table)
        counts = pa.table({"articles": [tables["articles"].num_rows], "statements": [tables["statements"].num_rows]})
        del tables
        release_memory()
        return counts


def _collect(ds: Any) -> pa.Table:
    """A small result (a link list) on the driver."""
    parts = [b for b in ds.iter_batches(batch_format="pyarrow", batch_size=None) if b.num_rows]
    return pa.concat_tables(parts) if parts else pa.table({})


def _pairs(ds: Any, key: str, partitions: int) -> Any:
    """Candidate pairs of an LSH index: ``(bucket, key, shard)`` rows grouped by shard (a groupby: a bucket's rows
    meet in one call) and paired within their buckets. A pair met in buckets of two shards comes twice; the
    verdict is the same, and ``best_links`` takes it once."""
    return ds.groupby("shard", num_partitions=partitions).map_groups(
        _released(corroborate_batch.bucket_pairs), fn_kwargs={"key": key}, batch_format="pyarrow")


COMPARE_ROWS = 8192  # items plus pairs per comparison part: a part holds at most this many payloads


def _compare(pairs: Any, items: Any, id_column: str, payload: pa.Schema, verdict: Any, partitions: int) -> Any:
    """``verdict``'s links of the candidate ``pairs`` (ids), each side's payload (``items``: ``id_column`` and the
    ``payload`` columns) fetched once per part (``corroborate_batch.route`` then ``compare``, two groupbys run as
    tasks): no join holds the pairs with their payloads. Parts: at least ``partitions``, more so that a part holds
    at most COMPARE_ROWS items and pairs (the largest process grows with a part, not with the pairs)."""
    cb = corroborate_batch
    schema = cb.compare_schema(payload)
    pairs = pairs.materialize()
    parts = max(partitions, -(-(pairs.count() + items.count()) // COMPARE_ROWS))
    routed = pairs.map_batches(_released(cb.pair_rows), fn_kwargs={"schema": schema}, batch_format="pyarrow").union(
        items.map_batches(_released(cb.item_rows), fn_kwargs={"schema": schema, "id_column": id_column},
                          batch_format="pyarrow")
    ).groupby("shard").map_groups(_released(cb.route), fn_kwargs={"parts": parts}, batch_format="pyarrow")
    keys = items.map_batches(_released(cb.item_rows), batch_format="pyarrow",
                             fn_kwargs={"schema": schema, "id_column": id_column, "parts": parts})
    return routed.union(keys).groupby("shard").map_groups(_released(cb.compare), fn_kwargs={"verdict": verdict},
                                                          batch_format="pyarrow")


def _join(left: Any, right: Any, on: str, schemas: tuple[pa.Schema, pa.Schema], partitions: int,
          how: str = "inner") -> Any:
    """``left`` joined to the one row of ``right`` with its key ``on`` (``schemas``: of each side) as a groupby on
    the key's part (``corroborate_batch.lookup``), run as tasks each holding one of ``partitions`` parts — no
    hash-shuffle aggregator, whose actors hold their share of both sides until the end whatever the partitions."""
    cb = corroborate_batch
    schema = cb.join_schema(*schemas, on)
    sides = [ds.map_batches(_released(cb.join_rows), batch_format="pyarrow",
                            fn_kwargs={"schema": schema, "on": on, "right": side, "parts": partitions})
             for ds, side in ((left, False), (right, True))]
    return sides[0].union(sides[1]).groupby("_part").map_groups(
        _released(cb.lookup), batch_format="pyarrow",
        fn_kwargs={"on": on, "how": how, "left": schemas[0].names, "right": [n for n in schemas[1].names if n != on]})


def corroborate_on_ray(work: Path, *, batch_size: int = CORROBORATE_BATCH, partitions: int | None = None,
                       paraphrase: bool = False) -> Any:
    """Corroboration of a version being published, as Ray Data steps (``corroborate_batch`` explains the split):
    a map over articles, a groupby over wordings (copies onto representatives), groupbys over LSH buckets and
    clusters, joins of candidate pairs to their texts, maps for the verdicts, self-joins resolving the links,
    groupbys numbering the clusters and for the summary (``_summary``); the driver holds only the copy links
    between articles and a count per block of statements, and ``parquet_store.corroboration_finish`` moves the
    tables into the version.
    ``batch_size``: articles per prepare call; ``partitions``: of every groupby and join (default: one per CPU) —
    neither changes a row; ``paraphrase``: the second stage too (``_paraphrase``). Returns ``corroborate.Summary``
    with the sizes the driver held in ``driver_rows``."""
    import ray
    import ray.data
    from ray.data.context import ShuffleStrategy

    ctx = ray.data.DataContext.get_current()
    saved = ctx.max_errored_blocks, ctx.shuffle_strategy
    ctx.max_errored_blocks = 0  # a failed step fails the publish, loses nothing
    ctx.shuffle_strategy = ShuffleStrategy.SORT_SHUFFLE_PULL_BASED  # groupbys as tasks: no aggregator actors to start
    try:
        with _environment(READS):  # the driver plans the reads too
            return _corroborate(work, batch_size, partitions, paraphrase)
    finally:
        ctx.max_errored_blocks, ctx.shuffle_strategy = saved


def _corroborate(work: Path, batch_size: int, partitions: int | None, paraphrase: bool = False) -> Any:
    import ray
    import ray.data
    from ray.data.expressions import col

    cb = corroborate_batch
    started = time.monotonic()
    parts = work / parquet_store.CORROBORATION
    source = parquet_store.corroboration_input(work)
    files = sorted(source.glob("*.parquet")) if source.is_dir() else [source]
    batches = -(-sum(pq.read_metadata(f).num_rows for f in files) // batch_size)
    pool = ray.data.ActorPoolStrategy(size=max(1, min(_cpus(), batches)))  # no more actors (spaCy loads) than batches
    # read first (blocks in the object store, not on the driver): a pool holding every CPU would leave none for the
    # read tasks, and the step would wait forever (seen at 2 CPUs)
    # one block per batch: a file read as one block would go to one actor while the others idle
    counts = _collect(ray.data.read_parquet(str(source)).repartition(batches).materialize().map_batches(
        Preparer, batch_size=batch_size, batch_format="pyarrow", num_cpus=1, compute=pool,
        fn_constructor_kwargs={"parts": str(parts)}))
    n_articles = sum(counts["articles"].to_pylist()) if counts.num_rows else 0
    n_statements = sum(counts["statements"].to_pylist()) if counts.num_rows else 0
    # one shuffle partition per CPU, more when the statements would make a partition large (a join partition holds
    # its share of the statements' texts)
    partitions = partitions or max(1, int(ray.cluster_resources().get("CPU", 1)),
                                   -(-n_statements // STATEMENTS_PER_PARTITION))
    sizes: dict[str, int] = {}
    steps = {"prepare": time.monotonic() - started}  # seconds per step, each from the end of the one before

    def read(name: str, columns: list[str] | None) -> Any:
        if not any((parts / name).glob("*.parquet")):
            return None
        ds = ray.data.read_parquet(str(parts / name))
        return ds.select_columns(columns) if columns else ds

    read.parts = parts  # type: ignore[attr-defined]

    def grouped(ds: Any, fn: Any, **kwargs: Any) -> Any:
        return ds.groupby("shard", num_partitions=partitions).map_groups(_released(fn), batch_format="pyarrow",
                                                                         fn_kwargs=kwargs)

    def pyarrow(ds: Any, fn: Any, **kwargs: Any) -> Any:
        return ds.map_batches(_released(fn), batch_format="pyarrow", fn_kwargs=kwargs)

    # statements: copies onto their wording's representative (a groupby on the wording), the representatives'
    # LSH candidates, verdicts and links resolved by pointer jumping, cluster ids numbered per block of founders:
    # all on the engine, the driver holding one count per block
    sizes["founder_counts"] = 0
    rounds = 0
    statements = read("statements", None)
    if statements is not None:
        grouped(pyarrow(statements, cb.line_shard), cb.line_links).write_parquet(str(parts / "lined"))
        lined = read("lined", None)
        pyarrow(lined, cb.index_rows).write_parquet(str(parts / "statement_buckets"))
        pairs = _pairs(pyarrow(read("lined", ["member", "buckets", "matched"]), cb.rep_bands), "member", partitions)
        reps = read("lined", ["member", "text", "context", "matched"]).filter(expr=col("matched").is_null())
        links = _compare(pairs, reps, "member", cb.STATEMENT_TEXT, cb.statement_verdicts, partitions)
        grouped(pyarrow(links, cb.with_shard, column="key"), cb.best_per_key).write_parquet(str(parts / "rep_links"))
        resolved_links, rounds = _resolve_links(read, "rep_links", partitions)
        lined = pyarrow(read("lined", None), cb.with_via)
        rep_links = read(resolved_links, cb.REP_LINKS.names) if resolved_links else None
        if rep_links is None:  # no representative matched another: nothing to join
            joined = pyarrow(lined, lambda t: _with_nulls(t, cb.REP_LINKS, "via"))
        else:
            joined = _join(lined, rep_links, "via", (cb.VIA, cb.REP_LINKS), partitions, "left_outer")
        pyarrow(joined, cb.resolve).write_parquet(str(parts / "resolved"))
        founders = pyarrow(read("resolved", ["member", "root", "block"]),
                           lambda t: t.filter(pc.equal(t["root"], t["member"])).select(["member", "block"]))
        counts = _collect(founders.groupby("block").count())
        before = cb.blocks_before(dict(zip(counts["block"].to_pylist(), counts["count()"].to_pylist(), strict=True)))
        ids = founders.groupby("block", num_partitions=partitions).map_groups(
            _released(cb.number_founders), batch_format="pyarrow", fn_kwargs={"before": before})
        _join(read("resolved", None), ids, "root", (cb.RESOLVED, cb.FOUNDERS), partitions).write_parquet(
            str(parts / "linked_members"))
        sizes["founder_counts"] = len(counts)  # what the driver held of the statements: founders per block
    steps["statement_links"] = time.monotonic() - started - sum(steps.values())
    verdicts = paraphrase_rounds = 0
    if paraphrase and statements is not None:  # the second stage: final clusters into linked_members
        paraphrase_rounds, verdicts, sizes["crossing_clusters"] = _paraphrase(work)
        steps["paraphrase"] = time.monotonic() - started - sum(steps.values())

    # articles: text copies (LSH over 4-gram shingles), then copies by shared statements
    articles = read("articles", ["seq", "buckets"])
    best_text: dict[int, tuple[int, float]] = {}
    if articles is not None:
        index = articles.map_batches(_released(cb.explode), fn_kwargs={"key": "seq"},
                                     batch_format="pyarrow").materialize()
        index.select_columns(["bucket", "seq"]).write_parquet(str(parts / "article_buckets"))
        pairs = _pairs(index, "seq", partitions)
        sh = read("articles", ["seq", "shingles"])
        text_links = _collect(_compare(pairs, sh, "seq", cb.ARTICLE_SHINGLES, cb.article_verdicts, partitions))
        best_text = cb.best_links(text_links) if text_links.num_rows else {}
    sizes["text_copies"] = len(best_text)
    by_statements: dict[str, tuple[str, float]] = {}
    x_seq: dict[str, int] = {}
    ids: dict[int, str] = {}
    if statements is not None:
        eligible = read("linked_members", ["member", "cluster_id", "article_id", "words", "seq", "own"]).filter(
            expr=col("words") >= co.MIN_FUZZY_WORDS).map_batches(
            _released(cb.with_shard), fn_kwargs={"column": "cluster_id"}, batch_format="pyarrow")
        shared = eligible.groupby("shard", num_partitions=partitions).map_groups(
            _released(cb.statement_copy_pairs), batch_format="pyarrow")
        shared = shared.map_batches(_released(lambda t: t.set_column(4, "own", pc.cast(t["own"], pa.int64()))),
                                    batch_format="pyarrow")
        from ray.data.aggregate import Count, Sum

        summed = shared.groupby(["x", "x_seq", "y", "y_seq"]).aggregate(Count(alias_name="shared"),
                                                                         Sum("own", alias_name="own"))
        candidates = _collect(summed.filter(
            expr=(col("shared") >= co.SHARE_MIN) & (col("own") >= 2) & (col("y_seq") < col("x_seq"))))
        if candidates.num_rows:
            involved = sorted(set(candidates["x"].to_pylist()) | set(candidates["y"].to_pylist()))
            distinct = f"count(DISTINCT cluster_id) FILTER (WHERE words >= {co.MIN_FUZZY_WORDS})"
            clusters_of = parquet_store.lookup(parts / "linked_members", "article_id", involved, distinct)
            text_seqs = set(best_text)
            x_ids = {r["x"] for r in candidates.to_pylist() if r["x_seq"] in text_seqs}
            by_statements = cb.statement_copies(candidates.to_pylist(), clusters_of, x_ids)
            x_seq = dict(zip(candidates["x"].to_pylist(), candidates["x_seq"].to_pylist(), strict=True))
    sizes["statement_copies"] = len(by_statements)

    # article_sources: the copy links (small) resolved into groups on the driver, the rows written by a map
    need = sorted(set(best_text) | {c for c, _ in best_text.values()})
    if need:
        ids = parquet_store.lookup(parts / "articles", "seq", need, "any_value(article_id)")
    copies: dict[str, tuple[str, str, float, int]] = {}  # article -> (copy of, how, similarity, its seq)
    for x, (y, share) in best_text.items():
        copies[ids[x]] = (ids[y], "text", round(share, 4), x)
    for x, (y, share) in by_statements.items():
        copies[x] = (y, "statements", round(share, 4), x_seq[x])
    groups = cb.forest({x: (c[0], c[2]) for x, c in copies.items()}, {x: c[3] for x, c in copies.items()})
    sizes["driver_rows"] = sizes["founder_counts"] + len(best_text) + len(by_statements) + \
        sizes.get("crossing_clusters", 0)
    links_ref = ray.put({x: (c[0], c[1], c[2], groups[x]) for x, c in copies.items()})
    steps["ids_and_copies"] = time.monotonic() - started - sum(steps.values())
    _summary(read, parts, partitions, links_ref, work if paraphrase else None)
    steps["summary"] = time.monotonic() - started - sum(steps.values())
    summary = parquet_store.corroboration_finish(work, paraphrase)
    steps["finish"] = time.monotonic() - started - sum(steps.values())
    summary.steps = steps
    summary.articles, summary.statements = n_articles, n_statements
    summary.seconds = time.monotonic() - started
    summary.sizes = sizes
    summary.link_rounds = rounds  # pointer-jumping rounds that resolved the representatives' links
    summary.verdicts = verdicts
    summary.paraphrase_rounds = paraphrase_rounds  # runs of the time segments (1: no decision crossed a gap)
    return summary


SEGMENT_OUT = pa.schema([*corroborate_batch.EXPORTED, ("segment", pa.string()), ("verdicts", pa.int64())])


def _paraphrase_segments(rows: pa.Table, redirects: list[Any]) -> pa.Table:
    """Ray Data's call: ``parquet_store.paraphrase_segment`` on each segment folder named in ``rows``; its exported
    founders, and one row with the pairs its verdict read."""
    import ray

    known = ray.get(redirects[0])  # in a list: Ray resolves only top-level references
    out = []
    for folder in rows["segment"].to_pylist():
        exported, n = parquet_store.paraphrase_segment(Path(folder), known)
        out += [{**r, "segment": folder, "verdicts": None} for r in exported.to_pylist()]
        out.append({"segment": folder, "verdicts": n})
    release_memory()
    return pa.Table.from_pylist(out, schema=SEGMENT_OUT)


def _paraphrase(work: Path) -> tuple[int, int, int]:
    """The second stage (``corroborate --paraphrase``) over the version's ``linked_members``: DuckDB on the driver's
    node cuts the statements into time segments (``parquet_store.paraphrase_input``), a Ray Data map runs each
    segment as one task (the sequential ``corroborate.link_paraphrases`` within it), run again in rounds for the
    segments whose copies of other segments' statements moved (``corroborate_batch.paraphrase_rounds``); then the
    final clusters go into ``linked_members``. Returns the rounds, the pairs the verdict read and the clusters whose
    decisions crossed a gap (what the driver held)."""
    import ray
    import ray.data

    folders, needs = parquet_store.paraphrase_input(work)
    read: dict[str, int] = {}

    def run(todo: list[Path], redirects: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
        ds = ray.data.from_items([{"segment": str(p)} for p in todo], override_num_blocks=len(todo))
        out = _collect(ds.map_batches(_paraphrase_segments, batch_size=1, batch_format="pyarrow", num_cpus=1,
                                      fn_kwargs={"redirects": [ray.put(redirects)]}))
        rows = out.to_pylist() if out.num_rows else []
        read.update((r["segment"], r["verdicts"]) for r in rows if r["verdicts"] is not None)
        return [{k: r[k] for k in corroborate_batch.EXPORTED.names} for r in rows if r["verdicts"] is None]

    rounds, redirects = corroborate_batch.paraphrase_rounds(folders, needs, run) if folders else (0, {})
    parquet_store.paraphrase_finish(work)
    return rounds, sum(read.values()), len(redirects)


def _with_nulls(table: pa.Table, schema: pa.Schema, key: str) -> pa.Table:
    """``table`` with the (null) columns of ``schema`` but ``key``: a left join with nothing on the right."""
    for field in schema:
        if field.name != key:
            table = table.append_column(field.name, pa.nulls(len(table), field.type))
    return table


ROOTS = pa.schema([("b_root", pa.int64()), ("next_root", pa.int64())])  # a representative's root's own root
CLUSTERED = pa.schema([f for f in corroborate_batch.MEMBERS_IN if f.name != "shard"])
SOURCE_KEYS = pa.schema([("article_id", pa.string()), ("source_key", pa.string())])


def _resolve_links(read: Any, name: str, partitions: int) -> tuple[str | None, int]:
    """The representatives' links (``REP_LINKS``, the folder ``name``) resolved to their roots by pointer jumping,
    as Ray Data joins: each round replaces every root by its root's root until none moves (links point to earlier
    rows, so about log2 of the longest chain rounds). Returns the folder of the resolved links (None: no links)
    and the rounds."""
    from ray.data.expressions import col

    rounds = 0
    while (links := read(name, corroborate_batch.REP_LINKS.names)) is not None:
        if not rounds and not links.count():
            return None, 0
        roots = links.select_columns(["via", "b_root"]).rename_columns({"via": "b_root", "b_root": "next_root"})
        rounds += 1
        step = f"{name.split('~')[0]}~{rounds}"
        _join(links, roots, "b_root", (corroborate_batch.REP_LINKS, ROOTS), partitions, "left_outer").map_batches(
            _released(corroborate_batch.jump), batch_format="pyarrow").write_parquet(str(read.parts / step))
        name = step
        if not read(step, ["changed"]).filter(expr=col("changed")).count():
            break
    return (name if rounds else None), rounds


def _summary(read: Any, parts: Path, partitions: int, links: Any, claims: Path | None = None) -> None:
    """``corroborate.refresh`` as Ray Data groupbys (``corroborate_batch``'s summary functions): each copy group's
    source (groupby copy group), site furniture (groupby line: a line one outlet repeats), ``clusters`` (the
    members joined to their articles' sources, groupby cluster), the corpus conflict checks (groupby check group:
    an actor, a casualty count, an actor's issue; then groupby article for one flag per statement). Only the
    copy links (already on the driver, broadcast) take part; every table is written by the
    workers into ``parts``. ``claims`` (the version, when the second stage ran): the flags of ``claim_conflicts``
    (``parquet_store.claim_flags``) join the checks' flags before one flag per statement is kept."""
    import ray
    from ray.data.expressions import col

    cb = corroborate_batch

    def grouped(ds: Any, fn: Any) -> Any:
        return ds.groupby("shard", num_partitions=partitions).map_groups(_released(fn), batch_format="pyarrow")

    sources = None
    articles = read("articles", ["article_id", "seq", "wire", "outlet_key", "published_date"])
    if articles is not None:
        sources = grouped(articles.map_batches(_released(lambda t, a: cb.article_rows(t, ray.get(a[0]))),
                                               fn_kwargs={"a": [links]}, batch_format="pyarrow"),
                          cb.group_sources).materialize()
        sources.write_parquet(str(parts / "article_sources"))
    linked = read("linked_members", None)
    if linked is not None and sources is not None:
        members = linked.map_batches(_released(lambda t, c: cb.with_groups(cb.member_rows(t), ray.get(c[0]))),
                                     fn_kwargs={"c": [links]}, batch_format="pyarrow")
        members = grouped(members, cb.furniture).materialize()
        members.select_columns(cb.MEMBERS.names).write_parquet(str(parts / "cluster_members"))
        clustered = members.filter(expr=col("cluster_id") >= 0).drop_columns(["shard"])
        clustered = _join(clustered, sources.select_columns(["article_id", "source_key"]), "article_id",
                          (CLUSTERED, SOURCE_KEYS), partitions)
        grouped(clustered.map_batches(_released(cb.with_shard), fn_kwargs={"column": "cluster_id"},
                                      batch_format="pyarrow"), cb.cluster_rows).write_parquet(str(parts / "clusters"))
    checks = read("checks", None)
    flags = None if checks is None else grouped(checks, cb.check_flags)
    claimed = parquet_store.claim_flags(claims) if claims is not None and sources is not None else None
    if claimed is not None:
        parquet_store.write_table(parts / "claim_flags" / "part-0.parquet", claimed)
        flags = read("claim_flags", None) if flags is None else flags.union(read("claim_flags", None))
    if flags is not None:
        grouped(flags, cb.unique_flags).write_parquet(str(parts / "corpus_flags"))


def corroborate_store(store: str | Path, *, paraphrase: bool | None = None, address: str | None = None,
                      cpus: int | None = None, partitions: int | None = None) -> Any:
    """``onrecord corroborate --store DIR`` on a Parquet store: keep the second stage's setting (``paraphrase``;
    None: the store's), then publish the store again with corroboration on Ray (the analysed rows as they are:
    statements analysed before the setting have their vectors computed by the second stage). Returns
    ``corroborate.Summary``."""
    target = parquet_store.ParquetStore(store)
    target.info()
    if target.version() is None:
        raise InputError(f"{store} has no tables yet: ingest first (onrecord ingest SOURCE --engine ray --store DIR)")
    if paraphrase is not None:
        target.set_paraphrase(paraphrase)
    start(address, cpus)
    steps = functools.partial(corroborate_on_ray, partitions=partitions, paraphrase=target.paraphrase())
    _, summary = target.publish(target.stored_rules(), resolve_on_ray, partitions=_cpus(), corroborate=steps)
    return summary


def ingest(sources: list[str], store: str | Path, *, address: str | None = None, cpus: int | None = None,
           actors: int | None = None, cpus_per_actor: float = 1, batch_size: int = DEFAULT_BATCH,
           window: int = DEFAULT_WINDOW, aliases: str | Path | None = None, max_bytes: int | None = None,
           progress: bool = True, corroborate: bool | None = None, corroborate_batch_size: int = CORROBORATE_BATCH,
           partitions: int | None = None) -> Summary:
    """Analyse every article of ``sources`` not yet in ``store`` on Ray, then publish the store's tables.
    ``corroborate``: cluster statements and flag corpus conflicts too (None: when the store was before), in
    batches of ``corroborate_batch_size`` articles and ``partitions`` shuffle partitions (``corroborate_on_ray``)."""
    if not sources:
        raise InputError("nothing to ingest: give a folder, a .jsonl/.csv/.warc/.parquet file, or - for stdin")
    if batch_size < 1 or window < 1 or (actors is not None and actors < 1) or (cpus is not None and cpus < 1):
        raise InputError("--batch-size, --actors and --cpus must be at least 1")
    parquet_sources.check(sources)
    rules = canonical.load_rules(aliases) if aliases else None
    started = time.monotonic()
    summary = Summary(store=str(store))
    target = parquet_store.ParquetStore(store)
    target.create()
    rules = rules if rules is not None else target.stored_rules()
    run = target.run_number(parquet_sources.signature(sources))
    known = target.known_ids()
    if corroborate is None:
        corroborate = target.corroborated()
    paraphrase = bool(corroborate) and target.paraphrase()  # the store's setting (``corroborate --paraphrase``)
    _import_ray()  # before any staging: without Ray, say so at once
    invocation = time.strftime("%Y%m%d%H%M%S", time.gmtime()) + f"{os.getpid() % 100000:05d}"
    staged = target.path / INPUT
    shutil.rmtree(staged, ignore_errors=True)  # what a killed ingest left (one ingest into a store at a time)
    items: Iterator[tuple[int, Item]] = enumerate(parquet_sources.iter_all(sources, max_bytes))
    stage = functools.partial(_stage, items, staged / invocation, window, batch_size, run)
    failed: set[str] = set()
    nodes: set[str] = set()
    done = 0
    try:
        with ThreadPoolExecutor(1) as staging:
            ahead = staging.submit(stage)  # the first window is staged while Ray starts
            start(address, cpus)
            import ray
            import ray.data

            pool = actors or max(1, int(ray.cluster_resources().get("CPU", 1) // cpus_per_actor))
            analyser = {"store": str(target.path), "known": [ray.put(known)], "max_bytes": max_bytes,
                        "invocation": invocation, "status": corroborate, "vectors": paraphrase}
            while files := ahead.result():
                ahead = staging.submit(stage)  # the next window is staged while this one is analysed
                files = _cut_tail(files, 2 * pool, batch_size)
                ds = ray.data.from_items([{"file": f} for f in files], override_num_blocks=len(files))
                # one actor per CPU slot, one batch file per call; Ray Data restarts an actor whose process dies and
                # retries its batch
                out = ds.map_batches(Analyser, batch_size=1, batch_format="pyarrow",
                                     compute=ray.data.ActorPoolStrategy(size=pool), num_cpus=cpus_per_actor,
                                     fn_constructor_kwargs=analyser)
                returned: set[int] = set()
                for part in out.iter_batches(batch_format="pyarrow", batch_size=None):
                    rows = part.select(["name", "status", "node", "_pos"]).to_pylist()
                    returned.update(r["_pos"] for r in rows)
                    done += len(rows)
                    failed.update(r["name"] for r in rows if r["status"] == "failed")
                    failed.difference_update(r["name"] for r in rows if r["status"] != "failed")
                    nodes.update(r["node"] for r in rows)
                    if progress:
                        print(f"\ringest: {done} articles analysed on {len(nodes)} workers", end="", file=sys.stderr)
                named = (pq.read_table(f, columns=["name", "source", "_run", "_pos"]) for f in files)
                lost = _record_lost(target, named, returned, invocation)
                done += len(lost)
                failed.update(lost)
                for f in files:
                    Path(f).unlink()
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    if progress:
        print(file=sys.stderr)
    publishing = time.monotonic()
    summary.stored, summary.corroboration = target.publish(rules, resolve_on_ray, partitions=_cpus(),
                                                           corroborate=corroborate and functools.partial(
                                                               corroborate_on_ray, batch_size=corroborate_batch_size,
                                                               partitions=partitions, paraphrase=paraphrase))
    summary.publish_seconds = time.monotonic() - publishing
    summary.failed = len(failed)
    summary.skipped = max(0, done - summary.stored - summary.failed)
    summary.workers = sorted(nodes)
    summary.seconds = time.monotonic() - started
    return summary
