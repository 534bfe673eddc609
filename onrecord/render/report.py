"""`onrecord report`: the HTML report of one article (one self-contained file that works offline).

    onrecord report article.txt -o report.html
    onrecord report page.html > report.html
    cat article.txt | onrecord report - -o report.html
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


def run(args: argparse.Namespace) -> int:
    from onrecord.read import read_path

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
