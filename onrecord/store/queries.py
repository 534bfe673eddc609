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

# What corroboration adds to a statement (NULL until ``onrecord corroborate`` has run on the store).
CORROBORATION_COLUMNS = ("cluster", "outlets", "first_seen", "first_article", "corpus_flags")


def _has(con: duckdb.DuckDBPyConnection, table: str, column: str | None = None) -> bool:
    query = "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ?"
    params = [table]
    if column:
        query += " AND column_name = ?"
        params.append(column)
    return bool(con.execute(query, params).fetchone()[0])


def corroboration(con: duckdb.DuckDBPyConnection, alias: str, kind: str) -> tuple[str, str]:
    """(select list, joins) giving each statement of ``alias`` (attributions or unsourced, per ``kind``) its
    cluster, independent outlets, first sighting and corpus flag codes."""
    joins, columns = "", []
    if _has(con, "cluster_members") and _has(con, "clusters"):
        joins += f"""
        LEFT JOIN cluster_members cm ON cm.kind = '{kind}' AND cm.article_id = {alias}.article_id
                                    AND cm.statement_id = {alias}.id
        LEFT JOIN clusters cl ON cl.cluster_id = cm.cluster_id"""
        columns += ["cl.cluster_id", "cl.outlets", "cl.first_date", "cl.first_article_id"]
    else:
        columns += ["NULL::BIGINT", "NULL::INTEGER", "NULL::DATE", "NULL::VARCHAR"]
    if _has(con, "flags", "statement"):
        joins += f"""
        LEFT JOIN (SELECT article_id, statement, list(DISTINCT code ORDER BY code) AS codes FROM flags
                   WHERE origin = 'corpus' GROUP BY 1, 2) cf
               ON cf.article_id = {alias}.article_id AND cf.statement = {alias}.id"""
        columns.append("cf.codes")
    else:
        columns.append("NULL::VARCHAR[]")
    select = ", ".join(f"{c} AS {name}" for c, name in zip(columns, CORROBORATION_COLUMNS, strict=True))
    return select, joins


def said(con: duckdb.DuckDBPyConnection, actor: str, *, about: str | None = None, since: str | None = None,
         until: str | None = None, outlet: str | None = None, limit: int | None = None) -> Result:
    """Statements of one actor, newest first."""
    ids = match_actors(con, actor)
    if not ids:
        raise OnrecordError(f"no actor matches {actor!r} (list them with: onrecord actors)")
    where, params = _filters(about, since, until, outlet, "t.content")
    where.insert(0, "t.actor_id IN (SELECT unnest(?::VARCHAR[]))")
    params.insert(0, ids)
    extra, joins = corroboration(con, "t", "attribution")
    return _run(con, f"""
        SELECT {STATEMENT_COLUMNS}, {extra}
        FROM attributions t JOIN articles a ON a.id = t.article_id LEFT JOIN actors ac ON ac.id = t.actor_id {joins}
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
    """Unsourced statements, most check-worthy first, one row per cluster of near-identical statements (per
    distinct text when the store has not been corroborated): ``articles`` counts where it appears, ``outlets``
    the independent sources carrying it, the other columns describe its first appearance (by published date,
    then ingest order). ``attributed``: attributed statements instead, newest first."""
    if attributed:
        where, params = _filters(about, since, until, outlet, "t.content")
        extra, joins = corroboration(con, "t", "attribution")
        return _run(con, f"""
            SELECT {STATEMENT_COLUMNS}, {extra}
            FROM attributions t JOIN articles a ON a.id = t.article_id LEFT JOIN actors ac ON ac.id = t.actor_id
            {joins}
            WHERE {' AND '.join(where) or 'TRUE'}
            ORDER BY a.published_date DESC NULLS LAST, a.seq DESC, t.content_start
            {_limit(top)}""", params)
    where, params = _filters(about, since, until, outlet, "u.text")
    if min_score is not None:
        where.append("u.checkworthiness >= ?")
        params.append(min_score)
    extra, joins = corroboration(con, "u", "unsourced")
    return _run(con, f"""
        WITH u AS (SELECT u.*, a.seq, a.published_date, a.outlet, a.title, a.url, {extra}
                   FROM unsourced u JOIN articles a ON a.id = u.article_id {joins}
                   WHERE {' AND '.join(where) or 'TRUE'}),
             k AS (SELECT *, coalesce('c' || cluster, 't' || text) AS grp FROM u),
             g AS (SELECT grp, max(checkworthiness) AS checkworthiness, count(DISTINCT article_id) AS articles,
                          bool_or(list_contains(flags, 'unsourced-claim')) AS flagged,
                          list_sort(list_distinct(flatten(list(coalesce(corpus_flags, []))))) AS codes
                   FROM k GROUP BY grp),
             f AS (SELECT * FROM k QUALIFY row_number() OVER (
                       PARTITION BY grp ORDER BY published_date NULLS LAST, seq, start_char) = 1)
        SELECT g.checkworthiness, g.flagged, f.text, g.articles, f.published_date AS date, f.outlet, f.title, f.url,
               f.article_id, f.id AS statement, f.start_char, f.end_char, f.cluster, f.outlets, f.first_seen,
               f.first_article, CASE WHEN len(g.codes) > 0 THEN g.codes END AS corpus_flags
        FROM g JOIN f ON f.grp = g.grp
        ORDER BY g.checkworthiness DESC, g.articles DESC, f.text, f.article_id, f.start_char
        {_limit(top)}""", params)


CLUSTER_MEMBER_COLUMNS = """cm.cluster_id AS cluster, a.published_date AS date, a.outlet, s.source_key AS source,
    s.copy_of, cm.kind, coalesce(ac.name, t.speaker_name) AS speaker, coalesce(t.content, u.text) AS text,
    cm.how AS matched_as, cm.similarity, a.title, a.url, cm.article_id, cm.statement_id AS statement, cm.start_char,
    cm.end_char,
    cf.codes AS corpus_flags"""


def cluster(con: duckdb.DuckDBPyConnection, ref: str | None = None, *, about: str | None = None,
            top: int | None = None) -> Result:
    """The statements of one cluster (``ref``: a cluster id, or ``ARTICLE/STATEMENT`` with an article id or
    its prefix), first sighting first; without ``ref``, the clusters carried by most independent outlets."""
    if not (_has(con, "clusters") and _has(con, "cluster_members")):
        raise OnrecordError("the store has no clusters yet (run: onrecord corroborate --store …)")
    if ref is None:
        where, params = _filters(about, None, None, None, "c.text")
        return _run(con, f"""
            SELECT c.cluster_id AS cluster, c.outlets, c.articles, c.size AS statements, c.first_date AS first_seen,
                   c.first_outlet, c.text, c.first_article_id AS first_article, c.first_statement_id AS first_statement
            FROM clusters c WHERE c.articles > 1 {''.join(' AND ' + w for w in where)}
            ORDER BY c.outlets DESC, c.articles DESC, c.first_date NULLS LAST, c.cluster_id
            {_limit(top)}""", params)
    ref = ref.strip()
    if re.fullmatch(r"\d+", ref):
        cluster_id = int(ref)
    else:
        article, _, statement = ref.rpartition("/")
        if not article or not statement:
            raise InputError(f"not a cluster: {ref!r} (give a cluster id, or ARTICLE/STATEMENT such as 3fa2c9/a2)")
        found = con.execute("SELECT DISTINCT cluster_id FROM cluster_members WHERE starts_with(article_id, ?) "
                            "AND statement_id = ?", [article, statement]).fetchall()
        if len(found) > 1:
            raise InputError(f"{ref!r} names statements of several articles: give more of the article id")
        cluster_id = found[0][0] if found else -1
    codes = "(SELECT NULL AS article_id, NULL AS statement, NULL::VARCHAR[] AS codes)"
    if _has(con, "flags", "statement"):
        codes = ("(SELECT article_id, statement, list(DISTINCT code ORDER BY code) AS codes FROM flags "
                 "WHERE origin = 'corpus' GROUP BY 1, 2)")
    result = _run(con, f"""
        SELECT {CLUSTER_MEMBER_COLUMNS}
        FROM cluster_members cm JOIN articles a ON a.id = cm.article_id
        LEFT JOIN article_sources s ON s.article_id = cm.article_id
        LEFT JOIN attributions t ON cm.kind = 'attribution' AND t.article_id = cm.article_id AND t.id = cm.statement_id
        LEFT JOIN actors ac ON ac.id = t.actor_id
        LEFT JOIN unsourced u ON cm.kind = 'unsourced' AND u.article_id = cm.article_id AND u.id = cm.statement_id
        LEFT JOIN {codes} cf ON cf.article_id = cm.article_id AND cf.statement = cm.statement_id
        WHERE cm.cluster_id = ?
        ORDER BY a.published_date NULLS LAST, a.seq, cm.start_char""", [cluster_id])
    if not result[1]:
        raise OnrecordError(f"no cluster {ref!r} (list them with: onrecord cluster --store …)")
    return result


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
