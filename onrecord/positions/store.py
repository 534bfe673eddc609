"""Positions over a store: read the stored attributions, write the matched stances into ``positions``.

Rows written here have ``origin = 'issues'`` (rows from an article's own record keep ``origin = 'record'``).
A run replaces the ``issues`` rows of the issues it matched, so the table always reflects the last issues file
used for each issue id.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from onrecord.positions.issues import slug
from onrecord.positions.match import Match
from onrecord.positions.timeline import dateline_date, parse_date
from onrecord.store import schema

ORIGIN = "issues"

_QUERY = """
SELECT a.article_id, a.id, a.actor_id, coalesce(ac.name, a.speaker_name), a.speaker_name, a.speaker_role,
       a.speaker_local, a.cue, a.content, ar.published_date, ar.published, ar.title, a.speaker_kind, ar.outlet, ar.text
FROM attributions a
JOIN articles ar ON ar.id = a.article_id
LEFT JOIN actors ac ON ac.id = a.actor_id
WHERE (a.actor_id IS NOT NULL OR a.speaker_kind IN ('group', 'organization', 'document')) AND a.content IS NOT NULL
ORDER BY ar.seq, a.article_id, a.content_start, a.id
"""


def stored_statements(path: str | Path) -> list[dict[str, object]]:
    """Every stored attribution whose speaker can hold a position (a known actor, or a group, organisation or
    document by its name), with its article's date and where that came from (metadata, or the dateline)."""
    con = schema.connect(path, read_only=True)
    try:
        rows = con.execute(_QUERY).fetchall()
    finally:
        con.close()
    out = []
    for (article, attribution, actor, actor_name, speaker, role, local, cue, content, day, published,
         title, kind, outlet, text) in rows:
        holder = actor or slug(speaker or "")
        if not holder:
            continue
        date, source = (day or parse_date(published), "metadata") if (day or parse_date(published)) else (
            dateline_date(text or ""), "dateline")
        out.append({
            "article": article, "attribution": attribution, "actor": holder, "actor_name": actor_name or speaker,
            "speaker": speaker, "role": role, "local_actor": local, "cue": cue, "content": content,
            "date": date, "date_source": source if date else None, "title": title, "outlet": outlet,
            "kind": kind,
        })
    return out


def write_positions(path: str | Path, issue_ids: Iterable[str], matches: list[Match],
                    statements: dict[tuple[str, str], dict[str, object]]) -> int:
    """Replace the ``issues`` positions of ``issue_ids`` with ``matches`` (keyed by (article, attribution))."""
    rows = []
    for m in matches:
        article, attribution = m.key  # type: ignore[misc]
        st = statements[(article, attribution)]
        rows.append({"article_id": article, "actor_id": st["actor"], "local_actor": st["local_actor"],
                     "issue": m.issue, "stance": m.stance, "attribution_id": attribution,
                     "confidence": m.confidence, "origin": ORIGIN})
    con = schema.connect(path)
    try:
        con.begin()
        try:
            con.execute("DELETE FROM positions WHERE origin = ? AND issue IN (SELECT unnest(?::VARCHAR[]))",
                        [ORIGIN, sorted(set(issue_ids))])
            schema.insert(con, schema.POSITIONS, rows)
            con.commit()
        except BaseException:
            con.rollback()
            raise
    finally:
        con.close()
    return len(rows)
