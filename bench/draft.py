"""Drafted issues against the positions gold's topics: `onrecord issues draft` by embeddings and by terms.

    python bench/draft.py [tests/positions_gold]

Each gold article belongs to one codebook (its topic: harbour, health, city, ...). Over the statements the draft
puts in an issue: purity = the share whose article's topic is their issue's most common one; topics covered = the
topics that are the most common one of at least one drafted issue.
"""

from __future__ import annotations

import argparse
import json
import pathlib
from collections import Counter
from types import SimpleNamespace


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("gold", nargs="?", default="tests/positions_gold")
    args = ap.parse_args()
    from onrecord.positions.draft import cluster_issues, find_issues, statements
    from onrecord.positions.encoder import load_transformer

    gold = pathlib.Path(args.gold)
    topic = {}
    for f in sorted(gold.glob("*.json")):
        data = json.loads(f.read_text(encoding="utf-8"))
        if data.get("schema") == "onrecord-positions-gold/1":
            topic[pathlib.Path(data["document"]).stem] = pathlib.Path(data["issues"]).stem
    said, where = [], {}
    for name in topic:  # one file at a time: each statement's article is known
        for s in statements(SimpleNamespace(store=None, files=[str(gold / "articles" / f"{name}.txt")])):
            where[id(s)] = name
            said.append(s)
    for name, issues in (("embeddings", cluster_issues(said, load_transformer())), ("terms", find_issues(said))):
        clustered = right = 0
        covered = set()
        for issue in issues:
            topics = Counter(topic[where[id(s)]] for s in issue.statements)
            top, n = topics.most_common(1)[0]
            covered.add(top)
            clustered += sum(topics.values())
            right += n
        print(f"{name:<10} issues {len(issues)}  statements {clustered} of {len(said)}  purity "
              f"{right / max(1, clustered):.3f}  topics covered {len(covered)} of {len(set(topic.values()))}")


if __name__ == "__main__":
    main()
