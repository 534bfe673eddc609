"""Cost of positions per article, in one run: analysis alone; with the stance reader on its encoder (the distilled
word-piece table, run time); with the reader on the transformer the table was distilled from (the int8 ONNX
MiniLM the reader ran on before; its cost only — the shipped weights are fitted for the table); with the
nearest-example matcher.

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
    from onrecord.analysis import analyze
    from onrecord.positions.encoder import load_encoder, load_transformer
    from onrecord.positions.issues import load_issues
    from onrecord.positions.match import add_positions

    items = []
    for f in sorted(GOLD.glob("*.json")):
        data = json.loads(f.read_text())
        if "document" in data:
            items.append(((GOLD / data["document"]).read_text(), load_issues(GOLD / data["issues"])))
    encoders = {"table": load_encoder(), "onnx": load_transformer()}
    configurations = {"none": None, "reader": ("reader", "table"), "reader-onnx": ("reader", "onnx"),
                      "embeddings": ("embeddings", "table")}
    for text, issues in items[:2]:  # warm up: parser, encoders, exemplar embeddings
        for config in configurations.values():
            if config:
                add_positions(analyze(text), issues, encoders[config[1]], config[0])

    def one_pass(config: tuple[str, str] | None) -> float:
        start = time.process_time()
        for text, issues in items:
            record = analyze(text)
            if config:
                add_positions(record, issues, encoders[config[1]], config[0])
        return time.process_time() - start

    times: dict[str, list[float]] = {name: [] for name in configurations}
    for _ in range(args.rounds):
        for name, config in configurations.items():
            times[name].append(one_pass(config))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{len(items)} articles, {args.rounds} rounds, CPU s per pass (median): "
          + ", ".join(f"{k} {v:.2f}" for k, v in med.items()))
    print(f"analysis with the reader / without issues: {med['reader'] / med['none']:.3f} "
          f"(on the transformer {med['reader-onnx'] / med['none']:.3f}; nearest-example matcher "
          f"{med['embeddings'] / med['none']:.3f})")


if __name__ == "__main__":
    main()
