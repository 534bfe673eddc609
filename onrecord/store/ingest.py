"""``onrecord ingest``: analyse sources in parallel and write their records into the store, resumably.

How it stays correct when killed at any moment:

* Items come out of the sources in a fixed order and their outcomes are written in that order (workers run
  ahead, but results are taken in submission order), so article ``seq`` numbers and cross-article actor merging
  come out the same however the run was cut.
* Each batch (articles, every row they add, the actors they touch, the failures among them) is written in ONE
  transaction: either all of it is in the store or none of it is. The ``articles`` row is the commit marker: an
  article whose row is there is complete, and a resumed run skips it (its id is checked after reading, before
  the costly analysis).
* A failed item is upserted into ``failures`` by name, so retrying it on a later run never duplicates it, and
  its row is removed once it is stored.

How memory stays flat: sources are streamed; at most ``jobs * 3`` tasks are in flight; a batch is written and
dropped; the worker's check for already-stored articles is a sorted array of 8-byte hashes (8 MB per million
articles); actor candidates are loaded per batch.
"""

from __future__ import annotations

import atexit
import hashlib
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from onrecord.errors import InputError, OnrecordError
from onrecord.limits import limit_memory, memory_limit_mb, ran_out_of_memory
from onrecord.record import Record
from onrecord.store import canonical, schema
from onrecord.store.sources import Item, count_items, read_item

DEFAULT_BATCH = 200  # articles per transaction
TASK_ITEMS = 8  # items a worker takes at once (spaCy pipes them together)
INFLIGHT_PER_JOB = 3  # tasks queued per worker: enough to keep it busy, few enough to bound memory
MAX_DEATHS = 3  # a worker dying on this many articles in a row: the workers are broken, not the articles


@dataclass
class Outcome:
    """What became of one item: ``ok`` (analysed, to be stored), ``skipped`` (already stored) or ``failed``."""

    name: str
    source: str
    status: str
    article_id: str | None = None
    rows: dict[str, list[dict[str, Any]]] | None = None
    actors: list[canonical.LocalActor] = field(default_factory=list)
    stage: str | None = None
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)  # the article is stored, but something was not read
    unknown_fields: list[str] = field(default_factory=list)


@dataclass
class Summary:
    stored: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0
    store: str = ""
    corroboration: Any = None  # onrecord.store.corroborate.Summary when clusters and corpus flags were updated
    workers: list[str] = field(default_factory=list)  # --engine ray: the worker processes (node:pid) that analysed
    publish_seconds: float = 0.0  # --engine ray: numbering, actor merging and writing the tables

    @property
    def done(self) -> int:
        return self.stored + self.skipped + self.failed


# ------------------------------------------------------------------------------------------------ record rows


def parse_date(value: str | None) -> date | None:
    """The calendar date of a published value (ISO or a common written form); None when there is no full date."""
    if not value:
        return None
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value)
    if match:
        try:
            return date(*map(int, match.groups()))
        except ValueError:
            return None
    try:
        from dateutil import parser as dateparser
    except ImportError:  # pragma: no cover - dateutil comes with trafilatura
        return None
    try:
        # a sentinel year: a value without a year gives no date rather than a guess
        parsed = dateparser.parse(value, default=datetime(1, 1, 1), fuzzy=False)
    except (ValueError, OverflowError, TypeError):
        return None
    return None if parsed.year == 1 else parsed.date()


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def article_identity(document: Any) -> str:
    """An article is known by its ``id``, else its URL, else its text and outlet: the same wire story run by
    another outlet or at another address is another article (a copy, which independence counting needs), and
    re-ingesting the same item adds nothing. Without URL or outlet it is its text, as stores made before had it."""
    if document.id:
        return str(document.id)
    if document.url:
        return sha256(f"url\n{document.url.strip()}")
    if document.outlet:
        return sha256(f"outlet\n{document.outlet.strip().lower()}\n{document.text}")
    return sha256(document.text)


def record_rows(record: Record, source: str, name: str) -> dict[str, list[dict[str, Any]]]:
    """The rows one record adds to each table (canonical actor ids and ``seq`` are filled in by the writer)."""
    art = record.article
    aid = art.id
    rows: dict[str, list[dict[str, Any]]] = {t.name: [] for t in schema.ARTICLE_TABLES}
    rows["articles"].append({
        "id": aid, "seq": None, "content_hash": sha256(record.text), "title": art.title, "url": art.url,
        "published": art.published, "published_date": parse_date(art.published), "outlet": art.outlet,
        "language": art.language, "source": source, "source_name": name, "record_schema": record.schema,
        "n_attributions": len(record.attributions), "n_unsourced": len(record.unsourced),
        "n_flags": len(record.flags), "text": record.text,
    })
    for a in record.attributions:
        sp, cue = a.speaker, a.cue
        rows["attributions"].append({
            "article_id": aid, "id": a.id, "actor_id": None,
            "speaker_name": sp.name if sp else None, "speaker_kind": sp.kind if sp else None,
            "speaker_role": sp.role if sp else None, "speaker_local": sp.actor if sp else None,
            "speaker_text": sp.text if sp else None, "speaker_start": sp.start if sp else None,
            "speaker_end": sp.end if sp else None,
            "cue": cue.text if cue else None, "cue_start": cue.start if cue else None,
            "cue_end": cue.end if cue else None,
            "content": a.content.text, "content_start": a.content.start, "content_end": a.content.end,
            "form": a.form, "via_chain": " → ".join(v.name or v.text for v in a.via) or None,
            "via": [{"name": v.name, "kind": v.kind, "start": v.start, "end": v.end, "text": v.text} for v in a.via],
            "said_when": a.when,
        })
    for u in record.unsourced:
        rows["unsourced"].append({"article_id": aid, "id": u.id, "text": u.text, "start_char": u.start,
                                  "end_char": u.end, "checkworthiness": u.checkworthiness, "flags": list(u.flags)})
    for actor in record.actors:
        base = {"article_id": aid, "actor_id": None, "local_id": actor.id, "name": actor.name, "kind": actor.kind,
                "roles": list(actor.roles)}
        spans = actor.mentions or [None]  # an actor without a mention still needs a row to be resolved again
        for m in spans:
            rows["mentions"].append({**base, "text": m.text if m else None, "start_char": m.start if m else None,
                                     "end_char": m.end if m else None, "mention_kind": m.kind if m else None})
    for p in record.positions:
        rows["positions"].append({"article_id": aid, "actor_id": None, "local_actor": p.actor, "issue": p.issue,
                                  "stance": p.stance, "attribution_id": p.attribution, "confidence": p.confidence,
                                  "origin": "record"})
    for f in record.flags:
        rows["flags"].append({"article_id": aid, "code": f.code, "severity": f.severity, "text": f.text,
                              "start_char": f.start, "end_char": f.end, "explanation": f.explanation,
                              "related": list(f.related), "origin": "record"})
    for b in record.boilerplate:
        rows["boilerplate"].append({"article_id": aid, "reason": b.reason, "text": b.text, "start_char": b.start,
                                    "end_char": b.end})
    return rows


# ---------------------------------------------------------------------------------------------------- workers

_WORKER: dict[str, Any] = {}


def id_hash(article_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(article_id.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                          "little")


def known_ids(con: duckdb.DuckDBPyConnection) -> np.ndarray:
    """8-byte hashes of every stored article id, sorted: the workers' cheap "already stored?" test."""
    values = np.fromiter((id_hash(r[0]) for r in con.execute("SELECT id FROM articles").fetchall()), dtype=np.uint64)
    values.sort()
    return values


def init_worker(known: np.ndarray, max_bytes: int | None, vectors: bool = False, status: bool = False,
                in_pool: bool = True) -> None:
    """Per-process set-up: the stored-id hashes, the size limit, whether to compute statement vectors (the store
    corroborates in other words) and to keep the status events the article check read (the store corroborates),
    the spaCy pipeline (loaded once)."""
    _WORKER["known"] = known
    _WORKER["max_bytes"] = max_bytes
    _WORKER["vectors"] = vectors
    _WORKER["status"] = status
    if not in_pool:
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    _WORKER["memory_mb"] = memory_limit_mb()
    limit_memory(_WORKER["memory_mb"])  # a runaway analysis fails with MemoryError (one failure row), not the host
    parent = os.getppid()

    def watch() -> None:  # a killed ingest must not leave its workers behind
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()

    def quick_exit() -> None:  # freeing spaCy's objects one by one takes seconds; a worker has nothing to save
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    atexit.register(quick_exit)
    from onrecord.parse import load_pipeline

    load_pipeline()


def _is_known(article_id: str) -> bool:
    known: np.ndarray | None = _WORKER.get("known")
    if known is None or not len(known):
        return False
    h = np.uint64(id_hash(article_id))
    i = int(np.searchsorted(known, h))
    return i < len(known) and known[i] == h


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OnrecordError):
        return str(exc)
    return f"internal error ({type(exc).__name__}): {exc}"


def _analyse(documents: list[Any]) -> list[Record | BaseException]:
    """Records of documents, piped together; when one fails, each is analysed alone so only it fails."""
    from onrecord.analysis import analyze, analyze_many

    try:
        return list(analyze_many(documents, n_process=1))
    except Exception as exc:
        if ran_out_of_memory(exc):  # also in disguise: an extension that cannot be mapped, a failed mmap
            _past_memory_ceiling()
    out: list[Record | BaseException] = []
    for d in documents:
        try:
            out.append(analyze(d.text, **{k: getattr(d, k) for k in ("id", "title", "url", "published", "outlet")}))
        except Exception as exc:
            if ran_out_of_memory(exc):
                _past_memory_ceiling()
            out.append(exc.with_traceback(None))  # its frames would keep the failed analysis's memory
    return out


def _past_memory_ceiling() -> None:
    """A pool worker past its memory ceiling ends itself: what the failed allocation left behind stays
    allocated, so the Runner retries its articles one by one in fresh workers, and the article that
    passes the ceiling again is a failure row. Outside a pool there is no ceiling: the error is the record's."""
    if _WORKER.get("memory_mb"):
        os._exit(3)


def process(items: list[Item]) -> list[Outcome]:
    """A worker's task: read each item, skip the stored ones, analyse the rest, turn records into rows."""
    outcomes: list[Outcome | None] = [None] * len(items)
    todo: list[tuple[int, Item, Any]] = []
    for i, item in enumerate(items):
        try:
            document = read_item(item, _WORKER.get("max_bytes"))
        except Exception as exc:
            outcomes[i] = Outcome(item.name, item.source, "failed", stage="read", reason=_reason(exc))
            continue
        article_id = article_identity(document)
        if _is_known(article_id):
            outcomes[i] = Outcome(item.name, item.source, "skipped", article_id)
        else:
            document.id = article_id
            todo.append((i, item, document))
    records = _analyse([d for _, _, d in todo]) if todo else []
    for (i, item, document), record in zip(todo, records, strict=True):
        if isinstance(record, BaseException):
            outcomes[i] = Outcome(item.name, item.source, "failed", stage="analyse", reason=_reason(record))
            continue
        try:
            rows = record_rows(record, item.source, item.name)
            if _WORKER.get("vectors"):
                from onrecord.store.corroborate import EMBEDDINGS, embedding_rows

                rows[EMBEDDINGS.name] = embedding_rows(rows)
            if _WORKER.get("status"):  # the corpus check's input, so that it need not parse the article again
                from onrecord.store.corroborate import STATUS, status_rows

                rows[STATUS.name] = status_rows(record.article.id, record.text,
                                                [(u.id, u.start, u.end) for u in record.unsourced],
                                                record.status_events)
        except Exception as exc:
            outcomes[i] = Outcome(item.name, item.source, "failed", stage="analyse", reason=_reason(exc))
            continue
        actors = [(a.id, a.name, a.kind,
                   canonical.name_variants(a.name, a.kind, (m.text for m in a.mentions if m.kind == "name")))
                  for a in record.actors]
        warnings = []
        published = rows["articles"][0]["published"]
        if published and rows["articles"][0]["published_date"] is None:
            warnings.append(f"{item.name}: cannot read the date {published[:60]!r} (stored without a date)")
        outcomes[i] = Outcome(item.name, item.source, "ok", record.article.id, rows, actors,
                              warnings=warnings, unknown_fields=getattr(document, "unknown_fields", []))
    return [o for o in outcomes if o is not None]


class Runner:
    """Runs tasks on a process pool, yielding results in submission order with a bounded number in flight.

    A worker that dies (a crash in native code, the OOM killer) breaks the pool: the pool is restarted, the
    task that was running is retried item by item, and an item that kills a worker again is a failure."""

    def __init__(self, jobs: int, initargs: tuple[Any, ...]) -> None:
        self.jobs = jobs
        self.initargs = initargs
        self.pool: ProcessPoolExecutor | None = None
        self.deaths = 0  # items in a row on which a worker died

    def run(self, tasks: Iterable[list[Item]]) -> Iterator[list[Outcome]]:
        if self.jobs == 1:
            init_worker(*self.initargs, in_pool=False)
            for task in tasks:
                yield process(task)
            return
        pending: deque[tuple[list[Item], Future[list[Outcome]]]] = deque()
        limit = self.jobs * INFLIGHT_PER_JOB
        try:
            for task in tasks:
                pending.append((task, self._submit(task)))
                while len(pending) >= limit:
                    yield self._head(pending)
            while pending:
                yield self._head(pending)
        finally:
            self._stop()

    def _submit(self, task: list[Item]) -> Future[list[Outcome]]:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=init_worker, initargs=self.initargs)
        return self.pool.submit(process, task)

    def _stop(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def _head(self, pending: deque[tuple[list[Item], Future[list[Outcome]]]]) -> list[Outcome]:
        task, future = pending.popleft()
        try:
            return future.result()
        except BrokenProcessPool:
            self._stop()
        outcomes: list[Outcome] = []
        for item in task:  # one at a time, in a fresh pool whenever the last one died
            try:
                outcomes.extend(self._submit([item]).result())
                self.deaths = 0
            except BrokenProcessPool:
                self._stop()
                self.deaths += 1
                if self.deaths >= MAX_DEATHS:  # not one bad article: the workers cannot run at all
                    raise OnrecordError(
                        "the analysis worker processes keep dying (out of memory? try fewer --jobs)") from None
                outcomes.append(Outcome(item.name, item.source, "failed", stage="analyse",
                                        reason="the analysis process died on this article (a crash, or it needed "
                                               "more than the workers' memory limit)"))
        for i, (queued, fut) in enumerate(pending):  # tasks queued on the dead pool go again, unless they finished
            if not (fut.done() and not fut.cancelled() and fut.exception() is None):
                pending[i] = (queued, self._submit(queued))
        return outcomes


# ----------------------------------------------------------------------------------------------------- writer


class Writer:
    """Collects outcomes and writes each batch in one transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection, rules: list[canonical.Rule], batch_size: int,
                 summary: Summary) -> None:
        self.con = con
        self.resolver = canonical.Resolver(con, rules)
        self.batch_size = batch_size
        self.summary = summary
        self.pending: list[Outcome] = []
        self.seq = int(con.execute("SELECT coalesce(max(seq), 0) FROM articles").fetchone()[0]) + 1

    def add(self, outcome: Outcome) -> None:
        self.pending.append(outcome)
        if len(self.pending) >= self.batch_size:
            self.flush()

    def _stored_by_the_old_rule(self, oks: list[Outcome]) -> set[str]:
        """Articles a store made before ids came from URLs holds under the hash of their text alone (with the same
        URL and outlet): the same item, already stored."""
        probe = [(o.article_id, sha256(o.rows["articles"][0]["text"]), o.rows["articles"][0]["url"],
                  o.rows["articles"][0]["outlet"]) for o in oks if o.rows]
        probe = [p for p in probe if p[0] != p[1]]
        if not probe:
            return set()
        found = {(r[0], r[1], r[2]) for r in self.con.execute(
            "SELECT id, url, outlet FROM articles WHERE id IN (SELECT unnest(?::VARCHAR[]))",
            [[p[1] for p in probe]]).fetchall()}
        return {aid for aid, old, url, outlet in probe if (old, url, outlet) in found}

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        oks = [o for o in batch if o.status == "ok"]
        ids = sorted({o.article_id for o in oks if o.article_id})
        existing = {r[0] for r in self.con.execute(
            "SELECT id FROM articles WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids]).fetchall()} if ids else set()
        existing |= self._stored_by_the_old_rule(oks)
        stored: list[Outcome] = []
        for o in oks:  # a duplicate in the sources, or stored since the worker looked
            if o.article_id in existing:
                o.status = "skipped"
            else:
                existing.add(o.article_id)
                stored.append(o)
        articles = []
        for o in stored:
            assert o.rows is not None
            o.rows["articles"][0]["seq"] = self.seq
            articles.append((self.seq, o.article_id, o.actors))
            self.seq += 1
        mapping, actor_rows = self.resolver.resolve(articles)
        tables: dict[str, list[dict[str, Any]]] = {t.name: [] for t in schema.ARTICLE_TABLES}
        for o in stored:
            assert o.rows is not None
            for name, rows in o.rows.items():
                tables.setdefault(name, []).extend(rows)
        for row in tables["attributions"]:
            row["actor_id"] = mapping.get((row["article_id"], row["speaker_local"])) if row["speaker_local"] else None
        for row in tables["mentions"]:
            row["actor_id"] = mapping.get((row["article_id"], row["local_id"]))
        for row in tables["positions"]:
            row["actor_id"] = mapping.get((row["article_id"], row["local_actor"])) if row["local_actor"] else None
        failures = {o.name: {"name": o.name, "source": o.source, "stage": o.stage, "reason": o.reason}
                    for o in batch if o.status == "failed"}
        cleared = sorted({o.name for o in batch if o.status != "failed"})

        self.con.begin()
        try:
            for table in schema.ARTICLE_TABLES:
                schema.insert(self.con, table, tables[table.name])
            from onrecord.store.corroborate import EMBEDDINGS, STATUS

            for table in (EMBEDDINGS, STATUS):  # what the workers add for corroboration, when the store corroborates
                if tables.get(table.name):
                    self.con.execute(table.ddl())
                    schema.insert(self.con, table, tables[table.name])
            schema.insert(self.con, schema.ACTORS, actor_rows, upsert=True)
            if cleared:
                self.con.execute("DELETE FROM failures WHERE name IN (SELECT unnest(?::VARCHAR[]))", [cleared])
            schema.insert(self.con, schema.FAILURES, list(failures.values()), upsert=True)
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise
        self.summary.stored += len(stored)
        self.summary.skipped += sum(1 for o in batch if o.status == "skipped")
        self.summary.failed += len(failures)


# ------------------------------------------------------------------------------------------------------ ingest


def _tasks(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    while True:
        task = list(islice(items, size))
        if not task:
            return
        yield task


def _items(sources: list[str], max_bytes: int | None) -> Iterator[Item]:
    from onrecord.store.parquet_sources import iter_all

    yield from iter_all(sources, max_bytes)


def ingest(sources: list[str], store: str | Path, *, jobs: int | None = None, batch_size: int = DEFAULT_BATCH,
           aliases: str | Path | None = None, max_bytes: int | None = None, progress: bool = True,
           on_batch: Callable[[Summary], None] | None = None, corroborate: bool | None = None) -> Summary:
    """Analyse every article of ``sources`` not yet in ``store`` and write their records. See the module doc.

    ``corroborate``: then cluster the new statements and refresh the corpus flags (onrecord.store.corroborate);
    None (the default) does so when the store has been corroborated before, so it stays up to date."""
    if not sources:
        raise InputError("nothing to ingest: give a folder, a .jsonl/.csv/.warc file, or - for stdin")
    jobs = jobs or os.cpu_count() or 1
    if jobs < 1 or batch_size < 1:
        raise InputError("--jobs and --batch-size must be at least 1")
    from onrecord.store.parquet_sources import check

    check(sources)  # fail fast, before any work, on a SOURCE that does not exist
    rules = canonical.load_rules(aliases) if aliases else None
    started = time.monotonic()
    summary = Summary(store=str(store))
    con = schema.connect(store)
    try:
        stored_rules = canonical.stored_rules(con)
        if rules is not None and rules != stored_rules:
            canonical.reapply(con, rules)
        rules = rules if rules is not None else stored_rules
        writer = Writer(con, rules, batch_size, summary)
        total = _total(sources) if progress else None
        bar = _bar(total, progress)
        from onrecord.store import corroborate as corroboration

        will_corroborate = corroborate or (corroborate is None and corroboration.enabled(con))
        vectors = bool(will_corroborate) and corroboration.paraphrase_enabled(con)
        runner = Runner(jobs, (known_ids(con), max_bytes, vectors, bool(will_corroborate)))
        items = _items(sources, max_bytes)
        try:
            unknown_seen: set[str] = set()
            for outcomes in runner.run(_tasks(items, max(1, min(TASK_ITEMS, batch_size)))):
                for outcome in outcomes:
                    _warn(outcome, unknown_seen, bar)
                    before = summary.done
                    writer.add(outcome)
                    if summary.done != before:  # a batch was committed
                        _committed(summary, bar, on_batch)
                if bar is not None:
                    bar.update(len(outcomes))
            writer.flush()
            _committed(summary, bar, on_batch)
        finally:
            if bar is not None:
                bar.set_postfix(stored=summary.stored, skipped=summary.skipped, failed=summary.failed)
                bar.close()
        if will_corroborate:
            summary.corroboration = corroboration.corroborate(con, progress=progress)
    finally:
        con.close()
    summary.seconds = time.monotonic() - started
    return summary


def _warn(outcome: Outcome, unknown_seen: set[str], bar: Any) -> None:
    """One line per unreadable date (naming the row), one per unknown field per run."""
    lines = [f"onrecord ingest: warning: {w}" for w in outcome.warnings]
    new = [f for f in outcome.unknown_fields if f not in unknown_seen]
    if new:
        unknown_seen.update(new)
        lines.append(f"onrecord ingest: warning: {outcome.name}: unknown field{'s' if len(new) > 1 else ''} "
                     f"{', '.join(repr(f) for f in new)} ignored (said once per run)")
    for line in lines:
        if bar is not None:
            bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr)


def _committed(summary: Summary, bar: Any, on_batch: Callable[[Summary], None] | None) -> None:
    """After each committed batch: the bar shows what is safely in the store (stored=… counts committed rows)."""
    if bar is not None:
        bar.set_postfix(stored=summary.stored, skipped=summary.skipped, failed=summary.failed, refresh=True)
    if on_batch:
        on_batch(summary)


def _total(sources: list[str]) -> int | None:
    counts = [count_items(s) for s in sources]
    return None if any(c is None for c in counts) else sum(c or 0 for c in counts)


def _bar(total: int | None, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="article", file=sys.stderr, dynamic_ncols=True, smoothing=0.05,
                desc="ingest", mininterval=0.5)
