"""Attributions: who says what, through which cue and channel, in which form.

Each rule reads one sentence's dependency parse with the article's quotations:

- ``verb_attributions``: a reporting verb with a subject and a clause, quotation or content object
  ("X said that …", "“…,” X said", "X expressed doubt about …"), a parenthetical cue ("A, X said,
  was B") or a directive ("X called on Y to …");
- ``according_to_attributions``: "according to X, …" (a source, or a channel when the sentence
  already names a speaker);
- ``nominal_attributions``: a cue noun with a clause ("a claim by X that …");
- ``bare_quote_attributions``: quotations attributed by a dash or a colon ("“…” — X", "X: “…”").
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from spacy.tokens import Doc, Span, Token

from onrecord.attribute.actors import Actor, ActorIndex
from onrecord.attribute.coref import ORG_NOUNS, company_name
from onrecord.attribute.lexicon import (
    BODY_NOUNS,
    CHANNEL_NOUNS,
    DENIED_NOUNS,
    DOCUMENT_NOUNS,
    GROUP_NOUNS,
    NOMINAL_CUES,
    OBJECT_CONTENT_VERBS,
    PERSONAL_PRONOUNS,
    SPEECH_VERBS,
    SPOKESPERSON_NOUNS,
    TITLE_WORDS,
    learned_cues,
)
from onrecord.attribute.quotes import Quote, Quotes
from onrecord.attribute.tokens import doc_text, sentence_of, token_index, token_range, with_pos
from onrecord.clean import BULLETS, dateline_credits, find_datelines

_DASHES = "\u2014\u2013\u2015"  # em dash, en dash, horizontal bar
_EDGE = " \t\n\u00a0,;:.-" + _DASHES + BULLETS  # a list bullet is never part of a span
_SPEAKER_EDGE = _EDGE + "\"\u201c\u201d"  # around a name set off by a dash or colon
# Definite articles of the languages whose papers English news quotes most (German, French, Spanish, Italian, Dutch)
_FOREIGN_ARTICLES = frozenset("Der Die Das Le La Les El Il Lo Het".split())
_OUTLET_LABELS = ("ORG", "PERSON", "GPE", "FAC", "PRODUCT", "WORK_OF_ART", "NORP")


@dataclass
class Found:
    """An attribution found in the parse, in character offsets (text filled in later)."""

    content: tuple[int, int]
    form: str
    cue: tuple[int, int] | None = None
    speaker: tuple[int, int] | None = None
    speaker_name: str | None = None
    speaker_kind: str = "unknown"
    actor: Actor | None = None
    role: str | None = None
    via: list[tuple[int, int, str, str]] = field(default_factory=list)  # start, end, name, kind
    when: str | None = None
    cue_token: int | None = None  # index of the cue verb, for rules that compare clauses
    rule: str = ""  # which rule found it: verb, learned, according, nominal, bare, continued, stance
    relation: str | None = None  # how the content hangs on the cue, where a rule knows it


# --- spans -------------------------------------------------------------------------------


def trim(text: str, start: int, end: int, chars: str = _EDGE) -> tuple[int, int]:
    while start < end and text[start] in chars:
        start += 1
    while end > start and text[end - 1] in chars:
        end -= 1
    return start, end


def subtree_bounds(token: Token, exclude: set[int] | None = None) -> tuple[int, int]:
    """Character bounds of a token's subtree, leaving out the subtrees rooted at ``exclude``."""
    index = token_index(token.doc)
    children = index.children
    first = last = token.i  # tokens are in text order: the bounds are the first's start and the last's end
    stack = list(children[token.i])
    while stack:
        t = stack.pop()
        if exclude is None or t not in exclude:
            first, last = min(first, t), max(last, t)
            stack.extend(children[t])
    return index.starts[first], index.ends[last]


def ents_in(span: Span, labels: tuple[str, ...] | None = None) -> list[Span]:
    """The named entities inside ``span`` (of these labels only, if given), from the token index
    (``Span.ents`` scans every entity of the document, which is quadratic on long texts)."""
    doc = span.doc
    index = token_index(doc)
    out = []
    for k in range(bisect_left(index.ent_starts, span.start), bisect_left(index.ent_starts, span.end)):
        i, j, label = index.ents[k]
        if j <= span.end and (labels is None or label in labels):
            out.append(Span(doc, i, j, label=label))
    return out


def entity_at(token: Token) -> Span | None:
    """The named entity a token belongs to, if any."""
    if not token.ent_type_:
        return None
    doc, i = token.doc, token.i
    while i > 0 and doc[i].ent_iob_ == "I":
        i -= 1
    j = token.i + 1
    while j < len(doc) and doc[j].ent_iob_ == "I":
        j += 1
    return Span(doc, i, j, label=token.ent_type_)


def quote_containing(quotes: Quotes, start: int, end: int) -> Quote | None:
    """The quotation whose marks enclose [start, end) (allowing the trimmed edge punctuation)."""
    for q in quotes.near(start, start + 1):
        if q.open_mark <= start and end <= q.close_mark + 1:
            return q
    return None


def form_of(text: str, start: int, end: int, quotes: Quotes) -> str:
    near = quotes.near(start, end)
    inner = [q for q in near if (start <= q.open_mark and q.close_mark < end) or start <= q.start < end]
    return "mixed" if inner else "indirect"


def in_quote(quotes: Quotes, pos: int) -> bool:
    return quotes.containing(pos) is not None


# --- speakers ------------------------------------------------------------------------------


@dataclass
class Source:
    start: int
    end: int
    name: str
    kind: str
    actor: Actor | None
    role: str | None


def _role_prefix(span: Span, ent: Span) -> str | None:
    """Title words before a name in one noun phrase: 'Ukraine President' in 'Ukraine President Volodymyr Zelensky'."""
    prefix = [t for t in span if t.i < ent.start and not t.is_punct and t.dep_ != "det" and not t.is_stop]
    if prefix and any(t.lower_ in TITLE_WORDS for t in prefix):
        return span.doc[prefix[0].i : prefix[-1].i + 1].text  # "a spokesman for X": spokesman, without "for"
    return None


# Documents that are counts rather than writings: without an agent behind them ("partial results from
# Sunday's election") they name no source.
COUNT_NOUNS = frozenset("result results figure figures data datum count tally number numbers return returns "
                        "statistic statistics estimate estimates".split())  # "datum": spaCy's lemma of "data"
_ANAPHORIC_DETERMINERS = frozenset({"the", "these", "this", "those"})
# Adjectives that say when a count was taken, not who took it ("final results"; "federal statistics" has an owner).
_STAGE_ADJECTIVES = frozenset("final partial preliminary provisional early initial latest first complete full "
                              "unofficial new".split())


def _agentive(token: Token, actors: ActorIndex) -> bool:
    """A noun that can author a document: a named actor, a body, a group of people, a person's title,
    or another document ("figures from the national workforce survey"); not an event ("election")."""
    lemma = token.lemma_.lower()
    return bool(actors.actor_at(token) or actors.described.get(token.i) or token.ent_type_ in
                ("ORG", "PERSON", "GPE", "NORP") or token.pos_ == "PROPN" or lemma in BODY_NOUNS
                or lemma in GROUP_NOUNS or lemma in TITLE_WORDS or lemma in ORG_NOUNS or lemma in DOCUMENT_NOUNS)


def document_author(head: Token, actors: ActorIndex) -> tuple[str, Actor | None] | None:
    """Whose a document is: its possessor ("the trust's board papers") or the object of "by" / "from"
    ("data from the statistics office"), resolved to an actor when it is one (also through a
    description: "the trust" for the Northvale Health Trust), else its words without the article;
    None when there is none or it is no agent ("results from Sunday's election")."""
    author = next((c for c in head.children if c.dep_ == "poss" and c.pos_ in ("NOUN", "PROPN")), None)
    owner = next((c for c in head.children if c.dep_ == "poss" and c.lower_ == "its"), None)
    if author is None and owner is not None and (body := actors.resolve_pronoun(owner, "organization")) is not None:
        return body.name, body  # "its annual report shows": the body "its" stands for
    if author is None:
        prep = next((c for c in head.children if c.dep_ == "prep" and c.lower_ in ("by", "from")), None)
        if prep is None and head.dep_ == "dobj":  # "reviews a study by X": the parser hangs "by X" on the verb
            prep = next((c for c in head.head.children if c.dep_ == "prep" and c.lower_ == "by"
                         and c.i == head.right_edge.i + 1), None)
        author = next((c for c in prep.children if c.dep_ == "pobj"), None) if prep is not None else None
    if author is None and head.lemma_.lower() in COUNT_NOUNS:  # "police figures", "Eurostat data"
        author = next((c for c in head.children if c.dep_ == "compound" and _agentive(c, actors)), None)
    if author is None or author.pos_ not in ("NOUN", "PROPN") or not _agentive(author, actors):
        return None
    if author.tag_ == "NNS" and author.lemma_.lower() in GROUP_NOUNS:  # "researchers at Tamsin University"
        prep = next((c for c in author.children if c.dep_ == "prep" and c.lower_ in ("at", "from", "of")), None)
        body = next((c for c in prep.children if c.dep_ == "pobj"), None) if prep is not None else None
        author = body if body is not None and body.pos_ == "PROPN" else author
    actor = actors.actor_at(author) or actors.described.get(author.i)
    if actor is not None:
        return actor.name, actor
    words = [t for t in author.doc[author.left_edge.i : author.i + 1] if t.dep_ not in ("det", "case", "poss")
             and not t.is_punct and not t.is_space]
    return (" ".join(t.text for t in words), None) if words else None


def _named_document(token: Token, actors: ActorIndex) -> tuple[str, Actor | None] | None:
    """A document phrase that names its source: an author ("a poll from X") or its own name
    ("the national workforce survey")."""
    author = document_author(token, actors)
    if author is not None:
        return author
    words = [t for t in token.doc[token.left_edge.i : token.i + 1] if t.dep_ not in ("det", "case", "poss")
             and not t.is_punct and not t.is_space]
    if len(words) > 1 and token.lemma_.lower() not in COUNT_NOUNS:
        return " ".join(t.text for t in words), None
    return None


def earlier_document(head: Token, actors: ActorIndex, reach: int = 300) -> tuple[str, Actor | None] | None:
    """"The data", "the figures", "the study": the latest document of the same kind (any, for a count)
    named with its source in the sentences before (within ``reach`` tokens), as a definite description
    stands for a named antecedent."""
    doc = head.doc
    lemma = head.lemma_.lower()
    for i in range(head.sent.start - 1, max(-1, head.i - reach), -1):
        token = doc[i]
        if token.pos_ == "NOUN" and (token.lower_ in DOCUMENT_NOUNS or token.lemma_.lower() in DOCUMENT_NOUNS) \
                and (lemma in COUNT_NOUNS or token.lemma_.lower() == lemma):
            named = _named_document(token, actors)
            if named is not None:
                return named
    return None


def _document_before(it: Token, actors: ActorIndex) -> tuple[str, Actor | None] | None:
    """"The study followed 9,200 patients. It found …": "it" opening a sentence stands for the document that
    was the previous sentence's subject, named through its author or an earlier naming of it."""
    sent = it.sent
    if it.i != sent.start or sent.start == 0:
        return None
    subject = next((t for t in it.doc[sent.start - 1].sent if t.dep_ in ("nsubj", "nsubjpass")
                    and t.head.dep_ == "ROOT"), None)
    if subject is None or subject.pos_ != "NOUN" or subject.lemma_.lower() not in DOCUMENT_NOUNS:
        return None
    return _named_document(subject, actors) or earlier_document(subject, actors) or (subject.lemma_.lower(), None)


def _unowned_count(head: Token, actors: ActorIndex) -> bool:
    """Results, figures, a tally with no agent: nothing but a determiner and adjectives of when it was
    taken ("final results"), or the count of an event ("partial results from Sunday's election")."""
    if head.lemma_.lower() not in COUNT_NOUNS:
        return False
    said = False  # a bare "the data" with nothing before it stays as written
    for c in head.children:
        if (c.dep_ == "prep" and c.lower_ in ("from", "of", "for", "on")) or (c.dep_ == "amod"
                                                                               and c.lower_ in _STAGE_ADJECTIVES):
            said = True  # its object is no agent, or document_author would have found it
        elif c.dep_ != "det":
            return False
    return said


def _bare_definite(head: Token) -> bool:
    """"the data", "these figures": a determiner and the noun, nothing that names a source."""
    children = list(head.children)
    return any(c.dep_ == "det" and c.lower_ in _ANAPHORIC_DETERMINERS for c in children) and all(
        c.dep_ in ("det", "amod") and (c.dep_ == "det" or c.pos_ == "ADJ") for c in children)


_UNNAMED_ONE = frozenset({"source", "insider", "official", "diplomat", "aide", "adviser", "advisor"})


def _unnamed_one(head: Token) -> bool:
    """'a source in the Kremlin', 'a senior official': one unnamed source, a group by the guideline (the
    definite 'the official' may be someone named before)."""
    return head.tag_ == "NN" and head.lower_ in _UNNAMED_ONE and any(
        c.dep_ == "det" and c.lower_ in ("a", "an", "one", "another") for c in head.children)


def _own_words(head: Token, span: Span) -> Span:
    """The words of a speaker phrase that may hold its own name: for a plural common noun, the
    phrase without its prepositional modifiers ("airlines at Brevik airport", "supporters of
    Lopez": the group speaks, not the place or person it is named after); for a proper name no
    actor covers, the phrase from its head on ("Brevik Transport" is not Brevik); else the whole
    phrase."""
    # "Sources close to the club": an adjective phrase after the noun modifies it as a prepositional phrase does
    preps = [c for c in head.children if c.dep_ in ("prep", "amod") and c.i > head.i]
    # a capitalised plural opening a sentence is often tagged NNPS: without an entity it is still a noun
    plural = head.tag_ == "NNS" or (head.tag_ == "NNPS" and not head.ent_type_) or _unnamed_one(head)
    if plural and preps and span.start < min(c.i for c in preps) <= span.end:
        return span.doc[span.start : min(c.i for c in preps)]
    if head.pos_ == "PROPN" and span.start <= head.i < span.end:
        # ... up to an appositive: "Reinholt, Arvo's chief executive" is not Arvo
        appos = [c.left_edge.i for c in head.children if c.dep_ == "appos" and c.i > head.i]
        return span.doc[head.i : max(head.i + 1, min([span.end, *appos]))]
    return span


def _spoken_for(head: Token, actors: ActorIndex) -> tuple[str, Actor | None, str] | None:
    """'a spokeswoman for the coastguard': the body an unnamed spokesperson speaks for (the
    guideline's speaker), as its actor or, when none is known, its words without the article."""
    prep = next((c for c in head.children if c.dep_ == "prep" and c.lower_ == "for" and c.i > head.i), None)
    bodies = [c for c in prep.children if c.dep_ == "pobj"] if prep is not None else []
    body = bodies[0] if bodies else None
    after = body.doc[body.i + 1] if body is not None and body.i + 1 < len(body.doc) else None
    if body is not None and body.pos_ == "NOUN" and after is not None and after.pos_ == "PROPN" \
            and after.ent_type_ in ("ORG", "GPE", "NORP") and after.ent_iob_ == "B":
        body = after  # "the players' union VDV": a name right after the noun is the body's name, however parsed
    if body is None:  # "a foreign ministry spokesman", "a Kremlin spokeswoman": the body is the noun before
        body = next((c for c in head.children if c.dep_ == "compound" and c.i == head.i - 1), None)
        if body is not None and actors.actor_at(body) is None and actors.described.get(body.i) is None:
            words = [t for t in body.subtree if t.dep_ in ("compound", "amod") or t.i == body.i]
            return " ".join(t.text for t in words), None, "organization"
    if body is None or body.pos_ == "PRON":
        return None
    actor = actors.actor_at(body) or actors.described.get(body.i)
    if actor is not None:
        return actor.name, actor, actor.kind
    words = [t for t in body.subtree if t.dep_ not in ("det", "relcl", "acl", "punct") and t.head.dep_ not in (
        "relcl", "acl")]
    return " ".join(t.text for t in words), None, "person" if body.ent_type_ == "PERSON" else "organization"


def _closing_apposition(text: str, span: Span, actor: Actor) -> bool:
    """A mention of ``actor`` ends ``span`` right after a comma ("the maker of X, Orvane Pharma")."""
    return any(e == span.end_char and text[max(0, s - 2) : s] == ", " for s, e in actor.mentions)


def source_of(head: Token, actors: ActorIndex, bounds: tuple[int, int] | None = None) -> Source:
    """The speaker named by the noun phrase headed by ``head`` (or lying in ``bounds``): its words,
    canonical name, kind and role."""
    doc = head.doc
    text = doc_text(doc)
    if head.tag_ in ("WP", "WDT") and head.head.dep_ == "relcl" and bounds is None:
        # "Lopez, who has said …": the relative pronoun is the words, its antecedent the speaker
        antecedent = source_of(head.head.head, actors)
        return Source(head.idx, head.idx + len(head.text), antecedent.name, antecedent.kind, antecedent.actor,
                      antecedent.role)
    children = [(c, c.dep_) for c in head.children]
    appos = [c for c, dep in children if dep == "appos"] if bounds is None else []
    # "Priya Nand of …" parsed with "Nand" in apposition to "Priya": a word inside the head's own name is the name
    appos = [c for c in appos if not (c.i == head.i + 1 and c.ent_iob_ == "I" and head.ent_iob_ in ("B", "I"))]
    relcl = [c for c, dep in children if dep == "relcl" or (dep == "acl" and c.tag_ == "VBG")]
    start, end = bounds or trim(text, *subtree_bounds(head, {c.i for c in appos + relcl}))
    name_end = end  # the words stay as written (PolNeAR's source spans keep an appositive) but a name
    named_in = appos or [c for c, dep in children if dep == "appos" and start < c.left_edge.idx < end]
    for c in named_in:  # ends before it: the comma closing an appositive hangs on the head
        if c.i > head.i:
            name_end = min(name_end, trim(text, start, c.left_edge.idx, _EDGE + "([")[1])
    if bounds is None:
        # a clause set off by a comma describes the speaker rather than naming it:
        # "Two diplomats familiar with the talks, who asked not to be named", "papers, seen by the Gazette"
        for t in head.subtree:
            if t.dep_ in ("relcl", "acl") and t.i > head.i and t.left_edge.i > 0 and doc[t.left_edge.i - 1].text == ",":
                end = min(end, trim(text, start, doc[t.left_edge.i - 1].idx)[1])
    role = None
    if appos:
        named = appos[0]
        a_start, a_end = trim(text, *subtree_bounds(named))
        if named.pos_ == "PROPN" and head.pos_ != "PROPN" and not head.ent_type_:
            # "The mayor, Clara Jensen, said": the appositive names, the head is the role
            role = text[start : head.idx + len(head.text)]
            (start, end), head = (a_start, a_end), named
        else:
            role = text[a_start:a_end]
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or not len(span):
        return Source(start, end, text[start:end], "unknown", None, role)
    own_name = text[start : min(name_end, end)] if start < min(name_end, end) else span.text
    lower = head.lower_
    if lower == "it" and len(span) == 1 and (document := _document_before(head, actors)) is not None:
        return Source(start, end, document[0], "document", document[1], None)  # "The study … It found"
    if lower in PERSONAL_PRONOUNS and len(span) == 1:
        kind = PERSONAL_PRONOUNS[lower]
        actor = actors.resolve_pronoun(head, "person" if kind == "person" else "organization")
        if actor is None and kind == "group":
            return Source(start, end, span.text, "group", None, None)
        if actor is None:
            return Source(start, end, span.text, "unknown", None, None)
        return Source(start, end, actor.name, actor.kind, actor, None)
    actor = actors.actor_at(head)
    if actor is None:
        possessor = next((c for c in head.children if c.dep_ == "poss"), None)
        owner = actors.actor_at(possessor) if possessor is not None else None
        if owner is None or owner.kind != "person":
            actor = actors.actor_for(_own_words(head, span))
        elif head.lower_ in SPOKESPERSON_NOUNS:  # "Trump's spokeswoman" speaks for Trump
            return Source(start, end, owner.name, "person", owner, head.text)
        # else "Erdogan's office", "Trump's lawyers", "Trump's tweet": the possessed noun is the source, not its owner
        if actor is not None and span[0].lower_ == "the" and head.lower_ in TITLE_WORDS \
                and head.lower_ not in SPOKESPERSON_NOUNS and (titled := actors.resolve_description(head)) is not None:
            # "the Kalesh minister": a name modifying a title is the office's country or body, not its holder
            return Source(start, end, titled.name, "person", titled, None)
    described = actors.described.get(head.i) if actor is None else None
    if described is not None:  # "the ministry", "the carmaker", "the minister": coreference (coref.py)
        return Source(start, end, described.name, described.kind, described, role)
    if head.lower_ in SPOKESPERSON_NOUNS and (body := _spoken_for(head, actors)) is not None:
        return Source(start, end, body[0], body[2], body[1], role or head.text)
    if head.lower_ in DOCUMENT_NOUNS or head.lemma_.lower() in DOCUMENT_NOUNS:
        # the author "by" / "from" names comes first: "a study by X published in the journal Y" is X's, although Y
        # is the phrase's other name
        if actors.actor_at(head) is None and (author := document_author(head, actors)) is not None:
            return Source(start, end, author[0], "document", author[1], role)
        if actor is None and _bare_definite(head) and (named := earlier_document(head, actors)) is not None:
            return Source(start, end, named[0], "document", named[1], role)  # "The data suggest …"
        if actor is None and _unowned_count(head, actors):
            return Source(start, end, "", "unknown", None, role)  # results, figures: nobody named
        return Source(start, end, actor.name if actor else own_name, "document", actor, role)
    if actor is not None and actor.kind == "person":
        ent = next((e for e in ents_in(span) if e.label_ == "PERSON"), None)
        if role is None and ent is not None:
            role = _role_prefix(span, ent)
        actor.add_role(role)
        return Source(start, end, actor.name, "person", actor, role)
    if actor is not None and (head.ent_type_ or head.pos_ == "PROPN"):
        return Source(start, end, actor.name, actor.kind, actor, role)
    if actor is not None and head.lemma_.lower() in ORG_NOUNS and _closing_apposition(text, span, actor):
        # "The maker of velostan, Orvane Pharma": the body's name closes the phrase after a comma, however parsed
        return Source(start, end, actor.name, actor.kind, actor, text[start : head.idx + len(head.text)])
    if span[0].lower_ == "the" and head.lower_ in TITLE_WORDS:
        described = actors.resolve_description(head)
        if described is not None:
            return Source(start, end, described.name, "person", described, None)
    if span[0].lower_ in ("its", "their") and head.lower_ in TITLE_WORDS and head.lower_ not in SPOKESPERSON_NOUNS \
            and (named := actors.untitled_near(head, forward=True)) is not None:
        # "…, its president said on Wednesday. Bernd Lautenschläger told …": a lead names the office, the
        # next sentence the holder
        return Source(start, end, named.name, "person", named, None)
    if head.tag_ in ("NNS", "NNPS") or (head.lower_ in GROUP_NOUNS and head.tag_ != "NN") or _unnamed_one(head):
        # a group is named without its prepositional modifiers ("Diplomats from both sides": Diplomats)
        words = _own_words(head, span)
        return Source(start, end, words.text if len(words) < len(span) else own_name, "group", None, role)
    if head.lower_ in TITLE_WORDS or head.ent_type_ == "PERSON":
        return Source(start, end, own_name, "person", None, role or own_name)
    if head.pos_ == "PROPN" and len(own_name.split()) in (2, 3) and own_name.split()[0].lower() in actors.name_genders \
            and not company_name(own_name):
        return Source(start, end, own_name, "person", None, role)  # a name the tagger missed: "• Tomas Reinholt, …"
    if head.ent_type_ in ("ORG", "GPE", "NORP") or head.pos_ == "PROPN" or head.lemma_.lower() in BODY_NOUNS:
        return Source(start, end, own_name, "organization", None, role)
    return Source(start, end, own_name, "unknown", None, role)


def speaker_bounds(source: Source) -> tuple[int, int] | None:
    """Where the speaker is named; None for a source that names nobody (results, a count)."""
    return None if source.kind == "unknown" and not source.name else (source.start, source.end)


def _can_speak(noun: Token) -> bool:
    """A noun that may be the subject of a cue: a name, a personal pronoun, a body, a group of
    people or a title ("the union", "officials", "the minister"); not a thing ("the turbines")."""
    lemma = noun.lemma_.lower()
    return bool(noun.ent_type_ in ("PERSON", "ORG", "NORP", "GPE") or noun.pos_ == "PROPN"
                or noun.lower_ in PERSONAL_PRONOUNS or noun.tag_ in ("WP", "WDT") or lemma in BODY_NOUNS
                or lemma in GROUP_NOUNS or lemma in TITLE_WORDS or lemma in ORG_NOUNS or lemma in DOCUMENT_NOUNS)


def coordinated_cue_host(verb: Token) -> Token | None:
    """The cue a second cue is coordinated with when the parser hung the second on the first one's
    content: in "The union said the plan would fail and vowed to fight it", "vowed" is parsed as a
    conjunct of "fail" yet shares the subject of "said". It does when the second cue has the first
    one's verb form and no auxiliary of its own, and the content verb carries an auxiliary ("would
    fail … and vowed"), has another form, or has a subject that cannot speak ("a report found that
    noise raised the risk and recommended …"). None when the second cue belongs to the content
    ("said the port would automate and would guarantee every job")."""
    if verb.dep_ != "conj" or not is_cue_verb(verb) or any(c.dep_ in ("nsubj", "nsubjpass") for c in verb.children):
        return None
    host = content = verb.head
    while content.dep_ == "conj" and content.head.i != content.i:
        content = content.head
    if content.dep_ != "ccomp" or content.head.i > verb.i or not is_cue_verb(content.head):
        return None
    outer = content.head
    if any(c.dep_ in ("aux", "auxpass") for c in verb.children) or verb.tag_ != outer.tag_:
        return None  # "said the port would cut jobs and would guarantee pay": still the content
    host_aux = any(c.dep_ in ("aux", "auxpass") and c.i < host.i for c in host.children)
    subject = next((c for c in host.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if host_aux or host.tag_ != verb.tag_ or (subject is not None and not _can_speak(subject)):
        return outer
    return None


def _per_document(doc: Doc, key: str, read: Callable[[str], Any]) -> Any:
    """``read(text)`` of the document, read once per document (on the token index's memo), not once per question."""
    memo = token_index(doc).memo
    if key not in memo:
        memo[key] = read(doc_text(doc))
    return memo[key]


def _in_dateline(token: Token) -> bool:
    """The token lies in one of the article's datelines (found once per document, on the token index's memo)."""
    datelines = _per_document(token.doc, "datelines", find_datelines)
    return any(s <= token.idx < e for s, e in datelines)  # type: ignore[attr-defined]


def subject_of(verb: Token) -> Token | None:
    """The clause subject of a verb, following conjunctions and control verbs up the tree; for a
    passive, the agent ("it was reported by the broadcaster that …"). A second cue hung on the
    first one's content takes the first one's subject (``coordinated_cue_host``)."""
    host = coordinated_cue_host(verb)
    if host is not None:
        verb = host
    for _ in range(4):
        children = list(verb.children)
        agent = next((c for c in children if c.dep_ == "agent"), None)
        pobj = next((c for c in agent.children if c.dep_ == "pobj"), None) if agent is not None else None
        for child in children:
            if child.dep_ in ("nsubj", "nsubjpass") and _in_dateline(child):
                continue  # "HARLOW COUNTY — A judge ordered …": the parser's first subject is the dateline
            if child.dep_ == "nsubj" or (child.dep_ == "nsubjpass" and child.lower_ not in ("it", "there")):
                return child
            if child.dep_ == "nsubjpass":  # impersonal passive: only an agent can be the source
                return pobj
        if pobj is not None:
            return pobj
        if verb.dep_ not in ("conj", "xcomp", "advcl") or verb.head.i == verb.i:
            return None
        verb = verb.head
    return None


_SKIP_LEFT = {"all", "also", "both", "each", "then", "later", "reportedly", "separately", "too", "have", "has", "had"}


def _age_end(token: Token) -> bool:
    """The last word of "the 52-year-old", a noun phrase without a noun."""
    doc, i = token.doc, token.i
    return token.lower_ == "old" and i >= 2 and doc[i - 1].text == "-" and doc[i - 2].lower_ in ("year", "years")


def recover_subject(verb: Token) -> tuple[int, int, Token] | None:
    """A subject the parser lost: the noun phrase just left of the verb, skipping adverbs and a
    relative clause ('… officials and diplomats who talked to CNN all expressed …')."""
    doc = verb.doc
    sent = sentence_of(verb.doc, verb.i)
    j = verb.i - 1
    while j >= sent.start and (doc[j].lower_ in _SKIP_LEFT or doc[j].dep_ in ("advmod", "aux", "neg")):
        j -= 1
    # step over a relative clause back to the noun it modifies
    k = j
    while k >= sent.start and doc[k].lower_ not in ("who", "which", "that") and doc[k].text not in ",;":
        k -= 1
    if k >= sent.start and doc[k].lower_ in ("who", "which") and k - 1 >= sent.start:
        j = k - 1
    if j < sent.start or (doc[j].pos_ not in ("NOUN", "PROPN") and not _age_end(doc[j])):
        return None
    head = doc[j]
    i = j
    while i - 1 >= sent.start and (doc[i - 1].pos_ in ("NOUN", "PROPN", "ADJ", "CCONJ", "DET", "NUM")
                                   or doc[i - 1].tag_ == "HYPH"):
        i -= 1
    while i < j and doc[i].pos_ == "CCONJ":
        i += 1
    return doc[i].idx, head.idx + len(head.text), head


# --- channels -------------------------------------------------------------------------------


def channel_name(np_head: Token) -> tuple[int, int, str, str]:
    """A channel from its noun phrase: the outlet's proper name where there is one
    ('Russian state news agency RIA' -> RIA)."""
    doc = np_head.doc
    # a clause on the noun is no part of the channel ("in a statement that …": the statement's content)
    start, end = trim(doc_text(doc), *subtree_bounds(np_head, {
        c.i for c in np_head.children if c.dep_ in ("acl", "relcl") and c.i > np_head.i
        and any(g.dep_ == "mark" and g.lower_ == "that" for g in c.children)}))
    name = doc_text(doc)[start:end]
    kind = "outlet"
    after = doc[np_head.i + 1] if np_head.i + 1 < len(doc) else None
    if np_head.pos_ == "NOUN" and np_head.lower_ in CHANNEL_NOUNS and after is not None and after.pos_ == "PROPN" \
            and (ent := entity_at(after)) is not None and ent.start == after.i and ent.label_ in _OUTLET_LABELS:
        # "the radio station Polar FM", "the state news agency Xinhua quoted": the name after the noun, however
        # the parser hung it
        return start, max(end, ent.end_char), ent.text, kind
    named = next((c for c in np_head.children if c.dep_ == "appos" and c.pos_ == "PROPN"), None)
    if np_head.pos_ == "NOUN" and named is not None and not np_head.ent_type_:
        np_head = named  # "the state broadcaster RTP": the appositive is the outlet's name
    if np_head.pos_ == "PROPN" or np_head.ent_type_:
        left = np_head.i
        while left > 0 and doc[left - 1].dep_ in ("compound", "flat") and doc[left - 1].pos_ == "PROPN":
            left -= 1
        ent = entity_at(np_head)
        number = _numbered(np_head)
        last = number.i if number is not None else np_head.i
        name = ent.text if ent is not None and ent.label_ != "NORP" else doc[left : last + 1].text
    else:
        span = doc.char_span(start, end, alignment_mode="expand")
        ents = [e for e in ents_in(span) if e.label_ in _OUTLET_LABELS and e.label_ != "NORP"] if span else []
        if ents:
            name = ents[-1].text
        if np_head.lower_ in ("statement", "letter", "memo", "post", "tweet", "report", "filing"):
            kind = "document"
    return start, end, name, kind


def _numbered(token: Token) -> Token | None:
    """The number that closes a name ("News 7", "Channel 4"): a broadcaster's, as no person's name has one."""
    return next((c for c in token.children if c.dep_ == "nummod" and c.i == token.i + 1 and c.like_num), None) \
        if token.pos_ == "PROPN" and token.ent_type_ != "PERSON" else None


def _is_outlet(token: Token) -> bool:
    return token.ent_type_ in ("ORG", "WORK_OF_ART", "PRODUCT", "FAC") or token.lower_ in CHANNEL_NOUNS or (
        token.pos_ == "PROPN" and token.ent_type_ not in ("PERSON", "GPE", "NORP") and token.is_upper
    ) or _numbered(token) is not None


def _credited(token: Token) -> bool:
    """A name the article's datelines credit as its agency ("told Wire" under "PORT ELIM (Wire) -")."""
    return token.pos_ == "PROPN" and token.text in _per_document(token.doc, "dateline_credits", dateline_credits)


def _definite_name(token: Token) -> bool:
    """A proper name of two words or more with "the" ("told the Kellan Echo", whatever the tagger's
    label, PERSON included): a newspaper's or broadcaster's title; a person's name takes no article
    (one-word titles are left alone: "the Pope")."""
    children = list(token.children)
    return (token.tag_ == "NNP" and token.ent_type_ != "NORP" and token.lower_ not in TITLE_WORDS
            and any(c.dep_ == "det" and c.lower_ == "the" for c in children)
            and any(c.dep_ == "compound" and c.tag_ == "NNP" for c in children))


def _foreign_article_title(token: Token) -> bool:
    """A two-word name told something that opens with another language's definite article and that the
    article never names again ("told Der Spiegel", "told Le Monde", "told El País"): a paper's or
    broadcaster's title, whatever the tagger's label ("Le Pen" is named again, as "Marine Le Pen")."""
    ent = entity_at(token)
    words = list(ent) if ent is not None else [token.doc[token.i - 1], token] if token.i else [token]
    if token.pos_ != "PROPN" or len(words) != 2 or words[0].text not in _FOREIGN_ARTICLES:
        return False
    return sum(t.text == words[-1].text for t in token.doc) == 1


def channels_of(verb: Token, speaker: tuple[int, int] | None) -> list[tuple[int, int, str, str]]:
    """Channels on a reporting verb ('told CNN', 'in an interview with …', 'on state TV') and on
    its subject ('officials who talked to CNN')."""
    found = []
    telling = verb.lemma_ in ("tell", "say")
    for child in verb.children:
        if child.dep_ in ("dative", "dobj") and telling and (_is_outlet(child) or _definite_name(child)
                                                              or _credited(child) or _foreign_article_title(child)):
            found.append(channel_name(child))
        elif child.dep_ == "prep" and child.lower_ in ("in", "on", "to", "during", "via", "through"):
            pobj = next((c for c in child.children if c.dep_ == "pobj"), None)
            if pobj is None:
                continue
            with_ = [c for c in pobj.children if c.dep_ == "prep" and c.lower_ in ("with", "to", "on")]
            inner = next((c for w in with_ for c in w.children if c.dep_ == "pobj"), None)
            if inner is not None and _is_outlet(inner):
                found.append(channel_name(inner))
            elif pobj.lower_ in CHANNEL_NOUNS or (_is_outlet(pobj) and child.lower_ != "in"):
                found.append(channel_name(pobj))
    if speaker is not None and speaker[0] < verb.idx:  # "officials who talked to CNN said"
        doc = verb.doc
        tokens = token_range(doc, speaker[0], verb.idx)
        for t in doc[tokens[0] : tokens[1]] if tokens else []:
            if t.dep_ not in ("pobj", "dative", "dobj"):
                continue
            head = t.head
            told = head.lemma_ in ("to", "talk", "speak", "tell")
            seen = head.lower_ == "by" and head.head.lemma_ in ("see", "obtain", "review", "leak", "publish")
            if (told and _is_outlet(t)) or (seen and t.pos_ == "PROPN"):
                found.append(channel_name(t))
    return found


def according_to_phrases(sent: Span) -> list[tuple[Token, Token]]:
    """('according' token, head noun of its object) for each 'according to X' in a sentence."""
    if "according" not in doc_text(sent.doc)[sent.start_char : sent.end_char].lower():
        return []  # most sentences: no need to look at every token
    out = []
    for t in sent:
        if t.lower_ == "according" and t.i + 1 < len(t.doc) and t.doc[t.i + 1].lower_ == "to":
            to = t.doc[t.i + 1]
            pobj = next((c for c in to.children if c.dep_ == "pobj"), None)
            if pobj is None:
                pobj = next((c for c in t.children if c.dep_ == "pobj"), None)
            if pobj is not None:
                out.append((t, pobj))
    return out


def according_phrase(according: Token, pobj: Token) -> tuple[int, int]:
    """Bounds of 'according to X': a fronted phrase ends at its comma (the parser often hangs the
    whole sentence on it); elsewhere it is the object's subtree."""
    text = doc_text(according.doc)
    end = subtree_bounds(pobj)[1]
    if according.i == sentence_of(according.doc, according.i).start or according.doc[according.i - 1].is_punct:
        comma = text.find(",", pobj.idx, end)
        if comma != -1:
            end = comma
    return according.idx, end


def when_of(sent: Span, content: tuple[int, int], cue: Token | None = None) -> str | None:
    """The time expression of the reporting clause ('on Friday'), if the sentence gives one: a date
    on the cue itself, or else anywhere outside the content when the sentence has no other cue."""
    for ent in ents_in(sent, ("DATE", "TIME")):
        if content[0] <= ent.start_char < content[1]:
            continue
        if cue is not None and cue not in (ent.root.head, ent.root.head.head):
            continue
        prev = ent.doc[ent.start - 1] if ent.start > sent.start else None
        if prev is not None and prev.lower_ in ("on", "in", "at", "during", "last", "earlier", "late"):
            return doc_text(ent.doc)[prev.idx : ent.end_char]
        return ent.text
    return None


# --- rules ----------------------------------------------------------------------------------


def cue_bounds(verb: Token) -> tuple[int, int]:
    """The cue with its auxiliaries and particles: 'has stated', 'pointed out'."""
    start, end = verb.idx, verb.idx + len(verb.text)
    for child in verb.children:
        if child.dep_ in ("aux", "auxpass", "neg") and child.i < verb.i and child.i >= verb.i - 3:
            start = min(start, child.idx)
        if child.dep_ == "prt" and child.i == verb.i + 1:
            end = child.idx + len(child.text)
    return start, end


def is_cue_verb(token: Token) -> bool:
    return token.pos_ in ("VERB", "AUX") and token.lemma_.lower() in SPEECH_VERBS


def clause_parsed_as_object(verb: Token) -> list[Token]:
    """A content clause the parser cut into an object and a conjunct: in "said a ban treated
    pupils like toddlers and would only teach them to hide", "ban" is the subject of a participle
    modifying the object "pupils" and "would … teach" hangs on "said". Such an object holds a verb
    with a noun of its own before it; conjuncts with an auxiliary and no subject continue the
    content (a conjunct with neither is the speaker's next act). Only for cues that take a clause,
    not an object."""
    if verb.lemma_.lower() in OBJECT_CONTENT_VERBS:
        return []
    obj = next((c for c in verb.children if c.dep_ == "dobj" and c.i > verb.i), None)
    # a verb modifying the object from its left has a noun of its own before it: "a ban treated
    # pupils" (the noun parsed as its subject or as an adverbial noun); a clause further inside the
    # object ("an inquiry into what she called …") does not count
    if obj is None or not any(v.pos_ == "VERB" and v.dep_ in ("amod", "acl") and any(
            n.dep_ in ("nsubj", "nsubjpass", "npadvmod") and n.pos_ in ("NOUN", "PROPN") for n in v.lefts)
            for v in obj.lefts):
        return []
    heads = [obj]
    for c in verb.children:
        if c.dep_ == "conj" and c.i > obj.i and not is_cue_verb(c) \
                and any(g.dep_ in ("aux", "auxpass") for g in c.children) \
                and not any(g.dep_ in ("nsubj", "nsubjpass") for g in c.children):
            heads.append(c)
    return heads


def _clause_on_channel(verb: Token) -> list[Token]:
    """'said in a statement that A': the parser hangs the that-clause on the noun of the phrase between
    cue and clause; a clause with 'that' as its complementiser and a subject of its own is the cue's."""
    for prep in (c for c in verb.children if c.dep_ == "prep" and c.i > verb.i):
        for noun in (c for c in prep.children if c.dep_ == "pobj"):
            for clause in noun.children:
                if clause.dep_ in ("acl", "relcl") and clause.i > noun.i and any(
                        g.dep_ == "mark" and g.lower_ == "that" for g in clause.children) and any(
                        g.dep_ in ("nsubj", "nsubjpass") for g in clause.children):
                    # a phrase after it that the parse left on the cue belongs to it (", nine of them children")
                    return [clause] + [c for c in verb.children if c.dep_ == "npadvmod" and c.i > clause.right_edge.i]
    return []


def _clause_content(verb: Token, text: str, cut: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The complement clause of a reporting verb, without 'that' and without attribution phrases."""
    clauses = [c for c in verb.children if c.dep_ in ("ccomp",) or (c.dep_ == "xcomp" and c.pos_ == "VERB"
               and any(g.dep_ == "mark" for g in c.children))]
    if clauses:  # "stated that A, but that B": B hangs on the verb as a conjunct
        clauses += [c for c in verb.children if c.dep_ == "conj" and any(g.dep_ == "mark" for g in c.children)]
    if not clauses and verb.lemma_.lower() in OBJECT_CONTENT_VERBS:
        clauses = [c for c in verb.children if c.dep_ == "dobj"]
    if not clauses and verb.lemma_.lower() == "deny":  # "denied all the charges": the denial's object is said
        clauses = [c for c in verb.children if c.dep_ == "dobj" and c.lemma_.lower() in DENIED_NOUNS]
    if not clauses:
        clauses = clause_parsed_as_object(verb) or _clause_on_channel(verb)
    if not clauses:
        return None
    start = min(subtree_bounds(c)[0] for c in clauses)
    end = max(subtree_bounds(c)[1] for c in clauses)
    end = min([end] + [cut_at for c in clauses if (cut_at := second_cue_start(c)) is not None])
    for c_start, _ in cut:  # a trailing ", according to X" belongs to the outer sentence
        if start < c_start < end:
            end = min(end, c_start)
    start, end = trim(text, start, end)
    mark = verb.doc.char_span(start, start + 4)
    if mark is not None and mark.text.lower() == "that" and mark[0].dep_ == "mark":
        start, end = trim(text, start + 4, end)
    return (start, end) if end > start else None


def second_cue_start(clause: Token) -> int | None:
    """Where a second cue coordinated inside ``clause`` begins ("… would fail | and vowed to
    fight"): the content ends before it (``coordinated_cue_host``). None when there is none."""
    end = None
    for t in clause.subtree:
        if t.dep_ == "conj" and coordinated_cue_host(t) is not None:
            joints = [c.i for c in t.head.children if c.dep_ in ("cc", "punct") and t.head.i < c.i < t.i]
            at = t.doc[min([*joints, t.left_edge.i])].idx
            end = at if end is None else min(end, at)
    return end


# Cues that ask someone to act: "urged X to Y", "called on X to Y", "asked X to Y".
DIRECTIVE_VERBS = frozenset({"urge", "call", "ask", "instruct", "advise", "implore", "press", "appeal"})


def directive_content(verb: Token, text: str) -> tuple[tuple[int, int], int] | None:
    """'urged councillors to reject it', 'called on the board to reopen talks': what is asked is the
    content, from the addressee to the end of the infinitive, as PolNeAR marks it (Newell, Margolin &
    Ruths 2018); with the end of the cue ("called on"). None unless the verb has both an addressee
    and a to-infinitive."""
    if verb.lemma_.lower() not in DIRECTIVE_VERBS or _hedged(verb):  # "would ask X to …": not yet asked
        return None
    addressee, cue_end = None, verb.idx + len(verb.text)
    for c in verb.children:
        if c.dep_ == "dobj" and c.i > verb.i and verb.lemma_.lower() != "call":  # "called a meeting to vote"
            addressee = c
        elif c.dep_ == "prep" and c.lower_ in ("on", "upon", "to") and c.i == verb.i + 1:
            pobj = next((g for g in c.children if g.dep_ == "pobj"), None)
            if pobj is not None and pobj.ent_type_ not in ("DATE", "TIME"):
                addressee, cue_end = pobj, c.idx + len(c.text)
    act = next((c for c in verb.children if c.dep_ == "xcomp" and c.i > verb.i
                and any(g.dep_ == "aux" and g.lower_ == "to" for g in c.children)), None)
    if act is None and addressee is not None:  # "urged councillors to …" parsed as the object's clause
        act = next((c for c in addressee.children if c.dep_ in ("acl", "relcl") and c.i > addressee.i
                    and any(g.dep_ == "aux" and g.lower_ == "to" for g in c.children)), None)
    if addressee is None or act is None or addressee.i > act.i:
        return None
    start, end = trim(text, addressee.left_edge.idx, subtree_bounds(act)[1])
    return ((start, end), cue_end) if end > start else None


# Verbs that name what their object is: "called the plan \u201ca gamble\u201d", "describes the figure as \u201c…\u201d".
NAMING_VERBS = frozenset({"call", "describe", "dub", "label", "brand", "term"})


def naming_content(verb: Token, text: str, quotes: Quotes) -> tuple[int, int] | None:
    """'called that rate "a fair price"': the object and the quoted words it is given, as one mixed
    content (the guideline's `what she called the 'sweetheart deal'` read as the speaker's words).
    None unless the object follows the verb and its complement (a second object, an object
    predicate, the object's appositive, or 'as' + noun) opens with a quotation mark."""
    if verb.lemma_.lower() not in NAMING_VERBS:
        return None
    obj = next((c for c in verb.children if c.dep_ == "dobj" and c.i > verb.i), None)
    if obj is None:
        return None
    # the quoted name may also hang on the object as its appositive ("calls the return \u201ca step back\u201d")
    for c in [*verb.children, *(a for a in obj.children if a.dep_ == "appos")]:
        if c.i <= obj.i:
            continue
        comp = c if c.dep_ in ("oprd", "dobj", "appos") else None
        if c.dep_ == "prep" and c.lower_ == "as":
            comp = next((g for g in c.children if g.dep_ == "pobj"), None)
        if comp is None:
            continue
        lo = comp.left_edge.idx
        quote = next((q for q in quotes.near(lo - 3, lo + 1) if lo - 3 <= q.open_mark <= lo), None)
        if quote is not None:
            return obj.left_edge.idx, quote.close_mark + 1
    return None


def _adjacent_quote(verb: Token, quotes: Quotes, speaker: tuple[int, int] | None) -> Quote | None:
    """A quotation right before or after the reporting clause: '“…,” X said' / 'X said: “…”'."""
    text = doc_text(verb.doc)
    sent = sentence_of(verb.doc, verb.i)
    left = min(verb.idx, speaker[0]) if speaker else verb.idx
    right = max(verb.idx + len(verb.text), speaker[1]) if speaker else verb.idx + len(verb.text)
    for q in quotes.near(left - 4, left):
        gap_before = text[q.close_mark + 1 : left]
        ends_clause = text[q.close_mark - 1] in ",?!." or "," in gap_before or any(d in gap_before for d in _DASHES)
        # (not across a paragraph break: a quote ending one paragraph is not the next paragraph's speaker's)
        if q.close_mark < left and len(gap_before) <= 3 and not gap_before.strip(" ,-\n" + _DASHES) and ends_clause \
                and "\n\n" not in gap_before:
            return q
    for q in quotes.near(right, max(sent.end_char + 2, right + 40)):
        gap_after = text[right : q.open_mark]
        if gap_after.rsplit("\n", 1)[-1].strip() and "\n" in gap_after:
            continue  # words on a later line ("SAID\n\n• Name, role: “…”") are that line's own speaker
        if (right <= q.open_mark and q.open_mark < sent.end_char + 2 and not gap_after.strip(" ,:-\n" + _DASHES)) or (
            right <= q.open_mark and len(gap_after) < 40 and gap_after.strip().endswith(":")
        ):
            return q
    return None


def _hedged(verb: Token) -> bool:
    """A modal on the verb ('would rule', 'can reveal'): a possible or future act, not a report."""
    return any(c.dep_ == "aux" and c.tag_ == "MD" for c in verb.children)


_TRAILING_DEPS = frozenset({"nsubj", "nsubjpass", "aux", "auxpass", "neg", "advmod", "punct"})


def _trailing_clause(verb: Token) -> bool:
    """The cue closes its sentence after a comma, with a subject and nothing it reports of its own:
    "…, its annual report shows." is a reporting clause on the clause before, whatever the parse."""
    doc = verb.doc
    left = min(t.i for t in verb.subtree if not t.is_punct)  # the comma itself often hangs on the cue
    after = doc[verb.i + 1] if verb.i + 1 < len(doc) else None
    # only a subject, auxiliaries and adverbs of its own: "whatever the union said" has an object, "as X said" a mark
    return (verb.i > verb.head.i and left > 0 and doc[left - 1].text == ","
            and any(c.dep_ in ("nsubj", "nsubjpass") and c.i < verb.i for c in verb.children)
            and all(c.dep_ in _TRAILING_DEPS and c.tag_ not in ("WDT", "WP", "WRB") and (c.i < verb.i or c.is_punct)
                    for c in verb.children)
            and (after is None or after.is_punct or after.is_space))


def _host_clause(verb: Token, text: str) -> tuple[int, int] | None:
    """'The plan will fail, he said.': the reporting clause hangs on the clause it reports (the
    parser's parataxis); the content is that clause without the reporting clause."""
    host = verb.head
    # "…, its annual report shows.": a trailing reporting clause the parser took for the host's complement
    reporting = verb.dep_ == "parataxis" or (verb.dep_ == "ccomp" and _trailing_clause(verb))
    if not reporting or host.pos_ not in ("VERB", "AUX") or _hedged(verb):
        return None
    if host.i > verb.i:
        return _parenthetical_host(verb, text)
    start, end = subtree_bounds(host, {verb.i})
    end = min(end, verb.left_edge.idx)
    start, end = trim(text, start, end)
    return (start, end) if end > start else None


def _parenthetical_host(verb: Token, text: str) -> tuple[int, int] | None:
    """'Parking fees, a spokeswoman said, were a matter for the council': a reporting clause set off
    by commas (or dashes) inside the clause it reports, after that clause's subject. The content is
    the whole host clause, the parenthesis included, as a content is one span."""
    host, doc = verb.head, verb.doc
    words = [t.i for t in verb.subtree if not t.is_punct]  # the commas often hang on the cue itself
    left, right = words[0], words[-1]
    if left == 0 or right + 1 >= len(doc) or doc[left - 1].text not in ",\u2014\u2013" \
            or doc[right + 1].text not in ",\u2014\u2013":
        return None
    subject = next((c for c in host.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subject is None or subject.i >= left or host.i <= right:
        return None
    start, end = trim(text, *subtree_bounds(host))
    return (start, end) if end > start else None


def _to_fragment_end(text: str, clause: tuple[int, int], quotes: Quotes, sent_end: int) -> tuple[int, int]:
    """A quoted fragment ends the reported clause, though the parser hangs it on the cue: the clause
    runs to its closing mark when a fragment opened inside it closes later in the sentence ('it was
    "a modest step, but a real one."'), or when a lower-case fragment follows it after a comma and
    ends the sentence ('was moving in the right direction, "but slowly."')."""
    start, end = clause
    for q in quotes.near(start, sent_end):
        if start <= q.open_mark < end <= q.close_mark < sent_end:
            return start, q.close_mark + 1
        if (end <= q.open_mark and q.close_mark < sent_end and text[end:q.open_mark].strip() == ","
                and text[q.start:q.start + 1].islower() and not text[q.close_mark + 1:sent_end].strip(" .!?")):
            return start, q.close_mark + 1
    return clause


def _passive_participle(verb: Token) -> bool:
    """'the report cited by X', 'Asked whether …, the minister said': a participle without an
    auxiliary reports what was said to or of the noun it qualifies, who is no speaker of it."""
    return verb.tag_ == "VBN" and (verb.dep_ == "acl" or (verb.dep_ == "advcl" and not any(
        c.dep_ in ("aux", "auxpass", "nsubj", "nsubjpass") for c in verb.children)))


def _quoted_as_saying(verb: Token) -> tuple[Token, Token | None] | None:
    """'X quoted Y as saying …' (and a verb coordinated with that one, 'X quoted Y as saying A but hoped B'):
    the quoted Y speaks and X relays; as (speaker, relay)."""
    quote = verb.head.head if verb.dep_ == "pcomp" and verb.head.lower_ == "as" else None
    if quote is None and verb.dep_ == "conj" and verb.head.i < verb.i:
        head = verb.head  # the parser hangs a second verb of Y's on "quoted"
        if any(c.dep_ == "prep" and c.lower_ == "as" and c.i < verb.i and any(
                g.dep_ == "pcomp" and is_cue_verb(g) for g in c.children) for c in head.children):
            quote = head
    if quote is None or quote.lemma_.lower() != "quote":
        return None
    quoted = next((c for c in quote.children if c.dep_ == "dobj"), None)
    if quoted is None:
        return None
    return quoted, subject_of(quote)


def _citing(verb: Token) -> Token | None:
    """'X, citing Y, claimed …': the cited Y is the cue's source and X its relay; the cited noun."""
    for child in verb.children:
        if child.dep_ in ("advcl", "xcomp") and child.lemma_.lower() == "cite" and child.tag_ == "VBG":
            cited = next((c for c in child.children if c.dep_ == "dobj"), None)
            if cited is not None and _can_speak(cited) and cited.lemma_.lower() not in DOCUMENT_NOUNS | BODY_NOUNS - {
                    "source", "official"}:
                return cited
    return None


def _relayed(verb: Token, subject: Token | None) -> tuple[Token | None, Token | None]:
    """The cue's source and its relay, when the sentence names a relay ('X quoted Y as saying',
    'X, citing Y, claimed'); else the subject and None."""
    if (quoted := _quoted_as_saying(verb)) is not None:
        return quoted
    if subject is not None and (cited := _citing(verb)) is not None:
        return cited, subject
    return subject, None


def _relay_via(relay: Token | None, quotes: Quotes, actors: ActorIndex) -> list[tuple[int, int, str, str]]:
    """The relay as a channel: an outlet, or the person or document that passed the words on."""
    if relay is None or in_quote(quotes, relay.idx):
        return []
    if relay.lower_ in CHANNEL_NOUNS:  # "the state news agency Xinhua quoted"
        return [channel_name(relay)]
    relayed = source_of(relay, actors)
    kind = {"organization": "outlet", "person": "person", "document": "document"}.get(relayed.kind, "organization")
    return [(relayed.start, relayed.end, relayed.name, kind)]


def _source_marker(verb: Token) -> bool:
    """'citing Y' on a reporting verb names that verb's source: no statement of its own."""
    if verb.lemma_.lower() != "cite" or verb.tag_ != "VBG":
        return False
    if is_cue_verb(verb.head) and _citing(verb.head) is not None:
        return True
    # "X reported, citing Y, that …" where the parser hung the participle on the reported clause's verb
    doc = verb.doc
    return verb.i >= 2 and doc[verb.i - 1].text == "," and is_cue_verb(doc[verb.i - 2])


def verb_attributions(sent: Span, quotes: Quotes, actors: ActorIndex, cut: list[tuple[int, int]]) -> list[Found]:
    text = doc_text(sent.doc)
    found = []
    for verb in with_pos(sent, ("VERB", "AUX")):
        if not is_cue_verb(verb) or in_quote(quotes, verb.idx) or _passive_participle(verb):
            continue
        subject, relay = _relayed(verb, subject_of(verb))
        bounds = None
        if subject is None and verb.dep_ in ("acl", "relcl", "conj", "ROOT", "advcl"):
            recovered = recover_subject(verb)
            if recovered is not None:
                *bounds, subject = recovered
        impersonal = subject is None and any(c.dep_ == "nsubjpass" and c.lower_ == "it" for c in verb.children)
        if impersonal:  # "It has been claimed that …": attributed, to nobody named
            clause = _clause_content(verb, text, cut)
            if clause is not None:
                found.append(Found(clause, form_of(text, *clause, quotes), cue_bounds(verb), None, None, "unknown",
                                   None, None, channels_of(verb, None), when_of(sent, clause, verb), verb.i,
                                   rule="verb"))
            continue
        if subject is None or in_quote(quotes, subject.idx) or subject.lower_ in ("i", "we", "you"):
            continue
        source = source_of(subject, actors, tuple(bounds) if bounds else None)
        speaker = speaker_bounds(source)
        clause = _clause_content(verb, text, cut)
        quote, cue = None, cue_bounds(verb)
        if clause is not None:
            quote = quote_containing(quotes, *clause)
            if quote is None:
                clause = _to_fragment_end(text, clause, quotes, sent.end_char)
        named = naming_content(verb, text, quotes) if clause is None else None
        if named is not None:  # the verb's own quoted words; a quotation before it is someone's earlier
            clause = named
        elif quote is None and (clause is None or verb.dep_ in ("parataxis", "ROOT")):
            adjacent = _adjacent_quote(verb, quotes, speaker)
            if adjacent is not None and (clause is None or (adjacent.open_mark <= clause[0]
                                                             and clause[1] <= adjacent.close_mark + 1)):
                quote = adjacent
        if quote is not None:
            start, end = trim(text, quote.start, quote.end, " \n,")
            content, form = (start, end), "direct"
        elif clause is not None:
            content, form = clause, form_of(text, *clause, quotes)
        elif (host := _host_clause(verb, text)) is not None:
            content, form = host, form_of(text, *host, quotes)
        elif (directive := directive_content(verb, text)) is not None:
            content, cue_end = directive
            form, cue = form_of(text, *content, quotes), (cue[0], max(cue[1], cue_end))
        else:
            continue
        via = channels_of(verb, speaker) + _relay_via(relay, quotes, actors)
        found.append(Found(content, form, cue, speaker, source.name, source.kind, source.actor,
                           source.role, via, when_of(sent, content, verb), verb.i, rule="verb"))
    return found


# Relations a learned cue may take its content on: a clause, an object, a complement, or the object
# of a preposition ("spoke about X", "called for X").
_CONTENT_RELATIONS = ("ccomp", "xcomp", "dobj", "oprd", "acomp", "dative", "advcl", "prep")
# P(cue | lemma with that dependent) from training, at or above which a verb is a cue: a clause
# ("suggested that …") is reported speech or thought far more often than an object ("rejected X")
LEARNED_RATE_CLAUSE = 0.2
LEARNED_RATE = 0.5
LEARNED_MIN = 3  # times a lemma must have been a cue in training


def _object_control(verb: Token, obj: Token) -> bool:
    """'V NP to-VP' ("ordered the county to reopen", "forced them to leave"): the verb has a to-infinitive
    after its object, so the object is the one directed or made to act."""
    return any(c.dep_ == "xcomp" and c.i > obj.i and any(g.dep_ == "aux" and g.lower_ == "to" for g in c.children)
               for c in verb.children)


def _learned_content(verb: Token) -> tuple[str, list[Token]] | None:
    """The dependent that holds the content of ``verb`` if the learned lexicon says a verb of this
    lemma with such a dependent is usually a cue: (relation, heads of the content)."""
    entry = learned_cues().get(f"{verb.lemma_.lower()}/{verb.pos_}")
    if entry is None or entry.cue < LEARNED_MIN:
        return None
    best: tuple[float, str, list[Token]] | None = None
    for child in verb.children:
        if child.dep_ in _CONTENT_RELATIONS:
            relation, heads = child.dep_, [child]
        elif child.dep_ == "prep" and child.i > verb.i and "prep" in _CONTENT_RELATIONS:
            relation = f"prep:{child.lower_}"
            heads = [c for c in child.children if c.dep_ in ("pobj", "pcomp")]
        else:
            continue
        if relation == "dobj" and _object_control(verb, child):
            continue  # "ordered the county to reopen it": the object is who is made to act, not what is said
        rate = entry.rate(relation)
        if relation != "ccomp" and (rate < LEARNED_RATE or any(h.tag_ in ("WDT", "WP") for h in heads)):
            continue
        if heads and rate >= LEARNED_RATE_CLAUSE and (best is None or rate > best[0]):
            best = (rate, relation, heads)
    return (best[1], best[2]) if best else None


def learned_attributions(sent: Span, quotes: Quotes, actors: ActorIndex, cut: list[tuple[int, int]],
                         taken: set[int]) -> list[Found]:
    """Verbs the learned lexicon marks as cues with the dependent they have ('cited X', 'called for X',
    'wants to X'), for verbs no hand-written rule took."""
    text = doc_text(sent.doc)
    found = []
    for verb in with_pos(sent, ("VERB",)):
        if verb.i in taken or in_quote(quotes, verb.idx):
            continue
        if _passive_participle(verb):
            continue
        learned = _learned_content(verb)
        if learned is None or _hedged(verb) or _source_marker(verb):
            continue
        relation, heads = learned
        subject, relay = _relayed(verb, subject_of(verb))
        if subject is None or in_quote(quotes, subject.idx) or subject.lower_ in ("i", "we", "you", "it", "there"):
            continue
        if any(subject.i in range(h.left_edge.i, h.right_edge.i + 1) for h in heads):
            continue
        start = min(subtree_bounds(h)[0] for h in heads)
        end = max(subtree_bounds(h)[1] for h in heads)
        for c_start, _ in cut:
            if start < c_start < end:
                end = min(end, c_start)
        start, end = trim(text, start, end)
        if text[start : start + 5].lower() == "that " and relation == "ccomp":
            start, end = trim(text, start + 5, end)
        if end <= start:
            continue
        cue_start, cue_end = cue_bounds(verb)
        if relation.startswith("prep:"):
            prep = heads[0].head
            if prep.i <= verb.i + 2:
                cue_end = prep.idx + len(prep.text)
        source = source_of(subject, actors)
        speaker = speaker_bounds(source)
        quote = quote_containing(quotes, start, end)
        content, form = ((trim(text, quote.start, quote.end, " \n,"), "direct") if quote is not None
                         else ((start, end), form_of(text, start, end, quotes)))
        found.append(Found(content, form, (cue_start, cue_end), speaker, source.name, source.kind, source.actor,
                           source.role, channels_of(verb, speaker) + _relay_via(relay, quotes, actors),
                           when_of(sent, content, verb), verb.i, rule="learned", relation=relation))
    return found


_SUBORDINATORS = {"while", "although", "though", "whereas", "as", "after", "before", "since", "when", "because"}


def split_fronted_clauses(sent: Span, found: list[Found], quotes: Quotes) -> list[Found]:
    """'While X said A, Y said B': the content of the fronted clause ends before Y.

    The small parser often hangs the main clause inside the fronted one; the comma before the
    other speaker is the boundary."""
    doc = sent.doc
    for f in found:
        if f.form == "direct" or f.cue_token is None:
            continue
        if not any(c.dep_ == "mark" and c.lower_ in _SUBORDINATORS for c in doc[f.cue_token].children):
            continue
        for g in found:
            if g is not f and g.speaker and f.content[0] < g.speaker[0] < f.content[1]:
                comma = doc_text(doc).rfind(",", f.content[0], g.speaker[0])
                if comma != -1 and not doc_text(doc)[comma + 1 : g.speaker[0]].strip():
                    f.content = trim(doc_text(doc), f.content[0], comma)
                    f.form = form_of(doc_text(doc), *f.content, quotes)
    return found


def according_to_attributions(sent: Span, found: list[Found], quotes: Quotes, actors: ActorIndex) -> list[Found]:
    """'According to X, …': X is the source, or a channel of the sentence's speakers."""
    text = doc_text(sent.doc)
    out = []
    for according, pobj in according_to_phrases(sent):
        p_start, p_end = according_phrase(according, pobj)
        if found:
            channel = channel_name(pobj)
            for f in found:
                f.via.append(channel)
            continue
        # "according to the operator, Bluewake Lines": the name in apposition is the source (source_of)
        named = pobj.pos_ != "PROPN" and not pobj.ent_type_ and any(
            c.dep_ == "appos" and c.pos_ == "PROPN" for c in pobj.children)
        source = source_of(pobj, actors, None if named else trim(text, according.idx + len("according to"), p_end))
        # the content is the rest of the sentence, either side of the phrase
        before = trim(text, sent.start_char, p_start)
        after = trim(text, p_end, sent.end_char)
        content = after if after[1] - after[0] >= before[1] - before[0] else before
        if content[1] <= content[0]:
            continue
        cue = (according.idx, according.doc[according.i + 1].idx + 2)
        out.append(Found(content, form_of(text, *content, quotes), cue, speaker_bounds(source), source.name,
                         source.kind, source.actor, source.role, [], when_of(sent, content), rule="according"))
    return out


def nominal_attributions(sent: Span, quotes: Quotes, actors: ActorIndex) -> list[Found]:
    """A cue noun with its clause: 'a claim by X that …', 'X's warning that …'."""
    text = doc_text(sent.doc)
    out = []
    for noun in with_pos(sent, ("NOUN",)):
        if noun.lemma_.lower() not in NOMINAL_CUES or in_quote(quotes, noun.idx):
            continue
        clause = next((c for c in noun.children if c.dep_ in ("acl", "ccomp") and c.left_edge.lower_ == "that"), None)
        if clause is None:
            continue
        holder = next((c for c in noun.children if c.dep_ == "poss"), None)
        if holder is None:
            by = next((c for c in noun.children if c.dep_ == "prep" and c.lower_ in ("by", "from", "of")), None)
            holder = next((c for c in by.children if c.dep_ == "pobj"), None) if by is not None else None
        if holder is None:
            continue
        source = source_of(holder, actors)
        start, end = trim(text, *subtree_bounds(clause))
        if text[start:start + 5].lower() == "that ":
            start += 5
        content = (start, end)
        out.append(Found(content, form_of(text, *content, quotes), (noun.idx, noun.idx + len(noun.text)),
                         speaker_bounds(source), source.name, source.kind, source.actor, source.role, [],
                         when_of(sent, content), noun.i, rule="nominal"))
    return out


def bare_quote_attributions(doc: Doc, quotes: Quotes, taken: list[tuple[int, int]],
                            actors: ActorIndex) -> list[Found]:
    """Quotations attributed by punctuation alone: '“…” — X' and 'X: “…”'; the dash or colon is the cue."""
    text = doc_text(doc)
    out = []
    for q in quotes:
        if any(s <= q.start < e for s, e in taken):
            continue
        after = text[q.close_mark + 1 : q.close_mark + 80]
        before = text[max(0, q.open_mark - 80) : q.open_mark]
        speaker_span = cue = None
        stripped = after.lstrip(" ,\u00a0")
        if stripped[:1] in _DASHES or stripped.startswith("- "):
            mark = q.close_mark + 1 + (len(after) - len(stripped))
            line_end = text.find("\n", mark)
            line_end = len(text) if line_end == -1 else line_end
            cue = (mark, mark + 1)
            speaker_span = trim(text, mark + 1, min(line_end, mark + 80), _SPEAKER_EDGE)
        elif before.rstrip().endswith(":"):
            line_start = text.rfind("\n", 0, q.open_mark) + 1
            colon = text.rfind(":", line_start, q.open_mark)
            cue = (colon, colon + 1)
            speaker_span = trim(text, line_start, colon, _SPEAKER_EDGE)
        if not speaker_span or speaker_span[1] <= speaker_span[0]:
            continue
        span = doc.char_span(*speaker_span, alignment_mode="expand")
        if span is None or len(span) > 8 or not any(t.pos_ in ("PROPN", "NOUN", "PRON") for t in span):
            continue
        if any(t.pos_ in ("VERB", "AUX") and t.dep_ == "ROOT" for t in span):
            continue
        source = source_of(span.root, actors)
        if source.start < speaker_span[0] or source.end > speaker_span[1]:
            # the parse glued the mark to the name ('”― Pamela'): the speaker is only what follows it
            bounds = trim(text, max(source.start, speaker_span[0]), min(source.end, speaker_span[1]), _SPEAKER_EDGE)
            source = source_of(span.root, actors, bounds if bounds[0] < bounds[1] else speaker_span)
        start, end = trim(text, q.start, q.end, " \n,")
        out.append(Found((start, end), "direct", cue, speaker_bounds(source), source.name, source.kind,
                         source.actor, source.role, [], None, rule="bare"))
    return out


def find_attributions(doc: Doc, quotes: Quotes, actors: ActorIndex,
                      skip: list[tuple[int, int]] | None = None) -> list[Found]:
    """Every attribution in the document, in text order."""
    skip = skip or []
    found: list[Found] = []
    for sent in doc.sents:
        if any(s <= sent.start_char < e for s, e in skip):
            continue
        cut = [according_phrase(a, p) for a, p in according_to_phrases(sent)]
        cut = [(trim(doc_text(doc), sent.start_char, s)[1], e) for s, e in cut]
        in_sent = split_fronted_clauses(sent, verb_attributions(sent, quotes, actors, cut), quotes)
        in_sent += according_to_attributions(sent, in_sent, quotes, actors)
        in_sent += nominal_attributions(sent, quotes, actors)
        taken = {f.cue_token for f in in_sent if f.cue_token is not None}
        in_sent += learned_attributions(sent, quotes, actors, cut, taken)
        found += in_sent
    found += bare_quote_attributions(doc, quotes, [f.content for f in found], actors)
    found = _dedupe(found)
    found += continue_quotes(doc, found, quotes)
    found.sort(key=lambda f: f.content[0])
    return found


def _fills_rest(text: str, quote: Quote) -> bool:
    """Nothing but closing punctuation follows the quotation in its paragraph."""
    line_end = text.find("\n", quote.close_mark)
    line_end = len(text) if line_end == -1 else line_end
    return not text[quote.close_mark + 1 : line_end].strip(" .,")


def _fills_paragraph(text: str, quote: Quote) -> bool:
    """The quotation is its paragraph: nothing before its mark, nothing but closing punctuation after it."""
    line_start = text.rfind("\n", 0, quote.open_mark) + 1
    return not text[line_start : quote.open_mark].strip() and _fills_rest(text, quote)


def continue_quotes(doc: Doc, found: list[Found], quotes: Quotes) -> list[Found]:
    """'“A,” X said. “B.”': a quotation right after the reporting clause, in the same paragraph and
    attributed to no one else, continues the same statement: a second attribution with the
    speaker and cue of the first (the project's guideline; PolNeAR joins A and B in one content).
    So does a quotation that is a paragraph of its own right after the paragraph that closed on
    the reporting clause, and one that ends the paragraph of an indirect report ('X says A. “B.”'):
    news style names a speaker once and lets the next bare quotation run on."""
    text = doc_text(doc)
    starts = {f.content[0] for f in found}
    out = []
    for f in found:
        if f.cue is None or (f.form == "indirect") != (f.cue[0] < f.content[0]):
            continue  # a quotation before its cue, or an indirect report after its cue
        if f.form != "indirect" and f.cue[0] < f.content[1]:
            continue
        tail = max(f.cue[1], f.speaker[1] if f.speaker else 0, f.content[1])
        nxt = next((q for q in quotes if q.open_mark >= tail), None)
        if nxt is None or nxt.start in starts or trim(text, nxt.start, nxt.end, " \n,")[0] in starts:
            continue
        if any(g.content[0] <= nxt.start < g.content[1] for g in found):
            continue
        gap = text[tail : nxt.open_mark]
        if f.form == "indirect":
            # 'X says A. “B.”': the next sentence is the quotation and it closes the paragraph
            if gap.strip() != "." or "\n" in gap or not _fills_rest(text, nxt):
                continue
        elif "\n" in gap:
            # a paragraph that is one quotation, after the paragraph the reporting clause closed
            if gap.count("\n") > 2 or gap.strip() not in (".", "") or not _fills_paragraph(text, nxt):
                continue
        # the reporting clause ends its sentence and nothing but a date or place may follow it
        elif len(gap) > 40 or not gap.rstrip().endswith((".", ":", ",")) or in_quote(quotes, tail):
            continue
        content = trim(text, nxt.start, nxt.end, " \n,")
        starts.add(content[0])
        # a run-on across a paragraph or after an indirect report is this project's reading, not PolNeAR's
        rule = "continued" if f.form != "indirect" and "\n" not in gap else "run-on"
        out.append(replace(f, content=content, form="direct", via=list(f.via), when=None, rule=rule))
    return out


def _inside(f: Found, g: Found) -> bool:
    """``f``'s cue and content lie in ``g``'s content: ``f`` is reported within ``g``."""
    return (f is not g and f.cue is not None and g.content[0] <= f.cue[0]
            and g.content[0] <= f.content[0] and f.content[1] <= g.content[1] + 1)


def relayed_and_nested(found: list[Found]) -> list[Found]:
    """The project's guideline, not PolNeAR's: relayed speech is one statement of the inner speaker
    with the relay as its channel ("X told police he …, the prosecutor said": via the prosecutor),
    and a cue inside another statement's reported words is part of it ("told police he had
    thought the money was a loan" is one statement, not two)."""
    drop: set[int] = set()
    for g in found:
        if g.speaker is None or g.form == "direct" or g.cue is None or g.cue[0] < g.content[1]:
            continue  # a relay reports after the words it relays
        inner = [f for f in found if _inside(f, g) and f.speaker is not None and f.speaker[0] >= g.content[0]
                 and f.content[1] >= g.content[1] - 1]
        outermost = [f for f in inner if not any(_inside(f, h) for h in inner)]
        if len(outermost) == 1:
            kind = g.speaker_kind if g.speaker_kind in ("person", "organization", "document") else "person"
            outermost[0].via.append((g.speaker[0], g.speaker[1], g.speaker_name or "", kind))
            drop.add(id(g))
    kept = [f for f in found if id(f) not in drop]
    # nested: the cue comes after the outer cue and its speaker lies in the outer content (a parse that
    # runs one content over the next statement, "Police said A; organisers said B", nests nothing); a
    # quotation is nested only as the fragment of a mixed content ('said the trials had found "no harm"')
    return [f for f in kept if not any(
        _inside(f, g) and g.cue is not None and f.cue is not None and f.cue[0] > g.cue[0]
        and (f.form != "direct" or g.form == "mixed")
        and (f.speaker is None or g.content[0] <= f.speaker[0]) for g in kept)]


def _dedupe(found: list[Found]) -> list[Found]:
    """One attribution per content span: keep the first found (verb rules run first)."""
    out: list[Found] = []
    for f in found:
        if any(f.content == g.content for g in out):
            continue
        out.append(f)
    return out
