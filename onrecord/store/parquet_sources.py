"""Parquet files of articles as an ingest source, from a local path or any filesystem pyarrow knows
(``s3://bucket/news/``, ``gs://…``): a file, or a folder / prefix of ``*.parquet`` files (sorted by name; a
local folder holding any ``.parquet`` file is read as Parquet).

Each row is read like a JSON Lines object: a ``text`` or ``html`` column plus optional ``title``, ``url``,
``published``, ``outlet``, ``id``; other columns are ignored. Row N (from 1) of a file is named ``file:N``.
Rows are streamed one record batch at a time, only the columns onrecord reads.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from onrecord import read
from onrecord.errors import InputError
from onrecord.store.sources import Item, iter_items

SUFFIX = ".parquet"
COLUMNS = ("text", "html", *read.METADATA_FIELDS)


def is_parquet(source: str) -> bool:
    """A ``.parquet`` file, a URI of a file or prefix, or a local folder holding ``.parquet`` files."""
    if source.rstrip("/").lower().endswith(SUFFIX):
        return True
    if _is_uri(source):
        return not Path(source).suffix
    path = Path(source)
    return path.is_dir() and next(path.rglob("*" + SUFFIX), None) is not None


def _is_uri(source: str) -> bool:
    return "://" in source


def _filesystem(source: str) -> tuple[object, str]:
    import pyarrow.fs as pafs

    if _is_uri(source):
        try:
            return pafs.FileSystem.from_uri(source)
        except Exception as exc:  # pyarrow raises several kinds for an unknown scheme or bucket
            raise InputError(f"cannot open {source}: {str(exc).splitlines()[0]}") from None
    return pafs.LocalFileSystem(), os.path.abspath(source)


def files(source: str) -> list[str]:
    """The Parquet files of a source, in name order."""
    import pyarrow.fs as pafs

    fs, path = _filesystem(source)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.NotFound:
        raise InputError(f"no such file or folder: {source}")
    if info.type == pafs.FileType.File:
        return [path]
    found = fs.get_file_info(pafs.FileSelector(path, recursive=True))
    return sorted(f.path for f in found if f.type == pafs.FileType.File and f.path.lower().endswith(SUFFIX)
                  and not Path(f.path).name.startswith((".", "_")))


def iter_parquet(source: str, max_bytes: int | None = None) -> Iterator[Item]:
    """One item per row (``kind="row"``, read in the worker like a JSON object)."""
    import pyarrow.parquet as pq

    fs, _ = _filesystem(source)
    limit = read.size_limit(max_bytes)
    for path in files(source):
        name = path if not _is_uri(source) else f"{source.split('://', 1)[0]}://{path}"
        try:
            handle = pq.ParquetFile(fs.open_input_file(path))  # type: ignore[attr-defined]
        except Exception as exc:
            yield Item(source, name, "error", f"not a readable Parquet file: {str(exc).splitlines()[0]}")
            continue
        columns = [c for c in COLUMNS if c in handle.schema_arrow.names]
        if "text" not in columns and "html" not in columns:
            yield Item(source, name, "error", f"the Parquet file needs a 'text' or 'html' column "
                                              f"(it has: {', '.join(handle.schema_arrow.names)})")
            continue
        row = 0
        for record_batch in handle.iter_batches(batch_size=256, columns=columns):
            for values in record_batch.to_pylist():
                row += 1
                body = values.get("text") or values.get("html") or ""
                if isinstance(body, str) and len(body) > limit:  # characters ≥ bytes / 4: cheap first test
                    size = len(body.encode("utf-8", "surrogatepass"))
                    if size > limit:
                        yield Item(source, f"{name}:{row}", "error", read.too_large("the article", size, limit))
                        continue
                yield Item(source, f"{name}:{row}", "row", {k: v for k, v in values.items() if v is not None})


def iter_all(sources: list[str], max_bytes: int | None = None) -> Iterator[Item]:
    """The items of every source in order: Parquet here, the other kinds from ``sources.iter_items``."""
    for source in sources:
        if is_parquet(source):
            yield from iter_parquet(source, max_bytes)
        else:
            yield from iter_items(source, max_bytes=max_bytes)


def check(sources: list[str]) -> None:
    """Fail fast, before any work, on a local SOURCE that does not exist."""
    for source in sources:
        if source != "-" and not _is_uri(source) and not Path(source).exists():
            raise InputError(f"no such file or folder: {source}")


def signature(sources: list[str]) -> list[str] | None:
    """What identifies a run's input (absolute paths and URIs); None for stdin, which is new every time."""
    if "-" in sources:
        return None
    return [s if _is_uri(s) else os.path.abspath(s) for s in sources]
