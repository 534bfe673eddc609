"""GAP through the pipeline, row by row: the figures, the error classes and, per wrong row, how it went wrong.

    .venv/bin/python bench/gap_errors.py ../shared/data/gap/gap-development.tsv --held-out  # 300 rows
    .venv/bin/python bench/gap_errors.py ../shared/data/gap/gap-development.tsv --out /tmp/x/errors.tsv

Each row's text is analysed as ``onrecord evaluate`` does (``onrecord.analysis.parse``) and scored as
``onrecord.evaluate_coref.gap_figures`` scores it. A wrong row falls in one class: ``other`` (the other of A
and B), ``third`` (an actor that is neither), ``neither`` (GAP says neither and a name was taken), ``unlinked``
(GAP names one, the pronoun got no actor). Listed per wrong row: whether A / B is an actor of the record's
index and among the pronoun's candidates, which step decided (``coref.resolve_pronouns``' trace: the governing
subject, the previous speaker, the trees, the reader, the rule below the threshold) and the candidates with the
trees' (and the reader's) scores. ``--held-out`` keeps only the development rows ``onrecord.train.coref_reader``
holds out (its seed and share), the rows the reader never trained on. Development data only: for measuring.
"""

from __future__ import annotations

import argparse
import csv
import pathlib
import random
import sys
from collections import Counter
from typing import Any


def held_out(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows ``onrecord.train.coref_reader`` keeps to choose its pass (seed 17, 15%), in file order."""
    from onrecord.train.coref_reader import SEED, TUNE_SHARE

    order = list(range(len(rows)))
    random.Random(SEED).shuffle(order)
    return [rows[i] for i in sorted(order[: round(len(rows) * TUNE_SHARE)])]


def refers(name: str, mentions: list[tuple[int, int]], gold: str, start: int) -> bool:
    """As ``evaluate_coref._refers``: a mention overlapping the gold name, or the same last word."""
    end = start + len(gold)
    if any(s < end and start < e for s, e in mentions):
        return True
    words = name.split()
    return bool(words) and words[-1].lower() == gold.split()[-1].lower()


def error_class(gold: tuple[bool, bool], pred: tuple[bool, bool], linked: bool) -> str:
    """right, or how GAP counts the row wrong (a third actor where GAP says neither is right by its score)."""
    if not any(gold):
        return "neither" if any(pred) else "right"
    if pred == gold:
        return "right"
    if not linked:
        return "unlinked"
    return "other" if any(pred) else "third"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("tsv", type=pathlib.Path)
    ap.add_argument("--held-out", action="store_true", help="only the rows the reader never trained on")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--out", type=pathlib.Path, help="write the per-row listing here (default: stdout)")
    args = ap.parse_args()

    import onrecord.attribute.actors as actors
    from onrecord.analysis import parse
    from onrecord.evaluate_coref import gap_figures, read_gap

    rows = read_gap(args.tsv)
    if args.held_out:
        rows = held_out(rows)
    if args.limit:
        rows = rows[: args.limit]

    seen: dict[str, Any] = {}
    original = actors.resolve_pronouns

    def traced(doc: Any, index: Any, *a: Any, **k: Any) -> Any:
        seen["index"], seen["trace"] = index, {}
        return original(doc, index, *a, trace=seen["trace"], **k)

    actors.resolve_pronouns = traced  # type: ignore[assignment]
    records, listing, classes = [], [], Counter()
    for row in rows:
        seen.clear()
        doc = parse(row["Text"])
        record = doc._.onrecord or {}
        records.append(record)
        p0 = int(row["Pronoun-offset"])
        token = doc.char_span(p0, p0 + len(row["Pronoun"]), alignment_mode="expand")
        actor = next((a for a in record.get("actors") or [] for m in a.get("mentions") or []
                      if m.get("start") is not None and m["start"] < p0 + len(row["Pronoun"]) and p0 < m["end"]), None)
        gold = tuple(row[f"{k}-coref"].upper() == "TRUE" for k in "AB")
        pred = tuple(actor is not None and refers(actor.get("name") or "", [(m["start"], m["end"]) for m in
                                                                          actor.get("mentions") or []],
                                                  row[k], int(row[f"{k}-offset"])) for k in "AB")
        cls = error_class(gold, pred, actor is not None)  # type: ignore[arg-type]
        classes[cls] += 1
        if cls == "right":
            continue
        index, trace = seen.get("index"), seen.get("trace") or {}
        step = trace.get(token.root.i) if token is not None and len(token) else None

        def where(k: str, row: dict[str, str] = row, index: Any = index, step: Any = step) -> str:
            at, name = int(row[f"{k}-offset"]), row[k]
            is_actor = index is not None and any(refers(a.name, a.mentions, name, at) for a in index.actors)
            among = step is not None and any(refers(a.name, a.mentions, name, at) for a in step["cands"])
            return "cand" if among else "actor" if is_actor else "missing"

        cands = ""
        if step is not None:
            reader = step.get("reader")
            cands = "; ".join(f"{a.name} ({a.kind[:3]}) {s:.2f}" + (f"/r{reader[j]:.2f}" if reader else "")
                              for j, (a, s) in enumerate(zip(step["cands"], step["trees"], strict=True)))
        want = "A" if gold[0] else "B" if gold[1] else "-"
        listing.append([row["ID"], cls, row["Pronoun"], want, row["A"], where("A"), row["B"], where("B"),
                        actor.get("name") if actor else "", step["by"] if step else "no candidates", cands])
    actors.resolve_pronouns = original  # type: ignore[assignment]

    figures = gap_figures(rows, records)
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout  # noqa: SIM115
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(["id", "class", "pronoun", "gold", "A", "A_is", "B", "B_is", "took", "decided_by", "candidates"])
    writer.writerows(listing)
    if args.out:
        out.close()
    print(" ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()),
          file=sys.stderr)
    print("classes: " + ", ".join(f"{k} {v}" for k, v in classes.most_common()), file=sys.stderr)
    wrong = [r for r in listing if r[1] in ("other", "third", "unlinked")]
    print("gold name missing from the candidates: "
          f"{sum(1 for r in wrong if (r[5] if r[3] == 'A' else r[7]) != 'cand')} of {len(wrong)} "
          f"(no actor at all: {sum(1 for r in wrong if (r[5] if r[3] == 'A' else r[7]) == 'missing')})",
          file=sys.stderr)


if __name__ == "__main__":
    main()
