"""CPU-seconds per article of an ``Analyser``'s work in one process, for a batch size and a ``malloc_trim`` policy.

    OMP_NUM_THREADS=1 .venv/bin/python bench/analyser_trim.py ../shared/data/polnear --n 128 --batch 32 --trim every

The first N articles of ``bench/distributed.py``'s variants, in batches of B: ``analyse_batch`` then
``write_batch`` into a scratch Parquet store, then ``malloc_trim(0)`` per the policy — ``every`` batch, ``never``,
every K-th batch (a number), or ``above:MB`` (when the process's private memory passes MB). Prints one JSON line:
CPU-seconds per article (process time after loading the pipeline and one warm-up batch), the peak and final RSS,
the trims made. Run each configuration in its own process, several rounds in alternating order: the differences
are a few percent, about the noise of one run on a shared machine.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from distributed import articles, private_memory


def rss_mb() -> int:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") >> 20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path)
    ap.add_argument("--n", type=int, default=128)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--trim", default="every", help="every | never | K (every K-th batch) | above:MB")
    opts = ap.parse_args()
    from onrecord.parse import load_pipeline
    from onrecord.store import batch, parquet_store
    from onrecord.store.sources import Item

    docs = articles(opts.data, opts.n + 4)  # the last 4: the warm-up batch, not measured
    load_pipeline()
    scratch = Path(tempfile.mkdtemp(prefix="analyser-trim-"))
    try:
        store = parquet_store.ParquetStore(scratch)
        store.create()
        trim = ctypes.CDLL(None).malloc_trim
        warm = [(10**6 + i, Item("warm", f"w{i}", "row", d, None)) for i, d in enumerate(docs[opts.n:])]
        batch.analyse_batch(batch.items_table(warm, 0))
        trim(0)
        started, cpu = time.monotonic(), time.process_time()
        peak, trims = 0, 0
        for i, first in enumerate(range(0, opts.n, opts.batch)):
            items = [(first + j, Item("bench", f"b{first + j}", "row", d, None))
                     for j, d in enumerate(docs[first:min(first + opts.batch, opts.n)])]
            tables = batch.analyse_batch(batch.items_table(items, 0))
            store.write_batch(f"r0000-trim-{first:012d}", tables)
            del tables
            peak = max(peak, rss_mb())
            policy = opts.trim
            if policy == "every" or (policy.isdigit() and (i + 1) % int(policy) == 0) or (
                    policy.startswith("above:") and (private_memory() or 0) > int(policy[6:]) << 20):
                trim(0)
                trims += 1
        cpu = time.process_time() - cpu
        print(json.dumps({"n": opts.n, "batch": opts.batch, "trim": opts.trim,
                          "cpu_per_article": round(cpu / opts.n, 4),
                          "seconds": round(time.monotonic() - started, 1), "peak_rss_mb": peak,
                          "end_rss_mb": rss_mb(), "trims": trims}), flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
