"""What check-worthiness costs on news, and what the per-article encoder budget changes there (no labels needed).

    python bench/checkworthiness.py --data ../shared/data/polnear/dev/text

Analyses every article of the folder once (one process) to collect its unsourced sentences as the pipeline
scores them, then scores each article's sentences again with several encoder budgets (the most sentences an
article may embed; ``None``: every sentence whose yes/no the embedding could change) and reports, per budget,
the CPU seconds, that CPU as a share of the whole analysis, how many sentences were embedded, and how often the
yes/no equals the unbudgeted one. One thread; run it with nothing else heavy beside it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

BUDGETS = (0, 1, 2, 3, 5, None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="folder of article .txt files")
    args = ap.parse_args(argv)

    from threadpoolctl import threadpool_limits

    import onrecord.component as component
    from onrecord.analysis import analyze_many
    from onrecord.assess.checkworthiness import CheckworthinessModel
    from onrecord.read import read_path

    threadpool_limits(1)
    files = sorted(args.data.glob("*.txt"))
    if not files:
        raise SystemExit(f"no .txt articles in {args.data}")
    model = CheckworthinessModel.load()
    per_article: list[list[str]] = []
    real_score = CheckworthinessModel.score

    def record(self: CheckworthinessModel, sentences: list[str], embeddings: np.ndarray | None = None,
               budget: int | None = None) -> list[float]:
        per_article.append(list(sentences))
        return real_score(self, sentences, embeddings, budget)

    documents = [read_path(p) for p in files]
    CheckworthinessModel.score = record  # type: ignore[method-assign]
    try:
        list(analyze_many(documents[:1]))  # warm-up: models loaded, caches filled
        per_article.clear()
        t = time.process_time()
        list(analyze_many(documents))
        analysis = time.process_time() - t
    finally:
        CheckworthinessModel.score = real_score  # type: ignore[method-assign]

    embedded: list[int] = []
    encoder = type(model.encoder())  # the frozen encoder's views, or the fine-tuned encoder
    real_embed = encoder.embed

    def counting(self: object, sentences: list[str], batch: int = 32) -> np.ndarray:
        embedded.append(len(sentences))
        return real_embed(self, sentences, batch)  # type: ignore[arg-type]

    encoder.embed = counting  # type: ignore[method-assign]
    rows = {}
    yes = {}
    try:
        for budget in BUDGETS:
            embedded.clear()
            t = time.process_time()
            scores = [model.score(s, budget=budget) for s in per_article if s]
            cpu = time.process_time() - t
            yes[budget] = np.concatenate([np.array(p) >= model.threshold for p in scores])
            rows[str(budget)] = {"cpu_s": round(cpu, 2), "share_of_analysis": round(cpu / analysis, 3),
                                 "embedded": sum(embedded)}
    finally:
        encoder.embed = real_embed  # type: ignore[method-assign]
    for budget in BUDGETS:
        rows[str(budget)]["yes_no_equal_to_unbudgeted"] = round(float(np.mean(yes[budget] == yes[None])), 4)
        rows[str(budget)]["yes_share"] = round(float(np.mean(yes[budget])), 3)
    report = {"articles": len(files), "unsourced_sentences": int(sum(len(s) for s in per_article)),
              "shipped_budget": component.ENCODED_PER_ARTICLE, "cpu_analysis_s": round(analysis, 2),
              "budgets": rows}
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
