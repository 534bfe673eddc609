"""Corroboration as engine-neutral steps over Arrow tables: the adapter between ``onrecord.store.corroborate``
(the one-process algorithm and its rules) and an engine's map / groupby (``ray_engine.corroborate_on_ray``).

``corroborate`` walks the articles in ``seq`` order: each statement copies the first representative of its
wording it agrees with, else joins its most similar *earlier representative* among the first ``BUCKET_CAP`` of its
LSH buckets. Every part of that except the final walk is local, so it splits into:

1. ``prepare``: per batch of articles (a map) — each article's wire, own source, 4-gram shingles and buckets;
   each statement's words, band buckets, line hash and context; the status / casualty facts (spaCy); the conflict
   checks' input rows (``check_rows``).
2. ``line_links``: per group of wordings (a groupby on ``line_shard``) — the walk over one wording's statements:
   each copy's one link to its representative; the others are the representatives (``index_rows``).
3. ``bucket_pairs`` over ``rep_bands``: per group of buckets (a groupby on ``shard``, a hash of the bucket) —
   every representative paired with the earlier ones among its bucket's first ``BUCKET_CAP``.
4. ``statement_verdicts`` / ``article_verdicts``: per batch of candidate pairs joined to both sides' text — the
   pairs that match (``corroborate.similar`` and ``says_otherwise``; the 70% shingle containment).
5. ``best_per_key`` (a groupby on the key) and ``jump`` (pointer jumping, a self-join per round): each
   representative's best earlier match, resolved to its chain's first statement; ``with_via`` / ``resolve`` (a
   join): every statement's root; ``number_founders`` (a groupby on blocks of members, ``blocks_before`` the only
   numbers on the driver) and a join on the root: the cluster ids; ``member_rows``: the ``cluster_members`` rows.
   Article copies: ``best_links`` and ``forest`` on the driver, on the copy links only.
6. ``statement_copy_pairs``: per group of clusters — article pairs that share a cluster, with the earlier article
   among the cluster's first ``ORIGINALS`` members (``_match_by_statements``); ``statement_copies`` picks each
   article's best on the summed pairs.
7. The summary (``corroborate.refresh``), each a groupby over whole groups: ``group_sources`` (per copy group),
   ``furniture`` (per line), ``cluster_rows`` (per cluster), ``check_flags`` (per check group: an actor, a
   casualty count, an actor's issue; ``prepare`` writes their rows) and ``unique_flags`` (per article).

A from-scratch ``corroborate`` over the same tables gives the same rows, member and cluster ids included
(``tests/test_ray.py`` compares them table by table).
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from onrecord.store import corroborate as co
from onrecord.store import schema

SHARDS = 4096  # a power of two; groupby key: buckets (clusters) hashed into this many groups, each handled in one call

STATEMENT_IN = pa.struct([("statement_id", pa.string()), ("kind", pa.string()), ("start_char", pa.int32()),
                          ("end_char", pa.int32()), ("text", pa.string()), ("own", pa.bool_()),
                          ("member", pa.int64()), ("actor_id", pa.string()), ("speaker_role", pa.string()),
                          ("said_when", pa.string()), ("speaker_text", pa.string())])
ARTICLES = pa.schema([("article_id", pa.string()), ("seq", pa.int64()), ("wire", pa.string()),
                      ("outlet_key", pa.string()), ("published_date", pa.date32()), ("shingles", pa.list_(pa.int64())),
                      ("buckets", pa.list_(pa.int64()))])
STATEMENTS = pa.schema([("member", pa.int64()), ("article_id", pa.string()), ("statement_id", pa.string()),
                        ("kind", pa.string()), ("start_char", pa.int32()), ("end_char", pa.int32()),
                        ("words", pa.int32()), ("line", pa.int64()), ("own", pa.bool_()), ("seq", pa.int64()),
                        ("text", pa.string()), ("context", pa.string()), ("buckets", pa.list_(pa.int64())),
                        ("outlet_key", pa.string()), ("published_date", pa.date32()), ("outlet", pa.string())])
STATEMENT_TEXT = pa.schema([("text", pa.string()), ("context", pa.string())])  # a statement's comparison payload
ARTICLE_SHINGLES = pa.schema([("shingles", pa.list_(pa.int64()))])  # an article's
PAIRS = pa.schema([("key", pa.int64()), ("candidate", pa.int64())])
LINKS = pa.schema([("key", pa.int64()), ("candidate", pa.int64()), ("score", pa.float64())])


def prepare(articles: pa.Table) -> dict[str, pa.Table]:
    """Per article (``id, seq, text, outlet, url, published_date, statements, people, positions, status``): its
    ``articles`` row, its ``statements`` rows, its ``statement_facts`` rows and its ``checks`` rows (the input of
    the corpus conflict checks, ``corroborate.CHECKS`` with a ``shard`` of their group)."""
    arts, stmts, facts_in = [], [], []
    rows = articles.to_pylist()
    for a in rows:
        text = a["text"] or ""
        sh = co.shingles(co.words(text), co.ARTICLE_SHINGLE)
        wire = co.wire_of(text, a["outlet"], a["url"])
        key = co.outlet_key(a["id"], a["outlet"], a["url"], wire)
        arts.append({"article_id": a["id"], "seq": a["seq"], "wire": wire, "outlet_key": key,
                     "published_date": a["published_date"], "shingles": sorted(sh),
                     "buckets": co.band_buckets(co.signature(sh)) if sh else []})
        for s in a["statements"] or []:
            t = co.Text.of(s["text"] or "")
            ctx = co.context(text, s["start_char"], s["end_char"], s["text"] or "")
            stmts.append({"member": s["member"], "article_id": a["id"], "statement_id": s["statement_id"],
                          "kind": s["kind"], "start_char": s["start_char"], "end_char": s["end_char"],
                          "words": len(t.tokens), "line": co.exact_bucket(t.tokens) if t.tokens else None,
                          "own": s["own"], "seq": a["seq"], "text": s["text"], "context": ctx,
                          "buckets": co.fuzzy_buckets(t), "outlet_key": key, "published_date": a["published_date"],
                          "outlet": a["outlet"]})
            facts_in.append({"article_id": a["id"], "statement_id": s["statement_id"], "kind": s["kind"],
                             "text": s["text"],
                             "start_char": s["start_char"], "end_char": s["end_char"],
                             "published_date": a["published_date"]})
    # the status events the analysis kept (an article without them is parsed again, as on a DuckDB store)
    kept = {a["id"]: a["status"] for a in rows if a.get("status") is not None}
    facts = co.extract_facts(facts_in, {a["id"]: a["text"] or "" for a in rows}, kept)
    checks = check_rows(rows, facts)
    return {"articles": pa.Table.from_pylist(arts, schema=ARTICLES),
            "statements": pa.Table.from_pylist(stmts, schema=STATEMENTS),
            "statement_facts": pa.Table.from_pylist(facts, schema=co.BY_NAME["statement_facts"].arrow),
            "checks": pa.Table.from_pylist(checks, schema=CHECKS)}


CHECKS = co.CHECKS.append(pa.field("shard", pa.int64()))


def text_shard(value: str | None) -> int:
    """A string key (a copy group, an article id, a check group) hashed into SHARDS groupby keys: crc32, the same
    in every process."""
    return zlib.crc32((value or "").encode()) & (SHARDS - 1)


def check_rows(articles: list[dict[str, Any]], facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``corroborate.CHECKS`` rows of a batch of articles (the input rows of ``prepare``, their facts): what
    ``corroborate.check_rows`` selects from a DuckDB store, from one article's own rows."""
    by_statement: dict[tuple[str, str], dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    for a in articles:
        if a["published_date"] is None:
            continue  # undated articles take part in clusters, not in conflicts
        for s in a["statements"] or []:
            st = {"article_id": a["id"], "statement_id": s["statement_id"], "start_char": s["start_char"],
                  "end_char": s["end_char"], "text": s["text"], "published_date": a["published_date"],
                  "seq": a["seq"], "outlet": a["outlet"], "attributed": s["kind"] == "attribution"}
            by_statement[(a["id"], s["statement_id"])] = st
            if s["kind"] == "attribution" and s["actor_id"] is not None:
                rows.append(co.check_row("spoken", s["actor_id"], st, actor_id=s["actor_id"], role=s["speaker_role"],
                                         said_when=s["said_when"], speaker_text=s["speaker_text"]))
        for p in a["positions"] or []:
            st = by_statement.get((a["id"], p["attribution_id"])) or co.act_statement(
                a["id"], p["attribution_id"], a["text"], a["published_date"], a["seq"], a["outlet"])
            if st is not None and p["actor_id"] is not None:
                rows.append(co.check_row("position", co.check_key(p["actor_id"], p["issue"]), st,
                                         actor_id=p["actor_id"], name=p["name"], issue=p["issue"], stance=p["stance"],
                                         confidence=p["confidence"], origin=p["origin"]))
    people = {a["id"]: [(m["start_char"], m["end_char"], m["actor_id"]) for m in a["people"] or []] for a in articles}
    names = {m["actor_id"]: m["name"] for a in articles for m in a["people"] or []}
    for f in facts:
        st = by_statement.get((f["article_id"], f["statement_id"]))
        if st is None:
            continue
        if f["kind"] == "status":
            actor = co.event_actor(f["subject_start"], f["subject_end"], people[f["article_id"]])
            if actor is not None:
                rows.append(co.check_row("event", actor, st, actor_id=actor, name=names.get(actor), lemma=f["lemma"],
                                         noun=f["noun"]))
        elif f["places"]:
            rows.append(co.check_row("count", co.check_key(f["lemma"], f["noun"]), st, lemma=f["lemma"],
                                     value=f["value"], approximate=f["approximate"], noun=f["noun"],
                                     places=f["places"], weekday=f["weekday"]))
    for r in rows:
        r["shard"] = text_shard(r["key"])
    return rows


def explode(table: pa.Table, key: str) -> pa.Table:
    """``(bucket, key, shard)``: one row per bucket of each row (the LSH index rows, and the groupby input)."""
    parents = pc.list_parent_indices(table["buckets"])
    buckets = pc.list_flatten(table["buckets"]).cast(pa.int64())
    keys = pc.take(table[key], parents)
    return with_shard(pa.table({"bucket": buckets, key: keys}), "bucket")


def bucket_pairs(group: pa.Table, key: str) -> pa.Table:
    """Every row with each earlier row among its bucket's first BUCKET_CAP rows (by ``key``, the processing
    order), deduplicated: the candidates ``corroborate._first`` gives, without the walk."""
    bucket = np.asarray(group["bucket"].to_numpy(zero_copy_only=False), dtype=np.int64)
    keys = np.asarray(group[key].to_numpy(zero_copy_only=False), dtype=np.int64)
    order = np.lexsort((keys, bucket))
    bucket, keys = bucket[order], keys[order]
    keep = np.ones(len(keys), bool)
    keep[1:] = (bucket[1:] != bucket[:-1]) | (keys[1:] != keys[:-1])  # a key twice in one bucket counts once
    bucket, keys = bucket[keep], keys[keep]
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    rank = np.arange(len(keys)) - np.repeat(starts, np.diff(np.r_[starts, len(keys)]))
    count = np.minimum(rank, co.BUCKET_CAP)  # earlier rows of the bucket this row meets
    left = np.repeat(keys, count)
    first = np.repeat(np.arange(len(keys)) - rank, count)
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    right = keys[first + offset]
    pairs = np.unique(np.stack([left, right], axis=1), axis=0) if len(left) else np.empty((0, 2), np.int64)
    return pa.table({"key": pa.array(pairs[:, 0], pa.int64()), "candidate": pa.array(pairs[:, 1], pa.int64())})


def with_shard(table: pa.Table, column: str) -> pa.Table:
    """A ``shard`` column: ``column`` (a non-negative id or bucket) hashed into SHARDS groupby keys."""
    return table.append_column("shard", pc.bit_wise_and(table[column], SHARDS - 1))


def statement_verdicts(pairs: pa.Table) -> pa.Table:
    """The pairs (``key, candidate, text, context, c_text, c_context``) whose statements say the same thing."""
    rows = []
    for p in pairs.to_pylist():
        score = co.similar(co.Text.of(p["text"] or ""), co.Text.of(p["c_text"] or ""))
        if score is not None and not co.says_otherwise(p["context"], p["c_context"]):
            rows.append({"key": p["key"], "candidate": p["candidate"], "score": score})
    return pa.Table.from_pylist(rows, schema=LINKS)


def article_verdicts(pairs: pa.Table) -> pa.Table:
    """The pairs (``key, candidate, shingles, c_shingles``: seqs and 4-gram shingles) where 70% of the later
    article's shingles (and at least 20) are in the earlier one."""
    rows = []
    for p in pairs.to_pylist():
        sh = p["shingles"] or []
        shared = len(set(sh).intersection(p["c_shingles"] or []))
        share = shared / len(sh) if sh else 0.0
        if shared >= co.MIN_ARTICLE_SHARED and share >= co.ARTICLE_CONTAINED:
            rows.append({"key": p["key"], "candidate": p["candidate"], "score": share})
    return pa.Table.from_pylist(rows, schema=LINKS)


# --- comparing candidate pairs: each side's text (or shingle list) fetched once per partition, not once per pair
# A hash join of the pairs to both sides' payloads holds pairs × payloads in its aggregators (3.3 GB at 4,000
# articles); here the pairs carry ids only: ``route`` (a groupby on the candidate's shard) sends each candidate's
# payload once to each part holding one of its keys, ``compare`` (a groupby on the key's part) meets the part's keys,
# their candidates' payloads and the pairs — a part holds at most its keys and one payload per distinct candidate.


def compare_schema(payload: pa.Schema) -> pa.Schema:
    """The rows of both comparison groupbys: a pair (``key``, ``candidate``) or an item (``id`` and its payload),
    ``shard`` the groupby key."""
    return pa.schema([("shard", pa.int64()), ("key", pa.int64()), ("candidate", pa.int64()), ("id", pa.int64()),
                      *payload])


def _rows(schema: pa.Schema, **columns: Any) -> pa.Table:
    n = len(next(iter(columns.values())))
    return pa.table({f.name: columns[f.name].cast(f.type) if f.name in columns else pa.nulls(n, f.type)
                     for f in schema}, schema=schema)


def _parts(ids: Any, parts: int) -> pa.Array:
    return pa.array(np.asarray(ids.to_numpy(zero_copy_only=False), dtype=np.int64) % parts, pa.int64())


def pair_rows(pairs: pa.Table, schema: pa.Schema) -> pa.Table:
    """Candidate pairs (``key, candidate``) as ``route`` input: grouped by the candidate's shard."""
    shard = pc.bit_wise_and(pairs["candidate"], SHARDS - 1)
    return _rows(schema, shard=shard, key=pairs["key"], candidate=pairs["candidate"])


def item_rows(items: pa.Table, schema: pa.Schema, id_column: str, parts: int | None = None) -> pa.Table:
    """Items (``id_column`` and the payload columns) as groupby rows: grouped by their shard (``route``), or by
    their part of ``parts`` (``compare``: an item is there for the pairs it is the key of)."""
    ids = items[id_column]
    shard = pc.bit_wise_and(ids, SHARDS - 1) if parts is None else _parts(ids, parts)
    payload = {f.name: items[f.name] for f in schema if f.name not in ("shard", "key", "candidate", "id")}
    return _rows(schema, shard=shard, id=ids, **payload)


def route(group: pa.Table, parts: int) -> pa.Table:
    """Whole shards of candidates (their pairs and their items): each pair, and each candidate's item once per
    part (of ``parts``, by key) holding a pair of it, grouped by that part."""
    is_pair = pc.is_valid(group["key"])
    pairs, items = group.filter(is_pair), group.filter(pc.invert(is_pair))
    part = np.asarray(_parts(pairs["key"], parts).to_numpy(), dtype=np.int64)
    candidate = np.asarray(pairs["candidate"].to_numpy(), dtype=np.int64)
    wanted = np.unique(np.stack([part, candidate], axis=1), axis=0) if len(part) else np.empty((0, 2), np.int64)
    sent = items.take(pc.index_in(pa.array(wanted[:, 1], pa.int64()), value_set=items["id"]))
    sent = sent.set_column(0, "shard", pa.array(wanted[:, 0], pa.int64()))
    return pa.concat_tables([_rows(group.schema, shard=pa.array(part, pa.int64()), key=pairs["key"],
                                   candidate=pairs["candidate"]), sent])


def compare(group: pa.Table, verdict: Any) -> pa.Table:
    """Whole parts (their pairs, their keys' items and their candidates' items): ``verdict`` (``LINKS`` of pairs
    with both sides' payload, the candidate's prefixed ``c_``) over the pairs, VERDICT_BATCH at a time."""
    is_pair = pc.is_valid(group["key"])
    pairs, items = group.filter(is_pair), group.filter(pc.invert(is_pair))
    ids = np.asarray(items["id"].to_numpy(), dtype=np.int64)
    _, first = np.unique(ids, return_index=True)  # a candidate's item can come routed and as a key
    items = items.take(pa.array(np.sort(first), pa.int64()))
    payload = [n for n in group.column_names if n not in ("shard", "key", "candidate", "id")]
    out = [LINKS.empty_table()]
    for start in range(0, pairs.num_rows, VERDICT_BATCH):
        chunk = pairs.slice(start, VERDICT_BATCH)
        key = items.take(pc.index_in(chunk["key"], value_set=items["id"]))
        cand = items.take(pc.index_in(chunk["candidate"], value_set=items["id"]))
        table = pa.table({"key": chunk["key"], "candidate": chunk["candidate"],
                          **{n: key[n] for n in payload}, **{f"c_{n}": cand[n] for n in payload}})
        out.append(verdict(table))
    return pa.concat_tables(out)


# --- joins as groupbys: a hash join's aggregator actors hold their share of both sides until the end (half the
# statements on 2 CPUs, whatever the partitions); a groupby on the key's part runs as tasks, each holding one part.
# Every join of the steps looks one row up on its right side (unique on the key).


def join_schema(left: pa.Schema, right: pa.Schema, on: str) -> pa.Schema:
    """The rows of a lookup join's groupby: ``_part`` (the key's), ``_right`` (which side), the left side's columns
    and the right side's others."""
    return pa.schema([("_part", pa.int64()), ("_right", pa.bool_()), *left, *(f for f in right if f.name != on)])


def join_rows(table: pa.Table, schema: pa.Schema, on: str, right: bool, parts: int) -> pa.Table:
    """One side of a lookup join as its groupby's rows, ``_part`` the key hashed into ``parts``."""
    key = table[on]
    if pa.types.is_integer(key.type):
        part = _parts(pc.fill_null(key, 0), parts)
    else:
        part = pa.array([text_shard(v) % parts for v in key.to_pylist()], pa.int64())
    return _rows(schema, _part=part, _right=pa.array(np.full(len(table), right)),
                 **{n: table[n] for n in table.column_names})


def lookup(group: pa.Table, on: str, how: str, left: list[str], right: list[str]) -> pa.Table:
    """Whole parts of a lookup join: each left row with the columns ``right`` of the right row of its key (``how``
    ``inner``: left rows without one are dropped; ``left_outer``: they get nulls)."""
    is_right = pc.fill_null(group["_right"], False)
    rows, found = group.filter(pc.invert(is_right)), group.filter(is_right)
    at = pc.index_in(rows[on], value_set=found[on])
    if how == "inner":
        rows, at = rows.filter(pc.is_valid(at)), pc.drop_null(at)
    taken = found.select(right).take(at)
    out = rows.select(left)
    for name in right:
        out = out.append_column(found.schema.field(name), taken[name])
    return out


VERDICT_BATCH = 1024  # pairs per verdict call (their payloads become Python objects: a whole block took 2.9 GB)


def best_links(links: pa.Table) -> dict[int, tuple[int, float]]:
    """Each key's best candidate: the highest score, ties to the earliest (the walk's strict ``>`` over sorted
    candidates)."""
    best: dict[int, tuple[int, float]] = {}
    for k, c, s in sorted(zip(*(links[n].to_pylist() for n in ("key", "candidate", "score")), strict=True)):
        if k not in best or s > best[k][1]:
            best[k] = (c, s)
    return best


def forest(best: dict[Any, tuple[Any, float]], order: dict[Any, int] | None = None) -> dict[Any, Any]:
    """The first row each linked row leads to (links always point to an earlier row, so walking the linked rows in
    order resolves each from an already resolved one)."""
    root: dict[Any, Any] = {}
    for k in sorted(best, key=(lambda x: order[x]) if order else None):
        target = best[k][0]
        root[k] = root.get(target, target)
    return root


# --- statement clusters: copies onto their wording's representative, representatives by LSH (``_cluster``)

LINED = pa.schema([*STATEMENTS, ("matched", pa.int64()), ("similarity", pa.float64()), ("rep_line", pa.int64())])
RESOLVED = pa.schema([*LINED, ("root", pa.int64()), ("block", pa.int64())])
FOUNDERS = pa.schema([("root", pa.int64()), ("cluster_id", pa.int64())])
BLOCK = 1 << 16  # members per numbering block: the driver holds one founder count per block


def line_shard(table: pa.Table) -> pa.Table:
    """A ``shard`` column: the statement's wording (line bucket) for one long enough to match, so that all copies
    of a wording meet in one ``line_links`` call; else its own member (it meets nobody)."""
    words = np.asarray(table["words"].to_numpy(zero_copy_only=False), dtype=np.int64)
    line = np.asarray(pc.fill_null(table["line"], 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    member = np.asarray(table["member"].to_numpy(zero_copy_only=False), dtype=np.int64)
    key = np.where(words >= co.MIN_EXACT_WORDS, line, member)
    return table.append_column("shard", pa.array(key & (SHARDS - 1), pa.int64()))


def line_links(group: pa.Table) -> pa.Table:
    """Whole wordings (``STATEMENTS`` rows grouped by ``line_shard``), in member order: each statement copies the
    first of its wording's earlier representatives it agrees with (``corroborate.representative``: one link, to
    at most REPRESENTATIVES compared), or is a representative itself — ``rep_line`` its line bucket, ``buckets``
    its band buckets (a copy's are dropped: it never enters the LSH index)."""
    rows = sorted(group.drop_columns(["shard"]).to_pylist(), key=lambda r: r["member"])
    reps: dict[int, list[tuple[int, co.Text, str | None]]] = {}
    for r in rows:
        text = co.Text.of(r["text"] or "")
        line = co.line_bucket(text.tokens)
        found = None if line is None else co.representative(text, r["context"],
                                                            reps.get(line, [])[: co.REPRESENTATIVES])
        if found is None:
            r.update(matched=None, similarity=None, rep_line=line)
            if line is not None:
                reps.setdefault(line, []).append((r["member"], text, r["context"]))
        else:
            r.update(matched=found[0], similarity=round(found[1], 4), rep_line=None, buckets=[])
    return pa.Table.from_pylist(rows, schema=LINED)


def index_rows(lined: pa.Table) -> pa.Table:
    """``statement_buckets`` rows of the representatives: their line bucket and band buckets."""
    lines = lined.filter(pc.and_(pc.is_null(lined["matched"]), pc.is_valid(lined["rep_line"])))
    return pa.concat_tables([rep_bands(lined).select(["bucket", "member"]),
                             pa.table({"bucket": lines["rep_line"], "member": lines["member"]})])


def rep_bands(lined: pa.Table) -> pa.Table:
    """``(bucket, member, shard)`` of the representatives' band buckets: the fuzzy candidates' LSH groupby input."""
    return explode(lined.filter(pc.is_null(lined["matched"])).select(["member", "buckets"]), "member")


REP_LINKS = pa.schema([("via", pa.int64()), ("b_matched", pa.int64()), ("b_similarity", pa.float64()),
                       ("b_root", pa.int64())])


def best_per_key(group: pa.Table) -> pa.Table:
    """``REP_LINKS`` of whole keys (verdict ``LINKS`` grouped by the key's shard): each representative's best
    match (highest score, ties to the earliest, as ``best_links``), its root still that match."""
    best = best_links(group)
    keys = sorted(best)
    return pa.table({"via": pa.array(keys, pa.int64()), "b_matched": pa.array([best[k][0] for k in keys], pa.int64()),
                     "b_similarity": pa.array([round(best[k][1], 4) for k in keys], pa.float64()),
                     "b_root": pa.array([best[k][0] for k in keys], pa.int64())}, schema=REP_LINKS)


def jump(table: pa.Table) -> pa.Table:
    """One round of pointer jumping over the representatives' links (``REP_LINKS`` left-joined on ``b_root`` to
    the links' ``next_root``: the root's own root, null when it has no link): each root replaced by its root's;
    ``changed`` when it moved. Links point to earlier rows, so the rounds end, after log2 of the longest chain."""
    changed = pc.fill_null(pc.is_valid(table["next_root"]), False)
    root = pc.coalesce(table["next_root"], table["b_root"])
    out = table.drop_columns(["next_root"])
    out = out.set_column(out.schema.get_field_index("b_root"), "b_root", root)
    return out.select(REP_LINKS.names).cast(REP_LINKS).append_column("changed", changed)


VIA = pa.schema([*LINED, ("via", pa.int64())])


def with_via(lined: pa.Table) -> pa.Table:
    """``via``: the representative a statement stands for — the one it copies, else itself (the join key of its
    representative's resolved link)."""
    return lined.append_column("via", pc.coalesce(lined["matched"], lined["member"]))


def resolve(joined: pa.Table) -> pa.Table:
    """``RESOLVED`` rows of statements joined (left) on ``via`` to their representative's resolved link
    (``REP_LINKS``): each statement's ``root``, the founder of its cluster — a copy's is its representative's,
    a linked representative's its link's (whose match and score it takes), a founder's itself; ``block``: the
    founder-numbering block of the statement."""
    rep = pc.is_null(joined["matched"])
    linked = pc.and_(rep, pc.is_valid(joined["b_matched"]))
    matched = pc.if_else(linked, joined["b_matched"], joined["matched"])
    similarity = pc.if_else(linked, joined["b_similarity"], joined["similarity"])
    root = pc.coalesce(joined["b_root"], joined["via"])
    out = joined.set_column(joined.schema.get_field_index("matched"), "matched", matched)
    out = out.set_column(out.schema.get_field_index("similarity"), "similarity", similarity)
    block = pc.divide(joined["member"], pa.scalar(BLOCK, pa.int64()))
    return out.append_column("root", root).append_column("block", block).select(RESOLVED.names).cast(RESOLVED)


def number_founders(group: pa.Table, before: dict[int, int]) -> pa.Table:
    """Cluster ids of whole blocks of founders (``member, block``): a founder's id is the number of founders up to
    it (``before``: founders in the blocks before each block), as the walk's counter gives it."""
    rows = sorted(zip(group["block"].to_pylist(), group["member"].to_pylist(), strict=True))
    ids, rank, last = [], 0, None
    for block, _ in rows:
        rank = rank + 1 if block == last else 1
        last = block
        ids.append(before[block] + rank)
    return pa.table({"root": pa.array([m for _, m in rows], pa.int64()), "cluster_id": pa.array(ids, pa.int64())},
                    schema=FOUNDERS)


def blocks_before(counts: dict[int, int]) -> dict[int, int]:
    """Founders in the blocks before each block (``counts``: founders per block)."""
    out, total = {}, 0
    for block in sorted(counts):
        out[block] = total
        total += counts[block]
    return out


def member_rows(resolved: pa.Table) -> pa.Table:
    """``MEMBERS_IN`` rows (``shard`` still empty) of resolved statements joined to their founder's cluster id (or
    the final cluster the second stage gave them)."""
    if "how" in resolved.schema.names:  # the second stage set it (verbatim | paraphrase)
        table = resolved
    else:
        how = pc.if_else(pc.is_valid(resolved["matched"]), pa.scalar("verbatim"), pa.scalar(None, pa.string()))
        table = resolved.append_column("how", how)
    table = table.append_column("group_id", pa.nulls(len(resolved), pa.string()))
    table = table.append_column("shard", pa.nulls(len(resolved), pa.int64()))
    return table.select(MEMBERS_IN.names).cast(MEMBERS_IN)


def statement_copy_pairs(group: pa.Table) -> pa.Table:
    """Per cluster (``cluster_id, member, article_id, seq, own`` of its members with 6+ words): every article of
    the cluster paired with each other article among its first ORIGINALS members, ``own`` when the article says
    it in its own words there. One row per (article, other, cluster)."""
    rows = []
    by_cluster: dict[int, list[dict[str, Any]]] = {}
    for r in group.to_pylist():
        by_cluster.setdefault(r["cluster_id"], []).append(r)
    for members in by_cluster.values():
        members.sort(key=lambda r: r["member"])
        first = {(r["article_id"], r["seq"]) for r in members[: co.ORIGINALS]}
        own: dict[tuple[str, int], bool] = {}
        for r in members:
            own[(r["article_id"], r["seq"])] = own.get((r["article_id"], r["seq"]), False) or bool(r["own"])
        for (x, xs), o in own.items():
            for y, ys in first:
                if y != x:
                    rows.append({"x": x, "x_seq": xs, "y": y, "y_seq": ys, "own": o})
    return pa.Table.from_pylist(rows, schema=COPY_PAIRS)


COPY_PAIRS = pa.schema([("x", pa.string()), ("x_seq", pa.int64()), ("y", pa.string()), ("y_seq", pa.int64()),
                        ("own", pa.bool_())])


def statement_copies(shared: list[dict[str, Any]], clusters_of: dict[str, int], text_copies: set[str]
                     ) -> dict[str, tuple[str, float]]:
    """``_match_by_statements`` on the summed pairs (``x, x_seq, y, y_seq, shared, own``): each article that is
    not a text copy, and shares at least SHARE_MIN clusters (80% of the smaller article's, half of the larger
    one's, two in its own words) with an earlier one, is a copy of the best such article."""
    found = []
    for p in shared:
        if p["x"] in text_copies or p["y_seq"] >= p["x_seq"]:
            continue
        nx, ny = clusters_of[p["x"]], clusters_of[p["y"]]
        if p["shared"] >= co.SHARE_MIN and p["own"] >= 2 and p["shared"] >= co.SHARE_FRACTION * min(nx, ny) \
                and p["shared"] >= 0.5 * max(nx, ny):
            found.append((p["x_seq"], -p["shared"] / min(nx, ny), -p["shared"], p["y_seq"], p["x"], p["y"]))
    best: dict[str, tuple[str, float]] = {}
    for _, share, _, _, x, y in sorted(found):
        best.setdefault(x, (y, -share))
    return best


# ------------------------------------------------------------------------------------------------ the summary
# ``corroborate.refresh`` (SQL over the whole store) as groupby steps: each function takes whole groups (all rows of
# each key it is given, any number of keys) and returns rows, so the result does not depend on how the rows were
# partitioned.

SOURCES_IN = pa.schema([*co.BY_NAME["article_sources"].arrow, ("published_date", pa.date32()), ("shard", pa.int64())])
MEMBERS = co.BY_NAME["cluster_members"].arrow
MEMBERS_IN = pa.schema([*MEMBERS, ("outlet_key", pa.string()), ("group_id", pa.string()), ("seq", pa.int64()),
                        ("published_date", pa.date32()), ("outlet", pa.string()), ("text", pa.string()),
                        ("shard", pa.int64())])


def article_rows(articles: pa.Table, copies: dict[str, tuple[str, str, float, str]]) -> pa.Table:
    """``article_sources`` rows (``source_key`` still empty) of a batch of prepared articles, from the copy links
    (article -> copy of, how, similarity, group), with the article's date and the shard of its copy group."""
    rows = []
    for r in articles.select(["article_id", "seq", "wire", "outlet_key", "published_date"]).to_pylist():
        copy_of, how, similarity, group = copies.get(r["article_id"], (None, None, None, r["article_id"]))
        rows.append({**r, "copy_of": copy_of, "how": how, "similarity": similarity, "group_id": group,
                     "source_key": None, "shard": text_shard(group)})
    return pa.Table.from_pylist(rows, schema=SOURCES_IN)


def group_sources(group: pa.Table) -> pa.Table:
    """Each copy group's independent source (``source_key`` of its articles): the agency any member credits
    (the least by name), else the outlet key of its earliest article by published date (undated last), then seq."""
    rows = group.to_pylist()
    by_group: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_group.setdefault(r["group_id"], []).append(r)
    for members in by_group.values():
        wires = [r["wire"] for r in members if r["wire"] is not None]
        first = min(members, key=lambda r: (r["published_date"] is None, r["published_date"] or 0, r["seq"]))
        key = f"wire:{min(wires)}" if wires else first["outlet_key"]
        for r in members:
            r["source_key"] = key
    return pa.Table.from_pylist(rows, schema=co.BY_NAME["article_sources"].arrow)


def with_groups(members: pa.Table, copies: dict[str, tuple[str, str, float, str]]) -> pa.Table:
    """``MEMBERS_IN`` rows with each statement's copy group; ``shard``: its line's (site furniture is a line one
    outlet repeats)."""
    groups = [copies[a][3] if a in copies else a for a in members["article_id"].to_pylist()]
    members = members.set_column(members.schema.get_field_index("group_id"), "group_id", pa.array(groups, pa.string()))
    shard = pc.bit_wise_and(pc.fill_null(members["line"], 0), SHARDS - 1)
    return members.set_column(members.schema.get_field_index("shard"), "shard", shard)


def furniture(group: pa.Table) -> pa.Table:
    """Site furniture: a line one outlet prints in FURNITURE_GROUPS or more of its independent stories (copy
    groups) leaves its cluster — each such statement gets the id ``-member`` and ``how = 'furniture'``."""
    rows = group.to_pylist()
    groups: dict[tuple[str, int], set[str]] = {}
    for r in rows:
        if r["line"] is not None:
            groups.setdefault((r["outlet_key"], r["line"]), set()).add(r["group_id"])
    for r in rows:
        if r["line"] is not None and r["cluster_id"] >= 0 and \
                len(groups[(r["outlet_key"], r["line"])]) >= co.FURNITURE_GROUPS:
            r.update(cluster_id=-r["member"], matched=None, similarity=None, how="furniture")
    return pa.Table.from_pylist(rows, schema=MEMBERS_IN)


def cluster_rows(group: pa.Table) -> pa.Table:
    """``clusters`` rows of whole clusters (their members with each article's date, seq, outlet and source key):
    size, articles, independent outlets, the first appearance (published date, undated last, then seq, place,
    member), every statement first first, the distinct sources."""
    by_cluster: dict[int, list[dict[str, Any]]] = {}
    for r in group.to_pylist():
        by_cluster.setdefault(r["cluster_id"], []).append(r)
    out = []
    for cluster, members in by_cluster.items():
        members.sort(key=lambda r: (r["published_date"] is None, r["published_date"] or 0, r["seq"], r["start_char"],
                                    r["member"]))
        first = members[0]
        sources = {r["source_key"] for r in members if r["source_key"] is not None}
        out.append({"cluster_id": cluster, "size": len(members), "articles": len({r["article_id"] for r in members}),
                    "outlets": len(sources), "first_article_id": first["article_id"],
                    "first_statement_id": first["statement_id"], "first_date": first["published_date"],
                    "first_outlet": first["outlet"], "text": first["text"],
                    "statements": [f"{r['article_id']}/{r['statement_id']}" for r in members],
                    "sources": sorted(sources)})
    return pa.Table.from_pylist(out, schema=co.BY_NAME["clusters"].arrow)


FLAGS_IN = pa.schema([*schema.FLAGS.arrow, ("check", pa.string()), ("shard", pa.int64())])


def check_flags(group: pa.Table) -> pa.Table:
    """The status, figures and stance checks (``corroborate.check_flags``) over whole check groups; each flag with
    the shard of its article (``unique_flags`` takes an article's flags together)."""
    flags = co.check_flags(group.to_pylist())
    for f in flags:
        f["shard"] = text_shard(f["article_id"])
    return pa.Table.from_pylist(flags, schema=FLAGS_IN)


def unique_flags(group: pa.Table) -> pa.Table:
    """``corroborate.unique_flags`` over whole articles' flags: the ``flags`` rows to store."""
    return pa.Table.from_pylist(co.unique_flags(group.to_pylist()), schema=schema.FLAGS.arrow)


# --- the second stage (``corroborate --paraphrase``): ``corroborate.link_paraphrases`` once per time segment
# A statement meets only the statements of its window (its 3-day block and the two next to it), so blocks cut where a
# gap of 2+ blocks lies between them (``match.segments``) never meet: each segment runs the sequential loop on its
# own. What crosses a gap is a verbatim copy (copies link at any distance): a statement whose verbatim cluster was
# founded in another segment takes that founder's final cluster and core (``outside`` rows, with the decisions of
# the founder's segment once known: ``paraphrase_rounds``).

PARAPHRASE_IN = pa.schema([
    ("segment", pa.int64()), ("member", pa.int64()),
    ("cluster_id", pa.int64()),  # the verbatim cluster (its founder: ``root``)
    ("matched", pa.int64()), ("similarity", pa.float64()), ("words", pa.int32()),
    ("article_id", pa.string()), ("statement_id", pa.string()),
    ("source", pa.string()), ("published_date", pa.date32()), ("context", pa.string()),
    ("vector", pa.list_(pa.float32())),  # the analysis's statement vector (NULL: computed here)
    ("outside", pa.bool_()),  # the founder of a verbatim cluster of this segment's statements, from another segment
    ("exported", pa.bool_()),  # a founder of this segment whose cluster other segments' statements are in
])
LINKED = pa.schema([("member", pa.int64()), ("cluster_id", pa.int64()), ("matched", pa.int64()),
                    ("similarity", pa.float64()), ("how", pa.string())])
EXPORTED = pa.schema([("cluster", pa.int64()), ("founder", pa.int64()), ("final", pa.int64()), ("core", pa.int64()),
                      ("source", pa.string()), ("published_date", pa.date32()), ("context", pa.string())])


def paraphrase_segment(rows: pa.Table, redirects: dict[int, dict[str, Any]], score: Any, threshold: float
                       ) -> dict[str, pa.Table]:
    """``corroborate.link_paraphrases`` over one segment's rows (``PARAPHRASE_IN``, in member order). ``redirects``:
    what other segments decided for the founders of ``outside`` rows (``EXPORTED`` rows by verbatim cluster; a
    founder without one keeps its cluster and is its own core). Returns the segment's ``linked`` rows (final
    cluster, match, score, how), ``statement_vectors``, ``claim_conflicts`` and ``exported`` (its founders other
    segments' statements copy: their final cluster and core)."""
    from onrecord.store import embed, match

    rows_ = sorted(rows.to_pylist(), key=lambda r: (r["outside"], r["member"]))
    known: dict[int, match.Candidate] = {}
    finals: dict[int, tuple[int, int]] = {}  # verbatim cluster founded outside -> (final cluster, core member)
    for r in (r for r in rows_ if r["outside"]):
        red = redirects.get(r["cluster_id"])
        core = {"core": r["member"], "final": r["cluster_id"], **r} if red is None else red
        known[core["core"]] = match.Candidate(core["core"], core["final"], core["source"], core["published_date"],
                                              core["context"], core["core"])
        finals[r["cluster_id"]] = (core["final"], core["core"])
    own = [r for r in rows_ if not r["outside"]]
    mine = {r["member"] for r in own}
    statements, members = [], []
    for r in own:
        m = {"member": r["member"], "cluster_id": r["cluster_id"], "matched": r["matched"],
             "similarity": r["similarity"], "how": None if r["matched"] is None else "verbatim", "words": r["words"],
             "article_id": r["article_id"], "statement_id": r["statement_id"]}
        if r["matched"] is not None and r["matched"] not in mine and r["cluster_id"] in finals:
            final, core = finals[r["cluster_id"]]  # a copy of a statement of another segment: where its founder went
            m["cluster_id"] = final
            known.setdefault(r["matched"], match.Candidate(r["matched"], final, "", None, "", core))  # its core only
        statements.append({"article_id": r["article_id"], "statement_id": r["statement_id"], "source": r["source"],
                           "published_date": r["published_date"], "context": r["context"]})
        members.append(m)
    vectors = embed.embed_missing([r["vector"] for r in own], [r["context"] for r in own])
    vector_rows, conflicts = co.link_paraphrases(match.WindowIndex(embed.WIDTH), known, statements, members, vectors,
                                                 score, threshold)
    exported = []
    for r, m in zip(own, members, strict=True):
        if r["exported"]:
            core = known[known[m["member"]].core]
            exported.append({"cluster": r["cluster_id"], "founder": r["member"], "final": m["cluster_id"],
                             "core": core.member, "source": core.source, "published_date": core.day,
                             "context": core.context})
    return {"linked": pa.Table.from_pylist([{k: m[k] for k in LINKED.names} for m in members], schema=LINKED),
            "statement_vectors": pa.Table.from_pylist(vector_rows, schema=co.BY_NAME["statement_vectors"].arrow),
            "claim_conflicts": pa.Table.from_pylist(conflicts, schema=co.BY_NAME["claim_conflicts"].arrow),
            "exported": pa.Table.from_pylist(exported, schema=EXPORTED)}


def paraphrase_rounds(segments: list[Any], needs: dict[Any, set[int]],
                      run: Any) -> tuple[int, dict[int, dict[str, Any]]]:
    """The segments run until no decision crossing a gap changes: ``run(segments, redirects)`` runs the given
    segments (each ``paraphrase_segment``) and returns their ``EXPORTED`` rows; ``needs``: the verbatim clusters
    founded elsewhere each segment holds statements of. The first round runs every segment with no redirect; a
    segment runs again when a cluster it needs was redirected otherwise than it last saw. Each decision depends
    only on earlier statements, so the rounds end (one more than the longest chain of such crossings). Returns the
    rounds and the redirects (the driver holds only the clusters crossing a gap)."""
    redirects: dict[int, dict[str, Any]] = {}
    todo, rounds = list(segments), 0
    while todo:
        rounds += 1
        changed = set()
        for r in run(todo, redirects):
            before = redirects.get(r["cluster"])
            was = (before["final"], before["core"]) if before else (r["cluster"], r["founder"])
            if (r["final"], r["core"]) != was:
                changed.add(r["cluster"])
            redirects[r["cluster"]] = r
        todo = [s for s in segments if needs.get(s, set()) & changed]
    return rounds, redirects
