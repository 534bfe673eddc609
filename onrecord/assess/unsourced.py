"""Unsourced statements: sentences in the author's own voice that assert something.

A sentence is the author's when no attribution touches it (no speaker, cue or content inside it)
and it is not itself mostly a quotation. Questions, fragments and boilerplate are not assertions.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Span

from onrecord.attribute.quotes import Quote

_WORD = re.compile(r"[^\W\d_]+")
_EDGE = " \t\n"


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _quoted_share(sent: Span, quotes: list[Quote]) -> float:
    inside = sum(max(0, min(q.close_mark + 1, sent.end_char) - max(q.open_mark, sent.start_char)) for q in quotes)
    return inside / max(1, sent.end_char - sent.start_char)


def unsourced_sentences(doc: Doc, attributed: list[tuple[int, int]], quotes: list[Quote],
                        skip: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Character bounds of the author-voice assertions of ``doc``.

    ``attributed`` holds every span an attribution uses (speaker, cue, content); ``skip`` the
    boilerplate spans.
    """
    text = doc.text
    out = []
    for sent in doc.sents:
        start, end = sent.start_char, sent.end_char
        while start < end and text[start] in _EDGE:
            start += 1
        while end > start and text[end - 1] in _EDGE:
            end -= 1
        bounds = (start, end)
        if end <= start or any(_overlaps(bounds, s) for s in skip):
            continue
        if len(_WORD.findall(text[start:end])) < 4 or text[start:end].rstrip("\u201d\"’' )").endswith("?"):
            continue
        if any(_overlaps(bounds, a) for a in attributed) or _quoted_share(sent, quotes) > 0.5:
            continue
        out.append(bounds)
    return out
