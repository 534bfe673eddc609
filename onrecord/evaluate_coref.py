"""`onrecord evaluate` for coreference: GAP (``.tsv``) and CoNLL coreference (``.conll`` files or a folder).

    onrecord evaluate gap-validation.tsv          # GAP figures, read off the records
    onrecord evaluate ontogum/ --split dev        # CoNLL F1 for person/organisation entities

Each is reported for onrecord's resolver, for it without the text reader of contested he/she
(``coref.without_reader``: the trees alone) and for the rule-only resolver (pronouns by the nearest
fitting clause subject, as before the ranker): ``coref_resolver`` says which row is which.

**GAP** (Webster et al. 2018), snippet-context, as ``../shared/eval/gap.py`` scores it: the pronoun's
actor is the actor with a mention covering the pronoun; A (B) is predicted coreferent when that
actor has a mention overlapping A (B) or a name ending in A's (B's) last word; F1 of the
coreferent decisions over all A and B pairs, masculine and feminine F1, bias F/M.

**CoNLL** (OntoNotes scheme, e.g. OntoGUM): each document's tokens joined by spaces are analysed;
the response's entities are the record's actors, each mention reduced to its head token (the root
of its parse), and so are the key's gold mentions. Key entities kept: those with a he/she pronoun
or a mention whose head the parser tags PERSON, ORG, GPE or NORP (the data carries no entity
types). MUC (Vilain et al. 1995), B³ (Bagga & Baldwin 1998), CEAF-e (Luo 2005) and their mean,
the CoNLL F1 (Pradhan et al. 2014), over matching head tokens.
"""

from __future__ import annotations

import csv
import pathlib
import re
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from typing import Any

import numpy as np

from onrecord.errors import InputError

Cluster = frozenset[int]  # head token indices
_BRACKET = re.compile(r"\((\d+)\)|\((\d+)|(\d+)\)")
_MASCULINE = {"he", "him", "his"}
_PERSONAL = {"he", "him", "his", "himself", "she", "her", "hers", "herself"}
_ACTOR_ENTS = {"PERSON", "ORG", "GPE", "NORP"}


def is_coref_gold(paths: Sequence[str]) -> bool:
    """True when every GOLD argument is a GAP ``.tsv``, a ``.conll`` file or a folder of them."""
    def one(p: pathlib.Path) -> bool:
        return p.suffix in (".tsv", ".conll") or (p.is_dir() and any(p.glob("*.conll")))
    return bool(paths) and all(one(pathlib.Path(p)) for p in paths)


# --- GAP ---------------------------------------------------------------------------------------


def _covers(m: dict[str, Any], start: int, end: int) -> bool:
    return m.get("start") is not None and m["start"] < end and start < m["end"]


def _pronoun_actor(record: dict[str, Any], start: int, end: int) -> dict[str, Any] | None:
    for actor in record.get("actors") or []:
        if any(_covers(m, start, end) for m in actor.get("mentions") or []):
            return actor
    return None


def _refers(actor: dict[str, Any] | None, name: str, start: int) -> bool:
    if actor is None:
        return False
    if any(_covers(m, start, start + len(name)) for m in actor.get("mentions") or []):
        return True
    words = (actor.get("name") or "").split()
    return bool(words) and words[-1].lower() == name.split()[-1].lower()


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def gap_figures(rows: list[dict[str, str]], records: list[dict[str, Any]]) -> dict[str, float | int]:
    tally = {k: [0, 0, 0] for k in ("all", "M", "F")}
    for row, record in zip(rows, records, strict=True):
        p0 = int(row["Pronoun-offset"])
        actor = _pronoun_actor(record, p0, p0 + len(row["Pronoun"]))
        gender = "M" if row["Pronoun"].lower() in _MASCULINE else "F"
        for key in ("A", "B"):
            gold = row[f"{key}-coref"].upper() == "TRUE"
            pred = _refers(actor, row[key], int(row[f"{key}-offset"]))
            for t in (tally["all"], tally[gender]):
                t[0] += gold and pred
                t[1] += pred and not gold
                t[2] += gold and not pred
    f1 = {k: _f1(*t) for k, t in tally.items()}
    tp, fp, fn = tally["all"]
    return {"gap_rows": len(rows), "gap_p": tp / (tp + fp) if tp + fp else 0.0,
            "gap_r": tp / (tp + fn) if tp + fn else 0.0, "gap_f1": f1["all"], "gap_m_f1": f1["M"],
            "gap_f_f1": f1["F"], "gap_bias": f1["F"] / f1["M"] if f1["M"] else 0.0}


def read_gap(path: pathlib.Path, limit: int = 0) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from exc
    if rows and not {"Text", "Pronoun", "Pronoun-offset", "A", "A-offset", "A-coref"} <= set(rows[0]):
        raise InputError(f"{path}: not a GAP file (columns ID, Text, Pronoun, Pronoun-offset, A, A-offset, …)")
    return rows[:limit] if limit else rows


# --- CoNLL -------------------------------------------------------------------------------------


def read_conll(path: pathlib.Path) -> tuple[list[str], dict[int, list[tuple[int, int]]]]:
    """Tokens and gold entities (id -> token spans, end exclusive) of one CoNLL coreference file
    (token in the second column, entity brackets in the last)."""
    tokens: list[str] = []
    clusters: dict[int, list[tuple[int, int]]] = {}
    open_at: dict[int, list[int]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 3:
            raise InputError(f"{path}: not CoNLL coreference (token lines need 3 tab-separated columns)")
        i = len(tokens)
        tokens.append(parts[1])
        for single, opening, closing in _BRACKET.findall(parts[-1]):
            if single:
                clusters.setdefault(int(single), []).append((i, i + 1))
            elif opening:
                open_at.setdefault(int(opening), []).append(i)
            elif closing and open_at.get(int(closing)):
                clusters.setdefault(int(closing), []).append((open_at[int(closing)].pop(), i + 1))
    return tokens, clusters


def conll_text(tokens: list[str]) -> tuple[str, list[int]]:
    """The tokens joined by spaces, and each token's character offset."""
    starts, at = [], 0
    for t in tokens:
        starts.append(at)
        at += len(t) + 1
    return " ".join(tokens), starts


def conll_files(paths: Iterable[str], split: str | None) -> list[pathlib.Path]:
    """The ``.conll`` files named or in the folders named; with ``split``, only the documents a
    ``splits.md`` beside them lists under ``## split``."""
    out: list[pathlib.Path] = []
    for p in map(pathlib.Path, paths):
        files = sorted(p.glob("*.conll")) if p.is_dir() else [p]
        if split:
            listing = (p if p.is_dir() else p.parent) / "splits.md"
            if not listing.exists():
                raise InputError(f"--split {split}: no splits.md beside {p}")
            names, current = set(), None
            for line in listing.read_text(encoding="utf-8").splitlines():
                if line.startswith("## "):
                    current = line[3:].strip()
                elif current == split and line.strip().startswith("* "):
                    names.add(line.strip()[2:].strip())
            files = [f for f in files if f.stem in names]
        out += files
    return out


def muc(key: list[Cluster], response: list[Cluster]) -> tuple[float, float]:
    """MUC recall and precision (Vilain et al. 1995)."""
    def score(a: list[Cluster], b: list[Cluster]) -> float:
        where = {m: n for n, c in enumerate(b) for m in c}
        num = sum(len(c) - len({where.get(m, ("alone", m)) for m in c}) for c in a)
        den = sum(len(c) - 1 for c in a)
        return num / den if den else 0.0
    return score(key, response), score(response, key)


def b_cubed(key: list[Cluster], response: list[Cluster]) -> tuple[float, float]:
    """B³ recall and precision (Bagga & Baldwin 1998); a mention the other side lacks scores 0."""
    def score(a: list[Cluster], b: list[Cluster]) -> float:
        where = {m: c for c in b for m in c}
        total = sum(len(c) for c in a)
        got = sum(len(c & where.get(m, frozenset())) / len(c) for c in a for m in c)
        return got / total if total else 0.0
    return score(key, response), score(response, key)


def ceaf_e(key: list[Cluster], response: list[Cluster]) -> tuple[float, float]:
    """Entity-based CEAF (Luo 2005): the best one-to-one alignment of entities by
    phi4 = 2|K ∩ R| / (|K| + |R|)."""
    if not key or not response:
        return 0.0, 0.0
    from scipy.optimize import linear_sum_assignment

    sim = np.array([[2 * len(k & r) / (len(k) + len(r)) for r in response] for k in key])
    rows, cols = linear_sum_assignment(-sim)
    best = float(sim[rows, cols].sum())
    return best / len(key), best / len(response)


def _f(r: float, p: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def conll_clusters(doc: Any, record: dict[str, Any], tokens: list[str], starts: list[int],
                   gold: dict[int, list[tuple[int, int]]]) -> tuple[list[Cluster], list[Cluster]]:
    """Key and response entities of one document as sets of head tokens (the CoNLL token numbers)."""
    by_char = {s: i for i, s in enumerate(starts)}

    def head(start: int, end: int) -> int | None:
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None or not len(span):
            return None
        return by_char.get(span.root.idx)

    key = []
    for spans in gold.values():
        heads, actorish = set(), False
        for s, e in spans:
            h = head(starts[s], starts[e - 1] + len(tokens[e - 1]))
            if h is None:
                continue
            heads.add(h)
            root = doc.char_span(starts[h], starts[h] + len(tokens[h]), alignment_mode="expand")
            if tokens[h].lower() in _PERSONAL or (root is not None and root[0].ent_type_ in _ACTOR_ENTS):
                actorish = True
        if actorish and len(heads) > 1:
            key.append(frozenset(heads))
    response = []
    for actor in record.get("actors") or []:
        heads = {h for m in actor.get("mentions") or [] if (h := head(m["start"], m["end"])) is not None}
        if len(heads) > 1:
            response.append(frozenset(heads))
    return key, response


def conll_figures(pairs: list[tuple[list[Cluster], list[Cluster]]]) -> dict[str, float | int]:
    """MUC, B³ and CEAF-e over all documents (recall and precision summed as their numerators and
    denominators would be: here averaged per document weighted by entity size), and CoNLL F1."""
    out: dict[str, float | int] = {"conll_docs": len(pairs)}
    for name, metric in (("muc", muc), ("b3", b_cubed), ("ceafe", ceaf_e)):
        rs, ps, wk, wr = [], [], [], []
        for key, response in pairs:
            r, p = metric(key, response)
            rs.append(r)
            ps.append(p)
            wk.append(sum(len(c) for c in key))
            wr.append(sum(len(c) for c in response))
        r = float(np.average(rs, weights=wk)) if sum(wk) else 0.0
        p = float(np.average(ps, weights=wr)) if sum(wr) else 0.0
        out[f"{name}_r"], out[f"{name}_p"], out[f"{name}_f1"] = r, p, _f(r, p)
    out["conll_f1"] = (out["muc_f1"] + out["b3_f1"] + out["ceafe_f1"]) / 3
    out["key_entities"] = sum(len(k) for k, _ in pairs)
    out["response_entities"] = sum(len(r) for _, r in pairs)
    return out


# --- running -----------------------------------------------------------------------------------


def evaluate_coref(paths: Sequence[str], limit: int = 0, split: str | None = None) -> list[dict[str, Any]]:
    """One row of figures per resolver (onrecord's; the same without the text reader of contested
    he/she; rule-only) and kind of gold."""
    from onrecord.analysis import parse
    from onrecord.attribute.coref import rules_only, without_reader

    gap_paths = [pathlib.Path(p) for p in paths if pathlib.Path(p).suffix == ".tsv"]
    conll = conll_files([p for p in paths if pathlib.Path(p).suffix != ".tsv"], split)
    if limit:
        conll = conll[:limit]
    rows: list[dict[str, Any]] = []
    modes = {"onrecord": nullcontext, "onrecord-trees": without_reader, "rules": rules_only}
    for resolver, mode in modes.items():
        if gap_paths:
            gap = [r for p in gap_paths for r in read_gap(p, limit)]
            with mode():
                records = [parse(r["Text"])._.onrecord or {} for r in gap]
            rows.append({"gold": "gap", "coref_resolver": resolver, **gap_figures(gap, records)})
        if conll:
            pairs = []
            for f in conll:
                tokens, gold = read_conll(f)
                text, starts = conll_text(tokens)
                with mode():
                    doc = parse(text)
                pairs.append(conll_clusters(doc, doc._.onrecord or {}, tokens, starts, gold))
            rows.append({"gold": "conll", "coref_resolver": resolver, **conll_figures(pairs)})
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    lines = []
    for row in rows:
        figs = {k: v for k, v in row.items() if k not in ("gold", "coref_resolver")}
        lines.append(f"{row['gold']} ({row['coref_resolver']} resolver)")
        lines += [f"  {k:<20} {v:.3f}" if isinstance(v, float) else f"  {k:<20} {v}" for k, v in figs.items()]
    return "\n".join(lines)
