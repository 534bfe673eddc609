"""CPU-seconds per article of an ``Analyser``'s Parquet writes, apart from the analysis: the committed batches of a
store analysed beforehand (``bench/distributed.py --analysed DIR``) written again, table by table, by
``ParquetStore.write_batch`` (zstd, the store's codec) or with another codec for comparison.

    OMP_NUM_THREADS=1 .venv/bin/python bench/write_cost.py /tmp/analysed --batches 40 --codecs store snappy none

Prints one line per codec and round: CPU milliseconds and bytes per article.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("store", type=Path)
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--codecs", nargs="+", default=["store", "snappy", "none"])
    ap.add_argument("--rounds", type=int, default=2)
    opts = ap.parse_args()
    from onrecord.store import parquet_store

    source = opts.store / parquet_store.ANALYSED
    keys = sorted(p.stem for p in (source / parquet_store.OUTCOMES).glob("*.parquet"))[:opts.batches]
    batches: list[tuple[str, dict[str, pa.Table]]] = []
    for key in keys:
        tables = {t.name: pq.read_table(t / f"{key}.parquet").drop_columns(["_batch"])
                  for t in source.iterdir() if (t / f"{key}.parquet").exists()}
        batches.append((key, tables))
    n = sum(t[parquet_store.OUTCOMES].num_rows for _, t in batches)
    print(f"{len(batches)} batches, {n} articles", flush=True)
    for codec in opts.codecs:
        for r in range(opts.rounds):
            out = Path(tempfile.mkdtemp(prefix="write-cost-"))
            try:
                store = parquet_store.ParquetStore(out)
                store.create()
                cpu = time.process_time()
                for key, tables in batches:
                    if codec == "store":
                        store.write_batch(key, tables)
                        continue
                    for name, table in tables.items():
                        path = store.analysed(name) / f"{key}.parquet"
                        path.parent.mkdir(parents=True, exist_ok=True)
                        pq.write_table(table, path, compression=codec)
                cpu = time.process_time() - cpu
                size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
                print(f"{codec} round {r}: {cpu / n * 1000:.2f} ms CPU per article, "
                      f"{size / n / 1024:.1f} kB per article", flush=True)
            finally:
                shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
