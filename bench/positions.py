"""Cost of positions per article, in one run: analysis alone, with the nearest-example matcher, with the reader.

    python bench/positions.py [--rounds 3]

Reads the positions gold articles (tests/positions_gold) with their codebooks; every configuration runs on the
same articles in the same process, rounds alternating, models loaded before timing. Prints CPU seconds per pass
and the ratios (the machine is shared: ratios from one run, not absolute times).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = pathlib.Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "positions_gold"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from onrecord.analysis import analyze
    from onrecord.positions.issues import load_issues
    from onrecord.positions.match import add_positions, load_encoder

    items = []
    for f in sorted(GOLD.glob("*.json")):
        data = json.loads(f.read_text())
        if "document" in data:
            items.append(((GOLD / data["document"]).read_text(), load_issues(GOLD / data["issues"])))
    encoder = load_encoder()
    for text, issues in items[:2]:  # warm up: parser, encoder, exemplar embeddings
        for reader in ("embeddings", "reader"):
            add_positions(analyze(text), issues, encoder, reader)

    def one_pass(reader: str | None) -> float:
        start = time.process_time()
        for text, issues in items:
            record = analyze(text)
            if reader:
                add_positions(record, issues, encoder, reader)
        return time.process_time() - start

    times: dict[str, list[float]] = {"none": [], "embeddings": [], "reader": []}
    for _ in range(args.rounds):
        for name in times:
            times[name].append(one_pass(None if name == "none" else name))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{len(items)} articles, {args.rounds} rounds, CPU s per pass (median): "
          + ", ".join(f"{k} {v:.2f}" for k, v in med.items()))
    print(f"with issues, reader / embeddings: {med['reader'] / med['embeddings']:.3f}; "
          f"positions' own cost, reader / embeddings: "
          f"{(med['reader'] - med['none']) / max(1e-9, med['embeddings'] - med['none']):.3f}; "
          f"analysis with the reader / without issues: {med['reader'] / med['none']:.3f}")


if __name__ == "__main__":
    main()
