"""Actors: the people and bodies an article mentions, merged across names, variants and pronouns.

An offline, rule-based coreference: full names anchor a person; a later surname (or a spelling
variant of it: Zelensky / Zelenskyy) joins that person; a pronoun or a definite description ("the
minister") that is a speaker resolves to the most recent fitting actor, preferring actors that were
the subject of a clause (news prose keeps its speaker as the subject).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from spacy.tokens import Doc, Span, Token

from onrecord.attribute.lexicon import TITLE_WORDS

_ACTOR_LABELS = {"PERSON": "person", "ORG": "organization", "GPE": "organization"}
_HONORIFICS = {"mr", "mrs", "ms", "dr", "sir", "dame", "mr.", "mrs.", "ms.", "dr.", "prof", "prof."}


def slug(name: str) -> str:
    """A stable id for a canonical name: ascii, lower case, hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "actor"


def _name_tokens(span: Span) -> list[str]:
    words = [t.text for t in span if not t.is_punct and not t.is_space and t.text.strip()
             and t.lower_ not in _HONORIFICS and t.lower_ != "the"]
    while words and words[-1].lower() in {"'s", "’s"}:
        words.pop()
    return words


def same_surname(a: str, b: str) -> bool:
    """Spelling variants of one surname (Zelensky / Zelenskyy / Zelenskiy) count as the same."""
    a, b = a.lower(), b.lower()
    if a == b:
        return True
    if min(len(a), len(b)) < 5 or a[:4] != b[:4]:
        return False
    return SequenceMatcher(None, a, b).ratio() >= 0.83


@dataclass
class Actor:
    """One canonical actor with every mention (token spans) in the document."""

    name: str
    kind: str
    mentions: list[tuple[int, int]] = field(default_factory=list)  # character offsets
    roles: list[str] = field(default_factory=list)
    subject_at: list[int] = field(default_factory=list)  # offsets where the actor is a clause subject

    @property
    def id(self) -> str:
        return slug(self.name)

    @property
    def surname(self) -> str:
        return self.name.split()[-1]

    def add_role(self, role: str | None) -> None:
        if role and role not in self.roles:
            self.roles.append(role)


def _is_subject(span: Span) -> bool:
    head = span.root
    while head.dep_ in ("compound", "flat", "appos") and head.head is not head:
        head = head.head
    return head.dep_ in ("nsubj", "nsubjpass")


class ActorIndex:
    """Actors of one document, built from its named entities; resolves spans and pronouns."""

    def __init__(self, doc: Doc, skip: list[tuple[int, int]] | None = None) -> None:
        self.doc = doc
        self.actors: list[Actor] = []
        skip = skip or []
        ents = [e for e in doc.ents if e.label_ in _ACTOR_LABELS and not any(s <= e.start_char < x for s, x in skip)]
        # people first, so that a surname the tagger labelled ORG or GPE still finds its person
        for ent in ents:
            if ent.label_ == "PERSON":
                self.add_mention(ent, "person")
        for ent in ents:
            if ent.label_ != "PERSON":
                words = _name_tokens(ent)
                is_person = bool(words) and any(a.kind == "person" and same_surname(a.surname, words[-1])
                                                for a in self.actors)
                self.add_mention(ent, "person" if is_person else _ACTOR_LABELS[ent.label_])
        self._add_untagged_surnames(skip)
        self.actors.sort(key=lambda a: min(a.mentions))

    def _add_untagged_surnames(self, skip: list[tuple[int, int]]) -> None:
        """Proper nouns the tagger missed that spell a known person's surname (Zelenskyy for Zelensky)."""
        people = [a for a in self.actors if a.kind == "person"]
        for token in self.doc:
            # a capitalised noun too: sentence-initial names are often tagged NOUN
            if not (token.pos_ == "PROPN" or (token.pos_ == "NOUN" and token.is_title)) or token.ent_type_:
                continue
            if any(s <= token.idx < e for s, e in skip):
                continue
            for actor in people:
                if same_surname(actor.surname, token.text):
                    actor.mentions.append((token.idx, token.idx + len(token.text)))
                    if _is_subject(self.doc[token.i : token.i + 1]):
                        actor.subject_at.append(token.idx)
                    break

    def add_mention(self, span: Span, kind: str) -> Actor | None:
        words = _name_tokens(span)
        if not words:
            return None
        actor = self._match(words, kind)
        if actor is None:
            actor = Actor(" ".join(words), kind)
            self.actors.append(actor)
        elif kind == "person" and len(words) > len(actor.name.split()):
            actor.name = " ".join(words)  # the fullest form is the canonical one
        mention = (span.start_char, span.end_char)
        if mention not in actor.mentions:
            actor.mentions.append(mention)
        if _is_subject(span):
            actor.subject_at.append(span.start_char)
        return actor

    def _match(self, words: list[str], kind: str) -> Actor | None:
        if kind == "person":
            for actor in reversed(self.actors):
                if actor.kind == "person" and same_surname(actor.surname, words[-1]):
                    given, other = words[:-1], actor.name.split()[:-1]
                    if not given or not other or given[0][0].lower() == other[0][0].lower():
                        return actor
            return None
        key = " ".join(words).lower()
        for actor in self.actors:
            if actor.kind != "person" and actor.name.lower() == key:
                return actor
        return None

    def actor_for(self, span: Span) -> Actor | None:
        """The actor whose mention lies inside ``span`` (the longest one), if any."""
        best: tuple[int, Actor] | None = None
        for actor in self.actors:
            for s, e in actor.mentions:
                if span.start_char <= s and e <= span.end_char and (best is None or e - s > best[0]):
                    best = (e - s, actor)
        return best[1] if best else None

    def resolve_pronoun(self, token: Token, kind: str = "person") -> Actor | None:
        """The most recent actor before ``token`` that fits, preferring earlier clause subjects."""
        before = token.idx
        sent_start = token.sent.start_char
        fitting = [a for a in self.actors if a.kind == kind]
        # 1. a subject earlier in this sentence or the nearest previous subject
        best: tuple[int, Actor] | None = None
        for actor in fitting:
            for at in actor.subject_at:
                if at < before and (best is None or at > best[0]):
                    best = (at, actor)
        # 2. any mention in this sentence before the pronoun, if closer than the subject
        for actor in fitting:
            for s, _ in actor.mentions:
                if sent_start <= s < before and (best is None or (s > best[0] and best[0] < sent_start)):
                    best = (s, actor)
        return best[1] if best else None

    def resolve_description(self, head: Token) -> Actor | None:
        """'the minister', 'the Russian leader': the latest person whose role shares the title word."""
        title = head.lower_
        if title not in TITLE_WORDS:
            return None
        latest: tuple[int, Actor] | None = None
        for actor in self.actors:
            if actor.kind != "person":
                continue
            if not any(title in role.lower().split() for role in actor.roles) and title != "leader":
                continue
            for s, _ in actor.mentions:
                if s < head.idx and (latest is None or s > latest[0]):
                    latest = (s, actor)
        return latest[1] if latest else None
