"""Corroboration as engine-neutral steps over Arrow tables: the adapter between ``onrecord.store.corroborate``
(the one-process algorithm and its rules) and an engine's map / groupby (``ray_engine.corroborate_on_ray``).

``corroborate`` walks the articles in ``seq`` order and lets each statement join the cluster of its most similar
*earlier* statement among the first ``BUCKET_CAP`` members of its LSH buckets. Every part of that except the
final walk is local, so it splits into:

1. ``prepare``: per batch of articles (a map) — each article's wire, own source, 4-gram shingles and buckets;
   each statement's words, buckets, line hash and context; the status / casualty facts (spaCy); the conflict
   checks' input rows (``check_rows``).
2. ``bucket_pairs``: per group of buckets (a groupby on ``shard``, a hash of the bucket) — every row paired with
   the earlier rows among its bucket's first ``BUCKET_CAP``: the candidate pairs ``_first`` yields.
3. ``statement_verdicts`` / ``article_verdicts``: per batch of candidate pairs joined to both sides' text — the
   pairs that match (``corroborate.similar`` and ``_says_otherwise``; the 70% shingle containment).
4. ``best_links`` and ``forest`` (on the driver, on the link list only): each row's best earlier match, ties to the
   earliest, as the walk picks it; cluster (group) ids follow the links to their first row.
5. ``member_rows``: per batch of statements (a map, the link arrays broadcast) — the ``cluster_members`` rows.
6. ``statement_copy_pairs``: per group of clusters — article pairs that share a cluster, with the earlier article
   among the cluster's first ``BUCKET_CAP`` members (``_match_by_statements``); ``statement_copies`` picks each
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
PAIRS = pa.schema([("key", pa.int64()), ("candidate", pa.int64())])
LINKS = pa.schema([("key", pa.int64()), ("candidate", pa.int64()), ("score", pa.float64())])


def prepare(articles: pa.Table) -> dict[str, pa.Table]:
    """Per article (``id, seq, text, outlet, url, published_date, statements, people, positions``): its
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
            buckets = []
            if len(t.tokens) >= co.MIN_EXACT_WORDS:
                buckets.append(co.exact_bucket(t.tokens))
            if len(t.tokens) >= co.MIN_FUZZY_WORDS:
                buckets.extend(co.band_buckets(co.signature(t.shingles)))
            ctx = co.context(text, s["start_char"], s["end_char"], s["text"] or "")
            stmts.append({"member": s["member"], "article_id": a["id"], "statement_id": s["statement_id"],
                          "kind": s["kind"], "start_char": s["start_char"], "end_char": s["end_char"],
                          "words": len(t.tokens), "line": co.exact_bucket(t.tokens) if t.tokens else None,
                          "own": s["own"], "seq": a["seq"], "text": s["text"], "context": ctx,
                          "buckets": buckets, "outlet_key": key, "published_date": a["published_date"],
                          "outlet": a["outlet"]})
            facts_in.append({"article_id": a["id"], "statement_id": s["statement_id"], "text": s["text"],
                             "start_char": s["start_char"], "end_char": s["end_char"],
                             "published_date": a["published_date"]})
    facts = co.extract_facts(facts_in)
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
                rows.append(co.check_row("event", actor, st, actor_id=actor, name=names.get(actor), lemma=f["lemma"]))
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


def unique_pairs(group: pa.Table) -> pa.Table:
    """The distinct ``(key, candidate)`` pairs of a group (a pair met in several buckets is judged once)."""
    pairs = np.stack([np.asarray(group[c].to_numpy(zero_copy_only=False), dtype=np.int64)
                      for c in ("key", "candidate")], axis=1)
    pairs = np.unique(pairs, axis=0) if len(pairs) else np.empty((0, 2), np.int64)
    return pa.table({"key": pa.array(pairs[:, 0], pa.int64()), "candidate": pa.array(pairs[:, 1], pa.int64())})


def with_shard(table: pa.Table, column: str) -> pa.Table:
    """A ``shard`` column: ``column`` (a non-negative id or bucket) hashed into SHARDS groupby keys."""
    return table.append_column("shard", pc.bit_wise_and(table[column], SHARDS - 1))


def statement_verdicts(pairs: pa.Table) -> pa.Table:
    """The pairs (``key, candidate, text, context, c_text, c_context``) whose statements say the same thing."""
    rows = []
    for p in pairs.to_pylist():
        score = co.similar(co.Text.of(p["text"] or ""), co.Text.of(p["c_text"] or ""))
        if score is not None and not co._says_otherwise(p, p["c_context"]):
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


def cluster_ids(best: dict[int, tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    """The arrays ``member_rows`` needs: the linked members (sorted) and the cluster id of each. A cluster's id
    counts the members that founded one before it: founder f gets ``f - (linked members below f)``."""
    linked = np.array(sorted(best), dtype=np.int64)
    root = forest(best)
    roots = np.array([root[k] for k in linked.tolist()], dtype=np.int64)
    return linked, roots - np.searchsorted(linked, roots)


def member_rows(statements: pa.Table, linked: np.ndarray, clusters: np.ndarray, matched: np.ndarray,
                similarity: np.ndarray) -> pa.Table:
    """``cluster_members`` rows of a batch of statements, from the broadcast link arrays."""
    member = np.asarray(statements["member"].to_numpy(zero_copy_only=False), dtype=np.int64)
    at = np.searchsorted(linked, member)
    hit = (at < len(linked)) & (linked[np.minimum(at, max(len(linked) - 1, 0))] == member) if len(linked) else \
        np.zeros(len(member), bool)
    safe = np.minimum(at, max(len(linked) - 1, 0))
    cluster = np.where(hit, clusters[safe] if len(linked) else 0, member - at)
    return pa.table({
        "member": pa.array(member, pa.int64()), "cluster_id": pa.array(cluster, pa.int64()),
        "article_id": statements["article_id"], "statement_id": statements["statement_id"],
        "kind": statements["kind"], "start_char": statements["start_char"], "end_char": statements["end_char"],
        "words": statements["words"],
        "matched": pa.array(np.where(hit, matched[safe] if len(linked) else 0, 0), pa.int64(), mask=~hit),
        "similarity": pa.array(np.round(np.where(hit, similarity[safe] if len(linked) else 0, 0), 4), pa.float64(),
                               mask=~hit),
        "how": pa.array(np.where(hit, "verbatim", ""), pa.string(), mask=~hit),
        "line": statements["line"]})


def statement_copy_pairs(group: pa.Table) -> pa.Table:
    """Per cluster (``cluster_id, member, article_id, seq, own`` of its members with 6+ words): every article of
    the cluster paired with each other article among its first BUCKET_CAP members, ``own`` when the article says
    it in its own words there. One row per (article, other, cluster)."""
    rows = []
    by_cluster: dict[int, list[dict[str, Any]]] = {}
    for r in group.to_pylist():
        by_cluster.setdefault(r["cluster_id"], []).append(r)
    for members in by_cluster.values():
        members.sort(key=lambda r: r["member"])
        first = {(r["article_id"], r["seq"]) for r in members[: co.BUCKET_CAP]}
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


def member_rows_of_articles(statements: pa.Table, arrays: tuple[np.ndarray, ...],
                            copies: dict[str, tuple[str, str, float, str]]) -> pa.Table:
    """``member_rows`` with what the summary needs of each statement's article (outlet key, copy group, seq, date,
    outlet) and its text; ``shard``: its line's (site furniture is a line one outlet repeats)."""
    rows = member_rows(statements, *arrays)
    groups = [copies[a][3] if a in copies else a for a in statements["article_id"].to_pylist()]
    line = pc.fill_null(rows["line"], 0)
    return pa.table([*rows.columns, statements["outlet_key"], pa.array(groups, pa.string()), statements["seq"],
                     statements["published_date"], statements["outlet"], statements["text"],
                     pc.bit_wise_and(line, SHARDS - 1)], schema=MEMBERS_IN)


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
