"""Actors: the people and bodies an article mentions, merged across names, variants and pronouns.

An offline, rule-based coreference: full names anchor a person; a later surname (or a spelling
variant of it: Zelensky / Zelenskyy) joins that person; a pronoun or a definite description ("the
minister") that is a speaker resolves to the most recent fitting actor, preferring actors that were
the subject of a clause (news prose keeps its speaker as the subject).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

import numpy as np
from spacy.tokens import Doc, Span, Token

from onrecord.attribute.coref import (
    ORG_NOUNS,
    PronounRanker,
    company_name,
    nouns_naming,
    person_ages,
    person_descriptors,
    ranker_enabled,
    reader_enabled,
    resolve_descriptions,
    resolve_pronouns,
    world_given_names,
)
from onrecord.attribute.coref_reader import PronounReader
from onrecord.attribute.lexicon import BODY_NOUNS, TITLE_WORDS, given_name_shares, given_names, place_names
from onrecord.attribute.tokens import doc_text, token_index
from onrecord.clean import BULLETS

_ACTOR_LABELS = {"PERSON": "person", "ORG": "organization", "GPE": "organization"}
# labels the tagger gives a person's name now and then ("Aiko" as WORK_OF_ART, "Irina" as PRODUCT)
_MISLABELLED = {"NORP", "WORK_OF_ART", "PRODUCT", "EVENT", "LOC", "FAC"}
# last words of a name that make it a place or a thing, not a person ("Victoria Street", "Nobel Prize")
_PLACE_WORDS = BODY_NOUNS | frozenset("""
street road avenue lane square park river lake island bridge hall house college station airport award prize
cup theatre theater museum stadium arena centre center tower castle palace bay valley mountain county
""".split())
_HONORIFICS = {"mr", "mrs", "ms", "dr", "sir", "dame", "mr.", "mrs.", "ms.", "dr.", "prof", "prof."}
_GENDERED_HONORIFICS = {"mr": "m", "sir": "m", "mrs": "f", "ms": "f", "miss": "f", "dame": "f"}


def honorific_gender(word: str) -> str | None:
    """"m" or "f" when ``word`` is a gendered honorific ("Mr.", "Dame"), else None."""
    return _GENDERED_HONORIFICS.get(word.lower().rstrip("."))


_POSSESSIVE = re.compile(r"['’][sS]$")


def slug(name: str) -> str:
    """A stable id for a canonical name: ascii, lower case, hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "actor"


def _name_tokens(span: Span, person: bool = True) -> list[str]:
    """The words of a name, without honorifics, leading titles and, for a person, a possessive
    ("Erdogan's" is Erdogan; a company's "McDonald's" keeps its)."""
    # split on spaces, not tokens, so that "Delgado-Ruiz" stays one word
    words = [w.strip(".,;:!?()[]\"“”'’" + BULLETS) for w in span.text.split()]  # "• Marta Eklund" is Marta Eklund
    words = [w for w in words if w and w.lower() not in _HONORIFICS and w.lower() != "the"]
    while len(words) > 1 and words[0].lower() in TITLE_WORDS:  # "Councillor Graham Pettit"
        words.pop(0)
    if person and words:
        words[-1] = _POSSESSIVE.sub("", words[-1])
    return words


# Given names that are also months ("In early May Arvo floated …"): never taken as a left-out first name.
_MONTH_NAMES = frozenset("january february march april may june july august september october november "
                         "december".split())


def _without_bullet(ent: Span) -> Span:
    """The entity without the list bullet the tagger took into it ("• Marta Eklund")."""
    if len(ent) >= 2 and ent[0].text.strip(BULLETS) == "":
        return Span(ent.doc, ent.start + 1, ent.end, label=ent.label_)
    return ent


def _with_left_out_given_name(ent: Span) -> Span | None:
    """A person with the given name the tagger left out before it ("Anders | Lund"), or None."""
    before = ent.doc[ent.start - 1] if ent.start > 0 else None
    if ent.label_ == "PERSON" and before is not None and before.pos_ == "PROPN" and not before.ent_type_ \
            and before.text.istitle() and before.lower_ in all_given_names() and before.lower_ not in _MONTH_NAMES:
        return Span(ent.doc, ent.start - 1, ent.end, label="PERSON")
    return None


def _after_honorific(ent: Span) -> Span | None:
    """"Dr Hyun-woo Park": an honorific, then untagged name pieces, then what the tagger called an ORG: one
    person from the pieces on, or None."""
    doc, i = ent.doc, ent.start - 1
    while i >= 0 and ent.start - i <= 4 and not doc[i].ent_type_ and doc[i].lower_ not in _HONORIFICS \
            and (doc[i].text == "-" or (doc[i].text[:1].isalpha() and doc[i].pos_ in ("PROPN", "NOUN"))):
        i -= 1
    if ent.label_ != "PERSON" and i >= 0 and doc[i].lower_ in _HONORIFICS:
        return Span(doc, i + 1, ent.end, label="PERSON")
    return None


def _person_not_body(span: Span, bulleted: bool) -> Span | None:
    """A name the tagger calls an ORG or GPE as a person, when it opens with a given name, ends as no company
    does, and carries a bullet or a person's title ("Marta Eklund, the county executive"); else None."""
    words = span.text.split()
    if span.label_ != "PERSON" and len(words) >= 2 and words[0].lower() in all_given_names() \
            and not company_name(span.text) and (bulleted or mention_role(span) is not None):
        return Span(span.doc, span.start, span.end, label="PERSON")
    return None


def _unbulleted(ent: Span) -> Span:
    """An entity as a name: the tagger's span repaired by the steps above, the first that applies to
    the entity as tagged (a left-out given name, a name after an honorific), else the span without its
    bullet, as a person when it is one."""
    span = _without_bullet(ent)
    repaired = _with_left_out_given_name(ent) or _after_honorific(ent)
    if repaired is not None:
        return repaired
    return _person_not_body(span, span is not ent) or span


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


def exact_surname_first(actors: list[Actor], word: str) -> list[Actor]:
    """Candidates for a surname alone, those whose surname it is exactly before those it only partly
    matches: "Solberg" is Henrik Solberg's before his daughter Ingrid Solberg-Aas's."""
    return sorted(actors, key=lambda a: _fold(a.surname) != _fold(word))


@dataclass
class Actor:
    """One canonical actor with every mention (token spans) in the document."""

    name: str
    kind: str
    mentions: list[tuple[int, int]] = field(default_factory=list)  # character offsets
    roles: list[str] = field(default_factory=list)
    subject_at: list[int] = field(default_factory=list)  # offsets where the actor is a clause subject
    gender: dict[str, int] = field(default_factory=dict)  # evidence: "m"/"f" -> count
    pronouns: list[tuple[int, int]] = field(default_factory=list)  # pronouns resolved to the actor
    descriptions: list[tuple[int, int]] = field(default_factory=list)  # "the minister", "the company"

    @property
    def id(self) -> str:
        return slug(self.name)

    @property
    def surname(self) -> str:
        return self.name.split()[-1]

    def add_role(self, role: str | None) -> None:
        if role and role not in self.roles:
            self.roles.append(role)


def _named_as_organisation(index: ActorIndex, name: str) -> bool:
    """Somewhere the syntax puts an organisation noun on the one-word ``name`` ("payments company Corvella",
    "Corvella, the lender"), whatever label the tagger gave that occurrence."""
    return any(nouns_naming(index.doc[i], i) & ORG_NOUNS for i in index.proper_nouns().get(name, ()))


def _is_subject(span: Span) -> bool:
    head = span.root
    while head.dep_ in ("compound", "flat", "appos") and head.head.i != head.i:
        head = head.head
    return head.dep_ in ("nsubj", "nsubjpass")


_TITLE_ABBREVIATIONS = {"sen.": "senator", "sen": "senator", "gov.": "governor", "rep.": "representative",
                        "gen.": "general", "pres.": "president", "sec.": "secretary", "supt.": "superintendent",
                        "cllr": "councillor", "cllr.": "councillor", "insp.": "inspector", "amb.": "ambassador"}
# Role nouns news uses interchangeably for one person: "Their attorney, X" is "the lawyer" a sentence on.
_ROLE_SYNONYMS = [frozenset("lawyer attorney counsel solicitor barrister".split()),
                  frozenset("spokesman spokeswoman spokesperson".split()),
                  frozenset("chairman chairwoman chair chairperson".split())]
_PRONOUN_GENDER = {"he": "m", "him": "m", "his": "m", "himself": "m",
                   "she": "f", "her": "f", "hers": "f", "herself": "f"}


@lru_cache(maxsize=1)
def all_given_names() -> dict[str, str]:
    """Given name -> "m"/"f": the US census lists first, then the world table for the rest
    (Slavic, Nordic, Arabic, East Asian… names the census never saw)."""
    return {**world_given_names(), **given_names()}


SURNAME_SHARE = 0.005  # % of the 1990 US census population: a surname this common is no given name alone
GIVEN_OVER_SURNAME = 3.0  # ... unless as a given name it is this many times commoner (chosen on GAP development)


@lru_cache(maxsize=1)
def common_surnames() -> frozenset[str]:
    """Surnames borne by at least SURNAME_SHARE % of the 1990 US census population (the ``names``
    package's last-name list, about 2,300): "Taylor", "Kelly", "Howard" alone are more likely a
    surname than a given name."""
    given = given_name_shares()
    out = set()
    for name, share in census_surnames().items():
        if share < SURNAME_SHARE:
            continue
        # a given name borne far more often than the surname ("Michael", "Mark") still says its gender
        as_given = sum(given.get(name, {}).values()) / 2  # % of the whole population, roughly
        if as_given < GIVEN_OVER_SURNAME * share:
            out.add(name)
    return frozenset(out)


@lru_cache(maxsize=1)
def census_surnames() -> dict[str, float]:
    """Every surname of the 1990 US census (the ``names`` package's last-name list, about 89,000, many
    from outside the English-speaking world: "Pondexter", "Loew", "Byas") -> % of the population."""
    from importlib.resources import files

    out: dict[str, float] = {}
    with (files("names") / "dist.all.last").open(encoding="ascii") as lines:
        for line in lines:
            name, share = line.split()[:2]
            out[name.lower()] = float(share)
    return out


def name_gender(words: list[str], names: dict[str, str]) -> str | None:
    """The gender a person's name says: its given name's, when it has one; a name of one word
    ("Megan", "Tommy") only when that word is no common surname."""
    if not words:
        return None
    first = words[0].lower()
    if len(words) == 1 and first in common_surnames():
        return None
    return names.get(first)


def surname_subject(span: Span, names: dict[str, str]) -> bool:
    """One untagged proper noun, the subject of its verb, that the census knows as a surname and not as a
    given name ("Byas remained rooted", "Pondexter scored"), or as a common surname that alone says no gender
    (``common_surnames``: "Robinson lectures", "Curtis was brought up"): a person the tagger missed, of no known
    gender (a latent person: it stays an actor only when a pronoun links to it)."""
    if len(span) != 1 or span.root.dep_ not in ("nsubj", "nsubjpass") or span.root.ent_type_:
        return False
    word = span.text.lower()
    return word in census_surnames() and (word not in names or word in common_surnames()) \
        and word not in place_names()


_NICKNAMING = frozenset({"nicknamed", "dubbed", "called", "as"})


def is_nickname(span: Span) -> bool:
    """A name given in quotes after "nicknamed", "dubbed", "known as": another name of someone
    already there ("nicknamed 'the Bulldozer'"), not a new actor."""
    i = span.start - 1
    doc = span.doc
    while i >= 0 and (doc[i].is_quote or doc[i].lower_ == "the"):
        i -= 1
    return i >= 0 and i < span.start - 1 and doc[i].lower_ in _NICKNAMING


_BORN = re.compile(r"born", re.IGNORECASE)  # a birth name needs the word ("was born Shirley Grossman")


# nouns of kinship: a name after "the daughter of" or in apposition to "his brother" is a relative of someone
_KIN_NOUNS = frozenset("""son daughter child children brother sister father mother parent parents husband wife widow
widower grandson granddaughter grandfather grandmother grandchild nephew niece cousin uncle aunt descendant stepson
stepdaughter stepfather stepmother""".split())


def kin_phrase(span: Span) -> bool:
    """The name is given as someone's kin: "the daughter of Colin Ure (and Edith Swinburne)", "born to Randy and
    Melinda Doege", "Makarov's father, Aleksandr Makarov"."""
    root = span.root
    # "of A and B Doege": B hangs on A; "of the engineer Martin Keller": the name on the noun
    while root.dep_ in ("conj", "appos") and root.head.i != root.i:
        if root.dep_ == "appos" and root.head.lemma_.lower() in _KIN_NOUNS:
            return True
        root = root.head
    head = root.head
    if root.dep_ == "pobj" and head.lower_ == "of":
        return head.head.lemma_.lower() in _KIN_NOUNS
    return root.dep_ == "pobj" and head.lower_ == "to" and head.head.lower_ == "born"


def sentence_numbers(doc: Doc) -> list[int]:
    """The number of each token's sentence."""
    out = [0] * len(doc)
    for n, sent in enumerate(doc.sents):
        out[sent.start : sent.end] = [n] * (sent.end - sent.start)
    return out


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
    if head.dep_ == "nsubj" and head.head.lemma_ == "be":  # "Anna Kovacs is the special envoy of …"
        attr = next((c for c in head.head.children if c.dep_ == "attr" and c.lower_ in TITLE_WORDS), None)
        if attr is not None:
            return doc[attr.left_edge.i : attr.i + 1].text
    return None


_ACRONYM = re.compile(r"[A-Z]{2,6}")
_ACRONYM_SKIP = frozenset({"of", "and", "for", "the", "in", "on", "de", "&"})


def initials(name: str) -> str:
    """The capitals an acronym takes from a name: Organisation for Security and Co-operation in
    Europe -> OSCE (small words skipped, a hyphenated word gives its first letter)."""
    words = [w for w in name.split() if w.lower() not in _ACRONYM_SKIP]
    return "".join(w[0] for w in words if w[:1].isupper())


class ActorIndex:
    """Actors of one document, built from its named entities; resolves spans and pronouns."""

    def __init__(self, doc: Doc, skip: list[tuple[int, int]] | None = None, coref: bool = True) -> None:
        self.doc = doc
        self.actors: list[Actor] = []
        self._people: dict[str, list[Actor]] = {}  # by the first letters of the surname
        self.not_person: dict[int, bool] = {}  # actor id -> coref.never_person, asked once per actor
        self._proper_nouns: dict[str, list[int]] | None = None
        self._bodies: dict[str, Actor] = {}
        self._relatives: set[int] = set()  # people named only as someone's kin ("the daughter of Colin Ure")
        skip = skip or []
        ents = [_unbulleted(e) for e in doc.ents if e.label_ in _ACTOR_LABELS
                and not any(s <= e.start_char < x for s, x in skip) and not is_nickname(e)]
        # people first, so that a surname the tagger labelled ORG or GPE still finds its person
        for ent in ents:
            if ent.label_ == "PERSON":
                self.add_mention(ent, "person")
        for ent in ents:
            if ent.label_ != "PERSON":
                words = _name_tokens(ent)
                is_person = bool(words) and self._match(words[-1:], "person") is not None
                self.add_mention(ent, "person" if is_person else _ACTOR_LABELS[ent.label_])
        self._add_untagged_surnames(skip)
        self._settle_one_word_kinds()
        self._merge_short_body_names()
        latent = self._add_latent_people(skip) if coref else []
        self._merge_birth_names(latent)
        self._merge_acronyms()
        self.actors.sort(key=lambda a: min(a.mentions))
        self.name_genders = all_given_names()
        self._collect_roles_and_gender()
        self._build_index()
        self._skip = sorted(skip)
        self._person_words: dict[int, set[str]] = {}
        self._heads: dict[tuple[int, int], Token | None] = {}
        self._quoted: dict[int, bool] = {}
        self._vectors: tuple[np.ndarray | None, np.ndarray | None] | None = None
        self._ages: dict[int, set[str]] | None = None
        self._sentence_of = sentence_numbers(doc)
        self._sentence_starts = [s.start for s in doc.sents]
        # pronouns and descriptions: onrecord.attribute.coref; the name index above stays names only
        self.resolved = resolve_pronouns(doc, self, PronounRanker.load() if ranker_enabled() else None,
                                         PronounReader.load() if reader_enabled() else None) if coref else {}
        if latent:  # a name the tagger missed stays an actor only when a pronoun stands for it
            linked = {id(a) for a in self.resolved.values()}
            dropped = {id(a) for a in latent} - linked
            if dropped:
                self.actors = [a for a in self.actors if id(a) not in dropped]
                self._build_index()
        for i, actor in self.resolved.items():
            token = doc[i]
            actor.pronouns.append((token.idx, token.idx + len(token.text)))
            words = actor.name.split()
            if actor.kind != "person" and len(words) > 1 and words[0].lower() in self.name_genders \
                    and _PRONOUN_GENDER.get(token.lower_):
                actor.kind = "person"  # "he" for "Mark Twain", whom the tagger took for an organisation
        self.described = resolve_descriptions(doc, self) if coref else {}
        for i, actor in self.described.items():
            token = doc[i]
            start = token.left_edge.idx if token.left_edge.i >= token.sent.start else token.idx
            actor.descriptions.append((start, token.idx + len(token.text)))

    def _settle_one_word_kinds(self) -> None:
        """A one-word name the tagger calls a person is an organisation where the syntax puts an
        organisation noun on it ("payments company Corvella", "Corvella, the lender"); any name is
        one when a mention of it is the lone subject of a plural verb ("Rovers have spent": a team or
        firm in British usage; one person takes "has")."""
        for actor in [a for a in self.actors if a.kind == "person"]:
            one_word = len(actor.name.split()) == 1
            if not (_named_as_organisation(self, actor.name) if one_word else self._named_body(actor)) \
                    and not self._plural_subject(actor):
                continue
            actor.kind = "organization"
            for people in self._people.values():
                if actor in people:
                    people.remove(actor)
            self._bodies.setdefault(actor.name.lower(), actor)

    def _merge_short_body_names(self) -> None:
        """A one-word "person" that opens an organisation's longer name is that organisation: "Arvo" after
        "Arvo Lithium", "Corvel" after "Corvel Mining" (the tagger calls a given-name-like brand a person)."""
        bodies = [a for a in self.actors if a.kind != "person" and len(a.name.split()) > 1]
        for actor in [a for a in self.actors if a.kind == "person" and len(a.name.split()) == 1]:
            body = next((b for b in bodies if _fold(b.name.split()[0]) == _fold(actor.name)), None)
            if body is None:
                continue
            body.mentions.extend(m for m in actor.mentions if m not in body.mentions)
            body.subject_at.extend(actor.subject_at)
            self.actors.remove(actor)
            for people in self._people.values():
                if actor in people:
                    people.remove(actor)

    def _named_body(self, actor: Actor) -> bool:
        """A longer name the syntax puts an organisation noun on ("The maker of velostan, Orvane Pharma") or
        that ends as a company's does ("Orvane Pharma", "Y Motors")."""
        if company_name(actor.name):
            return True
        for start, end in actor.mentions:
            span = self.doc.char_span(start, end, alignment_mode="expand")
            if span is not None and nouns_naming(span.root, span.start) & ORG_NOUNS:
                return True
        return False

    def _plural_subject(self, actor: Actor) -> bool:
        """A mention of ``actor`` is the subject, alone (no "and"), of a plural present or of "were"."""
        for start, end in actor.mentions:
            span = self.doc.char_span(start, end, alignment_mode="expand")
            if span is None:
                continue
            root = span.root
            if root.dep_ != "nsubj" or any(c.dep_ in ("conj", "cc") for c in root.children):
                continue
            verb = next((c for c in root.head.children if c.dep_ in ("aux", "auxpass") and c.i < root.head.i
                         and c.i > root.i), root.head)
            if verb.tag_ == "VBP" or verb.lower_ == "were":
                return True
        return False

    def _collect_roles_and_gender(self) -> None:
        """Roles from titles and appositives around every mention of a person ("Finance Minister Ole
        Brandt", "Graham Pettit, a councillor"), and gender evidence from honorifics, from a given
        name that one gender overwhelmingly bears, and from the pronouns of sentences that mention
        only that person."""
        doc = self.doc
        people = [a for a in self.actors if a.kind == "person"]
        by_sentence: dict[int, set[int]] = {}
        for n, actor in enumerate(people):
            for start, end in actor.mentions:
                span = doc.char_span(start, end, alignment_mode="expand")
                if span is None:
                    continue
                by_sentence.setdefault(span.sent.start, set()).add(n)
                by_title = honorific_gender(span[0].text)
                if by_title:
                    actor.gender[by_title] = actor.gender.get(by_title, 0) + 2
                actor.add_role(mention_role(span))
        names = self.name_genders
        for actor in people:
            gender = name_gender(actor.name.split(), names)
            if gender:  # as strong as an honorific: "Maria Delgado-Ruiz" is not the "he" of the next line
                actor.gender[gender] = actor.gender.get(gender, 0) + 2
        for sent_start, members in by_sentence.items():
            if len(members) != 1:
                continue
            actor = people[next(iter(members))]
            for token in doc[sent_start:].sent:
                g = _PRONOUN_GENDER.get(token.lower_)
                if g and token.dep_ in ("nsubj", "nsubjpass"):  # possessives often belong to others
                    actor.gender[g] = actor.gender.get(g, 0) + 1

    def _merge_birth_names(self, latent: list[Actor]) -> None:
        """"Hall was born Shirley Grossman", "McLaughlin was born as Audrey Brown": the birth name is the subject's
        other name — one person, named as the subject is; the birth name's given name is gender evidence."""
        if not _BORN.search(doc_text(self.doc)):  # most articles: no mention's span need be looked at
            return
        for born in [a for a in self.actors if a.kind == "person"]:
            for start, end in born.mentions:
                span = self.doc.char_span(start, end, alignment_mode="expand")
                verb = None if span is None else span.root.head
                if verb is not None and span.root.dep_ == "pobj" and verb.lower_ == "as":
                    verb = verb.head
                if verb is None or verb.lower_ != "born" or span.root.dep_ not in ("oprd", "attr", "dobj", "pobj"):
                    continue
                subject = next((c for c in verb.children if c.dep_ == "nsubjpass"), None)
                person = None if subject is None else next(
                    (a for a in self.actors if a is not born and a.kind == "person"
                     and any(s <= subject.idx < e for s, e in a.mentions)), None)
                if person is None:
                    continue
                person.mentions.extend(m for m in born.mentions if m not in person.mentions)
                gender = name_gender(born.name.split(), all_given_names())
                if gender is not None:
                    person.gender[gender] = person.gender.get(gender, 0) + 2
                self.actors.remove(born)
                for people in self._people.values():
                    if born in people:
                        people.remove(born)
                if person in latent and born not in latent:
                    latent.remove(person)  # named by the tagger, it is no longer latent
                elif born in latent:
                    latent.remove(born)
                break

    def _merge_acronyms(self) -> None:
        """A body named by its acronym (CEC, UN, OSCE) is the body whose name the acronym spells,
        when the article names it in full too (Schwartz & Hearst 2003 match an acronym to its long
        form by its letters; here only the initials of the capitalised words count)."""
        bodies = [a for a in self.actors if a.kind != "person"]
        long_forms: dict[str, Actor] = {}
        for actor in bodies:
            if len(actor.name.split()) > 1:
                long_forms.setdefault(initials(actor.name), actor)
        for actor in bodies:
            full = long_forms.get(actor.name) if _ACRONYM.fullmatch(actor.name) else None
            if full is None or full is actor:
                continue
            full.mentions.extend(m for m in actor.mentions if m not in full.mentions)
            full.subject_at.extend(actor.subject_at)
            self.actors.remove(actor)
            self._bodies[actor.name.lower()] = full

    def _add_untagged_surnames(self, skip: list[tuple[int, int]]) -> None:
        """Proper nouns the tagger missed that spell a known person's surname (Zelenskyy for Zelensky)."""
        people: dict[str, list[Actor]] = {}
        for actor in self.actors:
            if actor.kind == "person":
                people.setdefault(_fold(actor.surname)[:4], []).append(actor)
        skipped = sorted(skip)
        index, text = token_index(self.doc), doc_text(self.doc)  # no Token built for the other words
        for i, pos in enumerate(index.pos):
            if pos not in ("PROPN", "NOUN") or index.ent_type[i]:
                continue
            start, end = index.starts[i], index.ends[i]
            word = text[start:end]
            # a capitalised noun too: sentence-initial names are often tagged NOUN
            if pos == "NOUN" and not word.istitle():
                continue
            head = index.head[i]
            if head > i and index.pos[head] == "PROPN":
                continue  # a word inside a longer name ("Lindau Transport"), not a surname
            candidates = people.get(_fold(word)[:4], [])
            if not candidates:
                continue
            k = bisect_left(skipped, (start + 1,)) - 1
            if k >= 0 and skipped[k][0] <= start < skipped[k][1]:
                continue
            for actor in exact_surname_first(candidates, word):
                if id(actor) not in self._relatives and same_surname(actor.surname, word):
                    actor.mentions.append((start, end))
                    if _is_subject(self.doc[i : i + 1]):
                        actor.subject_at.append(start)
                    break

    def _add_latent_people(self, skip: list[tuple[int, int]]) -> list[Actor]:
        """People the tagger missed or mislabelled: a run of capitalised proper nouns with no entity
        label, or a NORP / WORK_OF_ART / PRODUCT / EVENT / LOC / FAC entity, that opens with a given
        name one gender bears (``all_given_names``) or with Mr / Mrs / Ms / Miss. Their mentions join
        a person already named; a new person is returned — the pronoun ranker may take it as a
        candidate of the given name's gender, and it stays an actor only when a pronoun links to it."""
        doc = self.doc
        names = all_given_names()
        known = {i for a in self.actors for s, e in a.mentions for i in range(s, e)}
        spans: list[Span] = [e for e in doc.ents if e.label_ in _MISLABELLED]
        run: list[Token] = []
        for token in [*doc, None]:
            # a run may take in a word mislabelled on its own: "Anders" + "Kvist" (NORP) is one name
            if token is not None and token.pos_ == "PROPN" and token.text.istitle() \
                    and (not token.ent_type_ or (token.ent_type_ in _MISLABELLED and run)):
                run.append(token)
                continue
            if run:
                spans.append(doc[run[0].i : run[-1].i + 1])
                run = []
        new: list[Actor] = []
        for span in spans:
            words = [w.strip(".,;:!?()[]\"“”'’") for w in span.text.split()]
            if len(words) >= 3 and len(span) == len(words) and words[0].lower() not in names \
                    and honorific_gender(words[0]) is None and words[1].lower() in names:
                span, words = span[1:], words[1:]  # "Resident Carys Bevan": a title-like word, then the name
            if not 1 <= len(words) <= 4 or not all(w[:1].isupper() for w in words if w):
                continue
            gender = honorific_gender(words[0])
            if gender is not None and len(words) < 2:
                continue
            gender = gender or name_gender(words, names)
            if words[-1].lower() in _PLACE_WORDS or words[-1].lower() in TITLE_WORDS or span[-1].tag_ == "NNPS":
                continue  # a plural name is no one person ("Winter Olympics", "the Beatles")
            if gender is None and not surname_subject(span, names):
                continue
            if span.start_char in known or any(s <= span.start_char < x for s, x in skip) or is_nickname(span):
                continue
            after = span.root.head
            if span.root.dep_ == "compound" and after.pos_ in ("NOUN", "PROPN") and after.i >= span.end:
                continue  # "the Samantha character": a modifier, not a mention
            body = self._bodies.get(words[0].lower()) if len(words) == 1 else None
            if body is not None and body.kind != "person" and words[0].lower() not in place_names():
                # "Byron" filed as ORG in one place and missed in another: one person, not a body and a person
                body.kind = "person"
                self._people.setdefault(_fold(words[0])[:4], []).append(body)
                body.gender[gender] = body.gender.get(gender, 0) + 2
            before = len(self.actors)
            actor = self.add_mention(span, "person")
            if actor is not None and len(self.actors) > before:
                if gender is not None:
                    actor.gender[gender] = actor.gender.get(gender, 0) + 2  # the evidence it was taken on
                new.append(actor)
        return new

    def add_mention(self, span: Span, kind: str) -> Actor | None:
        words = _name_tokens(span, kind == "person")
        if not words:
            return None
        relative = kind == "person" and len(words) > 1 and kin_phrase(span)
        actor = self._match(words, kind, relative)
        if actor is None:
            actor = Actor(" ".join(words), kind)
            self.actors.append(actor)
            if relative:
                self._relatives.add(id(actor))
            if kind == "person":
                for part in {_fold(words[-1])[:4]} | {_fold(p)[:4] for p in words[-1].split("-")}:
                    self._people.setdefault(part, []).append(actor)
            else:
                self._bodies[actor.name.lower()] = actor
        elif kind == "person" and len(words) > len(actor.name.split()):
            actor.name = " ".join(words)  # the fullest form is the canonical one
        if kind == "person" and len(words) > 1 and not relative:
            self._relatives.discard(id(actor))
        mention = (span.start_char, span.end_char)
        if mention not in actor.mentions:
            actor.mentions.append(mention)
        if _is_subject(span):
            actor.subject_at.append(span.start_char)
        return actor

    def add_unnamed_body(self, span: Span) -> Actor:
        """An organisation the article names only by a description ("the county's emergency management
        agency"), once it stands for a later "the agency"."""
        key = span.text.lower()
        actor = self._bodies.get(key)
        if actor is None:
            actor = self._bodies[key] = Actor(span.text, "organization")
            actor.mentions.append((span.start_char, span.end_char))
            self.actors.append(actor)
            self.actors.sort(key=lambda a: min(a.mentions))
            self._build_index()
        return actor

    def _match(self, words: list[str], kind: str, relative: bool = False) -> Actor | None:
        """The actor a name continues: a person by surname (and given initial), a body by its name. A bare
        surname never joins a person named only as someone's kin, nor such a relative a bare surname's
        person ("Pratt is the sister of Spencer Pratt": two people; ``kin_phrase``)."""
        if kind == "person":
            for actor in exact_surname_first(list(reversed(self._people.get(_fold(words[-1])[:4], []))), words[-1]):
                if (len(words) == 1 and id(actor) in self._relatives) or (relative and len(actor.name.split()) == 1):
                    continue
                if same_surname(actor.surname, words[-1]):
                    given, other = words[:-1], actor.name.split()[:-1]
                    if not given or not other or given[0][0].lower() == other[0][0].lower():
                        return actor
            return None
        return self._bodies.get(" ".join(words).lower())

    def _build_index(self) -> None:
        """Every mention in text order, for lookups by position (bisect) instead of scans."""
        self._mentions = sorted((s, e, actor) for actor in self.actors for s, e in actor.mentions)
        self._starts = [s for s, _, _ in self._mentions]
        self._subjects = {(at, id(actor)) for actor in self.actors for at in actor.subject_at}

    def sentence_number(self, i: int) -> int:
        return self._sentence_of[i]

    def in_skip(self, pos: int) -> bool:
        k = bisect_left(self._skip, (pos + 1,)) - 1
        return k >= 0 and self._skip[k][0] <= pos < self._skip[k][1]

    def first_mention_in_sentence(self, head: Token) -> bool:
        """No name mention starts in ``head``'s sentence before its noun phrase (nor more than 40
        characters before the head)."""
        sent_start = self.doc[self._sentence_starts[self._sentence_of[head.i]]].idx
        k = bisect_left(self._starts, sent_start)
        return k >= len(self._starts) or (self._starts[k] >= head.idx - 40 and self._starts[k] >= head.left_edge.idx)

    def head_token(self, start: int, end: int) -> Token | None:
        """The root of a mention's tokens (kept: the ranker asks for the same mentions many times)."""
        key = (start, end)
        if key not in self._heads:
            span = self.doc.char_span(start, end, alignment_mode="expand")
            self._heads[key] = span.root if span is not None and len(span) else None
        return self._heads[key]

    def sentence_start(self, i: int) -> int:
        """Index of the first token of token ``i``'s sentence."""
        return self._sentence_starts[self._sentence_of[i]]

    def sentence_has_quote(self, i: int) -> bool:
        """Token ``i``'s sentence holds a quote mark (once per sentence)."""
        n = self._sentence_of[i]
        if n not in self._quoted:
            end = self._sentence_starts[n + 1] if n + 1 < len(self._sentence_starts) else len(self.doc)
            self._quoted[n] = any(t.is_quote for t in self.doc[self._sentence_starts[n] : end])
        return self._quoted[n]

    def paren_before(self, i: int) -> bool:
        """An opening parenthesis among the four tokens before token ``i``, in its sentence."""
        first = max(self._sentence_starts[self._sentence_of[i]], i - 4)
        return first < i and "(" in doc_text(self.doc)[self.doc[first].idx : self.doc[i].idx]

    def context_vectors(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The parser's context vectors and their norms (for the ranker's cosine), computed once."""
        if self._vectors is None:
            tensor = self.doc.tensor
            if tensor is None or len(tensor) != len(self.doc):
                self._vectors = (None, None)
            else:
                self._vectors = (tensor, np.linalg.norm(tensor, axis=1))
        return self._vectors

    def name_mentions_near(self, token: Token, sentences: int = 4) -> list[tuple[int, int, Actor]]:
        """Name mentions from ``sentences`` sentences before ``token``'s to the end of its own."""
        first = self._sentence_starts[max(0, self._sentence_of[token.i] - sentences)]
        lo = bisect_left(self._starts, self.doc[first].idx)
        hi = bisect_left(self._starts, token.sent.end_char)
        return self._mentions[lo:hi]

    def mentions_before(self, pos: int) -> Iterator[tuple[int, int, Actor]]:
        """Name mentions starting before ``pos``, nearest first."""
        return self._before(pos)

    def _before(self, pos: int) -> Iterator[tuple[int, int, Actor]]:
        """Mentions starting before ``pos``, nearest first."""
        for i in range(bisect_left(self._starts, pos) - 1, -1, -1):
            yield self._mentions[i]

    def actor_at(self, token: Token) -> Actor | None:
        """The actor with a mention covering ``token`` (the head of a speaker's noun phrase)."""
        for s, e, actor in self._before(token.idx + 1):
            if e > token.idx:
                return actor
            if token.idx - s > 200:
                break
        return None

    def actor_for(self, span: Span) -> Actor | None:
        """The actor whose mention lies inside ``span`` (the longest one), if any."""
        best: tuple[int, Actor] | None = None
        for i in range(bisect_left(self._starts, span.start_char), bisect_left(self._starts, span.end_char)):
            s, e, actor = self._mentions[i]
            if e <= span.end_char and (best is None or e - s > best[0]):
                best = (e - s, actor)
        return best[1] if best else None

    def resolve_pronoun(self, token: Token, kind: str = "person") -> Actor | None:
        """The actor a pronoun refers to: the nearest earlier clause subject that fits (kind, and gender
        for he/she), unless a fitting actor is named closer in the same sentence; failing both, the
        nearest fitting mention in the two previous sentences."""
        linked = self.resolved.get(token.i)
        if linked is not None and (linked.kind == "person") == (kind == "person"):
            return linked  # the ranker's link (onrecord.attribute.coref)
        return self.rule_pronoun(token, kind)

    def rule_pronoun(self, token: Token, kind: str = "person") -> Actor | None:
        """The rule-only resolution of a pronoun (the ranker's fallback and the baseline it is
        measured against): the nearest earlier clause subject that fits (kind, and gender for
        he/she), unless a fitting actor is named closer in the same sentence; failing both, the
        nearest fitting mention in the two previous sentences."""
        sent_start = token.sent.start_char
        want = _PRONOUN_GENDER.get(token.lower_)
        same_sentence: Actor | None = None
        for s, _, actor in self._before(token.idx):
            if actor.kind != kind or (want and _contradicts(actor, want)):
                continue
            if s >= sent_start and same_sentence is None:
                same_sentence = actor
            if (s, id(actor)) in self._subjects:
                return same_sentence if same_sentence is not None and s < sent_start else actor
        if same_sentence is not None:
            return same_sentence
        earlier = token.sent
        for _ in range(2):
            if earlier.start > 0:
                earlier = self.doc[earlier.start - 1].sent
        for s, _, actor in self._before(token.idx):
            if s < earlier.start_char:
                break
            if actor.kind == kind and not (want and _contradicts(actor, want)):
                return actor
        return None

    def proper_nouns(self) -> dict[str, list[int]]:
        """The token indices of each proper noun's text, read once per document (descriptions look names up by
        their last word: a scan of the document per actor was half of the component's time)."""
        if self._proper_nouns is None:
            self._proper_nouns = {}
            for token in self.doc:
                if token.pos_ == "PROPN":
                    self._proper_nouns.setdefault(token.text, []).append(token.i)
        return self._proper_nouns

    def person_words(self, actor: Actor) -> set[str]:
        """What the article calls a person besides the name (``coref.person_descriptors``), once per actor."""
        words = self._person_words.get(id(actor))
        if words is None:
            # "Kalesh's Foreign Minister": the possessor is a word of the role ("the Kalesh minister")
            words = {_TITLE_ABBREVIATIONS.get(w.lower(), re.sub(r"['’]s$", "", w.strip(",.")).lower())
                     for role in actor.roles for w in role.split()}
            words = self._person_words[id(actor)] = words | person_descriptors(actor, self)
        return words

    def resolve_description(self, head: Token) -> Actor | None:
        """'the minister', 'the union leader', 'the neurologist': the latest person whose role or
        descriptors hold the noun, one that also holds a modifier of it ('union') first; a bare
        'the leader' failing that, the latest person."""
        title = head.lemma_.lower()
        nouns = {title, head.lower_, _TITLE_ABBREVIATIONS.get(head.lower_, head.lower_)}
        nouns |= {w for synonyms in _ROLE_SYNONYMS if nouns & synonyms for w in synonyms}
        modifiers = {c.lemma_.lower() for c in head.children if c.dep_ in ("compound", "amod") and c.i < head.i}
        fitting: Actor | None = None
        for n, (_, _, actor) in enumerate(self._before(head.idx)):
            if actor.kind != "person":
                continue
            words = self.person_words(actor)
            if nouns & words or any(w[:5] == title[:5] and len(w) >= 5 and len(title) >= 5 for w in words):
                if not modifiers or modifiers & words:
                    return actor
                fitting = fitting or actor
            if n > 60:
                break
        if fitting is not None:
            return fitting
        if title == "leader":
            return next((a for _, _, a in self._before(head.idx) if a.kind == "person"), None)
        return self.untitled_near(head)

    def untitled_near(self, head: Token, forward: bool = False) -> Actor | None:
        """A title nobody in the article holds ("Bernd Lautenschläger told … . '…,' the federation president
        said") is the person named in that sentence or the one before whose role the article has not given;
        ``forward``, the one named in that sentence or the next ("…, its president said. Bernd
        Lautenschläger told …"). None when another person stands between."""
        doc = head.doc
        sent = head.sent
        if forward:
            nxt = doc[sent.end].sent if sent.end < len(doc) else sent
            lo, hi = head.idx + len(head.text), nxt.end_char
            mentions = [m for m in self._mentions[bisect_left(self._starts, lo):] if m[0] < hi]
        else:
            lo = doc[sent.start - 1].sent.start_char if sent.start > 0 else sent.start_char
            mentions = [m for m in self._before(head.idx) if m[0] >= lo]
        people = [a for _, _, a in mentions if a.kind == "person"]
        if not people or any(a is not people[0] for a in people):
            return None
        return None if self.person_words(people[0]) & TITLE_WORDS else people[0]

    def resolve_age(self, head: Token, years: str) -> Actor | None:
        """'the 61-year-old': the person the article gives that age ('Murphy, 61,', '61-year-old
        Murphy'), else the nearest earlier person the rule would give a pronoun."""
        for _, _, actor in self._before(head.idx):
            if actor.kind == "person" and years in self.ages.get(id(actor), ()):
                return actor
        return self.rule_pronoun(head, "person")

    @property
    def ages(self) -> dict[int, set[str]]:
        if self._ages is None:
            self._ages = person_ages(self)
        return self._ages
