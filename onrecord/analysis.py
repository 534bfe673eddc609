"""``analyze``: one article's text in, its record out; ``analyze_many`` for a stream of them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator

from onrecord.parse import load_pipeline
from onrecord.read import Document, check_text
from onrecord.record import Article, Record


def _with_metadata(record: Record, metadata: dict[str, str | None]) -> Record:
    fields = {f.name for f in dataclasses.fields(Article)}
    given = {k: v for k, v in metadata.items() if k in fields and v is not None}
    record.article = dataclasses.replace(record.article, **given)
    return record


def analyze(text: str, **metadata: str | None) -> Record:
    """The record of one article. ``metadata`` may give id, title, url, published, outlet.

    Raises ``InputError`` for text that cannot be analysed (empty, binary, not English).
    """
    check_text(text)
    doc = load_pipeline()(text)
    return _with_metadata(doc._.record, metadata)


def analyze_many(documents: Iterable[Document], n_process: int = 1, batch_size: int = 16) -> Iterator[Record]:
    """Records of many already-read documents, in order (spaCy batches them; n_process > 1 forks)."""
    nlp = load_pipeline()
    pairs = ((doc.text, doc) for doc in documents)
    for parsed, document in nlp.pipe(pairs, as_tuples=True, n_process=n_process, batch_size=batch_size):
        metadata = {k: getattr(document, k) for k in ("id", "title", "url", "published", "outlet")}
        yield _with_metadata(parsed._.record, metadata)
