"""``analyze``: one article's text in, its record out; ``analyze_many`` for a stream of them.

Long texts are parsed in paragraph-aligned chunks, one at a time, and joined into one ``Doc`` before
onrecord's component runs, so the parser's memory stays bounded while coreference still sees the whole
text: peak memory grows linearly with the text (``docs/server.md``).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import re
import warnings
from collections.abc import Iterable, Iterator

from spacy.tokens import Doc

from onrecord.parse import load_pipeline
from onrecord.read import Document, check_text
from onrecord.record import Article, Record

CHUNK_CHARS = 20_000  # the parser needs memory in proportion to the text it sees at once
FLUSH_DOCS = 1000  # documents held before a pipe is drained: bounds memory, amortises worker start-up
# documents spaCy parses at once: 16 real-length articles took 380 MB at the peak, 4 take 110 MB, for the same
# records and ~1-3% more CPU (128 PolNeAR articles: 35.2 s at 16, 36.3 s at 4)
PIPE_BATCH = 4
_PARAGRAPH_END = re.compile(r"\n\s*\n")


def _with_metadata(record: Record, metadata: dict[str, str | None]) -> Record:
    fields = {f.name for f in dataclasses.fields(Article)}
    given = {k: v for k, v in metadata.items() if k in fields and v is not None}
    record.article = dataclasses.replace(record.article, **given)
    return record


def chunks(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """``text`` cut at paragraph breaks (or, failing that, line breaks or spaces) into pieces of at
    most about ``size`` characters; joined, the pieces are exactly ``text``."""
    pieces, start = [], 0
    while len(text) - start > size:
        window = text[start : start + size]
        cut = max((m.end() for m in _PARAGRAPH_END.finditer(window)), default=0)
        if cut == 0:
            cut = max(window.rfind("\n"), window.rfind(" ")) + 1 or size
        pieces.append(text[start : start + cut])
        start += cut
    pieces.append(text[start:])
    return pieces


def parse(text: str, convention: str = "onrecord") -> Doc:
    """The analysed ``Doc`` of one text, chunked when long."""
    nlp = load_pipeline(convention=convention)
    if len(text) <= CHUNK_CHARS:
        return nlp(text)
    nlp.max_length = max(nlp.max_length, len(text) + 1)
    with nlp.select_pipes(disable=["onrecord"]):
        parts = list(nlp.pipe(chunks(text), batch_size=1))  # a batch is parsed at once: one chunk each
    doc = Doc.from_docs(parts, ensure_whitespace=False)
    return nlp.get_pipe("onrecord")(doc)


def analyze(text: str, *, convention: str = "onrecord", **metadata: str | None) -> Record:
    """The record of one article. ``metadata`` may give id, title, url, published, outlet;
    ``convention`` says what counts as an attribution (``onrecord.record.CONVENTIONS``).

    Raises ``InputError`` for text that cannot be analysed (empty, binary, not English).
    """
    check_text(text)
    return _with_metadata(parse(text, convention)._.record, metadata)


def _stop_workers(stream: Iterator[Doc], running: set[multiprocessing.process.BaseProcess]) -> None:
    """End a multi-process ``nlp.pipe`` its consumer left early. spaCy's own clean-up joins workers that
    may be blocked sending parsed documents down a pipe nobody reads (forked, they hold its read end
    too), which hangs; so the workers this pipe started are terminated first."""
    for worker in set(multiprocessing.active_children()) - running:
        worker.terminate()
    with warnings.catch_warnings():  # spaCy warns that the terminated workers did not exit cleanly
        warnings.simplefilter("ignore")
        stream.close()


def analyze_many(documents: Iterable[Document], n_process: int = 1, batch_size: int = PIPE_BATCH,
                 convention: str = "onrecord") -> Iterator[Record]:
    """Records of many already-read documents, in order (spaCy batches them; n_process > 1 forks).

    Long documents are analysed one by one in chunks, in their place in the order."""
    nlp = load_pipeline(convention=convention)

    def metadata(document: Document) -> dict[str, str | None]:
        return {k: getattr(document, k) for k in ("id", "title", "url", "published", "outlet")}

    batch: list[Document] = []

    def flush() -> Iterator[Record]:
        # plain texts, paired with their documents by order (``nlp.pipe`` keeps it): with ``as_tuples``
        # spaCy tokenises in this process and ships Docs to the workers, not texts
        texts = (d.text for d in batch)
        running = set(multiprocessing.active_children())
        stream = nlp.pipe(texts, n_process=n_process, batch_size=batch_size)
        done = False
        try:
            for parsed, document in zip(stream, batch, strict=True):
                yield _with_metadata(parsed._.record, metadata(document))
            done = True
        finally:
            if not done and n_process > 1:
                _stop_workers(stream, running)
            batch.clear()

    for document in documents:
        if len(document.text) > CHUNK_CHARS:
            yield from flush()
            yield _with_metadata(parse(document.text, convention)._.record, metadata(document))
        else:
            batch.append(document)
            if len(batch) >= FLUSH_DOCS:
                yield from flush()
    yield from flush()
