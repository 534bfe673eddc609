"""`onrecord issues draft` and `onrecord issues check`: write a codebook from what a corpus argues about, and see
which statements each stance would take.

    onrecord issues draft --store news.duckdb > issues.toml        # or: records.jsonl, article files
    onrecord issues check issues.toml --store news.duckdb           # per stance, the statements it would take

``draft`` finds what speakers argue about by clustering the attributed statements by meaning (``--by
embeddings``, the default): each statement's sentence embedding (onrecord.positions.encoder), spherical k-means
(Dhillon & Modha 2001) with k-means++ seeding, and the clusters that hold statements of two speakers or more, the
tightest and most argued first; an issue's keywords are the terms that recur in its cluster and rarely outside it
(tf-idf). ``--by terms`` keeps the older way: content words and word pairs that recur in the statements of at
least two speakers, terms whose statements mostly coincide merged into one issue. An issue's statements are
split by how they evaluate (opinion words, the cue, negation: onrecord.positions.stance.evaluation) into a "for"
and an "against" stance, each with the corpus's own clearest phrasings as examples; a side the corpus never takes
gets the other's examples negated, marked for editing. The result is a valid issues file to edit, not a finished one.

``check`` reads every statement with the stance reader and lists, per issue and stance, the statements it takes
(most confident first), then the near misses (gated by a keyword, best stance below the threshold) and the
statements close to an issue's examples that carry none of its keywords: where an example or a keyword is
missing.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from onrecord.errors import InputError, OnrecordError

_STOP = frozenset("""about above after again against all also although among and another any are around because
been before being between both but came can cannot come could did does doing done down during each even ever every
first for from further had has have having he her here hers him his how however into its itself just last least
less like made make many may might more most much must near need never next not now off once one only other our
ours out over own per said same says shall she should since some still such than that the their them then there
these they this those though through too under until upon very was week were what when where whether which while
who whom why will with within without would year years you your it's that's told added according asked people
time times today yesterday monday tuesday wednesday thursday friday saturday sunday think thing things well back
going want wanted know able told put take taken""".split())
_WORD = re.compile(r"[a-z][a-z'-]+[a-z]")
_NUMBER_WORDS = frozenset("three four five seven eight nine eleven twelve twenty thirty forty fifty hundred thousand "
                          "million billion".split())
_LEADING = re.compile(r"^(?:and|but|so|that|while|although|though|yet|also)\s+", re.IGNORECASE)
_AUX = re.compile(r"\b(will|would|should|must|can|could|is|are|was|were|has|have|had|may|might)\b")
_NEGATION = re.compile(r"\b(?:not|never)\s+|n't\b")


def negate(example: str) -> str | None:
    """The example with its negation taken out, or 'not' put after its first auxiliary; None when neither fits."""
    if re.search(r"\bno\b|\bnone\b|\bnothing\b|\bcannot\b|\bwon't\b|\bcan't\b", example, re.IGNORECASE):
        return None
    if _NEGATION.search(example):
        return _NEGATION.sub("", example, count=1)
    if _AUX.search(example):
        return _AUX.sub(r"\1 not", example, count=1)
    return None


@dataclass
class Said:
    """One attributed statement as the drafting and checking need it."""

    key: tuple[str, str]
    actor: str
    speaker: str
    content: str
    cue: str | None
    context: str = ""  # its paragraph (see onrecord.positions.stance.candidates)
    before: str = ""  # the article's text before it (see onrecord.positions.stance.referent)


def statements(args: argparse.Namespace) -> list[Said]:
    """Statements from a store, records (JSON Lines) or article files (analysed here)."""
    from onrecord.positions.cli import sources_from_jsonl, sources_from_store

    if args.store:
        sources = sources_from_store(args.store)
    else:
        files = args.files or []
        if not files:
            raise InputError("give --store DB, records (.jsonl from onrecord analyze) or article files")
        records = [f for f in files if f.endswith(".jsonl") or f == "-"]
        sources = sources_from_jsonl(records) if records else []
        articles = [f for f in files if f not in records]
        if articles:
            sources += _sources_from_articles(articles)
    return [Said((s.article, s.attribution), s.actor, s.actor_name or s.actor, s.content, s.cue, s.context,
                 s.before) for s in sources]


def _sources_from_articles(paths: list[str]) -> list[Any]:
    from onrecord.analysis import analyze
    from onrecord.positions.cli import record_sources
    from onrecord.read import read_path

    out, failed = [], 0
    for path in paths:
        try:  # a bad article is reported and skipped, never the end of the run
            doc = read_path(path)
            record = analyze(doc.text, id=doc.id, title=doc.title, url=doc.url, published=doc.published,
                             outlet=doc.outlet)
        except OnrecordError as exc:
            failed += 1
            print(f"onrecord: {path}: {exc} (skipped)", file=sys.stderr)
            continue
        out += record_sources(record)
    if failed == len(paths):
        raise InputError(f"none of the {len(paths)} articles could be read")
    return out


def terms(text: str) -> set[str]:
    """Content words (four letters or more, not function words) and pairs of adjacent ones."""
    words = [w.strip("'-") for w in _WORD.findall(text.lower().replace("’", "'"))]
    words = [w[:-2] if w.endswith("'s") else w for w in words]
    content = [w if len(w) >= 4 and w not in _STOP and w not in _NUMBER_WORDS else "" for w in words]
    pairs = {f"{a} {b}" for a, b in itertools.pairwise(content) if a and b}
    return {w for w in content if w} | pairs


@dataclass
class DraftIssue:
    id: str
    keywords: list[str]
    statements: list[Said]


def find_issues(said: list[Said], max_issues: int = 8, min_statements: int = 3) -> list[DraftIssue]:
    """Recurring terms used by two speakers or more, merged when their statements mostly coincide."""
    from onrecord.positions.issues import slug

    where: dict[str, set[int]] = defaultdict(set)
    for n, s in enumerate(said):
        for t in terms(s.content):
            where[t].add(n)
    limit = len(said) // 3 if len(said) >= 30 else len(said)  # in a small corpus every term may be an issue
    scored = []
    for t, rows in where.items():
        speakers = {said[n].actor for n in rows}
        if len(rows) >= min_statements and len(speakers) >= 2 and len(rows) <= limit:
            scored.append((len(speakers) * math.log1p(len(rows)) * (1.2 if " " in t else 1.0), t))
    chosen: list[tuple[list[str], set[int]]] = []
    for _, t in sorted(scored, reverse=True):
        rows = where[t]
        for keywords, members in chosen:
            if len(rows & members) >= 0.5 * min(len(rows), len(members)):
                if len(keywords) < 5 and not any(t in k or k in t for k in keywords):
                    keywords.append(t)
                    members |= rows
                break
        else:
            if len(chosen) < max_issues:
                chosen.append(([t], set(rows)))
    out, ids = [], set()
    for keywords, members in chosen:
        base = slug(keywords[0]) or "issue"
        issue_id = base if base not in ids else f"{base}-{len(ids)}"
        ids.add(issue_id)
        out.append(DraftIssue(issue_id, keywords, [said[n] for n in sorted(members)]))
    return out


def _distinctive_terms(members: list[int], said: list[Said], frequency: Counter[str], limit: int = 4) -> list[str]:
    """The cluster's keywords: terms in two or more of its statements, weighted by how rarely the corpus uses them
    elsewhere (tf-idf); a word pair only when it beats its words."""
    inside: Counter[str] = Counter(t for n in members for t in terms(said[n].content))
    total = len(said)
    scored = sorted(((count * math.log((1 + total) / (1 + frequency[t])) * (1.2 if " " in t else 1.0), t)
                     for t, count in inside.items() if count >= 2), reverse=True)
    out: list[str] = []
    for _, t in scored:
        if not any(t in k or k in t for k in out):
            out.append(t)
        if len(out) == limit:
            break
    return out


def cluster_issues(said: list[Said], encoder: Any, max_issues: int = 8, min_statements: int = 3,
                   seed: int = 0) -> list[DraftIssue]:
    """Issues as clusters of statements by meaning: spherical k-means over their embeddings, k about one cluster per
    four statements, clusters of ``min_statements`` or more by two speakers or more, ranked by speakers × size ×
    how close their statements lie to the centre."""
    import numpy as np

    from onrecord.positions.issues import slug

    if len(said) < min_statements:
        return []
    vectors = np.asarray(encoder.encode([s.content for s in said]), dtype=np.float32)
    k = max(2, min(len(said) // 4, 4 * max_issues))
    rng = np.random.default_rng(seed)
    centres = [vectors[int(rng.integers(len(vectors)))]]
    for _ in range(1, k):  # k-means++: the next centre far from those chosen
        distance = np.clip(1.0 - np.max(vectors @ np.array(centres).T, axis=1), 0.0, None)
        if not distance.sum():
            break
        centres.append(vectors[int(rng.choice(len(vectors), p=distance / distance.sum()))])
    centre = np.array(centres)
    for _ in range(30):
        assigned = np.argmax(vectors @ centre.T, axis=1)
        moved = np.array([vectors[assigned == c].sum(axis=0) if (assigned == c).any() else centre[c]
                          for c in range(len(centre))])
        moved /= np.maximum(np.linalg.norm(moved, axis=1, keepdims=True), 1e-9)
        if np.allclose(moved, centre):
            break
        centre = moved
    assigned = np.argmax(vectors @ centre.T, axis=1)
    frequency: Counter[str] = Counter(t for s in said for t in terms(s.content))
    ranked = []
    for c in range(len(centre)):
        members = [int(n) for n in np.flatnonzero(assigned == c)]
        speakers = {said[n].actor for n in members}
        if len(members) < min_statements or len(speakers) < 2:
            continue
        cohesion = float(np.mean(vectors[members] @ centre[c]))
        ranked.append((len(speakers) * math.log1p(len(members)) * cohesion, members))
    out, ids = [], set()
    for _, members in sorted(ranked, key=lambda r: -r[0])[:max_issues]:
        keywords = _distinctive_terms(members, said, frequency)
        if not keywords:
            continue
        base = slug(keywords[0]) or "issue"
        issue_id = base if base not in ids else f"{base}-{len(ids)}"
        ids.add(issue_id)
        out.append(DraftIssue(issue_id, keywords, [said[n] for n in members]))
    return out


def _toml(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _phrasing(s: Said, keywords: list[str]) -> str:
    """The clause of a statement that carries the issue's keyword (the whole content when none does)."""
    from onrecord.positions.stance import pieces

    for clause in pieces(s.content):
        clause = _LEADING.sub("", _LEADING.sub("", clause))
        if any(k in clause.lower() for k in keywords):
            return clause[:1].upper() + clause[1:] + ("" if clause.endswith((".", "!", "?")) else ".")
    return s.content


def draft_toml(issues: list[DraftIssue], examples: int = 3) -> str:
    """The issues file text (schema onrecord-issues/1) for a user to edit."""
    from onrecord.positions.stance import evaluation

    lines = ['# Drafted by `onrecord issues draft` from the corpus\'s attributed statements. Edit before use:',
             "# name each issue's question and stances, keep the examples that state a stance, add keywords.",
             'schema = "onrecord-issues/1"', ""]
    for issue in issues:
        sides: dict[str, list[tuple[float, str]]] = {"for": [], "against": []}
        topic = frozenset(w for k in issue.keywords for w in k.lower().split())  # the subject is not a judgement
        for s in issue.statements:
            value = evaluation(s.content, s.cue, topic)
            if value:
                sides["for" if value > 0 else "against"].append((abs(value), _phrasing(s, issue.keywords)))
        picked = {k: [t for _, t in sorted(v, key=lambda x: (-x[0], len(x[1])))] for k, v in sides.items()}
        picked = {k: list(dict.fromkeys(v))[:examples] for k, v in picked.items()}
        generated = set()
        for side, other in (("for", "against"), ("against", "for")):
            if not picked[side]:
                negated = [n for n in (negate(t) for t in picked[other]) if n]
                picked[side] = negated or [f"(edit: a phrasing {side} {issue.keywords[0]})"]
                generated.add(side)
        speakers = len({s.actor for s in issue.statements})
        lines += [f"# {len(issue.statements)} statements by {speakers} speakers use: {', '.join(issue.keywords)}",
                  "[[issues]]", f"id = {_toml(issue.id)}",
                  f"question = {_toml('What do speakers say about ' + issue.keywords[0] + '?')}",
                  f"keywords = [{', '.join(_toml(k) for k in issue.keywords)}]", ""]
        for side, score in (("for", -1.0), ("against", 1.0)):
            note = "  # generated by negating the other side: edit" if side in generated else ""
            lines += ["  [[issues.stances]]", f'  id = "{side}"', f"  score = {score}{note}",
                      "  examples = [" + ",\n              ".join(_toml(t) for t in picked[side]) + "]", ""]
    return "\n".join(lines)


def run_draft(args: argparse.Namespace) -> int:
    said = statements(args)
    if not said:
        raise InputError("no attributed statements to draft issues from")
    if getattr(args, "by", "embeddings") == "terms":
        found = find_issues(said, args.max_issues, args.min_statements)
    else:
        from onrecord.positions.encoder import load_transformer

        found = cluster_issues(said, load_transformer(), args.max_issues, args.min_statements)
    if not found:
        raise InputError(f"no group of {args.min_statements}+ statements by two or more speakers shares a subject")
    text = draft_toml(found)
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as out:
                out.write(text)
        except OSError as exc:
            raise InputError(f"{args.out}: cannot write ({exc.strerror})") from None
        print(f"{len(found)} issues from {len(said)} statements written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def check(args: argparse.Namespace) -> dict[str, Any]:
    """Per issue and stance: the statements the reader would take, and the near misses."""
    from onrecord.positions.encoder import load_encoder, load_transformer
    from onrecord.positions.issues import load_issues
    from onrecord.positions.match import Statement, per_article
    from onrecord.positions.stance import load_reader, readings

    issues = load_issues(args.issues)
    said = statements(args)
    by_key = {s.key: s for s in said}
    reader = load_reader()
    taken: dict[tuple[str, str], dict[tuple[str, str], dict[str, Any]]] = defaultdict(dict)
    near: dict[str, dict[tuple[str, str], dict[str, Any]]] = defaultdict(dict)
    gated: Counter[str] = Counter()
    seen: set[tuple[Any, str]] = set()
    read = [Statement(s.key, s.actor, s.content, s.cue, s.context, s.before) for s in said]
    for r in (r for group in per_article(read) for r in readings(group, issues, load_encoder(), reader)):
        key = r.statement.key
        if (key, r.issue.id) not in seen:
            seen.add((key, r.issue.id))
            gated[r.issue.id] += 1
        k, p = r.best, float(r.probabilities[r.best])
        s = by_key[key]  # type: ignore[index]
        row = {"speaker": s.speaker, "stance": r.issue.stances[k].id, "confidence": round(p, 3),
               "clause": r.clause, "article": key[0], "attribution": key[1]}
        slot = taken[(r.issue.id, row["stance"])] if p >= reader.threshold else near[r.issue.id]
        if key not in slot or slot[key]["confidence"] < p:  # type: ignore[index]
            slot[key] = row  # type: ignore[index]
    unkeyed = _unkeyed(said, issues, load_transformer())  # its threshold is a cosine of the transformer
    out = []
    for issue in issues.issues:
        stances = []
        for st in issue.stances:
            rows = sorted(taken[(issue.id, st.id)].values(), key=lambda x: -x["confidence"])
            stances.append({"id": st.id, "n": len(rows), "statements": rows})
        took = {k for st in issue.stances for k in taken[(issue.id, st.id)]}
        misses = sorted((v for k, v in near[issue.id].items() if k not in took), key=lambda x: -x["confidence"])
        out.append({"id": issue.id, "question": issue.question, "gated": gated[issue.id], "stances": stances,
                    "near_misses": misses, "without_keyword": unkeyed.get(issue.id, [])})
    return {"statements": len(said), "threshold": reader.threshold, "issues": out}


UNKEYED_SIMILARITY = 0.5  # a statement this close to an issue's examples is worth a look for a missing keyword


def _unkeyed(said: list[Said], issues: Any, encoder: Any, top: int = 10) -> dict[str, list[dict[str, Any]]]:
    """Per issue, statements none of its keywords gates but whose content lies close to its examples (cosine
    ≥ UNKEYED_SIMILARITY): where a keyword is missing. Only ``check`` pays for embedding them."""
    import numpy as np

    from onrecord.positions.match import _exemplars

    pending = [(n, s) for n, s in enumerate(said) if not all(i.gated(s.content) for i in issues.issues)]
    if not pending:
        return {}
    vectors = np.asarray(encoder.encode([s.content for _, s in pending]), dtype=np.float32)
    examples = _exemplars(issues, encoder, implicit_opposites=True)
    out: dict[str, list[dict[str, Any]]] = {}
    for issue in issues.issues:
        sims = (vectors @ examples[issue.id].vectors.T).max(axis=1)
        rows = [{"speaker": s.speaker, "similarity": round(float(sim), 3), "text": s.content,
                 "article": s.key[0], "attribution": s.key[1]}
                for (_, s), sim in zip(pending, sims, strict=True)
                if sim >= UNKEYED_SIMILARITY and not issue.gated(s.content)]
        out[issue.id] = sorted(rows, key=lambda r: -r["similarity"])[:top]
    return out


def render_check(result: dict[str, Any], shown: int) -> str:
    lines = []
    for issue in result["issues"]:
        lines.append(f"{issue['id']} — {issue['question']}  ({issue['gated']} statements carry a keyword)")
        for st in issue["stances"]:
            lines.append(f"  {st['id']}: {st['n']} statement{'s' if st['n'] != 1 else ''}")
            for row in st["statements"][:shown]:
                lines.append(f"    {row['confidence']:.2f}  {row['speaker']}: “{row['clause']}”")
        if issue["near_misses"]:
            lines.append(f"  near misses (below {result['threshold']}): {len(issue['near_misses'])}")
            for row in issue["near_misses"][:shown]:
                lines.append(f"    {row['confidence']:.2f}  {row['stance']}?  {row['speaker']}: “{row['clause']}”")
        if issue["without_keyword"]:
            lines.append(f"  close to the examples but without a keyword: {len(issue['without_keyword'])}")
            for row in issue["without_keyword"][:shown]:
                lines.append(f"    {row['similarity']:.2f}  {row['speaker']}: “{row['text']}”")
        lines.append("")
    lines.append(f"{result['statements']} statements read")
    return "\n".join(lines) + "\n"


def run_check(args: argparse.Namespace) -> int:
    result = check(args)
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        sys.stdout.write(render_check(result, args.show))
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("issues", help="draft an issues file from a corpus, or check what its stances take",
                              description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="issues_command", required=True)
    d = sub.add_parser("draft", help="propose issues, stances and example phrasings from a corpus")
    d.add_argument("files", nargs="*", help="records (.jsonl from onrecord analyze) or article files")
    d.add_argument("--store", metavar="DB", help="a store made by onrecord ingest")
    d.add_argument("--max-issues", type=int, default=8, metavar="N")
    d.add_argument("--by", choices=("embeddings", "terms"), default="embeddings",
                   help="group statements by meaning (default) or by the terms they share")
    d.add_argument("--min-statements", type=int, default=3, metavar="N",
                   help="a term must recur in at least N statements (default 3)")
    d.add_argument("--out", metavar="FILE", help="write the issues file here (default stdout)")
    d.set_defaults(func=run_draft)
    c = sub.add_parser("check", help="per stance, the statements the stance reader would take")
    c.add_argument("issues", metavar="ISSUES", help="the issues file")
    c.add_argument("files", nargs="*", help="records (.jsonl from onrecord analyze) or article files")
    c.add_argument("--store", metavar="DB", help="a store made by onrecord ingest")
    c.add_argument("--show", type=int, default=5, metavar="N", help="statements shown per stance (default 5)")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.set_defaults(func=run_check)
