"""The record of one article (schema ``onrecord/1``), as typed dataclasses.

Every span carries character offsets into ``Record.text`` and the exact text at those offsets,
so any consumer can highlight it on the analysed text. ``Record.to_dict()`` is the JSON contract;
``Record.from_dict()`` reads it back.

Schema note: ``actors[].mentions[]`` carry a ``kind`` (``name``, ``pronoun``, ``description``) since
coreference resolves pronouns and descriptions; records written before read every mention as a name.
A position's evidence (``positions[].attribution``) is an attribution id, or ``act:START-END`` when the stance
was taken in a stance act the attributions do not hold ("vowed to fight the plan"): START and END are the
character offsets of the act's content in ``text`` (``act_span`` reads them). Both are plain strings, so the
addition keeps schema ``onrecord/1``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA = "onrecord/1"

# What counts as an attribution. "onrecord" (the default, the project's annotation guideline):
# speech, writing, beliefs and findings reported with their content. "polnear": PolNeAR's
# guideline, which also counts stances shown by acts and intentions ("called for X", "rejected X",
# "plans to X"), joins a quotation continued after its reporting clause into one content, keeps
# the whole noun phrase as the source and "that" in a reported clause; a judge trained on PolNeAR
# accepts or rejects each candidate (``onrecord.attribute.learned``).
CONVENTIONS = ("onrecord", "polnear")

Form = Literal["direct", "indirect", "mixed"]
SpeakerKind = Literal["person", "organization", "group", "document", "unknown"]
ViaKind = Literal["outlet", "person", "organization", "document"]
Severity = Literal["high", "medium", "low"]


@dataclass
class Span:
    start: int
    end: int
    text: str


@dataclass
class Boilerplate(Span):
    reason: str = "boilerplate"


@dataclass
class Speaker(Span):
    name: str = ""
    actor: str | None = None
    kind: SpeakerKind = "unknown"
    role: str | None = None


@dataclass
class Via(Span):
    name: str = ""
    kind: ViaKind = "outlet"


@dataclass
class Attribution:
    id: str
    speaker: Speaker | None
    cue: Span | None
    content: Span
    form: Form
    via: list[Via] = field(default_factory=list)
    when: str | None = None


@dataclass
class Flag(Span):
    code: str = ""
    severity: Severity = "medium"
    explanation: str = ""
    related: list[str] = field(default_factory=list)


@dataclass
class Unsourced(Span):
    id: str = ""
    checkworthiness: float = 0.0
    flags: list[str] = field(default_factory=list)


MentionKind = Literal["name", "pronoun", "description"]


@dataclass
class Mention(Span):
    """A mention of an actor: its name (or a variant), a pronoun, or a description ("the minister")."""

    kind: MentionKind = "name"


@dataclass
class Actor:
    id: str
    name: str
    kind: SpeakerKind
    roles: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)


@dataclass
class Position:
    """An actor's stance on an issue; ``attribution`` is its evidence: an attribution id, or ``act:START-END``
    (the content of a stance act, by its offsets in the record's text; see ``act_span``)."""

    actor: str
    issue: str
    stance: str
    attribution: str
    confidence: float = 1.0


_ACT_EVIDENCE = re.compile(r"act:(\d+)-(\d+)")


def act_evidence(start: int, end: int) -> str:
    """The evidence id of a position taken in a stance act whose content is ``text[start:end]``."""
    return f"act:{start}-{end}"


def act_span(evidence: str | None) -> tuple[int, int] | None:
    """The content offsets of an ``act:START-END`` evidence id; None for an attribution id."""
    m = _ACT_EVIDENCE.fullmatch(evidence or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


@dataclass
class Article:
    id: str
    title: str | None = None
    url: str | None = None
    published: str | None = None
    outlet: str | None = None
    language: str = "en"


_FIELDS: dict[type, tuple[str, ...]] = {}
_ATOMS = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    """``dataclasses.asdict`` for a record, without its deep copies (a record holds only
    dataclasses, lists and immutable values); it runs once per article analysed."""
    if isinstance(value, _ATOMS):
        return value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    names = _FIELDS.get(type(value))
    if names is None:
        names = _FIELDS[type(value)] = tuple(f.name for f in dataclasses.fields(value)
                                             if f.metadata.get("record", True))
    return {name: _plain(getattr(value, name)) for name in names}


@dataclass
class Record:
    article: Article
    text: str
    boilerplate: list[Boilerplate] = field(default_factory=list)
    attributions: list[Attribution] = field(default_factory=list)
    unsourced: list[Unsourced] = field(default_factory=list)
    actors: list[Actor] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    schema: str = SCHEMA
    # Not part of the record (``to_dict`` leaves it out, ``from_dict`` never fills it): the status events the article
    # check read (``onrecord.assess.conflicts.StatusEvent``), kept on the analysis so that the store's corpus check
    # reads them without parsing the article again (``onrecord.store.corroborate.status_rows``)
    status_events: list[Any] = field(default_factory=list, repr=False, compare=False, metadata={"record": False})

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-ready data, ``schema`` first."""
        data = _plain(self)
        return {"schema": data.pop("schema"), **data}

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        def spans(kind: type, items: list[dict[str, Any]] | None) -> list[Any]:
            return [kind(**item) for item in items or []]

        attributions = []
        for item in data.get("attributions") or []:
            speaker = item.get("speaker")
            cue = item.get("cue")
            attributions.append(Attribution(
                id=item["id"],
                speaker=Speaker(**speaker) if speaker else None,
                cue=Span(**cue) if cue else None,
                content=Span(**item["content"]),
                form=item["form"],
                via=spans(Via, item.get("via")),
                when=item.get("when"),
            ))
        # records written before mentions had a kind read as names
        actors = [Actor(**{**a, "mentions": spans(Mention, a.get("mentions"))}) for a in data.get("actors") or []]
        return cls(
            schema=data.get("schema", SCHEMA),
            article=Article(**data["article"]),
            text=data["text"],
            boilerplate=spans(Boilerplate, data.get("boilerplate")),
            attributions=attributions,
            unsourced=spans(Unsourced, data.get("unsourced")),
            actors=actors,
            positions=spans(Position, data.get("positions")),
            flags=spans(Flag, data.get("flags")),
        )
