"""Conflicts inside one article: two statements in the author's voice that cannot both hold.

A conflict needs the same subject, the same property and overlapping time (the classic condition for a
contradiction in text: de Marneffe, Rafferty & Manning 2008, "Finding contradictions in text"). Each check is a
small function returning ``Conflict`` items, one per contradiction, naming both sentences:

- ``status_conflicts``: a person's status (in office, alive, free) asserted to have ended — resigned, died,
  was arrested — while the article also presents them as still holding it: holding the office by title, speaking
  or acting after the event, or the same status asserted and denied;
- ``figure_conflicts``: two different figures for the same quantity of the same thing (same counted noun and
  modifiers, same subject, same place and period, same kind of unit);
- ``reversal_conflicts``: the same subject said to have voted for and against (or approved and rejected) the
  same thing.

Only asserted statements count: not negated, hedged, hypothetical or generic ("when they die"), not inside a
temporal or conditional clause, not in someone's reported words (an allegation is the source's, not the
author's). A status event placed in time before the statement it seems to contradict is a sequence, not a
conflict.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from onrecord.attribute.actors import Actor, ActorIndex
from onrecord.attribute.extract import Found, ents_in
from onrecord.attribute.lexicon import TITLE_WORDS
from onrecord.attribute.tokens import doc_text


@dataclass
class Conflict:
    start: int  # the later statement, which the flag marks
    end: int
    explanation: str
    related_spans: list[tuple[int, int]] = field(default_factory=list)  # content spans of related attributions
    severity: str = "high"
    other: tuple[int, int] | None = None  # the earlier statement it contradicts


# --- shared: is a clause asserted by the author? ----------------------------------------------------------------

_MODALS = {"will", "would", "could", "may", "might", "should", "must", "can", "shall", "'ll", "'d", "wo", "ca"}
# clauses that set an event in a hypothetical, habitual or merely temporal frame ("when they die", "if he resigns")
_FRAME_MARKS = {"if", "unless", "whether", "when", "whenever", "until", "once", "before", "after", "while",
                "though", "although", "as", "because", "since", "lest"}
# governing verbs under which an event is not asserted ("threatened to resign", "denied fleeing")
_IRREALIS_HEADS = {"threaten", "plan", "refuse", "decline", "consider", "want", "urge", "call", "demand", "ask",
                   "deny", "expect", "intend", "offer", "vow", "pledge", "hope", "fail", "try", "rumour", "rumor",
                   "fear", "allege", "claim", "report", "accuse", "suggest", "speculate", "predict", "wish",
                   "imagine", "pretend", "seem", "appear", "warn", "insist", "say", "tell", "believe", "think",
                   "dismiss", "describe", "portray", "doubt", "question", "wonder", "would"}
_HEDGES = {"reportedly", "allegedly", "apparently", "possibly", "perhaps", "probably", "maybe", "supposedly",
           "rumoredly", "purportedly", "likely"}


def _asserted(verb: Token) -> bool:
    """True when the clause of ``verb`` states, in its own right, that its event happened: not negated,
    modal, hedged, hypothetical or framed as a time ("when he fled"), not a relative or reported clause."""
    if verb.tag_ not in ("VBD", "VBN", "VBZ", "VBP"):
        return False
    node = verb
    while True:
        own = node is verb or not _own_subject(verb)  # a coordinated verb shares its head's auxiliaries
        for child in node.children:
            if child.dep_ == "mark" and child.lower_ in _FRAME_MARKS | {"to", "that"}:
                return False
            if own and (child.dep_ == "neg" or child.lower_ in _HEDGES
                        or (child.dep_ == "aux" and child.lower_ in _MODALS)):
                return False
        if node.dep_ == "conj" and node.head is not node:
            node = node.head
            continue
        return node.dep_ not in ("xcomp", "ccomp", "advcl", "relcl", "acl", "amod", "csubj", "pcomp", "pobj",
                                 "advmod", "npadvmod", "nsubj", "dobj", "appos")


def _own_subject(verb: Token) -> bool:
    return any(c.dep_ in ("nsubj", "nsubjpass", "expl") for c in verb.children)


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= pos < e for s, e in spans)


def _sentence_text(sent: Span, limit: int = 140) -> str:
    text = " ".join(sent.text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _bounds(sent: Span) -> tuple[int, int]:
    text = sent.text
    lead = len(text) - len(text.lstrip())
    return sent.start_char + lead, sent.start_char + len(text.rstrip())


# --- time: when is a statement set? ------------------------------------------------------------------------------

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EARLIER_ADVERBS = {"earlier", "previously", "formerly", "once", "ago", "already", "then", "later", "subsequently",
                    "eventually", "afterwards", "since"}
_PRESENT_TAGS = {"VBZ", "VBP"}


def _anchor(sent: Span) -> tuple[str, int] | None:
    """Where the sentence sets itself in time: ('week', weekday index) for a bare weekday, ('now', 0) for
    today / this morning / tonight, ('past', -1) for last week / month / year, a year or N ago; None if unsaid."""
    words = [t.lower_ for t in sent]
    for i, w in enumerate(words):
        before = words[i - 1] if i else ""
        if w in _WEEKDAYS and before not in ("last", "next", "previous"):
            return ("week", _WEEKDAYS.index(w))
        if w in ("today", "tonight") or (w in ("morning", "afternoon", "evening") and before == "this"):
            return ("now", 0)
        if w == "yesterday":
            return ("now", -1)
        if (w in ("week", "month", "year", "decade") and before in ("last", "previous")) or w == "ago" or (
                re.fullmatch(r"(?:19|20)\d\d", w) and before in ("in", "of", "since", "during")):
            return ("past", -1)
    return None


def _later(event: Span, statement: Span, statement_verb: Token | None) -> bool:
    """True when ``statement`` is told as happening after ``event``: a later weekday, today against a past
    anchor, or the present tense against an event the article dates."""
    a, b = _anchor(event), _anchor(statement)
    if a and b:
        if a[0] == b[0] == "week":
            return b[1] > a[1]
        if a[0] == "past" and b[0] in ("now", "week"):
            return True
        return a[0] == "now" and b[0] == "now" and b[1] > a[1]
    return b is None and a is not None and statement_verb is not None and statement_verb.tag_ in _PRESENT_TAGS


def _placed_in_time(verb: Token) -> bool:
    """The event's own clause dates it ("resigned in 2014", "later resigned", "resigned last month")."""
    return any(t.lower_ in _EARLIER_ADVERBS or t.ent_type_ in ("DATE", "TIME") for t in verb.subtree)


# --- who a status word is about ------------------------------------------------------------------------------------

# A status that ends, the verbs that end it, and what its holder can no longer do.
_STATUS = {
    "office": {"resign": "resigned", "quit": "quit", "fire": "was fired", "sack": "was sacked",
               "dismiss": "was dismissed", "oust": "was ousted", "depose": "was deposed",
               "overthrow": "was overthrown", "abdicate": "abdicated", "remove": "was removed from office"},
    "alive": {"die": "died", "kill": "was killed", "assassinate": "was assassinated", "execute": "was executed"},
    "free": {"arrest": "was arrested", "detain": "was detained", "jail": "was jailed", "imprison": "was imprisoned"},
}
_KIND_OF = {lemma: kind for kind, verbs in _STATUS.items() for lemma in verbs}
_UNDERGOER_OBJECT = {"fire", "sack", "dismiss", "oust", "depose", "overthrow", "remove", "kill", "assassinate",
                     "execute", "arrest", "detain", "jail", "imprison"}
_OFFICE_OBJECTS = {"office", "post", "power", "position", "role", "job", "seat", "government", "cabinet", "board"}
_NOT_CURRENT = {"former", "ex", "ex-", "then", "then-", "late", "outgoing", "previous", "erstwhile", "onetime"}


@dataclass
class _Event:
    verb: Token
    kind: str
    actor: Actor
    mention: Span


def _name_span(token: Token) -> Span:
    """The proper-name words of the noun phrase headed by ``token``."""
    words = [t for t in token.subtree if t.pos_ == "PROPN" and (t is token or t.dep_ in ("compound", "flat"))]
    if not words:
        return token.doc[token.i : token.i + 1]
    return token.doc[min(t.i for t in words) : max(t.i for t in words) + 1]


def _ambiguous_surname(mention: Span, doc: Doc) -> bool:
    """A bare surname that two differently named people in the article bear ("Lee died"; "his daughter Ann
    Lee said"): whom it means is not known."""
    if len(mention) != 1:
        return False
    surname = mention.text.lower()
    firsts = {e[0].lower_ for e in doc.ents if e.label_ == "PERSON" and len(e) > 1 and e[-1].lower_ == surname}
    return len(firsts) > 1


def _undergoer(verb: Token, actors: ActorIndex) -> tuple[Actor, Span] | None:
    """The person a status event happened to, when the parse says so plainly: the subject of 'resigned',
    'died', 'was arrested'; the object of 'police arrested him'. Pronouns only when one person fits."""
    passive = any(c.dep_ in ("auxpass", "nsubjpass") for c in verb.children)
    lemma = verb.lemma_.lower()
    if passive:
        roles = ("nsubjpass",)
    elif lemma in _UNDERGOER_OBJECT:
        roles = ("dobj",)
    else:
        roles = ("nsubj",)
    target = next((c for c in verb.children if c.dep_ in roles), None)
    if target is None and verb.dep_ == "conj" and not passive and roles == ("nsubj",):
        target = next((c for c in verb.head.children if c.dep_ == "nsubj"), None)  # "X stood up and resigned"
    if target is None:
        return None
    if lemma == "remove" and not any(c.dep_ == "prep" and any(g.lemma_.lower() in _OFFICE_OBJECTS for g in c.children)
                                     for c in verb.children):
        return None  # removed from a room, a list or a stage says nothing of an office
    if target.lower_ in ("he", "she", "him", "her"):
        actor = actors.resolve_pronoun(target)
        if actor is None or _rivals(target, actor, actors):
            return None
        return actor, target.doc[target.i : target.i + 1]
    if target.pos_ not in ("PROPN", "NOUN"):
        return None
    mention = _name_span(target)
    # a name the tagger read as a common noun ("Zelenskyy") still counts when it is an actor's mention
    actor = actors.actor_for(mention) if target.pos_ == "PROPN" else actors.actor_at(target)
    if actor is None or actor.kind != "person" or _ambiguous_surname(mention, target.doc):
        return None
    return actor, mention


def _rivals(pronoun: Token, actor: Actor, actors: ActorIndex) -> bool:
    """Another person named in this or the previous sentence could be the pronoun's referent too."""
    sent = pronoun.sent
    start = pronoun.doc[sent.start - 1].sent.start_char if sent.start > 0 else sent.start_char
    others = {id(a) for s, _, a in actors._before(pronoun.idx) if s >= start and a.kind == "person" and a is not actor}
    return bool(others)


def _events(doc: Doc, actors: ActorIndex, reported: list[tuple[int, int]],
            skip: list[tuple[int, int]]) -> Iterator[_Event]:
    for verb in doc:
        lemma = verb.lemma_.lower()
        kind = _KIND_OF.get(lemma)
        if kind is None or verb.pos_ not in ("VERB", "AUX") or _inside(verb.idx, skip + reported):
            continue
        if lemma == "quit" and any(c.dep_ == "dobj" and c.lemma_.lower() not in _OFFICE_OBJECTS
                                   for c in verb.children):
            continue  # quit smoking, quit the race
        if not _asserted(verb):
            continue
        found = _undergoer(verb, actors)
        if found is not None:
            yield _Event(verb, kind, *found)


def _title_of(mention_head: Token) -> str | None:
    """The office a name is given as current in its own noun phrase ('President Volodymyr Zelensky',
    'Ana Ruiz, the health minister'); None for former holders ('former minister')."""
    phrase = [t for t in mention_head.subtree if t.dep_ in ("compound", "amod", "nmod", "poss", "appos", "det")
              or t is mention_head]
    if any(t.lower_.strip("-") in _NOT_CURRENT or t.lower_ in _NOT_CURRENT for t in mention_head.subtree):
        return None
    before = [t for t in phrase if t.i < mention_head.i and t.ent_type_ != "PERSON"]
    if any(t.lower_ in TITLE_WORDS for t in before):
        first = min(t.i for t in before)
        last = max(t.i for t in before if t.lower_ in TITLE_WORDS)
        return mention_head.doc[first : last + 1].text
    for child in mention_head.children:
        if child.dep_ == "appos" and child.lower_ in TITLE_WORDS:
            return mention_head.doc[child.left_edge.i : child.i + 1].text
    return None


def _holding_office(actor: Actor, event: _Event, actors: ActorIndex) -> Iterator[tuple[Span, str]]:
    """Sentences that give the actor an office title as current (outside the event's sentence)."""
    doc = event.verb.doc
    seen = set()
    for start, end in actor.mentions:
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None or span.sent == event.verb.sent or span.sent.start in seen:
            continue
        head = span.root
        while head.dep_ in ("compound", "flat") and head.head is not head:
            head = head.head
        title = _title_of(head)
        if title and actors.actor_for(span) is actor:
            seen.add(span.sent.start)
            yield span.sent, title


def _cue_verb(f: Found, doc: Doc) -> Token | None:
    if f.cue is None:
        return None
    span = doc.char_span(*f.cue, alignment_mode="expand")
    return span.root if span is not None else None


def status_conflicts(doc: Doc, actors: ActorIndex, found: list[Found], skip: list[tuple[int, int]]) -> list[Conflict]:
    """A person said to have left office, died or been arrested, whom the article also presents as still
    holding that status: one conflict per person and status."""
    reported = [f.content for f in found]
    out: list[Conflict] = []
    done: set[tuple[int, str]] = set()
    for event in _events(doc, actors, reported, skip):
        key = (id(event.actor), event.kind)
        if key in done:
            continue
        conflict = _office_conflict(event, actors, found) if event.kind == "office" else None
        if conflict is None and event.kind in ("alive", "free"):
            conflict = _acting_after(event, found)
        if conflict is not None:
            done.add(key)
            out.append(conflict)
    return out


def _what(event: _Event) -> str:
    return _STATUS[event.kind][event.verb.lemma_.lower()]


def _office_conflict(event: _Event, actors: ActorIndex, found: list[Found]) -> Conflict | None:
    """'X resigned' told as a current fact (the clause dates nothing), while elsewhere the article gives X the
    office's title without 'former'."""
    for sent, title in _holding_office(event.actor, event, actors):
        if _placed_in_time(event.verb) and not _later(event.verb.sent, sent, None):
            continue  # a dated resignation and a title used before it: the story told in order
        name = event.actor.name
        explanation = (f"The article says {name} {_what(event)} (“{_sentence_text(event.verb.sent)}”) but also "
                       f"calls {name} {title} without “former” (“{_sentence_text(sent)}”); someone who "
                       f"{_what(event)} no longer holds the office, so both cannot be current.")
        return _pair(event.verb.sent, sent, explanation, found)
    return None


_ACTS = {"alive": "could not have", "free": "could not have, while held,"}


def _acting_after(event: _Event, found: list[Found]) -> Conflict | None:
    """'X died' (or was arrested) and X speaking in a sentence the article sets later in time."""
    doc = event.verb.doc
    for f in found:
        if f.actor is not event.actor or f.cue is None:
            continue
        span = doc.char_span(*f.cue, alignment_mode="expand")
        if span is None or span.sent == event.verb.sent:
            continue
        cue = _cue_verb(f, doc)
        if event.kind == "free" and (cue is None or cue.lemma_.lower() not in ("tell", "say", "speak", "address")):
            continue
        if not _later(event.verb.sent, span.sent, cue):
            continue
        name = event.actor.name
        said = doc_text(doc)[f.cue[0] : f.cue[1]]
        why = ("a person who died cannot speak afterwards" if event.kind == "alive"
               else "a person in custody could not have spoken there freely")
        explanation = (f"The article says {name} {_what(event)} (“{_sentence_text(event.verb.sent)}”) and that "
                       f"{name} {said} something later (“{_sentence_text(span.sent)}”); {why}, so both cannot "
                       "be true.")
        return _pair(event.verb.sent, span.sent, explanation, found)
    return None


def _pair(a: Span, b: Span, explanation: str, found: list[Found]) -> Conflict:
    """A conflict between two sentences: the flag marks the later one and names the earlier."""
    first, second = (a, b) if a.start < b.start else (b, a)
    related = [f.content for f in found if _bounds(second)[0] <= f.content[0] < _bounds(second)[1]
               or _bounds(first)[0] <= f.content[0] < _bounds(first)[1]]
    return Conflict(*_bounds(second), explanation, related, "high", _bounds(first))


# --- status asserted and denied ---------------------------------------------------------------------------------

def denial_conflicts(doc: Doc, actors: ActorIndex, found: list[Found], skip: list[tuple[int, int]]) -> list[Conflict]:
    """The same person's status event asserted ('X was arrested on Monday') and denied by the author
    ('X has not been arrested'): one conflict per person and status."""
    reported = [f.content for f in found]
    asserted = {(id(e.actor), e.kind): e for e in _events(doc, actors, reported, skip)}
    out: list[Conflict] = []
    for verb in doc:
        kind = _KIND_OF.get(verb.lemma_.lower())
        if kind is None or _inside(verb.idx, skip + reported):
            continue
        if not any(c.dep_ == "neg" for c in verb.children) or any(c.dep_ == "aux" and c.lower_ in _MODALS
                                                                  for c in verb.children):
            continue
        if verb.head is not verb and verb.dep_ in ("advcl", "relcl", "acl", "xcomp", "ccomp"):
            continue
        found_actor = _undergoer(verb, actors)
        if found_actor is None:
            continue
        event = asserted.get((id(found_actor[0]), kind))
        if event is None or event.verb.sent == verb.sent:
            continue
        name = found_actor[0].name
        denied = " ".join(t.text for t in verb.sent if t.i in _clause(verb))
        explanation = (f"The article says {name} {_what(event)} (“{_sentence_text(event.verb.sent)}”) and also "
                       f"that {denied.rstrip('.')} (“{_sentence_text(verb.sent)}”); the same event cannot both "
                       "have happened and not happened.")
        out.append(_pair(event.verb.sent, verb.sent, explanation, found))
        del asserted[(id(found_actor[0]), kind)]
    return out


def _clause(verb: Token) -> set[int]:
    """Token indices of the verb's clause, without clauses that have subjects of their own."""
    keep: set[int] = set()
    stack = [verb]
    while stack:
        t = stack.pop()
        keep.add(t.i)
        stack.extend(c for c in t.children if not (c.dep_ in ("conj", "advcl", "ccomp", "relcl", "parataxis")
                                                   and c is not verb) and c.dep_ not in ("punct", "cc"))
    return keep


# --- reversals: voted for and against the same thing --------------------------------------------------------------

_FOR = {"approve", "pass", "back", "support", "adopt", "endorse", "ratify", "accept"}
_AGAINST = {"reject", "block", "oppose", "defeat", "veto", "kill", "scrap", "decline"}


def _thing(token: Token) -> str | None:
    """A comparable key for what a vote is about: the head noun's lemma with its compounds and adjectives
    ('housing bill', 'bill')."""
    if token.pos_ not in ("NOUN", "PROPN"):
        return None
    mods = sorted(t.lemma_.lower() for t in token.children if t.dep_ in ("compound", "amod") and t.pos_ != "NUM")
    return " ".join([*mods, token.lemma_.lower()])


def _direction(verb: Token) -> tuple[str, Token] | None:
    """('for' | 'against', the thing) of 'voted for / against X', 'voted to approve / reject X',
    'approved / rejected X'."""
    lemma = verb.lemma_.lower()
    if lemma == "vote":
        for c in verb.children:
            if c.dep_ == "prep" and c.lower_ in ("for", "against"):
                obj = next((g for g in c.children if g.dep_ == "pobj"), None)
                if obj is not None:
                    return c.lower_, obj
            if c.dep_ == "xcomp" and c.lemma_.lower() in _FOR | _AGAINST:
                obj = next((g for g in c.children if g.dep_ == "dobj"), None)
                if obj is not None:
                    return ("for" if c.lemma_.lower() in _FOR else "against"), obj
        return None
    if lemma in _FOR | _AGAINST:
        obj = next((g for g in verb.children if g.dep_ == "dobj"), None)
        if obj is not None:
            return ("for" if lemma in _FOR else "against"), obj
    return None


def reversal_conflicts(doc: Doc, actors: ActorIndex, found: list[Found],
                       skip: list[tuple[int, int]]) -> list[Conflict]:
    """The same subject said to have voted for and against (approved and rejected) the same thing."""
    reported = [f.content for f in found]
    seen: dict[tuple[str, str], tuple[str, Token, str]] = {}
    out: list[Conflict] = []
    for verb in doc:
        if verb.pos_ != "VERB" or verb.tag_ not in ("VBD", "VBN") or _inside(verb.idx, skip + reported):
            continue
        if verb.lemma_.lower() not in _FOR | _AGAINST | {"vote"} or not _asserted(verb):
            continue
        read = _direction(verb)
        subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
        if read is None or subject is None:
            continue
        thing = _thing(read[1])
        who = _subject_key(subject, actors)
        if thing is None or who is None:
            continue
        key = (who[0], thing)
        if key in seen and seen[key][0] != read[0] and seen[key][1].sent != verb.sent:
            direction, earlier, name = seen.pop(key)
            explanation = (f"The article says {name} voted {direction} the {thing} "
                           f"(“{_sentence_text(earlier.sent)}”) and also {read[0]} it "
                           f"(“{_sentence_text(verb.sent)}”); one vote cannot go both ways.")
            out.append(_pair(earlier.sent, verb.sent, explanation, found))
        elif key not in seen:
            seen[key] = (read[0], verb, who[1])
    return out


def _subject_key(subject: Token, actors: ActorIndex) -> tuple[str, str] | None:
    """(identity, display name) of a subject: its actor when named, else its noun phrase ('the council')."""
    if subject.lower_ in ("he", "she"):
        actor = actors.resolve_pronoun(subject)
        if actor is None or _rivals(subject, actor, actors):
            return None
        return f"actor:{id(actor)}", actor.name
    if subject.pos_ == "PROPN":
        actor = actors.actor_for(_name_span(subject))
        if actor is not None:
            return f"actor:{id(actor)}", actor.name
    if subject.pos_ in ("NOUN", "PROPN"):
        phrase = " ".join(t.lower_ for t in subject.subtree if t.dep_ not in ("det", "punct"))
        return f"np:{phrase}", "the " + phrase if subject.pos_ == "NOUN" else phrase
    return None


# --- figures: two values for the same quantity ------------------------------------------------------------------

_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
                      "ninety": 90, "hundred": 100, "dozen": 12})
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
           "trillion": 1_000_000_000_000, "m": 1_000_000, "mn": 1_000_000, "bn": 1_000_000_000, "k": 1_000}


def number_value(text: str) -> float | None:
    """The value of a figure written in digits or words: '3,100', 'Twelve', 'two million', 'forty-five',
    '$4.2bn', '12%'."""
    text = re.sub(r"(\d)(bn|mn|m|k)\b", r"\1 \2", re.sub(r"(?<=\d),(?=\d)", "", text.lower()))
    words = re.sub(r"[$£€%,]", " ", text.replace("-", " ")).split()
    words = [w for w in words if w not in ("percent", "per", "cent", "dollars", "dollar", "euros", "euro",
                                           "pounds", "pound", "us", "a", "an")]
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


_CASUALTIES = {
    "kill": "killed", "die": "killed", "dead": "killed", "death": "killed", "toll": "killed", "fatality": "killed",
    "injure": "injured", "wound": "injured", "hurt": "injured", "injury": "injured",
    "arrest": "arrested", "detain": "arrested", "displace": "displaced", "evacuate": "evacuated",
}
# nouns too general to say two figures count the same thing
_GENERIC_NOUNS = {"people", "person", "persons", "time", "times", "year", "day", "week", "month", "hour", "minute",
                  "percent", "%", "point", "km", "kilometre", "kilometer", "mile", "metre", "meter", "one", "member",
                  "case", "number", "vote", "seat", "dollar", "euro", "pound", "figure", "way", "part", "thing",
                  "other", "lot", "round", "term", "step", "stage", "level", "side", "kind", "type"}
_APPROXIMATE = {"least", "more", "over", "nearly", "about", "around", "almost", "roughly", "some", "than", "up",
                "approximately", "estimated", "under", "fewer", "less", "most", "upwards", "above", "below",
                "close", "just", "barely", "only"}
_UPDATES = {"rise", "climb", "increase", "reach", "grow", "jump", "swell", "mount", "update", "revise", "fall",
            "drop", "decline", "double", "triple", "halve", "raise", "cut", "lower", "boost", "add", "bring",
            "expect", "forecast", "project", "estimate", "target", "aim", "plan", "propose", "compare"}
_UNIT_OF = {"MONEY": "money", "PERCENT": "share", "CARDINAL": "count", "QUANTITY": "quantity"}
_VALUE_PREPS = {"of", "at", "worth", "to", "for"}
_QUALIFIER_PREPS = {"of", "for", "in", "at", "under", "from", "among", "on", "by", "with"}


@dataclass
class _Figure:
    value: float
    approximate: bool
    unit: str
    thing: str  # the counted or measured noun's lemma
    phrase: str  # how the article words it, without the figure ("striking dockworkers", "deal")
    modifiers: frozenset[str]  # its adjectives, compounds, owners and prepositional qualifiers
    subject: str | None  # who or what the figure belongs to, through the verb
    places: frozenset[str]
    periods: frozenset[tuple[str, str]]
    sent: Span
    text: str


def _modifiers(noun: Token, exclude: Token) -> set[str]:
    out: set[str] = set()
    for c in noun.children:
        if c.i in range(exclude.left_edge.i, exclude.right_edge.i + 1):
            continue
        if c.dep_ in ("compound", "amod", "nmod", "poss", "acl", "npadvmod") and c.pos_ != "NUM":
            out.add(c.lemma_.lower())
            out |= {g.lemma_.lower() for g in c.children if g.dep_ in ("compound", "flat") or g.pos_ == "PROPN"}
        if c.dep_ == "prep" and c.lower_ in _QUALIFIER_PREPS:
            for g in c.children:
                if g.dep_ == "pobj" and g.ent_type_ not in ("CARDINAL", "MONEY", "PERCENT", "QUANTITY"):
                    out.add(f"{c.lower_}:{g.lemma_.lower()}")
                    out |= {f"{c.lower_}:{m.lemma_.lower()}" for m in g.children
                            if m.dep_ in ("compound", "amod", "poss")}
    return out - {"-PRON-", "'s", "’s", "the"}


def _measured(ent: Span) -> tuple[Token, Token | None] | None:
    """(the noun a figure measures, the verb that states it) — '3,100 striking dockworkers', 'the $2 billion
    deal', 'the deal is worth $4 billion', 'a deal valued at $4 billion', '8% of voters', 'unemployment is 8%'."""
    root = ent.root
    if root.dep_ in ("nummod", "compound", "amod", "quantmod") and root.head.pos_ in ("NOUN", "PROPN"):
        noun = root.head
        if noun.i in range(ent.start, ent.end):
            return None
        # "8% of voters", "$4 billion of loans": the thing is the prepositional object
        return noun, _governing_verb(noun)
    if root.dep_ == "pobj" and root.head.lower_ in _VALUE_PREPS:
        prep = root.head
        owner = prep.head
        if prep.lower_ == "of" and owner.pos_ == "NOUN":  # "a volume of $4 billion", "a toll of 19"
            return owner, _governing_verb(owner)
        if owner.pos_ in ("VERB", "AUX", "ADJ"):  # "valued at", "worth", "rose to"
            verb = owner if owner.pos_ in ("VERB", "AUX") else owner.head
            subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
            if subject is not None and subject.pos_ in ("NOUN", "PROPN"):
                return subject, verb
            if owner.pos_ == "ADJ" and owner.head.pos_ == "NOUN":  # "a deal worth $4 billion"
                return owner.head, _governing_verb(owner.head)
    if root.dep_ == "attr" and root.head.lemma_ == "be":  # "unemployment is 8%"
        subject = next((c for c in root.head.children if c.dep_ == "nsubj"), None)
        if subject is not None and subject.pos_ in ("NOUN", "PROPN"):
            return subject, root.head
    if root.dep_ == "dobj" and root.ent_type_ in ("MONEY", "PERCENT"):  # "the deal cost $4 billion"
        subject = next((c for c in root.head.children if c.dep_ == "nsubj"), None)
        if subject is not None and subject.pos_ in ("NOUN", "PROPN"):
            return subject, root.head
    return None


def _conditional(sent: Span) -> bool:
    """The sentence's main clause is hypothetical: a modal or an 'if' / 'unless' clause governs it."""
    root = sent.root
    return any((c.dep_ == "aux" and c.lower_ in _MODALS) or (c.dep_ == "advcl" and any(
        g.dep_ == "mark" and g.lower_ in ("if", "unless", "whether") for g in c.children)) for c in root.children)


def _presupposed(ent: Span) -> bool:
    """A figure inside a definite noun phrase ('all 3,100 striking dockworkers', 'the $2 billion deal') is
    stated as known even in a hypothetical sentence."""
    root = ent.root
    return root.dep_ in ("nummod", "compound", "amod", "quantmod") and any(
        c.dep_ in ("det", "predet", "poss", "advmod", "quantmod") and c.lower_ in ("the", "all", "its", "their", "his",
                                                                                 "her", "this", "these", "those")
        for c in [*root.head.children, *root.children])


def _governing_verb(noun: Token) -> Token | None:
    head = noun
    for _ in range(3):
        if head.head is head:
            return None
        head = head.head
        if head.pos_ in ("VERB", "AUX"):
            return head
    return None


def _figure(ent: Span) -> _Figure | None:
    if re.search(r"\d\s*[-–]\s*\d|\d+(?:st|nd|rd|th)\b", ent.text) or "-" in ent.text.strip("-"):
        return None  # scores, ranges, ordinals, "two-way"
    words = [t.text for t in ent if t.lower_ not in _APPROXIMATE and t.lower_ not in ("at", "about", "some")]
    value = number_value(" ".join(words))
    if value is None:
        return None
    sent = ent.sent
    text = ent.doc.text
    after, before = text[ent.end_char : ent.end_char + 2], text[max(0, ent.start_char - 2) : ent.start_char]
    if (after[:1] in "-–/" and after[1:].isdigit()) or (before[1:] in "-–/" and before[:1].isdigit()):
        return None  # "a 4-4 ruling", "24/7"
    if _conditional(sent) and not _presupposed(ent):
        return None
    lemmas = {t.lemma_.lower() for t in sent}
    if lemmas & _UPDATES or ("from" in {t.lower_ for t in sent if t.dep_ == "prep"} and "to" in lemmas):
        return None  # a figure that moves or is projected updates rather than restates
    unit = _UNIT_OF.get(ent.label_, "count")
    if unit == "money":
        unit += ":" + ("$" if "$" in ent.text or "dollar" in ent.text.lower() else
                       "£" if "£" in ent.text or "pound" in ent.text.lower() else
                       "€" if "€" in ent.text or "euro" in ent.text.lower() else "?")
    measured = _measured(ent)
    event = None
    if measured is not None:
        noun, verb = measured
        thing = noun.lemma_.lower()
        if noun.pos_ == "NOUN" and any(c.dep_ == "prep" and c.lower_ == "of" for c in noun.children) and unit in (
                "share", "count") and thing in ("percent", "%", "share", "proportion", "majority"):
            return None
        mods = _modifiers(noun, ent.root)
    else:
        noun = verb = None
        thing, mods = "", set()
    # casualty figures: "12 people were killed", "a death toll of 19", "killing 8"
    node: Token | None = ent.root
    for _ in range(4):
        if node is None:
            break
        lemma = node.lemma_.lower()
        if lemma in _CASUALTIES:
            event = _CASUALTIES[lemma]
            break
        hit = next((c for c in node.children if c.lemma_.lower() in _CASUALTIES
                    and c.dep_ in ("amod", "compound", "acl", "relcl")), None)
        if hit is not None:
            event = _CASUALTIES[hit.lemma_.lower()]
            break
        node = node.head if node.head is not node else None
    if event is not None and unit == "count":
        thing, mods = f"people {event}", set()
    elif not thing or thing in _GENERIC_NOUNS or noun is None or (noun.pos_ == "PROPN" and unit == "count"):
        return None
    subject = None
    if verb is not None and noun is not None:
        subj = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass") and c is not noun
                     and noun.i not in range(c.left_edge.i, c.right_edge.i + 1)), None)
        if subj is not None and subj.pos_ in ("NOUN", "PROPN") and subj.lower_ not in ("it", "they"):
            subject = " ".join(t.lemma_.lower() for t in subj.subtree if t.dep_ not in ("det", "punct"))
    approximate = any(t.lower_ in _APPROXIMATE for t in ent.doc[max(sent.start, ent.start - 3) : ent.start]) or any(
        t.lower_ in _APPROXIMATE for t in ent)
    # where and when the figure applies: named places, proper nouns after in/at/near, dates and weekdays
    places = frozenset({e.text.lower() for e in ents_in(sent) if e.label_ in ("GPE", "LOC", "FAC")}
                       | {t.lower_ for t in sent if t.pos_ == "PROPN" and t.dep_ == "pobj"
                          and t.head.lower_ in ("in", "at", "near")})
    periods = frozenset(_period(e.text) for e in ents_in(sent) if e.label_ == "DATE")
    if event is not None and unit == "count":
        phrase = f"people {event}"
    else:
        assert noun is not None
        words = [t for t in noun.subtree if t.i not in range(ent.start, ent.end) and t.dep_ not in ("det", "punct")
                 and t.i <= noun.i + 6]
        phrase = " ".join(t.text for t in words)
    return _Figure(value, approximate, unit, thing, phrase, frozenset(mods), subject, places, periods, sent,
                   ent.text)


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")


def _period(text: str) -> tuple[str, str]:
    """(kind, value) of a date expression: ('weekday', 'monday'), ('month', 'march'), ('year', '2019'), or
    ('month', 'this month') for a relative one, keyed by its unit."""
    words = re.findall(r"[a-z]+|\d{4}", text.lower())
    for w in words:
        if w in _WEEKDAYS:
            return "weekday", w
        if w in _MONTHS:
            return "month", w
        if re.fullmatch(r"\d{4}", w):
            return "year", w
    unit = next((w.rstrip("s") for w in reversed(words) if w.rstrip("s") in ("day", "week", "month", "quarter",
                                                                               "year", "decade")), "date")
    return unit, " ".join(w for w in words if w not in ("the",))


def _same_quantity(a: _Figure, b: _Figure) -> bool:
    """Same unit, same thing, compatible qualifiers, same subject, place and period."""
    if a.unit != b.unit or a.thing != b.thing:
        return False
    if not (a.modifiers <= b.modifiers or b.modifiers <= a.modifiers):
        return False
    if a.subject and b.subject and a.subject != b.subject:
        return False
    if a.places != b.places and a.places and b.places:
        return False
    # a period of the same kind (weekday, month, year, "this month" against "a typical month") must agree
    kinds_a, kinds_b = dict(a.periods), dict(b.periods)
    return all(kinds_a[k] == kinds_b[k] for k in kinds_a.keys() & kinds_b.keys())


def _disagree(a: _Figure, b: _Figure) -> bool:
    if a.value == b.value or not _same_quantity(a, b):
        return False
    if a.approximate or b.approximate:
        return abs(a.value - b.value) > 0.25 * max(a.value, b.value)
    return True


def _show_thing(f: _Figure) -> str:
    if f.unit == "count":
        return f"the number of {f.phrase}"
    return f"the {f.phrase}"


def figure_conflicts(doc: Doc, found: list[Found], skip: list[tuple[int, int]]) -> list[Conflict]:
    """A figure that disagrees with an earlier figure for the same quantity of the same thing, both stated by
    the author; one conflict per pair of sentences."""
    attributed = [f.content for f in found]
    figures: list[_Figure] = []
    for ent in doc.ents:
        if ent.label_ not in _UNIT_OF or _inside(ent.start_char, skip + attributed):
            continue
        figure = _figure(ent)
        if figure is not None:
            figures.append(figure)
    out: list[Conflict] = []
    paired: set[tuple[int, int]] = set()
    for i, later in enumerate(figures):
        earlier = next((f for f in figures[:i] if f.sent != later.sent and _disagree(f, later)), None)
        if earlier is None or (earlier.sent.start, later.sent.start) in paired:
            continue
        paired.add((earlier.sent.start, later.sent.start))
        explanation = (f"The article gives {earlier.text} for {_show_thing(later)} "
                       f"(“{_sentence_text(earlier.sent)}”) and {later.text} for the same "
                       f"(“{_sentence_text(later.sent)}”); one quantity cannot have both values.")
        out.append(_pair(earlier.sent, later.sent, explanation, found))
    return out


def find_conflicts(doc: Doc, actors: ActorIndex, found: list[Found], skip: list[tuple[int, int]]) -> list[Conflict]:
    """Every conflict of the article, in text order of the statement flagged; one per contradiction."""
    out = (status_conflicts(doc, actors, found, skip) + denial_conflicts(doc, actors, found, skip)
           + figure_conflicts(doc, found, skip) + reversal_conflicts(doc, actors, found, skip))
    unique: dict[tuple[int, int, tuple[int, int] | None], Conflict] = {}
    for c in out:
        unique.setdefault((c.start, c.end, c.other), c)
    return sorted(unique.values(), key=lambda c: c.start)
