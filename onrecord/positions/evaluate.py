"""Scoring positions against gold: `onrecord evaluate tests/positions_gold`.

A folder of ``onrecord-positions-gold/1`` files (one article each: its codebook, date and the positions a reader
finds) and optionally ``onrecord-positions-series/1`` files (per party, issue and period, the stance a reader
gives). Figures:

- per article: recall and precision of (holder, issue, stance); ``wrong_stance`` = the share of found (holder,
  issue) pairs given a stance the gold does not give them. A holder matches when its id is the slug of the gold
  name or one is the other's leading or trailing words ("shop-owners" and "shop-owners-on-elm-street", "leo-park"
  and "mayor-leo-park").
- per series: ``period_stance`` = the share of gold (party, issue, period) cells whose stance the system gives
  (the stance nearest the cell's mean score); ``convergence_direction`` = of the gold's consecutive period pairs
  (both parties placed in both) in which the distance between the parties changed, the share the system reads
  the same way (closer or further apart); ``date_source`` = the share of articles whose date and its source
  (metadata or dateline) match the gold.
"""

from __future__ import annotations

import itertools
import json
import pathlib
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any

from onrecord.errors import InputError
from onrecord.positions.issues import Issue, Issues, load_issues, slug

GOLD = "onrecord-positions-gold/1"
SERIES = "onrecord-positions-series/1"
READERS = ("reader", "embeddings")


def _load(path: pathlib.Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a JSON gold file ({exc})") from None
    return data if isinstance(data, dict) else {}


def is_positions_gold(paths: list[str]) -> bool:
    """Whether ``paths`` name positions gold (a folder of it, or its files)."""
    files = [f for p in map(pathlib.Path, paths)
             for f in (sorted(p.glob("*.json")) if p.is_dir() else [p]) if f.suffix == ".json" and f.exists()]
    return bool(files) and all(_load(f).get("schema") in (GOLD, SERIES) for f in files)


def _ascii(text: str) -> str:
    """Accents folded as actor ids fold them ("Pål Ruud" is pal-ruud; onrecord.attribute.actors.slug)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def same_holder(gold: str, predicted: str) -> bool:
    """The gold name and a predicted holder id name the same holder."""
    g, p = _ascii(slug(gold)).split("-"), _ascii(predicted).split("-")
    if g[0] in ("the", "a", "an"):
        g = g[1:]
    if p and p[0] in ("the", "a", "an"):
        p = p[1:]
    shorter = min(len(g), len(p))
    return shorter > 0 and (g[:shorter] == p[:shorter] or g[-shorter:] == p[-shorter:])


@dataclass
class Scored:
    name: str
    record: Any
    gold: list[tuple[str, str, str]]
    predicted: list[tuple[str, str, str]]


def analyse(gold_path: pathlib.Path, data: dict[str, Any], reader: str, cache: dict[str, Issues],
            convention: str = "onrecord") -> Scored:
    from onrecord.analysis import analyze
    from onrecord.positions.match import add_positions

    base = gold_path.parent
    issues_path = str(base / data["issues"])
    issues = cache.setdefault(issues_path, load_issues(issues_path))
    text = (base / data["document"]).read_text(encoding="utf-8")
    record = analyze(text, published=data.get("published"), id=gold_path.stem, convention=convention)
    record = add_positions(record, issues, reader=reader)
    predicted = sorted({(p.actor, p.issue, p.stance) for p in record.positions})
    gold = [(g["actor"], g["issue"], g["stance"]) for g in data["positions"]]
    return Scored(gold_path.stem, record, gold, predicted)


def score_article(s: Scored) -> tuple[Counter[str], list[dict[str, Any]]]:
    """Counts (gold, predicted, found, wrong_stance) and the misses of one article."""
    n: Counter[str] = Counter(gold=len(s.gold), predicted=len(s.predicted))
    used: set[int] = set()
    misses = []
    for actor, issue, stance in s.gold:
        hit = next((k for k, p in enumerate(s.predicted) if k not in used and p[1:] == (issue, stance)
                    and same_holder(actor, p[0])), None)
        if hit is not None:
            used.add(hit)
            n["found"] += 1
        else:
            misses.append({"doc": s.name, "kind": "missed", "actor": actor, "issue": issue, "stance": stance})
    for k, (actor, issue, stance) in enumerate(s.predicted):
        if k in used:
            continue
        holder_issue = any(g[1] == issue and same_holder(g[0], actor) for g in s.gold)
        if holder_issue and not any(g == (g[0], issue, stance) and same_holder(g[0], actor) for g in s.gold):
            n["wrong_stance"] += 1
        kind = "wrong-stance" if holder_issue else "spurious"
        misses.append({"doc": s.name, "kind": kind, "actor": actor, "issue": issue, "stance": stance})
    return n, misses


def _ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else 0.0


def _score(issue: Issue, cells: dict[tuple[str, str, str], Any], group: str, period: str) -> float | None:
    """A cell's score: a gold cell holds a stance id, a predicted one (stance, mean score)."""
    value = cells.get((group, issue.id, period))
    if value is None:
        return None
    return issue.stance(value).score if isinstance(value, str) else float(value[1])


def score_series(series: dict[str, Any], scored: dict[str, Scored], base: pathlib.Path,
                 cache: dict[str, Issues]) -> tuple[Counter[str], list[dict[str, Any]]]:
    """Per-period stance and convergence direction of one series against the system's reading of its articles."""
    from onrecord.positions.timeline import article_date, party_cells

    issues = cache.setdefault(str(base / series["issues"]), load_issues(base / series["issues"]))
    records = [scored[pathlib.Path(d).stem].record for d in series["documents"]]
    predicted = party_cells(records, issues, series["period"])
    n: Counter[str] = Counter()
    misses = []
    gold = {(c["group"], c["issue"], c["period"]): c["stance"] for c in series["cells"]}
    for key, stance in gold.items():
        n["cells"] += 1
        got = predicted.get(key)
        if got is not None and got[0] == stance:
            n["cells_right"] += 1
        else:
            misses.append({"doc": "series", "kind": "period-stance", "cell": list(key), "gold": stance,
                           "predicted": got[0] if got else None})
    a, b = series["between"]
    for issue in issues.issues:
        periods = sorted({k[2] for k in gold if k[1] == issue.id})
        both = [p for p in periods if _score(issue, gold, a, p) is not None and _score(issue, gold, b, p) is not None]
        for p, q in itertools.pairwise(both):
            before = abs(_score(issue, gold, a, p) - _score(issue, gold, b, p))  # type: ignore[operator]
            after = abs(_score(issue, gold, a, q) - _score(issue, gold, b, q))  # type: ignore[operator]
            if before == after:
                continue
            n["changes"] += 1
            pa, pb, qa, qb = (_score(issue, predicted, g, t) for t in (p, q) for g in (a, b))
            right = None not in (pa, pb, qa, qb) and (
                (abs(qa - qb) < abs(pa - pb)) == (after < before) and abs(qa - qb) != abs(pa - pb))  # type: ignore[operator]
            n["changes_right"] += right
            if not right:
                misses.append({"doc": "series", "kind": "convergence", "issue": issue.id, "periods": [p, q],
                               "gold": "closer" if after < before else "further"})
    for d in series["documents"]:
        data = _load(base / d)
        day, source = article_date(scored[pathlib.Path(d).stem].record)
        n["dated"] += 1
        n["dated_right"] += (str(day) if day else None) == data.get("date") and source == data.get("date_from")
    return n, misses


def evaluate_positions(paths: list[str], reader: str = "reader", convention: str = "onrecord") -> dict[str, Any]:
    """Figures, per-article counts and misses over the positions gold under ``paths``."""
    files = [f for p in map(pathlib.Path, paths) for f in (sorted(p.glob("*.json")) if p.is_dir() else [p])]
    cache: dict[str, Issues] = {}
    scored: dict[str, Scored] = {}
    total: Counter[str] = Counter()
    documents, misses = [], []
    series = []
    for f in files:
        data = _load(f)
        if data.get("schema") == SERIES:
            series.append((f, data))
            continue
        s = analyse(f, data, reader, cache, convention)
        scored[f.stem] = s
        n, m = score_article(s)
        total += n
        misses += m
        documents.append({"doc": f.stem, **n})
    for f, data in series:
        n, m = score_series(data, scored, f.parent, cache)
        total += n
        misses += m
    figures = {
        "articles": len(scored), "gold": total["gold"], "predicted": total["predicted"],
        "recall": _ratio(total["found"], total["gold"]), "precision": _ratio(total["found"], total["predicted"]),
        "wrong_stance": _ratio(total["wrong_stance"], total["found"] + total["wrong_stance"]),
    }
    if series:
        figures |= {"period_stance": _ratio(total["cells_right"], total["cells"]), "cells": total["cells"],
                    "convergence_direction": _ratio(total["changes_right"], total["changes"]),
                    "changes": total["changes"], "date_source": _ratio(total["dated_right"], total["dated"])}
    return {"reader": reader, "convention": convention, "figures": figures, "documents": documents,
            "misses": misses}


def render(result: dict[str, Any], per_doc: bool) -> str:
    lines = []
    if per_doc:
        lines.append(f"{'document':<20} {'gold':>4} {'pred':>4} {'found':>5} {'wrong':>5}")
        for d in result["documents"]:
            lines.append(f"{d['doc']:<20} {d.get('gold', 0):>4} {d.get('predicted', 0):>4} {d.get('found', 0):>5} "
                         f"{d.get('wrong_stance', 0):>5}")
        lines.append("")
    figs = result["figures"]
    lines.append(f"positions ({result['reader']}, {result['convention']} convention): "
                 + "  ".join(f"{k} {v}" for k, v in figs.items()))
    return "\n".join(lines)


def run_positions(args: Any, mins: list[tuple[str, float]]) -> int:
    """`onrecord evaluate` on positions gold: the figures as a line (or JSON), misses to --errors."""
    result = evaluate_positions(args.gold, getattr(args, "stance_reader", "reader"),
                                getattr(args, "convention", "onrecord"))
    if args.errors:
        try:
            with open(args.errors, "w", encoding="utf-8") as out:
                out.writelines(json.dumps(m, ensure_ascii=False) + "\n" for m in result["misses"])
        except OSError as exc:
            raise InputError(f"--errors {args.errors}: {exc.strerror or exc}") from exc
    if args.format == "json":
        print(json.dumps({k: v for k, v in result.items() if k != "misses" or args.per_doc}, ensure_ascii=False,
                         indent=1))
    else:
        print(render(result, args.per_doc))
    below = [name for name, value in mins if result["figures"].get(name, 0) < value]
    return 1 if below else 0
