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

from spacy.tokens import Doc, Span, Token

from onrecord.attribute.actors import Actor, ActorIndex
from onrecord.attribute.extract import Found, ents_in, subtree_bounds, trim
from onrecord.attribute.lexicon import PERSONAL_PRONOUNS, STATUS_VERBS
from onrecord.attribute.tokens import doc_text

_MODALS = {"will", "would", "could", "may", "might", "should", "must", "can", "shall"}
_IRREALIS_HEADS = {"threaten", "plan", "refuse", "decline", "consider", "want", "urge", "call", "demand", "ask",
                   "deny", "expect", "intend", "offer", "vow", "pledge", "hope", "fail", "try", "rumour", "rumor"}
_CASUALTIES = {
    "kill": "killed", "die": "killed", "dead": "killed", "death": "killed", "toll": "killed", "fatality": "killed",
    "injure": "injured", "wound": "injured", "hurt": "injured", "injury": "injured",
    "arrest": "arrested", "detain": "arrested", "displace": "displaced", "evacuate": "evacuated",
}
# nouns too general to say two figures count the same thing
_GENERIC_NOUNS = {"people", "person", "persons", "time", "times", "year", "day", "week", "month", "hour", "minute",
                  "percent", "%", "point", "km", "kilometre", "kilometer", "mile", "metre", "meter", "one", "member",
                  "case", "number", "vote", "seat", "dollar", "euro", "pound"}
_APPROXIMATE = {"least", "more", "over", "nearly", "about", "around", "almost", "roughly", "some", "than", "up",
                "approximately", "estimated", "under", "fewer", "less", "most", "upwards"}
_UPDATES = {"rise", "climb", "increase", "reach", "grow", "jump", "swell", "mount", "update", "revise"}
_WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
_TRAILING_CC = re.compile(r"[\s,;]+(?:and|but|or|while)?[\s,;]*$")
_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
                      "ninety": 90, "hundred": 100, "dozen": 12})
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}


def number_value(text: str) -> float | None:
    """The value of a cardinal written in digits or words: '3,100', 'Twelve', 'two million', 'forty-five'."""
    words = text.lower().replace(",", "").replace("-", " ").split()
    if not words:
        return None
    total, current = 0.0, 0.0
    for word in words:
        if re.fullmatch(r"\d+(\.\d+)?", word):
            current += float(word)
        elif word in _NUMBER_WORDS and word != "hundred":
            current += _NUMBER_WORDS[word]
        elif word in _SCALES:
            current = max(current, 1) * _SCALES[word]
            if _SCALES[word] >= 1_000:
                total, current = total + current, 0.0
        elif word != "and":
            return None
    return total + current


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
        text = doc_text(verb.doc)
        clause = trim(text, *subtree_bounds(verb, own))
        for i in own:
            cut = verb.doc[i].left_edge
            if cut.i > verb.i:
                clause = trim(text, clause[0], min(clause[1], cut.idx))
        clause = (clause[0], clause[0] + len(_TRAILING_CC.sub("", text[clause[0] : clause[1]])))
        if clause[1] - clause[0] > 10:
            start, end = clause
        out.append(Conflict(start, end, explanation, [f.content for f in speaking]))
    return out


@dataclass
class _Count:
    value: float
    approximate: bool
    event: str | None  # killed, injured, … for casualty figures
    noun: str | None  # the counted noun when it is specific ("dockworker")
    places: set[str]
    sent: Span


def _count_of(ent: Span) -> _Count | None:
    """What a cardinal counts: '12 people were killed', 'a death toll of 19', '3,100 striking dockworkers'."""
    value = number_value(" ".join(t.text for t in ent if t.lower_ not in _APPROXIMATE and t.lower_ != "at"))
    if value is None:
        return None
    root = ent.root
    sent = ent.sent
    if any(t.lemma_.lower() in _UPDATES for t in sent):
        return None  # a figure that moves ("rose to 19") updates rather than contradicts
    noun = root.head if root.dep_ == "nummod" else None
    event = None
    node: Token | None = root
    for _ in range(4):
        if node is None:
            break
        lemma = node.lemma_.lower()
        if lemma in _CASUALTIES:
            event = _CASUALTIES[lemma]
            break
        for child in node.children:
            if child.lemma_.lower() in _CASUALTIES and child.dep_ in ("amod", "compound", "acl", "relcl"):
                event = _CASUALTIES[child.lemma_.lower()]
        if event:
            break
        node = node.head if node.head is not node else None
    noun_lemma = noun.lemma_.lower() if noun is not None and noun.pos_ == "NOUN" else None
    if noun_lemma in _GENERIC_NOUNS:
        noun_lemma = None
    if event is None and noun_lemma is None:
        return None
    approximate = any(t.lower_ in _APPROXIMATE for t in ent.doc[max(sent.start, ent.start - 3) : ent.start]) or any(
        t.lower_ in _APPROXIMATE for t in ent)
    # where and when the count applies: named places, proper nouns after in/at/near, and weekdays
    places = {e.text.lower() for e in ents_in(sent) if e.label_ in ("GPE", "LOC", "FAC")}
    places |= {t.lower_ for t in sent if t.lower_ in _WEEKDAYS
               or (t.pos_ == "PROPN" and t.dep_ == "pobj" and t.head.lower_ in ("in", "at", "near"))}
    return _Count(value, approximate, event, noun_lemma, places, sent)


def _disagree(a: _Count, b: _Count) -> bool:
    same_thing = (a.event is not None and a.event == b.event) or (a.noun is not None and a.noun == b.noun)
    if not same_thing or a.value == b.value:
        return False
    if a.places and b.places and not (a.places <= b.places or b.places <= a.places):
        return False  # figures for different places or days
    if a.approximate or b.approximate:
        return abs(a.value - b.value) > 0.25 * max(a.value, b.value)
    return True


def _show(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,}"


def count_conflicts(doc: Doc, found: list[Found], skip: list[tuple[int, int]]) -> list[Conflict]:
    """A figure that disagrees with an earlier figure for the same count, both stated by the author."""
    attributed = [f.content for f in found]
    counts: list[_Count] = []
    for ent in doc.ents:
        if ent.label_ != "CARDINAL" or any(s <= ent.start_char < e for s, e in skip + attributed):
            continue
        count = _count_of(ent)
        if count is not None:
            counts.append(count)
    out = []
    for i, later in enumerate(counts):
        earlier = next((c for c in counts[:i] if c.sent != later.sent and _disagree(c, later)), None)
        if earlier is None:
            continue
        what = later.event or f"{later.noun}s"
        explanation = (f"This gives {_show(later.value)} for the number {what}, but the article said earlier "
                       f"“{' '.join(earlier.sent.text.split())[:100]}” ({_show(earlier.value)}); "
                       "the two figures cannot both be right.")
        out.append(Conflict(later.sent.start_char, later.sent.end_char, explanation, [], "medium"))
    return out
