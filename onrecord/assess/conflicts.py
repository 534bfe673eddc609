"""Conflicts inside one article: statements that cannot all be true together.

Two checks, each a small function returning ``Conflict`` items:

- ``status_conflicts``: the article says a person resigned, died, fled or was arrested, yet it
  also reports that person speaking or acting in office elsewhere;
- ``count_conflicts``: two different figures for the same count (people killed, injured,
  arrested, displaced) stated as fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from spacy.tokens import Doc, Token

from onrecord.attribute.actors import Actor, ActorIndex
from onrecord.attribute.extract import Found, subtree_bounds, trim
from onrecord.attribute.lexicon import PERSONAL_PRONOUNS, STATUS_VERBS

_MODALS = {"will", "would", "could", "may", "might", "should", "must", "can", "shall"}
_IRREALIS_HEADS = {"threaten", "plan", "refuse", "decline", "consider", "want", "urge", "call", "demand", "ask",
                   "deny", "expect", "intend", "offer", "vow", "pledge", "hope", "fail", "try", "rumour", "rumor"}
_COUNTS = {
    "kill": "killed", "die": "killed", "dead": "killed", "death": "killed", "toll": "killed", "fatality": "killed",
    "injure": "injured", "wound": "injured", "hurt": "injured", "injury": "injured",
    "arrest": "arrested", "detain": "arrested", "displace": "displaced", "evacuate": "evacuated",
}
_APPROXIMATE = {"least", "more", "over", "nearly", "about", "around", "almost", "roughly", "some", "than", "up",
                "approximately", "estimated", "rise", "climb", "increase", "reach"}


_TRAILING_CC = re.compile(r"[\s,;]+(?:and|but|or|while)?[\s,;]*$")


@dataclass
class Conflict:
    start: int
    end: int
    explanation: str
    related_spans: list[tuple[int, int]] = field(default_factory=list)  # content spans of related attributions
    severity: str = "high"


def _realis(verb: Token) -> bool:
    """True when the verb states that the event happened (not negated, hedged or hypothetical)."""
    for child in verb.children:
        if child.dep_ == "neg" or (child.dep_ == "aux" and child.lower_ in _MODALS):
            return False
        if child.dep_ == "mark" and child.lower_ in ("if", "unless", "whether"):
            return False
    head = verb
    while head.dep_ in ("xcomp", "ccomp", "conj", "advcl") and head.head is not head:
        if head.dep_ == "xcomp" or head.head.lemma_.lower() in _IRREALIS_HEADS:
            return False
        head = head.head
    return True


def _affected(verb: Token, actors: ActorIndex) -> Actor | None:
    """The person the status event happened to: the subject of 'resigned', 'was arrested', the object
    of 'arrested him'."""
    roles = ("nsubjpass",) if verb.tag_ == "VBN" and any(c.dep_ == "auxpass" for c in verb.children) else ("nsubj",)
    if verb.lemma_ in ("kill", "arrest", "detain", "oust", "fire", "sack", "dismiss", "remove", "execute",
                       "jail", "imprison", "depose", "overthrow", "assassinate") and roles == ("nsubj",):
        roles = ("dobj",)
    target = next((c for c in verb.children if c.dep_ in roles), None)
    if target is None:
        return None
    if target.lower_ in PERSONAL_PRONOUNS:
        return actors.resolve_pronoun(target)
    span = target.doc[target.left_edge.i : target.i + 1]
    actor = actors.actor_for(span)
    return actor if actor is not None and actor.kind == "person" else None


def status_conflicts(doc: Doc, actors: ActorIndex, found: list[Found], skip: list[tuple[int, int]]) -> list[Conflict]:
    out = []
    for verb in doc:
        lemma = verb.lemma_.lower()
        if lemma not in STATUS_VERBS or verb.pos_ != "VERB" or any(s <= verb.idx < e for s, e in skip):
            continue
        if not _realis(verb):
            continue
        actor = _affected(verb, actors)
        if actor is None:
            continue
        sent = verb.sent
        speaking = [f for f in found if f.actor is actor and not (sent.start_char <= f.content[0] < sent.end_char)]
        if not speaking:
            continue
        where = ", ".join(sorted({f"as {f.role}" for f in speaking if f.role}))
        count = len(speaking)
        explanation = (
            f"The article says {actor.name} {STATUS_VERBS[lemma]}, yet it also reports {actor.name} making "
            f"{count} statement{'s' if count > 1 else ''}{' ' + where if where else ''} — "
            "both cannot be current; check which is true."
        )
        start, end = sent.start_char, sent.end_char
        # the clause of the event, without coordinated clauses that have subjects of their own
        own = {c.i for c in verb.subtree if c.dep_ == "conj" and any(g.dep_.startswith("nsubj") for g in c.children)}
        clause = trim(verb.doc.text, *subtree_bounds(verb, own))
        for i in own:
            cut = verb.doc[i].left_edge
            if cut.i > verb.i:
                clause = trim(verb.doc.text, clause[0], min(clause[1], cut.idx))
        clause = (clause[0], clause[0] + len(_TRAILING_CC.sub("", verb.doc.text[clause[0] : clause[1]])))
        if clause[1] - clause[0] > 10:
            start, end = clause
        out.append(Conflict(start, end, explanation, [f.content for f in speaking]))
    return out


def _count_key(number: Token) -> str | None:
    """Which count a number gives: 'killed' for '12 people were killed', 'a death toll of 19'."""
    node: Token | None = number
    for _ in range(4):
        if node is None:
            break
        lemma = node.lemma_.lower()
        if lemma in _COUNTS:
            return _COUNTS[lemma]
        for child in node.children:
            if child.lemma_.lower() in _COUNTS and child.dep_ in ("amod", "compound", "acl", "relcl"):
                return _COUNTS[child.lemma_.lower()]
        node = node.head if node.head is not node else None
    return None


def count_conflicts(doc: Doc, found: list[Found], skip: list[tuple[int, int]]) -> list[Conflict]:
    attributed = [f.content for f in found]
    seen: dict[str, list[tuple[int, Token]]] = {}
    for ent in doc.ents:
        if ent.label_ != "CARDINAL" or any(s <= ent.start_char < e for s, e in skip + attributed):
            continue
        if any(t.lower_ in _APPROXIMATE or t.lemma_.lower() in _APPROXIMATE for t in ent.sent):
            continue
        try:
            value = int(ent.text.replace(",", ""))
        except ValueError:
            continue
        key = _count_key(ent.root)
        if key:
            seen.setdefault(key, []).append((value, ent.root))
    out = []
    for key, values in seen.items():
        distinct = {v for v, _ in values}
        if len(distinct) < 2:
            continue
        (v1, t1), (v2, t2) = values[0], next(item for item in values if item[0] != values[0][0])
        s1, s2 = t1.sent, t2.sent
        explanation = (f"The article gives two different figures for the number {key}: {v1} here and {v2} "
                       f"elsewhere (“{s2.text.strip()[:80]}”).")
        out.append(Conflict(s1.start_char, s1.end_char, explanation, [], "medium"))
    return out
