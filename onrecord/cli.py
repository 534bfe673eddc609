"""The ``onrecord`` command: a thin layer over ``onrecord.analyze`` that composes with pipes.

    onrecord analyze article.txt                  # readable summary
    onrecord analyze --format json article.html   # the record (schema onrecord/1)
    onrecord analyze --format jsonl a.txt b.html  # one record per file, in order
    cat lines.jsonl | onrecord analyze --format jsonl -
    onrecord evaluate tests/gold                  # score against gold readings

Errors are one line on stderr and a non-zero exit; never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Iterator

from onrecord.errors import InputError, OnrecordError
from onrecord.record import CONVENTIONS, SCHEMA

# Modules that add subcommands (each has ``register(subparsers)`` setting ``func=run``).
COMMANDS = ("onrecord.evaluate", "onrecord.store.commands", "onrecord.render.report", "onrecord.positions.cli",
            "onrecord.serve.commands")

EXIT_FAILED = 1  # some documents of a batch failed (their records carry "error")
EXIT_ERROR = 2  # the command could not run: bad input or usage


def _documents(sources: list[str], max_bytes: int | None) -> Iterator[tuple[str, object]]:
    """(name, Document or InputError) for each source, in order.

    '-' reads stdin: JSON Lines (one object with "text" or "html" per line) when it starts with '{',
    streamed line by line; otherwise one article, read up to the size limit."""
    import io

    from onrecord import read

    for source in sources:
        if source == "-":
            stdin = sys.stdin.buffer
            head = stdin.peek(256)[:256] if hasattr(stdin, "peek") else b""
            if head.lstrip().startswith(b"{"):
                lines = io.TextIOWrapper(stdin, encoding="utf-8", errors="replace")
                for item in read.read_jsonl(lines, max_bytes=max_bytes):
                    yield (item.name if isinstance(item, read.Document) else "-"), item
                continue
        try:
            yield source, read.read_path(source, max_bytes=max_bytes)
        except InputError as exc:
            yield source, exc


def _error_record(name: str, message: str) -> dict[str, object]:
    return {"schema": SCHEMA, "article": {"id": None, "name": name}, "error": message}


def cmd_analyze(args: argparse.Namespace) -> int:
    from onrecord.analysis import analyze
    from onrecord.read import Document
    from onrecord.render.terminal import summary

    sources = args.files or ["-"]
    if args.format != "jsonl" and len(sources) > 1:
        raise OnrecordError("several inputs need --format jsonl (one record per line)")
    issues = None
    if args.issues:  # positions need the sentence encoder (torch): only when asked for
        from onrecord.positions import add_positions, load_issues

        issues = load_issues(args.issues)
    failed = 0
    for name, item in _documents(sources, args.max_bytes):
        try:
            if isinstance(item, InputError):
                raise item
            assert isinstance(item, Document)
            meta = {k: getattr(item, k) for k in ("id", "title", "url", "published", "outlet")}
            record = analyze(item.text, convention=args.convention, **meta)
            if issues is not None:
                record = add_positions(record, issues)
        except OnrecordError as exc:
            if args.format != "jsonl":
                raise OnrecordError(f"{name}: {exc}") from None
            failed += 1
            print(json.dumps(_error_record(name, str(exc)), ensure_ascii=False), flush=True)
            print(f"onrecord: {name}: {exc}", file=sys.stderr)
            continue
        if args.format == "text":
            sys.stdout.write(summary(record))
        elif args.format == "html":
            from onrecord.render.html import report_html

            sys.stdout.write(report_html(record))  # ASCII only, whatever the terminal's encoding
        else:
            print(record.to_json(indent=2 if args.format == "json" else None), flush=True)
    return EXIT_FAILED if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onrecord", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version="onrecord 0.1.0")
    sub = parser.add_subparsers(dest="command", required=True)

    analyze = sub.add_parser("analyze", help="the record of one or more articles (.txt, .html, JSON Lines on stdin)")
    analyze.add_argument("files", nargs="*", help="article files; '-' or nothing reads stdin")
    analyze.add_argument("--format", choices=("text", "json", "jsonl", "html"), default="text")
    analyze.add_argument("--issues", metavar="FILE", help="an issues file: add each actor's positions (see examples/)")
    analyze.add_argument("--max-bytes", type=int, default=None,
                         help="refuse inputs larger than this (default 5 MB or $ONRECORD_MAX_BYTES)")
    analyze.add_argument("--convention", choices=CONVENTIONS, default="onrecord",
                         help="what counts as an attribution: onrecord's guideline (default) or PolNeAR's, "
                              "which adds stances shown by acts and intentions")
    analyze.set_defaults(func=cmd_analyze)

    for module in COMMANDS:  # each command module adds its subparser with register(sub)
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except OnrecordError as exc:
        print(f"onrecord: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("onrecord: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the promise is one line, never a traceback; the type names the bug
        print(f"onrecord: internal error ({type(exc).__name__}): {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
