"""``ingest --engine ray`` against ``onrecord ingest`` on the same real-length articles, and the corpus steps
at growing sizes, in one run.

    .venv/bin/python bench/distributed.py ../shared/data/polnear --n 2000 --cpus 2 1 --side-by-side \
        --steps 1000 2000 4000 8000 --analysed /tmp/analysed --deadline 10:54 --output out.json

Articles: the ``*.txt`` files under DATA (PolNeAR's texts are real news), made distinct for volume by
variants (paragraphs rotated, a variant line added) so every article has its own id and text. The texts stay
outside the repository; only the figures are printed (and written with ``--output``, after every run).

0. The corpus steps' input: the first max(--steps) articles analysed into the raw batches of a Parquet store
   (``--analysed DIR``, kept for later runs; ``analyse_batch`` + ``write_batch`` as the actors do, on --cpus
   processes). It is the slow part (~4-8 articles/s on 2 cores), so it can be made beforehand
   (``--prepare-only``, in pieces with ``--prepare-for SECONDS``); ``--prepare-for 0`` measures on what is there,
   an article not analysed taking a copy of an analysed variant's rows (the count is printed).
1. Throughput: ``onrecord ingest --jobs C`` (DuckDB) and ``onrecord ingest --engine ray --cpus C`` (a local
   Ray with C CPUs, one actor per CPU) on the first --n articles, each in its own subprocess, wall time including
   start-up. Sampled every 0.5 s: the RSS of the command's process (the driver, for Ray: before and while
   publishing) and of each of its descendants, told apart by kind (``kind``: the ``Analyser`` actors, Ray's
   shuffle and map tasks by their title, idle workers, raylet, gcs_server, the dashboard…; ``pool worker`` for
   ``--jobs``), and the CPU-seconds each kind used over the run (which holds under load, unlike wall time); a trace
   of them every 10 s; every process with its start time and CPU-seconds, and the Ray worker processes started
   before and while publishing (``worker_starts``: how many, their CPU-seconds). ``--pin`` runs a configuration
   of C CPUs on C cores; ``--side-by-side`` runs the two 1-CPU configurations at once, on a core each.
   ``--deadline HH:MM`` (UTC) stops what still runs then (by PID).
2. Corpus steps and driver memory: for each size n, a fresh store holding the analysed rows of the first n
   articles (batches of 32, numbered as one ingest of them would be), then ``onrecord ingest --engine ray
   --corroborate`` over a feed of exactly those articles: the actors read every item and skip it (already
   analysed), the driver streams every item, then publishes — numbering, actor merging as a Ray groupby,
   corroboration and its summary on the engine, every table written. Timed: publishing and corroboration (from
   the summary lines); sampled as in 1. Variants of one text share their sentences, so a text's variants are
   copies of each other's statements (912 texts: from 1k articles on, most statements have exact copies).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "RAY_USAGE_STATS_ENABLED": "0"}


def base_texts(data: Path) -> list[str]:
    """The real articles under ``data``; article ``i`` of ``articles`` is a variant of text ``i % len(...)``."""
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(data.rglob("*.txt"))]
    texts = [t for t in texts if len(t.strip()) > 500]
    if not texts:
        raise SystemExit(f"no .txt articles under {data}")
    return texts


def articles(data: Path, n: int) -> list[dict[str, str]]:
    texts = base_texts(data)
    out = []
    for i in range(n):
        base, variant = texts[i % len(texts)], i // len(texts)
        paragraphs = [p for p in base.split("\n\n") if p.strip()]
        k = variant % max(1, len(paragraphs))
        text = "\n\n".join(paragraphs[k:] + paragraphs[:k]) + f"\n\nVariant {variant}.\n"
        out.append({"id": f"bench-{i:06d}", "text": text, "url": f"https://bench.example/{i}", "title": f"Article {i}"})
    return out


def kind(proc: Any) -> str:
    """What a process of the run is: a Ray worker by its title (``ray::MapWorker(MapBatches(Analyser))`` ->
    ``Analyser``, ``ray::HashShuffleReduce(keys=…)->MapBatches(resolve_group)`` -> ``HashShuffleReduce->
    MapBatches(resolve_group)``, an idle worker ``IDLE``), any other by its program (``raylet``, ``gcs_server``,
    ``python …/dashboard.py`` -> ``dashboard.py``)."""
    cmd = proc.info["cmdline"] or []
    if cmd and cmd[0].startswith("ray::"):
        title = " ".join(cmd)[5:]
        for actor in ACTORS:  # the analysis and corroboration-prepare actors, whatever method they run
            if actor in title:
                return actor
        title = re.sub(r"\(keys=.*?partitions=\d+\)", "", title).split(" ")[0]
        return title.removesuffix(".submit")[:80]
    if "multiprocessing" in " ".join(cmd[1:4]):
        return "pool worker"  # onrecord ingest --jobs N's analysis processes
    scripts = [Path(c).name for c in cmd[1:3] if c.endswith(".py")]
    return scripts[0] if scripts else Path(cmd[0]).name if cmd else "?"


ACTORS = ("Analyser", "Preparer")  # ray_engine's actor classes: each holds the spaCy pipeline for its run or step


class Sampler(threading.Thread):
    """Every 0.5 s, the RSS of one process (the driver) and of each of its descendants (a local Ray's raylet,
    workers and actors are the driver's children): the driver's peak before and after ``marker`` appears (the
    store's publishing folder), and per process kind (``kind``) the largest RSS any process of that kind had
    while it was of that kind — a Ray worker's title changes with the task it runs."""

    def __init__(self, pid: int, marker: Callable[[], bool] | None = None, trace: Path | None = None) -> None:
        super().__init__(daemon=True)
        self.pid, self.marker, self.trace = pid, marker, trace
        self.peak, self.peak_publish = 0, 0
        self.kinds: dict[str, int] = {}
        self.anon: dict[str, int] = {}  # the same for RssAnon: private memory, without the object store's shared pages
        self.pids: dict[str, set[int]] = {}
        self.cpu: dict[str, float] = {}  # CPU-seconds (user + system) per kind, summed over the run
        self.last_cpu: dict[int, float] = {}
        # every process seen: when it started (seconds after the run's start), its kinds in order, its CPU-seconds
        self.procs: dict[int, dict[str, Any]] = {}
        self.started_at = time.time()
        self.publish_started: float | None = None  # seconds after the start when the publishing folder appeared
        self.stop = threading.Event()

    def _account(self, proc: Any, k: str, anon: int = 0) -> None:
        """Add the CPU time ``proc`` used since it was last seen to kind ``k`` (what it is now: a Ray worker that
        changed task between two samples has the whole interval counted under its new title); ``anon``: its private
        memory now, kept as the peak of each stretch of one kind (``kinds`` / ``anon_mb``: what a long-lived worker
        ran in turn, and how its private memory went)."""
        times = proc.cpu_times()
        total = times.user + times.system
        self.cpu[k] = self.cpu.get(k, 0.0) + total - self.last_cpu.get(proc.pid, 0.0)
        self.last_cpu[proc.pid] = total
        seen = self.procs.get(proc.pid)
        if seen is None:
            seen = self.procs[proc.pid] = {"start": round(proc.create_time() - self.started_at, 1), "kinds": [],
                                           "anon_mb": []}
        if not seen["kinds"] or seen["kinds"][-1] != k:
            seen["kinds"].append(k)
            seen["anon_mb"].append(0)
        seen["anon_mb"][-1] = max(seen["anon_mb"][-1], anon >> 20)
        seen["cpu"] = round(total, 2)

    def run(self) -> None:
        import psutil

        started, last_trace = time.monotonic(), 0.0
        publishing = False
        while not self.stop.is_set():
            try:
                root = psutil.Process(self.pid)
                rss = root.memory_info().rss
                children = root.children(recursive=True)
            except psutil.NoSuchProcess:
                break
            if not publishing and self.marker and self.marker():
                publishing, self.publish_started = True, time.monotonic() - started
            if publishing:
                self.peak_publish = max(self.peak_publish, rss)
            else:
                self.peak = max(self.peak, rss)
            with contextlib.suppress(psutil.Error):
                self._account(root, "driver: publishing" if publishing else "driver")
            now: dict[str, int] = {}
            for child in children:
                with contextlib.suppress(psutil.Error):
                    child.info = {"cmdline": child.cmdline()}
                    k, r, anon = kind(child), child.memory_info().rss, private_memory(child.pid) or 0
                    self.kinds[k] = max(self.kinds.get(k, 0), r)
                    self.anon[k] = max(self.anon.get(k, 0), anon)
                    self.pids.setdefault(k, set()).add(child.pid)
                    now[k] = max(now.get(k, 0), r)
                    self._account(child, k, anon)
            if self.trace and time.monotonic() - last_trace >= 10:
                last_trace = time.monotonic()
                with self.trace.open("a", encoding="utf-8") as f:
                    f.write(json.dumps({"t": round(last_trace - started, 1), "driver_mb": rss >> 20,
                                        **{k: v >> 20 for k, v in now.items()}}) + "\n")
            time.sleep(0.5)


def private_memory(pid: int | str = "self") -> int | None:
    """A process's private resident memory (``RssAnon``, bytes; None where /proc does not say): its RSS less the
    file pages it maps and the shared memory it touched (a Ray worker's RSS counts the object-store pages it read,
    so every worker that read a large block looks as large as the block)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) << 10
    except OSError:
        pass
    return None


DEADLINE = float("inf")  # time.time() by which every run has ended (--deadline): a run still going is stopped


def _stop(proc: subprocess.Popen[str]) -> None:
    """Stop a command that ran past the deadline and every process it started (its local Ray), by PID."""
    import psutil

    with contextlib.suppress(psutil.Error):
        family = psutil.Process(proc.pid).children(recursive=True)
    proc.kill()
    for child in family:
        with contextlib.suppress(psutil.Error):
            child.kill()


LAST_ERR: dict[str, str] = {}  # the stderr of the last ``run``


def run(args: list[str], store: Path | None = None, trace: Path | None = None,
        cores: list[int] | None = None) -> dict[str, Any]:
    """One ``onrecord`` command in a subprocess: its wall time, the driver's peak RSS (before publishing and
    while publishing), the peak RSS per process kind of its Ray, and the figures its summary line gives.
    ``cores``: the CPUs the command and every process it starts may run on (``sched_setaffinity``)."""
    started, before = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen([str(BIN / "onrecord"), *args], env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None)
    marker = (lambda: any(store.glob(".v*.tmp"))) if store else None
    sampler = Sampler(proc.pid, marker, trace)
    sampler.start()
    stopped = False
    try:
        _, err = proc.communicate(timeout=None if math.isinf(DEADLINE) else max(1.0, DEADLINE - time.time()))
    except subprocess.TimeoutExpired:
        _stop(proc)
        _, err = proc.communicate()
        stopped = True
    seconds = time.monotonic() - started
    LAST_ERR["text"] = err  # for callers that read more of the summary lines
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler.stop.set()
    sampler.join()
    if not stopped and proc.returncode not in (0, 1):
        raise SystemExit(f"onrecord {' '.join(args)} failed:\n{err[-3000:]}")
    mb = 2**20
    out: dict[str, Any] = {
        "seconds": seconds, "stopped_at_deadline": stopped, "cores": cores,
        "publish_started_s": sampler.publish_started, "driver_mb": max(sampler.peak, sampler.peak_publish) / mb,
        "driver_analysis_mb": sampler.peak / mb, "driver_publish_mb": sampler.peak_publish / mb,
        "processes_mb": {k: round(v / mb) for k, v in sorted(sampler.kinds.items(), key=lambda kv: -kv[1])},
        "processes_anon_mb": {k: round(v / mb) for k, v in sorted(sampler.anon.items(), key=lambda kv: -kv[1])},
        "cpu_s": {k: round(v, 1) for k, v in sorted(sampler.cpu.items(), key=lambda kv: -kv[1])},
        "cpu_total_s": round(sum(sampler.cpu.values()), 1),
        # the same from the kernel: every process of the command that was waited for (sampled or not)
        "cpu_rusage_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
        "process_counts": {k: len(v) for k, v in sampler.pids.items()},
        "processes": [{"pid": pid, **p} for pid, p in sorted(sampler.procs.items(), key=lambda kv: kv[1]["start"])],
        "worker_starts": worker_starts(sampler.procs, sampler.publish_started),
        "actor_mb": sampler.kinds.get("Analyser", 0) / mb, "actor_anon_mb": sampler.anon.get("Analyser", 0) / mb,
        "actors": len(sampler.pids.get("Analyser", ())),
        "preparer_mb": sampler.kinds.get("Preparer", 0) / mb, "preparer_anon_mb": sampler.anon.get("Preparer", 0) / mb,
        "largest_ray_mb": max((v for k, v in sampler.kinds.items() if k not in ACTORS and not k.endswith(".py")
                               and k not in ("raylet", "gcs_server")), default=0) / mb,
        "largest_ray_anon_mb": max((v for k, v in sampler.anon.items() if k not in ACTORS and not k.endswith(".py")
                                    and k not in ("raylet", "gcs_server")), default=0) / mb,
        "largest_process": largest_process(sampler.procs)}
    for key, pattern in (("publish_s", r"\(([\d.]+) s publishing\)"), ("corroborate_s", r"flags: .*\(([\d.]+) s\)"),
                         ("driver_links", r"([\d]+) driver rows"), ("statements", r"(\d+) new statements"),
                         ("clusters", r"(\d+) statements carried by"), ("copies", r"(\d+) syndicated copies")):
        found = re.search(pattern, err)
        if found:
            out[key] = float(found.group(1))
    return out


def largest_process(procs: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """The Ray worker process (not an ``Analyser`` or ``Preparer`` actor) whose private memory went highest: what it
    ran in turn, each with its peak private memory (MB) — whether one task is large or a long-lived worker keeps what
    its earlier tasks freed."""
    workers = {pid: p for pid, p in procs.items() if p.get("anon_mb") and p["kinds"][0] not in RAY_DAEMONS
               and not p["kinds"][0].startswith("driver") and not set(ACTORS) & set(p["kinds"])}
    if not workers:
        return {}
    pid = max(workers, key=lambda q: max(workers[q]["anon_mb"]))
    p = workers[pid]
    return {"pid": pid, "cpu": p.get("cpu"), "peak_mb": max(p["anon_mb"]),
            "ran": [f"{k} {a}" for k, a in zip(p["kinds"], p["anon_mb"], strict=True)]}


def worker_starts(procs: dict[int, dict[str, Any]], publish_started: float | None) -> dict[str, Any]:
    """Ray worker processes (``default_worker.py``, whatever they ran) started before publishing and while
    publishing: how many, and the CPU-seconds they used in all."""
    out: dict[str, Any] = {}
    for p in procs.values():
        if p["kinds"][0] in RAY_DAEMONS or p["kinds"][0].startswith("driver"):
            continue
        phase = "publishing" if publish_started is not None and p["start"] >= publish_started else "analysing"
        n, cpu_s = out.get(phase, (0, 0.0))
        out[phase] = (n + 1, round(cpu_s + p.get("cpu", 0.0), 1))
    return out


RAY_DAEMONS = {"raylet", "gcs_server", "dashboard.py", "log_monitor.py", "monitor.py", "agent.py", "main.py",
               "DashboardAgent", "RuntimeEnvAgent", "pool worker", "?"}


def top(processes: dict[str, int], n: int = 4) -> str:
    return ", ".join(f"{k} {v}" for k, v in list(processes.items())[:n])


def cpu(r: dict[str, Any], n: int) -> str:
    """CPU-seconds per article, in all and per process kind."""
    kinds = ", ".join(f"{k} {v / n:.3f}" for k, v in r["cpu_s"].items() if v >= 0.5)
    return f"CPU {r['cpu_total_s'] / n:.3f} s/article (kernel: {r['cpu_rusage_s'] / n:.3f}): {kinds}"


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


RAW = ("articles", "attributions", "unsourced", "mentions", "positions", "flags", "boilerplate", "status_events",
       "outcomes")


def _analyse_into(store: str, first: int, docs: list[dict[str, str]]) -> int:
    """One batch of ``prepare``: what an ``Analyser`` actor does with a batch, in a plain worker process."""
    from onrecord.store import batch, parquet_store
    from onrecord.store.sources import Item

    items = [(first + i, Item("bench", f"bench:{first + i + 1}", "row", d, None)) for i, d in enumerate(docs)]
    parquet_store.ParquetStore(store).write_batch(f"r0000-bench-{first:012d}",
                                                  batch.analyse_batch(batch.items_table(items, 0), status=True))
    return len(docs)


def prepare(store: Path, docs: list[dict[str, str]], cpus: int, seconds: float = float("inf"),
            batch_size: int = 32) -> None:
    """Analyse ``docs`` into the raw batches of the Parquet store ``store`` (``analyse_batch`` + ``write_batch``
    per batch, as the actors do, on ``cpus`` processes without Ray or publishing), skipping the batches already
    there: the analysed rows the corpus steps are measured on, made once and kept (analysis is the slow part;
    stopped, or after ``seconds``, it resumes at the batch)."""
    from concurrent.futures import ProcessPoolExecutor

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from onrecord.store import parquet_store

    target = parquet_store.ParquetStore(store)
    target.create()
    outcomes = target.analysed("outcomes")
    done = set()
    if outcomes.is_dir() and any(outcomes.glob("*.parquet")):
        t = pq.read_table(outcomes, columns=["article_id", "status"])
        done = set(t.filter(pc.equal(t["status"], "ok"))["article_id"].to_pylist())
    todo = [first for first in range(0, len(docs), batch_size)
            if not all(d["id"] in done for d in docs[first:first + batch_size])]
    print(f"analysed for the corpus steps: {len(docs) - len(todo) * batch_size}+ of {len(docs)}", flush=True)
    started, n = time.monotonic(), 0
    with ProcessPoolExecutor(cpus) as pool:
        running: list[Any] = []
        while todo or running:
            while todo and len(running) < 2 * cpus and time.monotonic() - started < seconds:
                first = todo.pop(0)
                running.append(pool.submit(_analyse_into, str(store), first, docs[first:first + batch_size]))
            if not running:
                break
            n += running.pop(0).result()
            print(f"analysed {n} more articles ({n / (time.monotonic() - started):.2f}/s)", flush=True)
    print(f"{len(todo) * batch_size} articles left to analyse" if todo else "analysed them all", flush=True)


def analysed_rows(store: Path, docs: list[dict[str, str]], bases: int) -> tuple[dict[str, Any], int]:
    """The analysed rows of ``docs`` in ``store``, each article's rows once (its first committed batch), every
    row given ``_run`` 0 and ``_pos`` its article's place in ``docs`` (as one ingest of them would number it),
    sorted by ``_pos``. An article not analysed gets a copy of the rows of an analysed variant of the same text
    (article ``i`` is a variant of text ``i % bases``) under its own id; returns how many did."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    place = {d["id"]: i for i, d in enumerate(docs)}
    outcomes = pq.read_table(store / "_analysed" / "outcomes")
    ok = outcomes.filter(pc.equal(outcomes["status"], "ok")).sort_by([("article_id", "ascending"),
                                                                     ("_batch", "ascending")])
    chosen: dict[str, str] = {}
    for article, key in zip(ok["article_id"].to_pylist(), ok["_batch"].to_pylist(), strict=True):
        if article in place:
            chosen.setdefault(article, key)
    donor: dict[int, int] = {}  # base text -> the first analysed article of it
    for article in sorted(chosen, key=place.__getitem__):
        donor.setdefault(place[article] % bases, place[article])
    copies: list[list[tuple[int, int]]] = []  # rounds of (donor, copy), each donor at most once a round
    taken: dict[int, int] = {}
    for i, d in enumerate(docs):
        if d["id"] not in chosen:
            if i % bases not in donor:
                raise SystemExit(f"{store} has no analysed variant of {d['id']}'s text: run with --analysed")
            r = taken[donor[i % bases]] = taken.get(donor[i % bases], -1) + 1
            if r == len(copies):
                copies.append([])
            copies[r].append((donor[i % bases], i))
    pairs = pa.array([f"{a}\x1f{k}" for a, k in chosen.items()])
    new_pos = pa.array([place[a] for a in chosen], pa.int64())
    ids = pa.array([d["id"] for d in docs])
    tables = {}
    for name in RAW:
        t = pq.read_table(store / "_analysed" / name)
        if name == "outcomes":
            t = t.filter(pc.equal(t["status"], "ok"))
        key = "id" if name == "articles" else "article_id"
        at = pc.index_in(pc.binary_join_element_wise(t[key], t["_batch"], "\x1f"), value_set=pairs)
        t = t.append_column("_new_pos", pc.take(new_pos, at)).filter(pc.is_valid(at))
        t = t.drop_columns(["_batch", "_run", "_pos"])
        parts = [t]
        for round_ in copies:
            sources = pa.array([a for a, _ in round_], pa.int64())
            at = pc.index_in(t["_new_pos"], value_set=sources)
            c = t.filter(pc.is_valid(at))
            target = pc.take(pa.array([b for _, b in round_], pa.int64()), pc.drop_null(at))
            c = c.set_column(c.column_names.index(key), key, pc.take(ids, target))
            parts.append(c.set_column(c.column_names.index("_new_pos"), "_new_pos", target))
        t = pa.concat_tables(parts).sort_by("_new_pos")
        t = t.append_column("_run", pa.array(np.zeros(t.num_rows, dtype=np.int32)))
        tables[name] = t.append_column("_pos", t["_new_pos"]).drop_columns(["_new_pos"])
    return tables, sum(len(r) for r in copies)


def corpus_steps(rows: dict[str, Any], docs: list[dict[str, str]], steps: list[int], work: Path, cpus: int,
                 out: list[dict[str, Any]], save: Callable[[], None], batch_size: int = 32,
                 corroborate: bool = True) -> None:
    """For each size n: a fresh store holding the analysed rows of the first n articles (in batches of
    ``batch_size``, as a run makes them), then ``ingest --engine ray --corroborate`` over a feed of exactly those
    articles: the actors read each item and skip it (already analysed), the driver streams every item, then
    publishes — numbering, actor merging as a Ray groupby, corroboration on the engine, every table written."""
    from onrecord.store import parquet_store

    for n in steps:
        if time.time() >= DEADLINE:
            print(f"{n} articles: not run (past the deadline)", flush=True)
            continue
        target = parquet_store.ParquetStore(work / f"steps-{n}")
        shutil.rmtree(target.path, ignore_errors=True)
        target.create()
        cut = {name: t.slice(0, int(np.searchsorted(t["_pos"].to_numpy(), n))) for name, t in rows.items()}
        for first in range(0, n, batch_size):
            part = {}
            for name, t in cut.items():
                pos = t["_pos"].to_numpy()
                lo, hi = np.searchsorted(pos, first), np.searchsorted(pos, first + batch_size)
                part[name] = t.slice(int(lo), int(hi - lo)).cast(_raw_schema(name))
            target.write_batch(f"r0000-bench-{first:012d}", part)
        feed = work / f"steps-{n}.jsonl"
        feed.write_text("".join(json.dumps(d) + "\n" for d in docs[:n]), encoding="utf-8")
        raw_bytes = size(target.path)
        r = run(["ingest", str(feed), "--engine", "ray", "--cpus", str(cpus), "--store", str(target.path),
                 "--corroborate" if corroborate else "--no-corroborate", "--quiet"], target.path)
        r["articles"] = n
        version = target.version()
        r["bytes_per_article"] = (size(target.path) - raw_bytes) / n  # the published tables, corroboration's too
        r["raw_bytes_per_article"] = raw_bytes / n
        r["stored"] = size(version) / n if version else 0
        out.append(r)
        save()
        print(f"{n} articles{' (STOPPED at the deadline)' if r['stopped_at_deadline'] else ''}: "
              f"publish {r.get('publish_s', 0):.1f} s (corroboration {r.get('corroborate_s', 0):.1f} s)"
              f", run {r['seconds']:.1f} s, driver peak {r['driver_analysis_mb']:.0f} MB streaming / "
              f"{r['driver_publish_mb']:.0f} MB publishing, {top(r['processes_mb'])}; private (RssAnon): "
              f"{top(r['processes_anon_mb'])}; driver held "
              f"{r.get('driver_links', 0):.0f} link rows; published {r['bytes_per_article'] / 1024:.1f} kB/article; "
              f"CPU {r['cpu_total_s']:.0f} s, Ray worker processes started (count, CPU-s): {r['worker_starts']}; "
              f"Preparer actors {r['preparer_mb']:.0f} MB ({r['preparer_anon_mb']:.0f} MB private); "
              f"the largest worker (private MB after what it ran): {r['largest_process']}", flush=True)
        shutil.rmtree(target.path, ignore_errors=True)


def _raw_schema(name: str) -> Any:
    from onrecord.store import batch

    return batch.OUTCOMES if name == "outcomes" else batch.raw_schema(
        {t.name: t for t in batch.row_tables(status=True)}[name])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path)
    ap.add_argument("--n", type=int, default=2000, help="articles for the throughput runs (2000)")
    ap.add_argument("--cpus", type=int, nargs="*", default=[1, 2], help="CPU counts of the throughput runs")
    ap.add_argument("--steps", type=int, nargs="*", default=[1000, 2000, 4000, 8000],
                    help="corpus sizes for the corpus steps")
    ap.add_argument("--analysed", type=Path, default=None,
                    help="a Parquet store of the articles analysed for the corpus steps: made (or completed) "
                         "here when it lacks some, kept for later runs (default: a temporary one)")
    ap.add_argument("--prepare-only", action="store_true", help="make --analysed, measure nothing else")
    ap.add_argument("--prepare-for", type=float, default=float("inf"), metavar="SECONDS",
                    help="stop making --analysed after this long (a later run goes on from there)")
    ap.add_argument("--no-corroborate", action="store_true",
                    help="corpus steps without corroboration (the streaming driver's memory, publishing)")
    ap.add_argument("--output", type=Path, default=None, help="write the figures as JSON here")
    ap.add_argument("--pin", action="store_true",
                    help="run each throughput configuration of C CPUs on C cores (sched_setaffinity)")
    ap.add_argument("--side-by-side", action="store_true",
                    help="run ingest --jobs C and --engine ray --cpus C at once, on C cores each, when the "
                         "machine has 2C (implies --pin for them)")
    ap.add_argument("--deadline", default=None, metavar="HH:MM",
                    help="UTC time by which every run has ended: a run still going is stopped (its processes "
                         "killed by PID) and recorded as stopped, later ones are not started")
    opts = ap.parse_args()
    if opts.deadline:
        global DEADLINE
        hours, minutes = map(int, opts.deadline.split(":"))
        DEADLINE = datetime.now(UTC).replace(hour=hours, minute=minutes, second=0).timestamp()
    work = Path(tempfile.mkdtemp(prefix="onrecord-distributed-"))
    try:
        most = max([opts.n, *opts.steps])
        docs = articles(opts.data, most)
        mean_kb = sum(len(d["text"].encode()) for d in docs) / len(docs) / 1024
        print(f"{len(docs)} distinct articles, mean {mean_kb:.1f} kB", flush=True)
        figures: dict[str, Any] = {"n": opts.n, "mean_kb": mean_kb, "runs": {}, "steps": []}

        def save() -> None:  # after every measurement: a run stopped half-way keeps what it measured
            if opts.output:
                opts.output.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")

        if opts.steps:
            analysed = opts.analysed or work / "analysed"
            prepare(analysed, docs[:max(opts.steps)], max(opts.cpus or [2]), opts.prepare_for)
        if not opts.prepare_only:
            throughput(opts, docs[:opts.n], work, figures, save)
            if opts.steps:
                rows, copied = analysed_rows(analysed, docs[:max(opts.steps)], len(base_texts(opts.data)))
                figures["copied"] = copied
                print(f"corpus steps: {copied} of the {max(opts.steps)} articles not analysed, given the rows of "
                      "an analysed variant of their text", flush=True)
                corpus_steps(rows, docs, opts.steps, work, max(opts.cpus or [2]), figures["steps"], save,
                             corroborate=not opts.no_corroborate)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def throughput(opts: argparse.Namespace, docs: list[dict[str, str]], work: Path, figures: dict[str, Any],
               save: Callable[[], None]) -> None:
    """``ingest --jobs C`` against ``--engine ray --cpus C`` on the same feed, for each C of ``--cpus`` in that
    order. ``--pin``: each command and everything it starts runs on C cores of its own (otherwise a 1-CPU
    configuration has the machine's other cores for its other processes: Ray's driver and daemons, DuckDB's
    threads); ``--side-by-side``: when the machine has 2C cores, the two commands run at the same time, each on
    C cores of its own (same conditions, half the time; the kernel's CPU figure then counts both)."""
    feed = work / "feed.jsonl"
    feed.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    n = len(docs)
    results = figures["runs"]
    machine = sorted(os.sched_getaffinity(0))

    def duck(cpus: int, cores: list[int] | None) -> None:
        path = work / f"duck-{cpus}.duckdb"
        r = run(["ingest", str(feed), "--store", str(path), "--jobs", str(cpus), "--quiet"], None,
                work / f"duck-{cpus}.trace.jsonl", cores)
        r["bytes_per_article"] = size(path) / n if path.exists() else 0
        results[f"duckdb-{cpus}"] = r
        save()
        print(f"ingest --jobs {cpus}{' (stopped at the deadline)' if r['stopped_at_deadline'] else ''}: "
              f"{n / r['seconds']:.2f} articles/s, peak {r['driver_mb']:.0f} MB (workers: {top(r['processes_mb'], 2)})"
              f"; cores {cores or 'all'}; {cpu(r, n)}", flush=True)
        path.unlink(missing_ok=True)

    def ray(cpus: int, cores: list[int] | None) -> None:
        store = work / f"ray-{cpus}"
        trace = work / f"ray-{cpus}.trace.jsonl"
        r = run(["ingest", str(feed), "--engine", "ray", "--cpus", str(cpus), "--store", str(store), "--quiet"],
                store, trace, cores)
        r["bytes_per_article"] = size(store) / n if store.exists() else 0
        r["trace"] = [json.loads(line) for line in trace.read_text().splitlines()] if trace.exists() else []
        results[f"ray-{cpus}"] = r
        save()
        print(f"--engine ray --cpus {cpus}{' (stopped at the deadline)' if r['stopped_at_deadline'] else ''}: "
              f"{n / r['seconds']:.2f} articles/s, driver {r['driver_analysis_mb']:.0f} MB analysing / "
              f"{r['driver_publish_mb']:.0f} MB publishing, {r['actors']} Analyser actors peak {r['actor_mb']:.0f} MB "
              f"({r['actor_anon_mb']:.0f} MB private);"
              f" {top(r['processes_mb'], 6)}; cores {cores or 'all'}; {cpu(r, n)}; Ray worker processes started "
              f"(count, CPU-s): {r['worker_starts']}", flush=True)
        shutil.rmtree(store, ignore_errors=True)

    for cpus in opts.cpus:
        if time.time() >= DEADLINE:
            print(f"{cpus} CPUs: not run (past the deadline)", flush=True)
            continue
        if opts.side_by_side and 2 * cpus <= len(machine):
            side = threading.Thread(target=duck, args=(cpus, machine[:cpus]))
            side.start()
            ray(cpus, machine[cpus:2 * cpus])
            side.join()
            results[f"ray-{cpus}"]["side_by_side"] = results[f"duckdb-{cpus}"]["side_by_side"] = True
        else:
            duck(cpus, machine[:cpus] if opts.pin else None)
            ray(cpus, machine[:cpus] if opts.pin else None)
        save()
    rate = {k: n / r["seconds"] for k, r in results.items() if not r["stopped_at_deadline"]}
    for c in opts.cpus:
        if f"ray-{c}" in rate and f"duckdb-{c}" in rate:
            print(f"{c} CPU: Ray / ingest = {rate[f'ray-{c}'] / rate[f'duckdb-{c}']:.2f}x", flush=True)
    lo, hi = min(opts.cpus, default=0), max(opts.cpus, default=0)
    if lo != hi and all(f"{e}-{c}" in rate for e in ("ray", "duckdb") for c in (lo, hi)):
        print(f"{lo} -> {hi} CPUs: Ray {rate[f'ray-{hi}'] / rate[f'ray-{lo}']:.2f}x, ingest "
              f"{rate[f'duckdb-{hi}'] / rate[f'duckdb-{lo}']:.2f}x", flush=True)

if __name__ == "__main__":
    main()
