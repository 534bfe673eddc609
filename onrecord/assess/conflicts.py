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
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np
from spacy.attrs import ENT_TYPE, LEMMA, POS
from spacy.symbols import NUM
from spacy.tokens import Doc, Span, Token

from onrecord.attribute.actors import Actor, ActorIndex, same_surname
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


# --- reading the parse cheaply: sentences by token, candidate words by lemma -------------------------------------

_SENTENCES: list[tuple[Doc, np.ndarray, list[Span]]] = []  # the last document's sentence index (Span.sent scans)


def _sent(item: Token | Span) -> Span:
    """The sentence of a token or span, from an index built once per document."""
    doc = item.doc
    if not _SENTENCES or _SENTENCES[0][0] is not doc:
        sents = list(doc.sents)
        _SENTENCES[:] = [(doc, np.array([s.start for s in sents], dtype=np.int64), sents)]
    _, starts, sents = _SENTENCES[0]
    i = item.i if isinstance(item, Token) else item.start
    return sents[int(np.searchsorted(starts, i, side="right")) - 1]


def _with_lemmas(doc: Doc, lemmas: set[str]) -> list[Token]:
    """The tokens whose lemma is one of ``lemmas``, without making a Token of every word."""
    wanted = np.array([doc.vocab.strings[w] for w in lemmas], dtype=np.uint64)
    found = np.flatnonzero(np.isin(doc.to_array([LEMMA]).astype(np.uint64).ravel(), wanted))
    return [doc[int(i)] for i in found]


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
    # "led the talks until he resigned in April": a past "until" clause tells when its event happened
    until_past = verb.tag_ == "VBD" and verb.dep_ == "advcl" and any(
        c.dep_ == "mark" and c.lower_ == "until" for c in verb.children)
    while True:
        own = node is verb or not _own_subject(verb)  # a coordinated verb shares its head's auxiliaries
        for child in node.children:
            if child.dep_ == "mark" and child.lower_ in _FRAME_MARKS | {"to", "that"} and not until_past:
                return False
            if own and (child.dep_ == "neg" or child.lower_ in _HEDGES
                        or (child.dep_ == "aux" and child.lower_ in _MODALS)):
                return False
        if node.dep_ == "conj" and node.head is not node:
            node = node.head
            continue
        if until_past and node is verb:
            return _asserted(verb.head) if verb.head.tag_ in ("VBD", "VBN", "VBZ", "VBP") else False
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

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EARLIER_ADVERBS = {"earlier", "previously", "formerly", "once", "ago", "already", "then", "later", "subsequently",
                    "eventually", "afterwards", "since"}
_PRESENT_TAGS = {"VBZ", "VBP"}


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")


def _anchor(sent: Span) -> tuple[str, int] | None:
    """Where the sentence sets itself in time: ('week', weekday index) for a bare weekday (a news week read
    Monday to Sunday), ('now', 0) for today / this morning / tonight, ('past', -1) for last week / month / year,
    a year, N ago or a month in a past-tense sentence; None if unsaid."""
    words = [t.lower_ for t in sent]
    past_tense = sent.root.tag_ in ("VBD", "VBN")
    for i, w in enumerate(words):
        before = words[i - 1] if i else ""
        if w in _MONTHS and sent[i].is_title and before in ("in", "since", "during", "until") and past_tense:
            return ("past", -1)
        if w in WEEKDAYS and before not in ("last", "next", "previous"):
            return ("week", WEEKDAYS.index(w))
        if w in ("today", "tonight") or (w in ("morning", "afternoon", "evening") and before == "this"):
            return ("now", 0)
        if w == "yesterday":
            return ("now", -1)
        if (w in ("week", "month", "year", "decade") and before in ("last", "previous")) or w == "ago" or (
                re.fullmatch(r"(?:19|20)\d\d", w) and before in ("in", "of", "since", "during")):
            return ("past", -1)
    return None


def _lead_anchor(sent: Span) -> tuple[str, int] | None:
    """The time the article's lead sets (its first two sentences), which an undated sentence after it shares:
    news tells the main event first and its details after (van Dijk 1988, News as Discourse)."""
    _sent(sent)  # builds the document's sentence index
    lead = _SENTENCES[0][2][:2]
    for first in lead:
        if first.start < sent.start and (anchor := _anchor(first)) is not None:
            return anchor
    return None


def _future(verb: Token | None) -> bool:
    return verb is not None and any(c.dep_ == "aux" and c.lower_ in ("will", "shall", "'ll") for c in verb.children)


def _later(event: Span, statement: Span, statement_verb: Token | None) -> bool:
    """True when ``statement`` is told as happening after ``event``: a later weekday, today against a past
    anchor, the future or the present tense against an event the article dates. An undated statement takes
    the time of the article's lead."""
    a, b = _anchor(event), _anchor(statement) or _lead_anchor(statement)
    if a and _future(statement_verb):
        return True
    if a and b:
        if a[0] == b[0] == "week":
            return b[1] > a[1]
        if a[0] == "past" and b[0] in ("now", "week"):
            return True
        return a[0] == "now" and b[0] == "now" and b[1] > a[1]
    return b is None and a is not None and statement_verb is not None and statement_verb.tag_ in _PRESENT_TAGS


def _placed_in_time(verb: Token) -> bool:
    """The event's sentence dates it ("resigned in 2014", "later resigned", "resigned last month"); a duration
    ("within hours") does not. A sentence with no time of its own right after one set in a past year continues
    it ("In 2005, the board turned on her. She was fired."; not "since October", which runs up to now)."""
    sent = _sent(verb)
    if _anchor(sent) is not None or any(t.lower_ in _EARLIER_ADVERBS for t in verb.subtree):
        return True
    if sent.start == 0:
        return False
    words = [t.lower_ for t in _sent(verb.doc[sent.start - 1])]
    return any(re.fullmatch(r"(?:19|20)\d\d", w) and i and words[i - 1] in ("in", "during", "by")
               for i, w in enumerate(words))


# verbs that give a status back: a sentence telling one ends the conflict ("jailed in 2009 and released in 2013")
_RESTORED = {"free": {"release", "free", "acquit", "pardon", "escape", "bail", "clear", "exonerate"},
             "office": {"reinstate", "reappoint", "reelect", "re-elect", "return", "restore", "rehire", "elect"},
             "alive": {"survive", "revive", "resuscitate"},
             "present": {"return", "extradite", "deport", "repatriate", "surrender"}}


def _restored(event: _Event) -> bool:
    """The article tells the status coming back, in the event's sentence or one naming the person."""
    doc = event.verb.doc
    sents = {_sent(event.verb).start}
    for a in event.same:
        for start, end in a.mentions:
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is not None:
                sents.add(_sent(span).start)
    words = _RESTORED[event.kind]
    return any(t.pos_ == "VERB" and _sent(t).start in sents for t in _with_lemmas(doc, words))


# --- who a status word is about ------------------------------------------------------------------------------------

# A status that ends, the verbs that end it, and what its holder can no longer do.
_STATUS = {
    "office": {"resign": "resigned", "quit": "quit", "fire": "was fired", "sack": "was sacked",
               "dismiss": "was dismissed", "oust": "was ousted", "depose": "was deposed",
               "overthrow": "was overthrown", "abdicate": "abdicated", "remove": "was removed from office"},
    "alive": {"die": "died", "kill": "was killed", "assassinate": "was assassinated", "execute": "was executed"},
    "free": {"arrest": "was arrested", "detain": "was detained", "jail": "was jailed", "imprison": "was imprisoned"},
    "present": {"flee": "fled", "defect": "defected"},
}
_KIND_OF = {lemma: kind for kind, verbs in _STATUS.items() for lemma in verbs}
_STATUS_LEMMAS = set(_KIND_OF) | {"step", "stand", "pass"}  # with the phrasal verbs' heads
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
    same: list[Actor] = field(default_factory=list)  # the actor and its surname-only twins (``_namesakes``)
    what: str = ""  # the status change in words: "resigned", "stepped down", "was arrested"


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


_OFFICE_TITLES = TITLE_WORDS | {"manager", "coach", "executive", "captain", "boss", "chief", "president", "head",
                                "mayor", "superintendent", "principal", "dean", "chancellor", "governor", "sheriff"}


# titles of someone seeking an office, not holding one: being fired from a job does not contradict them
_SEEKING = {"candidate", "nominee", "hopeful", "contender", "challenger", "front-runner", "frontrunner", "contestant"}


def holds_office(title: str) -> bool:
    """A title names an office its bearer holds: not a candidacy ("GOP presidential candidate")."""
    return not any(w.strip(".,").lower() in _SEEKING for w in title.split())


def _namesakes(actor: Actor, actors: ActorIndex) -> list[Actor]:
    """The actor and the actors that are only its surname or its full name read apart ('Helena Varga' and a
    later 'Varga' the tagger filed separately), unless two different first names share the surname."""
    surname = actor.name.split()[-1].lower()
    same = [a for a in actors.actors if a.name.split()[-1].lower() == surname]
    firsts = {a.name.split()[0].lower() for a in same if len(a.name.split()) > 1}
    return same if len(firsts) <= 1 else [actor]


def _is_person(group: list[Actor], doc: Doc) -> bool:
    """A person, or a name the tagger read as an organisation that an office title or a given name precedes."""
    if any(a.kind == "person" for a in group):
        return True
    for a in group:
        for start, end in a.mentions:
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is not None and span.start > 0 and doc[span.start - 1].lower_ in _OFFICE_TITLES:
                return True
            if span is not None and any(t.lower_ in _OFFICE_TITLES for t in span[:-1]):
                return True
    return False


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
    if target.pos_ == "NOUN":  # "the novelist Irene Castellano", "Councillor Ann Lee"
        name = next((c for c in target.children if c.dep_ in ("appos", "compound", "flat") and c.pos_ == "PROPN"),
                    None)
        target = name if name is not None and actors.actor_at(name) is not None else target
    if target.pos_ not in ("PROPN", "NOUN"):
        return None
    mention = _name_span(target)
    # a name the tagger read as a common noun ("Zelenskyy") still counts when it is an actor's mention
    actor = actors.actor_for(mention) if target.pos_ == "PROPN" else actors.actor_at(target)
    if actor is None or _ambiguous_surname(mention, target.doc) or not _is_person(_namesakes(actor, actors),
                                                                                   target.doc):
        return None
    return actor, mention


def _rivals(pronoun: Token, actor: Actor, actors: ActorIndex) -> bool:
    """Another person named in this or the previous sentence could be the pronoun's referent too; not when the
    actor is the only person named earlier in the pronoun's own sentence ("led by X until he resigned")."""
    sent = _sent(pronoun)
    start = pronoun.doc[sent.start - 1].sent.start_char if sent.start > 0 else sent.start_char
    before = [(s, a) for s, _, a in actors._before(pronoun.idx) if s >= start and a.kind == "person"]
    here = {id(a) for s, a in before if s >= sent.start_char}
    if here == {id(actor)}:
        return False
    return any(a is not actor for _, a in before)


_PHRASAL = {("step", "down"): ("office", "stepped down"), ("stand", "down"): ("office", "stood down"),
            ("pass", "away"): ("alive", "died")}


def _status_key(verb: Token) -> str:
    """A status verb's name (a key of ``STATUS_KIND``): its lemma, or verb and particle ('step down')."""
    lemma = verb.lemma_.lower()
    return next((f"{head} {particle}" for head, particle in _PHRASAL if lemma == head
                 and any(c.lower_ == particle and c.dep_ in ("prt", "advmod") for c in verb.children)), lemma)


def _status_of(verb: Token) -> tuple[str, str] | None:
    """(status kind, the change in words) of a status verb, phrasal ones included ('stepped down')."""
    key = _status_key(verb)
    kind = STATUS_KIND.get(key)
    return (kind, STATUS_WHAT[key]) if kind else None


def _events(doc: Doc, actors: ActorIndex, reported: list[tuple[int, int]],
            skip: list[tuple[int, int]]) -> Iterator[_Event]:
    for verb in _with_lemmas(doc, _STATUS_LEMMAS):
        lemma = verb.lemma_.lower()
        status = _status_of(verb)
        kind = status[0] if status else None
        if kind is None or verb.pos_ not in ("VERB", "AUX") or _inside(verb.idx, skip + reported):
            continue
        if lemma == "quit" and any(c.dep_ == "dobj" and c.lemma_.lower() not in _OFFICE_OBJECTS
                                   for c in verb.children):
            continue  # quit smoking, quit the race
        if not _asserted(verb):
            continue
        found = _undergoer(verb, actors)
        if found is not None and status is not None:
            yield _Event(verb, kind, found[0], found[1], _namesakes(found[0], actors), status[1])


# One name per status change, phrasal ones under verb and particle: how events are stored and told elsewhere.
STATUS_KIND = {**_KIND_OF, **{f"{h} {p}": kind for (h, p), (kind, _) in _PHRASAL.items()}}
STATUS_WHAT = {**{lemma: _STATUS[kind][lemma] for lemma, kind in _KIND_OF.items()},
               **{f"{h} {p}": what for (h, p), (_, what) in _PHRASAL.items()}}
STATUS_FORMS = re.compile(  # word forms of the status verbs: a text without one holds no status event
    r"\b(?:resign|quit|died|dies|dying|die\b|kill|assassinat|arrest|detain|jail|imprison|fled|flee|oust|depos|"
    r"fired|fires|sacked|sacks|dismiss|removed|execut|abdicat|overthr|defect|(?:step|stand|stood)\w* down|"
    r"pass\w* away)", re.IGNORECASE)


@dataclass(frozen=True)
class StatusEvent:
    """A status event as the article check reads it (asserted, in the author's voice, a person named or plainly
    meant), for readers outside this module: the corpus check of ``onrecord.store.corroborate``."""
    lemma: str  # a key of STATUS_KIND: "resign", "step down", "die", …
    verb: int  # character offset of the verb in the article
    subject: tuple[int, int]  # the mention naming whom it happened to (a name, or he / she resolved to one person)
    pronoun: bool
    sentence: tuple[int, int]
    restored: bool  # the article tells the status coming back ("arrested … released on bail")
    background: bool  # told before the story's time: "had resigned", "resigned in 2014", "once fired"
    office: str | None  # the office the person held as the article names it in the event's sentence, lower case


def status_readings(doc: Doc, actors: ActorIndex, reported: list[tuple[int, int]],
                    skip: list[tuple[int, int]]) -> list[_Event]:
    """The article's asserted status events outside ``reported`` speech, read once for ``status_conflicts`` and
    for ``status_events``."""
    return list(_events(doc, actors, reported, skip))


def status_events(readings: list[_Event]) -> list[StatusEvent]:
    """Every status event the article check reads (``status_readings``), with whom and when, for readers outside
    this module."""
    out = []
    for event in readings:
        verb = event.verb
        sent = _sent(verb)
        out.append(StatusEvent(_status_key(verb), verb.idx, (event.mention.start_char, event.mention.end_char),
                               event.mention.root.lower_ in ("he", "she", "him", "her"), _bounds(sent),
                               _restored(event), _background(verb), _office_in(event)))
    return out


def _background(verb: Token) -> bool:
    """The event told as before the story's time: the pluperfect ("had resigned"), or "ago", "once",
    "formerly", "previously", "former" in its sentence."""
    if any(c.dep_ == "aux" and c.lower_ in ("had", "'d") for c in verb.children):
        return True
    return any(t.lower_ in ("ago", "formerly", "previously", "once", "former") for t in _sent(verb))


def _office_in(event: _Event) -> str | None:
    """The office the event's sentence says the person held or left: "resigned as campaign chairman", "fired
    campaign manager X", "X, the FBI director, was fired"; None if it names none."""
    verb = event.verb
    for prep in (c for c in verb.children if c.dep_ == "prep" and c.lower_ in ("as", "from")):
        for obj in (g for g in prep.children if g.dep_ == "pobj"):
            words = [t for t in obj.subtree if t.pos_ in ("NOUN", "PROPN", "ADJ") and t.ent_type_ != "PERSON"]
            if words and any(t.lower_ in _OFFICE_TITLES | _OFFICE_OBJECTS for t in words):
                return " ".join(t.lower_ for t in words)
    head = event.mention.root
    while head.dep_ in ("compound", "flat") and head.head is not head:
        head = head.head
    title = _title_of(head) if head.pos_ == "PROPN" else None
    return title.lower() if title else None


def _title_of(mention_head: Token) -> str | None:
    """The office a name is given as current in its own noun phrase ('President Volodymyr Zelensky',
    'Ana Ruiz, the health minister'); None for former holders ('former minister')."""
    phrase = [t for t in mention_head.subtree if t.dep_ in ("compound", "amod", "nmod", "poss", "appos", "det")
              or t is mention_head]
    if any(t.lower_.strip("-") in _NOT_CURRENT or t.lower_ in _NOT_CURRENT for t in mention_head.subtree):
        return None
    before = [t for t in phrase if t.i < mention_head.i and t.ent_type_ != "PERSON"]
    if any(t.lower_ in _OFFICE_TITLES for t in before):
        first = min(t.i for t in before)
        last = max(t.i for t in before if t.lower_ in _OFFICE_TITLES)
        return mention_head.doc[first : last + 1].text
    for child in mention_head.children:
        if child.dep_ == "appos" and child.lower_ in _OFFICE_TITLES:
            return mention_head.doc[child.left_edge.i : child.i + 1].text
        # "Lenk, who attended the signing as deputy minister": the office the relative clause gives the name
        if child.dep_ == "relcl" and child.tag_ in ("VBD", "VBZ", "VBP"):
            for prep in (c for c in child.children if c.dep_ == "prep" and c.lower_ == "as"):
                office = next((g for g in prep.children if g.dep_ == "pobj" and g.lower_ in _OFFICE_TITLES), None)
                if office is not None and not any(t.lower_ in _NOT_CURRENT for t in office.subtree):
                    return mention_head.doc[office.left_edge.i : office.i + 1].text
    return None


def _holding_office(event: _Event, actors: ActorIndex) -> Iterator[tuple[Span, str]]:
    """Sentences that give the actor an office title as current (outside the event's sentence)."""
    doc = event.verb.doc
    seen = set()
    for start, end in sorted(m for a in event.same for m in a.mentions):
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None or _sent(span) == _sent(event.verb) or _sent(span).start in seen:
            continue
        head = span.root
        while head.dep_ in ("compound", "flat") and head.head is not head:
            head = head.head
        title = _title_of(head)
        if title and holds_office(title) and actors.actor_for(span) in event.same:
            seen.add(_sent(span).start)
            yield _sent(span), title


def _cue_verb(f: Found, doc: Doc) -> Token | None:
    if f.cue is None:
        return None
    span = doc.char_span(*f.cue, alignment_mode="expand")
    return span.root if span is not None else None


def status_conflicts(doc: Doc, actors: ActorIndex, found: list[Found], skip: list[tuple[int, int]],
                     readings: list[_Event] | None = None) -> list[Conflict]:
    """A person said to have left office, died or been arrested, whom the article also presents as still
    holding that status: one conflict per person and status (``readings``: ``status_readings``, when read)."""
    out: list[Conflict] = []
    done: set[tuple[int, str]] = set()
    for event in readings if readings is not None else status_readings(doc, actors, [f.content for f in found],
                                                                       skip):
        key = (id(event.actor), event.kind)
        if key in done or _restored(event):
            continue
        conflict = _office_conflict(event, actors, found) if event.kind == "office" else None
        if conflict is None and event.kind in ("alive", "free", "present"):
            conflict = _acting_after(event, found, actors)
        if conflict is not None:
            done.add(key)
            out.append(conflict)
    return out


def _what(event: _Event) -> str:
    return event.what


def _office_conflict(event: _Event, actors: ActorIndex, found: list[Found]) -> Conflict | None:
    """'X resigned' told as a current fact (the clause dates nothing), while elsewhere the article gives X the
    office's title without 'former'."""
    for sent, title in _holding_office(event, actors):
        if _placed_in_time(event.verb) and not _later(_sent(event.verb), sent, sent.root):
            continue  # a dated resignation and a title used before it: the story told in order
        name = event.actor.name
        explanation = (f"The article says {name} {_what(event)} (“{_sentence_text(_sent(event.verb))}”) but also "
                       f"calls {name} {title} without “former” (“{_sentence_text(sent)}”); someone who "
                       f"{_what(event)} no longer holds the office, so both cannot be current.")
        return _pair(_sent(event.verb), sent, explanation, found)
    return None


def _acting_after(event: _Event, found: list[Found], actors: ActorIndex) -> Conflict | None:
    """'X died' (or was arrested) and X speaking in a sentence the article sets later in time."""
    doc = event.verb.doc
    for f in found:
        if f.actor not in event.same or f.cue is None or f.speaker is None:
            continue
        speaker = doc.char_span(*f.speaker, alignment_mode="expand")
        if speaker is None or (speaker.root.lower_ in ("he", "she", "him", "her")
                               and _rivals(speaker.root, f.actor, actors)):
            continue  # "she told the panel" after two people were named: whose words these are is not sure
        span = doc.char_span(*f.cue, alignment_mode="expand")
        if span is None or _sent(span) == _sent(event.verb):
            continue
        cue = _cue_verb(f, doc)
        if event.kind in ("free", "present") and (cue is None or cue.lemma_.lower() not in ("tell", "speak",
                                                                                           "address")):
            continue  # someone held or abroad still writes and phones: only speaking to people in person counts
        if not _later(_sent(event.verb), _sent(span), cue):
            continue
        name = event.actor.name
        why = {"alive": "a person who died cannot speak afterwards",
               "free": "a person in custody could not have spoken there freely",
               "present": "a person who fled could not have spoken there in person"}[event.kind]
        explanation = (f"The article says {name} {_what(event)} (“{_sentence_text(_sent(event.verb))}”) yet has "
                       f"{name} speaking afterwards (“{_sentence_text(_sent(span))}”); {why}, so both cannot be "
                       "true.")
        return _pair(_sent(event.verb), _sent(span), explanation, found)
    return None


def _pair(flagged: Span, other: Span, explanation: str, found: list[Found]) -> Conflict:
    """A conflict between two sentences: the flag marks ``flagged`` (the status event, or the later figure)
    and names ``other``; related are the attributions inside either."""
    spans = (_bounds(flagged), _bounds(other))
    related = [f.content for f in found if any(s <= f.content[0] < e for s, e in spans)]
    return Conflict(*spans[0], explanation, related, "high", spans[1])


# --- status asserted and denied ---------------------------------------------------------------------------------

def denial_conflicts(doc: Doc, actors: ActorIndex, found: list[Found], skip: list[tuple[int, int]]) -> list[Conflict]:
    """The same person's status event asserted ('X was arrested on Monday') and denied by the author
    ('X has not been arrested'): one conflict per person and status."""
    reported = [f.content for f in found]
    asserted = {(id(e.actor), e.kind): e for e in _events(doc, actors, reported, skip)}
    out: list[Conflict] = []
    for verb in _with_lemmas(doc, set(_KIND_OF)):
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
        if event is None or _sent(event.verb) == _sent(verb):
            continue
        name = found_actor[0].name
        denied = " ".join(t.text for t in _sent(verb) if t.i in _clause(verb))
        explanation = (f"The article says {name} {_what(event)} (“{_sentence_text(_sent(event.verb))}”) and also "
                       f"that {denied.rstrip('.')} (“{_sentence_text(_sent(verb))}”); the same event cannot both "
                       "have happened and not happened.")
        out.append(_pair(_sent(event.verb), _sent(verb), explanation, found))
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


def _thing(token: Token) -> tuple[str, frozenset[str]] | None:
    """What a vote is about: the head noun's lemma and its compounds and adjectives ('bill', {'housing'});
    two things are the same when the head agrees and one's modifiers include the other's."""
    if token.pos_ not in ("NOUN", "PROPN"):
        return None
    mods = frozenset(t.lemma_.lower() for t in token.children if t.dep_ in ("compound", "amod") and t.pos_ != "NUM"
                     and t.lemma_.lower() not in _VAGUE_MODIFIERS)
    return token.lemma_.lower(), mods


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


def _act(verb: Token) -> str:
    """The act in the article's words: 'voted for', 'voted to reject', 'approved'."""
    if verb.lemma_.lower() != "vote":
        return verb.text
    for c in verb.children:
        if c.dep_ == "prep" and c.lower_ in ("for", "against"):
            return f"{verb.text} {c.text}"
        if c.dep_ == "xcomp":
            return f"{verb.text} to {c.text}"
    return verb.text


def reversal_conflicts(doc: Doc, actors: ActorIndex, found: list[Found],
                       skip: list[tuple[int, int]]) -> list[Conflict]:
    """The same subject said to have voted for and against (approved and rejected) the same thing, at the
    same time (two votes dated differently are two votes)."""
    reported = [f.content for f in found]
    stances: list[tuple[str, tuple[str, frozenset[str]], str, Token, str, Token]] = []
    out: list[Conflict] = []
    for verb in _with_lemmas(doc, _FOR | _AGAINST | {"vote"}):
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
        for k, (w, t, direction, earlier, name, obj) in enumerate(stances):
            if w != who[0] or t[0] != thing[0] or not (t[1] <= thing[1] or thing[1] <= t[1]):
                continue
            if direction == read[0] or _sent(earlier) == _sent(verb):
                continue
            a, b = _anchor(_sent(earlier)), _anchor(_sent(verb))
            if a and b and a != b:
                continue
            what = " ".join(x.text for x in obj.subtree if x.dep_ != "punct" and x.i <= obj.i)
            explanation = (f"The article says {name} {_act(earlier)} {what} (“{_sentence_text(_sent(earlier))}”) "
                           f"and also that {name} {_act(verb)} it (“{_sentence_text(_sent(verb))}”); the same "
                           "decision cannot go both ways.")
            out.append(_pair(_sent(verb), _sent(earlier), explanation, found))
            del stances[k]
            break
        else:
            stances.append((who[0], thing, read[0], verb, who[1], read[1]))
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
        if actor is not None and actor.kind == "person":
            return f"actor:{id(actor)}", actor.name
    if subject.pos_ in ("NOUN", "PROPN"):
        phrase = " ".join(t.lemma_.lower() for t in subject.subtree if t.dep_ not in ("det", "punct"))
        return f"np:{phrase}", subject.doc[subject.left_edge.i : subject.right_edge.i + 1].text
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
_CURRENCIES = {"dollar": "$", "euro": "€", "pound": "£", "yen": "¥", "yuan": "¥", "rouble": "₽", "ruble": "₽",
               "franc": "Fr", "rupee": "₹"}
_UNIT_OF = {"MONEY": "money", "PERCENT": "share", "CARDINAL": "count", "QUANTITY": "quantity"}
_VALUE_PREPS = {"of", "at", "worth"}
_FLOOR = {"least", "over", "above", "upwards"}  # with "more than": the figure is a lower bound
_CEILING = {"nearly", "almost", "under", "fewer", "less", "below"}  # an upper bound
_SCOPE_PREPS = {"in", "under", "among", "within", "across", "outside", "inside"}  # set where a figure holds
_QUALIFIER_PREPS = {"of", "for", "in", "at", "under", "from", "among", "on", "by", "with"}


@dataclass
class _Figure:
    value: float
    approximate: bool
    bound: str | None  # "more than 300" is a floor ("min"), "nearly 300" a ceiling ("max"), "about 300" neither
    unit: str
    thing: str  # the counted or measured noun's lemma
    definite: bool  # stated as already known ("the 800 striking nurses"): a restatement, not a new set
    phrase: str  # how the article words it, without the figure ("striking dockworkers", "deal")
    modifiers: frozenset[str]  # its adjectives, compounds, owners and prepositional qualifiers
    subject: tuple[str, frozenset[str]] | None  # who or what the figure belongs to, through the verb
    named_holder: bool  # that subject is a proper name: "Ted Cruz has 11 delegates", "Hart has 41 voters"
    holder: int | None  # id of the person that subject is, when known (_holder): "who", "Almeida", "the judge"
    new_set: bool  # "another 24 delegates", "two at each location", "one voter, X,": never a restatement
    context: frozenset[str]  # where the subject and the verb set it: "in the private sector", "under X"
    places: frozenset[str]
    periods: frozenset[tuple[str, str]]
    sent: Span
    text: str


_VAGUE_MODIFIERS = {"-pron-", "'s", "’s", "the", "its", "their", "his", "her", "our", "new", "proposed", "planned",
                    "draft", "total", "overall", "whole", "entire", "final", "worth", "valued", "estimated", "example",
                    "instance", "all"}


def _modifiers(noun: Token, exclude: Token) -> set[str]:
    """What narrows the noun a figure measures: adjectives, compounds, owners, acl verbs, and prepositional
    qualifiers as 'prep:word' — not dates (the period is compared apart), currencies, pronouns or 'new'."""
    out: set[str] = set()
    for c in noun.children:
        if c.i in range(exclude.left_edge.i, exclude.right_edge.i + 1) or c.ent_type_ in ("DATE", "TIME"):
            continue
        if c.lemma_.lower() in _CURRENCIES:
            continue
        if c.dep_ in ("compound", "amod", "nmod", "poss", "acl", "npadvmod") and c.pos_ != "NUM":
            out.add(c.lemma_.lower())
            out |= {g.lemma_.lower() for g in c.children if g.dep_ in ("compound", "flat") or g.pos_ == "PROPN"}
        if c.dep_ == "prep" and c.lower_ in _QUALIFIER_PREPS:
            for g in c.children:
                if g.dep_ == "pobj" and g.ent_type_ not in ("CARDINAL", "MONEY", "PERCENT", "QUANTITY", "DATE", "TIME"):
                    out.add(f"{c.lower_}:{g.lemma_.lower()}")
                    out |= {f"{c.lower_}:{m.lemma_.lower()}" for m in g.children
                            if m.dep_ in ("compound", "amod", "poss")}
    return {m for m in out if m.split(":")[-1] not in _VAGUE_MODIFIERS}


def _measured(root: Token, span: range) -> tuple[Token, Token | None] | None:
    """(the noun a figure measures, the verb that states it), from the figure's head word ``root`` (tokens
    ``span`` are the figure) — '3,100 striking dockworkers', 'the $2 billion deal', 'the deal is worth $4
    billion', 'a deal worth $4 billion', 'a deal valued at $4 billion', 'a toll of 19', 'unemployment is 8%'."""
    if root.dep_ in ("nummod", "compound", "amod", "quantmod") and root.head.pos_ in ("NOUN", "PROPN"):
        noun = root.head
        return (noun, _governing_verb(noun)) if noun.i not in span else None
    if root.dep_ == "npadvmod" and root.head.lower_ == "worth" and root.head.head.pos_ == "NOUN":
        return root.head.head, _governing_verb(root.head.head)  # "a deal worth $4 billion"
    if root.dep_ == "pobj" and root.head.lower_ in _VALUE_PREPS:
        prep = root.head
        owner = prep.head
        if prep.lower_ == "of" and owner.pos_ in ("NOUN", "PROPN"):  # "a volume of $4 billion", "a toll of 19"
            return owner, _governing_verb(owner)
        if owner.pos_ in ("VERB", "AUX", "ADJ"):  # "valued at", "worth", "at $150 million, the bridge was"
            verb = owner if owner.pos_ in ("VERB", "AUX") else owner.head
            valued = next((c for c in verb.children if c.dep_ == "dobj"), None)
            if valued is not None:  # "X estimates the fortune at $42 billion": the object is valued, not X
                return (valued, verb) if valued.pos_ in ("NOUN", "PROPN") else None
            subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
            if subject is not None and subject.pos_ in ("NOUN", "PROPN"):
                return subject, verb
            if owner.pos_ == "ADJ" and owner.head.pos_ == "NOUN":
                return owner.head, _governing_verb(owner.head)
    if root.dep_ in ("attr", "acomp") and root.head.lemma_ in ("be", "stand", "remain"):  # "unemployment is 8%"
        subject = next((c for c in root.head.children if c.dep_ == "nsubj"), None)
        if subject is not None and subject.pos_ in ("NOUN", "PROPN"):
            return subject, root.head
    if root.dep_ == "dobj" and root.ent_type_ in ("MONEY", "PERCENT"):  # "the deal cost $4 billion"
        subject = next((c for c in root.head.children if c.dep_ == "nsubj"), None)
        if subject is not None and subject.pos_ in ("NOUN", "PROPN"):
            return subject, root.head
    return None


def _conditional(sent: Span) -> bool:
    """The sentence's main clause is hypothetical: a modal other than 'will' or an 'if' / 'unless' clause
    governs it (a planned figure, 'will cost 900 jobs', is stated)."""
    root = sent.root
    return any((c.dep_ == "aux" and c.lower_ in _MODALS - {"will", "'ll", "wo"}) or (c.dep_ == "advcl" and any(
        g.dep_ == "mark" and g.lower_ in ("if", "unless", "whether") for g in c.children)) for c in root.children)


def _definite(noun: Token | None) -> bool:
    """The measured noun names something known: 'the deal', 'turnout'; not '27 companies' or 'a deal'."""
    if noun is None:
        return False
    det = next((c.lower_ for c in noun.children if c.dep_ in ("det", "poss", "predet")), None)
    if det is not None:
        return det not in ("a", "an", "some", "any", "no", "another", "many", "several")
    return noun.tag_ in ("NN", "NNP")  # a bare singular: mass nouns and names


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


def _casualty_event(token: Token) -> str | None:
    """The casualty event a figure counts ("12 people were killed", "a death toll of 19", "killing 8"): a
    casualty word among the figure's first four heads or their modifiers."""
    node: Token | None = token
    for _ in range(4):
        if node is None:
            return None
        lemma = node.lemma_.lower()
        if lemma in _CASUALTIES:
            return _CASUALTIES[lemma]
        hit = next((c for c in node.children if c.lemma_.lower() in _CASUALTIES
                    and c.dep_ in ("amod", "compound", "acl", "relcl")), None)
        if hit is not None:
            return _CASUALTIES[hit.lemma_.lower()]
        node = node.head if node.head is not node else None
    return None


def _holder(subj: Token, actors: ActorIndex) -> Actor | None:
    """The person a figure's subject is: a name, a description coreference resolved, a relative 'who' through
    its antecedent, and an indefinite description the next sentence names as its subject (the news lede that
    identifies its subject one sentence late: 'A former manager who approved 300 claims was jailed. Ana Reis,
    46, had admitted …')."""
    if subj.tag_ in ("WP", "WDT") and subj.head.dep_ == "relcl":
        subj = subj.head.head
    if subj.pos_ == "PROPN":  # a surname the tagger gave no person label is still its person's
        actor = actors.actor_for(_name_span(subj)) or next(
            (a for a in actors.actors if a.kind == "person" and same_surname(a.surname, subj.text)), None)
        return actor if actor is not None and actor.kind == "person" else None
    if subj.pos_ != "NOUN":
        return None
    actor = actors.described.get(subj.i) or actors.actor_at(subj)
    if actor is not None or not any(c.dep_ == "det" and c.lower_ in ("a", "an") for c in subj.children):
        return actor if actor is not None and actor.kind == "person" else None
    sent = _sent(subj)
    if sent.end >= len(subj.doc):
        return None
    named = next((t for t in _sent(subj.doc[sent.end]) if t.dep_ in ("nsubj", "nsubjpass")), None)
    if named is None or named.pos_ != "PROPN":
        return None
    name = _name_span(named)
    actor = actors.actor_for(name)
    first = min((s for s, _ in actor.mentions), default=-1) if actor is not None else -1
    return actor if actor is not None and actor.kind == "person" and first >= name.start_char else None


def _figure(ent: Span, actors: ActorIndex) -> _Figure | None:
    if re.search(r"\d\s*[-–]\s*\d|\d+(?:st|nd|rd|th)\b", ent.text) or "-" in ent.text.strip("-"):
        return None  # scores, ranges, ordinals, "two-way"
    words = [t.text for t in ent if t.lower_ not in _APPROXIMATE and t.lower_ not in ("at", "about", "some")]
    value = number_value(" ".join(words))
    if value is None:
        return None
    sent = _sent(ent)
    text = doc_text(ent.doc)  # Doc.text joins every token: once per document, not per figure
    after, before = text[ent.end_char : ent.end_char + 2], text[max(0, ent.start_char - 2) : ent.start_char]
    if (after[:1] in "-–/" and after[1:].isdigit()) or (before[1:] in "-–/" and before[:1].isdigit()):
        return None  # "a 4-4 ruling", "24/7"
    if _conditional(sent) and not _presupposed(ent):
        return None
    root = ent.root
    if root.dep_ == "pobj" and root.head.lower_ in ("to", "from", "by") and (
            root.head.head.lemma_.lower() in _UPDATES or root.head.head.lower_ in ("up", "down")):
        return None  # "rose to 19", "up from 35%": a figure that moves updates rather than restates
    if any(t.lemma_.lower() in _UPDATES and t.pos_ == "VERB" and any(c.dep_ == "prep" and c.lower_ == "to"
                                                                      for c in t.children) for t in sent):
        return None  # "the toll has risen to 14": every figure of that sentence is a step of the change
    unit = _UNIT_OF.get(ent.label_, "count")
    if unit == "money":
        unit += ":" + ("$" if "$" in ent.text or "dollar" in ent.text.lower() else
                       "£" if "£" in ent.text or "pound" in ent.text.lower() else
                       "€" if "€" in ent.text or "euro" in ent.text.lower() else "?")
    head = ent.root
    currency = head.head if head.dep_ == "nummod" and head.head.lemma_.lower() in _CURRENCIES else None
    if currency is not None:  # "800 million euros": money, measured from where the currency word stands
        unit, head = "money:" + _CURRENCIES[currency.lemma_.lower()], currency
    elif head.dep_ == "nummod" and unit == "count":  # "the 300 million euro contract"
        named = next((c for c in head.head.children if c.lemma_.lower() in _CURRENCIES), None)
        if named is not None:
            unit = "money:" + _CURRENCIES[named.lemma_.lower()]
    measured = _measured(head, range(ent.start, ent.end) if currency is None else range(ent.start, currency.i + 1))
    event = None
    if measured is not None:
        noun, verb = measured
        thing = noun.lemma_.lower()
        if noun.pos_ == "NOUN" and any(c.dep_ == "prep" and c.lower_ == "of" for c in noun.children) and unit in (
                "share", "count") and thing in ("percent", "%", "share", "proportion", "majority"):
            return None
        mods = _modifiers(noun, ent.root)
        # "the unemployment rate" is unemployment: a rate, level or share is named by what it measures
        named = next((c for c in noun.children if c.dep_ == "compound" and c.pos_ == "NOUN"), None)
        if thing in ("rate", "level", "share", "figure", "total") and named is not None:
            thing = named.lemma_.lower()
            mods.discard(thing)
    else:
        noun = verb = None
        thing, mods = "", set()
    # casualty figures: "12 people were killed", "a death toll of 19", "killing 8"
    event = _casualty_event(ent.root)
    if event is not None and unit == "count":
        thing, mods = f"people {event}", set()
    elif not thing or thing in _GENERIC_NOUNS or noun is None or (noun.pos_ == "PROPN" and unit == "count"):
        return None
    subject = None
    named_holder = False
    holder = None
    context: set[str] = set()  # qualifiers of the subject and of the stating verb
    if verb is not None and noun is not None:
        subj = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass") and c is not noun
                     and noun.i not in range(c.left_edge.i, c.right_edge.i + 1)), None)
        if subj is not None and (person := _holder(subj, actors)) is not None:
            holder = id(person)
        if subj is not None and subj.pos_ in ("NOUN", "PROPN") and subj.lower_ not in ("it", "they"):
            subject_mods = _modifiers(subj, ent.root)
            subject = (subj.lemma_.lower(), frozenset(m for m in subject_mods if ":" not in m))
            named_holder = subj.pos_ == "PROPN"
            context |= {m for m in subject_mods if ":" in m}
        # where the stating verb sets the figure: "in the private sector", "under the previous leader"
        context |= {f"{c.lower_}:{g.lemma_.lower()}" for c in verb.children if c.dep_ == "prep" and c.lower_ in
                 _SCOPE_PREPS for g in c.subtree if g.dep_ in ("pobj", "compound", "amod") and g.pos_ != "DET"
                 and g.ent_type_ not in ("DATE", "TIME") and g.lemma_.lower() not in _VAGUE_MODIFIERS}
    hedge = [t.lower_ for t in ent.doc[max(sent.start, ent.start - 3) : ent.start]] + [t.lower_ for t in ent]
    approximate = any(w in _APPROXIMATE for w in hedge)
    bound = ("min" if _FLOOR & set(hedge) or ("more" in hedge and "than" in hedge and "no" not in hedge) else
             "max" if _CEILING & set(hedge) else None)
    # where and when the figure applies: named places, proper nouns after in/at/near, dates and weekdays
    places = frozenset({e.text.lower() for e in ents_in(sent) if e.label_ in ("GPE", "LOC", "FAC")}
                       | {t.lower_ for t in sent if t.pos_ == "PROPN" and t.dep_ == "pobj" and t.ent_type_ != "DATE"
                          and t.head.lower_ in ("in", "at", "near")})
    periods = frozenset(_period(e.text) for e in ents_in(sent) if e.label_ == "DATE")
    if event is not None and unit == "count":
        phrase = f"people {event}"
    else:
        assert noun is not None
        words = [t for t in noun.subtree if t.i not in range(ent.start, ent.end) and t.dep_ not in ("det", "punct")
                 and t.i <= noun.i + 6]
        phrase = " ".join(t.text for t in words)
    if unit == "share":  # "25 percent of top executives": whose share is part of what is measured
        for token in ent:
            for c in token.children:
                if c.dep_ == "prep" and c.lower_ == "of":
                    mods |= {f"of:{g.lemma_.lower()}" for g in c.subtree if g.dep_ in ("pobj", "amod", "compound")
                             and g.lemma_.lower() not in _VAGUE_MODIFIERS}
    return _Figure(value, approximate, bound, unit, thing, _presupposed(ent) or _definite(noun), phrase,
                   frozenset(mods), subject, named_holder, holder, _new_set(ent, value, unit, event),
                   frozenset(context), places, periods, sent, ent.text)


_NEW_SET_WORDS = {"another", "other", "additional", "each", "every", "per", "apiece"}


def _new_set(ent: Span, value: float, unit: str, event: str | None) -> bool:
    """A count that cannot restate another: 'another 24 delegates' (a further set), 'two were killed at each
    location' (per unit), and a non-casualty 'one' ('One voter, Ana Ruiz, 35, …', 'one company says'), which
    singles out a member of a set rather than counting it."""
    if unit != "count":
        return False
    if value == 1 and event is None:
        return True
    sent = _sent(ent)
    before = ent.doc[max(sent.start, ent.start - 2) : ent.start]
    after = ent.doc[ent.end : min(sent.end, ent.end + 5)]
    return any(t.lower_ in _NEW_SET_WORDS for t in before) or any(t.lower_ in ("each", "every", "per", "apiece")
                                                                  for t in after)


def _period(text: str) -> tuple[str, str]:
    """(kind, value) of a date expression: ('weekday', 'monday'), ('month', 'march'), ('year', '2019'), or
    ('month', 'this month') for a relative one, keyed by its unit."""
    words = re.findall(r"[a-z]+|\d{4}", text.lower())
    for w in words:
        if w in WEEKDAYS:
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
    # one person, however each sentence names them ("who approved more than 300 claims" / "Almeida approved 260")
    same_holder = a.holder is not None and a.holder == b.holder
    if a.modifiers != b.modifiers and not b.definite and not same_holder:
        return False  # "58 Fortune 500 companies" and later "27 companies": a new, smaller set, not a restatement
    if not (a.context <= b.context or b.context <= a.context):
        return False
    if not same_holder and a.subject and b.subject and (a.subject[0] != b.subject[0] or not (
            a.subject[1] <= b.subject[1] or b.subject[1] <= a.subject[1])):
        return False
    if not same_holder and (a.named_holder or b.named_holder) and not (a.subject and b.subject):
        return False  # "Ted Cruz has 11 delegates" against "it takes 1,237 delegates": one holder's share
    if a.new_set or b.new_set:
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
        # a floor or ceiling is broken by an exact figure on its wrong side ("more than 300 claims" / "260 claims")
        for x, y in ((a, b), (b, a)):
            if not y.approximate and ((x.bound == "min" and y.value < x.value)
                                      or (x.bound == "max" and y.value > x.value)):
                return True
        return abs(a.value - b.value) > 0.25 * max(a.value, b.value)
    return True


def _show_thing(f: _Figure) -> str:
    if f.unit == "count":
        return f"the number of {f.phrase}"
    return f"the {f.phrase}"


def _unnamed_numbers(doc: Doc) -> list[Span]:
    """Counts the entity recogniser left out ('cost 900 jobs'), as CARDINAL spans."""
    pos, ent = doc.to_array([POS, ENT_TYPE]).T
    return [Span(doc, int(i), int(i) + 1, label="CARDINAL") for i in np.flatnonzero((pos == NUM) & (ent == 0))
            if doc[int(i)].like_num and doc[int(i)].dep_ == "nummod"]


def figure_conflicts(doc: Doc, actors: ActorIndex, found: list[Found], skip: list[tuple[int, int]]) -> list[Conflict]:
    """A figure the author states that disagrees with another figure for the same quantity of the same thing,
    stated by the author or reported from a source earlier (two sources disagreeing is reporting, not a
    conflict); one conflict per pair of sentences, flagged on the author's figure."""
    attributed = [f.content for f in found]
    figures: list[tuple[_Figure, bool]] = []  # (figure, reported from a source)
    for ent in sorted([*doc.ents, *_unnamed_numbers(doc)], key=lambda e: e.start):
        if ent.label_ not in _UNIT_OF or _inside(ent.start_char, skip):
            continue
        figure = _figure(ent, actors)
        if figure is not None:
            figures.append((figure, _inside(ent.start_char, attributed)))
    # An article that gives three or more different values for one kind of figure ("delegates", "registered
    # voters", "turnout") is tallying it across subsets — per state, per town, per vote — not restating one
    # quantity, and which two of them would be meant cannot be told: none of them is compared.
    values: dict[tuple[str, str], set[float]] = defaultdict(set)
    for figure, _ in figures:
        values[figure.unit, figure.thing].add(figure.value)
    figures = [(f, r) for f, r in figures if len(values[f.unit, f.thing]) < 3]
    # What each sentence gives figures of one unit for (the thing, and a named holder): two sentences that each
    # give one for something the other does not ("Trump 37, Clinton 36 percent" / "Clinton 38, Rubio 33 percent")
    # are two line-ups — two polls, two match-ups — not one quantity told twice.
    holders: dict[tuple[int, str], set[str]] = defaultdict(set)
    for f, _ in figures:
        holders[f.sent.start, f.unit].add(f.thing)
        if f.named_holder and f.subject:
            holders[f.sent.start, f.unit].add(f.subject[0])

    def other_line_up(a: _Figure, b: _Figure) -> bool:
        x, y = holders[a.sent.start, a.unit], holders[b.sent.start, b.unit]
        return bool(x - y and y - x)

    out: list[Conflict] = []
    paired: set[int] = set()  # sentences already flagged or named: one flag per contradiction
    for i, (later, later_reported) in enumerate(figures):
        earlier, earlier_reported = next(((f, r) for f, r in figures[:i] if f.sent != later.sent
                                          and not (r and later_reported) and _disagree(f, later)
                                          and not other_line_up(f, later)), (None, False))
        if earlier is None or later.sent.start in paired:
            continue
        paired.add(later.sent.start)
        flagged, other = (earlier, later) if later_reported else (later, earlier)
        source = " (as reported)" if later_reported or earlier_reported else ""
        explanation = (f"The article gives {other.text} for {_show_thing(flagged)}{source} "
                       f"(“{_sentence_text(other.sent)}”) and {flagged.text} for the same "
                       f"(“{_sentence_text(flagged.sent)}”); one quantity cannot have both values.")
        out.append(replace(_pair(flagged.sent, other.sent, explanation, found), severity="medium"))
    return out


def find_conflicts(doc: Doc, actors: ActorIndex, found: list[Found], skip: list[tuple[int, int]],
                   readings: list[_Event] | None = None) -> list[Conflict]:
    """Every conflict of the article, in text order of the statement flagged; one per contradiction
    (``readings``: the status events ``status_readings`` read, when already read)."""
    out = (status_conflicts(doc, actors, found, skip, readings) + denial_conflicts(doc, actors, found, skip)
           + figure_conflicts(doc, actors, found, skip) + reversal_conflicts(doc, actors, found, skip))
    unique: dict[tuple[int, int, tuple[int, int] | None], Conflict] = {}
    for c in out:
        unique.setdefault((c.start, c.end, c.other), c)
    return sorted(unique.values(), key=lambda c: c.start)


# --- the readings onrecord.store.corroborate shares ------------------------------------------------------------
# Cross-article corroboration matches status events and casualty figures between articles with these two readings
# (looser than the single-article checks above, which need more to call a contradiction); kept as they were so its
# results do not move with this module.

_CORROBORATE_MODALS = {"will", "would", "could", "may", "might", "should", "must", "can", "shall"}
_CORROBORATE_IRREALIS = {"threaten", "plan", "refuse", "decline", "consider", "want", "urge", "call", "demand", "ask",
                         "deny", "expect", "intend", "offer", "vow", "pledge", "hope", "fail", "try", "rumour", "rumor"}
_CORROBORATE_APPROXIMATE = {"least", "more", "over", "nearly", "about", "around", "almost", "roughly", "some", "than",
                            "up", "approximately", "estimated", "under", "fewer", "less", "most", "upwards"}
_CORROBORATE_UPDATES = {"rise", "climb", "increase", "reach", "grow", "jump", "swell", "mount", "update", "revise"}
_CORROBORATE_GENERIC = {"people", "person", "persons", "time", "times", "year", "day", "week", "month", "hour",
                        "minute", "percent", "%", "point", "km", "kilometre", "kilometer", "mile", "metre", "meter",
                        "one", "member", "case", "number", "vote", "seat", "dollar", "euro", "pound"}
_CORROBORATE_WEEKDAYS = set(WEEKDAYS)


def realis(verb: Token) -> bool:
    """True when the verb states that the event happened (not negated, hedged or hypothetical)."""
    for child in verb.children:
        if child.dep_ == "neg" or (child.dep_ == "aux" and child.lower_ in _CORROBORATE_MODALS):
            return False
        if child.dep_ == "mark" and child.lower_ in ("if", "unless", "whether"):
            return False
    head = verb
    while head.dep_ in ("xcomp", "ccomp", "conj", "advcl") and head.head is not head:
        if head.dep_ == "xcomp" or head.head.lemma_.lower() in _CORROBORATE_IRREALIS:
            return False
        head = head.head
    return True


@dataclass
class Count:
    value: float
    approximate: bool
    event: str | None  # killed, injured, … for casualty figures
    noun: str | None  # the counted noun when it is specific ("dockworker")
    places: set[str]
    sent: Span


def count_of(ent: Span) -> Count | None:
    """What a cardinal counts: '12 people were killed', 'a death toll of 19', '3,100 striking dockworkers'."""
    value = number_value(" ".join(t.text for t in ent if t.lower_ not in _CORROBORATE_APPROXIMATE and t.lower_ != "at"))
    if value is None:
        return None
    root = ent.root
    sent = ent.sent
    if any(t.lemma_.lower() in _CORROBORATE_UPDATES for t in sent):
        return None  # a figure that moves ("rose to 19") updates rather than contradicts
    noun = root.head if root.dep_ == "nummod" else None
    event = _casualty_event(root)
    noun_lemma = noun.lemma_.lower() if noun is not None and noun.pos_ == "NOUN" else None
    if noun_lemma in _CORROBORATE_GENERIC:
        noun_lemma = None
    if event is None and noun_lemma is None:
        return None
    before = ent.doc[max(sent.start, ent.start - 3) : ent.start]
    approximate = any(t.lower_ in _CORROBORATE_APPROXIMATE for t in [*before, *ent])
    # where and when the count applies: named places, proper nouns after in/at/near, and weekdays
    places = {e.text.lower() for e in ents_in(sent) if e.label_ in ("GPE", "LOC", "FAC")}
    places |= {t.lower_ for t in sent if t.lower_ in _CORROBORATE_WEEKDAYS
               or (t.pos_ == "PROPN" and t.dep_ == "pobj" and t.head.lower_ in ("in", "at", "near"))}
    return Count(value, approximate, event, noun_lemma, places, sent)
