"""Questions to the store: who said what (``said``), who is on the record (``actors``), which unsourced
statements are worth checking (``claims``), and anything else in SQL (``sql``, read-only).

Each function returns ``(columns, rows)``; ``commands`` prints them as a table, JSON Lines or CSV.
Nothing here loads spaCy: queries start fast.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Any

import duckdb

from onrecord.errors import InputError, OnrecordError

Result = tuple[list[str], list[tuple[Any, ...]]]

# The same folding as the slug of a name (ascii, lower case, hyphens), in SQL.
FOLD = "trim(regexp_replace(lower(strip_accents({0})), '[^a-z0-9]+', '-', 'g'), '-')"


def parse_day(value: str | None, *, end: bool = False) -> date | None:
    """YYYY, YYYY-MM or YYYY-MM-DD as the first (or, with ``end``, the last) day it covers."""
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\s*", value)
    if not match:
        raise InputError(f"not a date: {value!r} (write YYYY-MM-DD, YYYY-MM or YYYY)")
    year, month, day = int(match[1]), match[2], match[3]
    try:
        if day is not None:
            return date(year, int(month), int(day))
        if month is not None:
            m = int(month)
            return date(year, m, calendar.monthrange(year, m)[1] if end else 1)
        return date(year, 12, 31) if end else date(year, 1, 1)
    except ValueError:
        raise InputError(f"not a date: {value!r}") from None


def _filters(about: str | None, since: str | None, until: str | None, outlet: str | None,
             text: str) -> tuple[list[str], list[Any]]:
    """WHERE clauses for the common options; ``text`` is the column holding the statement."""
    where: list[str] = []
    params: list[Any] = []
    if about:
        words = re.findall(r"\w+", about)
        if not words:
            raise InputError("--about needs a word to look for")
        # the phrase anywhere, or every word at the start of a word ("tariff" finds "tariffs")
        word_tests = " AND ".join(f"regexp_matches({text}, ?, 'i')" for _ in words)
        where.append(f"(contains(lower({text}), lower(?)) OR ({word_tests}))")
        params.extend([about.strip(), *(r"\b" + re.escape(w) for w in words)])
    first, last = parse_day(since), parse_day(until, end=True)
    if first and last and first > last:
        raise InputError(f"--since {since} is after --until {until}")
    if first:
        where.append("a.published_date >= ?")
        params.append(first)
    if last:
        where.append("a.published_date <= ?")
        params.append(last)
    if outlet:
        where.append("contains(lower(coalesce(a.outlet, '')), lower(?))")
        params.append(outlet.strip())
    return where, params


def _run(con: duckdb.DuckDBPyConnection, query: str, params: list[Any]) -> Result:
    cursor = con.execute(query, params)
    columns = [d[0] for d in cursor.description]
    return columns, cursor.fetchall()


def match_actors(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    """Ids of the actors ``name`` designates: by id, name or alias (case and accents ignored); failing that,
    every actor whose name or an alias contains it; failing that, whose surname is spelled like it."""
    q = name.strip()
    if not q:
        raise InputError("an actor's name, id or alias is needed")
    exact = con.execute(
        f"SELECT id FROM actors WHERE lower(id) = lower($1) OR {FOLD.format('name')} = {FOLD.format('$1')} "
        f"OR list_contains(list_transform(aliases, lambda x: {FOLD.format('x')}), {FOLD.format('$1')}) ORDER BY id",
        [q]).fetchall()
    if exact:
        return [r[0] for r in exact]
    partial = con.execute(
        "SELECT id FROM actors WHERE contains(lower(name), lower($1)) "
        "OR len(list_filter(aliases, lambda x: contains(lower(x), lower($1)))) > 0 ORDER BY id", [q]).fetchall()
    if partial:
        return [r[0] for r in partial]
    # a spelling variant of a surname (Zelenskyy for Zelensky): same first four letters, close in spelling
    last = FOLD.format("regexp_extract(x, '(\\S+)\\s*$', 1)")
    close = con.execute(
        f"SELECT id FROM actors WHERE len(list_filter(list_append(aliases, name), lambda x: "
        f"left({last}, 4) = left({FOLD.format('$1')}, 4) "
        f"AND jaro_winkler_similarity({last}, {FOLD.format('$1')}) >= 0.9)) > 0 ORDER BY id", [q]).fetchall()
    return [r[0] for r in close]


STATEMENT_COLUMNS = """a.published_date AS date, ac.name AS actor, t.speaker_name AS speaker, t.speaker_kind,
    t.form, t.cue, t.content, t.via_chain AS via, a.outlet, a.title, a.url, t.article_id, t.id AS statement,
    t.content_start, t.content_end"""


def said(con: duckdb.DuckDBPyConnection, actor: str, *, about: str | None = None, since: str | None = None,
         until: str | None = None, outlet: str | None = None, limit: int | None = None) -> Result:
    """Statements of one actor, newest first."""
    ids = match_actors(con, actor)
    if not ids:
        raise OnrecordError(f"no actor matches {actor!r} (list them with: onrecord actors)")
    where, params = _filters(about, since, until, outlet, "t.content")
    where.insert(0, "t.actor_id IN (SELECT unnest(?::VARCHAR[]))")
    params.insert(0, ids)
    return _run(con, f"""
        SELECT {STATEMENT_COLUMNS}
        FROM attributions t JOIN articles a ON a.id = t.article_id LEFT JOIN actors ac ON ac.id = t.actor_id
        WHERE {' AND '.join(where)}
        ORDER BY a.published_date DESC NULLS LAST, a.seq DESC, t.content_start
        {_limit(limit)}""", params)


def actors(con: duckdb.DuckDBPyConnection, *, match: str | None = None, kind: str | None = None,
           top: int | None = None) -> Result:
    """Canonical actors with how many statements and articles they have, most quoted first."""
    where, params = ["TRUE"], []
    if match:
        ids = match_actors(con, match)
        where.append("ac.id IN (SELECT unnest(?::VARCHAR[]))")
        params.append(ids)
    if kind:
        where.append("ac.kind = ?")
        params.append(kind)
    return _run(con, f"""
        WITH s AS (SELECT actor_id, count(*) AS n FROM attributions WHERE actor_id IS NOT NULL GROUP BY 1),
             m AS (SELECT actor_id, count(DISTINCT article_id) AS n FROM mentions WHERE actor_id IS NOT NULL
                   GROUP BY 1)
        SELECT ac.id, ac.name, ac.kind, coalesce(s.n, 0) AS statements, coalesce(m.n, 0) AS articles, ac.aliases
        FROM actors ac LEFT JOIN s ON s.actor_id = ac.id LEFT JOIN m ON m.actor_id = ac.id
        WHERE {' AND '.join(where)}
        ORDER BY statements DESC, articles DESC, ac.name, ac.id
        {_limit(top)}""", params)


def claims(con: duckdb.DuckDBPyConnection, *, attributed: bool = False, about: str | None = None,
           since: str | None = None, until: str | None = None, outlet: str | None = None, top: int | None = None,
           min_score: float | None = None) -> Result:
    """Unsourced statements, most check-worthy first, one row per distinct text (``articles`` counts where it
    appears; the other columns describe its first appearance). ``attributed``: attributed statements instead,
    newest first."""
    if attributed:
        where, params = _filters(about, since, until, outlet, "t.content")
        return _run(con, f"""
            SELECT {STATEMENT_COLUMNS}
            FROM attributions t JOIN articles a ON a.id = t.article_id LEFT JOIN actors ac ON ac.id = t.actor_id
            WHERE {' AND '.join(where) or 'TRUE'}
            ORDER BY a.published_date DESC NULLS LAST, a.seq DESC, t.content_start
            {_limit(top)}""", params)
    where, params = _filters(about, since, until, outlet, "u.text")
    if min_score is not None:
        where.append("u.checkworthiness >= ?")
        params.append(min_score)
    return _run(con, f"""
        WITH u AS (SELECT u.*, a.seq, a.published_date, a.outlet, a.title, a.url
                   FROM unsourced u JOIN articles a ON a.id = u.article_id
                   WHERE {' AND '.join(where) or 'TRUE'}),
             g AS (SELECT text, max(checkworthiness) AS checkworthiness, count(DISTINCT article_id) AS articles,
                          bool_or(list_contains(flags, 'unsourced-claim')) AS flagged
                   FROM u GROUP BY text),
             f AS (SELECT * FROM u QUALIFY row_number() OVER (PARTITION BY text ORDER BY seq, start_char) = 1)
        SELECT g.checkworthiness, g.flagged, g.text, g.articles, f.published_date AS date, f.outlet, f.title, f.url,
               f.article_id, f.id AS statement, f.start_char, f.end_char
        FROM g JOIN f ON f.text = g.text
        ORDER BY g.checkworthiness DESC, g.articles DESC, g.text
        {_limit(top)}""", params)


def sql(con: duckdb.DuckDBPyConnection, query: str) -> Result:
    """Any query on a read-only connection."""
    try:
        cursor = con.execute(query)
    except duckdb.Error as exc:
        raise InputError(str(exc).splitlines()[0]) from None
    if cursor.description is None:
        return [], []
    return [d[0] for d in cursor.description], cursor.fetchall()


def _limit(n: int | None) -> str:
    if n is None:
        return ""
    if n < 0:
        raise InputError("a limit must be 0 or more")
    return f"LIMIT {int(n)}"
