"""A learned judge of attribution candidates, for the PolNeAR convention.

PolNeAR (and the research built on it) counts more as an attribution than onrecord's own
guideline does: stances shown by acts and intentions ("called for X", "rejected X", "plans to X",
"supports X") as well as speech, thought and findings. Which verb-and-dependent pairs are such
stances depends on the verb, the dependent and the sentence, so a rule list stalls. This module:

- proposes candidates (``candidates``): what the rules find, quotations joined to the ones that
  continue them (``joined_quotes``), every verb or cue noun seen as a cue in training with each
  stretch that could be its content (``stance_candidates``), the contents the role reader
  reads (``tagged_candidates``, from ``onrecord.attribute.roles``) and colon labels
  (``colon_candidates``);
- groups them by cue word (``groups``) and judges them (``judge``): the cue judge
  (``cue_features``) reads whether the cue is an attribution at all, the span judge
  (``span_features``) which of its candidate contents is the content; both also see the parser's
  token vectors and the role reader's readings (``dense_cue``, ``dense_features``); the last
  judge weighs the cue judge's word against the role readings and the other cues around it
  (``decision_features``) and gives the probability a cue is accepted on;
- keeps the accepted ones (``choose``) and gives them PolNeAR's spans (``whole_source``,
  ``with_complementiser``).

The cue and span judges are logistic regressions, the last judge boosted trees, all trained on
PolNeAR train by ``python -m onrecord.train.attributions``. Their inference is numpy only: features
are hashed (CRC32) into fixed weight vectors, and the trees are arrays of nodes, stored in
``data/attributions.npz``; no corpus text is stored.
"""

from __future__ import annotations

import itertools
import pathlib
import re
import zlib
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from spacy.tokens import Doc, Span, Token

from onrecord.attribute.actors import ActorIndex
from onrecord.attribute.extract import (
    Found,
    according_phrase,
    according_to_phrases,
    channels_of,
    cue_bounds,
    find_attributions,
    form_of,
    in_quote,
    quote_containing,
    source_of,
    subject_of,
    subtree_bounds,
    trim,
    when_of,
)
from onrecord.attribute.lexicon import SPEECH_VERBS, LearnedCue, learned_cues
from onrecord.attribute.quotes import Quotes
from onrecord.attribute.roles import RoleReader
from onrecord.attribute.tokens import doc_text, sentence_of, token_index, token_range, with_pos
from onrecord.errors import OnrecordError

MODEL = pathlib.Path(__file__).resolve().parent.parent / "data" / "attributions.npz"
BITS = 18  # 2**18 float32 weights: 1 MB
TENSOR_WIDTH = 96  # the small English model's token vectors
DENSE = 3 * TENSOR_WIDTH

# Dependents that may hold a stance's content: a clause, an object, a complement, or a
# preposition's object ("called for X", "spoke about X").
_RELATIONS = ("ccomp", "xcomp", "dobj", "acomp", "oprd", "attr", "prep")
_NOUN_RELATIONS = ("acl", "ccomp", "prep")


def _content_heads(token: Token) -> list[tuple[str, Token]]:
    """(relation, head of content) for each dependent of ``token`` that could be its content."""
    out = []
    relations = _NOUN_RELATIONS if token.pos_ == "NOUN" else _RELATIONS
    for child in token.children:
        if child.dep_ not in relations:
            continue
        if child.dep_ == "prep":
            if child.i < token.i:
                continue
            for obj in child.children:
                if obj.dep_ in ("pobj", "pcomp"):
                    out.append((f"prep:{child.lower_}", obj))
        else:
            out.append((child.dep_, child))
    return out


def _holder(noun: Token) -> Token | None:
    """Who holds a nominal stance: 'X's call for …', 'a call by X for …'."""
    for child in noun.children:
        if child.dep_ == "poss":
            return child
    for child in noun.children:
        if child.dep_ == "prep" and child.lower_ in ("by", "from"):
            return next((c for c in child.children if c.dep_ == "pobj"), None)
    return None


def _clause_subject(token: Token) -> Token | None:
    """The clause subject of a verb (``subject_of``), the holder of a nominal stance (``_holder``);
    found once per article: the stance rule and both linear judges ask for it."""
    memo = token_index(token.doc).memo
    subject = memo.get(("subject", token.i))
    if not isinstance(subject, int):
        found = subject_of(token) if token.pos_ != "NOUN" else _holder(token)
        subject = memo[("subject", token.i)] = found.i if found is not None else -1
    return token.doc[subject] if subject >= 0 else None


def _stance_subject(token: Token) -> Token | None:
    """Who takes the stance: the clause subject, else the noun a participle describes ('a tweet
    attacking X'), else the subject of the verb a gerund hangs on ('began by marveling at X')."""
    subject = _clause_subject(token)
    if subject is not None or token.pos_ == "NOUN":
        return subject
    if token.dep_ == "acl" and token.head.pos_ in ("NOUN", "PROPN", "PRON"):
        return token.head
    if token.dep_ == "pcomp" and token.head.dep_ == "prep" and token.head.head.pos_ in ("VERB", "AUX"):
        return subject_of(token.head.head)
    return None


def _only_time(doc: Doc, start: int, end: int) -> bool:
    """'on Monday', 'in recent days': a time, never what anyone said."""
    tokens = token_range(doc, start, end)
    index = token_index(doc)
    seen = False
    for i in range(*tokens) if tokens else ():  # most stretches fail on their first word: stop there
        if index.punct[i] or index.pos[i] in ("ADP", "DET"):
            continue
        if index.ent_type[i] not in ("DATE", "TIME"):
            return False
        seen = True
    return seen


def _spans(token: Token, taken: bool) -> list[tuple[str, int, int, Token | None]]:
    """(relation, start, end, head) of each stretch that could be the content of ``token``: each dependent
    that could hold it (not for a cue a rule already read); everything the cue governs to its right
    up to a coordinated clause or a participle clause after a comma ('said, adding that X'), from
    its first word or from each such dependent ('cited X as Y', 'blasted him for Z', 'tweeted early
    on Friday that X'); a passive's subject ('X was endorsed by Y'); the clause before a trailing
    reporting clause ('A, but B, the source added'); and, when the cue's line ends in a colon, the
    next paragraph ('The governor added:' and a paragraph of what he said)."""
    out: list[tuple[str, int, int, Token | None]] = []
    heads = _content_heads(token)
    if not taken:
        out += [(relation, *subtree_bounds(head), head) for relation, head in heads]
    doc = token.doc
    # such a clause is a statement of its own, and the stretch ends before it
    separate = {t.i for c in token.children if c.i > token.i and (
        c.dep_ in ("cc", "conj") or (c.dep_ == "advcl" and c.tag_ == "VBG" and doc[c.left_edge.i - 1].text == ","))
        for t in c.subtree}
    right = list(itertools.takewhile(lambda t: t.i not in separate, (t for t in token.subtree if t.i > token.i)))
    right = [t for t in right if not (t.dep_ == "prt" and t.i == token.i + 1)]
    if right:
        end = right[-1].idx + len(right[-1].text)
        out.append(("rest", right[0].idx, end, None))
        out += [(f"from:{relation}", head.left_edge.idx, end, None) for relation, head in heads
                if head.left_edge.i > right[0].i and not relation.startswith("prep:")]
    if any(c.dep_ == "agent" for c in token.children):
        out += [("passive", *subtree_bounds(c), None) for c in token.children if c.dep_ == "nsubjpass"]
    index = token_index(doc)
    sent_start = index.sent_start.item(token.i)
    left_edge = token.left_edge
    if left_edge.i > sent_start + 2 and doc[left_edge.i - 1].text == ",":
        out.append(("before", index.starts[sent_start], doc[left_edge.i - 1].idx, None))
    text = doc_text(doc)
    line_end = text.find("\n", token.idx)
    if line_end > 0 and text[token.idx:line_end].rstrip().endswith(":"):
        start = len(text) - len(text[line_end:].lstrip())
        end = text.find("\n", start)
        out.append(("next", start, len(text) if end == -1 else end, None))
    return out


ROLES = "onrecord_roles"  # doc.user_data key of the per-token role readings (``onrecord.attribute.roles``)
# A word the role reader reads as a cue less often than this is not a stance candidate. Chosen before
# looking at dev, from 120 train articles: 39% of the cue words only the stance rule proposes read
# lower, and 4 of 2,746 accepted attributions had such a cue. It spares the judges a third of their work.
MIN_CUE_READING = 0.02


def stance_candidates(sent: Span, quotes: Quotes, actors: ActorIndex, cut: list[tuple[int, int]],
                      taken: set[int]) -> list[Found]:
    """Every verb (or cue noun) of ``sent`` that was a cue in training, with each stretch that could
    hold its content (see ``_spans``), as a candidate attribution (rule ``stance``). Cues in
    ``taken`` (read by a rule) get only the alternative stretches."""
    doc = sent.doc
    text = doc_text(doc)
    lexicon = learned_cues()
    roles = doc.user_data.get(ROLES)
    out = []
    for token in with_pos(sent, ("VERB", "NOUN", "ADJ")):
        if roles is not None and token.i not in taken and roles[token.i, 0] < MIN_CUE_READING:
            continue
        lemma = token.lemma_.lower()
        entry = lexicon.get(f"{lemma}/{token.pos_}")
        if ((entry is None or entry.cue < 2) and lemma not in SPEECH_VERBS) or in_quote(quotes, token.idx):
            continue
        subject = _stance_subject(token)
        if subject is not None and in_quote(quotes, subject.idx):
            continue
        if subject is not None and subject.dep_ == "nsubjpass":  # 'X was endorsed by Y': Y takes the stance
            agent = next((c for c in token.children if c.dep_ == "agent"), None)
            subject = next((c for c in agent.children if c.dep_ == "pobj"), subject) if agent is not None else subject
        cue_start, cue_end = (token.idx, token.idx + len(token.text)) if token.pos_ != "VERB" else cue_bounds(token)
        stretches: dict[tuple[int, int], tuple[str, int]] = {}  # content -> (relation, cue end)
        for relation, start, end, head in _spans(token, token.i in taken):
            if subject is not None and start <= subject.idx < end:
                continue
            for c_start, _ in cut:
                if start < c_start < end:
                    end = min(end, c_start)
            start, end = trim(text, start, end)
            if end - start < 3 or (start, end) in stretches or start <= cue_start < end or _only_time(doc, start, end):
                continue
            c_end = cue_end
            if head is not None and relation.startswith("prep:") and head.head.i <= token.i + 2:
                c_end = head.head.idx + len(head.head.text)
            stretches[(start, end)] = (relation, c_end)
        if not stretches:
            continue
        # the speaker is read once per cue, and only for a cue with some content
        source = source_of(subject, actors) if subject is not None else None
        who = (((source.start, source.end), source.name, source.kind, source.actor, source.role) if source is not None
               else (None, None, "unknown", None, None))  # speaker, speaker_name, speaker_kind, actor, role
        via = channels_of(token, who[0]) if source is not None and token.pos_ == "VERB" else []
        for (start, end), (relation, c_end) in stretches.items():
            quote = quote_containing(quotes, start, end)
            content, form = ((trim(text, quote.start, quote.end, " \n,"), "direct") if quote is not None
                             else ((start, end), form_of(text, start, end, quotes)))
            out.append(Found(content, form, (cue_start, c_end), *who, list(via), when_of(sent, content, token),
                             token.i, "stance", relation))
    return out


def _bucket(n: int) -> str:
    for limit in (1, 2, 4, 8, 16, 32, 64):
        if n <= limit:
            return str(limit)
    return "more"


def _subject_class(doc_token: Token | None) -> str:
    if doc_token is None:
        return "none"
    if doc_token.pos_ == "PRON":
        return "pron:" + doc_token.lower_
    if doc_token.ent_type_:
        return "ent:" + doc_token.ent_type_
    return doc_token.pos_ + ":" + doc_token.tag_


def cue_features(members: Sequence[Found], sent: Span, quotes: Quotes) -> list[str]:
    """What the first judge sees of a cue (is it an attribution at all?): its word, its place in the
    parse and its neighbours, its subject, which rules proposed it and which dependents it has."""
    doc = sent.doc
    text = doc_text(doc)
    first = next((f for f in members if f.rule not in ("stance", "tagged")), members[0])
    quoted = bool(quotes.near(sent.start_char, sent.end_char))
    feats = [f"n={_bucket(len(members))}", f"kind={first.speaker_kind}", f"speaker={'yes' if first.speaker else 'no'}",
             f"headline={sent.start == 0}", f"sent_quote={quoted}"]
    feats += sorted({f"rule={f.rule}" for f in members} | {f"has={f.relation}" for f in members if f.relation}
                    | {f"form={f.form}" for f in members})
    if first.cue is not None:
        feats += [f"cue_text={text[first.cue[0]:first.cue[1]].lower()}",
                  f"cue_in_quote={in_quote(quotes, first.cue[0])}"]
    if first.cue_token is None:
        return [*feats, f"only={first.rule}"]
    cue = doc[first.cue_token]
    word = _cue_word(cue)
    lemma, dep, tag, entry = word.lemma, word.dep, word.tag, word.entry
    subject = _stance_subject(cue)
    subj = _subject_class(subject)
    prev = doc[cue.i - 1].lower_ if cue.i > sent.start else "<s>"
    nxt = doc[cue.i + 1].lower_ if cue.i + 1 < sent.end else "</s>"
    rate = entry.cue / entry.total if entry and entry.total else 0.0
    feats += [
        f"lemma={lemma}", f"pos={word.pos}", f"tag={tag}", f"dep={dep}", f"lemma|dep={lemma}|{dep}",
        f"lemma|tag={lemma}|{tag}", f"subj={subj}", f"lemma|subj={lemma}|{subj.split(':')[0]}",
        f"neg={word.negated}", f"modal={word.modal}", f"head={word.head}", f"head_pos={word.head_pos}",
        f"speech={lemma in SPEECH_VERBS}", f"prev={prev}", f"next={nxt}", f"lemma|next={lemma}|{nxt}",
        f"lemma|prev={lemma}|{prev}", f"rate={round(rate, 1)}",
        f"subj_ent={subject.ent_type_ if subject is not None else '-'}",
    ]
    feats += sorted({f"lemma|has={lemma}|{f.relation}" for f in members if f.relation}
                    | {f"lemma|rule={lemma}|{f.rule}" for f in members})
    if entry is not None:
        feats += sorted({f"rel_rate={f.relation}|{round(entry.rate(f.relation), 1)}" for f in members if f.relation})
    return feats


@dataclass(frozen=True)
class _CueWord:
    """A cue word as both linear judges read it, made once per article (``_cue_word``): the span
    judge reads it again with each of the cue's candidate contents."""

    lemma: str
    pos: str
    tag: str
    dep: str
    head: str  # the head's lemma, ROOT for a root
    head_pos: str
    negated: bool  # 'did not say'
    modal: bool  # 'would say'
    subject: str  # the span judge's class (``_subject_class``) of the clause subject or the noun's holder
    entry: LearnedCue | None  # the cue lexicon's counts for the word


def _cue_word(cue: Token) -> _CueWord:
    """The ``_CueWord`` of ``cue``, from the token index's memo after its first reading."""
    memo = token_index(cue.doc).memo
    word = memo.get(("cue", cue.i))
    if not isinstance(word, _CueWord):
        lemma, pos, head = cue.lemma_.lower(), cue.pos_, cue.head
        children = [(c.dep_, c.tag_) for c in cue.children]
        word = memo[("cue", cue.i)] = _CueWord(
            lemma, pos, cue.tag_, cue.dep_, head.lemma_.lower() if head.i != cue.i else "ROOT", head.pos_,
            any(d == "neg" for d, _ in children), any(t == "MD" for _, t in children),
            _subject_class(_clause_subject(cue)), learned_cues().get(f"{lemma}/{pos}"))
    return word


def _tail(cue: Token, content: Span) -> str:
    """How the content's last word hangs on the cue: through which of the cue's dependents ('rejected
    that argument in a ruling': prep:in, an adjunct the content should stop before), or 'out'."""
    index = token_index(cue.doc)
    heads = index.head
    t = content.end - 1 if index.word[content.end - 1] else int(index.prev_word[content.end - 1])
    if t < content.start:
        return "none"
    while heads[t] != cue.i and heads[t] != t:
        t = heads[t]
    if heads[t] != cue.i or t == cue.i:
        return "out"
    token = cue.doc[t]
    return f"{token.dep_}:{token.lower_}" if token.dep_ == "prep" else token.dep_


def span_features(found: Found, sent: Span, quotes: Quotes) -> list[str]:
    """What the second judge sees of one candidate content for a cue: how the content hangs on the
    cue and how it ends (``_tail``), and the content's size, shape, first word, head and quote marks."""
    doc = sent.doc
    text = doc_text(doc)
    rule = found.rule or "rule"
    cue = doc[found.cue_token] if found.cue_token is not None else None
    start, end = found.content
    size = _bucket(len(text[start:end].split()))
    feats = [f"rule={rule}", f"form={found.form}", f"len={size}", f"kind={found.speaker_kind}",
             f"rule|form={rule}|{found.form}", f"speaker={'yes' if found.speaker else 'no'}",
             f"content_first={'yes' if start <= sent.start_char + 1 else 'no'}",
             f"content_last={'yes' if end >= sent.end_char - 2 else 'no'}"]
    if cue is not None:
        word = _cue_word(cue)
        lemma, dep, tag, subj = word.lemma, word.dep, word.tag, word.subject
        relation = found.relation or "none"
        subj_class = subj.split(":")[0]
        feats += [
            f"lemma={lemma}", f"lemma|rel={lemma}|{relation}", f"rel={relation}", f"pos={word.pos}",
            f"tag={tag}", f"dep={dep}", f"lemma|dep={lemma}|{dep}", f"lemma|tag={lemma}|{tag}",
            f"subj={subj}", f"lemma|subj={lemma}|{subj_class}", f"neg={word.negated}", f"modal={word.modal}",
            f"head={word.head}", f"head_pos={word.head_pos}",
            f"speech={lemma in SPEECH_VERBS}", f"rel|form={relation}|{found.form}",
            f"rel|len={relation}|{size}", f"lemma|len={lemma}|{size}",
            f"after={'yes' if cue.idx >= end else 'no'}",
        ]
        tokens = token_range(doc, start, end)
        if tokens is not None and tokens[0] < tokens[1]:
            content_span = doc[tokens[0] : tokens[1]]
            first = content_span[0]
            first_word = first.lower_ if first.is_stop else first.pos_
            croot = _root(doc, *tokens)
            croot_pos, croot_ent = croot.pos_, croot.ent_type_ or "-"
            tags = token_index(doc).pos
            feats += [f"first={first_word}", f"rel|first={relation}|{first_word}",
                      f"lemma|rel|first={lemma}|{relation}|{first_word}",
                      f"has_verb={any(tags[i] in ('VERB', 'AUX') for i in range(*tokens))}",
                      f"croot={croot_pos}", f"lemma|croot={lemma}|{croot_pos}",
                      f"croot_ent={croot_ent}", f"lemma|croot_ent={lemma}|{croot_ent}",
                      f"lemma|rel|subj={lemma}|{relation}|{subj_class}",
                      f"lemma|rel|croot={lemma}|{relation}|{croot_pos}"]
            tail = _tail(cue, content_span)
            feats += [f"tail={tail}", f"rel|tail={relation}|{tail}", f"lemma|tail={lemma}|{tail}"]
        rel_rate = word.entry.rate(relation) if word.entry else 0.0
        feats.append(f"rel_rate={round(rel_rate, 1)}")
    return feats


def _root(doc: Doc, start: int, end: int) -> Token:
    """``doc[start:end].root``, found once per article: every candidate of a cue asks for its
    speaker's, and the dense rows and the span judge each for a content's."""
    memo = token_index(doc).memo
    root = memo.get(("root", start, end))
    if not isinstance(root, int):
        root = memo[("root", start, end)] = doc[start:end].root.i
    return doc[root]


def _token_at(doc: Doc, bounds: tuple[int, int] | None) -> Token | None:
    """The head of a char span (``_root``), or None for no tokens; found once per span and article."""
    if not bounds:
        return None
    memo = token_index(doc).memo
    root = memo.get(("at", *bounds))
    if not isinstance(root, int):
        tokens = token_range(doc, *bounds)
        root = memo[("at", *bounds)] = _root(doc, *tokens).i if tokens is not None and tokens[0] < tokens[1] else -1
    return doc[root] if root >= 0 else None


def _cue_token(doc: Doc, found: Found) -> Token | None:
    return doc[found.cue_token] if found.cue_token is not None else _token_at(doc, found.cue)


N_ROLE_SPAN = 14
N_ROLE_CUE = 8


def _word_lists(doc: Doc, spans: Sequence[tuple[int, int] | None]) -> tuple[np.ndarray, np.ndarray]:
    """The tokens of each char span, punctuation and spaces left out (unless that is all), one list
    after another, and where each span's list begins in it (and where the last ends)."""
    index = token_index(doc)
    lists = []
    for span in spans:
        tokens = token_range(doc, *span) if span else None
        if tokens is None or tokens[0] >= tokens[1]:
            lists.append(index.words[:0])
            continue
        a, b = tokens
        first, end = index.words_before[a], index.words_before[b]
        lists.append(index.words[first:end] if end > first else np.arange(a, b))
    return np.concatenate(lists), np.cumsum([0, *map(len, lists)])


def _means(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``values[s:e].mean()`` for each segment, to the bit: numpy sums float32 pairwise, which
    ``np.add.reduceat`` does not, and divides that float32 sum by the count in float64."""
    sums = np.array([np.add.reduce(values[s:e]) for s, e in zip(starts.tolist(), ends.tolist(), strict=True)],
                    dtype=np.float32)
    return (sums.astype(np.float64) / (ends - starts)).astype(np.float32)


def _segment_max(values: np.ndarray, starts: npt.ArrayLike, ends: npt.ArrayLike) -> np.ndarray:
    """``values[s:e].max(axis=0)`` for each non-empty segment."""
    bounds = np.stack([starts, ends], axis=1).ravel()  # reduceat reads [s, e) at even places
    return np.maximum.reduceat(np.concatenate([values, np.zeros_like(values[:1])]), bounds, axis=0)[::2]


def member_readings(members: Sequence[Found], doc: Doc) -> np.ndarray:
    """What the role reader reads on each candidate, read once for all the judges (``judge`` reads
    all of an article's at once): the cue's cue reading; the content's content reading (mean, min,
    share above one half) and just outside it; how much its first word reads as a beginning and its
    last as an end, and any word inside as either; the speaker's source and content readings.
    Zeros without readings."""
    out = np.zeros((len(members), N_ROLE_SPAN), dtype=np.float32)
    roles = doc.user_data.get(ROLES)
    if roles is None or len(roles) != len(doc) or not members:
        return out
    index = token_index(doc)
    by_token = [k for k, f in enumerate(members) if f.cue_token is not None]
    out[by_token, 0] = roles[[members[k].cue_token for k in by_token], 0]
    cues, at = _word_lists(doc, [f.cue if f.cue_token is None else None for f in members])
    some = at[1:] > at[:-1]
    out[some, 0] = _segment_max(roles[cues, 0], at[:-1][some], at[1:][some])

    words, at = _word_lists(doc, [f.content for f in members])
    some = at[1:] > at[:-1]
    starts, ends = at[:-1][some], at[1:][some]
    content = roles[words, 1]
    first, last = words[starts], words[ends - 1]
    out[some, 1] = _means(content, starts, ends)
    out[some, 2] = np.minimum.reduceat(content, starts)
    # the nearest word before and after the content, in its sentence
    before, after = index.prev_word[first], index.next_word[last]
    out[some, 3] = np.where(before >= index.sent_start[first], roles[before, 1], 0.0)
    out[some, 4] = np.where(after < index.sent_end[last], roles[np.minimum(after, len(doc) - 1), 1], 0.0)
    out[some, 5], out[some, 7] = roles[first, 3], roles[last, 4]
    longer = ends - starts > 1
    rows = np.flatnonzero(some)[longer]
    out[rows, 6] = _segment_max(roles[words, 3], starts[longer] + 1, ends[longer])
    out[rows, 8] = _segment_max(roles[words, 4], starts[longer], ends[longer] - 1)
    out[some, 12] = np.add.reduceat((content > 0.5).astype(np.int64), starts) / (ends - starts)
    out[:, 13] = out[:, 1] * out[:, 5] * out[:, 7]  # the reader agrees on the whole stretch, edges included

    words, at = _word_lists(doc, [f.speaker for f in members])
    some = at[1:] > at[:-1]
    starts, ends = at[:-1][some], at[1:][some]
    out[some, 9] = _means(roles[words, 2], starts, ends)
    out[some, 10] = 1.0
    out[some, 11] = _means(roles[words, 1], starts, ends)
    return out


def _dense(doc: Doc, tokens: Sequence[tuple[Token | None, Token | None, Token | None]],
           readings: np.ndarray) -> np.ndarray:
    """Dense rows, one per triple of ``tokens``: the parser's own context vectors (``doc.tensor``) of
    the three side by side (zeros where a token is missing, or the parse has no vectors), then the
    row of ``readings`` and its log-odds (clipped: a linear judge then tells 0.9 from 0.999 as well)."""
    vectors = np.zeros((len(tokens), DENSE), dtype=np.float32)
    tensor = doc.tensor
    if tensor is not None and tensor.ndim == 2 and tensor.shape == (len(doc), TENSOR_WIDTH):
        for k in range(3):
            rows = [n for n, triple in enumerate(tokens) if triple[k] is not None]
            vectors[rows, k * TENSOR_WIDTH : (k + 1) * TENSOR_WIDTH] = tensor[[tokens[n][k].i for n in rows]]
    p = np.clip(readings, 1e-3, 1 - 1e-3)
    return np.concatenate([vectors, readings, np.log(p / (1 - p))], axis=1).astype(np.float32)


def _content_tokens(doc: Doc, found: Found) -> tuple[Token | None, Token | None, Token | None]:
    """The cue word, the content's head and the speaker's head of a candidate."""
    return _cue_token(doc, found), _token_at(doc, found.content), _token_at(doc, found.speaker)


def dense_features(found: Found, sent: Span, readings: np.ndarray) -> np.ndarray:
    """The vectors of the cue word, the content's head and the speaker's head, and the role
    reader's readings of the candidate (its row of ``member_readings``)."""
    return _dense(sent.doc, [_content_tokens(sent.doc, found)], readings[None])[0]


_HASHED: dict[str, int] = {}  # feature -> index: most features recur across cues and articles
_HASHED_MAX = 1 << 17  # emptied when it holds more than this many (≈ 25 MB)


def feature_indices(feats: Sequence[str]) -> list[int]:
    """Each feature hashed (CRC32) into the ``BITS``-bit weight vectors."""
    if len(_HASHED) > _HASHED_MAX:
        _HASHED.clear()
    out = []
    for f in feats:
        i = _HASHED.get(f)
        if i is None:
            i = _HASHED[f] = zlib.crc32(f.encode("utf-8")) & ((1 << BITS) - 1)
        out.append(i)
    return out


@dataclass(frozen=True)
class Linear:
    """A logistic regression over hashed features plus dense columns."""

    weights: np.ndarray
    dense: np.ndarray
    bias: float

    def logits(self, rows: Sequence[Sequence[int]], dense: np.ndarray) -> np.ndarray:
        """Log-odds of yes for each row: its hashed features (``feature_indices``) and its row of ``dense``."""
        if not len(rows):
            return np.full(0, self.bias)
        # one gather for all rows; each row's float32 sum is still numpy's own (pairwise) sum
        weights = self.weights[np.fromiter(itertools.chain.from_iterable(rows), dtype=np.intp)]
        bounds = itertools.pairwise(itertools.accumulate(map(len, rows), initial=0))
        sums = np.array([np.add.reduce(weights[a:b]) for a, b in bounds], dtype=np.float64)
        return (self.bias + sums) + dense @ self.dense


@dataclass(frozen=True)
class Trees:
    """Boosted regression trees over rows of numbers (log-loss), evaluated with numpy. Node ``k``
    sends a row left when ``row[feature[k]] <= threshold[k]``; a leaf has feature -1 and adds its
    ``value`` to the log-odds."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    bias: float

    def score(self, x: np.ndarray) -> np.ndarray:
        """P(yes) for each row of ``x``."""
        return 1.0 / (1.0 + np.exp(-self.logits(x)))

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Log-odds of yes for each row of ``x``."""
        x = np.asarray(x, dtype=np.float32)  # trees split float32 values, as they were fitted
        at = np.tile(self.roots, (len(x), 1))
        rows = np.arange(len(x))[:, None]
        inner = self.feature[at] >= 0
        while inner.any():
            go_left = x[rows, np.where(inner, self.feature[at], 0)] <= self.threshold[at]
            at = np.where(inner, np.where(go_left, self.left[at], self.right[at]), at)
            inner = self.feature[at] >= 0
        return self.bias + self.value[at].sum(axis=1)


TREE_PARTS = ("feature", "threshold", "left", "right", "value", "roots")


@dataclass(frozen=True)
class AttributionModel:
    """Three judges: ``cue`` reads whether a cue word is an attribution at all, ``span`` which of
    its candidate contents is the content, and ``last`` weighs the cue judge's word against the
    role readings and the cues around it (``decision_features``). A cue is accepted when ``last``
    gives it ``threshold`` or more."""

    cue: Linear
    span: Linear
    last: Trees
    threshold: float

    @classmethod
    @lru_cache(maxsize=1)
    def load(cls, path: pathlib.Path = MODEL) -> AttributionModel | None:
        """The shipped model, or None when it has not been trained."""
        try:
            with np.load(path) as data:
                judges = [Linear(data[f"{n}_weights"].astype(np.float32), data[f"{n}_dense"].astype(np.float32),
                                 float(data[f"{n}_bias"])) for n in ("cue", "span")]
                last = Trees(*(data[f"last_{part}"] for part in TREE_PARTS), float(data["last_bias"]))
                return cls(judges[0], judges[1], last, float(data["threshold"]))
        except (OSError, KeyError):
            return None

    def save(self, path: pathlib.Path) -> None:
        np.savez_compressed(path, cue_weights=self.cue.weights, cue_dense=self.cue.dense,
                            cue_bias=np.float64(self.cue.bias), span_weights=self.span.weights,
                            span_dense=self.span.dense, span_bias=np.float64(self.span.bias),
                            **{f"last_{part}": getattr(self.last, part) for part in TREE_PARTS},
                            last_bias=np.float64(self.last.bias), threshold=np.float64(self.threshold))


# a transcript's paragraphs may each open with a quotation mark that never closes ('"SMITH: Well, …')
_LABEL = re.compile(r"^[ \t]*(\"|\u201c)?([^\n:\"\u201c]{2,60}?):[ \t]+(\S[^\n]*)", re.MULTILINE)


def colon_candidates(doc: Doc, quotes: Quotes, actors: ActorIndex, skip: list[tuple[int, int]]) -> list[Found]:
    """A line that opens with a short name and a colon: a transcript's speaker label
    ('SMITH: Well, …') or a headline's source ('Poll: Voters …'); the content is the rest of the line."""
    text = doc_text(doc)
    out = []
    for m in _LABEL.finditer(text):
        label = doc.char_span(m.start(2), m.end(2), alignment_mode="contract")
        if label is None or not 0 < len(label) <= 6 or any(s <= m.start() < e for s, e in skip):
            continue
        if not any(t.pos_ in ("PROPN", "NOUN") for t in label) or any(t.pos_ in ("VERB", "AUX") for t in label):
            continue
        start, end = trim(text, m.start(3), m.end(3))
        if end - start < 3 or (m.group(1) is None and in_quote(quotes, m.start(2))):
            continue
        source = source_of(label.root, actors, (label.start_char, label.end_char))
        quote = quote_containing(quotes, start, end) if m.group(1) is None else None  # a transcript: the line
        content, form = ((trim(text, quote.start, quote.end, " \n,"), "direct") if quote is not None
                         and quote.open_mark <= start + 1 else ((start, end), form_of(text, start, end, quotes)))
        out.append(Found(content, form, (m.end(2), m.end(2) + 1), (source.start, source.end), source.name,
                         source.kind, source.actor, source.role, [], None, rule="colon",
                         relation="upper" if label.text.isupper() else "label"))
    return out


MAX_JOINED = 3  # quotations after the first that one statement may run on to


def joined_quotes(doc: Doc, quotes: Quotes, found: Sequence[Found]) -> list[Found]:
    """'“A,” X said. “B.” “C.”' and '“A,” he said, “B.”': a quotation and the next ones in its
    paragraph, up to another attribution's words, as one attribution from A to the last (PolNeAR
    joins them); one candidate per length, for the span judge to choose from."""
    text = doc_text(doc)
    marks = sorted(m for f in found for m in (f.cue, f.speaker) if m is not None)
    out = []
    for f in found:
        if f.form != "direct" or f.cue is None or f.rule == "continued":
            continue
        end = max(f.content[1], f.cue[1], f.speaker[1] if f.speaker else 0)
        paragraph_end = text.find("\n", end)
        paragraph_end = len(text) if paragraph_end == -1 else paragraph_end
        others = [m for m in marks if m[0] >= end and m != f.cue and m != f.speaker]
        limit = min([paragraph_end, *(m[0] for m in others)])
        following = [q for q in quotes.near(end, limit) if q.open_mark >= end and q.end <= limit]
        for q in following[:MAX_JOINED]:
            out.append(replace(f, content=(f.content[0], trim(text, q.start, q.end, " \n,")[1]), via=list(f.via),
                               rule="joined"))
    return out


READ = 0.5  # a reading this strong marks a token's role, for the reader's own candidates


def _content_runs(doc: Doc, roles: np.ndarray) -> list[tuple[int, int]]:
    """Token ranges the reader reads as one content: runs of content readings, cut at a paragraph
    break, before a word read as a beginning and after one read as an end."""
    index = token_index(doc)
    readings = zip(index.line_break, (roles[:, 1] < READ).tolist(), (roles[:, 3] >= READ).tolist(),
                   ((roles[:, 4] >= READ) & ~index.punct).tolist(), strict=True)
    runs, start = [], None
    for i, (breaks, outside, begins, ends) in enumerate(readings):
        if breaks or outside or (start is not None and begins and i > start):
            if start is not None:
                runs.append((start, i))
            start = None if breaks or outside else i
            continue
        if start is None:
            start = i
        if ends:
            runs.append((start, i + 1))
            start = None
    if start is not None:
        runs.append((start, len(doc)))
    return [(a, b) for a, b in runs if np.count_nonzero(index.word[a:b]) >= 2]


def _paragraph(doc: Doc, i: int) -> tuple[int, int]:
    """The token range of the line (paragraph) holding token ``i``: from after the last line break
    before it to the next one after it."""
    breaks = token_index(doc).breaks
    before, after = bisect_left(breaks, i) - 1, bisect_left(breaks, i + 1)
    return breaks[before] + 1 if before >= 0 else 0, breaks[after] if after < len(breaks) else len(doc)


def tagged_candidates(doc: Doc, quotes: Quotes, actors: ActorIndex, skip: list[tuple[int, int]],
                      found: Sequence[Found]) -> list[Found]:
    """Contents as the role reader reads them (rule ``tagged``), each given to the nearest word in
    its paragraph that the reader reads as a cue. A cue some rule already proposed keeps that
    rule's speaker; a new cue gets the nearest stretch read as a source in its sentence."""
    roles = doc.user_data.get(ROLES)
    if roles is None or len(roles) != len(doc):
        return []
    text = doc_text(doc)
    starts = token_index(doc).starts
    cues = [i for i in np.flatnonzero((roles[:, 0] >= READ) & token_index(doc).word).tolist()
            if not any(s <= starts[i] < e for s, e in skip)]
    if not cues:
        return []
    cue_set = set(cues)
    by_cue = {f.cue_token: f for f in reversed(found) if f.cue_token is not None}  # the first reading of each cue
    out = []
    for a, b in _content_runs(doc, roles):
        p_start, p_end = _paragraph(doc, a)
        near = [i for i in cues[bisect_left(cues, p_start) : bisect_left(cues, p_end)] if not a <= i < b]
        if not near:
            continue
        cue = doc[min(near, key=lambda i: a - i if i < a else i - b + 1)]
        while cue.head.i != cue.i and cue.head.i in cue_set and not a <= cue.head.i < b:
            cue = cue.head  # 'according to': the word that heads the cue
        start, end = trim(text, doc[a].idx, doc[b - 1].idx + len(doc[b - 1].text))
        if end - start < 3:
            continue
        quote = quote_containing(quotes, start, end)
        content, form = ((trim(text, quote.start, quote.end, " \n,"), "direct") if quote is not None
                         else ((start, end), form_of(text, start, end, quotes)))
        cue_span = (cue.idx, cue.idx + len(cue.text))
        if cue.i in by_cue:
            out.append(replace(by_cue[cue.i], content=content, form=form, via=list(by_cue[cue.i].via), rule="tagged",
                               relation=None))
            continue
        sent = sentence_of(doc, cue.i)
        sources = [t for t in sent if roles[t.i, 2] >= READ and not a <= t.i < b and t.i != cue.i
                   and not (t.is_punct or t.is_space)]
        speaker = Found(content, form, cue_span, cue_token=cue.i, rule="tagged", when=when_of(sent, content, cue))
        if sources:
            head = min(sources, key=lambda t: abs(t.i - cue.i))
            while head.head in sources and head.head.i != head.i:
                head = head.head
            source = source_of(head, actors)
            speaker = replace(speaker, speaker=(source.start, source.end), speaker_name=source.name,
                              speaker_kind=source.kind, actor=source.actor, role=source.role)
        out.append(speaker)
    return out


def candidates(doc: Doc, quotes: Quotes, actors: ActorIndex,
               skip: list[tuple[int, int]]) -> list[tuple[Found, Span]]:
    """Every candidate attribution with its sentence: what the rules find, quotations joined to the
    ones that continue them, the stance candidates of every sentence, colon labels and the contents
    the role reader reads."""
    text = doc_text(doc)
    # the judge was trained without the run-on readings of a bare quotation (extract.continue_quotes)
    found = [f for f in find_attributions(doc, quotes, actors, skip) if f.rule != "run-on"]
    found += joined_quotes(doc, quotes, found)
    out = [(f, _sentence_at(doc, f.content)) for f in found]
    taken = {f.cue_token for f in found if f.cue_token is not None}
    for sent in doc.sents:
        if any(s <= sent.start_char < e for s, e in skip):
            continue
        cut = [according_phrase(a, p) for a, p in according_to_phrases(sent)]
        cut = [(trim(text, sent.start_char, s)[1], e) for s, e in cut]
        out += [(f, sent) for f in stance_candidates(sent, quotes, actors, cut, taken)]
    contents = {f.content for f, _ in out}
    # a label's line is its content by the layout itself: it goes before the reader's guesses
    for f in colon_candidates(doc, quotes, actors, skip):
        if f.content not in contents:
            contents.add(f.content)
            out.append((f, _sentence_at(doc, f.content)))
    for f in tagged_candidates(doc, quotes, actors, skip, [f for f, _ in out]):
        if f.content not in contents:
            contents.add(f.content)
            out.append((f, sentence_of(doc, f.cue_token)))
    return out


def _sentence_at(doc: Doc, bounds: tuple[int, int]) -> Span:
    """The sentence of a span's first token."""
    tokens = token_range(doc, *bounds)
    if tokens is None:
        raise ValueError(f"span {bounds} lies outside the text")
    return sentence_of(doc, tokens[0])


def groups(pairs: Sequence[tuple[Found, Span]]) -> list[tuple[list[Found], Span]]:
    """Candidates that share a cue word (or, without one, a content), in order of appearance."""
    out: dict[object, tuple[list[Found], Span]] = {}
    for f, sent in pairs:
        key = f.cue_token if f.cue_token is not None else ("content", f.content)
        out.setdefault(key, ([], sent))[0].append(f)
    return list(out.values())


def role_cue_features(spans: np.ndarray, sent: Span) -> np.ndarray:
    """The role reader's readings of a cue, from its candidates' ``member_readings``: its cue and
    its speaker's source readings; among its candidate contents the best content reading, the best
    agreement on a whole stretch and the largest share read as content; the sentence's strongest
    content, beginning and source readings. Zeros without readings."""
    return _role_cue_rows(spans, [0], [sent])[0]


def _role_cue_rows(spans: np.ndarray, firsts: Sequence[int], sents: Sequence[Span]) -> np.ndarray:
    """``role_cue_features`` of several cues at once (``judge``: all of an article's): ``spans``
    holds their candidates' readings, one cue after another, each cue's from ``firsts``."""
    out = np.zeros((len(sents), N_ROLE_CUE), dtype=np.float32)
    doc = sents[0].doc
    roles = doc.user_data.get(ROLES)
    if roles is not None and len(roles) == len(doc):
        ends = [*firsts[1:], len(spans)]
        out[:, :2] = spans[firsts][:, [0, 9]]
        out[:, 2:5] = _segment_max(spans[:, [1, 13, 12]], firsts, ends)
        out[:, 5:] = _segment_max(roles[:, [1, 3, 2]], [s.start for s in sents], [s.end for s in sents])
    return out


def _cue_tokens(doc: Doc, members: Sequence[Found]) -> tuple[Token | None, None, Token | None]:
    """The cue word and the speaker's head of a cue."""
    return _cue_token(doc, members[0]), None, _token_at(doc, members[0].speaker)


def dense_cue(members: Sequence[Found], sent: Span, readings: np.ndarray) -> np.ndarray:
    """The cue judge's dense columns: the cue's and the speaker's vectors and the cue's role
    readings (``role_cue_features``)."""
    return _dense(sent.doc, [_cue_tokens(sent.doc, members)], readings[None])[0]


@dataclass(frozen=True)
class Decision:
    """One cue as the last judge sees it: the cue judge's log-odds, the number of candidate
    contents, the best one by the span judge (its log-odds and margin over the runner-up) and the
    role readings of the cue and of that content."""

    logit: float
    members: int
    sentence: int  # the sentence's first token
    content: tuple[int, int]
    span: tuple[float, float]  # the best content's log-odds and its margin (see ``pick_content``)
    readings: np.ndarray  # role_cue_features, then role_span_features of the best content


N_DECISION = 8 + N_ROLE_CUE + N_ROLE_SPAN
NO_RIVAL = -10.0  # the log-odds given to a rival cue that is not there
RIVAL_SHARE = 0.3  # two contents sharing this much are rivals for one statement


def decision_features(decisions: Sequence[Decision]) -> np.ndarray:
    """The last judge's columns for each cue of an article: its log-odds and number of contents;
    how many other cues its sentence has and the strongest of their log-odds; the strongest
    log-odds of a rival (another cue whose best content shares ``RIVAL_SHARE`` of it) and its own
    margin over that; the span judge's log-odds of its best content and margin over the runner-up;
    then its role readings. Whether a cue is an attribution depends on the
    others around it: two verbs rarely both report one stretch."""
    out = np.zeros((len(decisions), N_DECISION), dtype=np.float32)
    if not decisions:
        return out
    logit = np.array([d.logit for d in decisions])
    sentence = np.array([d.sentence for d in decisions])
    start, end = np.array([d.content for d in decisions]).T
    others = ~np.eye(len(decisions), dtype=bool)
    same = others & (sentence[:, None] == sentence)
    # _shared of every pair at once (integer spans, so the same float division)
    overlap = np.maximum(0, np.minimum(end[:, None], end) - np.maximum(start[:, None], start))
    length = end - start
    rivals = others & (2 * overlap / np.maximum(1, length[:, None] + length) >= RIVAL_SHARE)
    strongest = np.where(same.any(axis=1), np.where(same, logit, -np.inf).max(axis=1), NO_RIVAL)
    rival = np.where(rivals.any(axis=1), np.where(rivals, logit, -np.inf).max(axis=1), NO_RIVAL)
    out[:, 0], out[:, 1], out[:, 2] = logit, [d.members for d in decisions], same.sum(axis=1)
    out[:, 3], out[:, 4], out[:, 5] = strongest, rival, logit - rival
    out[:, 6:8] = [d.span for d in decisions]
    out[:, 8:] = [d.readings for d in decisions]
    return out


def pick_content(logits: np.ndarray) -> tuple[int, float, float]:
    """The best of a cue's candidate contents by the span judge's log-odds: its index, log-odds and
    margin over the runner-up (a lone content, never judged, gets 0 and ``-NO_RIVAL``)."""
    if len(logits) == 1:
        return 0, 0.0, -NO_RIVAL
    order = np.argsort(-logits)
    return int(order[0]), float(logits[order[0]]), float(logits[order[0]] - logits[order[1]])


def decide(members: Sequence[Found], sentence: int, logit: float, contents: np.ndarray, readings: np.ndarray,
           spans: np.ndarray) -> tuple[Decision, int]:
    """One cue as the last judge sees it, from the cue judge's log-odds, the span judge's log-odds of
    each content (``content_logits``), the cue's role readings and each content's; and the index of
    its best content."""
    j, best, margin = pick_content(contents)
    return Decision(logit, len(members), sentence, members[j].content, (best, margin),
                    np.concatenate([readings, spans[j]])), j


def content_logits(members: Sequence[Found], sent: Span, quotes: Quotes, span: Linear,
                   dense: np.ndarray | None) -> np.ndarray:
    """The span judge's log-odds of each of a cue's candidate contents, given their rows of
    ``dense_features`` (a lone content is not judged: 0)."""
    if len(members) == 1 or dense is None:
        return np.zeros(1)
    return span.logits([feature_indices(span_features(f, sent, quotes)) for f in members], dense)


def judge(grouped: Sequence[tuple[list[Found], Span]], quotes: Quotes,
          model: AttributionModel) -> list[tuple[Found, float]]:
    """Every cue with its best content by the span judge, and the probability the last judge gives it.
    The readings and dense rows of all of the article's candidates are built at once."""
    if not grouped:
        return []
    doc = grouped[0][1].doc
    every = member_readings([f for m, _ in grouped for f in m], doc)
    firsts = list(itertools.accumulate((len(m) for m, _ in grouped[:-1]), initial=0))
    spans = np.split(every, firsts[1:])
    readings = _role_cue_rows(every, firsts, [sent for _, sent in grouped])
    logits = model.cue.logits([feature_indices(cue_features(m, sent, quotes)) for m, sent in grouped],
                              _dense(doc, [_cue_tokens(doc, m) for m, _ in grouped], readings))
    # dense rows only for the contents of cues with a choice of them (a lone content is not judged)
    several = [len(m) > 1 for m, _ in grouped]
    judged = [f for (m, _), c in zip(grouped, several, strict=True) if c for f in m]
    rows = _dense(doc, [_content_tokens(doc, f) for f in judged],
                  np.concatenate([s for s, c in zip(spans, several, strict=True) if c] or [every[:0]]))
    ends = itertools.accumulate(len(m) if c else 0 for (m, _), c in zip(grouped, several, strict=True))
    # each cue's rows as an array of its own, as np.stack made them: a matrix product may round
    # differently on a view into a larger array
    dense = [rows[end - len(m) : end].copy() if c else None
             for (m, _), c, end in zip(grouped, several, ends, strict=True)]
    decided = [decide(m, sent.start, float(z), content_logits(m, sent, quotes, model.span, d), r, s)
               for (m, sent), z, r, s, d in zip(grouped, logits, readings, spans, dense, strict=True)]
    p = model.last.score(decision_features([d for d, _ in decided]))
    return [(m[j], float(q)) for (m, _), (_, j), q in zip(grouped, decided, p, strict=True)]


SAME_CONTENT = 0.5  # two contents sharing this much of their length are one statement read twice


def _shared(a: tuple[int, int], b: tuple[int, int]) -> float:
    """How much two spans share: twice their overlap over their summed lengths."""
    return 2 * max(0, min(a[1], b[1]) - max(a[0], b[0])) / max(1, a[1] - a[0] + b[1] - b[0])


def choose(scored: Sequence[tuple[Found, float]], threshold: float) -> list[Found]:
    """The cues accepted at ``threshold``, likeliest first, leaving out a content that is mostly
    one already kept (the same quotation read by two rules); in text order."""
    out: list[Found] = []
    for f, p in sorted(scored, key=lambda fp: -fp[1]):
        if p >= threshold and all(_shared(f.content, g.content) < SAME_CONTENT for g in out):
            out.append(f)
    out.sort(key=lambda f: f.content[0])
    return out


def whole_source(doc: Doc, found: Found) -> None:
    """PolNeAR's source span: the speaker's whole noun phrase, appositives and relative clauses
    included ('X, head of Y, who …'), as long as it stays clear of the cue and the content."""
    if found.speaker is None:
        return
    span = doc.char_span(*found.speaker, alignment_mode="expand")
    if span is None or not len(span):
        return
    start, end = trim(doc_text(doc), *subtree_bounds(span.root))
    start, end = min(start, found.speaker[0]), max(end, found.speaker[1])
    for other in (found.cue, found.content):
        if other is not None and other[0] < end and start < other[1]:
            return
    found.speaker = (start, end)


def with_complementiser(doc: Doc, found: Found) -> None:
    """PolNeAR's content keeps the 'that' which opens a reported clause ('said that X' -> 'that X')."""
    start = found.content[0]
    text = doc_text(doc)
    head = text[:start].rstrip()
    if not head.lower().endswith("that") or (len(head) > 4 and head[-5].isalnum()):
        return
    token = doc.char_span(len(head) - 4, len(head))
    if token is not None and token[0].dep_ == "mark":
        found.content = (len(head) - 4, found.content[1])


def read_roles(doc: Doc, quotes: Quotes) -> np.ndarray:
    """The shipped role reader's per-token readings of ``doc``."""
    reader = RoleReader.load()
    if reader is None:
        raise OnrecordError("the PolNeAR convention's role reader is missing (onrecord/data/roles.npz): "
                            "reinstall onrecord or train it with python -m onrecord.train.attributions")
    return reader.tokens(doc, quotes)


def polnear_attributions(doc: Doc, quotes: Quotes, actors: ActorIndex, skip: list[tuple[int, int]],
                         model: AttributionModel) -> list[Found]:
    """Attributions by PolNeAR's convention: the candidates the trained judge accepts, with whole
    noun phrases as sources and 'that' kept in reported clauses."""
    supplied = ROLES in doc.user_data  # training supplies readings by a reader that never saw the article
    if not supplied:
        doc.user_data[ROLES] = read_roles(doc, quotes)
    try:
        chosen = choose(judge(groups(candidates(doc, quotes, actors, skip)), quotes, model), model.threshold)
    finally:
        if not supplied:
            del doc.user_data[ROLES]  # readings must not travel with the Doc
    for f in chosen:
        whole_source(doc, f)
        with_complementiser(doc, f)
    return chosen
