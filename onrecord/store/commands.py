"""The corpus commands: ``ingest``, ``said``, ``actors``, ``claims``, ``sql``, ``export``, ``corroborate``, ``cluster``.

    onrecord ingest articles/ feed.jsonl crawl.warc.gz --store corpus.duckdb [--jobs N] [--aliases aliases.toml]
    onrecord said "Zelensky" --about grain --since 2024-01 --store corpus.duckdb
    onrecord actors --store corpus.duckdb [--aliases aliases.toml]
    onrecord claims --unsourced --top 20 --store corpus.duckdb
    onrecord sql "SELECT outlet, count(*) FROM articles GROUP BY 1" --store corpus.duckdb
    onrecord export --store corpus.duckdb --parquet out/ --jsonl out/ --claimreview claims.jsonld
    onrecord corroborate --store corpus.duckdb          # clusters, independent outlets, conflicts across articles
    onrecord cluster 12 --store corpus.duckdb           # the statements of one cluster (or ARTICLE/STATEMENT)

    onrecord ingest feed.jsonl articles.parquet --engine ray --store corpus/ [--address auto]   # on Ray, Parquet

--store (a DuckDB file, or a Parquet store directory) defaults to $ONRECORD_STORE. Query output is a table, or
--format json (one JSON document: an array of objects), jsonl (one object per line) or csv.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

from onrecord.errors import InputError

STORE_ENV = "ONRECORD_STORE"
EXIT_FAILED = 1


# ------------------------------------------------------------------------------------------------------ output


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, list | tuple):
        return "; ".join(_cell(v) if not isinstance(v, dict) else json.dumps(v, ensure_ascii=False) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return " ".join(str(_plain(value)).split())


WIDE = {"content": 70, "text": 70, "title": 36, "url": 36, "aliases": 48, "article": 36}


def render_table(columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    """Rows as aligned columns; long cells are cut with an ellipsis (the json/csv formats keep them whole)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = []
    for i, name in enumerate(columns):
        cap = WIDE.get(name, 28)
        widths.append(min(cap, max([len(name), *(len(r[i]) for r in cells)])))

    def line(values: list[str]) -> str:
        parts = [(v if len(v) <= w else v[: w - 1] + "…").ljust(w) for v, w in zip(values, widths, strict=True)]
        return "  ".join(parts).rstrip()

    out = [line(columns), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out) + "\n"


def emit(columns: list[str], rows: list[tuple[Any, ...]], fmt: str,
         view: Callable[[list[str], list[tuple[Any, ...]]], tuple[list[str], list[tuple[Any, ...]]]] | None = None
         ) -> None:
    out = sys.stdout
    if fmt in ("json", "jsonl"):
        objects = ({c: _plain(v) for c, v in zip(columns, row, strict=True)} for row in rows)
        if fmt == "jsonl":
            for obj in objects:
                out.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
        else:  # one document, written a row at a time
            out.write("[")
            for i, obj in enumerate(objects):
                out.write(("," if i else "") + "\n" + json.dumps(obj, ensure_ascii=False, default=str))
            out.write("\n]\n" if rows else "]\n")
    elif fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(v) if isinstance(v, list | tuple | dict) else _plain(v) for v in row])
    else:
        if not rows:
            print("(nothing found)", file=sys.stderr)
            return
        cols, shown = view(columns, rows) if view else (columns, rows)
        out.write(render_table(cols, shown))
    out.flush()


def _seen(r: dict[str, Any]) -> tuple[Any, Any, str]:
    """outlets, first sighting ("date article/statement" of the cluster's first article) and corpus flags."""
    first = None
    if r.get("cluster") is not None:
        first = " ".join(str(p) for p in (_plain(r["first_seen"]), (r["first_article"] or "")[:8]) if p)
    return r.get("outlets"), first, ", ".join(r.get("corpus_flags") or [])


def _drop_empty(columns: list[str], rows: list[tuple[Any, ...]], optional: set[str]
                ) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Leave out the optional columns that are empty in every row (a store not corroborated)."""
    keep = [i for i, c in enumerate(columns) if c not in optional or any(r[i] not in (None, "") for r in rows)]
    return [columns[i] for i in keep], [tuple(r[i] for i in keep) for r in rows]


def _statement_view(columns: list[str], rows: list[tuple[Any, ...]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """said / claims --attributed as a person reads them: when, who, how, what, through whom, where."""
    out = []
    for row in rows:
        r = dict(zip(columns, row, strict=True))
        article = r["title"] or r["url"] or r["article_id"][:12]
        where = f"{r['article_id'][:8]}/{r['statement']} {r['content_start']}-{r['content_end']}"
        out.append((r["date"], r["speaker"] or r["actor"], r["form"], r["cue"], r["content"], r["via"],
                    *_seen(r), article, where))
    return _drop_empty(["date", "speaker", "form", "cue", "content", "via", "outlets", "first", "corpus", "article",
                        "where"], out, {"outlets", "first", "corpus"})


def _claims_view(columns: list[str], rows: list[tuple[Any, ...]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    out = []
    for row in rows:
        r = dict(zip(columns, row, strict=True))
        article = r["title"] or r["url"] or r["article_id"][:12]
        out.append((f"{r['checkworthiness']:.2f}" + ("*" if r["flagged"] else ""), r["text"], r["articles"],
                    *_seen(r), r["date"], r["outlet"], article,
                    f"{r['article_id'][:8]}/{r['statement']} {r['start_char']}-{r['end_char']}"))
    return _drop_empty(["score", "text", "articles", "outlets", "first", "corpus", "date", "outlet", "article",
                        "where"], out, {"outlets", "first", "corpus"})


def _cluster_view(columns: list[str], rows: list[tuple[Any, ...]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    if "source" not in columns:  # the list of clusters
        out = [(r[0], r[1], r[2], r[3], r[4], r[5], r[6], f"{r[7][:8]}/{r[8]}") for r in rows]
        return ["cluster", "outlets", "articles", "statements", "first_seen", "first_outlet", "text", "first"], out
    out = []
    for i, row in enumerate(rows):
        r = dict(zip(columns, row, strict=True))
        source = r["source"] + (f" (copy of {r['copy_of'][:8]})" if r["copy_of"] else "") if r["source"] else ""
        out.append(("first" if i == 0 else "", r["date"], r["outlet"], source, r["speaker"], r["text"],
                    r.get("matched_as") or "core", r["similarity"],
                    ", ".join(r["corpus_flags"] or []), r["title"] or r["url"],
                    f"{r['article_id'][:8]}/{r['statement']} {r['start_char']}-{r['end_char']}"))
    return _drop_empty(["", "date", "outlet", "source", "speaker", "text", "matched", "similarity", "corpus",
                        "article", "where"], out, {"corpus"})


def _actors_view(columns: list[str], rows: list[tuple[Any, ...]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    out = []
    for row in rows:
        r = dict(zip(columns, row, strict=True))
        others = [a for a in r["aliases"] or [] if a != r["name"]]
        out.append((r["name"], r["kind"], r["statements"], r["articles"], others, r["id"]))
    return ["name", "kind", "statements", "articles", "aliases", "id"], out


# ---------------------------------------------------------------------------------------------------- commands


def _store(args: argparse.Namespace) -> str:
    store = args.store or os.environ.get(STORE_ENV)
    if not store:
        raise InputError(f"which store? give --store FILE.duckdb (or set {STORE_ENV})")
    return store


def _readonly(args: argparse.Namespace, *, sandbox: bool = False) -> Any:
    from onrecord.store import schema

    return schema.connect(_store(args), read_only=True, sandbox=sandbox)


def run_ingest(args: argparse.Namespace) -> int:
    if args.engine == "ray":
        return _ingest_ray(args)
    if args.address or args.cpus or args.actors:
        raise InputError("--address, --cpus and --actors go with --engine ray")
    from onrecord.store.ingest import DEFAULT_BATCH, ingest

    summary = ingest(args.sources, _store(args), jobs=args.jobs, batch_size=args.batch_size or DEFAULT_BATCH,
                     aliases=args.aliases, max_bytes=args.max_bytes, progress=not args.quiet,
                     corroborate=args.corroborate)
    rate = summary.done / summary.seconds if summary.seconds else 0.0
    line = (f"onrecord ingest: {summary.stored} stored, {summary.skipped} already in the store, "
            f"{summary.failed} failed in {summary.seconds:.1f} s ({rate:.1f} articles/s) -> {summary.store}")
    return _ingested(line, summary)


def _ingested(line: str, summary: Any) -> int:
    """Print an ingest's summary line (and its corroboration's); the exit code says whether some failed."""
    if summary.failed:
        line += "; see: onrecord sql \"SELECT * FROM failures\""
    print(line, file=sys.stderr)
    if summary.corroboration is not None:
        _report(summary.corroboration)
    return EXIT_FAILED if summary.failed else 0


def _ingest_ray(args: argparse.Namespace) -> int:
    from onrecord.store import ray_engine

    if args.jobs is not None:
        raise InputError("--jobs is for the process pool; with --engine ray give --cpus / --actors")
    summary = ray_engine.ingest(args.sources, _store(args), address=args.address, cpus=args.cpus,
                                actors=args.actors, cpus_per_actor=args.cpus_per_actor,
                                batch_size=args.batch_size or ray_engine.DEFAULT_BATCH, aliases=args.aliases,
                                max_bytes=args.max_bytes, progress=not args.quiet, corroborate=args.corroborate)
    hosts = {w.rsplit(":", 1)[0] for w in summary.workers}
    line = (f"onrecord ingest: {summary.stored} stored, {summary.skipped} already in the store, "
            f"{summary.failed} failed in {summary.seconds:.1f} s ({summary.publish_seconds:.1f} s publishing) on "
            f"{len(summary.workers)} Ray workers ({len(hosts)} nodes) -> {summary.store}")
    code = _ingested(line, summary)
    held = getattr(summary.corroboration, "sizes", None)  # what corroboration's driver held: copy links, counts
    if held:
        sizes = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in held.items())
        print(f"onrecord corroborate: the driver held {sizes}", file=sys.stderr)
    return code


def _report(summary: Any) -> None:
    flags = ", ".join(f"{n} {code}" for code, n in summary.flags.items()) or "none"
    print(f"onrecord corroborate: {summary.articles} new articles, {summary.statements} new statements; "
          f"{summary.clusters} statements carried by 2+ articles, {summary.copies} syndicated copies, "
          f"{summary.furniture} lines of site furniture left out, {summary.verdicts} pairs judged; corpus flags: "
          f"{flags} ({summary.seconds:.1f} s)", file=sys.stderr)


def run_corroborate(args: argparse.Namespace) -> int:
    from onrecord.store import parquet_store, schema
    from onrecord.store.corroborate import corroborate

    if parquet_store.is_store(_store(args)):  # a Parquet store: corroborated again on Ray, following the setting
        from onrecord.store import ray_engine

        summary = ray_engine.corroborate_store(_store(args), paraphrase=args.paraphrase, address=args.address,
                                               cpus=args.cpus)
        _report(summary)
        steps = ", ".join(f"{k.replace('_', ' ')} {v:.1f} s" for k, v in getattr(summary, "steps", {}).items())
        print(f"onrecord corroborate: steps {steps}", file=sys.stderr)  # where the time went, step by step
        return 0
    if args.address or args.cpus:
        raise InputError("--address and --cpus go with a Parquet store (corroboration on Ray)")
    con = schema.connect(_store(args))
    with con:
        _report(corroborate(con, rebuild=args.rebuild, progress=not args.quiet, paraphrase=args.paraphrase))
    return 0


def run_cluster(args: argparse.Namespace) -> int:
    from onrecord.store import queries

    con = _readonly(args)
    with con:
        columns, rows = queries.cluster(con, args.id, about=args.about, top=args.top or None)
    emit(columns, rows, args.format, _cluster_view)
    return 0


def run_said(args: argparse.Namespace) -> int:
    from onrecord.store import queries

    con = _readonly(args)
    with con:
        columns, rows = queries.said(con, args.actor, about=args.about, since=args.since, until=args.until,
                                     outlet=args.outlet, limit=args.limit)
    emit(columns, rows, args.format, _statement_view)
    return 0


def run_actors(args: argparse.Namespace) -> int:
    from onrecord.store import queries, schema

    if args.aliases:
        from onrecord.store import canonical

        rules = canonical.load_rules(args.aliases)
        con = schema.connect(_store(args))
        with con:
            count = canonical.reapply(con, rules)
            from onrecord.store import corroborate

            corroborate.refresh(con)  # corpus flags name actors: follow the new merges (when corroborated)
        print(f"onrecord actors: {len(rules)} alias rules applied; {count} actors", file=sys.stderr)
    con = _readonly(args)
    with con:
        columns, rows = queries.actors(con, match=args.match, kind=args.kind, top=args.top or None)
    emit(columns, rows, args.format, _actors_view)
    return 0


def run_claims(args: argparse.Namespace) -> int:
    from onrecord.store import queries

    con = _readonly(args)
    with con:
        columns, rows = queries.claims(con, attributed=args.attributed, about=args.about, since=args.since,
                                       until=args.until, outlet=args.outlet, top=args.top or None,
                                       min_score=args.min_score)
    emit(columns, rows, args.format, _statement_view if args.attributed else _claims_view)
    return 0


def run_sql(args: argparse.Namespace) -> int:
    from onrecord.store import queries

    con = _readonly(args, sandbox=True)
    with con:
        from onrecord.store import parquet_store

        if parquet_store.is_store(_store(args)):
            parquet_store.check_query(con, args.query)
        columns, rows = queries.sql(con, args.query)
    if columns:
        emit(columns, rows, args.format)
    return 0


def run_export(args: argparse.Namespace) -> int:
    from onrecord.store import export

    if not (args.parquet or args.jsonl or args.claimreview):
        raise InputError("say what to write: --parquet DIR, --jsonl DIR and/or --claimreview FILE")
    con = _readonly(args)
    with con:
        for fmt, folder in (("parquet", args.parquet), ("jsonl", args.jsonl)):
            if folder:
                paths = export.export_tables(con, folder, fmt)
                print(f"onrecord export: {len(paths)} tables -> {folder}", file=sys.stderr)
        if args.claimreview:
            count = export.export_claimreview(con, args.claimreview)
            print(f"onrecord export: {count} ClaimReview items -> {args.claimreview}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------------------------------- parsers


def _common(p: argparse.ArgumentParser, *, output: bool = True) -> None:
    p.add_argument("--store", metavar="STORE",
                   help=f"a DuckDB file or a Parquet store directory (default: ${STORE_ENV})")
    if output:
        p.add_argument("--format", choices=("table", "json", "jsonl", "csv"), default="table",
                       help="table (default), json (one JSON array), jsonl (one object per line) or csv")


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--about", metavar="TEXT", help="only statements containing TEXT (or all of its words)")
    p.add_argument("--since", metavar="DATE", help="published on or after DATE (YYYY[-MM[-DD]])")
    p.add_argument("--until", metavar="DATE", help="published on or before DATE (YYYY[-MM[-DD]])")
    p.add_argument("--outlet", metavar="NAME", help="only articles whose outlet contains NAME")


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def register(subparsers: Any) -> None:
    """Add the corpus commands to the CLI."""
    fmt = argparse.RawDescriptionHelpFormatter
    p = subparsers.add_parser("ingest", help="analyse articles into a DuckDB store (parallel, resumable)",
                              description=__doc__, formatter_class=fmt)
    p.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="a folder of .txt/.html, a .jsonl/.csv file (text or html column), a .warc[.gz], or - "
                        "(JSON Lines on stdin)")
    _common(p, output=False)
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="worker processes (default: CPU cores)")
    p.add_argument("--batch-size", type=int, default=None, metavar="N",
                   help="articles per transaction (200), or per Ray batch (32)")
    p.add_argument("--aliases", metavar="FILE", help="actor merges and splits (TOML), kept in the store")
    p.add_argument("--max-bytes", type=int, default=None, metavar="N", help="refuse articles larger than N bytes")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--corroborate", action=argparse.BooleanOptionalAction, default=None,
                   help="then cluster the new statements and refresh corpus conflicts (default: when the store "
                        "has been corroborated before)")
    ray = p.add_argument_group("on a Ray cluster, into a directory of Parquet datasets (docs/distributed.md)")
    ray.add_argument("--engine", choices=("duckdb", "ray"), default="duckdb",
                     help="duckdb: one machine, one DuckDB file (default); ray: Ray Data, a Parquet store directory")
    ray.add_argument("--address", metavar="ADDR", help="join this Ray cluster (auto, ray://host:port); default: "
                                                       "start a local Ray")
    ray.add_argument("--cpus", type=int, default=None, metavar="N", help="CPUs of the local Ray (2)")
    ray.add_argument("--actors", type=int, default=None, metavar="N",
                     help="analysis actors (default: the cluster's CPUs / --cpus-per-actor)")
    ray.add_argument("--cpus-per-actor", type=float, default=1, metavar="N", help="CPUs each actor reserves (1)")
    p.set_defaults(func=run_ingest)

    p = subparsers.add_parser("said", help="what an actor said across the corpus, newest first")
    p.add_argument("actor", metavar="ACTOR", help="name, id or alias (case-insensitive)")
    _filters(p)
    p.add_argument("--limit", type=_count, default=None, metavar="N")
    _common(p)
    p.set_defaults(func=run_said)

    p = subparsers.add_parser("actors", help="the actors of the corpus: statements, articles, aliases")
    p.add_argument("--aliases", metavar="FILE", help="apply these merges and splits (TOML) to the store first")
    p.add_argument("--match", metavar="NAME", help="only actors matching NAME")
    p.add_argument("--kind", choices=("person", "organization", "group", "document", "unknown"))
    p.add_argument("--top", type=_count, default=50, metavar="N", help="at most N actors (50; 0 = all)")
    _common(p)
    p.set_defaults(func=run_actors)

    p = subparsers.add_parser("claims", help="check-worthy unsourced statements across the corpus")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--unsourced", action="store_true",
                       help="unsourced statements, most check-worthy first (the default)")
    scope.add_argument("--attributed", action="store_true", help="attributed statements instead, newest first")
    p.add_argument("--top", type=_count, default=20, metavar="N", help="at most N (20; 0 = all)")
    p.add_argument("--min-score", type=float, default=None, metavar="X", help="check-worthiness at least X")
    _filters(p)
    _common(p)
    p.set_defaults(func=run_claims)

    p = subparsers.add_parser("sql", help="run a read-only SQL query on the store")
    p.add_argument("query", metavar="SQL")
    _common(p)
    p.set_defaults(func=run_sql)

    p = subparsers.add_parser("export", help="write the store as Parquet / JSON Lines, or ClaimReview JSON-LD")
    _common(p, output=False)
    p.add_argument("--parquet", metavar="DIR", help="one .parquet file per table")
    p.add_argument("--jsonl", metavar="DIR", help="one .jsonl file per table")
    p.add_argument("--claimreview", metavar="FILE", help="statements as schema.org ClaimReview JSON-LD")
    p.set_defaults(func=run_export)

    p = subparsers.add_parser("corroborate", help="cluster statements across articles, count independent outlets, "
                                                  "flag conflicts with the rest of the store")
    _common(p, output=False)
    p.add_argument("--rebuild", action="store_true", help="forget earlier clusters and start again")
    p.add_argument("--paraphrase", action=argparse.BooleanOptionalAction, default=None,
                   help="also link claims told in other words (embeddings + verdict model; experimental, off in a "
                        "new store; kept in the store for later runs)")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.add_argument("--address", help="on a Parquet store: the Ray cluster to join (default: a local Ray)")
    p.add_argument("--cpus", type=int, help="on a Parquet store: CPUs of a local Ray (default 2)")
    p.set_defaults(func=run_corroborate)

    p = subparsers.add_parser("cluster", help="the statements of one cluster, or the most corroborated clusters")
    p.add_argument("id", nargs="?", metavar="ID", help="a cluster id, or ARTICLE/STATEMENT (article id or prefix)")
    p.add_argument("--about", metavar="TEXT", help="without ID: only clusters whose text contains TEXT")
    p.add_argument("--top", type=_count, default=20, metavar="N", help="without ID: at most N clusters (20; 0 = all)")
    _common(p)
    p.set_defaults(func=run_cluster)
