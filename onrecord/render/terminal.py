"""A record as a person reads it in a terminal: speakers and what they said, unsourced claims, flags."""

from __future__ import annotations

import textwrap
from collections import defaultdict

from onrecord.record import Attribution, Record

WIDTH = 100


def _wrap(text: str, indent: str) -> str:
    flat = " ".join(text.split())
    return textwrap.fill(flat, WIDTH, initial_indent=indent, subsequent_indent=indent)


def _speaker_key(a: Attribution) -> tuple[str, str]:
    if a.speaker is None:
        return ("(no source named)", "unknown")
    return (a.speaker.name or a.speaker.text, a.speaker.kind)


def summary(record: Record) -> str:
    """The terminal summary of a record."""
    out: list[str] = []
    title = record.article.title or record.article.url or record.article.id[:12]
    out.append(f"onrecord — {title}")
    sourced = sum(a.content.end - a.content.start for a in record.attributions)
    out.append(f"{len(record.attributions)} attributions, {len(record.unsourced)} unsourced statements, "
               f"{len(record.flags)} flags, {len(record.boilerplate)} boilerplate lines removed; "
               f"{100 * sourced / max(1, len(record.text)):.0f}% of the text is attributed")

    groups: dict[tuple[str, str], list[Attribution]] = defaultdict(list)
    for a in record.attributions:
        groups[_speaker_key(a)].append(a)
    out.append("\nWHO SAYS WHAT")
    for (name, kind), items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        roles = sorted({a.speaker.role for a in items if a.speaker and a.speaker.role})
        out.append(f"\n  {name} [{kind}]" + (f" — {'; '.join(roles)}" if roles else ""))
        for a in items:
            via = f" via {', '.join(v.name for v in a.via)}" if a.via else ""
            cue = a.cue.text if a.cue else "—"
            when = f", {a.when}" if a.when else ""
            named = f" (as “{a.speaker.text}”)" if a.speaker and a.speaker.text != name else ""
            out.append(f"    {a.id} {a.form}, cue “{cue}”{via}{when}{named}")
            out.append(_wrap(a.content.text, "        "))

    out.append("\nUNSOURCED STATEMENTS (most check-worthy first)")
    for u in sorted(record.unsourced, key=lambda u: -u.checkworthiness):
        marks = f" [{', '.join(u.flags)}]" if u.flags else ""
        out.append(f"  {u.checkworthiness:.2f}{marks}\n" + _wrap(u.text, "        "))

    out.append("\nFLAGS")
    if not record.flags:
        out.append("  none")
    for f in record.flags:
        out.append(f"  [{f.severity}] {f.code}: “{' '.join(f.text.split())[:90]}”")
        out.append(_wrap(f.explanation, "        "))

    if record.boilerplate:
        out.append("\nBOILERPLATE REMOVED")
        for b in record.boilerplate:
            out.append(f"  ({b.reason}) {' '.join(b.text.split())[:90]}")
    return "\n".join(out) + "\n"
