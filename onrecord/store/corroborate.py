"""Corroboration and conflict across the articles of a store (``onrecord corroborate``, or ``ingest --corroborate``).

What it adds (tables described in onrecord/store/README.md, "Corroboration and conflict"):

* **Clusters of statements.** Every statement (an attribution's content, an unsourced statement) joins the
  cluster of its most similar earlier statement, or founds one. Similarity is over word 3-gram shingles:
  Jaccard >= 0.5, or one statement at least 80% inside the other with 6+ shingles shared, with the same figures
  and negation; statements of 4-5 words only match an identical (normalised) text, shorter ones and those of
  fewer than two content words ("I don't know") stay alone. A copy (the same normalised words) is compared
  with its wording's first representatives only and joins the first it agrees with (one link, however many
  copies); the representatives form the LSH index (48 hashes in 24 bands of 2, plain numpy, and the wording's
  hash) stored in ``statement_buckets``, so a new statement is compared with a handful of earlier ones, never
  with the whole store nor with every copy.
* **Independent outlets.** Syndicated copies of one story count once. An article is a copy of an earlier one
  when most of its text (70% of its 4-gram shingles) is inside it, or when the two share most statements (at
  least 4, 80% of the smaller article's and half of the larger one's, two of them in the author's own words).
  Copies form a group; a group's source is the wire it credits (a dateline "(Reuters) -", a credit line, an
  outlet field or URL naming the agency), else the outlet of its earliest article. ``clusters.outlets`` counts
  distinct sources among the articles carrying the statement.
* **Conflicts with the store** (rows of ``flags`` with ``origin = 'corpus'``, each on the later statement of the
  pair, ``related`` = ``["<article id>/<statement id>"]`` of the other): an actor reported resigned, dead,
  arrested… while another article of the same period or later reports them speaking (in office); two figures
  for the same casualty count of what looks like the same event (same count, shared place, publication dates
  within two days, no different weekday; a higher figure published later is an update, not a conflict); a
  stance on an issue that flips (``position-change``, low, or ``conflict`` when on the same day).

Order and idempotence: articles are processed once, in ingest order (``seq``), in chunks, each chunk in one
transaction; a statement only ever joins an earlier one, so running after every ingest or once over the whole
store gives the same clusters, cluster ids included. The summary table ``clusters``, the articles' sources and
the corpus flags are rebuilt from those rows at the end of every run (deleted and written again in one
transaction), so re-running changes nothing and never duplicates a flag.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from onrecord.attribute.actors import slug
from onrecord.record import act_span
from onrecord.store import claims, embed, match, schema
from onrecord.store.schema import TEXT, TEXTS, Table

VERSION = "4"  # stored in store_info; a store corroborated by another version is rebuilt from scratch
CHUNK = 1000  # articles per transaction
PARAPHRASE_DEFAULT = False  # a store that never chose links verbatim copies only (docs/corroboration.md says why)

_INT = ("INTEGER", pa.int32())
_BIG = ("BIGINT", pa.int64())
_FLOAT = ("DOUBLE", pa.float64())
_BOOL = ("BOOLEAN", pa.bool_())

# --- thresholds (why these values: see the module doc and the README) ----------------------------------------
SHINGLE = 3  # words per statement shingle
ARTICLE_SHINGLE = 4  # words per article shingle: longer, so that shared quotes alone do not make a copy
MIN_EXACT_WORDS = 4  # shorter statements ("No.", "We will see") never match anything
MIN_FUZZY_WORDS = 6  # shorter statements match only an identical text
JACCARD = 0.5
CONTAINED = 0.8
MIN_SHARED = 6
ARTICLE_CONTAINED = 0.7
MIN_ARTICLE_SHARED = 20
SHARE_MIN = 4  # statements two articles must share (and 80% of the smaller one's) to be copies
SHARE_FRACTION = 0.8
FURNITURE_GROUPS = 3  # a line one outlet prints in this many independent stories of its own is site furniture
BUCKET_CAP = 50  # earliest members looked at per LSH bucket or cluster: a bucket of boilerplate does not blow up
REPRESENTATIVES = 4  # earliest representatives of one wording a copy is compared with (ones that say otherwise)
ORIGINALS = 8  # earliest articles of a cluster an article may copy by shared statements: linear in the copies
HASHES, BANDS = 48, 24
STATUS_WINDOW = 30  # days after a status report within which speaking in office is a conflict
COUNT_WINDOW = 2  # days between publications of two figures for the same event
POSITION_WINDOW = 90  # days within which a stance reversal is flagged
LOADED_BLOCKS = 30  # time blocks of vectors and candidates kept in memory between chunks (about 90 days): memory
# stays flat on a corpus of any length read in date order; a block let go is read again if a later chunk needs it

TABLES = (
    Table("cluster_members", (
        ("member", _BIG),  # processing order: articles by seq, statements by position
        ("cluster_id", _BIG),
        ("article_id", TEXT), ("statement_id", TEXT),
        ("kind", TEXT),  # attribution | unsourced
        ("start_char", _INT), ("end_char", _INT),
        ("words", _INT),  # normalised words of the statement
        ("matched", _BIG),  # the earlier member it matched (NULL: it founded the cluster)
        ("similarity", _FLOAT),  # verbatim: Jaccard of word shingles with ``matched``; paraphrase: the verdict
        ("how", TEXT),  # verbatim | paraphrase (NULL: it founded the cluster) | furniture (left out: own id < 0)
        ("line", _BIG),  # hash of its normalised words: site furniture is a line one outlet repeats
    ), order=("member",)),
    Table("statement_vectors", (
        ("member", _BIG),
        ("block", _INT),  # time block of its publication date (NULL: undated), see onrecord.store.match
        ("day", ("DATE", pa.date32())),
        ("source", TEXT),  # the article's own source key (wire, outlet, host)
        ("context", TEXT),  # the sentence(s) it stands in: what the verdict reads
        ("vector", ("FLOAT[]", pa.list_(pa.float32()))),  # onrecord.store.embed: a unit vector, 384 wide
    ), order=("member",)),
    Table("claim_conflicts", (  # pairs of statements of two sources: the same claim, told differently
        ("article_id", TEXT), ("statement_id", TEXT), ("member", _BIG),
        ("other_article_id", TEXT), ("other_statement_id", TEXT), ("other_member", _BIG),
        ("what", TEXT),  # figure | actor | polarity
        ("kind", TEXT),  # the figure's kind: count, money, percent, date, year, vote
        ("value", TEXT), ("other_value", TEXT),  # as written in each
        ("score", _FLOAT),  # the verdict on the two texts with what differs undone (claims.undone)
        ("updates", _BOOL),  # the statement speaks of a running count ("rose to", "now")
    ), order=("member", "other_member", "what")),
    Table("statement_buckets", (("bucket", _BIG), ("member", _BIG)), order=("bucket", "member")),
    Table("article_sources", (
        ("article_id", TEXT), ("seq", _BIG),
        ("wire", TEXT),  # the agency the article credits (reuters, ap, afp, …), NULL when none
        ("outlet_key", TEXT),  # wire:…, outlet:…, host:… or article:<id>: the article's own source
        ("copy_of", TEXT),  # the earlier article it copies (NULL: none)
        ("how", TEXT),  # text | statements: how the copy was recognised
        ("similarity", _FLOAT),  # share of its shingles (or statements) found in ``copy_of``
        ("group_id", TEXT),  # the first article of its group of copies
        ("source_key", TEXT),  # the group's independent source (rebuilt every run)
    ), order=("seq",)),
    Table("article_buckets", (("bucket", _BIG), ("seq", _BIG)), order=("bucket", "seq")),
    Table("statement_facts", (
        ("article_id", TEXT), ("statement_id", TEXT), ("kind", TEXT),  # status | count
        ("start_char", _INT), ("end_char", _INT),  # the statement
        ("lemma", TEXT),  # status: a key of conflicts.STATUS_KIND (resign, step down…); count: the event (killed…)
        ("subject_start", _INT), ("subject_end", _INT), ("subject_text", TEXT), ("pronoun", _BOOL),
        ("value", _FLOAT), ("approximate", _BOOL),
        ("noun", TEXT),  # count: the counted noun; status: the office the event's sentence names (NULL: none)
        ("places", TEXTS), ("weekday", TEXT),
        ("figure", TEXT),  # the figure as written
    ), order=("article_id", "start_char", "kind", "lemma", "value")),
    Table("clusters", (
        ("cluster_id", _BIG),
        ("size", _INT),  # statements
        ("articles", _INT),  # distinct articles
        ("outlets", _INT),  # independent sources (syndicated copies and one wire's stories count once)
        ("first_article_id", TEXT), ("first_statement_id", TEXT),  # by published date, then ingest order
        ("first_date", ("DATE", pa.date32())), ("first_outlet", TEXT),
        ("text", TEXT),  # the first statement's text
        ("statements", TEXTS),  # "<article id>/<statement id>", first first
        ("sources", TEXTS),  # the distinct source keys
    ), order=("cluster_id",)),
)
BY_NAME = {t.name: t for t in TABLES}
# written by the ingest workers with each article (not by this module, and not dropped with its tables): the
# statement vector of ``onrecord.store.embed`` over the sentence(s) the statement stands in; a statement without
# a row here (a store ingested before, another engine) gets its vector computed when it is clustered
EMBEDDINGS = Table("statement_embeddings", (
    ("article_id", TEXT), ("statement_id", TEXT),
    ("kind", TEXT),  # attribution | unsourced
    ("vector", ("FLOAT[]", pa.list_(pa.float32()))),  # a unit vector, embed.WIDTH wide (zeros: no content word)
), order=("article_id", "kind", "statement_id"))
# written by the ingest workers with each article when the store corroborates (kept like ``EMBEDDINGS``): the status
# events the article check read (``Record.status_events``) that lie in an unsourced statement, with what the corpus
# check filters on; one row with NULL ``lemma`` says the article was read and holds none. An article without a row
# (a store ingested before, or without corroborating; another engine) is parsed again when its facts are extracted
STATUS = Table("status_events", (
    ("article_id", TEXT),
    ("statement_id", TEXT),  # the unsourced statement holding the verb (NULL on the row of an article without one)
    ("verb", _INT),  # the verb's offset in the article text
    ("lemma", TEXT),  # a key of conflicts.STATUS_KIND (resign, step down, die…); NULL: the article holds no event
    ("subject_start", _INT), ("subject_end", _INT), ("subject_text", TEXT), ("pronoun", _BOOL),
    ("office", TEXT),  # the office the event's sentence names, lower case (NULL: none)
    ("restored", _BOOL),  # the article tells the status coming back ("released on bail")
    ("background", _BOOL),  # told as before the story's time ("had resigned", "former", "ago")
    ("years", ("INTEGER[]", pa.list_(pa.int32()))),  # the years written in the event's sentence
), order=("article_id", "verb"))


# ------------------------------------------------------------------------------------------------ shingles


_WORD = re.compile(r"\w+(?:[.,'’]\w+)*")
# "LISBON, May 6 (Reuters) - ": a dateline some outlets keep and others drop, not part of what was said
_DATELINE_START = re.compile(r"^\s*[A-Z][A-Z .'-]+(?:,\s*[A-Z][a-z]+\.? \d{1,2})?\s*(?:\([^)\n]{1,40}\)\s*)?[-–—]+\s+")
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80",
                      "ninety": "90", "dozen": "12"})
_SCALE_WORDS = {"hundred", "thousand", "million", "billion", "trillion", "percent"}
_NEGATIONS = {"not", "no", "never", "n't", "nobody", "nothing", "neither", "nor", "without", "none", "cannot"}


def words(text: str) -> list[str]:
    """Lower-case words: quotes, dashes and a leading dateline ignored, thousands separators dropped ('3,100' =
    '3100'), small numbers in digits ('nine' = '9')."""
    out = []
    text = _DATELINE_START.sub("", unicodedata.normalize("NFKC", text))
    for w in _WORD.findall(text.lower().replace("n’t", " n't").replace("n't", " n't")):
        w = w.replace("’", "'")
        w = _NUMBER_WORDS.get(w, w)
        out.append(w.replace(",", "") if w[0].isdigit() else w)
    return out


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS  # imported when first needed: queries never load spaCy

    return frozenset(STOP_WORDS) | {"'s", "'re", "'ve", "'ll", "'m"}


def _content_words(tokens: list[str]) -> int:
    stop = _stop_words()
    return sum(t not in stop for t in tokens)


def _gist(tokens: list[str]) -> tuple[frozenset[str], int]:
    """What two near-identical wordings must share to say the same thing: their figures and whether they deny."""
    numbers = frozenset(t for t in tokens if t[0].isdigit() or t in _SCALE_WORDS)
    return numbers, sum(t in _NEGATIONS for t in tokens) % 2


def shingles(tokens: list[str], n: int) -> set[int]:
    """crc32 of each n-word shingle (the whole text when shorter): deterministic across processes and runs."""
    if not tokens:
        return set()
    if len(tokens) <= n:
        return {zlib.crc32(" ".join(tokens).encode())}
    return {zlib.crc32(" ".join(tokens[i : i + n]).encode()) for i in range(len(tokens) - n + 1)}


def _coefficients(name: str) -> np.ndarray:
    # derived from a hash, not a random generator, so they never change with a numpy version
    return np.array([int.from_bytes(hashlib.blake2b(f"{name}{i}".encode(), digest_size=4).digest(), "little") >> 1
                     | 1 for i in range(HASHES)], dtype=np.uint64)


_A, _B = _coefficients("a"), _coefficients("b")
_PRIME = np.uint64(4294967311)  # the first prime above 2**32: a*x + b stays below 2**64 for a, b < 2**31
_FNV = np.uint64(1099511628211)


def signature(hashes: set[int]) -> np.ndarray:
    """MinHash signature: per hash function, the least (a*x + b) mod p over the shingles."""
    x = np.fromiter(hashes, dtype=np.uint64, count=len(hashes))
    return ((_A[:, None] * x[None, :] + _B[:, None]) % _PRIME).min(axis=1)


def band_buckets(sig: np.ndarray) -> list[int]:
    """One bucket per band (FNV-style mix of the band's rows and its number), as non-negative int64."""
    rows = sig.reshape(BANDS, HASHES // BANDS)
    h = np.full(BANDS, 1469598103934665603, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(rows.shape[1]):
            h = (h ^ rows[:, r]) * _FNV
        h = (h ^ np.arange(BANDS, dtype=np.uint64)) * _FNV
    return [int(v) for v in (h >> np.uint64(1))]


def exact_bucket(tokens: list[str]) -> int:
    digest = hashlib.blake2b(("=" + " ".join(tokens)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


# ------------------------------------------------------------------------------------------------- sources

# Agencies whose stories other outlets reprint, with the names they go by in datelines, credits and outlet fields.
WIRES = {
    "reuters": r"reuters|thomson reuters",
    "ap": r"ap|the associated press|associated press|ap news",
    "afp": r"afp|agence france[- ]presse|agence france presse",
    "dpa": r"dpa|deutsche presse[- ]agentur",
    "efe": r"efe|agencia efe",
    "ansa": r"ansa",
    "bloomberg": r"bloomberg|bloomberg news",
    "upi": r"upi|united press international",
    "xinhua": r"xinhua|xinhua news agency",
    "kyodo": r"kyodo|kyodo news",
    "pti": r"pti|press trust of india",
    "aap": r"aap|australian associated press",
}
_WIRE_NAMES = "|".join(f"(?P<{k}>{v})" for k, v in WIRES.items())
_WIRE_HOSTS = {"reuters.com": "reuters", "apnews.com": "ap", "afp.com": "afp", "dpa.com": "dpa",
               "bloomberg.com": "bloomberg", "upi.com": "upi", "xinhuanet.com": "xinhua"}
# "LISBON, May 6 (Reuters) -": the agency in brackets before a dash, near the start
_DATELINE = re.compile(rf"\((?:{_WIRE_NAMES})\)\s*[-–—:]", re.IGNORECASE)
_CREDITS = (
    (re.compile(r"^\s*\(Reporting by\b[^\n]*\)\s*$", re.MULTILINE), "reuters"),  # Reuters' closing credit line
    (re.compile(rf"(?:copyright|©|\(c\))\s*(?:©\s*)?\d{{4}}\s+(?:{_WIRE_NAMES})\b", re.IGNORECASE), None),
    (re.compile(r"\bAssociated Press writers? [A-Z][^\n]{0,120}\bcontributed\b"), "ap"),
)


def _wire_in(match: re.Match[str]) -> str | None:
    return next((k for k in WIRES if match.group(k)), None)


def wire_of(text: str, outlet: str | None, url: str | None) -> str | None:
    """The agency an article credits: its dateline, a credit line, its outlet field or its URL's host."""
    match = _DATELINE.search(text[:400])
    if match:
        return _wire_in(match)
    for pattern, wire in _CREDITS:
        match = pattern.search(text)
        if match:
            return wire or _wire_in(match)
    if outlet:
        name = " ".join(re.sub(r"[^\w\s-]", " ", outlet.lower()).replace(".com", " ").split())
        match = re.fullmatch(_WIRE_NAMES, name)
        if match:
            return _wire_in(match)
    host = _host(url)
    return next((w for h, w in _WIRE_HOSTS.items() if host == h or host.endswith("." + h)), None) if host else None


def _host(url: str | None) -> str | None:
    match = re.match(r"[a-z][a-z0-9+.-]*://([^/?#:]+)", url or "", re.IGNORECASE)
    if not match:
        return None
    host = match.group(1).lower()
    return host[4:] if host.startswith("www.") else host


def outlet_key(article_id: str, outlet: str | None, url: str | None, wire: str | None) -> str:
    """The article's own source: the wire it credits, else its outlet, else its URL's host, else itself."""
    if wire:
        return f"wire:{wire}"
    name = slug(outlet or "")
    if name.startswith("the-"):
        name = name[4:]
    if name:
        return f"outlet:{name}"
    host = _host(url)
    return f"host:{host}" if host else f"article:{article_id}"


# ---------------------------------------------------------------------------------------------------- facts

_CASUALTY_FORMS = re.compile(
    r"\b(?:kill|dead|die|death|toll|fatalit|injur|wound|hurt|arrest|detain|displac|evacuat)", re.IGNORECASE)
_NUMBER = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
                     r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|"
                     r"ninety|hundred|thousand|million|dozen)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_FORMER = re.compile(r"\b(?:former|formerly|ex|onetime|one-time|erstwhile|then|retired|late|outgoing)\b",
                     re.IGNORECASE)


def status_rows(article_id: str, text: str, unsourced: list[tuple[str, int, int]],
                events: Iterable[Any]) -> list[dict[str, Any]]:
    """The ``status_events`` rows of one article: each status event the article check read
    (``conflicts.StatusEvent``) inside one of its unsourced statements (``(id, start, end)``, in text order), or
    one row without an event when there is none. Per-article work, run where the article is analysed (the ingest
    workers), or in ``_status_facts`` for an article stored without rows."""
    rows = []
    for event in events:
        home = next((sid for sid, start, end in unsourced if start <= event.verb < end), None)
        if home is None:
            continue
        sentence = text[event.sentence[0]:event.sentence[1]]
        rows.append({"article_id": article_id, "statement_id": home, "verb": event.verb, "lemma": event.lemma,
                     "subject_start": event.subject[0], "subject_end": event.subject[1],
                     "subject_text": text[event.subject[0]:event.subject[1]], "pronoun": event.pronoun,
                     "office": event.office, "restored": event.restored, "background": event.background,
                     "years": sorted({int(y) for y in _YEAR.findall(sentence)})})
    return rows or [{"article_id": article_id, **dict.fromkeys(STATUS.names[1:])}]


def stored_status(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The ``status_events`` rows of these articles that the ingest workers wrote, by article, in text order."""
    if not article_ids or not _has_table(con, STATUS.name):
        return {}
    cursor = con.execute(f"SELECT {', '.join(STATUS.names)} FROM {STATUS.name} "
                         "WHERE article_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY article_id, verb NULLS FIRST",
                         [article_ids])
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in cursor.fetchall():
        out[r[0]].append(dict(zip(STATUS.names, r, strict=True)))
    return out


def _status_facts(statements: list[dict[str, Any]], texts: dict[str, str],
                  stored: dict[str, list[dict[str, Any]]] | None = None) -> Iterator[dict[str, Any]]:
    """The status events of the articles whose unsourced statements name one, as the article check's own reader
    read them (``onrecord.assess.conflicts.status_events``: asserted, not reported speech, not hypothetical,
    negated or framed, whom it happened to plainly named): the ingest workers' rows (``stored``, by article:
    ``stored_status``), else the whole article parsed again (a store without them). Events told as background or
    undone in the article ("released on bail"), or dated in another year than the article, are not news of its
    time and are left out. Each event is kept with the unsourced statement holding its verb."""
    from onrecord.assess.conflicts import STATUS_FORMS

    stored = stored or {}
    by_article: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in statements:
        by_article[s["article_id"]].append(s)
    todo = [aid for aid, rows in by_article.items() if texts.get(aid) and any(
        s["kind"] == "unsourced" and s["text"] and STATUS_FORMS.search(s["text"]) for s in rows)]
    read = {aid: stored[aid] for aid in todo if aid in stored}
    read.update(_read_status(by_article, texts, [aid for aid in todo if aid not in stored]))
    for aid in todo:
        rows = by_article[aid]
        published = rows[0]["published_date"]
        unsourced = {s["statement_id"]: s for s in rows if s["kind"] == "unsourced"}
        for event in read[aid]:
            home = unsourced.get(event["statement_id"])
            if home is None or event["lemma"] is None or event["restored"] or event["background"] or (
                    published is not None and any(y != published.year for y in event["years"])):
                continue
            yield {"article_id": aid, "statement_id": home["statement_id"], "start_char": home["start_char"],
                   "end_char": home["end_char"], "kind": "status", "lemma": event["lemma"],
                   "subject_start": event["subject_start"], "subject_end": event["subject_end"],
                   "subject_text": event["subject_text"], "pronoun": event["pronoun"], "noun": event["office"]}


def _read_status(by_article: dict[str, list[dict[str, Any]]], texts: dict[str, str],
                 todo: list[str]) -> dict[str, list[dict[str, Any]]]:
    """``status_rows`` of articles stored without them: each article parsed again to build the article check's
    actor index (the cost the workers' rows save: the pipeline and its models in this process)."""
    if not todo:
        return {}
    from onrecord.assess.conflicts import status_events, status_readings
    from onrecord.attribute.actors import ActorIndex
    from onrecord.clean import find_boilerplate
    from onrecord.parse import load_pipeline

    out = {}
    nlp = load_pipeline()
    with nlp.select_pipes(disable=["onrecord"]):
        for aid, doc in zip(todo, nlp.pipe([texts[a] for a in todo], batch_size=16), strict=True):
            rows = by_article[aid]
            skip = [(b.start, b.end) for b in find_boilerplate(texts[aid])]
            reported = [(s["start_char"], s["end_char"]) for s in rows if s["kind"] == "attribution"]
            unsourced = [(s["statement_id"], s["start_char"], s["end_char"]) for s in rows if s["kind"] == "unsourced"]
            out[aid] = status_rows(aid, doc.text, unsourced, status_events(
                status_readings(doc, ActorIndex(doc, skip), reported, skip)))
    return out


def _count_facts(doc: Any) -> Iterator[dict[str, Any]]:
    """Casualty figures ('14 people were killed'), as the single-article check reads them."""
    from onrecord.assess.conflicts import WEEKDAYS, count_of

    for ent in doc.ents:
        if ent.label_ != "CARDINAL":
            continue
        # "At least 14": the figure from its first number on ("least" still makes it approximate)
        first = next((t.i for t in ent if t.like_num), ent.start)
        count = count_of(doc[first : ent.end] if first > ent.start else ent)
        if count is None or count.event is None:
            continue
        weekdays = sorted(p for p in count.places if p in WEEKDAYS)
        yield {"lemma": count.event, "value": count.value, "approximate": count.approximate, "noun": count.noun,
               "places": sorted(p for p in count.places if p not in WEEKDAYS),
               "weekday": weekdays[0] if len(weekdays) == 1 else None, "figure": ent.text}


def extract_facts(statements: list[dict[str, Any]], texts: dict[str, str],
                  status: dict[str, list[dict[str, Any]]] | None = None) -> list[dict[str, Any]]:
    """Status events (``_status_facts``; ``status``: the articles' stored ``status_events`` rows) and casualty
    figures in the statements (``statements``: ``article_id, statement_id, kind, start_char, end_char, text,
    published_date``; ``texts``: each article's text). Only statements whose words suggest one are parsed."""
    rows: list[dict[str, Any]] = list(_status_facts(statements, texts, status))
    todo = [s for s in statements if s["text"] and _CASUALTY_FORMS.search(s["text"]) and _NUMBER.search(s["text"])]
    if not todo:
        return rows
    from onrecord.parse import load_pipeline

    nlp = load_pipeline()
    with nlp.select_pipes(disable=["onrecord"]):
        for s, doc in zip(todo, nlp.pipe([s["text"] for s in todo], batch_size=64), strict=True):
            base = {"article_id": s["article_id"], "statement_id": s["statement_id"], "start_char": s["start_char"],
                    "end_char": s["end_char"]}
            for fact in _count_facts(doc):
                rows.append({**base, "kind": "count", **fact})
    return rows


# -------------------------------------------------------------------------------------------------- running


@dataclass
class Summary:
    articles: int = 0  # newly processed
    statements: int = 0
    clusters: int = 0  # clusters with statements from 2+ articles, in the whole store
    copies: int = 0  # articles recognised as copies of an earlier one, in the whole store
    flags: dict[str, int] = field(default_factory=dict)  # corpus flags by code, in the whole store
    seconds: float = 0.0
    verdicts: int = 0  # candidate pairs the verdict model read (this run)
    furniture: int = 0  # statements left out as site furniture, in the whole store


def _row(con: duckdb.DuckDBPyConnection, query: str, params: list[Any] | None = None) -> tuple[Any, ...] | None:
    """The first row, the result read to its end (DuckDB refuses register() while a result is unfinished)."""
    rows = con.execute(query, params or []).fetchall()
    return rows[0] if rows else None


def _count(con: duckdb.DuckDBPyConnection, query: str) -> int:
    return int(con.execute(query).fetchall()[0][0])


def ensure(con: duckdb.DuckDBPyConnection) -> bool:
    """Create the tables; drop them first when they were written by another version. True if they were reset."""
    row = _row(con, "SELECT value FROM store_info WHERE key = 'corroborate'")
    reset = row is not None and row[0] != VERSION
    if reset:
        drop(con)
    for table in TABLES:
        con.execute(table.ddl())
    return reset


def drop(con: duckdb.DuckDBPyConnection) -> None:
    """Forget all corroboration: its tables, its flags and the setting that runs it after each ingest."""
    for table in TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table.name}")
    con.execute("DELETE FROM flags WHERE origin = 'corpus'")
    con.execute("DELETE FROM store_info WHERE key IN ('corroborate', 'corroborate_paraphrase')")


def enabled(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store keeps its clusters up to date (it has been corroborated once)."""
    return _count(con, "SELECT count(*) FROM store_info WHERE key = 'corroborate'") > 0


def paraphrase_enabled(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store runs the second stage: the setting kept in the store (``corroborate(paraphrase=...)``,
    so every later ingest clusters the same way), else ``PARAPHRASE_DEFAULT``."""
    row = _row(con, "SELECT value FROM store_info WHERE key = 'corroborate_paraphrase'")
    return PARAPHRASE_DEFAULT if row is None else row[0] == "1"


def corroborate(store: str | Path | duckdb.DuckDBPyConnection, *, rebuild: bool = False, progress: bool = False,
                chunk: int = CHUNK, paraphrase: bool | None = None) -> Summary:
    """Cluster the statements of articles not yet processed, then rebuild ``clusters``, the sources and the
    corpus flags. ``store`` is a path or an open writable connection.

    ``paraphrase`` turns the second stage on or off for this store (embeddings, the verdict model, cross-outlet
    conflicts of ``claim_conflicts``); ``None`` keeps the store's setting (``paraphrase_enabled``)."""
    started = time.monotonic()
    con = schema.connect(store) if isinstance(store, str | Path) else store
    try:
        if rebuild:
            drop(con)
        ensure(con)
        con.execute("INSERT OR REPLACE INTO store_info VALUES ('corroborate', ?)", [VERSION])
        if paraphrase is None:
            paraphrase = paraphrase_enabled(con)
        con.execute("INSERT OR REPLACE INTO store_info VALUES ('corroborate_paraphrase', ?)",
                    ["1" if paraphrase else "0"])
        summary = Summary()
        state = _State.load(con, paraphrase)
        pending = _count(con, "SELECT count(*) FROM articles a ANTI JOIN article_sources s ON s.article_id = a.id")
        done = 0
        while True:
            articles = _fetch_articles(con, state.last_seq, chunk)
            if not articles:
                break
            _process(con, state, articles, summary)
            done += len(articles)
            if progress:
                print(f"\rcorroborate: {done}/{pending} articles", end="", file=sys.stderr, flush=True)
        if progress and pending:
            print(file=sys.stderr)
        refresh(con, summary)
    finally:
        if isinstance(store, str | Path):
            con.close()
    summary.seconds = time.monotonic() - started
    return summary


@dataclass
class _State:
    """Counters carried from chunk to chunk."""

    last_seq: int
    next_member: int
    next_cluster: int
    paraphrase: bool = True  # the second stage (embeddings, verdict model) runs
    index: match.WindowIndex = field(default_factory=lambda: match.WindowIndex(embed.WIDTH))
    known: dict[int, match.Candidate] = field(default_factory=dict)  # stored statements of the loaded blocks
    loaded: set[int | None] = field(default_factory=set)  # blocks whose stored statements are in ``index``
    used: dict[int | None, int] = field(default_factory=dict)  # block -> the last chunk that needed it
    chunks: int = 0
    verdicts: int = 0  # pairs the verdict model read

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection, paraphrase: bool = True) -> _State:
        seq = con.execute("SELECT coalesce(max(seq), 0) FROM article_sources").fetchall()[0][0]
        member, cluster = con.execute(
            "SELECT coalesce(max(member), 0) + 1, coalesce(max(cluster_id), 0) + 1 FROM cluster_members").fetchall()[0]
        return cls(int(seq), int(member), int(cluster), paraphrase)

    def ensure_blocks(self, con: duckdb.DuckDBPyConnection, blocks: Iterable[int | None]) -> None:
        """Load the stored statements of the blocks around ``blocks`` into the index (unless they are there)."""
        near = {nb for b in blocks for nb in match.near_blocks(b)}
        self.chunks += 1
        self.used.update(dict.fromkeys(near, self.chunks))
        wanted = near - self.loaded
        if wanted:
            self._load(con, wanted)
        self.fill(con, {c.core for c in self.known.values()})

    def _load(self, con: duckdb.DuckDBPyConnection, wanted: set[int | None]) -> None:
        self.loaded |= wanted
        dated = sorted(b for b in wanted if b is not None)
        table = con.sql(f"""
            SELECT v.member, m.cluster_id, v.source, v.day, v.context, v.block, v.vector,
                   min(v.member) OVER (PARTITION BY m.cluster_id) AS core
            FROM statement_vectors v JOIN cluster_members m ON m.member = v.member
            WHERE m.cluster_id >= 0 AND (v.block IN (SELECT unnest(?::INTEGER[]))
                  {"OR v.block IS NULL" if None in wanted else ""})""", params=[dated]).to_arrow_table()
        if not table.num_rows:
            return
        vectors = np.asarray(table.column("vector").combine_chunks().flatten().to_numpy(), dtype=np.float32)
        vectors = vectors.reshape(table.num_rows, embed.WIDTH)
        rows = table.drop_columns(["vector"]).to_pylist()
        for r in rows:
            self.known[r["member"]] = match.Candidate(r["member"], r["cluster_id"], r["source"], r["day"],
                                                      r["context"], r["core"])
        self.index.add([r["member"] for r in rows], vectors, [r["block"] for r in rows])

    def fill(self, con: duckdb.DuckDBPyConnection, members: Iterable[int]) -> None:
        """Read stored statements that are not in memory (the cores of loaded clusters, in blocks further away or
        let go): a statement is judged against its cluster's true core however the corpus was cut into runs."""
        missing = sorted(set(members) - self.known.keys())
        if not missing:
            return
        rows = con.execute("""
            SELECT v.member, m.cluster_id, v.source, v.day, v.context,
                   (SELECT min(c.member) FROM cluster_members c WHERE c.cluster_id = m.cluster_id) AS core
            FROM statement_vectors v JOIN cluster_members m ON m.member = v.member
            WHERE v.member IN (SELECT unnest(?::BIGINT[])) AND m.cluster_id >= 0""", [missing]).fetchall()
        for member, cluster, source, day, ctx, core in rows:
            self.known[member] = match.Candidate(member, cluster, source, day, ctx, core)

    def release(self, keep: int | None = None) -> None:
        """Let go of the blocks no recent chunk needed, beyond ``keep``, and of the cores read from other blocks:
        their statements are in the store, read again when a later chunk needs them."""
        keep = LOADED_BLOCKS if keep is None else keep
        oldest = sorted(self.loaded, key=lambda b: (self.used.get(b, 0), b is None, b or 0))
        gone = oldest[: max(0, len(self.loaded) - keep)]
        self.loaded -= set(gone)
        for b in gone:
            self.index.indexes.pop(b, None)
            self.used.pop(b, None)
        self.known = {m: c for m, c in self.known.items() if match.block(c.day) in self.loaded}


def _fetch_articles(con: duckdb.DuckDBPyConnection, after: int, limit: int) -> list[dict[str, Any]]:
    cursor = con.execute("""
        SELECT id, seq, text, outlet, url, published_date FROM articles a
        WHERE seq > ? AND NOT EXISTS (SELECT 1 FROM article_sources s WHERE s.article_id = a.id)
        ORDER BY seq LIMIT ?""", [after, limit])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _statements(con: duckdb.DuckDBPyConnection, first: int, last: int) -> list[dict[str, Any]]:
    cursor = con.execute("""
        SELECT s.article_id, s.statement_id, s.kind, s.start_char, s.end_char, s.text, a.seq, a.published_date
        FROM (SELECT article_id, id AS statement_id, 'attribution' AS kind, content_start AS start_char,
                     content_end AS end_char, content AS text FROM attributions
              UNION ALL
              SELECT article_id, id, 'unsourced', start_char, end_char, text FROM unsourced) s
        JOIN articles a ON a.id = s.article_id
        WHERE a.seq BETWEEN ? AND ?
        ORDER BY a.seq, s.start_char, s.kind, s.statement_id""", [first, last])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _lookup(con: duckdb.DuckDBPyConnection, table: str, column: str, buckets: Iterable[int],
            cap: int = BUCKET_CAP) -> dict[int, list[int]]:
    """Stored rows of each bucket (the earliest ``cap`` of each)."""
    wanted = sorted(set(buckets))
    if not wanted:
        return {}
    con.register("_wanted", pa.table({"bucket": pa.array(wanted, pa.int64())}))
    try:
        rows = con.execute(f"""
            SELECT b.bucket, b.{column} FROM {table} b SEMI JOIN _wanted w ON w.bucket = b.bucket
            QUALIFY row_number() OVER (PARTITION BY b.bucket ORDER BY b.{column}) <= {cap}""").fetchall()
    finally:
        con.unregister("_wanted")
    out: dict[int, list[int]] = defaultdict(list)
    for bucket, key in rows:
        out[bucket].append(key)
    return out


def _first(bucket: int, stored: dict[int, list[int]], local: dict[int, list[int]], cap: int = BUCKET_CAP
           ) -> list[int]:
    """The earliest ``cap`` rows of a bucket, stored ones first (they are older): the same rows whether the
    earlier ones were written by an earlier chunk or sit in this one."""
    rows = stored.get(bucket, [])
    if len(rows) >= cap:
        return rows
    return rows + local.get(bucket, [])[: cap - len(rows)]


def _process(con: duckdb.DuckDBPyConnection, state: _State, articles: list[dict[str, Any]],
             summary: Summary) -> None:
    """One chunk of articles (in seq order): sources, statement clusters, facts; written in one transaction."""
    sources, article_buckets = _match_articles(con, articles)
    statements = _statements(con, articles[0]["seq"], articles[-1]["seq"])
    texts = {a["id"]: a["text"] for a in articles}
    for st in statements:
        st["source"] = sources[st["article_id"]]["outlet_key"]
        st["context"] = context(texts[st["article_id"]], st["start_char"], st["end_char"], st["text"] or "")
    members, statement_buckets = _cluster(con, state, statements)
    vectors, conflicts = _paraphrases(con, state, statements, members) if state.paraphrase else ([], [])
    facts = extract_facts(statements, texts, stored_status(con, [a["id"] for a in articles]))
    con.begin()
    try:
        schema.insert(con, BY_NAME["cluster_members"], members)
        schema.insert(con, BY_NAME["statement_buckets"], statement_buckets)
        schema.insert(con, BY_NAME["statement_vectors"], vectors)
        schema.insert(con, BY_NAME["claim_conflicts"], conflicts)
        _match_by_statements(con, articles, sources)
        schema.insert(con, BY_NAME["article_sources"], list(sources.values()))
        schema.insert(con, BY_NAME["article_buckets"], article_buckets)
        schema.insert(con, BY_NAME["statement_facts"], facts)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    state.last_seq = articles[-1]["seq"]
    state.release()
    summary.articles += len(articles)
    summary.statements += len(statements)
    summary.verdicts = state.verdicts


def _match_articles(con: duckdb.DuckDBPyConnection,
                    articles: list[dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Each article's wire and, when most of its text is inside an earlier article's, that article."""
    prepared = []
    for a in articles:
        sh = shingles(words(a["text"]), ARTICLE_SHINGLE)
        prepared.append((a, sh, band_buckets(signature(sh)) if sh else []))
    stored = _lookup(con, "article_buckets", "seq", (b for _, _, bs in prepared for b in bs))
    wanted = sorted({s for keys in stored.values() for s in keys})
    known: dict[int, tuple[str, set[int], str]] = {}  # seq -> (id, shingles, group)
    if wanted:
        rows = con.execute("""SELECT a.seq, a.id, a.text, s.group_id FROM articles a
                              JOIN article_sources s ON s.article_id = a.id
                              WHERE a.seq IN (SELECT unnest(?::BIGINT[]))""", [wanted]).fetchall()
        known = {seq: (aid, shingles(words(text), ARTICLE_SHINGLE), group) for seq, aid, text, group in rows}
    local: dict[int, list[int]] = defaultdict(list)
    sources: dict[str, dict[str, Any]] = {}
    bucket_rows = []
    for a, sh, buckets in prepared:
        candidates = sorted({s for b in buckets for s in _first(b, stored, local) if s in known})
        best: tuple[float, int] | None = None
        for seq in candidates:
            shared = len(sh & known[seq][1])
            share = shared / len(sh) if sh else 0.0
            if shared >= MIN_ARTICLE_SHARED and share >= ARTICLE_CONTAINED and (best is None or share > best[0]):
                best = (share, seq)
        wire = wire_of(a["text"], a["outlet"], a["url"])
        row = {"article_id": a["id"], "seq": a["seq"], "wire": wire,
               "outlet_key": outlet_key(a["id"], a["outlet"], a["url"], wire), "copy_of": None, "how": None,
               "similarity": None, "group_id": a["id"], "source_key": None}
        if best is not None:
            other = known[best[1]]
            row.update(copy_of=other[0], how="text", similarity=round(best[0], 4), group_id=other[2])
        sources[a["id"]] = row
        known[a["seq"]] = (a["id"], sh, row["group_id"])
        for b in buckets:
            local[b].append(a["seq"])
            bucket_rows.append({"bucket": b, "seq": a["seq"]})
    return sources, bucket_rows


def _match_by_statements(con: duckdb.DuckDBPyConnection, articles: list[dict[str, Any]],
                         sources: dict[str, dict[str, Any]]) -> None:
    """Articles whose texts differ (a rewrite around the wire copy) but which carry mostly the same statements
    are copies: they share at least SHARE_MIN statements, SHARE_FRACTION of the smaller article's and half of the
    larger one's, two of them in the author's own words (unsourced or reported speech: independent reporters
    quote the same sound bites word for word but do not write the same sentences). The earlier article is looked
    for among the first ORIGINALS articles of each cluster (the originals a story's copies follow), so a statement
    with k copies makes k article pairs, not k². Runs inside the chunk's transaction, after its statements joined
    their clusters."""
    todo = [a["id"] for a in articles if sources[a["id"]]["copy_of"] is None]
    if not todo:
        return
    eligible = f"cm.words >= {MIN_FUZZY_WORDS}"
    rows = con.execute(f"""
        WITH xm AS (SELECT DISTINCT cm.article_id, cm.cluster_id,
                           cm.kind = 'unsourced' OR coalesce(t.form, '') <> 'direct' AS own
                    FROM cluster_members cm
                    LEFT JOIN attributions t ON cm.kind = 'attribution' AND t.article_id = cm.article_id
                                             AND t.id = cm.statement_id
                    WHERE {eligible} AND cm.article_id IN (SELECT unnest(?::VARCHAR[]))),
             ym AS (SELECT DISTINCT article_id, cluster_id FROM (
                        SELECT cm.article_id, cm.cluster_id FROM cluster_members cm
                        SEMI JOIN xm ON xm.cluster_id = cm.cluster_id WHERE {eligible}
                        QUALIFY row_number() OVER (PARTITION BY cm.cluster_id ORDER BY cm.member) <= {ORIGINALS})),
             p AS (SELECT x.article_id AS x, y.article_id AS y, count(DISTINCT x.cluster_id) AS shared,
                          count(DISTINCT x.cluster_id) FILTER (WHERE x.own) AS own
                   FROM xm x JOIN ym y ON y.cluster_id = x.cluster_id AND y.article_id <> x.article_id
                   GROUP BY 1, 2),
             n AS (SELECT cm.article_id, count(DISTINCT cm.cluster_id) AS n FROM cluster_members cm
                   WHERE {eligible} AND cm.article_id IN (SELECT x FROM p UNION SELECT y FROM p) GROUP BY 1)
        SELECT p.x, p.y, p.shared / least(nx.n, ny.n) AS share
        FROM p JOIN n nx ON nx.article_id = p.x JOIN n ny ON ny.article_id = p.y
        JOIN articles ax ON ax.id = p.x JOIN articles ay ON ay.id = p.y
        WHERE ay.seq < ax.seq AND p.shared >= {SHARE_MIN} AND p.own >= 2
          AND p.shared >= {SHARE_FRACTION} * least(nx.n, ny.n) AND p.shared >= 0.5 * greatest(nx.n, ny.n)
        ORDER BY ax.seq, share DESC, p.shared DESC, ay.seq""", [todo]).fetchall()
    best: dict[str, tuple[str, float]] = {}
    for x, y, share in rows:
        best.setdefault(x, (y, share))
    if not best:
        return  # no group changed: the text copies already have their groups
    outside = sorted({y for y, _ in best.values()} - set(sources))
    groups = dict(con.execute("SELECT article_id, group_id FROM article_sources WHERE article_id IN "
                              "(SELECT unnest(?::VARCHAR[]))", [outside]).fetchall()) if outside else {}
    for a in articles:  # in seq order: a copy of an article of this chunk takes that article's final group
        row = sources[a["id"]]
        if a["id"] in best:
            other, share = best[a["id"]]
            row.update(copy_of=other, how="statements", similarity=round(share, 4))
        if row["copy_of"] is not None:
            row["group_id"] = groups.get(row["copy_of"], row["group_id"])
        groups[a["id"]] = row["group_id"]


def _cluster(con: duckdb.DuckDBPyConnection, state: _State,
             statements: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each statement joins a cluster (``representative``, else ``best_match``), or founds one. Only
    representatives enter the LSH index (``statement_buckets``: their line and band buckets), so a statement
    with k earlier copies meets at most REPRESENTATIVES of them, never k."""
    prepared = []
    for s in statements:
        text = Text.of(s["text"] or "")
        prepared.append((s, text, line_bucket(text.tokens), fuzzy_buckets(text)))
    lines = _lookup(con, "statement_buckets", "member", (ln for _, _, ln, _ in prepared if ln is not None),
                    cap=REPRESENTATIVES)
    bands = _lookup(con, "statement_buckets", "member", (b for *_, bs in prepared for b in bs))
    wanted = sorted({m for stored in (lines, bands) for keys in stored.values() for m in keys})
    known: dict[int, tuple[int, Text, str | None]] = {}  # member -> (cluster, text, the sentence it stands in)
    if wanted:
        # the sentence each stands in, from its article (statement_vectors keeps it only with the second stage): a
        # stored statement is judged as it was when it sat in the same chunk
        rows = con.execute("""
            SELECT m.member, m.cluster_id, coalesce(t.content, u.text), a.text, m.start_char, m.end_char
            FROM cluster_members m JOIN articles a ON a.id = m.article_id
            LEFT JOIN attributions t ON m.kind = 'attribution' AND t.article_id = m.article_id
                                     AND t.id = m.statement_id
            LEFT JOIN unsourced u ON m.kind = 'unsourced' AND u.article_id = m.article_id AND u.id = m.statement_id
            WHERE m.member IN (SELECT unnest(?::BIGINT[])) AND m.cluster_id >= 0""", [wanted]).fetchall()
        known = {member: (cluster, Text.of(text or ""), context(article, start, end, text or ""))
                 for member, cluster, text, article, start, end in rows}
    local: dict[int, list[int]] = defaultdict(list)
    members, bucket_rows = [], []
    for s, text, line, buckets in prepared:
        member = state.next_member
        state.next_member += 1
        found = None
        if line is not None:
            reps = [(m, known[m][1], known[m][2]) for m in _first(line, lines, local, REPRESENTATIVES) if m in known]
            found = representative(text, s.get("context"), reps)
        if found is None:
            candidates = sorted({m for b in buckets for m in _first(b, bands, local) if m in known})
            found = best_match(text, s.get("context"), [(m, known[m][1], known[m][2]) for m in candidates])
            for b in ([] if line is None else [line]) + buckets:  # a representative: into the index
                local[b].append(member)
                bucket_rows.append({"bucket": b, "member": member})
        if found is None:
            cluster, matched, similarity = state.next_cluster, None, None
            state.next_cluster += 1
        else:
            cluster, matched, similarity = known[found[0]][0], found[0], round(found[1], 4)
        known[member] = (cluster, text, s.get("context"))
        members.append({"member": member, "cluster_id": cluster, "article_id": s["article_id"],
                        "statement_id": s["statement_id"], "kind": s["kind"], "start_char": s["start_char"],
                        "end_char": s["end_char"], "words": len(text.tokens), "matched": matched,
                        "similarity": similarity, "how": None if matched is None else "verbatim",
                        "line": exact_bucket(text.tokens) if text.tokens else None})
    return members, bucket_rows


def line_bucket(tokens: list[str]) -> int | None:
    """The bucket of a statement's exact wording (its normalised words), for statements long enough to match."""
    return exact_bucket(tokens) if len(tokens) >= MIN_EXACT_WORDS else None


def fuzzy_buckets(text: Text) -> list[int]:
    """The LSH band buckets of a statement long enough for a fuzzy match (none for a shorter one)."""
    return band_buckets(signature(text.shingles)) if len(text.tokens) >= MIN_FUZZY_WORDS else []


def representative(text: Text, ctx: str | None, reps: list[tuple[int, Text, str | None]]
                   ) -> tuple[int, float] | None:
    """The first of the earlier representatives of the same wording (``(member, text, context)``, earliest
    first, at most REPRESENTATIVES) the statement copies: the same words, not in a sentence that says otherwise.
    A copy joins it and goes no further — a statement with k earlier copies is compared with its wording's
    representatives, not with every copy (the star of near-duplicate detection: Broder 1997; Manku et al. 2007)."""
    for member, other, other_ctx in reps:
        score = similar(text, other)
        if score is not None and not says_otherwise(ctx, other_ctx):
            return member, score
    return None


def best_match(text: Text, ctx: str | None, candidates: list[tuple[int, Text, str | None]]
               ) -> tuple[int, float] | None:
    """The most similar candidate (``(member, text, context)`` sorted by member; ties to the earliest) that says
    the same thing, with its score."""
    best: tuple[int, float] | None = None
    for member, other, other_ctx in candidates:
        score = similar(text, other)
        if score is not None and (best is None or score > best[1]) and not says_otherwise(ctx, other_ctx):
            best = (member, score)
    return best


def says_otherwise(context: str | None, other_context: str | None) -> bool:
    """The same words in a sentence that says otherwise (another speaker, "denied" for "confirmed"): not a copy."""
    if not other_context or not context:
        return False
    return bool(match.blocking(claims.differences(claims.facts(context), claims.facts(other_context))))


_SENTENCE_END = re.compile(r"[.!?][\"”’')\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9])|\n+")
CONTEXT_LIMIT = 400  # characters of context the verdict reads (the model reads at most 128 word pieces)


def context(text: str, start: int, end: int, fallback: str) -> str:
    """The sentence(s) a statement stands in: from the sentence end before ``start`` to the one after ``end``."""
    if not text or start is None or end is None or not 0 <= start <= end <= len(text):
        return fallback
    lo = max(0, start - CONTEXT_LIMIT)
    before = [m.end() for m in _SENTENCE_END.finditer(text, lo, start)]
    first = before[-1] if before else (0 if lo == 0 else start)
    after = _SENTENCE_END.search(text, max(end - 1, first), min(len(text), end + CONTEXT_LIMIT))
    last = after.start() + 1 if after else min(len(text), end + CONTEXT_LIMIT)
    piece = " ".join(text[first:last].split())
    return piece if len(piece) <= 2 * CONTEXT_LIMIT else " ".join(fallback.split())


def embedding_rows(rows: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The ``statement_embeddings`` rows of one article, from its table rows (``ingest.record_rows``): per-article
    work, run where the article is analysed (the ingest workers, or any engine's map step)."""
    text = rows["articles"][0]["text"] if rows.get("articles") else ""
    keys, contexts = [], []
    for a in rows.get("attributions", []):
        keys.append((a["article_id"], a["id"], "attribution"))
        contexts.append(context(text, a["content_start"], a["content_end"], a["content"] or ""))
    for u in rows.get("unsourced", []):
        keys.append((u["article_id"], u["id"], "unsourced"))
        contexts.append(context(text, u["start_char"], u["end_char"], u["text"] or ""))
    vectors = embed.embed(contexts)
    return [{"article_id": aid, "statement_id": sid, "kind": kind, "vector": v.tolist()}
            for (aid, sid, kind), v in zip(keys, vectors, strict=True)]


def _vectors(con: duckdb.DuckDBPyConnection, statements: list[dict[str, Any]]) -> np.ndarray:
    """The statements' vectors: those the ingest workers stored, the others (older stores) computed here."""
    found: list[np.ndarray | None] = [None] * len(statements)
    if _has_table(con, EMBEDDINGS.name):
        ids = sorted({s["article_id"] for s in statements})
        table = con.sql(f"SELECT article_id, statement_id, kind, vector FROM {EMBEDDINGS.name} "
                        "WHERE article_id IN (SELECT unnest(?::VARCHAR[]))", params=[ids]).to_arrow_table()
        if table.num_rows:
            where = {k: i for i, k in enumerate(zip(table.column("article_id").to_pylist(),
                                                    table.column("statement_id").to_pylist(),
                                                    table.column("kind").to_pylist(), strict=True))}
            stored = np.asarray(table.column("vector").combine_chunks().flatten().to_numpy(), dtype=np.float32)
            stored = stored.reshape(table.num_rows, embed.WIDTH)
            for i, s in enumerate(statements):
                row = where.get((s["article_id"], s["statement_id"], s["kind"]))
                if row is not None:
                    found[i] = stored[row]
    return embed.embed_missing(found, [s["context"] for s in statements])


def _paraphrases(con: duckdb.DuckDBPyConnection, state: _State, statements: list[dict[str, Any]],
                 members: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The second stage on a chunk of a DuckDB store: the blocks around it loaded, the statements' vectors read,
    then ``link_paraphrases``. Updates ``members`` in place; returns the vector rows and the conflict rows."""
    if not statements:
        return [], []
    state.ensure_blocks(con, {match.block(s["published_date"]) for s in statements})
    vectors = _vectors(con, statements)
    by_member = {m["member"] for m in members}
    state.fill(con, [m["matched"] for m in members if m["matched"] is not None and m["matched"] not in by_member])
    score = Scorer()
    vector_rows, conflicts = link_paraphrases(state.index, state.known, statements, members, vectors, score,
                                              score.threshold)
    state.verdicts += score.pairs
    _fill_other_ids(con, conflicts)
    return vector_rows, conflicts


class Scorer:
    """The verdict as ``link_paraphrases`` calls it — the shipped model, the second order read only near its
    threshold (``match.MARGIN``) — counting the pairs it read."""

    def __init__(self) -> None:
        from onrecord.store.verdict import shipped

        self.verdict = shipped()
        self.threshold = self.verdict.threshold
        self.pairs = 0

    def __call__(self, a: list[str], b: list[str]) -> np.ndarray:
        self.pairs += len(a)
        return self.verdict.scores(a, b, margin=match.MARGIN)


def link_paraphrases(index: match.WindowIndex, known: dict[int, match.Candidate], statements: list[dict[str, Any]],
                     members: list[dict[str, Any]], vectors: np.ndarray, score: Any, threshold: float
                     ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The second stage over plain rows, in member order: statements that found no verbatim match join a cluster
    whose core says the same claim in other words (onrecord.store.match); pairs of sources that tell one claim
    differently are kept as ``claim_conflicts``. ``index`` and ``known`` hold the earlier statements (each
    statement is added as it is done); ``known`` holds the cores of their clusters and the statements the verbatim
    copies among ``members`` matched. Sequential: a join changes what later statements meet. The DuckDB store
    calls it per chunk (``_paraphrases``), the engine per time segment (``corroborate_batch.paraphrase_segment``).
    Updates ``members`` in place; returns the vector rows and the conflict rows (a partner outside ``members``
    without its ids)."""
    by_member = {m["member"]: m for m in members}
    vector_rows, conflicts = [], []
    for s, m, vector in zip(statements, members, vectors, strict=True):
        day = s["published_date"]
        core, matched = m["member"], None
        if m["matched"] in by_member:  # a verbatim copy of a statement of this chunk: wherever that one went
            m["cluster_id"] = by_member[m["matched"]]["cluster_id"]
        if m["matched"] is not None:
            matched = known.get(m["matched"])
            core = matched.core if matched is not None else by_member.get(m["matched"], m)["member"]
        new = match.Candidate(m["member"], m["cluster_id"], s["source"], day, s["context"], core)
        if m["words"] >= MIN_EXACT_WORDS:
            near = match.candidates(new, index.search(vector, match.block(day)), known)
            if near:  # a verbatim copy is in its cluster already: only conflicts are looked for
                best, clashes = match.judge(new, [c for c, _ in near], known, score, threshold,
                                            join=m["matched"] is None)
                if best is not None:
                    m.update(cluster_id=best.other.cluster, matched=best.other.member,
                             similarity=round(best.score, 4), how="paraphrase")
                    new.cluster, new.core = best.other.cluster, best.other.core
                for c in clashes:
                    for d in c.differences:
                        other = by_member.get(c.other.member)
                        conflicts.append({
                            "article_id": s["article_id"], "statement_id": s["statement_id"], "member": new.member,
                            "other_article_id": None if other is None else other["article_id"],
                            "other_statement_id": None if other is None else other["statement_id"],
                            "other_member": c.other.member, "what": d.what, "kind": d.kind or None,
                            "value": d.a, "other_value": d.b, "score": round(c.score, 4),
                            "updates": new.read().updates})
        known[new.member] = new
        index.add([new.member], vector[None, :], [match.block(day)])
        vector_rows.append({"member": new.member, "block": match.block(day), "day": day, "source": s["source"],
                            "context": s["context"], "vector": vector.tolist()})
    return vector_rows, conflicts


def _fill_other_ids(con: duckdb.DuckDBPyConnection, conflicts: list[dict[str, Any]]) -> None:
    """The article and statement ids of conflict partners stored by earlier chunks."""
    missing = sorted({c["other_member"] for c in conflicts if c["other_article_id"] is None})
    if not missing:
        return
    found = {m: (a, st) for m, a, st in con.execute(
        "SELECT member, article_id, statement_id FROM cluster_members WHERE member IN (SELECT unnest(?::BIGINT[]))",
        [missing]).fetchall()}
    for c in conflicts:
        if c["other_article_id"] is None and c["other_member"] in found:
            c["other_article_id"], c["other_statement_id"] = found[c["other_member"]]


_CAPITALISED = re.compile(r"(?<![\w'’])[A-Z][\w'’.-]*")
_TITLES = {"Mr", "Mrs", "Ms", "Dr", "Prof", "Sen", "Rep", "Gov", "Gen", "Lt", "Col", "Sgt", "Rev", "Sir", "Dame"}
# a full stop after these is not the end of a sentence ("Mrs. Clinton", "J. Smith", "the U.S. Senate")
_ABBREVIATION = re.compile(r"(?:\b(?:" + "|".join(_TITLES) + r"|St|Jr|Sr|[A-Z])|\b[A-Z]\.[A-Z])\.$")


@dataclass(frozen=True)
class Text:
    """A statement as compared: its words, their shingles, and the names in it."""

    tokens: list[str]
    shingles: set[int]
    names: frozenset[str]

    @classmethod
    def of(cls, text: str) -> Text:
        tokens = words(text)
        return cls(tokens, shingles(tokens, SHINGLE), names(text))


def names(text: str) -> frozenset[str]:
    """Capitalised words not opening a sentence or quote (names, mostly), in the form ``words`` gives them."""
    text = _DATELINE_START.sub("", unicodedata.normalize("NFKC", text))
    out = set()
    for found in _CAPITALISED.finditer(text):
        before = text[max(0, found.start() - 12) : found.start()].rstrip()
        opens = not before or before[-1] in "!?:;\"“‘'(—–-" or (before[-1] == "." and not _ABBREVIATION.search(before))
        if opens or found.group() in ("I", "I'm", "I’m") or found.group().rstrip(".") in _TITLES:
            continue
        out.update(words(found.group()))
    return frozenset(out)


def similar(a: Text, b: Text) -> float | None:
    """The Jaccard similarity of two statements' shingles when they say the same thing, else None."""
    if len(a.tokens) < MIN_EXACT_WORDS or len(b.tokens) < MIN_EXACT_WORDS or _content_words(a.tokens) < 2:
        return None  # "I don't know", "And that wasn't all": said everywhere, by everyone
    if a.tokens == b.tokens:
        return 1.0
    if len(a.tokens) < MIN_FUZZY_WORDS or len(b.tokens) < MIN_FUZZY_WORDS or _gist(a.tokens) != _gist(b.tokens):
        return None  # "Nine people were killed" and "14 people were killed" differ where it matters
    if (a.names - b.names) and (b.names - a.names):
        return None  # "a big fan of Paul" and "a big fan of Elizabeth Warren": one name put for another
    shared = len(a.shingles & b.shingles)
    jaccard = shared / len(a.shingles | b.shingles)
    if jaccard >= JACCARD or (shared >= MIN_SHARED and shared >= CONTAINED * min(len(a.shingles), len(b.shingles))):
        return jaccard
    return None


# ------------------------------------------------------------------------------------------- summary, flags


def refresh(con: duckdb.DuckDBPyConnection, summary: Summary | None = None) -> Summary:
    """Rebuild the articles' independent sources, ``clusters`` and the corpus flags (one transaction)."""
    summary = summary or Summary()
    if not enabled(con) or not all(_has_table(con, t.name) for t in TABLES):
        return summary
    con.begin()
    try:
        _mark_furniture(con)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    flags = corpus_flags(con)
    con.begin()
    try:
        con.execute("""
            UPDATE article_sources s SET source_key = g.key FROM (
                SELECT s.group_id, coalesce('wire:' || min(s.wire),
                       first(s.outlet_key ORDER BY a.published_date NULLS LAST, s.seq)) AS key
                FROM article_sources s JOIN articles a ON a.id = s.article_id GROUP BY s.group_id) g
            WHERE g.group_id = s.group_id""")
        con.execute("DELETE FROM clusters")
        con.execute("""
            INSERT INTO clusters BY NAME
            WITH m AS (
                SELECT m.cluster_id, m.article_id, m.statement_id, a.published_date, a.outlet,
                       row_number() OVER (PARTITION BY m.cluster_id
                                          ORDER BY a.published_date NULLS LAST, a.seq, m.start_char, m.member) AS rank,
                       s.source_key, coalesce(t.content, u.text) AS text
                FROM cluster_members m JOIN articles a ON a.id = m.article_id
                JOIN article_sources s ON s.article_id = m.article_id
                LEFT JOIN attributions t ON m.kind = 'attribution' AND t.article_id = m.article_id
                                         AND t.id = m.statement_id
                LEFT JOIN unsourced u ON m.kind = 'unsourced' AND u.article_id = m.article_id
                                      AND u.id = m.statement_id
                WHERE m.cluster_id >= 0)
            SELECT cluster_id, count(*) AS size, count(DISTINCT article_id) AS articles,
                   count(DISTINCT source_key) AS outlets,
                   first(article_id ORDER BY rank) AS first_article_id,
                   first(statement_id ORDER BY rank) AS first_statement_id,
                   first(published_date ORDER BY rank) AS first_date,
                   first(outlet ORDER BY rank) AS first_outlet,
                   first(text ORDER BY rank) AS text,
                   list(article_id || '/' || statement_id ORDER BY rank)
                       AS statements,
                   list_sort(list_distinct(list(source_key))) AS sources
            FROM m GROUP BY cluster_id""")
        con.execute("DELETE FROM flags WHERE origin = 'corpus'")
        schema.insert(con, schema.FLAGS, flags)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    summary.clusters = _count(con, "SELECT count(*) FROM clusters WHERE articles > 1")
    summary.copies = _count(con, "SELECT count(*) FROM article_sources WHERE copy_of IS NOT NULL")
    summary.furniture = _count(con, "SELECT count(*) FROM cluster_members WHERE how = 'furniture'")
    summary.flags = dict(con.execute("SELECT code, count(*) FROM flags WHERE origin = 'corpus' "
                                     "GROUP BY 1 ORDER BY 1").fetchall())
    return summary


def _mark_furniture(con: duckdb.DuckDBPyConnection) -> None:
    """Site furniture — a line one outlet repeats in FURNITURE_GROUPS or more of its independent stories (teasers,
    video notices, newsletter lines, live-blog datelines) — is learned from the store and left out of clusters:
    each such statement becomes a cluster of its own with the id ``-member`` (so re-running changes nothing)."""
    con.execute(f"""
        UPDATE cluster_members SET cluster_id = -member, matched = NULL, similarity = NULL, how = 'furniture'
        WHERE cluster_id >= 0 AND member IN (
            WITH lines AS (SELECT m.member, m.line, s.outlet_key, s.group_id FROM cluster_members m
                           JOIN article_sources s ON s.article_id = m.article_id WHERE m.line IS NOT NULL),
                 repeated AS (SELECT outlet_key, line FROM lines GROUP BY ALL
                              HAVING count(DISTINCT group_id) >= {FURNITURE_GROUPS})
            SELECT member FROM lines SEMI JOIN repeated USING (outlet_key, line))""")


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    query = "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = 'main'"
    return bool(con.execute(query, [name]).fetchall()[0][0])


@dataclass(frozen=True)
class _Statement:
    article_id: str
    statement_id: str
    start: int
    end: int
    text: str
    day: date | None
    seq: int
    outlet: str | None
    attributed: bool = True

    @property
    def ref(self) -> str:
        return f"{self.article_id}/{self.statement_id}"

    @property
    def order(self) -> tuple[date, int, int]:
        return (self.day or date.max, self.seq, self.start)


def _flag(on: _Statement, other: _Statement, code: str, severity: str, explanation: str) -> dict[str, Any]:
    return {"article_id": on.article_id, "code": code, "severity": severity, "text": on.text,
            "start_char": on.start, "end_char": on.end, "explanation": explanation, "related": [other.ref],
            "origin": "corpus", "statement": on.statement_id}


def _where(s: _Statement) -> str:
    parts = [p for p in (s.outlet, s.day.isoformat() if s.day else None) if p]
    return f" ({', '.join(parts)})" if parts else ""


def _quote(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def corpus_flags(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every corpus flag, computed afresh from the stored rows (sorted, so a re-run writes the same rows): the
    check rows of the store (``check_rows``) through the same per-group checks an engine's groupby calls."""
    claimed = [{**f, "check": "claim"} for f in _claim_conflicts(con)]
    return unique_flags(claimed + check_flags(check_rows(con)))


# The status, figures and stance checks each read one group of rows at a time — an actor's status events and the
# statements they are reported speaking in; one casualty count's figures; an actor's stances on one issue — so an
# engine runs them as a groupby over ``CHECKS`` rows (``corroborate_batch.prepare`` writes them per article) and
# the one-process store builds the same rows with SQL (``check_rows``).
CHECKS = pa.schema([
    ("check", pa.string()),  # event | spoken | count | position
    ("key", pa.string()),  # the group: the actor (event, spoken), [event, noun] (count), [actor, issue] (position)
    ("article_id", pa.string()), ("statement_id", pa.string()), ("start_char", pa.int32()), ("end_char", pa.int32()),
    ("text", pa.string()), ("published_date", pa.date32()), ("seq", pa.int64()), ("outlet", pa.string()),
    ("attributed", pa.bool_()),
    ("actor_id", pa.string()), ("name", pa.string()),  # the canonical actor and its name (event, position)
    ("lemma", pa.string()),  # event: the status verb; count: the event counted
    ("role", pa.string()), ("said_when", pa.string()), ("speaker_text", pa.string()),  # spoken
    ("value", pa.float64()), ("approximate", pa.bool_()), ("noun", pa.string()), ("places", pa.list_(pa.string())),
    ("weekday", pa.string()),  # count
    ("issue", pa.string()), ("stance", pa.string()), ("confidence", pa.float64()), ("origin", pa.string()),  # position
])
_FAMILY = {"event": "status", "spoken": "status", "count": "count", "position": "position"}
# when two checks flag the same statement against the same other one, the later check's flag is kept
_RANK = {"claim": 0, "status": 1, "count": 2, "position": 3}

_STATEMENTS_SQL = """
    SELECT s.article_id, s.statement_id, s.start_char, s.end_char, s.text, a.published_date, a.seq, a.outlet,
           s.attributed
    FROM (SELECT article_id, id AS statement_id, content_start AS start_char, content_end AS end_char,
                 content AS text, TRUE AS attributed FROM attributions
          UNION ALL
          SELECT article_id, id, start_char, end_char, text, FALSE FROM unsourced) s
    JOIN articles a ON a.id = s.article_id"""
_STATEMENT_FIELDS = ("article_id", "statement_id", "start_char", "end_char", "text", "published_date", "seq", "outlet",
                     "attributed")


def _statement(row: tuple[Any, ...]) -> _Statement:
    return _Statement(*row)


def _of(row: dict[str, Any]) -> _Statement:
    return _Statement(*(row[f] for f in _STATEMENT_FIELDS))


def check_key(*parts: str | None) -> str:
    """A check group's key: the actor, [event, noun] or [actor, issue], as one string."""
    if len(parts) == 1:
        return parts[0] or ""
    return json.dumps(list(parts))


def check_row(check: str, key: str, statement: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """One ``CHECKS`` row: the statement's fields and the check's own."""
    row = dict.fromkeys(CHECKS.names)
    row.update({f: statement[f] for f in _STATEMENT_FIELDS}, check=check, key=key, **fields)
    return row


def act_statement(article_id: str, evidence: str | None, text: str | None, published_date: date | None, seq: int,
                  outlet: str | None) -> dict[str, Any] | None:
    """The statement behind a position taken in a stance act (evidence ``act:START-END``, see
    ``onrecord.record.act_span``): its content in the article's text, as ``_STATEMENT_FIELDS``. None for an
    attribution id, or a span outside the text."""
    span = act_span(evidence)
    if span is None or text is None or not 0 <= span[0] < span[1] <= len(text):
        return None
    return {"article_id": article_id, "statement_id": evidence, "start_char": span[0], "end_char": span[1],
            "text": text[span[0]:span[1]], "published_date": published_date, "seq": seq, "outlet": outlet,
            "attributed": True}


def event_actor(subject_start: int, subject_end: int, people: list[tuple[int, int, str]]) -> str | None:
    """Whom a status event happened to: the first of the article's canonical person mentions (sorted) that overlaps
    the event's subject (a pronoun counts only when the analysis resolved it, then it is a mention of its actor)."""
    return next((a for start, end, a in people if start < subject_end and subject_start < end), None)


def check_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The ``CHECKS`` rows of a DuckDB store: dated status events resolved to their actor, those actors' dated
    attributions, dated casualty figures naming a place, dated stances of canonical actors."""
    rows: list[dict[str, Any]] = []
    facts = con.execute(f"""
        SELECT f.lemma, f.noun, f.subject_start, f.subject_end, st.*
        FROM statement_facts f JOIN ({_STATEMENTS_SQL}) st
          ON st.article_id = f.article_id AND st.statement_id = f.statement_id
        WHERE f.kind = 'status' AND st.published_date IS NOT NULL""").fetchall()
    if facts:
        people: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        for aid, start, end, actor in con.execute("""
                SELECT article_id, start_char, end_char, actor_id FROM mentions
                WHERE kind = 'person' AND actor_id IS NOT NULL AND start_char IS NOT NULL
                  AND article_id IN (SELECT unnest(?::VARCHAR[]))
                ORDER BY article_id, start_char, end_char, actor_id""",
                                                  [sorted({r[4] for r in facts})]).fetchall():
            people[aid].append((start, end, actor))
        events = []
        for lemma, office, s_start, s_end, *row in facts:
            st = dict(zip(_STATEMENT_FIELDS, row, strict=True))
            actor = event_actor(s_start, s_end, people.get(st["article_id"], []))
            if actor is not None:
                events.append((actor, lemma, office, st))
        actors = sorted({a for a, _, _, _ in events})
        names = dict(con.execute("SELECT id, name FROM actors WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                                 [actors]).fetchall())
        rows += [check_row("event", actor, st, actor_id=actor, name=names.get(actor), lemma=lemma, noun=office)
                 for actor, lemma, office, st in events]
        for actor, role, when, speaker, *row in con.execute(f"""
                SELECT t.actor_id, t.speaker_role, t.said_when, t.speaker_text, st.*
                FROM attributions t
                JOIN ({_STATEMENTS_SQL}) st ON st.article_id = t.article_id AND st.statement_id = t.id
                WHERE t.actor_id IN (SELECT unnest(?::VARCHAR[])) AND st.published_date IS NOT NULL""",
                                                            [actors]).fetchall():
            st = dict(zip(_STATEMENT_FIELDS, row, strict=True))
            rows.append(check_row("spoken", actor, st, actor_id=actor, role=role, said_when=when,
                                  speaker_text=speaker))
    for lemma, noun, value, approximate, places, weekday, *row in con.execute(f"""
            SELECT f.lemma, f.noun, f.value, f.approximate, f.places, f.weekday, st.*
            FROM statement_facts f JOIN ({_STATEMENTS_SQL}) st
              ON st.article_id = f.article_id AND st.statement_id = f.statement_id
            WHERE f.kind = 'count' AND st.published_date IS NOT NULL AND len(f.places) > 0""").fetchall():
        st = dict(zip(_STATEMENT_FIELDS, row, strict=True))
        rows.append(check_row("count", check_key(lemma, noun), st, lemma=lemma, value=value, approximate=approximate,
                              noun=noun, places=places, weekday=weekday))
    for actor, issue, stance, confidence, origin, name, *row in con.execute(f"""
            SELECT p.actor_id, p.issue, p.stance, p.confidence, p.origin, ac.name, st.*
            FROM positions p JOIN ({_STATEMENTS_SQL}) st
              ON st.article_id = p.article_id AND st.statement_id = p.attribution_id
            LEFT JOIN actors ac ON ac.id = p.actor_id
            WHERE p.actor_id IS NOT NULL AND st.published_date IS NOT NULL""").fetchall():
        st = dict(zip(_STATEMENT_FIELDS, row, strict=True))
        rows.append(check_row("position", check_key(actor, issue), st, actor_id=actor, name=name, issue=issue,
                              stance=stance, confidence=confidence, origin=origin))
    # Positions taken in stance acts have no attribution row: their statement is the act's span of the text.
    for actor, issue, stance, confidence, origin, name, aid, evidence, text, day, seq, outlet in con.execute("""
            SELECT p.actor_id, p.issue, p.stance, p.confidence, p.origin, ac.name, p.article_id, p.attribution_id,
                   a.text, a.published_date, a.seq, a.outlet
            FROM positions p JOIN articles a ON a.id = p.article_id
            LEFT JOIN actors ac ON ac.id = p.actor_id
            WHERE p.actor_id IS NOT NULL AND a.published_date IS NOT NULL AND p.attribution_id LIKE 'act:%'
            ORDER BY a.seq, p.attribution_id, p.issue, p.actor_id""").fetchall():
        st = act_statement(aid, evidence, text, day, seq, outlet)
        if st is not None:
            rows.append(check_row("position", check_key(actor, issue), st, actor_id=actor, name=name, issue=issue,
                                  stance=stance, confidence=confidence, origin=origin))
    return rows


def check_flags(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The flags of the status, figures and stance checks over ``CHECKS`` rows holding whole groups (all rows of
    each key they hold), each flag with the ``check`` it came from (for ``unique_flags``)."""
    groups: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        groups[(_FAMILY[r["check"]], r["key"])][r["check"]].append(r)
    out = []
    for (family, _), by_check in sorted(groups.items()):
        if family == "status":
            found = status_conflicts(by_check["event"], by_check["spoken"])
        elif family == "count":
            found = count_conflicts(by_check["count"])
        else:
            found = position_changes(by_check["position"])
        out += [{**f, "check": family} for f in found]
    return out


def unique_flags(flags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The flags to store, from ``check_flags`` (and the claim check) over whole articles: a casualty count two
    sources tell differently is one disagreement, which the claim check's flag says already; one flag per
    statement, code and other statement (the later check's, then the last by explanation). Sorted."""
    pairs = {(f["article_id"], f["related"][0].split("/")[0]) for f in flags if f["check"] == "claim"}
    kept = [f for f in flags if f["check"] != "count" or (f["article_id"], f["related"][0].split("/")[0]) not in pairs]
    unique = {}
    for f in sorted(kept, key=lambda f: (_RANK[f["check"]], f["explanation"], f["severity"])):
        unique[(f["article_id"], f["statement"], f["code"], f["related"][0])] = f
    out = [{k: v for k, v in f.items() if k != "check"} for f in unique.values()]
    return sorted(out, key=lambda f: (f["article_id"], f["start_char"], f["code"], f["related"]))


def _claim_conflicts(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Two sources telling what is otherwise the same claim with another figure, named actor or polarity
    (``claim_conflicts``, found by onrecord.store.match): one flag, on the later statement, naming the other. A
    later, higher figure in a statement that speaks of a running count ("the toll rose to 40") is an update."""
    if not _has_table(con, "claim_conflicts"):
        return []
    rows = con.execute(f"""
        SELECT c.what, c.kind, c.value, c.other_value, c.score, c.updates, coalesce(sa.source_key, sa.outlet_key),
               coalesce(sb.source_key, sb.outlet_key),
               a.*, b.*
        FROM claim_conflicts c
        JOIN ({_STATEMENTS_SQL}) a ON a.article_id = c.article_id AND a.statement_id = c.statement_id
        JOIN ({_STATEMENTS_SQL}) b ON b.article_id = c.other_article_id AND b.statement_id = c.other_statement_id
        JOIN article_sources sa ON sa.article_id = c.article_id
        JOIN article_sources sb ON sb.article_id = c.other_article_id
        ORDER BY c.member, c.score DESC, c.what""").fetchall()
    from onrecord.store import claims

    width = len(_Statement.__dataclass_fields__)
    out: dict[tuple[str, str], dict[str, Any]] = {}  # one flag per statement and other source
    for what, kind, value, other_value, score, updates, source_a, source_b, *row in rows:
        a, b = _statement(tuple(row[:width])), _statement(tuple(row[width:]))
        if source_a == source_b:
            continue  # copies of one source (recognised after the pair was found) do not disagree with it
        later, earlier = (a, b) if a.order >= b.order else (b, a)
        earlier_source = source_b if later is a else source_a
        new_value, old_value = (value, other_value) if later is a else (other_value, value)
        if what == "figure" and kind == "count":
            x, y = claims.facts(new_value).figures, claims.facts(old_value).figures
            grows = bool(x and y and x[0].value > y[0].value)
            if grows and ((later is a and updates) or (later.day and earlier.day and later.day > earlier.day)):
                continue  # "the toll rose to 40", or a higher count a day later: the count went on, an update
        key = (later.ref, earlier_source)  # copies of the other version in one source: still one disagreement
        if key in out:
            continue
        difference = claims.describe(claims.Difference(what, new_value, old_value, kind or ""))
        explanation = (f"{_who(later)} and {_who(earlier)} report what is otherwise the same claim with a different "
                       f"{difference.removeprefix('the ')}: {_quote(later.text)} vs {_quote(earlier.text)}.")
        out[key] = _flag(later, earlier, "conflict", "medium" if score >= 0.9 else "low", explanation)
    return list(out.values())


def _who(s: _Statement) -> str:
    """An outlet as named in an explanation: 'Reuters (2024-05-01)'."""
    return f"{s.outlet or 'an outlet without a name'}{f' ({s.day.isoformat()})' if s.day else ''}"


def status_conflicts(events: list[dict[str, Any]], spoken: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One actor: reported resigned / dead / arrested (``event`` rows, read by the article check's reader, see
    ``_status_facts``) while another article reports them speaking (``spoken`` rows; for deaths: saying anything;
    otherwise: speaking with a title, in office — the office the event ended when its article names one),
    within STATUS_WINDOW days."""
    from onrecord.assess.conflicts import STATUS_FORMS, STATUS_KIND, STATUS_WHAT
    from onrecord.attribute.lexicon import PERSONAL_PRONOUNS

    if not events:
        return []
    reported = sorted(((_of(e), e["lemma"], e["noun"]) for e in events), key=lambda x: (x[0].order, x[0].ref, x[1]))
    reporting = {ev.article_id for ev, _, _ in reported}
    name = next((e["name"] for e in events if e["name"]), None) or events[0]["actor_id"]
    out = []
    seen: set[str] = set()  # articles: one flag per article and actor
    for r in sorted(spoken, key=lambda r: (r["seq"], r["start_char"], r["statement_id"])):
        st, role, when, speaker = _of(r), r["role"], r["said_when"], r["speaker_text"]
        if st.article_id in reporting or st.article_id in seen:
            continue  # the article reports the event itself (the single-article check covers it)
        if (speaker or "").strip().lower() in PERSONAL_PRONOUNS or re.search(r"\w['’]s\b", speaker or ""):
            continue  # "they said", "Scott's relatives said", resolved to the actor: too weak to contradict
        if role and (_FORMER.search(role) or STATUS_FORMS.search(role)):
            role = None  # "former campaign manager", "whom Trump fired": not speaking in office
        if when and re.search(r"\b(last|ago|earlier|previously|(?:19|20)\d\d)\b", when, re.IGNORECASE):
            continue  # said before the event
        for deaths in (True, False):
            found = [(ev, lemma) for ev, lemma, office in reported
                     if (STATUS_KIND.get(lemma) == "alive") == deaths and ev.day is not None and st.day is not None
                     and 0 <= (st.day - ev.day).days <= STATUS_WINDOW and (deaths or _same_office(office, role))]
            if not found:
                continue
            event, lemma = found[0]
            gap = (st.day - event.day).days  # type: ignore[operator]
            later, earlier = (st, event) if st.order > event.order else (event, st)
            severity = ("high" if gap else "medium") if deaths else ("medium" if gap else "low")
            when_text = "on the same day" if not gap else f"{gap} day{'s' if gap > 1 else ''} later"
            explanation = (f"Another article{_where(event)} says {name} {STATUS_WHAT.get(lemma, lemma)} "
                           f"({_quote(event.text)}), yet {name} is reported speaking"
                           f"{' as ' + role if role else ''} {when_text}{_where(st)}: {_quote(st.text)} — both "
                           "cannot be current; check which is true.")
            out.append(_flag(later, earlier, "conflict", severity, explanation))
            seen.add(st.article_id)
            break
    return out


def _same_office(office: str | None, role: str | None) -> bool:
    """A role someone speaks in that the status event ended: any office (not a candidacy) when the event's article
    names none, else one sharing a word with it ("campaign manager" / "Trump's campaign manager"), so that someone
    fired as a campaign manager who speaks as a commentator is no conflict."""
    from onrecord.assess.conflicts import holds_office

    if not role or not holds_office(role):
        return False  # speaking as "the Republican candidate" is seeking an office, not holding one
    if not office:
        return True
    return bool(set(words(office)) & set(words(role)) - _TITLE_FILLER)


_TITLE_FILLER = {"the", "a", "an", "of", "for", "and", "to", "in", "s", "former", "vice", "deputy", "chief", "senior"}


_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _event_day(day: date | None, weekday: str | None) -> date | None:
    """The date a weekday in an article refers to: the latest such day on or before publication."""
    if day is None or weekday not in _DAYS:
        return None
    return day - timedelta(days=(day.weekday() - _DAYS.index(weekday)) % 7)


def _show(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,}"


def count_conflicts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One casualty count (an event and counted noun): two figures for what looks like the same event in
    different articles — a shared place, published within COUNT_WINDOW days, not on different weekdays."""
    rows = sorted(rows, key=lambda r: (r["published_date"], r["seq"], r["start_char"], r["value"], r["statement_id"],
                                       r["approximate"], sorted(r["places"]), r["weekday"] or ""))
    items = [(_of(r), r["value"], r["approximate"], set(r["places"]), _event_day(r["published_date"], r["weekday"]))
             for r in rows]
    out = []
    lo = 0  # items are in date order: only the last COUNT_WINDOW days are compared
    for i, (st, value, approx, places, day) in enumerate(items):
        assert st.day is not None
        while items[lo][0].day < st.day - timedelta(days=COUNT_WINDOW):  # type: ignore[operator]
            lo += 1
        for other, o_value, o_approx, o_places, o_day in items[lo:i]:
            if other.article_id == st.article_id or other.day is None:
                continue
            gap = (st.day - other.day).days
            if gap > COUNT_WINDOW or not (places & o_places) or (day and o_day and day != o_day):
                continue
            if value == o_value or ((approx or o_approx) and abs(value - o_value) <= 0.25 * max(value, o_value)):
                continue
            if gap > 0 and value > o_value:
                continue  # a higher figure published later: the count has grown, an update
            event, noun = rows[i]["lemma"], rows[i]["noun"]
            what = event if noun is None else f"{noun}s {event}"
            where = ", ".join(p.title() for p in sorted(places & o_places))
            explanation = (f"This gives {_show(value)} for the number {what} ({where}), but another "
                           f"article{_where(other)} gave {_show(o_value)} for what looks like the same event: "
                           f"{_quote(other.text)}; the two figures cannot both be right.")
            severity = "medium" if not (st.attributed or other.attributed) else "low"
            out.append(_flag(st, other, "conflict", severity, explanation))
            break
    return out


def position_changes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One actor's stances on one issue: a stance that differs from their previous one, in another article within
    POSITION_WINDOW days. A statement with several stances on the issue counts with its most confident one."""
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: (r["confidence"] is None, -(r["confidence"] or 0.0), r["origin"] is None,
                                         r["origin"] or "", r["stance"] is None, r["stance"] or "")):
        best.setdefault((r["article_id"], r["statement_id"]), r)
    out = []
    previous: tuple[str, _Statement] | None = None
    for r in sorted(best.values(), key=lambda r: (r["published_date"], r["seq"], r["start_char"], r["statement_id"])):
        st, stance = _of(r), r["stance"]
        if previous is not None:
            before, earlier = previous
            gap = (st.day - earlier.day).days if st.day and earlier.day else None
            if stance != before and earlier.article_id != st.article_id and gap is not None \
                    and gap <= POSITION_WINDOW:
                same_day = gap == 0
                explanation = (f"{r['name'] or r['actor_id']}'s stance on {r['issue']!r} was {before!r} in another "
                               f"article{_where(earlier)}: {_quote(earlier.text)}; here it is {stance!r}"
                               f"{' on the same day' if same_day else f', {gap} days later'}.")
                out.append(_flag(st, earlier, "conflict" if same_day else "position-change",
                                 "medium" if same_day else "low", explanation))
        previous = (stance, st)
    return out
