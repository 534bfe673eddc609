"""Statements of other outlets that say the same claim, or the same claim differently: engine-neutral steps.

Each step is a plain function over plain rows (``Candidate`` rows, numpy vectors), partitioned by time window,
so the DuckDB driver (``onrecord.store.corroborate``) and a distributed engine call the same code per window:

1. ``WindowIndex`` — an approximate nearest-neighbour index (usearch HNSW, cosine) per block of
   ``WINDOW_DAYS`` days; a statement is looked up in its own block and the two next to it, so every statement
   within ``WINDOW_DAYS`` days is reachable and none further than twice that. Undated statements form one block.
2. ``candidates`` — the earlier statements of *other sources* nearest to a new one, above ``MIN_COSINE`` and
   sharing enough content words.
3. ``judge`` — for each candidate pair, the facts that must agree (``onrecord.store.claims``) and the verdict
   model's score; ``same`` when nothing checkable differs and the score passes the model's threshold;
   ``conflict`` when a figure, named actor or polarity differs while the rest — that difference undone
   (``claims.undone``) — is the same claim by the same model.

Thresholds: ``MIN_COSINE`` keeps every equivalent pair of the MRPC dev slice among the candidates at top 5
(docs/corroboration.md); ``TOP`` bounds the verdicts run per statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from onrecord.store import claims

WINDOW_DAYS = 3
MIN_COSINE = 0.6
TOP = 3  # clusters (and conflict candidates) judged per statement
SEARCH = 12  # neighbours read from each block before filtering by source and order
MIN_SHARED_WORDS, MIN_WORD_JACCARD = 3, 0.2  # content words two candidates share (keeps 99% of MRPC paraphrases)
MARGIN = 2.0  # logits from the threshold within which the verdict reads a pair in its second order too


def block(day: date | None) -> int | None:
    """The time block of a publication date (None: undated)."""
    return None if day is None else day.toordinal() // WINDOW_DAYS


def near_blocks(b: int | None) -> list[int | None]:
    return [None] if b is None else [b - 1, b, b + 1]


UNDATED_SEGMENT = -1  # the segment of undated statements (they meet only each other)


def segments(blocks: Iterable[int | None]) -> dict[int | None, int]:
    """Each block's time segment: blocks cut where two dated blocks in a row are 2+ blocks apart (a statement
    searches its block and the two next to it, so no window reaches across such a gap), a segment named by its
    first block; undated statements are a segment of their own. The second stage runs each segment on its own."""
    found = set(blocks)
    out: dict[int | None, int] = {}
    first = last = None
    for b in sorted(b for b in found if b is not None):
        if last is None or b - last >= 2:
            first = b
        out[b] = first  # type: ignore[assignment]
        last = b
    if None in found:
        out[None] = UNDATED_SEGMENT
    return out


@dataclass
class Candidate:
    """What the matching steps need of one statement."""

    member: int
    cluster: int
    source: str  # the outlet key: wire, outlet, host (statements of one source never corroborate each other)
    day: date | None
    context: str  # the sentence(s) the statement stands in: what the verdict reads
    core: int  # the member that founded its cluster
    facts: claims.Facts | None = field(default=None, repr=False)
    words: frozenset[str] | None = field(default=None, repr=False)

    def read(self) -> claims.Facts:
        if self.facts is None:
            self.facts = claims.facts(self.context)
        return self.facts

    def content_words(self) -> frozenset[str]:
        if self.words is None:
            self.words = claims.content_words(self.context)
        return self.words


def word_jaccard(a: Candidate, b: Candidate) -> float:
    x, y = a.content_words(), b.content_words()
    x, y = {w for w in x if not w[0].isdigit()}, {w for w in y if not w[0].isdigit()}
    return len(x & y) / len(x | y) if x | y else 0.0


def shares_words(a: Candidate, b: Candidate) -> bool:
    """Enough content words in common to be worth a verdict (cheap: most near neighbours on a topic fail it)."""
    x, y = a.content_words(), b.content_words()
    shared = len(x & y)
    return shared >= MIN_SHARED_WORDS and shared >= MIN_WORD_JACCARD * len(x | y)


class WindowIndex:
    """Nearest-neighbour indexes of statement vectors, one per time block."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.indexes: dict[int | None, Any] = {}

    def add(self, members: Sequence[int], vectors: np.ndarray, blocks: Sequence[int | None]) -> None:
        from usearch.index import Index

        by_block: dict[int | None, list[int]] = {}
        for i, b in enumerate(blocks):
            if np.any(vectors[i]):
                by_block.setdefault(b, []).append(i)
        for b, rows in by_block.items():
            index = self.indexes.get(b)
            if index is None:
                index = self.indexes[b] = Index(ndim=self.width, metric="cos", dtype="f32")
            index.add(np.asarray([members[i] for i in rows], dtype=np.uint64), vectors[rows])

    def search(self, vector: np.ndarray, b: int | None, k: int = SEARCH) -> list[tuple[int, float]]:
        """(member, cosine) of the nearest statements in the blocks around ``b``, best first."""
        if not np.any(vector):
            return []
        found: dict[int, float] = {}
        for nb in near_blocks(b):
            index = self.indexes.get(nb)
            if index is None or not len(index):
                continue
            matches = index.search(vector, min(k, len(index)))
            for key, distance in zip(matches.keys, matches.distances, strict=True):
                found[int(key)] = max(found.get(int(key), -1.0), 1.0 - float(distance))
        return sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))


def candidates(new: Candidate, neighbours: list[tuple[int, float]], known: dict[int, Candidate],
               min_cosine: float = MIN_COSINE) -> list[tuple[Candidate, float]]:
    """Earlier statements of other sources near ``new`` (best first), within the window."""
    out = []
    for member, cosine in neighbours:
        other = known.get(member)
        if other is None or member >= new.member or cosine < min_cosine or other.source == new.source:
            continue
        if new.day is not None and other.day is not None and abs((new.day - other.day).days) > WINDOW_DAYS:
            continue
        if not shares_words(new, other):
            continue
        out.append((other, cosine))
    return out


# never the same claim
BLOCKING = ("figure", "figures", "actor", "actors", "polarity", "negation", "modality", "when", "estimate")
CONFLICTING = ("figure", "actor", "polarity")  # what makes them a conflict when the rest is the same claim
# a named actor or a polarity that differs is flagged only on a surer verdict: chosen on the MRPC tune slice,
# where at the model's threshold they made 10 of 212 equivalent pairs conflicts, at 0.75 three
CONFLICT_MIN = {"actor": 0.75, "polarity": 0.75}
# and a conflict needs the two sentences to share a third of their content words (figures aside): on PolNeAR the
# verdict alone called sentences on one campaign "the same claim" far too often; a quarter will do on a surer
# verdict (outlets retell one figure in other words: "up to 10 years' jail" / "as much as 10 years in prison")
CONFLICT_WORD_JACCARD = 0.35
CONFLICT_WORD_JACCARD_SURE = (0.25, 0.75)  # (content words shared, verdict score needed)


def blocking(diffs: list[claims.Difference]) -> list[claims.Difference]:
    return [d for d in diffs if d.what in BLOCKING]


@dataclass
class Judgement:
    other: Candidate
    score: float
    differences: list[claims.Difference]


def judge(new: Candidate, pairs: list[Candidate], known: dict[int, Candidate], score: Any,
          threshold: float, join: bool = True) -> tuple[Judgement | None, list[Judgement]]:
    """The cluster core ``new`` joins (or None) and the conflicts it has with other sources' statements.

    ``pairs`` are candidate statements, best first; ``known`` finds their clusters' cores (a statement joins a
    cluster only when it is the same claim as the core, so clusters do not drift); ``score(a_texts, b_texts)``
    is the verdict model's probability of the same claim. A pair whose facts differ is never the same claim;
    when the difference is a figure, an actor or a polarity and the texts with it undone are the same
    claim, it is a conflict. ``join=False`` (a statement that already joined a cluster as a verbatim copy) looks
    for conflicts only."""
    cores: list[Candidate] = []
    seen_clusters: set[int] = set()
    checks: list[tuple[str, Candidate, list[claims.Difference], float]] = []  # (kind, other, differences, shared)
    for other in pairs:
        diffs = claims.differences(new.read(), other.read())
        hard = [d for d in diffs if d.what in CONFLICTING]
        if any(d.what in ("when", "figures") for d in diffs):
            continue  # another day of the week, figures that measure other things (two polls' samples and margins,
            # another hour's prices): another event or measurement, neither the same claim nor a conflict
        if blocking(diffs) and not hard:
            continue  # compatible figures, a negation on one side: not the same claim, not a conflict either
        shared = word_jaccard(new, other) if hard else 1.0
        if shared < CONFLICT_WORD_JACCARD_SURE[0]:
            continue
        if hard:
            if sum(c[0] == "conflict" for c in checks) < TOP:
                checks.append(("conflict", other, hard, shared))
        elif join and other.cluster not in seen_clusters and len(cores) < TOP:
            seen_clusters.add(other.cluster)
            core = known.get(other.core, other)
            if core is other or not blocking(claims.differences(new.read(), core.read())):
                cores.append(core)
    same_texts = [(new.context, c.context) for c in cores]
    conflict_texts = [claims.undone(new.context, o.context, d) for _, o, d, _ in checks]
    texts = same_texts + conflict_texts
    scores = score([a for a, _ in texts], [b for _, b in texts]) if texts else np.zeros(0)
    best: Judgement | None = None
    for core, s in zip(cores, scores[: len(cores)], strict=True):
        if s >= threshold and (best is None or s > best.score):
            best = Judgement(core, float(s), [])
    conflicts = []
    for (_, o, d, shared), s in zip(checks, scores[len(cores):], strict=True):
        least = threshold if shared >= CONFLICT_WORD_JACCARD else max(threshold, CONFLICT_WORD_JACCARD_SURE[1])
        kept = [x for x in d if s >= max(least, CONFLICT_MIN.get(x.what, 0.0))]
        if kept:
            conflicts.append(Judgement(o, float(s), kept))
    return best, conflicts
