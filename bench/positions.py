"""Cost of positions per article, in one run: analysis alone; with the stance reader on its ONNX encoder (run
time); with the reader on the same model through sentence-transformers and torch (the encoder positions used
before); with the nearest-example matcher.

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
    from sentence_transformers import SentenceTransformer

    from onrecord.analysis import analyze
    from onrecord.attribute.roles import encoder_path
    from onrecord.positions.encoder import load_encoder
    from onrecord.positions.issues import load_issues
    from onrecord.positions.match import add_positions

    torch.set_num_threads(1)

    class TorchEncoder:  # the encoder positions ran on before the ONNX one
        model = SentenceTransformer(str(encoder_path()), device="cpu", local_files_only=True)

        def encode(self, texts: list[str]):
            return self.model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                                     show_progress_bar=False)

    items = []
    for f in sorted(GOLD.glob("*.json")):
        data = json.loads(f.read_text())
        if "document" in data:
            items.append(((GOLD / data["document"]).read_text(), load_issues(GOLD / data["issues"])))
    encoders = {"onnx": load_encoder(), "torch": TorchEncoder()}
    configurations = {"none": None, "reader": ("reader", "onnx"), "reader-torch": ("reader", "torch"),
                      "embeddings": ("embeddings", "onnx")}
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
    print(f"with issues, ONNX reader / torch reader: {med['reader'] / med['reader-torch']:.3f}; "
          f"analysis with the reader / without issues: {med['reader'] / med['none']:.3f} "
          f"(torch reader {med['reader-torch'] / med['none']:.3f})")


if __name__ == "__main__":
    main()
