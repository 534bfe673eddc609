"""``onrecord ingest --engine ray``: the corpus on a Ray cluster, into a directory of Parquet datasets.

    onrecord ingest feed.jsonl articles.parquet --engine ray --store corpus/ [--address auto] [--cpus 2]

* The driver streams the sources into small Arrow tables of items (``batch.ITEMS``), a window at a time, so
  the input is never in memory whole.
* Analysis is Ray Data batch inference: ``map_batches`` over a pool of actors, each loading the spaCy
  pipeline once and calling ``batch.analyse_batch`` on each batch; the actor writes the batch's rows into the
  store (``ParquetStore.write_batch``: atomic, its outcomes last) and returns only the outcomes. Actors are
  restarted and their batches retried when a worker process dies; a batch written twice has the same name
  and the same rows, and publishing takes each article once.
* Actor merging runs as a Ray Data groupby over resolution groups (``canonical.resolve_group``).
* Publishing (numbering, joins, the new version) is DuckDB reading the Parquet in place on the driver's node.

Ray is imported here only: ``import onrecord`` and single-article commands never load it.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from onrecord.errors import InputError, OnrecordError
from onrecord.store import batch, canonical, parquet_sources, parquet_store
from onrecord.store.ingest import Summary
from onrecord.store.sources import Item

DEFAULT_BATCH = 32  # articles per map_batches call (and per batch written)
DEFAULT_WINDOW = 8192  # items the driver hands to Ray at a time
TASK_RETRIES = 3  # a batch whose worker dies this many times more is recorded as failed (never retried forever)


def batch_key(table: pa.Table, invocation: str) -> str:
    """A batch's name: this ingest process and the positions the batch holds — the same when Ray retries the
    batch (its files are overwritten with the same rows), another one for a later ingest of the same items (whose
    outcomes, "skipped", must not replace the stored ones)."""
    pos = table["_pos"].to_pylist()
    return f"r{table['_run'][0].as_py():04d}-{invocation}-{min(pos):012d}-{max(pos):012d}-{len(pos)}"


class Analyser:
    """A Ray Data actor: the spaCy pipeline loaded once, then one ``analyse_batch`` per batch."""

    def __init__(self, store: str, known: Any, max_bytes: int | None, invocation: str) -> None:
        import ray

        from onrecord.parse import load_pipeline

        load_pipeline()
        self.store = parquet_store.ParquetStore(store)
        self.known: np.ndarray = ray.get(known[0])  # in a list: Ray resolves only top-level references
        self.max_bytes = max_bytes
        self.invocation = invocation

    def __call__(self, items: pa.Table) -> pa.Table:
        tables = batch.analyse_batch(items, max_bytes=self.max_bytes, known=self.known)
        self.store.write_batch(batch_key(items, self.invocation), tables)
        outcomes = tables["outcomes"]
        import ray

        worker = f"{ray.get_runtime_context().get_node_id()[:12]}:{os.getpid()}"
        return outcomes.append_column("node", pa.array([worker] * len(outcomes)))


def start(address: str | None, cpus: int | None) -> None:
    """Join the cluster at ``address`` (``auto``, ``ray://host:port``, ``host:port``), or start a local Ray
    with ``cpus`` CPUs (default 2) and no dashboard."""
    try:
        import ray
    except ImportError:
        raise OnrecordError("--engine ray needs Ray: pip install 'ray[data]==2.60.*' (setup.sh installs it)") from None

    if ray.is_initialized():
        return
    env = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    options: dict[str, Any] = {"log_to_driver": False, "runtime_env": {"env_vars": env}}
    if address:
        ray.init(address=address, **options)
    else:
        # "local": a new Ray of our own, even when another one runs on this machine
        ray.init(address="local", num_cpus=cpus or 2, include_dashboard=False, **options)
    import ray.data

    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    ctx.max_errored_blocks = -1  # a batch that fails every retry is recorded as failures, not a failed job


def _windows(sources: list[str], max_bytes: int | None, size: int, batch_size: int, run: int
             ) -> Iterator[list[pa.Table]]:
    items: Iterator[tuple[int, Item]] = enumerate(parquet_sources.iter_all(sources, max_bytes))
    while True:
        window = list(islice(items, size))
        if not window:
            return
        yield [batch.items_table(window[i:i + batch_size], run) for i in range(0, len(window), batch_size)]


def _record_lost(target: parquet_store.ParquetStore, tables: list[pa.Table], returned: set[int], invocation: str
                 ) -> list[str]:
    """Items whose batch failed every retry (its worker kept dying, or writing it failed) become failures, so
    that nothing is lost silently and a later run tries them again. Returns their names."""
    lost = []
    for table in tables:
        seen = pa.array(sorted(returned), pa.int64())
        missing = table.filter(pc.invert(pc.is_in(table["_pos"], seen)))
        if not missing.num_rows:
            continue
        rows = [{"name": r["name"], "source": r["source"], "status": "failed", "stage": "analyse",
                 "reason": "the analysis of its batch failed every retry (a crash, out of memory, or the store "
                           "could not be written)", "article_id": None, "_run": r["_run"], "_pos": r["_pos"]}
                for r in missing.select(["name", "source", "_run", "_pos"]).to_pylist()]
        target.write_batch(f"lost-{batch_key(missing, invocation)}",
                           {"outcomes": pa.Table.from_pylist(rows, schema=batch.OUTCOMES)})
        lost += [r["name"] for r in rows]
    return lost


def resolve_on_ray(input_dir: Path, output_dir: Path, rules: list[canonical.Rule]) -> None:
    """Actor merging as a Ray Data groupby: one resolution group per ``map_groups`` call."""
    import ray
    import ray.data

    ds = ray.data.read_parquet(str(input_dir))
    partitions = max(1, int(ray.cluster_resources().get("CPU", 1)))  # one shuffle partition per CPU
    groups = ds.groupby("group", num_partitions=partitions)
    out = groups.map_groups(canonical.resolve_group, fn_kwargs={"rules": rules}, batch_format="pyarrow")
    output_dir.mkdir(parents=True, exist_ok=True)
    for i, part in enumerate(out.iter_batches(batch_format="pyarrow", batch_size=100_000)):
        parquet_store.write_table(output_dir / f"part-{i:05d}.parquet", part.cast(canonical.RESOLVED))


def ingest(sources: list[str], store: str | Path, *, address: str | None = None, cpus: int | None = None,
           actors: int | None = None, cpus_per_actor: float = 1, batch_size: int = DEFAULT_BATCH,
           window: int = DEFAULT_WINDOW, aliases: str | Path | None = None, max_bytes: int | None = None,
           progress: bool = True, corroborate: bool | None = None) -> Summary:
    """Analyse every article of ``sources`` not yet in ``store`` on Ray, then publish the store's tables.
    ``corroborate``: cluster statements and flag corpus conflicts too (None: when the store was before)."""
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
    start(address, cpus)
    import ray
    import ray.data

    pool = actors or max(1, int(ray.cluster_resources().get("CPU", 1) // cpus_per_actor))
    known_ref = ray.put(known)
    invocation = time.strftime("%Y%m%d%H%M%S", time.gmtime()) + f"{os.getpid() % 100000:05d}"
    failed: set[str] = set()
    nodes: set[str] = set()
    done = 0
    for tables in _windows(sources, max_bytes, window, batch_size, run):
        ds = ray.data.from_arrow(tables)
        # one actor per CPU slot, restarted when its process dies; its batch is then retried
        out = ds.map_batches(Analyser, batch_size=None, batch_format="pyarrow",
                             compute=ray.data.ActorPoolStrategy(size=pool), num_cpus=cpus_per_actor,
                             max_restarts=-1, max_task_retries=TASK_RETRIES,
                             fn_constructor_kwargs={"store": str(target.path), "known": [known_ref],
                                                    "max_bytes": max_bytes, "invocation": invocation})
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
        lost = _record_lost(target, tables, returned, invocation)
        done += len(lost)
        failed.update(lost)
    if progress:
        print(file=sys.stderr)
    if corroborate is None:
        corroborate = target.corroborated()
    publishing = time.monotonic()
    summary.stored, summary.corroboration = target.publish(rules, resolve_on_ray, corroborate=corroborate)
    summary.publish_seconds = time.monotonic() - publishing
    summary.failed = len(failed)
    summary.skipped = max(0, done - summary.stored - summary.failed)
    summary.workers = sorted(nodes)
    summary.seconds = time.monotonic() - started
    return summary
