"""How many comparisons statement clustering makes as a corpus of copies grows: the earlier design (every
statement in the LSH index, its exact-wording and band buckets) against the current one (a copy meets its
wording's representatives; LSH among representatives only). Counts, no verdicts and no Ray: deterministic.

    .venv/bin/python bench/candidate_pairs.py ../shared/data/polnear --analysed /tmp/analysed \
        --sizes 1000 2000 4000 8000

Articles and their analysed rows as ``bench/distributed.py`` makes them (variants of the PolNeAR texts, the
``--analysed`` store of its corpus steps; an article not analysed takes an analysed variant's rows). Statements
in ``corroborate``'s order. A copy is counted as compared with min(representatives of its wording, 4): an upper
bound (it stops at the first it agrees with; on these variants, the first).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import distributed
from onrecord.store import corroborate as co
from onrecord.store import corroborate_batch as cb


def statements(rows: dict[str, pa.Table]) -> tuple[np.ndarray, list[str | None]]:
    """Each statement's article place (``_pos``) and text, in ``corroborate``'s order."""
    at, un = rows["attributions"], rows["unsourced"]
    table = pa.concat_tables([
        pa.table({"pos": at["_pos"], "start": at["content_start"].cast(pa.int64()),
                  "kind": pa.array(["attribution"] * len(at)), "id": at["id"], "text": at["content"]}),
        pa.table({"pos": un["_pos"], "start": un["start_char"].cast(pa.int64()),
                  "kind": pa.array(["unsourced"] * len(un)), "id": un["id"], "text": un["text"]}),
    ]).sort_by([("pos", "ascending"), ("start", "ascending"), ("kind", "ascending"), ("id", "ascending")])
    return table["pos"].to_numpy(), table["text"].to_pylist()


def count(prepared: list[tuple[int | None, list[int]]]) -> dict[str, int]:
    """Candidate pairs of both designs over ``(line bucket, band buckets)`` of statements in order."""
    member = np.arange(1, len(prepared) + 1)
    every = [([] if line is None else [line]) + bands for line, bands in prepared]
    old = cb.bucket_pairs(cb.explode(pa.table({"member": member, "buckets": every}), "member"), "member").num_rows
    seen: dict[int, int] = {}
    copies, compared, rep_bands = 0, 0, []
    rep = np.zeros(len(prepared), bool)
    for i, (line, bands) in enumerate(prepared):
        if line is not None and line in seen:
            copies += 1
            compared += min(seen[line], co.REPRESENTATIVES)
            continue
        rep[i] = True
        if line is not None:
            seen[line] = seen.get(line, 0) + 1
        rep_bands.append(bands)
    lsh = cb.bucket_pairs(cb.explode(pa.table({"member": member[rep], "buckets": rep_bands}), "member"),
                          "member").num_rows
    return {"statements": len(prepared), "old_pairs": old, "representatives": int(rep.sum()), "copies": copies,
            "copy_comparisons": compared, "lsh_pairs": lsh}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path)
    ap.add_argument("--analysed", type=Path, required=True)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000, 8000])
    opts = ap.parse_args()
    docs = distributed.articles(opts.data, max(opts.sizes))
    rows, copied = distributed.analysed_rows(opts.analysed, docs, len(distributed.base_texts(opts.data)))
    pos, texts = statements(rows)
    started = time.monotonic()
    prepared = []
    for text in texts:
        t = co.Text.of(text or "")
        prepared.append((co.line_bucket(t.tokens), co.fuzzy_buckets(t)))
    print(f"{len(texts)} statements ({copied} articles given a variant's rows), words and buckets in "
          f"{time.monotonic() - started:.0f} s", flush=True)
    print("| articles | statements | before: LSH pairs (per statement) | representatives | copies | now: copy "
          "comparisons + LSH pairs (per statement) |")
    print("|---|---|---|---|---|---|")
    for n in opts.sizes:
        c = count(prepared[: int(np.searchsorted(pos, n))])
        now = c["copy_comparisons"] + c["lsh_pairs"]
        print(f"| {n:,} | {c['statements']:,} | {c['old_pairs']:,} ({c['old_pairs'] / c['statements']:.2f}) | "
              f"{c['representatives']:,} | {c['copies']:,} | {c['copy_comparisons']:,} + {c['lsh_pairs']:,} "
              f"({now / c['statements']:.2f}) |", flush=True)


if __name__ == "__main__":
    main()
