"""Sources for ``onrecord ingest``: folders, JSON Lines, CSV, WARC and stdin, streamed as small work items.

The main process only walks folders and splits files into items (a path, one line, one CSV row, one WARC
response body); reading (decoding, HTML extraction, validation) happens in the workers with ``read_item``.
Items come out in a fixed order (folders sorted, files front to back), which makes ingest deterministic.
A problem with one item (a line too long, a row without text) becomes an item that carries its error, so it
is recorded as a failure in its place and the rest of the source still goes in.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from onrecord import read
from onrecord.errors import InputError

ARTICLE_SUFFIXES = {".txt", ".html", ".htm", ".xhtml"}
# where feeds put an article's date, first found wins (schema.org's datePublished, RSS's pubDate, …)
DATE_FIELDS = ("published", "date", "published_at", "datePublished", "pubDate")
KNOWN_FIELDS = frozenset({"text", "html", *read.METADATA_FIELDS, *DATE_FIELDS})
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
CSV_SUFFIXES = {".csv"}
WARC_SUFFIXES = (".warc", ".warc.gz")
HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass
class Item:
    """One article to read: where it came from and what to read it from."""

    source: str  # the SOURCE argument
    name: str  # file, "file:line", "file#offset"
    kind: str  # file | json | row | html | error
    payload: Any = None  # a path, a JSON line (bytes), a CSV row (dict), HTML bytes, or the error message
    url: str | None = None  # WARC target URI


def iter_items(source: str, *, max_bytes: int | None = None) -> Iterator[Item]:
    """The items of one SOURCE, in order. An unusable SOURCE as a whole is an InputError."""
    limit = read.size_limit(max_bytes)
    if source == "-":
        yield from _jsonl(sys.stdin.buffer, source, "-", limit)
        return
    path = Path(source)
    if path.is_dir():
        yield from _folder(path, source)
        return
    if not path.exists():
        raise InputError(f"no such file or folder: {source}")
    name = path.name.lower()
    if name.endswith(WARC_SUFFIXES):
        yield from _warc(path, source, limit)
    elif path.suffix.lower() in JSONL_SUFFIXES:
        with _open_binary(path) as fh:
            yield from _jsonl(fh, source, str(path), limit)
    elif path.suffix.lower() in CSV_SUFFIXES:
        yield from _csv(path, source, limit)
    elif path.suffix.lower() in ARTICLE_SUFFIXES:
        yield Item(source, str(path), "file", str(path))
    else:
        raise InputError(f"{source}: unknown kind of source (a folder, .txt, .html, .jsonl, .csv, .warc[.gz], or -)")


def count_items(source: str) -> int | None:
    """How many items a source has, when that is cheap to know (folders, JSON Lines, single files)."""
    if source == "-":
        return None
    path = Path(source)
    if path.is_dir():
        return sum(1 for _ in _folder(path, source))
    suffix = path.suffix.lower()
    if suffix in ARTICLE_SUFFIXES:
        return 1
    if suffix in JSONL_SUFFIXES and path.is_file():
        lines, last = 0, b"\n"  # blank lines count too: an estimate for the progress bar
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
        return lines + (last != b"\n")
    return None


def read_item(item: Item, max_bytes: int | None = None) -> read.Document:
    """Read one item into a Document (raises InputError when it cannot be analysed)."""
    limit = read.size_limit(max_bytes)
    if item.kind == "error":
        raise InputError(item.payload)
    if item.kind == "file":
        return read.read_path(item.payload, max_bytes=limit)
    if item.kind == "json":
        try:
            line = item.payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"the line is not UTF-8 (byte 0x{item.payload[exc.start]:02x})") from None
        return from_mapping(read.json_object(line), item.name, limit)
    if item.kind == "row":
        return from_mapping(item.payload, item.name, limit)
    if item.kind == "html":
        document = read.read_bytes(item.payload, name=item.name, html=True, max_bytes=limit)
        if item.url:
            document.url = item.url  # the address it was fetched from beats what the page claims
        return document
    raise ValueError(f"unknown item kind {item.kind!r}")


def from_mapping(obj: dict[str, Any], name: str, limit: int) -> read.Document:
    """A Document from a JSON object or CSV row: ``text`` or ``html`` plus optional metadata columns; the date
    from the first of DATE_FIELDS present. The fields it does not know are listed in ``unknown_fields``."""
    text, html = obj.get("text"), obj.get("html")
    text = text if isinstance(text, str) and text.strip() else None
    html = html if isinstance(html, str) and html.strip() else None
    if text is None and html is None:
        raise InputError('no "text" or "html"')
    body = text if text is not None else html
    size = len(body.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise InputError(read.too_large("the article", size, limit))
    metadata: dict[str, str] = {}
    for key in (*read.METADATA_FIELDS, *DATE_FIELDS[1:]):
        value = obj.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise InputError(f'"{key}" must be a string')
        if key in DATE_FIELDS:
            metadata.setdefault("published", value.strip())
        else:
            metadata[key] = value.strip()
    document = read.read_text(body, html=text is None, name=name, **metadata)
    document.unknown_fields = sorted(k for k in obj if k not in KNOWN_FIELDS)  # type: ignore[attr-defined]
    return document


# ----------------------------------------------------------------------------------------------------- kinds


def _folder(root: Path, source: str) -> Iterator[Item]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            if filename.startswith(".") or Path(filename).suffix.lower() not in ARTICLE_SUFFIXES:
                continue
            path = os.path.join(dirpath, filename)
            yield Item(source, path, "file", path)


def _open_binary(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _jsonl(fh: BinaryIO, source: str, base: str, limit: int) -> Iterator[Item]:
    """One item per non-blank line, never holding more than ``limit`` bytes of a line in memory."""
    lineno = 0
    while True:
        line = fh.readline(limit + 2)
        if not line:
            return
        lineno += 1
        name = f"{base}:{lineno}"
        if not line.endswith(b"\n") and len(line) > limit:
            size = len(line)
            while True:  # skip the rest of the line without keeping it
                rest = fh.readline(1 << 20)
                size += len(rest)
                if not rest or rest.endswith(b"\n"):
                    break
            yield Item(source, name, "error", read.too_large(f"line {lineno}", size, limit))
            continue
        if line.strip():
            yield Item(source, name, "json", line)


def _csv(path: Path, source: str, limit: int) -> Iterator[Item]:
    # a field may be as large as an article may be; the row's size is checked again when it is read
    csv.field_size_limit(max(limit + 1, csv.field_size_limit()))
    with _open_binary(path) as raw:
        fh = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        if "text" not in fields and "html" not in fields:
            raise InputError(f"{source}: the CSV needs a 'text' or 'html' column (it has: {', '.join(fields)})")
        while True:
            name = f"{path}:{reader.line_num + 1}"  # the line the row starts on (a text may span lines)
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # the rest of the file cannot be trusted to line up
                yield Item(source, name, "error", f"broken CSV: {exc}")
                return
            if None in row:  # more fields than the header: the quoting is off
                yield Item(source, name, "error", "the row has more fields than the header")
                continue
            yield Item(source, name, "row", {k: v for k, v in row.items() if v is not None})


def _warc(path: Path, source: str, limit: int) -> Iterator[Item]:
    """Response records with an HTML body; each is read (bounded) in the main process, analysed in a worker."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    with _open_binary(path) as fh:
        iterator = ArchiveIterator(fh)
        try:
            for record in iterator:
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                content_type = (record.http_headers.get_header("Content-Type") or "").lower()
                status = record.http_headers.get_statuscode() or ""
                if not content_type.startswith(HTML_TYPES) or not status.startswith("2"):
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                body = record.content_stream().read(limit + 1)
                name = f"{path}#{iterator.get_record_offset()}"  # after the read: asking first empties the body
                if len(body) > limit:
                    yield Item(source, name, "error", read.too_large("the response body", len(body), limit))
                else:
                    yield Item(source, name, "html", body, url=url)
        except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
            yield Item(source, f"{path}#{iterator.get_record_offset()}", "error", f"broken WARC: {exc}")
