"""Positions over time: dated observations grouped per actor or party and period, and convergence of two groups.

A group's stance score for a period is the confidence-weighted mean of its positions' stance scores. Convergence
of two groups on an issue in a period is 1 − |mean_a − mean_b| / (the issue's highest score − its lowest): 1 when
both hold the same stance on average, 0 when they hold the two ends of the scale; undefined when either is silent.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from onrecord.positions.issues import Issue, Issues
from onrecord.record import Record, act_span

Period = Literal["day", "week", "month", "quarter"]
PERIODS: tuple[Period, ...] = ("day", "week", "month", "quarter")


@dataclass(frozen=True)
class Observation:
    """One dated position, with what is needed to show the statement behind it."""

    group: str  # the actor id, or the party id
    issue: str
    stance: str
    score: float
    confidence: float
    date: dt.date
    actor: str
    article: str
    attribution: str
    text: str = ""
    outlet: str | None = None
    title: str | None = None
    date_source: str | None = None  # 'metadata' or 'dateline'


@dataclass
class Cell:
    """A group's positions on one issue in one period."""

    group: str
    issue: str
    period: str
    observations: list[Observation] = field(default_factory=list)

    @property
    def mean(self) -> float:
        """Confidence-weighted mean stance score (plain mean when every confidence is 0)."""
        weights = [o.confidence for o in self.observations]
        if sum(weights) <= 0:
            weights = [1.0] * len(self.observations)
        return sum(w * o.score for w, o in zip(weights, self.observations, strict=True)) / sum(weights)

    @property
    def stances(self) -> Counter[str]:
        return Counter(o.stance for o in self.observations)


def trend(values: Sequence[Convergence]) -> str | None:
    """How the latest run of periods moved: "converging since 2026-W12", "diverging since …", "unchanged
    since …"; None with fewer than two periods in which both groups spoke."""
    known = [(c.period, c.value) for c in values if c.value is not None]
    if len(known) < 2:
        return None

    def sign(x: float) -> int:
        return (x > 1e-9) - (x < -1e-9)

    last = sign(known[-1][1] - known[-2][1])  # type: ignore[operator]
    start = len(known) - 2
    while start > 0 and sign(known[start][1] - known[start - 1][1]) == last:  # type: ignore[operator]
        start -= 1
    word = {1: "converging", -1: "diverging", 0: "unchanged"}[last]
    return f"{word} since {known[start][0]}"


def first_and_latest(observations: Sequence[Observation]) -> tuple[Observation, Observation] | None:
    """A group's earliest and latest position on an issue (by date, then article order)."""
    if not observations:
        return None
    ordered = sorted(observations, key=lambda o: (o.date, o.article, o.attribution))
    return ordered[0], ordered[-1]


def period_of(day: dt.date, period: Period) -> str:
    """The period label: 2022-03-14 (day), 2022-W11 (ISO week), 2022-03, 2022-Q1."""
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    raise ValueError(f"unknown period {period!r}")


def period_start(label: str) -> dt.date:
    """The first day of a period label made by ``period_of``."""
    if label.count("-") == 2:
        return dt.date.fromisoformat(label)
    if "-W" in label:
        year, week = label.split("-W")
        return dt.date.fromisocalendar(int(year), int(week), 1)
    if "-Q" in label:
        year, quarter = label.split("-Q")
        return dt.date(int(year), 3 * (int(quarter) - 1) + 1, 1)
    year, month = label.split("-")
    return dt.date(int(year), int(month), 1)


def parse_date(value: str | dt.date | None) -> dt.date | None:
    """A date from an ISO date or date-time string (None when absent or unreadable)."""
    if value is None or isinstance(value, dt.date):
        return value if not isinstance(value, dt.datetime) else value.date()
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def series(observations: Iterable[Observation], period: Period = "month") -> dict[tuple[str, str], list[Cell]]:
    """(issue, group) -> its cells in period order."""
    cells: dict[tuple[str, str, str], Cell] = {}
    for o in observations:
        key = (o.issue, o.group, period_of(o.date, period))
        cells.setdefault(key, Cell(group=o.group, issue=o.issue, period=key[2])).observations.append(o)
    out: dict[tuple[str, str], list[Cell]] = defaultdict(list)
    for (issue, group, _), cell in sorted(cells.items()):
        cell.observations.sort(key=lambda o: (o.date, o.article, o.attribution))
        out[(issue, group)].append(cell)
    return dict(out)


@dataclass(frozen=True)
class Convergence:
    period: str
    value: float | None  # None when either group is silent in the period
    mean_a: float | None
    mean_b: float | None


def convergence(issue: Issue, cells_a: Sequence[Cell], cells_b: Sequence[Cell]) -> list[Convergence]:
    """Per period in which either group spoke: 1 − |mean_a − mean_b| / the issue's score range."""
    low, high = issue.score_range
    span = high - low
    a = {c.period: c.mean for c in cells_a}
    b = {c.period: c.mean for c in cells_b}
    out = []
    for p in sorted(set(a) | set(b)):
        ma, mb = a.get(p), b.get(p)
        value = None if ma is None or mb is None else 1.0 - abs(ma - mb) / span
        out.append(Convergence(period=p, value=value, mean_a=ma, mean_b=mb))
    return out


# --- dates and party cells of records -----------------------------------------------------------------------------

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
# A wire dateline: "CARROW, March 18, 2026 —", "LONDON, 18 March 2026 (Reuters) -" at the start of the text.
_DATELINE = re.compile(
    r"^\s*[A-Z][A-Z .'’-]{1,40},?\s+(?:(?P<m1>[A-Z][a-z]+)\.?\s+(?P<d1>\d{1,2}),?|(?P<d2>\d{1,2})\s+"
    r"(?P<m2>[A-Z][a-z]+)\.?,?)\s+(?P<y>\d{4})\b")


def dateline_date(text: str) -> dt.date | None:
    """The date of a dateline opening the text or the paragraph after its headline ("Live: herring talks\n\nVESTHAVN,
    April 14, 2027 — …"), when it names the year (else None: a guessed year misleads)."""
    lines = [line for line in text[:600].split("\n") if line.strip()]
    m = next((m for line in lines[:2] if (m := _DATELINE.match(line[:200]))), None)
    if not m:
        return None
    month = (m.group("m1") or m.group("m2")).lower()
    number = next((n for n, name in enumerate(_MONTHS, 1) if name.startswith(month[:3])), None)
    if number is None:
        return None
    try:
        return dt.date(int(m.group("y")), number, int(m.group("d1") or m.group("d2")))
    except ValueError:
        return None


_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
# A line that is a date alone: a live blog's or a diary's day heading ("Tuesday 2 March", "March 3, 2027").
_DAY_HEADING = re.compile(
    rf"^[ \t]*(?:(?:{_WEEKDAYS}),?[ \t]+)?"
    r"(?:(?P<d1>\d{1,2})[ \t]+(?P<m1>[a-z]+)|(?P<m2>[a-z]+)[ \t]+(?P<d2>\d{1,2}))"
    r"(?:,?[ \t]+(?P<y>\d{4}))?[ \t]*$", re.IGNORECASE | re.MULTILINE)


def day_headings(record: Record) -> list[tuple[int, dt.date]]:
    """A live blog's day headings: (offset, date) of each line that is a date alone, in text order, the year from
    the heading or else from the article's date — when they name two days or more (one heading dates nothing the
    article's own date does not). What is said under a heading was said that day (``under_heading``)."""
    year = (article_date(record)[0] or dt.date.min).year
    out = []
    for m in _DAY_HEADING.finditer(record.text):
        month = (m.group("m1") or m.group("m2")).lower()
        number = next((n for n, name in enumerate(_MONTHS, 1) if month in (name, name[:3])), None)
        if number is None or (not m.group("y") and year == dt.date.min.year):
            continue
        try:
            out.append((m.start(), dt.date(int(m.group("y") or year), number, int(m.group("d1") or m.group("d2")))))
        except ValueError:
            continue
    return out if len({d for _, d in out}) > 1 else []


def under_heading(headings: Sequence[tuple[int, dt.date]], offset: int) -> dt.date | None:
    """The day of the last heading before ``offset`` (``day_headings``); None before the first or without any."""
    return next((d for start, d in reversed(headings) if start <= offset), None)


def article_date(record: Record) -> tuple[dt.date | None, str | None]:
    """The article's date and where it came from: its metadata ('metadata'), else its dateline ('dateline')."""
    day = parse_date(record.article.published)
    if day is not None:
        return day, "metadata"
    day = dateline_date(record.text)
    return (day, "dateline") if day is not None else (None, None)


def speaker_parties(records: Iterable[Record], issues: Issues) -> dict[str, str]:
    """actor id -> party, from every name and role the actor has anywhere in ``records``: a role stated in one
    article ("general secretary of the union") places the actor in every other article too."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for record in records:
        roles = {a.id: " ".join(a.roles) for a in record.actors}
        names = {a.id: a.name for a in record.actors}
        for a in record.attributions:
            if a.speaker is None or not a.speaker.actor:
                continue
            actor = a.speaker.actor
            role = " ".join(x for x in (a.speaker.role, roles.get(actor)) if x)
            party = issues.party_of(actor, names.get(actor, a.speaker.name), role or None)
            if party:
                votes[actor][party] += 1
    return {actor: c.most_common(1)[0][0] for actor, c in votes.items()}


def record_observations(record: Record, issues: Issues, by: str = "party",
                        parties: dict[str, str] | None = None) -> list[Observation]:
    """The record's positions as dated observations, grouped by party (positions of no party left out) or actor.
    ``parties`` (from ``speaker_parties``) places actors whose role this article does not state."""
    day, source = article_date(record)
    if day is None:
        return []
    headings = day_headings(record)
    attributions = {a.id: a for a in record.attributions}
    names = {a.id: a.name for a in record.actors}
    roles = {a.id: " ".join(a.roles) for a in record.actors}
    out = []
    for p in record.positions:
        a = attributions.get(p.attribution)
        act = act_span(p.attribution)
        if (a is None or a.speaker is None) and act is None:
            continue
        name = names.get(p.actor, a.speaker.name if a and a.speaker else p.actor)
        text = a.content.text if a else record.text[act[0]:act[1]]  # type: ignore[index]
        if by == "party":
            role = " ".join(x for x in (a.speaker.role if a and a.speaker else None, roles.get(p.actor)) if x) or None
            group = (parties or {}).get(p.actor) or issues.party_of(p.actor, name, role)
        else:
            group = p.actor
        issue = next((i for i in issues.issues if i.id == p.issue), None)
        if group is None or issue is None:
            continue
        heading = under_heading(headings, a.content.start if a else act[0])  # type: ignore[index]
        out.append(Observation(group=group, issue=p.issue, stance=p.stance, score=issue.stance(p.stance).score,
                               confidence=p.confidence or 0.0, date=heading or day, actor=name,
                               article=record.article.id or "", attribution=p.attribution, text=text,
                               outlet=record.article.outlet, title=record.article.title,
                               date_source="heading" if heading else source))
    return out


def nearest_stance(issue: Issue, score: float) -> str:
    """The stance whose score is nearest ``score`` (the first on a tie)."""
    return min(issue.stances, key=lambda s: abs(s.score - score)).id


def party_cells(records: Iterable[Record], issues: Issues, period: Period = "week",
                by: str = "party") -> dict[tuple[str, str, str], tuple[str, float]]:
    """(group, issue, period) -> (the stance nearest the cell's mean score, that mean)."""
    records = list(records)
    parties = speaker_parties(records, issues) if by == "party" else None
    observations = [o for r in records for o in record_observations(r, issues, by, parties)]
    out = {}
    for (issue_id, group), cells in series(observations, period).items():
        issue = issues.get(issue_id)
        for c in cells:
            out[(group, issue_id, c.period)] = (nearest_stance(issue, c.mean), c.mean)
    return out
