"""`onrecord report`: the HTML report of one article (one self-contained file that works offline).

    onrecord report article.txt -o report.html
    onrecord report page.html > report.html
    cat article.txt | onrecord report - -o report.html

Over a store (``onrecord ingest``), see onrecord.render.corpus:

    onrecord report --store corpus.duckdb --actor "Carla Mendes" -o mendes.html
    onrecord report --store corpus.duckdb --positions --issues issues.toml [--issue ID] [--by party] -o pos.html
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from onrecord.errors import OnrecordError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` subcommand."""
    parser = subparsers.add_parser("report", help="the HTML report of one article (.txt or .html; '-' reads stdin)")
    parser.add_argument("file", nargs="?", default="-", help="the article; '-' or nothing reads stdin")
    parser.add_argument("-o", "--output", default="-", help="where to write the report (default: stdout)")
    parser.add_argument("--title", default=None, help="heading of the report (default: the article's title)")
    parser.add_argument("--max-bytes", type=int, default=None,
                        help="refuse inputs larger than this (default 5 MB or $ONRECORD_MAX_BYTES)")
    corpus = parser.add_argument_group("corpus reports (instead of an article)")
    corpus.add_argument("--store", metavar="DB", default=None, help="a store made by onrecord ingest")
    corpus.add_argument("--actor", metavar="NAME", default=None, help="the page of one actor (name, alias or id)")
    corpus.add_argument("--positions", action="store_true", help="stances on issues over time, as charts")
    corpus.add_argument("--issues", metavar="FILE", default=None, help="the issues file (for --positions)")
    corpus.add_argument("--issue", action="append", metavar="ID", help="only this issue (repeatable)")
    corpus.add_argument("--by", choices=("actor", "party"), default="actor", help="group positions by")
    corpus.add_argument("--period", choices=("day", "week", "month", "quarter"), default="month")
    corpus.add_argument("--limit", type=int, default=None, metavar="N", help="--actor: newest N statements only")
    parser.set_defaults(func=run)


def write_report(page: str, output: str) -> None:
    """Write ``page`` to ``output`` ('-' is stdout). A file is replaced whole or not at all."""
    data = page.encode("utf-8")
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = Path(output)
    if target.is_dir():
        raise OnrecordError(f"{target} is a directory; give a file name for the report")
    # Written beside the target and renamed, so an interrupted run never leaves half a report behind.
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent if str(target.parent) else ".")
    except OSError as exc:
        raise OnrecordError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OnrecordError(f"cannot write {target}: {exc.strerror or exc}") from None


def run_corpus(args: argparse.Namespace) -> int:
    """``report --store``: the actor page or the positions page."""
    from onrecord.render import corpus

    if args.file != "-":
        raise OnrecordError("give either an article or --store, not both")
    if bool(args.actor) == bool(args.positions):
        raise OnrecordError("--store needs either --actor NAME or --positions")
    if args.limit is not None and args.limit < 0:
        raise OnrecordError("--limit must be 0 or more")
    if args.output != "-" and not Path(args.output).resolve().parent.is_dir():
        raise OnrecordError(f"cannot write {args.output}: no such directory {Path(args.output).parent}")
    if args.actor:
        page = corpus.actor_report_html(args.store, args.actor, limit=args.limit)
    else:
        if not args.issues:
            raise OnrecordError("--positions needs --issues FILE")
        page = corpus.positions_report_html(args.store, args.issues, args.issue, args.by, period=args.period)
    write_report(page, args.output)
    return 0


def run(args: argparse.Namespace) -> int:
    from onrecord.read import read_path

    if getattr(args, "store", None):
        return run_corpus(args)
    if getattr(args, "actor", None) or getattr(args, "positions", False):
        raise OnrecordError("--actor and --positions need --store DB")
    if args.output != "-" and not Path(args.output).resolve().parent.is_dir():
        # Said before the analysis, which takes seconds, rather than after it.
        raise OnrecordError(f"cannot write {args.output}: no such directory {Path(args.output).parent}")
    document = read_path(args.file, max_bytes=args.max_bytes)
    # Imported only now: spaCy takes seconds to load, and a bad input should be refused before that.
    from onrecord.analysis import analyze
    from onrecord.render.html import report_html

    meta = {k: getattr(document, k) for k in ("id", "title", "url", "published", "outlet")}
    record = analyze(document.text, **meta)
    write_report(report_html(record, title=args.title), args.output)
    return 0
