"""The corroboration step on the Ray engine with and without the paraphrase stage, on real articles.

    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python bench/ray_paraphrase.py ../shared/data/polnear --n 300 --cpus 2

The first --n PolNeAR texts (train, then dev; sorted by name) with their outlet and date from ``metadata.tsv``
are ingested once with ``--engine ray --corroborate`` into a Parquet store set to corroborate in other words (the
statement vectors computed in the analysis actors); then ``onrecord corroborate --no-paraphrase`` and
``onrecord corroborate --paraphrase`` publish the store again on a local Ray of --cpus CPUs, each timed (wall,
and CPU-seconds of every process of the command, sampled as ``bench/distributed.py`` does). The texts stay in a
temporary folder; only the figures are printed (and written with ``--output``).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import distributed  # the sampled runs of bench/distributed.py

sys.path.insert(0, str(distributed.REPO))  # this tree's onrecord, as the commands it runs use (their PYTHONPATH)


def feed(data: Path, n: int, out: Path) -> int:
    """The first ``n`` PolNeAR articles as JSON Lines (id, outlet, published, text)."""
    meta = {r["filename"]: r for r in csv.DictReader((data / "metadata.tsv").open(encoding="utf-8"),
                                                     delimiter="\t")}
    files = [p for split in ("train", "dev") for p in sorted((data / split / "text").glob("*.txt"))][:n]
    with out.open("w", encoding="utf-8") as fh:
        for p in files:
            m = meta.get(p.stem, {})
            row = {"id": p.stem, "text": p.read_text(encoding="utf-8", errors="replace"), "outlet": m.get("publisher"),
                   "published": m.get("publication_date")}
            fh.write(json.dumps({k: v for k, v in row.items() if v}) + "\n")
    return len(files)


def steps(store: Path) -> dict[str, float]:
    """The pairs the verdict read and the paraphrase step's seconds, from the last run's summary lines
    (``distributed.run`` keeps the last command's stderr; the store keeps neither)."""
    err = distributed.LAST_ERR.get("text", "")
    out = {}
    for key, pattern in (("pairs_judged", r"(\d+) pairs judged"), ("paraphrase_s", r"paraphrase ([\d.]+) s")):
        found = re.search(pattern, err)
        if found:
            out[key] = float(found.group(1))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--output", type=Path)
    opts = ap.parse_args()
    from onrecord.store import parquet_store

    with tempfile.TemporaryDirectory(prefix="ray-paraphrase-") as tmp:
        source, store = Path(tmp) / "feed.jsonl", Path(tmp) / "store"
        n = feed(opts.data, opts.n, source)
        target = parquet_store.ParquetStore(store)
        target.create()
        target.set_paraphrase(True)
        cpus = ["--cpus", str(opts.cpus)]
        figures = {"articles": n, "cpus": opts.cpus,
                   "ingest": distributed.run(["ingest", str(source), "--engine", "ray", "--store", str(store),
                                              "--corroborate", "--quiet", *cpus], store)}
        for name in ("--no-paraphrase", "--paraphrase"):
            figures[name.strip("-")] = distributed.run(["corroborate", name, "--store", str(store), "--quiet",
                                                        *cpus], store)
            figures[name.strip("-")].update(steps(store))
    keys = ("seconds", "cpu_total_s", "corroborate_s", "statements", "clusters", "pairs_judged", "paraphrase_s")
    for name in ("ingest", "no-paraphrase", "paraphrase"):
        print(name, {k: figures[name].get(k) for k in keys})
    if opts.output:
        opts.output.write_text(json.dumps(figures, indent=1, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
