"""Unsourced statements: sentences in the author's own voice that assert something.

A sentence is the author's when no attribution touches it (no speaker, cue or content inside it),
it is not itself mostly a quotation, and it does not name its own evidence ("…, the center's data
show", "A poll from X showed …": a source inside the sentence, as PolNeAR annotates them — Newell,
Margolin & Ruths 2018). Questions (including headlines shaped as questions), fragments and
boilerplate are not assertions.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from spacy.tokens import Doc, Span

from onrecord.attribute.quotes import Quote
from onrecord.attribute.tokens import doc_text

_WORD = re.compile(r"[^\W\d_]+")
_EDGE = " \t\n"
# "Why the plan may fail", "What we know about the talks", "Whether voters agree is another matter"
_QUESTION_SHAPED = re.compile(r"^(?:why|how|what|whether)\b", re.IGNORECASE)


class Intervals:
    """Disjoint, sorted character intervals; answers 'does [start, end) touch any?' in log time."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]

    def touches(self, start: int, end: int) -> bool:
        i = bisect_left(self.starts, end) - 1  # the last interval starting before ``end``
        return i >= 0 and self.ends[i] > start

    def covered(self, start: int, end: int) -> int:
        """How many characters of [start, end) the intervals cover."""
        total = 0
        for i in range(max(0, bisect_right(self.ends, start)), bisect_left(self.starts, end)):
            total += max(0, min(self.ends[i], end) - max(self.starts[i], start))
        return total


# Evidence that speaks for itself: "the data show", "a poll found", "figures from the ministry indicate".
_EVIDENCE_VERBS = {"show", "find", "suggest", "indicate", "reveal", "confirm", "estimate", "put", "project",
                   "report", "say", "state", "conclude", "document", "record"}
_EVIDENCE_NOUNS = {"data", "datum", "figure", "poll", "survey", "study", "report", "statistic", "statistics",
                   "analysis", "record", "census", "research", "estimate", "count", "audit", "review",
                   "investigation", "inquiry", "tally", "index", "projection", "forecast", "document", "filing",
                   "number", "model", "test", "trial", "assessment", "evaluation", "paper", "ranking", "release"}


def names_its_source(sent: Span) -> bool:
    """The sentence cites its evidence as the subject of a reporting verb: '…, the center's data show',
    'A poll from X showed …', 'Census figures indicate …'."""
    for token in sent:
        if token.pos_ != "VERB" or token.lemma_.lower() not in _EVIDENCE_VERBS:
            continue
        if not (token.dep_ == "ROOT" or (token.dep_ == "parataxis" and token.head.dep_ == "ROOT")):
            continue  # "resigned after an audit found irregularities": the evidence is the claim's, not its source
        if any(c.dep_ == "nsubj" and c.lemma_.lower() in _EVIDENCE_NOUNS for c in token.children):
            return True
    # the parser often reads a trailing ", the center's data show." as one noun phrase: read the words instead
    words = [t for t in sent if not t.is_space]
    while words and words[-1].is_punct:
        words.pop()
    if len(words) > 3 and words[-1].lemma_.lower() in _EVIDENCE_VERBS | {"showed", "shows"}:
        tail = words[-7:-1]
        comma = max((i for i, t in enumerate(tail) if t.text == ","), default=-1)
        return comma >= 0 and any(t.lemma_.lower() in _EVIDENCE_NOUNS or t.lower_ in _EVIDENCE_NOUNS
                                  for t in tail[comma + 1 :])
    return False


def _is_assertion(text: str) -> bool:
    if len(_WORD.findall(text)) < 4:
        return False
    if text.rstrip("\u201d\"’' )").endswith("?"):
        return False
    question_shaped = _QUESTION_SHAPED.match(text)
    headline = not text.rstrip("\u201d\"’' )").endswith((".", "!"))
    return not (question_shaped and (headline or text[:7].lower() == "whether"))


def _label(sent: Span) -> bool:
    """A short line with neither a verb nor a figure names a section and asserts nothing ("World news in
    brief"); a verbless headline with a figure still does ("Inflation at 5.9% in September"), and a longer
    one may hold a verb the tagger read as a noun ("Tens of thousands march against …")."""
    return len(_WORD.findall(sent.text)) <= 5 and not any(
        t.pos_ in ("VERB", "AUX") or t.like_num or t.pos_ == "NUM" for t in sent)


def unsourced_sentences(doc: Doc, attributed: list[tuple[int, int]], quotes: list[Quote],
                        skip: list[tuple[int, int]], datelines: list[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Character bounds of the author-voice assertions of ``doc``.

    ``attributed`` holds every span an attribution uses (speaker, cue, content); ``skip`` the
    boilerplate spans; ``datelines`` the datelines opening paragraphs, which no statement includes.
    """
    text = doc_text(doc)
    used, skipped = Intervals(attributed), Intervals(skip)
    quoted = Intervals([(q.open_mark, q.close_mark + 1) for q in quotes])
    out = []
    for sent in doc.sents:
        start, end = sent.start_char, sent.end_char
        while start < end and text[start] in _EDGE:
            start += 1
        while end > start and text[end - 1] in _EDGE:
            end -= 1
        for d_start, d_end in datelines:  # the guideline lists a statement without its dateline
            if start <= d_start < end or d_start <= start < d_end:
                start = max(start, d_end)
        if end <= start or skipped.touches(start, end) or used.touches(start, end):
            continue
        if not _is_assertion(text[start:end]) or quoted.covered(start, end) > (end - start) / 2:
            continue
        if names_its_source(sent) or _label(sent):
            continue
        out.append((start, end))
    return out
