"""Positions over a store: rebuild each article's record from the stored rows, write the stances read from it
into ``positions``.

Rows written here have ``origin = 'issues'`` (rows from an article's own record keep ``origin = 'record'``).
A run replaces the ``issues`` rows of the issues it matched, so the table always reflects the last issues file
used for each issue id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from onrecord.positions.match import Match
from onrecord.record import Actor, Article, Attribution, Mention, Record, Span, Speaker
from onrecord.store import schema

ORIGIN = "issues"

_ARTICLE_IDS = """
SELECT id FROM articles
WHERE id IN (SELECT article_id FROM attributions UNION SELECT article_id FROM mentions) ORDER BY seq, id
"""
_ARTICLES = """
SELECT id, title, url, published, published_date, outlet, text FROM articles
WHERE id IN (SELECT unnest(?::VARCHAR[])) ORDER BY seq, id
"""
_ATTRIBUTIONS = """
SELECT article_id, id, actor_id, speaker_name, speaker_kind, speaker_role, speaker_local, speaker_text, speaker_start,
       speaker_end, cue, cue_start, cue_end, content, content_start, content_end, form, said_when
FROM attributions WHERE article_id IN (SELECT unnest(?::VARCHAR[])) AND content IS NOT NULL
ORDER BY article_id, content_start, id
"""
_MENTIONS = """
SELECT article_id, local_id, actor_id, name, kind, roles, text, start_char, end_char, mention_kind
FROM mentions WHERE article_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY article_id, local_id, start_char
"""
CHUNK = 500  # articles rebuilt at a time: the store's texts are never all in memory at once


def _span(start: int | None, end: int | None, value: str | None, text: str) -> tuple[int, int]:
    """Offsets as stored; a row written without them (by hand, not by onrecord) is placed where its text first
    occurs in the article, else at the article's end (no paragraph, no stance act overlaps it)."""
    if start is not None and end is not None:
        return start, end
    at = text.find(value) if value else -1
    return (at, at + len(value or "")) if at >= 0 else (len(text), len(text))


def stored_records(path: str | Path) -> Iterator[tuple[Record, dict[str, str], dict[str, str]]]:
    """Each stored article that has attributions or actors, rebuilt as the record it was stored from (its text,
    attributions, actors and their mentions, with the record's own actor ids), with ``local id -> canonical
    actor id`` for it and the canonical actors' names. Positions read from it are the record's (the same function
    reads both); its date is the stored ``published_date``, else the dateline (``timeline.article_date``)."""
    con = schema.connect(path, read_only=True)
    try:
        names = dict(con.execute("SELECT id, name FROM actors").fetchall())
        every = [r[0] for r in con.execute(_ARTICLE_IDS).fetchall()]
        for n in range(0, len(every), CHUNK):
            ids = every[n:n + CHUNK]
            chunk = con.execute(_ARTICLES, [ids]).fetchall()
            said: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
            for row in con.execute(_ATTRIBUTIONS, [ids]).fetchall():
                said[row[0]].append(row)
            named: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
            for row in con.execute(_MENTIONS, [ids]).fetchall():
                named[row[0]].append(row)
            for aid, title, url, published, day, outlet, text in chunk:
                record, canonical = _record(aid, title, url, published, day, outlet, text or "", said[aid], named[aid])
                yield record, canonical, names
    finally:
        con.close()


def _record(aid: str, title: str | None, url: str | None, published: str | None, day: Any, outlet: str | None,
            text: str, said: list[tuple[Any, ...]], named: list[tuple[Any, ...]]) -> tuple[Record, dict[str, str]]:
    canonical: dict[str, str] = {}
    actors: dict[str, Actor] = {}
    for _, local, actor_id, name, kind, roles, mention, start, end, mention_kind in named:
        if local is None:
            continue
        if actor_id:
            canonical[local] = actor_id
        actor = actors.setdefault(local, Actor(id=local, name=name or local, kind=kind or "unknown",
                                               roles=list(roles or [])))
        if mention is not None:
            actor.mentions.append(Mention(*_span(start, end, mention, text), mention, kind=mention_kind or "name"))
    attributions = []
    for (_, sid, actor_id, name, kind, role, local, speaker_text, s_start, s_end, cue, c_start, c_end, content,
         start, end, form, when) in said:
        if local and actor_id:
            canonical.setdefault(local, actor_id)
        content_span = Span(*_span(start, end, content, text), content)
        speaker = None
        if name or local or speaker_text:
            speaker = Speaker(*_span(s_start, s_end, speaker_text, text), speaker_text or name or "", name=name or "",
                              actor=local, kind=kind or "unknown", role=role)
        cue_span = None
        if cue:  # a cue stored without offsets sits, empty, at its content's start
            cue_span = Span(c_start, c_end, cue) if c_start is not None and c_end is not None else Span(
                content_span.start, content_span.start, cue)
        attributions.append(Attribution(id=sid, speaker=speaker, cue=cue_span, content=content_span,
                                        form=form or "indirect", when=when))
    published = day.isoformat() if day is not None else published
    article = Article(id=aid, title=title, url=url, published=published, outlet=outlet)
    return Record(article=article, text=text, attributions=attributions, actors=list(actors.values())), canonical


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
