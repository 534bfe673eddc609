"""The parse as plain lists and arrays, built once per Doc: its text (``doc_text``) and a token
index (``token_index``) that the attribution rules, the judges and the role reader look things up
in, instead of building a spaCy Token or Span for every question."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

import numpy as np
from spacy.parts_of_speech import NAMES as POS_NAMES
from spacy.tokens import Doc, Span, Token

_TEXT_KEY = ("onrecord", "text")
_INDEX_KEY = ("onrecord", "tokens")


def doc_text(doc: Doc) -> str:
    """The document's text, built once: spaCy's ``Doc.text`` joins every token on each call, and the
    rules ask for it per sentence and per speaker."""
    text = doc.user_data.get(_TEXT_KEY)
    if text is None:
        text = doc.user_data[_TEXT_KEY] = doc.text
    return text


def forget_text(doc: Doc) -> None:
    """Drop the cached text and token index: they must not travel with the Doc (pickling, DocBin,
    n_process)."""
    doc.user_data.pop(_TEXT_KEY, None)
    doc.user_data.pop(_INDEX_KEY, None)


@dataclass(frozen=True)
class TokenIndex:
    """A Doc's tokens as plain lists and arrays, built once (``token_index``): spaCy builds a Token on
    every ``doc[i]``, ``Doc.char_span`` builds a Span and ``Token.sent`` walks the sentence, and the
    PolNeAR judges ask such things thousands of times per article. Valid while the Doc is unchanged."""

    size: int  # the text's length
    starts: list[int]  # each token's first character
    ends: list[int]  # each token's last character + 1 (its trailing space left out)
    pos: list[str]  # each token's pos_
    ent_type: list[str]  # each token's ent_type_
    head: list[int]  # each token's head
    children: list[list[int]]  # each token's dependents, in order
    punct: np.ndarray  # bool
    word: np.ndarray  # bool: neither punctuation nor space
    words: np.ndarray  # the words' token indices
    words_before: np.ndarray  # how many words come before each token (and before the end)
    line_break: list[bool]  # a space token holding a line break (spaCy gives each its own token)
    breaks: list[int]  # the line breaks' token indices
    sent_start: np.ndarray  # the first token of each token's sentence
    sent_end: np.ndarray  # the token after each token's sentence
    prev_word: np.ndarray  # the nearest word before each token, -1 if none
    next_word: np.ndarray  # the nearest word after each token, len(doc) if none
    ents: list[tuple[int, int, str]]  # named entities as (first token, end token, label), in order
    ent_starts: list[int]  # their first tokens, for bisection
    memo: dict[object, object] = field(default_factory=dict)  # more per-Doc lookups, made on first use


def token_index(doc: Doc) -> TokenIndex:
    """The Doc's ``TokenIndex``, built on first use (``forget_text`` drops it)."""
    index = doc.user_data.get(_INDEX_KEY)
    if index is None:
        index = doc.user_data[_INDEX_KEY] = _build_index(doc)
    return index


def _build_index(doc: Doc) -> TokenIndex:
    n = len(doc)
    columns = doc.to_array(["IDX", "LENGTH", "POS", "HEAD", "IS_PUNCT", "IS_SPACE", "SENT_START", "ENT_IOB",
                            "ENT_TYPE"])  # the last: string ids, uint64 as the StringStore takes them
    idx, length, pos, head, punct, space, sent, iob = columns[:, :-1].astype(np.int64).T
    strings = doc.vocab.strings
    text = doc_text(doc)
    starts = idx.tolist()
    ends = (idx + length).tolist()
    word = (punct == 0) & (space == 0)
    at = np.arange(n)
    # Token.sent: a sentence opens at the first token and wherever SENT_START is 1
    opens = sent == 1
    opens[:1] = True
    first = np.flatnonzero(opens)
    number = np.cumsum(opens) - 1
    # the nearest word strictly before / after each token: running max / min of word positions, shifted
    before = np.maximum.accumulate(np.where(word, at, -1))
    after = np.minimum.accumulate(np.where(word, at, n)[::-1])[::-1]
    ents = []
    for i in np.flatnonzero(iob == 3).tolist():  # B, then its I tokens, as ents_in reads them
        j = i + 1
        while j < n and iob[j] == 1:
            j += 1
        ents.append((i, j, strings[columns[i, -1]]))
    ent_type = [""] * n  # outside entities: string id 0, the empty string
    for i in np.flatnonzero(columns[:, -1]).tolist():
        ent_type[i] = strings[columns[i, -1]]
    breaks = [i for i in np.flatnonzero(space).tolist() if "\n" in text[starts[i] : ends[i]]]
    line_break = [False] * n
    for i in breaks:
        line_break[i] = True
    heads = (at + head).tolist()
    children: list[list[int]] = [[] for _ in range(n)]
    for i, h in enumerate(heads):
        if h != i:
            children[h].append(i)
    return TokenIndex(
        size=len(text), starts=starts, ends=ends, pos=[POS_NAMES[p] for p in pos.tolist()],
        ent_type=ent_type, head=heads, children=children,
        punct=punct != 0, word=word, words=np.flatnonzero(word),
        words_before=np.concatenate([[0], np.cumsum(word)]),
        line_break=line_break, breaks=breaks,
        sent_start=first[number], sent_end=np.append(first[1:], n)[number],
        prev_word=np.concatenate([[-1], before])[:n], next_word=np.append(after[1:], n)[:n],
        ents=ents, ent_starts=[i for i, _, _ in ents])


def token_range(doc: Doc, start: int, end: int) -> tuple[int, int] | None:
    """The tokens ``doc.char_span(start, end, alignment_mode="expand")`` would hold, as a range
    [first, end), without building the Span; None where it gives None."""
    index = token_index(doc)
    if not (0 <= start < index.size and 0 < end <= index.size):
        return None
    first = bisect_right(index.starts, start) - 1
    if start == index.ends[first]:  # in the trailing space of a token: the span opens after it
        first += 1
    return first, bisect_right(index.starts, end - 1)


def sentence_of(doc: Doc, i: int) -> Span:
    """``doc[i].sent``, from the index."""
    index = token_index(doc)
    return doc[int(index.sent_start[i]) : int(index.sent_end[i])]


def with_pos(sent: Span, pos: tuple[str, ...]) -> list[Token]:
    """The tokens of ``sent`` with one of these parts of speech, in order: a rule looks at a few
    parts of speech, and building a Token of every word, rule after rule, was most of its time."""
    doc, tags = sent.doc, token_index(sent.doc).pos
    return [doc[i] for i in range(sent.start, sent.end) if tags[i] in pos]
