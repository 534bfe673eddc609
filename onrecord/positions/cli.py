"""`onrecord positions`: stances per actor or party on each issue, per period, and how two sides converge.

    onrecord positions --store news.duckdb --issues examples/issues.toml --issue nato --by party
    onrecord positions --from-jsonl records.jsonl --issues issues.toml --by actor --period week
    onrecord positions ... --between russia ukraine --plot nato.png      # or .svg

Statements come from a store (``onrecord ingest``; the matched positions are written back into a DuckDB store's
``positions`` table with origin 'issues'; a Parquet store is read-only) or from JSON Lines records
(``onrecord analyze --format jsonl``).
Each article's statements are read exactly as ``onrecord analyze --issues`` reads them: its attributions whose
speaker can hold a position and its stance acts (``onrecord.positions.match.record_statements``), one stance per
holder, issue and article (``read_positions``). Dates are the articles' publication dates, else their
datelines; undated articles are counted but left out of the series.

A group's score in a period is the confidence-weighted mean of its stance scores (the scale is in the issues
file). Convergence of two groups in a period = 1 − |score_a − score_b| / (the issue's highest stance score −
its lowest): 1 = same average stance, 0 = opposite ends of the scale. With --by party and no --between, the two
parties with most positions on the issue are compared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from onrecord.errors import InputError, OnrecordError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("positions", help="stances per actor or party on each issue over time",
                              description=__doc__.split("\n\n")[0])
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--store", metavar="DB", help="a store made by onrecord ingest")
    source.add_argument("--from-jsonl", metavar="FILE", nargs="+",
                        help="records from onrecord analyze --format jsonl ('-' reads stdin)")
    p.add_argument("--issues", metavar="FILE", default="issues.toml", help="the issues file (default issues.toml)")
    p.add_argument("--issue", action="append", metavar="ID", help="only this issue (repeatable; default all)")
    p.add_argument("--by", choices=("actor", "party"), default="actor")
    p.add_argument("--period", choices=("day", "week", "month", "quarter"), default="month")
    p.add_argument("--stance-reader", choices=("reader", "embeddings"), default="reader",
                   help="the stance reader (default) or the nearest-example embeddings matcher")
    p.add_argument("--between", nargs=2, metavar=("A", "B"),
                   help="convergence between these two parties (or actor ids with --by actor)")
    p.add_argument("--min-confidence", type=float, default=0.0, metavar="X", help="ignore weaker positions")
    p.add_argument("--statements", type=int, default=3, metavar="N",
                   help="statements shown per actor/party and period (default 3; 0 hides them)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--plot", metavar="OUT", help="draw stances and convergence over time to OUT (.png or .svg)")
    p.set_defaults(func=run)
    from onrecord.positions.draft import register as register_issues

    register_issues(subparsers)  # `onrecord issues draft|check`


@dataclass
class Source:
    """What the command needs of one statement: an attribution, or a stance act (``attribution`` is then its
    ``act:START-END`` evidence id)."""

    article: str
    attribution: str
    actor: str
    actor_name: str
    content: str
    cue: str | None = None
    speaker: str | None = None
    role: str | None = None
    date: Any = None
    title: str | None = None
    context: str = ""  # the statement's paragraph (see onrecord.positions.stance.candidates)
    before: str = ""  # the article's text before it (see onrecord.positions.stance.referent)
    extra: dict[str, Any] = field(default_factory=dict)


def _jsonl_lines(paths: list[str]) -> Iterator[tuple[str, str]]:
    for path in paths:
        if path == "-":
            for n, line in enumerate(sys.stdin, 1):
                yield f"-:{n}", line
            continue
        try:
            with open(path, encoding="utf-8") as handle:
                for n, line in enumerate(handle, 1):
                    yield f"{path}:{n}", line
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def record_sources(record: Any, reader: str = "reader") -> list[Source]:
    """One record's statements as sources: exactly what ``analyze --issues`` reads of it
    (``onrecord.positions.match.record_statements``: attributions, and stance acts for the stance reader), with
    the holder's name and roles, the article's date and where that came from."""
    from onrecord.positions.match import record_statements
    from onrecord.positions.timeline import article_date

    names = {a.id: a.name for a in record.actors}
    roles = {a.id: " ".join(a.roles) for a in record.actors}
    attributions = {a.id: a for a in record.attributions}
    day, source = article_date(record)
    out = []
    for st in record_statements(record, reader):
        a = attributions.get(st.key)
        speaker = a.speaker if a is not None else None
        role = " ".join(x for x in (speaker.role if speaker else None, roles.get(st.actor)) if x) or None
        # the record's own actor id of the holder (None for a group or document held under its name)
        if a is None or (speaker is not None and speaker.actor and st.actor != speaker.actor):
            local = st.actor if st.actor in names else None  # an act, or one of two parties speaking together
        else:
            local = speaker.actor if speaker else None
        out.append(Source(article=record.article.id, attribution=str(st.key), actor=st.actor,
                          actor_name=names.get(st.actor, speaker.name if speaker else st.actor), content=st.content,
                          cue=st.cue, speaker=speaker.name if speaker else None, role=role,
                          date=dt.date.fromisoformat(st.section) if st.section else day,
                          title=record.article.title, context=st.context, before=st.before,
                          extra={"outlet": record.article.outlet, "date_source": "heading" if st.section else source,
                                 "local_actor": local, "section": st.section}))
    return out


def sources_from_jsonl(paths: list[str], reader: str = "reader") -> list[Source]:
    """The statements of records, one record per line (``record_sources``); lines with "error" are skipped."""
    from onrecord.record import Record

    out: list[Source] = []
    for where, line in _jsonl_lines(paths):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            if "error" in data:
                continue
            record = Record.from_dict(data)
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{where}: not an onrecord record ({exc})") from None
        out += record_sources(record, reader)
    return out


def sources_from_store(path: str, reader: str = "reader") -> list[Source]:
    """The statements of a store's articles, read from each article's record as stored (``stored_records``)
    exactly as from the record itself; holders are the store's canonical actors, under their canonical names."""
    from onrecord.positions.store import stored_records

    out: list[Source] = []
    for record, canonical, names in stored_records(path):
        for s in record_sources(record, reader):
            s.actor = canonical.get(s.actor, s.actor)
            s.actor_name = names.get(s.actor) or s.actor_name
            out.append(s)
    return out


def _short(text: str, width: int = 150) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _pick_pair(issues: Any, by: str, between: list[str] | None, groups: Counter[str]) -> tuple[str, str] | None:
    if between:
        a, b = between
        if by == "party":
            a, b = issues.party(a).id, issues.party(b).id
        return a, b
    if by == "party":
        top = [g for g, _ in groups.most_common(2)]
        return (top[0], top[1]) if len(top) == 2 else None
    return None


def build(args: argparse.Namespace) -> dict[str, Any]:
    """Match, group and measure: the JSON the command prints (text and plot are drawn from it)."""
    from onrecord.positions.encoder import encoder_for
    from onrecord.positions.issues import load_issues
    from onrecord.positions.match import Statement, read_positions
    from onrecord.positions.timeline import Observation, convergence, first_and_latest, series, trend

    issues = load_issues(args.issues)
    selected = [issues.get(i) for i in args.issue] if args.issue else list(issues.issues)
    if args.between and args.by == "party":
        for party in args.between:
            issues.party(party)
    if args.by == "party" and not issues.parties:
        raise InputError(f"{args.issues}: --by party needs [parties.ID] tables in the issues file")
    reader = getattr(args, "stance_reader", "reader")
    sources = sources_from_store(args.store, reader) if args.store else sources_from_jsonl(args.from_jsonl, reader)
    by_key = {(s.article, s.attribution): s for s in sources}
    statements = [Statement(key=(s.article, s.attribution), actor=s.actor, content=s.content, cue=s.cue,
                            context=s.context, before=s.before, section=s.extra.get("section", "")) for s in sources]
    # Read against the whole issues file, as analyze reads, then keep the issues asked for: a paragraph naming
    # two issues opens neither, whichever of them is asked for.
    wanted = {i.id for i in selected}
    matches = [m for m in (read_positions(statements, issues, encoder_for(reader), reader) if statements else [])
               if m.issue in wanted]
    written = None
    if args.store and not Path(args.store).is_dir():  # a Parquet store (a folder) is written only by ingest
        from onrecord.positions.store import write_positions

        written = write_positions(args.store, [i.id for i in selected], matches,
                                  {k: {"actor": s.actor, "local_actor": s.extra.get("local_actor")}
                                   for k, s in by_key.items()})

    # An actor's party from any role it holds in the corpus: a role stated once places it everywhere.
    votes: dict[str, Counter[str]] = {}
    for s in sources:
        party = issues.party_of(s.actor, s.actor_name, s.role)
        if party:
            votes.setdefault(s.actor, Counter())[party] += 1
    parties = {actor: c.most_common(1)[0][0] for actor, c in votes.items()}
    observations, undated, unassigned, weak = [], 0, 0, 0
    names: dict[str, str] = {p.id: p.name for p in issues.parties}
    for m in matches:
        s = by_key[m.key]  # type: ignore[index]
        if m.confidence < args.min_confidence:
            weak += 1
            continue
        if s.date is None:
            undated += 1
            continue
        if args.by == "party":
            group = parties.get(s.actor) or issues.party_of(s.actor, s.actor_name, s.role)
            if group is None:
                unassigned += 1
                continue
        else:
            group = s.actor
            names.setdefault(group, s.actor_name)
        issue = issues.get(m.issue)
        observations.append(Observation(group=group, issue=m.issue, stance=m.stance,
                                        score=issue.stance(m.stance).score, confidence=m.confidence, date=s.date,
                                        actor=s.actor_name, article=s.article, attribution=s.attribution,
                                        text=s.content, outlet=s.extra.get("outlet"), title=s.title,
                                        date_source=s.extra.get("date_source")))
    cells = series(observations, args.period)

    out_issues = []
    for issue in selected:
        groups = {g: c for (i, g), c in cells.items() if i == issue.id}
        counts = Counter({g: sum(len(c.observations) for c in cs) for g, cs in groups.items()})
        entry: dict[str, Any] = {
            "id": issue.id, "question": issue.question, "scale": issue.scale,
            "stances": [{"id": s.id, "label": s.label, "score": s.score} for s in issue.stances],
            "groups": [], "convergence": None,
        }
        for g in sorted(groups, key=lambda g: (-counts[g], g)):
            ends = first_and_latest([o for c in groups[g] for o in c.observations])
            entry["groups"].append({"group": g, "name": names.get(g, g), "periods": [
                {"period": c.period, "n": len(c.observations), "score": round(c.mean, 4),
                 "stances": dict(c.stances.most_common()),
                 "statements": [_statement(o) for o in c.observations]}
                for c in groups[g]],
                "first": _statement(ends[0]) if ends else None, "latest": _statement(ends[1]) if ends else None})
        pair = _pick_pair(issues, args.by, args.between, counts)
        if pair:
            a, b = pair
            conv = convergence(issue, groups.get(a, []), groups.get(b, []))
            entry["convergence"] = {
                "between": [a, b], "names": [names.get(a, a), names.get(b, b)],
                "definition": "1 - |score_a - score_b| / (max stance score - min stance score), per period",
                "periods": [{"period": c.period, "value": c.value, "score_a": c.mean_a, "score_b": c.mean_b}
                            for c in conv],
                "trend": trend(conv),
            }
        out_issues.append(entry)
    return {"by": args.by, "period": args.period, "issues": out_issues,
            "counts": {"statements": len(statements), "positions": len(matches), "undated": undated,
                       "without_party": unassigned, "below_min_confidence": weak, "written_to_store": written}}


def _statement(o: Any) -> dict[str, Any]:
    """One statement behind a position, with its provenance: article, outlet, title, date and where the date
    came from (the article's metadata or its dateline)."""
    return {"date": o.date.isoformat(), "date_source": o.date_source, "actor": o.actor, "stance": o.stance,
            "confidence": o.confidence, "article": o.article, "outlet": o.outlet, "title": o.title,
            "attribution": o.attribution, "text": o.text}


def _score(value: float | None) -> str:
    return "  —  " if value is None else f"{value:+.2f}"


def render_text(result: dict[str, Any], max_statements: int) -> str:
    lines: list[str] = []
    for issue in result["issues"]:
        stances = ", ".join(f"{s['id']} ({s['score']:+g})" for s in issue["stances"])
        lines += [f"{issue['id']} — {issue['question']}", f"  stances: {stances}"]
        if issue["scale"]:
            lines.append(f"  scale: {issue['scale']}")
        if not issue["groups"]:
            lines += ["  (no dated positions)", ""]
            continue
        for group in issue["groups"]:
            label = group["name"] if group["name"] == group["group"] else f"{group['name']} ({group['group']})"
            lines += ["", f"  {label}", f"    {'period':<9} {'n':>3}  score  stances"]
            for p in group["periods"]:
                st = ", ".join(f"{k}×{v}" for k, v in p["stances"].items())
                lines.append(f"    {p['period']:<9} {p['n']:>3}  {_score(p['score'])}  {st}")
                shown = p["statements"][:max_statements]
                for s in shown:
                    source = "" if s["date_source"] in (None, "metadata") else f" ({s['date_source']})"
                    lines.append(f"        {s['date']}{source}  {s['stance']} {s['confidence']:.2f}  {s['actor']}: "
                                 f"“{_short(s['text'])}”  [{s['outlet'] or s['article'][:12]} {s['attribution']}]")
                if max_statements and len(p["statements"]) > len(shown):
                    lines.append(f"        … and {len(p['statements']) - len(shown)} more")
            first, latest = group["first"], group["latest"]
            if first and latest and (first["article"], first["attribution"]) != (latest["article"],
                                                                                  latest["attribution"]):
                lines.append(f"    first  {first['date']}  {first['stance']:<14} “{_short(first['text'], 70)}”")
                lines.append(f"    latest {latest['date']}  {latest['stance']:<14} “{_short(latest['text'], 70)}”")
        conv = issue["convergence"]
        if conv:
            a, b = conv["names"]
            lines += ["", f"  convergence {a} ↔ {b}  (1 − |score difference| / scale range; 1 = same stance)"]
            for p in conv["periods"]:
                value = "  —  " if p["value"] is None else f"{p['value']:.2f} "
                note = f"{a} {_score(p['score_a'])}, {b} {_score(p['score_b'])}"
                lines.append(f"    {p['period']:<9} {value}  ({note})")
            if conv["trend"]:
                lines.append(f"    {a} and {b}: {conv['trend']}")
        lines.append("")
    c = result["counts"]
    summary = (f"{c['positions']} positions from {c['statements']} statements of known actors; "
               f"{c['undated']} undated")
    if result["by"] == "party":
        summary += f", {c['without_party']} by actors of no party"
    if c["below_min_confidence"]:
        summary += f", {c['below_min_confidence']} below --min-confidence"
    if c["written_to_store"] is not None:
        summary += f"; {c['written_to_store']} written to the store"
    lines.append(summary)
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    if args.statements < 0:
        raise OnrecordError("--statements must be 0 or more")
    if args.plot and Path(args.plot).suffix.lower() not in (".png", ".svg"):
        raise InputError(f"{args.plot}: --plot writes .png or .svg")  # before the slow part, not after
    result = build(args)
    if args.plot:
        from onrecord.positions.plot import plot

        plot(result, args.plot)
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    else:
        sys.stdout.write(render_text(result, args.statements))
    return 0
