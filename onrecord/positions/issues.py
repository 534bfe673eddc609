"""Issues files: which issues to track, the stances on each, and who belongs to which party.

An issues file is TOML (schema ``onrecord-issues/1``; see examples/issues.toml)::

    [matching]                       # optional: defaults below
    threshold = 0.5                  # least cosine similarity of a statement to a stance's examples
    margin = 0.04                    # least lead of the best stance over the issue's next one

    [parties.russia]                 # optional: for `onrecord positions --by party`
    name = "Russia"
    members = ["Vladimir Putin", "Kremlin"]     # actor ids or names
    role_words = ["Russian", "Kremlin"]         # a speaker whose role or name has one of these words

    [[issues]]
    id = "nato"
    question = "Will Ukraine join NATO?"
    keywords = ["nato", "alliance", "neutral*"]  # gate: whole words, case-insensitive, trailing * = any ending
    scale = "-1: joins; +1: stays out"           # what the stance scores mean (shown to users)
    threshold = 0.55                             # optional per-issue override (also margin)

      [[issues.stances]]
      id = "join"
      score = -1.0                               # position on the issue's scale
      opposite = "neutral"                       # what a negated statement like an example means (optional)
      examples = ["Ukraine will join NATO.", "..."]

Loading validates everything and raises ``InputError`` with the file name and the place of the problem.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from onrecord.errors import InputError

SCHEMA = "onrecord-issues/1"
DEFAULT_THRESHOLD = 0.5
DEFAULT_MARGIN = 0.04
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def slug(text: str) -> str:
    """Lower-case words joined by '-': the form actor ids take ("Vladimir Putin" -> "vladimir-putin")."""
    return "-".join(re.findall(r"[^\W_]+", text.lower()))


@dataclass(frozen=True)
class Stance:
    id: str
    score: float
    examples: tuple[str, ...]
    label: str = ""
    opposite: str | None = None


@dataclass(frozen=True)
class Issue:
    id: str
    question: str
    stances: tuple[Stance, ...]
    keywords: tuple[str, ...] = ()
    scale: str = ""
    threshold: float = DEFAULT_THRESHOLD
    margin: float = DEFAULT_MARGIN
    gate: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def stance(self, stance_id: str) -> Stance:
        return next(s for s in self.stances if s.id == stance_id)

    @property
    def score_range(self) -> tuple[float, float]:
        scores = [s.score for s in self.stances]
        return min(scores), max(scores)

    def opposite(self, stance: Stance) -> str | None:
        """The declared opposite; else the stance at the mirror point of the scale (the other one of two)."""
        if stance.opposite:
            return stance.opposite
        low, high = self.score_range
        mirror = low + high - stance.score
        if mirror == stance.score:
            return None
        return next((s.id for s in self.stances if s.score == mirror), None)

    def gated(self, text: str) -> bool:
        """True when the issue may apply to ``text``: no keywords, or one of them occurs."""
        return self.gate is None or self.gate.search(text) is not None


@dataclass(frozen=True)
class Party:
    id: str
    name: str
    members: tuple[str, ...] = ()
    role_words: tuple[str, ...] = ()

    @property
    def role_pattern(self) -> re.Pattern[str] | None:
        """Role words as whole words, case-sensitive (so "US" does not match "us")."""
        if not self.role_words:
            return None
        alternatives = "|".join(re.escape(w.replace("’", "'")) for w in self.role_words)
        return re.compile(rf"(?<![\w])(?:{alternatives})(?![\w])")


@dataclass
class Issues:
    issues: tuple[Issue, ...]
    parties: tuple[Party, ...] = ()
    source: str = "<issues>"
    # Exemplar embeddings per encoder, filled by onrecord.positions.match (computed once per encoder).
    cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def get(self, issue_id: str) -> Issue:
        for issue in self.issues:
            if issue.id == issue_id:
                return issue
        known = ", ".join(i.id for i in self.issues)
        raise InputError(f"{self.source}: no issue {issue_id!r} (issues: {known})")

    def party(self, party_id: str) -> Party:
        for party in self.parties:
            if party.id == party_id or slug(party.name) == slug(party_id):
                return party
        known = ", ".join(p.id for p in self.parties) or "none defined"
        raise InputError(f"{self.source}: no party {party_id!r} (parties: {known})")

    def party_of(self, actor: str | None, name: str | None = None, role: str | None = None) -> str | None:
        """The party id of a speaker: an explicit member first (by actor id or name, or a member's surname
        equal to a one-word actor id), then role words in the role or name; None when none or several match."""
        keys = {slug(x) for x in (actor, name) if x}
        keys.discard("")
        for party in self.parties:
            for member in party.members:
                m = slug(member)
                if m in keys or any("-" not in k and m.endswith("-" + k) for k in keys):
                    return party.id
        text = f"{role or ''} {name or ''}".replace("’", "'")
        hits = {p.id for p in self.parties if p.role_pattern is not None and p.role_pattern.search(text)}
        return hits.pop() if len(hits) == 1 else None


def _gate(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    if not keywords:
        return None
    parts = []
    for kw in keywords:
        stem, wild = (kw[:-1], True) if kw.endswith("*") else (kw, False)
        words = [re.escape(w) for w in stem.split()]
        parts.append(r"\s+".join(words) + (r"[\w'’-]*" if wild else r"(?![\w])"))
    return re.compile(r"(?<![\w])(?:" + "|".join(parts) + ")", re.IGNORECASE)


class _Reader:
    """Typed field access that names the place of a problem."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> InputError:
        return InputError(f"{self.source}: {where}: {message}")

    def text(self, table: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
        value = table.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"'{key}' must be a non-empty string")
        return value.strip()

    def ident(self, table: dict[str, Any], where: str) -> str:
        value = self.text(table, "id", where)
        if not _ID.match(value):
            raise self.fail(where, f"id {value!r} must be lower-case letters, digits, '-' or '_'")
        return value

    def texts(self, table: dict[str, Any], key: str, where: str, *, required: bool = False) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(where, f"'{key}' must be a list of non-empty strings")
        if required and not value:
            raise self.fail(where, f"'{key}' needs at least one entry")
        return tuple(v.strip() for v in value)

    def number(self, table: dict[str, Any], key: str, where: str, default: float | None = None,
               low: float = float("-inf"), high: float = float("inf")) -> float:
        value = table.get(key, default)
        if value is None:
            raise self.fail(where, f"'{key}' is required (a number)")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"'{key}' must be a number")
        if not low <= value <= high:
            raise self.fail(where, f"'{key}' must be between {low} and {high}")
        return float(value)


def parse_issues(data: dict[str, Any], source: str = "<issues>") -> Issues:
    """Validate parsed TOML and build ``Issues``."""
    r = _Reader(source)
    schema = data.get("schema", SCHEMA)
    if schema != SCHEMA:
        raise r.fail("schema", f"{schema!r} is not {SCHEMA!r}")
    matching = data.get("matching", {})
    if not isinstance(matching, dict):
        raise r.fail("matching", "must be a table")
    threshold = r.number(matching, "threshold", "matching", DEFAULT_THRESHOLD, -1.0, 1.0)
    margin = r.number(matching, "margin", "matching", DEFAULT_MARGIN, 0.0, 2.0)

    raw_issues = data.get("issues")
    if not isinstance(raw_issues, list) or not raw_issues:
        raise r.fail("issues", "no [[issues]] defined")
    issues: list[Issue] = []
    for n, raw in enumerate(raw_issues, 1):
        where = f"issues #{n}"
        if not isinstance(raw, dict):
            raise r.fail(where, "must be a table")
        issue_id = r.ident(raw, where)
        where = f"issue {issue_id!r}"
        if any(i.id == issue_id for i in issues):
            raise r.fail(where, "defined twice")
        raw_stances = raw.get("stances")
        if not isinstance(raw_stances, list) or len(raw_stances) < 2:
            raise r.fail(where, "needs at least two [[issues.stances]]")
        stances: list[Stance] = []
        for m, st in enumerate(raw_stances, 1):
            swhere = f"{where}, stance #{m}"
            if not isinstance(st, dict):
                raise r.fail(swhere, "must be a table")
            stance_id = r.ident(st, swhere)
            swhere = f"{where}, stance {stance_id!r}"
            if any(s.id == stance_id for s in stances):
                raise r.fail(swhere, "defined twice")
            opposite = st.get("opposite")
            if opposite is not None and not isinstance(opposite, str):
                raise r.fail(swhere, "'opposite' must be a stance id")
            stances.append(Stance(
                id=stance_id, score=r.number(st, "score", swhere, low=-1e6, high=1e6),
                examples=r.texts(st, "examples", swhere, required=True),
                label=r.text(st, "label", swhere, required=False), opposite=opposite,
            ))
        ids = {s.id for s in stances}
        for s in stances:
            if s.opposite is not None and (s.opposite not in ids or s.opposite == s.id):
                raise r.fail(f"{where}, stance {s.id!r}", f"opposite {s.opposite!r} is not another stance of the issue")
        if len({s.score for s in stances}) < 2:
            raise r.fail(where, "stance scores must not all be equal (they place stances on the issue's scale)")
        keywords = r.texts(raw, "keywords", where)
        issues.append(Issue(
            id=issue_id, question=r.text(raw, "question", where), stances=tuple(stances), keywords=keywords,
            scale=r.text(raw, "scale", where, required=False),
            threshold=r.number(raw, "threshold", where, threshold, -1.0, 1.0),
            margin=r.number(raw, "margin", where, margin, 0.0, 2.0), gate=_gate(keywords),
        ))

    raw_parties = data.get("parties", {})
    if not isinstance(raw_parties, dict):
        raise r.fail("parties", "must be a table of [parties.ID] tables")
    parties = []
    for party_id, raw in raw_parties.items():
        where = f"party {party_id!r}"
        if not isinstance(raw, dict):
            raise r.fail(where, "must be a table")
        if not _ID.match(party_id):
            raise r.fail(where, "id must be lower-case letters, digits, '-' or '_'")
        members, role_words = r.texts(raw, "members", where), r.texts(raw, "role_words", where)
        if not members and not role_words:
            raise r.fail(where, "needs 'members' or 'role_words'")
        parties.append(Party(id=party_id, name=r.text(raw, "name", where, required=False) or party_id,
                             members=members, role_words=role_words))
    return Issues(issues=tuple(issues), parties=tuple(parties), source=source)


def load_issues(path: str | Path) -> Issues:
    """Read and validate an issues file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{p}: no such issues file") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{p}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{p}: not valid TOML ({exc})") from None
    return parse_issues(data, str(p))
