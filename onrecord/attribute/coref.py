"""Coreference: every third-person pronoun and definite description linked to the actor it stands for.

Names are merged into actors by ``onrecord.attribute.actors``; this module adds the other mentions:

- **pronouns** (he/him/his/himself, she/…, they/…, it/its): a mention-ranking model in the manner of
  Wiseman et al. (2015) and Lee et al. (2017), with the features of the classic learned resolvers
  (Soon et al. 2001; Ng & Cardie 2002) — distance, syntactic role and parallelism, whether the
  candidate governs the pronoun's clause (Hobbs 1978; binding: "X told Y about him" is not X),
  gender and number agreement, salience (Lappin & Leass 1994) — and the parser's context vectors.
  Each (pronoun, candidate actor) pair is scored by boosted trees run as numpy arrays; the best
  candidate above the threshold wins. Trained on OntoGUM train and GAP development by
  ``python -m onrecord.train.coref``; weights in ``data/coref.npz`` (no pickle), card beside them.
  Where the trees are unsure between two people of the pronoun's gender, a text reader
  (``coref_reader``) has half the say, within a budget of one encoder pass per article.
- **descriptions** ("the minister", "the ministry", "the company", "the 42-year-old"): the latest
  actor whose name, role (title, apposition or copula) or kind the description's head matches.
"""

from __future__ import annotations

import json
import math
import pathlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from spacy.attrs import LEMMA, LOWER
from spacy.tokens import Doc, Span, Token

from onrecord.attribute.tokens import doc_text

if TYPE_CHECKING:
    from onrecord.attribute.actors import Actor, ActorIndex
    from onrecord.attribute.coref_reader import PronounReader

DATA = pathlib.Path(__file__).resolve().parent.parent / "data"
MODEL_PATH = DATA / "coref.npz"

# pronoun -> (kind of actor it can stand for, gender or number)
PRONOUNS: dict[str, tuple[str, str]] = {
    **dict.fromkeys(("he", "him", "his", "himself"), ("person", "m")),
    **dict.fromkeys(("she", "her", "hers", "herself"), ("person", "f")),
    **dict.fromkeys(("it", "its", "itself"), ("organization", "n")),
    **dict.fromkeys(("they", "them", "their", "theirs", "themselves"), ("organization", "p")),
}
REFLEXIVES = frozenset({"himself", "herself", "itself", "themselves"})
POSSESSIVES = frozenset({"his", "hers", "its", "their", "theirs"})

_ROLES = ("subj", "obj", "pobj", "poss", "other")
_WINDOW_SENTENCES = 4  # candidates: actors named in the pronoun's sentence or the four before it
_MAX_CANDIDATES = 6


def syntactic_role(token: Token) -> str:
    """subj / obj / pobj / poss / other, for the head of a mention (climbing names and appositions)."""
    while token.dep_ in ("compound", "flat", "appos") and token.head.i != token.i:
        token = token.head
    dep = token.dep_
    if dep in ("nsubj", "nsubjpass", "csubj", "expl"):
        return "subj"
    if dep in ("dobj", "dative", "attr", "oprd"):
        return "obj"
    if dep == "pobj" or dep == "agent":
        return "pobj"
    if dep == "poss":
        return "poss"
    return "other"


def _head_of(token: Token) -> Token:
    while token.dep_ in ("compound", "flat", "appos") and token.head.i != token.i:
        token = token.head
    return token


def _clause_verb(token: Token) -> Token:
    """The verb (or root) of the clause a token belongs to."""
    t = token
    for _ in range(12):
        if t.pos_ in ("VERB", "AUX") or t.dep_ == "ROOT" or t.head.i == t.i:
            return t
        t = t.head
    return t


def _governs(candidate: Token, pronoun: Token) -> bool:
    """The candidate is the subject of a verb above the pronoun's clause ("X said he …")."""
    verb = _head_of(candidate).head
    t = pronoun
    for _ in range(12):
        if t.i == verb.i:
            return True
        if t.head.i == t.i:
            return False
        t = t.head
    return False


@lru_cache(maxsize=1)
def world_given_names() -> dict[str, str]:
    """Given names one gender overwhelmingly bears, beyond the US census: derived by
    ``python -m onrecord.train.coref`` from the nomquamgender package's name table (Van Buskirk et
    al. 2022, MIT licence: names from many countries and sources) and shipped as ``data/given_names.json``."""
    path = DATA / "given_names.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {**dict.fromkeys(data["m"], "m"), **dict.fromkeys(data["f"], "f")}


@dataclass
class Candidate:
    actor: Actor
    mention: tuple[int, int, Token]  # the nearest name mention: start char, end char, its head token


FEATURES = (
    "sent_dist", "tok_dist_log", "rank", "cataphora", "same_sentence",
    *(f"cand_{r}" for r in _ROLES), *(f"pron_{r}" for r in _ROLES), "parallel",
    "governs", "same_clause", "reflexive", "possessive_pronoun",
    "gender_agree", "gender_clash", "gender_unknown", "name_gender_agree", "name_gender_clash",
    "kind_person", "number_plural_actor",
    "n_mentions_log", "n_subject_log", "first_actor", "mentions_in_window", "n_candidates",
    "cand_sentence_subject", "cand_in_parens", "cand_after_of", "cand_is_object_of_pron_verb",
    "nearest_subject", "tensor_cos", "pron_sentence_start", "pron_in_quote_sent",
    "cand_appos_or_title", "other_same_gender_closer", "cand_given_name", "cand_words",
    "cand_depth", "pron_depth", "cand_first_in_sentence", "subjects_between", "mentions_before_log",
    "cand_possessor", "same_gender_rivals", "pron_after_and", "cand_in_relcl", "pron_in_subclause",
    "other_governs", "salience_rank",
)


_GOVERNS = FEATURES.index("governs")
_SUBCLAUSES = frozenset({"advcl", "ccomp", "relcl", "xcomp", "acl"})
_LINKING_WORDS = frozenset({"and", "but", "while", "when", "after", "before", "as"})


def _clashes(actor: Actor, gender: str) -> bool:
    """Evidence of the other gender (an honorific, a given name, two pronouns) and none of this one."""
    other = "f" if gender == "m" else "m"
    return actor.gender.get(other, 0) >= 2 and not actor.gender.get(gender, 0)


def _depth(token: Token) -> int:
    n = 0
    while token.head.i != token.i and n < 20:
        token, n = token.head, n + 1
    return n


def _name_gender(actor: Actor, names: dict[str, str]) -> str | None:
    """The gender a given name says, else the evidence gathered in the article."""
    words = actor.name.split()
    return (names.get(words[0].lower()) if len(words) > 1 else None) or _gender_of(actor)


def _gender_of(actor: Actor) -> str | None:
    m, f = actor.gender.get("m", 0), actor.gender.get("f", 0)
    if m > f:
        return "m"
    if f > m:
        return "f"
    return None


def pair_features(doc: Doc, pronoun: Token, cands: list[Candidate], index: ActorIndex) -> np.ndarray:
    """One row of ``FEATURES`` per candidate actor of ``pronoun``."""
    agreement = PRONOUNS[pronoun.lower_][1]
    p_role = "poss" if pronoun.lower_ in POSSESSIVES or pronoun.tag_ == "PRP$" else syntactic_role(pronoun)
    p_start = index.sentence_start(pronoun.i)
    p_verb = _clause_verb(pronoun)
    names = index.name_genders
    tensor, norms = index.context_vectors()
    p_vec = tensor[pronoun.i] if tensor is not None else None
    rows = []
    roles = [syntactic_role(c.mention[2]) for c in cands]  # once per candidate: the rivals' features read them
    name_genders = [_name_gender(c.actor, names) for c in cands]
    by_distance = sorted(range(len(cands)), key=lambda k: abs(pronoun.i - cands[k].mention[2].i))
    rank = {k: r for r, k in enumerate(by_distance)}
    nearest_subject_k = next((k for k in by_distance if cands[k].mention[2].i < pronoun.i
                              and roles[k] == "subj"), None)
    # what the rivals have: a pairwise score sees one candidate at a time
    governing = [c.mention[2].i < pronoun.i and _governs(c.mention[2], pronoun) for c in cands]
    by_salience = sorted(range(len(cands)), key=lambda k: -len(cands[k].actor.mentions))
    salience_rank = {k: r for r, k in enumerate(by_salience)}
    pronoun_row = {  # the same for every candidate
        "pron_depth": min(_depth(pronoun), 8),
        "pron_sentence_start": float(pronoun.i - p_start <= 1),
        "pron_in_quote_sent": float(index.sentence_has_quote(pronoun.i)),
        "pron_after_and": float(pronoun.i > 0 and doc[pronoun.i - 1].lower_ in _LINKING_WORDS),
        "pron_in_subclause": float(any(a.dep_ in _SUBCLAUSES for a in pronoun.ancestors)),
        "reflexive": float(pronoun.lower_ in REFLEXIVES),
        "possessive_pronoun": float(p_role == "poss"),
        "mentions_in_window": len(cands),
        "n_candidates": len(cands),
        f"pron_{p_role}": 1.0,
    }
    p_sentence = index.sentence_number(pronoun.i)
    for k, cand in enumerate(cands):
        head = cand.mention[2]
        c_role = roles[k]
        sent_dist = max(0, p_sentence - index.sentence_number(head.i))
        after = head.i > pronoun.i
        gender = _gender_of(cand.actor) if agreement in "mf" else None
        given = names.get(cand.actor.name.split()[0].lower()) if " " in cand.actor.name else None
        cos = 0.0
        if p_vec is not None:
            denom = float(norms[pronoun.i] * norms[head.i]) or 1.0  # type: ignore[index]
            cos = float(p_vec @ tensor[head.i]) / denom  # type: ignore[index]
        closer_same = 0.0
        if gender and agreement in "mf":
            closer_same = float(any(abs(pronoun.i - c.mention[2].i) < abs(pronoun.i - head.i)
                                    and _gender_of(c.actor) == agreement for c in cands if c is not cand))
        h = _head_of(head)
        row = {
            **pronoun_row,
            "sent_dist": min(sent_dist, 8),
            "tok_dist_log": math.log1p(abs(pronoun.i - head.i)),
            "rank": rank[k],
            "cataphora": float(after),
            "same_sentence": float(index.sentence_number(head.i) == p_sentence),
            f"cand_{c_role}": 1.0,
            "parallel": float(c_role == p_role or (c_role == "subj" and p_role == "poss")),
            "governs": float(governing[k]),
            "other_governs": float(any(g for j, g in enumerate(governing) if j != k)),
            "salience_rank": salience_rank[k],
            "same_clause": float(_clause_verb(head).i == p_verb.i),
            "gender_agree": float(gender == agreement) if gender else 0.0,
            "gender_clash": float(gender is not None and gender != agreement),
            "gender_unknown": float(gender is None),
            "name_gender_agree": float(given == agreement) if given else 0.0,
            "name_gender_clash": float(given is not None and agreement in "mf" and given != agreement),
            "kind_person": float(cand.actor.kind == "person"),
            "number_plural_actor": float(cand.actor.kind != "person" and agreement == "p"),
            "n_mentions_log": math.log1p(len(cand.actor.mentions)),
            "n_subject_log": math.log1p(len(cand.actor.subject_at)),
            "first_actor": float(index.actors and index.actors[0] is cand.actor),
            "cand_sentence_subject": float(c_role == "subj" and h.head.dep_ == "ROOT"),
            "cand_in_parens": float(index.paren_before(h.i)),
            "cand_after_of": float(h.dep_ == "pobj" and h.head.lower_ == "of"),
            "cand_is_object_of_pron_verb": float(c_role in ("obj", "pobj") and _clause_verb(head).i == p_verb.i),
            "nearest_subject": float(k == nearest_subject_k),
            "tensor_cos": cos,
            "cand_appos_or_title": float(bool(cand.actor.roles)),
            "other_same_gender_closer": closer_same,
            "cand_given_name": float(cand.actor.name.split()[0].lower() in names),
            "cand_depth": min(_depth(h), 8),
            "cand_first_in_sentence": float(index.first_mention_in_sentence(head)),
            "subjects_between": min(sum(1 for j, c in enumerate(cands) if j != k and roles[j] == "subj"
                                        and min(head.i, pronoun.i) < c.mention[2].i < max(head.i, pronoun.i)), 3),
            "mentions_before_log": math.log1p(sum(1 for s_, _ in cand.actor.mentions if s_ < pronoun.idx)),
            "cand_possessor": float(h.dep_ == "poss" or any(c.tag_ == "POS" for c in h.children)),
            "same_gender_rivals": sum(1 for j in range(len(cands)) if j != k and name_genders[j] == agreement),
            "cand_in_relcl": float(any(a.dep_ in ("relcl", "acl") for a in h.ancestors)),

            "cand_words": min(len(cand.actor.name.split()), 4),
        }
        rows.append([row.get(f, 0.0) for f in FEATURES])
    return np.asarray(rows, dtype=np.float32)


# a name is a place when it is the object of these ("in Melbourne") or the possessor of these ("Victoria's east")
_PLACE_PREPOSITIONS = frozenset("in near across throughout".split())
_PLACE_POSSESSED = frozenset("""government capital parliament economy coast border borders suburb suburbs outskirts
east west north south population""".split())


def place_syntax(actor: Actor, index: ActorIndex) -> bool:
    """A mention of the actor reads as a place: "in X", "X-based", "X's government"."""
    text = doc_text(index.doc)
    for start, end in actor.mentions:
        head = index.head_token(start, end)
        if head is None:
            continue
        if head.dep_ == "pobj" and head.head.lower_ in _PLACE_PREPOSITIONS:
            return True
        if head.dep_ == "poss" and head.head.lemma_.lower() in _PLACE_POSSESSED:
            return True
        if text[end : end + 6].lower() == "-based":
            return True
    return False


def never_person(actor: Actor, index: ActorIndex) -> bool:
    """A place or a body that he/she never stands for, though a given name may open it: a body named
    with a place or body word at its end ("Washington Area Music Association"); a name in the place
    gazetteer (``lexicon.place_names``) unless the tagger called it a person and it opens with a given name
    ("Victoria Beckham"); a name the article uses as a place ("in Melbourne", "Melbourne-based"), unless
    it is a person with a given name or gender evidence of its own."""
    from onrecord.attribute.actors import _PLACE_WORDS
    from onrecord.attribute.lexicon import place_names

    words = actor.name.lower().split()
    if not words:
        return True
    personal = actor.kind == "person" and (words[0] in index.name_genders or bool(actor.gender))
    if actor.kind != "person" and (words[-1] in _PLACE_WORDS or words[-1] in ORG_NOUNS):
        return True
    if described_as_body(actor, index):  # whatever the tagger's label ("Elias Nickel" as a person)
        return True
    if actor.name.lower() in place_names() and not personal:
        return True
    return not personal and place_syntax(actor, index)


# organisation nouns that never describe a person ("developer", "producer", "publisher", "giant" may)
_BODY_ONLY_NOUNS = frozenset("""company firm corporation conglomerate startup bank lender insurer retailer airline
manufacturer carmaker automaker charity institute university ministry agency association federation organisation
organization union club league""".split())


def described_as_body(actor: Actor, index: ActorIndex) -> bool:
    """The article calls the actor a body (``descriptors``: "Arvo Lithium, a company that …", "Corvella is a
    lender", "payments company Corvella"): so it is none, though its name opens with a given name."""
    return bool(descriptors(actor, index) & _BODY_ONLY_NOUNS)


def unfit(pronoun: Token, cands: list[Candidate], index: ActorIndex) -> np.ndarray:
    """Per candidate of a he/she, True when it can be no person of that gender: a body the tagger
    named whose given name says the other gender ("Nathan" for "she"), or a place or body
    (``never_person``). Such a candidate stays in the list (the ranker's features count the rivals it
    was trained with) but is never chosen."""
    from onrecord.attribute.actors import name_gender

    agreement = PRONOUNS[pronoun.lower_][1]
    out = np.zeros(len(cands), dtype=bool)
    if agreement not in "mf":
        return out
    owned = _possessed_phrase(pronoun)
    subject = _local_subject(pronoun)
    local = index.actor_at(subject) if subject is not None else None
    for k, cand in enumerate(cands):
        actor = cand.actor
        if owned is not None and owned[0] <= cand.mention[2].i <= owned[1]:
            out[k] = True  # "her play Beds": a name inside the phrase the pronoun possesses is someone else
            continue
        if actor is local:
            out[k] = True  # "Clarke refused to sign McCrimmon, choosing to trade him": him is not Clarke
            continue
        said = name_gender(actor.name.split(), index.name_genders) if actor.kind != "person" else None
        if said is not None and said != agreement:
            out[k] = True
            continue
        out[k] = _never_person_once(actor, index)
    return out


_NAMING_NOUNS = frozenset("name nickname pseudonym alias surname".split())  # "his real name, Henry Rosenthal"


def _possessed_phrase(pronoun: Token) -> tuple[int, int] | None:
    """The token range of the noun phrase a possessive pronoun opens ("her play Beds", "his letter to Varga"): a
    name inside it is c-commanded by the pronoun and so cannot be the pronoun's antecedent (binding Principle C);
    not a naming noun's phrase ("his real name, Henry Rosenthal"), which names him."""
    owner = pronoun.head
    if pronoun.dep_ != "poss" or owner.i == pronoun.i or owner.lemma_.lower() in _NAMING_NOUNS:
        return None
    return owner.left_edge.i, owner.right_edge.i


def _local_subject(pronoun: Token) -> Token | None:
    """The subject of an object pronoun's own clause, through the verbs that share it ("Clarke refused …, choosing
    to trade him", "Jackson bandaged Bass and left him", "Kolb entered the office to wish him luck"): the one the
    pronoun cannot stand for (binding Principle B: that would be "himself")."""
    if pronoun.dep_ not in ("dobj", "dative") or pronoun.tag_ != "PRP":
        return None
    verb = pronoun.head
    for _ in range(6):
        subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if subject is not None:
            return subject if subject.pos_ in ("PROPN", "NOUN") else None
        if verb.dep_ not in ("xcomp", "advcl", "conj") or verb.head.i == verb.i:
            return None
        controller = next((c for c in verb.head.children if c.dep_ == "dobj"), None) if verb.dep_ == "xcomp" else None
        if controller is not None:  # "asked Eleanor to restore her": the object controls the infinitive
            return controller if controller.pos_ in ("PROPN", "NOUN") else None
        verb = verb.head
    return None


def _never_person_once(actor: Actor, index: ActorIndex) -> bool:
    """``never_person``, asked once per actor and article."""
    verdict = index.not_person.get(id(actor))
    if verdict is None:
        verdict = index.not_person[id(actor)] = never_person(actor, index)
    return verdict


def surname_alone(actor: Actor, index: ActorIndex) -> bool:
    """A one-word name the tagger filed as a body or place that is neither by the gazetteer, its
    syntax or its words (``never_person``): most often a surname standing alone ("Andreev", "Quinn")."""
    return len(actor.name.split()) == 1 and not _never_person_once(actor, index)


def _reports(token: Token, passive: bool = False) -> bool:
    """The token is the subject of a reporting verb ("he said", "she admits"; ``passive``: "he was quoted")."""
    from onrecord.attribute.lexicon import SPEECH_VERBS

    subjects = ("nsubj", "nsubjpass") if passive else ("nsubj",)
    return token.dep_ in subjects and token.head.lemma_.lower() in SPEECH_VERBS


def _bound_out(pronoun: Token, mentions: list[tuple[int, int, Actor]], index: ActorIndex) -> set[int]:
    """Actors a reporting subject pronoun cannot stand for because it c-commands one of their names
    (binding Principle C): "He said Varga had …" (a name after the subject, in its verb's clause), and
    "'Ingrid was right,' she admits" (a name in the quoted complement before it)."""
    # only where the pronoun reports: on every subject pronoun, parse errors in long sentences cost
    # more than the rule gains (GAP validation 0.644 -> 0.636)
    if not _reports(pronoun, passive=True):
        return set()
    verb, inside = pronoun.head, range(pronoun.left_edge.i, pronoun.right_edge.i + 1)
    out: set[int] = set()
    for start, end, actor in mentions:
        head = index.head_token(start, end)
        if head is None or head.i in inside or head.sent.start != pronoun.sent.start:
            continue
        t = head
        while t.head.i != verb.i and t.head.i != t.i:
            t = t.head
        if t.head.i != verb.i or t.i == verb.i:
            continue
        doc = pronoun.doc
        quoted = any(x.is_quote for x in doc[max(t.left_edge.i - 1, 0) : t.right_edge.i + 2])
        if head.i > pronoun.i or (t.dep_ in ("ccomp", "parataxis") and quoted):
            out.add(id(actor))
    return out


def _rule(pronoun: Token, index: ActorIndex) -> Actor | None:
    """The rule's reading of a pronoun, unless the pronoun c-commands that actor's name (``_bound_out``)."""
    actor = index.rule_pronoun(pronoun, _kind_of(pronoun))
    if actor is not None and id(actor) in _bound_out(pronoun, index.name_mentions_near(pronoun), index):
        return None
    return actor


def _previous_speaker(pronoun: Token, cands: list[Candidate], index: ActorIndex) -> int | None:
    """The candidate that was the subject of a reporting verb in the sentence before, in the same
    paragraph, when the pronoun is itself a reporting verb's subject and no other candidate was."""
    if not _reports(pronoun):
        return None
    here = index.sentence_number(pronoun.i)
    found = []
    for k, cand in enumerate(cands):
        head = _head_of(cand.mention[2])
        if index.sentence_number(head.i) != here - 1 or "\n" in pronoun.doc[head.i : pronoun.i].text:
            continue
        if _reports(head):
            found.append(k)
    return found[0] if len(found) == 1 else None


def candidates(pronoun: Token, index: ActorIndex) -> list[Candidate]:
    """Actors that fit the pronoun's kind, each with its mention nearest before it (or, failing
    that, after it in the same sentence), from the pronoun's sentence and the few before it; not
    one the pronoun c-commands (``_bound_out``)."""
    kind, agreement = PRONOUNS[pronoun.lower_]
    here = index.sentence_number(pronoun.i)
    best: dict[int, Candidate] = {}
    near = index.name_mentions_near(pronoun)
    bound = _bound_out(pronoun, near, index)
    for start, end, actor in near:
        if id(actor) in bound:
            continue
        # it/they never stand for a person's name; he/she may stand for a name the tagger took for a body
        # (the ranker weighs the kind) when it opens with a given name ("Mark Twain" as ORG) or is one
        # word and no place or body ("Andreev", "Quinn" as ORG / GPE)
        if kind != "person" and actor.kind == "person":
            continue
        if kind == "person" and actor.kind != "person" and (actor.name.split()[0].lower() not in index.name_genders
                                                            or company_name(actor.name)) \
                and not surname_alone(actor, index):
            continue  # ... but never a name that ends as a company's does ("Arvo Lithium", "Orvane Pharma")
        if agreement in "mf" and _clashes(actor, agreement):
            continue  # "he" is never a woman the article or her given name has shown to be one
        head = index.head_token(start, end)
        if head is None or head.i == pronoun.i:
            continue
        if head.i > pronoun.i and index.sentence_number(head.i) != here:
            continue
        if here - index.sentence_number(head.i) > _WINDOW_SENTENCES:
            continue
        current = best.get(id(actor))
        if current is None:
            best[id(actor)] = Candidate(actor, (start, end, head))
            continue
        c = current.mention[2].i
        # prefer the nearest mention before the pronoun over any after it
        before, current_before = head.i < pronoun.i, c < pronoun.i
        if (before and (not current_before or head.i > c)) or (not before and not current_before and head.i < c):
            best[id(actor)] = Candidate(actor, (start, end, head))
    cands = sorted(best.values(), key=lambda c: abs(pronoun.i - c.mention[2].i))
    return cands[:_MAX_CANDIDATES]


def is_referring(token: Token) -> bool:
    """A third-person pronoun that can stand for an actor (not pleonastic "it is …", not "it" as
    an object of weather/time verbs)."""
    lower = token.lower_
    if lower not in PRONOUNS or token.pos_ not in ("PRON", "DET"):
        return False
    if lower == "it" and (token.dep_ == "expl" or (any(c.dep_ in ("ccomp", "xcomp") for c in token.head.children)
                          and token.head.lemma_ in ("be", "seem", "appear", "take", "make"))):
        return False
    if lower == "its" and token.head.lower_ in ("own",):
        return True
    return True


_RANKER = {"enabled": True}


def ranker_enabled() -> bool:
    return _RANKER["enabled"]


_READER = {"enabled": True}


def reader_enabled() -> bool:
    return _READER["enabled"] and _RANKER["enabled"]


@contextmanager
def without_reader() -> Iterator[None]:
    """Within this block contested he/she are left to the trees (the row ``onrecord evaluate``
    reports beside the default, to show what the text reader adds)."""
    before = _READER["enabled"]
    _READER["enabled"] = False
    try:
        yield
    finally:
        _READER["enabled"] = before


@contextmanager
def rules_only() -> Iterator[None]:
    """Within this block pronouns are resolved by the rule alone (the baseline ``onrecord evaluate``
    reports beside the ranker)."""
    before = _RANKER["enabled"]
    _RANKER["enabled"] = False
    try:
        yield
    finally:
        _RANKER["enabled"] = before


@dataclass(frozen=True)
class PronounRanker:
    """Boosted trees over ``FEATURES`` rows and the acceptance threshold (from the card)."""

    trees: object  # onrecord.attribute.learned.Trees
    threshold: float  # he/she
    threshold_other: float  # it/they

    @classmethod
    @lru_cache(maxsize=1)
    def load(cls) -> PronounRanker | None:
        if not MODEL_PATH.exists():
            return None
        from onrecord.attribute.learned import TREE_PARTS, Trees

        with np.load(MODEL_PATH, allow_pickle=False) as data:
            names = [str(n) for n in data["features"]]
            if tuple(names) != FEATURES:
                return None  # weights from another feature set: retrain (python -m onrecord.train.coref)
            trees = Trees(*(data[f"tree_{part}"] for part in TREE_PARTS), float(data["bias"]))
            return cls(trees, float(data["threshold"]), float(data["threshold_other"]))

    def scores(self, x: np.ndarray) -> np.ndarray:
        return self.trees.score(x)  # type: ignore[attr-defined]


def _kind_of(pronoun: Token) -> str:
    return "person" if PRONOUNS[pronoun.lower_][0] == "person" else "organization"


def _positions(doc: Doc, words: Iterable[str], attr: int = LOWER) -> list[int]:
    """Indices of the tokens whose lower-case form (or ``attr``) is one of ``words``, found as one
    array test rather than a Token per word."""
    if not len(doc):
        return []
    hashes = np.array([doc.vocab.strings.add(w) for w in words], dtype=np.uint64)
    column = doc.to_array(attr)
    return np.flatnonzero(np.isin(column, hashes)).tolist()


def contested(token: Token, cands: list[Candidate], index: ActorIndex, never: np.ndarray | None = None) -> bool:
    """A he/she with at least two people it could be (none ruled out by gender, none ``unfit`` — the
    mask ``never`` —, a surname the tagger filed as a body counted): where the parse's features are
    least sure and the text reader (``coref_reader``) decides."""
    agreement = PRONOUNS[token.lower_][1]
    if agreement not in "mf":
        return False
    never = np.zeros(len(cands), dtype=bool) if never is None else never
    fitting = [c for c, n in zip(cands, never, strict=True) if not n
               and (c.actor.kind == "person" or surname_alone(c.actor, index))
               and _name_gender(c.actor, index.name_genders) in (agreement, None)]
    return len(fitting) >= 2


# the trees' best two candidates this close (or the best below the threshold): unsure. 0.35 read 3.6 times as
# many pronouns for +0.006 GAP F1 on validation (docs/coreference.md)
READER_MARGIN = 0.15


def unsure(p: np.ndarray, threshold: float) -> bool:
    """The trees' scores leave the choice open: the best is below the threshold or the runner-up is
    within READER_MARGIN of it."""
    top = np.sort(p)[::-1]
    return bool(top[0] < threshold or (len(top) > 1 and top[0] - top[1] < READER_MARGIN))


# chosen on GAP development's tune slice (the reader never trained on it; the trees did), through the pipeline
READER_WEIGHT = 0.5  # the reader's share of a contested pronoun's score; the trees have the rest
BLEND_THRESHOLD = 0.2
# encoder passes of the reader per article: a budget, as the check-worthiness encoder has one, that keeps
# coreference within a tenth of the pipeline's CPU (docs/coreference.md); pronouns it leaves go to the trees
READER_PASSES = 1


def reader_mentions(token: Token, cands: list[Candidate]) -> list[list[tuple[int, int]]]:
    """Per candidate, its name mentions the reader's window can hold (else its nearest one)."""
    lo = token.idx - 900  # coref_reader.window's reach
    end = token.sent.end_char
    return [[(s, e) for s, e in c.actor.mentions if lo <= s < end] or [c.mention[:2]] for c in cands]


def blend_choice(cands: list[Candidate], reader_p: list[np.ndarray], trees: np.ndarray) -> Actor | None:
    """The candidate of the best blend of the reader's probability (the best of its name mentions)
    and the trees' score, if the blend clears BLEND_THRESHOLD."""
    p = np.array([float(x.max()) if len(x) else 0.0 for x in reader_p])
    blend = READER_WEIGHT * p + (1 - READER_WEIGHT) * trees
    k = int(np.argmax(blend))
    return cands[k].actor if blend[k] >= BLEND_THRESHOLD else None


def resolve_pronouns(doc: Doc, index: ActorIndex, ranker: PronounRanker | None,
                     reader: PronounReader | None = None, trace: dict[int, dict] | None = None) -> dict[int, Actor]:
    """Token index -> actor for every referring pronoun the ranker links (or, with no model, the
    rule: the nearest earlier clause subject that fits); a contested he/she is the ``reader``'s to
    link when one is given (all of an article's contested pronouns read in as few encoder passes as
    their windows allow: ``PronounReader.scores_many``). ``trace`` (an error listing's, ``bench/gap_errors.py``)
    gets, per pronoun the trees scored, its candidates, their scores and which step decided."""
    out: dict[int, Actor] = {}
    pending: list[tuple[Token, list[Candidate], np.ndarray]] = []
    for i in _positions(doc, PRONOUNS):
        token = doc[i]
        if not is_referring(token) or index.in_skip(token.idx):
            continue
        cands = candidates(token, index)
        if not cands:
            continue
        if ranker is None:
            actor = _rule(token, index)
            if actor is not None:
                out[token.i] = actor
            continue
        pending.append((token, cands, pair_features(doc, token, cands, index)))
    if not pending or ranker is None:
        return out
    scores = ranker.scores(np.concatenate([x for _, _, x in pending]))  # one pass of the trees per document

    def by_trees(token: Token, cands: list[Candidate], p: np.ndarray, k: int, threshold: float, how: str) -> None:
        if p[k] >= threshold:
            out[token.i] = cands[k].actor
        elif (actor := _rule(token, index)) is not None:
            out[token.i] = actor  # below the threshold: the rule's reading, as a speaker would get
            how = "rule"
        if trace is not None:
            trace[token.i] = {"cands": [c.actor for c in cands], "trees": p, "by": how}

    at = 0
    to_read: list[tuple[Token, list[Candidate], np.ndarray, float, list[list[tuple[int, int]]], np.ndarray]] = []
    for token, cands, x in pending:
        p, at = scores[at : at + len(cands)], at + len(cands)
        never = unfit(token, cands, index)
        p = np.where(never, 0.0, p)  # scored among its rivals, never chosen
        threshold = ranker.threshold if PRONOUNS[token.lower_][0] == "person" else ranker.threshold_other
        k = int(np.argmax(p))
        governing = np.flatnonzero(x[:, _GOVERNS])
        how = "trees"
        if len(governing) == 1 and p[governing[0]] >= threshold and cands[governing[0]].actor.kind == "person":
            # "X said he …": the subject of the verb above the pronoun's clause (Hobbs 1978); a body the tagger
            # named ("Nordea said he …") is left to the trees (GAP development, held-out 300: +1 row, all 2,000 +0.002)
            k, how = int(governing[0]), "governs"
        elif (previous := _previous_speaker(token, cands, index)) is not None and not never[previous]:
            # "X said A. 'B,' he said.": a reporting subject continues the last sentence's speaker
            k, how = previous, "previous"
        elif reader is not None and unsure(p, threshold) and contested(token, cands, index, never):
            to_read.append((token, cands, p, threshold, reader_mentions(token, cands), never))
            continue
        by_trees(token, cands, p, k, threshold, how)
    if to_read and reader is not None:
        from onrecord.attribute.tokens import doc_text

        flat = reader.scores_many(doc_text(doc), [((t.idx, t.idx + len(t.text)), [m for ms in mentions for m in ms])
                                                  for t, *_, mentions, _ in to_read], READER_PASSES)
        for (token, cands, p, threshold, mentions, never), probs in zip(to_read, flat, strict=True):
            per_cand, at = [], 0
            for ms in mentions:
                per_cand.append(probs[at : at + len(ms)])
                at += len(ms)
            if sum(x.max() > 0 for x in per_cand) < 2:  # fewer than two in the reader's window: the trees decide
                by_trees(token, cands, p, int(np.argmax(p)), threshold, "trees (reader window)")
                continue
            read = [x * (not n) for x, n in zip(per_cand, never, strict=True)]
            if (actor := blend_choice(cands, read, p)) is not None:
                out[token.i] = actor
            if trace is not None:
                trace[token.i] = {"cands": [c.actor for c in cands], "trees": p, "by": "reader",
                                  "reader": [float(x.max()) if len(x) else 0.0 for x in read]}
    return out


# --- descriptions ---------------------------------------------------------------------------

# Nouns that describe a body and so can stand for one named earlier ("the carmaker" for "carmaker Y
# Motors"), besides the lexicon's body nouns.
ORG_NOUNS = frozenset("""
company firm carmaker automaker bank lender insurer retailer airline manufacturer maker producer operator
supplier developer conglomerate group giant startup charity watchdog regulator broadcaster publisher
institute university ministry agency party union council commission committee court government
organisation organization association federation league club alliance coalition network
""".split())
# Company-name endings: a generic "the company" / "the firm" stands for the latest such body.
_COMPANY_ENDINGS = frozenset("inc inc. corp corp. co co. ltd ltd. plc llc ag sa se nv group motors holdings "
                             "airlines bank energy pharma systems technologies capital partners associates "
                             "investments resources minerals mining metals industries".split())
# (capital … industries: finance and mining firms, "Fenwick Capital", "Corvel Mining", that the tagger calls people)


def company_name(name: str) -> bool:
    """The name ends as a company's does ("Orvane Pharma", "Y Motors", "Fenwick Capital")."""
    words = name.split()
    return bool(words) and words[-1].lower() in _COMPANY_ENDINGS
_COMPANY_NOUNS = frozenset("company firm group giant business conglomerate".split())
# Abbreviations that mark a sports club's name in many languages ("FC Lechtal", "AFC Wimbledon", "SV Werder",
# "Djurgårdens IF", "AC Milan", "FK Partizan"): such a body is "the club".
_CLUB_MARKS = frozenset("FC AFC CF SC SV AC FK BK IF SK SSC VFB VFL TSV".split())


def club_name(name: str) -> bool:
    """The name carries a sports club's abbreviation as its first or last word."""
    words = name.split()
    return len(words) > 1 and (words[0] in _CLUB_MARKS or words[-1] in _CLUB_MARKS)
# Nouns news uses interchangeably for one public body that oversees others: "the regulator" after "the data
# protection authority", "the watchdog" after "the Competition Commission".
_REGULATOR_NOUNS = frozenset("regulator watchdog authority commission agency office board".split())
_OVERSEER_NOUNS = frozenset({"regulator", "watchdog"})  # the words that stand for any of them
UNNAMED_BODY_SENTENCES = 12  # how far back a description looks for the unnamed body it stands for


def descriptors(actor: Actor, index: ActorIndex) -> set[str]:
    """Lower-case nouns the article uses for a body: the words of its name, a noun in front of it
    ("carmaker Y Motors"), an appositive's or a copula's head ("Y Motors, the carmaker", "Y is a
    lender")."""
    out = {w.lower() for w in actor.name.split()} | ({"club"} if club_name(actor.name) else set())
    doc = index.doc
    spans = [span for start, end in actor.mentions
             if (span := doc.char_span(start, end, alignment_mode="expand")) is not None and len(span)]
    # the name where the tagger gave it another label or none ("fined payments company Corvella 48 million")
    last, seen = actor.name.split()[-1], {t.i for span in spans for t in span}
    spans += [doc[i : i + 1] for i in index.proper_nouns().get(last, ()) if i not in seen]
    for span in spans:
        root = span.root
        out |= nouns_naming(root, span.start)
        if span[-1] is not root:  # "the Friends of X Library, a residents' group": the appositive hangs on the end
            out.update(c.lemma_.lower() for c in span[-1].children if c.dep_ == "appos" and c.pos_ == "NOUN")
        if root.dep_ == "nsubj" and root.head.lemma_ == "be":
            out.update(c.lemma_.lower() for c in root.head.children if c.dep_ == "attr" and c.pos_ == "NOUN")
    return out


def nouns_naming(root: Token, first: int) -> set[str]:
    """Common nouns the syntax puts on a name whose head is ``root`` and first token ``first``: one in front
    of it ("carmaker Y Motors"; "payments company Corvella", read as an apposition) or an appositive's
    head ("Y Motors, the carmaker")."""
    doc = root.doc
    out: set[str] = set()
    left = doc[first - 1] if first > 0 else None
    # an organisation noun right before the name names it whatever the parse made of the pair ("fined payments
    # company Velmora 5 million euros" parses the name as a modifier of "euros")
    if left is not None and left.pos_ == "NOUN" and (left.dep_ in ("compound", "nmod", "amod")
                                                     or left.lemma_.lower() in ORG_NOUNS):
        out.add(left.lemma_.lower())
    out.update(c.lemma_.lower() for c in root.children if c.dep_ == "appos" and c.pos_ == "NOUN")
    if root.dep_ == "appos" and root.head.pos_ == "NOUN":
        out.add(root.head.lemma_.lower())
    return out


def person_descriptors(actor: Actor, index: ActorIndex) -> set[str]:
    """Lower-case nouns the article uses for a person besides the name: a noun in front of it
    ("neurologist Dr Sigrid Aalto", "union leader Declan Murphy"), an appositive's head ("Aalto, a
    neurologist", "The lead author, Aalto") or a copula's ("Aalto is a neurologist")."""
    out: set[str] = set()
    doc = index.doc
    for start, end in actor.mentions:
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None or not len(span):
            continue
        root = _head_of(span.root)
        # a capitalised noun opening the sentence is often tagged PROPN ("Geologist Pavel Dudek")
        out.update(t.lemma_.lower() for t in doc[root.left_edge.i : span.start]
                   if (t.pos_ == "NOUN" or (t.pos_ == "PROPN" and not t.ent_type_))
                   and t.dep_ in ("compound", "nmod", "amod", "appos"))
        out.update(c.lemma_.lower() for c in root.children if c.dep_ == "appos" and c.pos_ == "NOUN")
        if root.dep_ == "appos" and root.head.pos_ == "NOUN":
            out.add(root.head.lemma_.lower())
        if root.dep_ == "nsubj" and root.head.lemma_ == "be":
            out.update(c.lemma_.lower() for c in root.head.children if c.dep_ == "attr" and c.pos_ == "NOUN")
    return out


def person_ages(index: ActorIndex) -> dict[int, set[str]]:
    """Ages the article gives its people: "Murphy, 61," and "61-year-old Murphy" (by actor id)."""
    doc = index.doc
    out: dict[int, set[str]] = {}
    for actor in index.actors:
        if actor.kind != "person":
            continue
        for start, end in actor.mentions:
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is None:
                continue
            after = doc[span.end : span.end + 3]
            if len(after) == 3 and after[0].text == "," and after[1].like_num and after[2].text == ",":
                out.setdefault(id(actor), set()).add(after[1].text)
            if span.start >= 5 and doc[span.start - 1].lower_ == "old" and doc[span.start - 3].lower_ == "year":
                out.setdefault(id(actor), set()).add(doc[span.start - 5].text)
    return out


def _age_description(old: Token) -> tuple[Token, str] | None:
    """"the 61-year-old" standing alone (not "the 61-year-old lawyer"): its root token and the years."""
    doc, i = old.doc, old.i
    if i < 5 or doc[i - 1].text != "-" or doc[i - 2].lower_ not in ("year", "years") or doc[i - 3].text != "-":
        return None
    number = doc[i - 4]
    if not number.like_num or doc[i - 5].lower_ not in ("the", "this"):
        return None
    span = doc[i - 5 : i + 1]
    roots = [t for t in span if not (span.start <= t.head.i < span.end) or t.head.i == t.i]
    if len(roots) > 1 and len({t.head.i for t in roots}) == 1 and old in roots:
        roots = [old]  # "The 52-year-old added": the parser hung its words on the verb one by one
    if len(roots) != 1 or (i + 1 < len(doc) and doc[i + 1].pos_ in ("NOUN", "PROPN") and old.head.i == i + 1):
        return None
    return roots[0], number.text


def _is_description(token: Token) -> bool:
    """The head noun of "the minister", "the ministry", "this company": a definite noun phrase with
    no name in it."""
    if token.pos_ != "NOUN" or token.ent_type_ or token.tag_ not in ("NN", "NNS"):
        return False
    children = list(token.children)
    if not any(c.dep_ == "det" and c.lower_ in ("the", "this") for c in children):
        return False
    if any(c.dep_ in ("compound", "poss") and (c.pos_ == "PROPN" or c.ent_type_) for c in children):
        return False  # "the Labour party", "Russia's army": named
    return not any(c.dep_ == "appos" and c.pos_ == "PROPN" for c in children)


def resolve_body(head: Token, index: ActorIndex, cache: dict[int, set[str]]) -> Actor | None:
    """"the ministry", "the carmaker": the latest body whose name or descriptors hold the noun;
    "the company" / "the firm" failing that, the latest body with a company-like name."""
    noun = head.lemma_.lower()
    for _, _, actor in index.mentions_before(head.idx):
        if actor.kind == "person":
            continue
        words = cache.get(id(actor))
        if words is None:  # once per actor (setdefault would rebuild it for every description)
            words = cache[id(actor)] = descriptors(actor, index)
        if noun in words or head.lower_ in words or (noun in _OVERSEER_NOUNS and words & _REGULATOR_NOUNS):
            return actor
    if noun in _COMPANY_NOUNS:
        for _, _, actor in index.mentions_before(head.idx):
            if actor.kind != "person" and company_name(actor.name):
                return actor
    if head.dep_ == "nsubj" and head.tag_ == "NN":
        # no name fits: the body that was the subject of the sentence before ("Kellan Rovers said …
        # The club said …"), the centre a subject description continues
        here = index.sentence_number(head.i)
        for start, end, actor in index.mentions_before(head.idx):
            s = index.head_token(start, end)
            if s is None or here - index.sentence_number(s.i) > 1:
                break
            if actor.kind != "person" and start in actor.subject_at:
                return actor
    return None


def unnamed_body(head: Token, index: ActorIndex) -> Span | None:
    """"The agency" after "the county's emergency management agency", "the regulator" after "Portugal's data
    protection authority": the latest earlier noun phrase in the last ``UNNAMED_BODY_SENTENCES`` sentences
    with a name-like modifier (a possessive, a compound, an adjective) and the same head noun, or a noun of
    one class (``_REGULATOR_NOUNS``); a body the article never names but speaks of as one."""
    noun = head.lemma_.lower()
    nouns = _REGULATOR_NOUNS if noun in _OVERSEER_NOUNS else {noun}
    first, here = index.sentence_start(head.i), index.sentence_number(head.i)
    for token in reversed(head.doc[max(0, first - 400) : first]):
        if token.pos_ != "NOUN" or token.lemma_.lower() not in nouns or token.tag_ != "NN":
            continue
        if here - index.sentence_number(token.i) > UNNAMED_BODY_SENTENCES:
            break
        children = list(token.children)
        if any(c.dep_ == "det" and c.lower_ in ("a", "an", "any", "every", "each", "no") for c in children):
            continue
        if token.dep_ == "appos" and (token.head.pos_ == "PROPN" or token.head.ent_type_):
            continue  # "the Friends of X, a residents' group": the appositive describes the named body
        if not any(c.dep_ in ("poss", "compound", "amod") for c in children):
            continue
        after = head.doc[token.i + 1] if token.i + 1 < len(head.doc) else None
        if token.ent_type_ or any(c.pos_ == "PROPN" and c.dep_ in ("appos", "compound") for c in children) \
                or (after is not None and after.pos_ == "PROPN"):
            continue  # "payments company Velmora", "the Labour party": named, the name is the actor
        start = token.left_edge
        if start.dep_ == "det":
            start = head.doc[start.i + 1]
        return head.doc[start.i : token.i + 1]
    return None


def resolve_descriptions(doc: Doc, index: ActorIndex) -> dict[int, Actor]:
    """Head token index -> actor for every definite description of a person ("the minister", "the
    neurologist", by role or descriptor; "the 61-year-old", by age or the nearest subject) or a body
    ("the ministry", by name or descriptor) that an earlier actor fits."""
    from onrecord.attribute.lexicon import BODY_NOUNS, TITLE_WORDS

    out: dict[int, Actor] = {}
    cache: dict[int, set[str]] = {}
    person_nouns = set().union(*(index.person_words(a) for a in index.actors if a.kind == "person"))
    titles = TITLE_WORDS | person_nouns
    # the head noun of a body's own name stands for it ("the directorate" after "the Norwegian Fisheries
    # Directorate", "the county" after "Harlow County")
    name_heads = {a.name.split()[-1].lower() for a in index.actors if a.kind != "person" and len(a.name.split()) > 1}
    nouns = titles | BODY_NOUNS | ORG_NOUNS | name_heads
    heads = sorted(set(_positions(doc, TITLE_WORDS)) | set(_positions(doc, nouns, LEMMA)))
    for i in _positions(doc, ("old",)):
        if (age := _age_description(doc[i])) is not None and not index.in_skip(doc[i].idx):
            root, years = age
            if (actor := index.resolve_age(root, years)) is not None:
                out[root.i] = actor
    for i in heads:
        token = doc[i]
        lower = token.lower_
        lemma = token.lemma_.lower()
        body = lemma in BODY_NOUNS or lemma in ORG_NOUNS or (lower in name_heads and token.tag_ == "NN")
        title = lower in TITLE_WORDS or lemma in TITLE_WORDS
        described = lemma in person_nouns and token.tag_ == "NN"  # "the neurologist": one person
        if not (title or body or described):
            continue
        if not _is_description(token) or index.in_skip(token.idx):
            continue
        if token.tag_ == "NNS" and not body:
            continue  # "the senators": more than one person
        if title or (described and not body):
            actor = index.resolve_description(token)
        else:
            actor = resolve_body(token, index, cache)
            # the nearer of the named body that fits and a body the article describes without a name
            span = unnamed_body(token, index) if token.tag_ == "NN" else None
            named_at = -1 if actor is None else max((s for s, _ in actor.mentions if s < token.idx), default=-1)
            if span is not None and span.start_char > named_at:
                actor = index.add_unnamed_body(span)
        if actor is not None:
            out[token.i] = actor
    for i in _positions(doc, ("counterpart",)):
        if (actor := counterpart(doc[i], index)) is not None:
            out[i] = actor
    return out


def counterpart(token: Token, index: ActorIndex) -> Actor | None:
    """"her counterpart", "Kowalczyk's counterpart": the latest other person named before it who shares a
    role word with the possessor (both foreign ministers), else the latest other person in the two
    sentences before."""
    owner = next((c for c in token.children if c.dep_ == "poss"), None)
    if owner is None or index.in_skip(token.idx):
        return None
    mine = index.resolve_pronoun(owner) if owner.lower_ in ("her", "his") else index.actor_at(owner)
    if mine is None or mine.kind != "person":
        return None
    words = {w.lower() for r in mine.roles for w in r.split()} - {"the", "a", "of", "'s"}
    others = [a for _, _, a in index.mentions_before(owner.idx) if a.kind == "person" and a is not mine]
    shared = next((a for a in others if words & {w.lower() for r in a.roles for w in r.split()}), None)
    if shared is not None:
        return shared
    nearby = {id(a) for _, _, a in index.name_mentions_near(token, 2)}
    return next((a for a in others if id(a) in nearby), None)
