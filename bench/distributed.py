"""``ingest --engine ray`` against ``onrecord ingest`` on the same real-length articles, in one run.

    .venv/bin/python bench/distributed.py ../shared/data/polnear --n 2000 --cpus 1 2 --steps 1000 2000 4000 8000

Articles: the ``*.txt`` files under DATA (PolNeAR's texts are real news), made distinct for volume by
variants (paragraphs rotated, a variant line added) so every article has its own id. The texts stay outside
the repository; only the figures are printed (and written with ``--output``).

1. Throughput: ``onrecord ingest --jobs C`` (DuckDB) and ``onrecord ingest --engine ray --cpus C`` (a local
   Ray with C CPUs, one actor per CPU), each in its own subprocess, wall time including start-up. Peak RSS of
   the ingest process (the driver, for Ray) and of each analysis actor, sampled every 0.5 s.
2. Corpus steps and driver memory: the analysed batches of the Ray run are copied (new article ids ``<id>-<c>``,
   same rows) to 1k, 2k, 4k, 8k… articles in a fresh store, and ``onrecord ingest --engine ray --corroborate`` runs
   over a feed of exactly those articles (each already analysed, so the actors only read and skip them): the
   driver streams every item, then publishes — numbering, actor merging as a Ray groupby, corroboration on the
   engine, every table written. Timed: publishing and corroboration (from the summary line); sampled: the
   driver's peak RSS and every Ray worker's. Copies repeat each text, so from 4k on every statement has 1+ exact
   copies and every article a text copy: more links than a real corpus, not fewer.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "RAY_USAGE_STATS_ENABLED": "0"}


def articles(data: Path, n: int) -> list[dict[str, str]]:
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(data.rglob("*.txt"))]
    texts = [t for t in texts if len(t.strip()) > 500]
    if not texts:
        raise SystemExit(f"no .txt articles under {data}")
    out = []
    for i in range(n):
        base, variant = texts[i % len(texts)], i // len(texts)
        paragraphs = [p for p in base.split("\n\n") if p.strip()]
        k = variant % max(1, len(paragraphs))
        text = "\n\n".join(paragraphs[k:] + paragraphs[:k]) + f"\n\nVariant {variant}.\n"
        out.append({"id": f"bench-{i:06d}", "text": text, "url": f"https://bench.example/{i}", "title": f"Article {i}"})
    return out


class Sampler(threading.Thread):
    """Peak RSS of one process, and of every process whose command line contains ``marker`` (per PID)."""

    def __init__(self, pid: int, marker: str | None = None) -> None:
        super().__init__(daemon=True)
        self.pid, self.marker = pid, marker
        self.peak, self.actors = 0, {}
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        while not self.stop.is_set():
            with contextlib.suppress(psutil.NoSuchProcess):
                self.peak = max(self.peak, psutil.Process(self.pid).memory_info().rss)
            if self.marker:
                for p in psutil.process_iter(["pid", "cmdline", "memory_info"]):
                    if self.marker in " ".join(p.info["cmdline"] or []) and p.info["memory_info"]:
                        self.actors[p.pid] = max(self.actors.get(p.pid, 0), p.info["memory_info"].rss)
            time.sleep(0.5)


def run(args: list[str], marker: str | None = None) -> dict[str, float]:
    started = time.monotonic()
    proc = subprocess.Popen([str(BIN / "onrecord"), *args], env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    sampler = Sampler(proc.pid, marker)
    sampler.start()
    _, err = proc.communicate()
    seconds = time.monotonic() - started
    sampler.stop.set()
    sampler.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"onrecord {' '.join(args)} failed:\n{err[-3000:]}")
    out = {"seconds": seconds, "driver_mb": sampler.peak / 2**20,
           "actor_mb": max(sampler.actors.values(), default=0) / 2**20, "actors": len(sampler.actors)}
    for key, pattern in (("publish_s", r"\(([\d.]+) s publishing\)"), ("corroborate_s", r"flags: .*\(([\d.]+) s\)"),
                         ("driver_links", r"([\d]+) driver rows")):
        found = re.search(pattern, err)
        if found:
            out[key] = float(found.group(1))
    return out


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def corpus_steps(store: Path, docs: list[dict[str, str]], steps: list[int], work: Path, cpus: int
                 ) -> list[dict[str, float]]:
    """For each size: a fresh store holding that many copies of the analysed articles, then the CLI run over them."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from onrecord.store import parquet_store

    raw = {t: pq.read_table(store / "_analysed" / t) for t in
           ("articles", "attributions", "unsourced", "mentions", "positions", "flags", "boilerplate", "outcomes")}
    raw["outcomes"] = raw["outcomes"].filter(pc.equal(raw["outcomes"]["status"], "ok"))
    analysed = sorted(set(raw["articles"]["id"].to_pylist()))
    out = []
    for n in steps:
        target = parquet_store.ParquetStore(work / f"steps-{n}")
        shutil.rmtree(target.path, ignore_errors=True)
        target.create()
        lines = []
        for c in range(-(-n // len(analysed))):
            ids = analysed[: n - c * len(analysed)]
            keep = pa.array(ids)
            tables = {}
            for name, table in raw.items():
                key = "id" if name == "articles" else "article_id"
                t = table.drop_columns(["_batch"]).filter(pc.is_in(table[key], keep))
                t = t.set_column(t.column_names.index(key), key, pc.binary_join_element_wise(
                    t[key], pa.scalar(f"-{c}"), ""))
                tables[name] = t.set_column(t.column_names.index("_pos"), "_pos", pc.add(t["_pos"], c * 10**6))
            target.write_batch(f"copy{c:05d}", tables)
            lines += [json.dumps({**d, "id": f"{d['id']}-{c}"}) + "\n" for d in docs if d["id"] in set(ids)]
        feed = work / f"steps-{n}.jsonl"
        feed.write_text("".join(lines), encoding="utf-8")
        r = run(["ingest", str(feed), "--engine", "ray", "--cpus", str(cpus), "--store", str(target.path),
                 "--corroborate", "--quiet"], marker="ray::")
        r["articles"] = n
        r["bytes_per_article"] = size(target.path) / n  # raw batches + published tables + corroboration tables
        out.append(r)
        print(f"{n} articles: publish {r.get('publish_s', 0):.1f} s (corroboration {r.get('corroborate_s', 0):.1f} s)"
              f", run {r['seconds']:.1f} s, driver peak {r['driver_mb']:.0f} MB, Ray workers peak "
              f"{r['actor_mb']:.0f} MB, driver held {r.get('driver_links', 0):.0f} link rows", flush=True)
        shutil.rmtree(target.path, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--cpus", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--steps", type=int, nargs="*", default=[1000, 2000, 4000, 8000])
    ap.add_argument("--output", type=Path, default=None, help="write the figures as JSON here")
    opts = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="onrecord-distributed-"))
    try:
        feed = work / "feed.jsonl"
        docs = articles(opts.data, opts.n)
        feed.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
        mean_kb = sum(len(d["text"].encode()) for d in docs) / len(docs) / 1024
        print(f"{opts.n} articles, mean {mean_kb:.1f} kB", flush=True)
        results: dict[str, dict[str, float]] = {}
        last_ray = None
        for cpus in opts.cpus:
            duck = work / f"duck-{cpus}.duckdb"
            r = run(["ingest", str(feed), "--store", str(duck), "--jobs", str(cpus), "--quiet"])
            r["bytes_per_article"] = size(duck) / opts.n
            results[f"duckdb-{cpus}"] = r
            print(f"ingest --jobs {cpus}: {opts.n / r['seconds']:.2f} articles/s, peak {r['driver_mb']:.0f} MB",
                  flush=True)
            last_ray = work / f"ray-{cpus}"
            r = run(["ingest", str(feed), "--engine", "ray", "--cpus", str(cpus), "--store", str(last_ray),
                     "--quiet"], marker="ray::")
            r["bytes_per_article"] = size(last_ray) / opts.n
            results[f"ray-{cpus}"] = r
            print(f"--engine ray --cpus {cpus}: {opts.n / r['seconds']:.2f} articles/s, "
                  f"driver {r['driver_mb']:.0f} MB, actors {r['actors']} peak {r['actor_mb']:.0f} MB", flush=True)
        steps = corpus_steps(last_ray, docs, opts.steps, work, max(opts.cpus)) if opts.steps and last_ray else []
        rate = {k: opts.n / r["seconds"] for k, r in results.items()}
        for c in opts.cpus:
            print(f"{c} CPU: Ray / ingest = {rate[f'ray-{c}'] / rate[f'duckdb-{c}']:.2f}x", flush=True)
        if len(opts.cpus) > 1:
            lo, hi = min(opts.cpus), max(opts.cpus)
            print(f"{lo} -> {hi} CPUs: Ray {rate[f'ray-{hi}'] / rate[f'ray-{lo}']:.2f}x, ingest "
                  f"{rate[f'duckdb-{hi}'] / rate[f'duckdb-{lo}']:.2f}x", flush=True)
        if opts.output:
            opts.output.write_text(json.dumps({"n": opts.n, "mean_kb": mean_kb, "runs": results,
                                               "publish": steps}, indent=1) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
