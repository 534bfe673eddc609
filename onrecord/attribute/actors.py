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
    # split on spaces, not tokens, so that "Delgado-Ruiz" stays one word
    words = [w.strip(".,;:!?()[]\"“”'’") for w in span.text.split()]
    words = [w for w in words if w and w.lower() not in _HONORIFICS and w.lower() != "the"]
    while len(words) > 1 and words[0].lower() in TITLE_WORDS:  # "Councillor Graham Pettit"
        words.pop(0)
    while words and words[-1].lower() in {"'s", "’s"}:
        words.pop()
    return words


def _fold(word: str) -> str:
    """Lower case without diacritics: Erdoğan -> erdogan."""
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().lower() or word.lower()


def same_surname(a: str, b: str) -> bool:
    """Spelling variants of one surname (Zelensky / Zelenskyy / Zelenskiy) count as the same, and a
    double-barrelled surname matches either of its parts (Delgado-Ruiz / Delgado)."""
    a, b = _fold(a), _fold(b)
    if a == b:
        return True
    if "-" in a or "-" in b:
        parts_a, parts_b = set(a.split("-")), set(b.split("-"))
        return bool(parts_a & parts_b) and (len(parts_a) == 1 or len(parts_b) == 1)
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
    gender: dict[str, int] = field(default_factory=dict)  # evidence: "m"/"f" -> count

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


_TITLE_ABBREVIATIONS = {"sen.": "senator", "sen": "senator", "gov.": "governor", "rep.": "representative",
                        "gen.": "general", "pres.": "president", "sec.": "secretary", "supt.": "superintendent",
                        "cllr": "councillor", "cllr.": "councillor", "insp.": "inspector", "amb.": "ambassador"}
_PRONOUN_GENDER = {"he": "m", "him": "m", "his": "m", "himself": "m",
                   "she": "f", "her": "f", "hers": "f", "herself": "f"}


def _contradicts(actor: Actor, gender: str) -> bool:
    """True when the evidence says the actor is of the other gender."""
    other = "f" if gender == "m" else "m"
    return actor.gender.get(other, 0) >= 2 and not actor.gender.get(gender, 0)


def mention_role(span: Span) -> str | None:
    """The role a name's own noun phrase gives it: title words before it ('Finance Minister Ole
    Brandt') or an appositive with a title word ('Graham Pettit, a local councillor')."""
    doc = span.doc
    head = span.root
    before = [t for t in doc[head.left_edge.i : span.start] if t.dep_ in ("compound", "amod", "nmod", "poss")
              or t.pos_ in ("PROPN", "ADJ", "NOUN")]
    titled = [t for t in doc[span.start : span.end] if t.lower_ in TITLE_WORDS]
    if before and any(t.lower_ in TITLE_WORDS for t in before):
        return doc[before[0].i : span.start].text.strip() + (" " + " ".join(t.text for t in titled) if titled else "")
    if titled:
        return " ".join(t.text for t in titled)
    for child in head.children:
        if child.dep_ == "appos" and any(t.lower_ in TITLE_WORDS for t in child.subtree):
            return doc[child.left_edge.i : child.right_edge.i + 1].text.strip(" ,")
    if head.dep_ == "appos" and head.head.lower_ in TITLE_WORDS:  # "The mayor, Clara Jensen"
        return doc[head.head.left_edge.i : head.head.i + 1].text
    return None


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
        self._collect_roles_and_gender()

    def _collect_roles_and_gender(self) -> None:
        """Roles from titles and appositives around every mention of a person ("Finance Minister Ole
        Brandt", "Graham Pettit, a councillor"), and gender evidence from honorifics and from the
        pronouns of sentences that mention only that person."""
        doc = self.doc
        people = [a for a in self.actors if a.kind == "person"]
        by_sentence: dict[int, set[int]] = {}
        for n, actor in enumerate(people):
            for start, end in actor.mentions:
                span = doc.char_span(start, end, alignment_mode="expand")
                if span is None:
                    continue
                by_sentence.setdefault(span.sent.start, set()).add(n)
                first = span[0]
                if first.lower_.rstrip(".") in ("mr", "sir"):
                    actor.gender["m"] = actor.gender.get("m", 0) + 2
                elif first.lower_.rstrip(".") in ("mrs", "ms", "miss", "dame"):
                    actor.gender["f"] = actor.gender.get("f", 0) + 2
                actor.add_role(mention_role(span))
        for sent_start, members in by_sentence.items():
            if len(members) != 1:
                continue
            actor = people[next(iter(members))]
            for token in doc[sent_start:].sent:
                g = _PRONOUN_GENDER.get(token.lower_)
                if g and token.dep_ in ("nsubj", "nsubjpass"):  # possessives often belong to others
                    actor.gender[g] = actor.gender.get(g, 0) + 1

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

    def actor_at(self, token: Token) -> Actor | None:
        """The actor with a mention covering ``token`` (the head of a speaker's noun phrase)."""
        for actor in self.actors:
            if any(s <= token.idx < e for s, e in actor.mentions):
                return actor
        return None

    def resolve_pronoun(self, token: Token, kind: str = "person") -> Actor | None:
        """The most recent actor before ``token`` that fits (kind, and gender for he/she), preferring
        earlier clause subjects; for 'it', else the nearest body named in the previous sentence."""
        before = token.idx
        sent_start = token.sent.start_char
        want = _PRONOUN_GENDER.get(token.lower_)
        fitting = [a for a in self.actors if a.kind == kind and not (want and _contradicts(a, want))]
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
        if best is None and token.sent.start > 0:
            # 3. else the nearest fitting mention in the two previous sentences
            earlier = self.doc[token.sent.start - 1].sent
            if earlier.start > 0:
                earlier = self.doc[earlier.start - 1].sent
            for actor in fitting:
                for s, _ in actor.mentions:
                    if earlier.start_char <= s < before and (best is None or s > best[0]):
                        best = (s, actor)
        return best[1] if best else None

    def resolve_description(self, head: Token) -> Actor | None:
        """'the minister', 'the Russian leader': the latest person whose role shares the title word."""
        title = head.lemma_.lower()
        if title not in TITLE_WORDS and head.lower_ not in TITLE_WORDS:
            return None
        latest: tuple[int, Actor] | None = None
        for actor in self.actors:
            if actor.kind != "person":
                continue
            role_words = {_TITLE_ABBREVIATIONS.get(w.lower(), w.strip(",.").lower()) for role in actor.roles
                          for w in role.split()}
            if title != "leader" and not any((w[:5] == title[:5] and len(w) >= 5) or w == title for w in role_words):
                continue
            for s, _ in actor.mentions:
                if s < head.idx and (latest is None or s > latest[0]):
                    latest = (s, actor)
        return latest[1] if latest else None
