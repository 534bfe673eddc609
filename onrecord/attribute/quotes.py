"""Quotation spans: pair quote marks by type, across paragraphs, never failing on stray marks.

News style: a quotation that runs over several paragraphs opens each paragraph again and closes
only in the last one. Curly marks pair with their own kind; straight marks are read as opening or
closing from the characters around them. A mark that never closes is dropped, not fatal.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

# opening mark -> the closing marks that end it
_PAIRS = {
    "\u201c": "\u201d\u201f\"",  # “ … ” (a stray straight " also closes, common in sloppy copy)
    "\u201e": "\u201c\u201d",  # „ … “ / „ … ”
    "\u00ab": "\u00bb",  # « … »
    '"': "\"\u201d",
    "\u2018": "\u2019'",  # ‘ … ’ (single marks: only where they clearly open, see _opens_single)
    "'": "'\u2019",  # tabloid style 'quote' with straight singles, same rule
    "\u201d": "\u201d\"",  # ” … ” (a closing mark typed as the opening one, see _opens_reversed)
}
_SINGLE_OPENERS = "\u2018'"
_PARAGRAPH = re.compile(r"\n\s*\n|\n(?=\s*[\u201c\u201e\u00ab\"\u2018])")


@dataclass(frozen=True)
class Quote:
    """A quotation: ``start``/``end`` bound the words inside the outer marks."""

    start: int
    end: int
    open_mark: int  # offset of the first opening mark
    close_mark: int  # offset of the last closing mark
    paragraphs: int = 1


class Quotes(list[Quote]):
    """Quotations in text order, with lookups by position in log time (quotes do not overlap)."""

    def __init__(self, items: Iterable[Quote] = ()) -> None:
        super().__init__(items)
        self.opens = [q.open_mark for q in self]

    def near(self, lo: int, hi: int) -> list[Quote]:
        """The quotations whose marks overlap [lo, hi)."""
        i = max(0, bisect_right(self.opens, lo) - 1)
        j = bisect_left(self.opens, hi)
        return [q for q in self[i:j] if q.close_mark >= lo]

    def containing(self, pos: int) -> Quote | None:
        """The quotation whose words include ``pos``."""
        i = bisect_right(self.opens, pos) - 1
        if i >= 0 and self[i].start <= pos < self[i].end:
            return self[i]
        return None


def _is_straight_open(text: str, i: int) -> bool:
    before = text[i - 1] if i else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if after.isspace():
        return False
    return before.isspace() or before in "([{\u2014\u2013\u2015-:;,/" or i == 0


def _opens_single(text: str, i: int) -> bool:
    """‘ opens a quote only before a letter or digit and after a space, bracket or start."""
    before = text[i - 1] if i else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    return (before.isspace() or before in "([{\u2014\u2013\u2015-:\u201c\"") and (after.isalnum())


def _opens_reversed(text: str, i: int) -> bool:
    """” typed where “ was meant ('”Fear. I am afraid,” she wrote'): it opens a quote only where
    nothing is open, after a space or at the start, and before a letter or digit."""
    before = text[i - 1] if i else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    return before.isspace() and after.isalnum()


def _closes_single(text: str, i: int) -> bool:
    """’ closes a single quote only when not an apostrophe inside a word (don’t, Ukrainians’ …)."""
    after = text[i + 1] if i + 1 < len(text) else " "
    before = text[i - 1] if i else " "
    return not after.isalnum() and not before.isspace()


def spans_between(separator: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of the pieces of ``text`` between matches of ``separator`` (empty ones included)."""
    bounds, start = [], 0
    for m in separator.finditer(text):
        bounds.append((start, m.start()))
        start = m.end()
    bounds.append((start, len(text)))
    return bounds


def _scan_paragraph(text: str, start: int, end: int) -> tuple[list[tuple[int, int]], int | None]:
    """Pairs of (open, close) mark offsets in one paragraph, and an opening left unclosed."""
    pairs: list[tuple[int, int]] = []
    opened: int | None = None
    closers = ""
    i = start
    while i < end:
        ch = text[i]
        if opened is None:
            opens = (ch in "\u201c\u201e\u00ab" or (ch == '"' and _is_straight_open(text, i))
                     or (ch == "\u201d" and _opens_reversed(text, i))
                     or (ch in _SINGLE_OPENERS and _opens_single(text, i)))
            if opens:
                opened, closers = i, _PAIRS[ch]
        elif ch in closers and (text[opened] not in _SINGLE_OPENERS or _closes_single(text, i)):
            if ch == '"' and _is_straight_open(text, i) and not _closes_here(text, i):
                # a straight mark that looks like an opening: the previous one never closed
                opened = i
            else:
                pairs.append((opened, i))
                opened = None
        elif ch == "\u201c" and text[opened] == "\u201c":
            opened = i  # “ … “ : the first never closed; restart at the later mark
        i += 1
    return pairs, opened


def _closes_here(text: str, i: int) -> bool:
    after = text[i + 1] if i + 1 < len(text) else " "
    return after.isspace() or after in ".,;:!?)]\u2014\u2013\u2015-"


def _starts_with_open(text: str, start: int, end: int) -> int | None:
    """Offset of the opening mark that begins a paragraph, if it begins with one."""
    i = start
    while i < end and text[i].isspace():
        i += 1
    if i < end and text[i] in "\u201c\u201e\u00ab\"\u2018'":
        return i
    return None


_DOUBLED = re.compile(r"''|``")


def find_quotes(text: str) -> Quotes:
    """All top-level quotations in ``text``, in order, with multi-paragraph quotes joined.

    Doubled marks (two apostrophes, or two backticks, as some newsroom systems write a double quote) count as one
    double mark: they are read as a space and a straight mark, which keeps every offset."""
    original = text
    if "''" in text or "``" in text:
        text = _DOUBLED.sub(' "', text)
    quotes: list[Quote] = []
    carry: tuple[int, int] | None = None  # (first open mark, paragraphs so far) of a quote running on
    for p_start, p_end in spans_between(_PARAGRAPH, text):
        if carry is not None and _starts_with_open(text, p_start, p_end) is None:
            carry = None  # the open quote was never continued: a stray mark
        pairs, unclosed = _scan_paragraph(text, p_start, p_end)
        if carry is not None:
            first_open, count = carry
            if pairs and pairs[0][0] == _starts_with_open(text, p_start, p_end):
                close = pairs.pop(0)[1]
                quotes.append(Quote(first_open + 1, close, first_open, close, count + 1))
                carry = None
            elif unclosed is not None and unclosed == _starts_with_open(text, p_start, p_end) and not pairs:
                carry = (first_open, count + 1)
                continue
            else:
                carry = None
        quotes.extend(Quote(o + 1, c, o, c) for o, c in pairs)
        if unclosed is not None:
            carry = (unclosed, 1)
    quotes.sort(key=lambda q: q.start)
    if original is not text:  # a doubled mark starts one character earlier than the mark read
        quotes = [Quote(q.start, q.end - (original[q.end - 1 : q.end + 1] in ("''", "``")),
                        q.open_mark - (original[q.open_mark - 1 : q.open_mark + 1] in ("''", "``")),
                        q.close_mark, q.paragraphs) for q in quotes]
    return Quotes(q for q in quotes if text[q.start:q.end].strip())
