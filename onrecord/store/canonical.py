"""Canonical actors across articles: one row in ``actors`` for a person however each article spells them.

Every record names its actors in its own way ("Volodymyr Zelenskiy" here, "Volodymyr Zelensky" there). Each
record actor is resolved, in ingest order, to a canonical actor:

1. a ``[[split]]`` rule of the aliases file that names it (optionally only in some articles): the rule's actor,
   which takes nothing else;
2. a ``[[merge]]`` rule that lists its name (or, for a one-word alias, its surname): the rule's canonical actor;
3. an actor already known under exactly this name (ascii-folded, case-insensitive): that actor;
4. for people, an actor with a spelling variant of the surname (the same test as within an article:
   ``onrecord.attribute.actors.same_surname``) whose given names agree (equal, one a subset of the other, or an
   initial); a surname alone joins a full name only when exactly one person fits;
5. otherwise a new actor, id = slug of the name.

Ties go to the actor first seen (lowest ``first_seq``), so the result depends only on the articles and their
order, never on batching: an interrupted and resumed ingest ends with the same actors as an uninterrupted one.
Only the candidates sharing a match key (people: first four letters of the surname; others: the slug) are
loaded from the store per batch, so memory does not grow with the number of actors.

The aliases file (TOML)::

    [[merge]]                      # these names are one actor
    canonical = "Volodymyr Zelensky"
    aliases = ["Zelenskyy", "Zelenskiy", "Volodymyr Zelenskyy"]
    kind = "person"                # optional

    [[split]]                      # undo a wrong merge: mentions under this name are their own actor
    name = "Johnson"
    canonical = "Dwayne Johnson"   # optional: the actor they belong to (default: an actor named `name`)
    articles = ["3fa2c9"]          # optional: only in these articles (ids or id prefixes)
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from onrecord.attribute.actors import same_surname, slug
from onrecord.errors import InputError
from onrecord.store import schema

_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
KINDS = ("person", "organization", "group", "document", "unknown")


def fold(name: str) -> str:
    """The comparison form of a name: ascii, lower case, words joined by hyphens."""
    return slug(name)


def _words(name: str) -> list[str]:
    words = [w for w in fold(name).split("-") if w]
    while len(words) > 1 and words[-1] in _SUFFIXES:
        words.pop()
    return words


def match_key(name: str, kind: str) -> str:
    """People are looked up by the first four letters of the surname (same_surname needs them equal)."""
    if kind == "person":
        words = _words(name)
        return "p:" + (words[-1][:4] if words else "")
    return "o:" + fold(name)


def _given_agree(a: list[str], b: list[str]) -> bool:
    """Given names agree when every name of the shorter list is in the longer, or is the initial of one there."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    for word in short:
        if word in long:
            continue
        if len(word) == 1 and any(w.startswith(word) for w in long):
            continue
        if any(len(w) == 1 and word.startswith(w) for w in long):
            continue
        return False
    return True


# --------------------------------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rule:
    """One [[merge]] or [[split]] of an aliases file (``names`` holds the canonical name too for merges)."""

    rule: str  # merge | split
    canonical: str
    names: tuple[str, ...]
    kind: str | None = None
    articles: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        return fold(self.canonical)

    def row(self, n: int) -> dict[str, Any]:
        return {"n": n, "rule": self.rule, "canonical": self.canonical, "names": list(self.names),
                "kind": self.kind, "articles": list(self.articles)}


def _rule_ids(rule: Rule) -> tuple[str, str]:
    """The id a rule's actor takes: the slug of its name, or, when an actor of another origin has that slug,
    the slug with a suffix that depends only on the rule (so every batch finds the same actor)."""
    digest = hashlib.sha256(f"{rule.rule}\0{rule.canonical}".encode()).hexdigest()[:8]
    return rule.target, f"{rule.target}-{digest}"


def load_rules(path: str | Path) -> list[Rule]:
    """Read an aliases file; a mistake in it is an InputError naming the rule."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"no such aliases file: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {p}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{p} is not valid TOML: {exc}") from None
    unknown = set(data) - {"merge", "split"}
    if unknown:
        raise InputError(f"{p}: unknown section {sorted(unknown)[0]!r} (expected [[merge]] or [[split]])")
    rules: list[Rule] = []
    for kind in ("merge", "split"):
        entries = data.get(kind, [])
        if not isinstance(entries, list):
            raise InputError(f"{p}: write [[{kind}]] (an array of tables)")
        for i, entry in enumerate(entries, 1):
            where = f"{p}: [[{kind}]] #{i}"
            rules.append(_rule(kind, entry, where))
    return rules


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(f"{where}: {key} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _rule(kind: str, entry: Any, where: str) -> Rule:
    if not isinstance(entry, dict):
        raise InputError(f"{where}: expected a table")
    allowed = {"merge": {"canonical", "aliases", "kind"}, "split": {"name", "names", "canonical", "articles", "kind"}}
    extra = set(entry) - allowed[kind]
    if extra:
        raise InputError(f"{where}: unknown key {sorted(extra)[0]!r}")
    actor_kind = entry.get("kind")
    if actor_kind is not None and actor_kind not in KINDS:
        raise InputError(f"{where}: kind must be one of {', '.join(KINDS)}")
    canonical = entry.get("canonical")
    if canonical is not None:
        if not isinstance(canonical, str) or not fold(canonical):
            raise InputError(f"{where}: canonical must be a name")
        canonical = canonical.strip()
    if kind == "merge":
        if canonical is None:
            raise InputError(f"{where}: canonical is required")
        names = _strings(entry.get("aliases"), where, "aliases")
        return Rule("merge", canonical, (canonical, *names), actor_kind)
    names = _strings(entry.get("name"), where, "name") + _strings(entry.get("names"), where, "names")
    if not names:
        raise InputError(f"{where}: name is required")
    if canonical is None and len(names) > 1:
        raise InputError(f"{where}: several names need a canonical name for the actor they belong to")
    return Rule("split", canonical or names[0], names, actor_kind, _strings(entry.get("articles"), where, "articles"))


def stored_rules(con: duckdb.DuckDBPyConnection) -> list[Rule]:
    rows = con.execute("SELECT rule, canonical, names, kind, articles FROM alias_rules ORDER BY n").fetchall()
    return [Rule(r, c, tuple(n or ()), k, tuple(a or ())) for r, c, n, k, a in rows]


def save_rules(con: duckdb.DuckDBPyConnection, rules: list[Rule]) -> None:
    con.execute("DELETE FROM alias_rules")
    schema.insert(con, schema.ALIAS_RULES, [r.row(n) for n, r in enumerate(rules, 1)])


# ----------------------------------------------------------------------------------------------------- resolving


@dataclass
class Canon:
    """A canonical actor as stored in ``actors``."""

    id: str
    name: str
    kind: str
    aliases: list[str] = field(default_factory=list)
    origin: str = "auto"
    match_key: str = ""
    first_seq: int = 0

    def __post_init__(self) -> None:
        self.folds = {fold(a) for a in self.aliases}

    def add_alias(self, name: str) -> bool:
        f = fold(name)
        if f in self.folds:
            return False
        self.folds.add(f)
        self.aliases.append(name)
        return True

    def row(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "aliases": list(self.aliases),
                "origin": self.origin, "match_key": self.match_key, "first_seq": self.first_seq}


# (record actor id, name, kind, spelling variants of the name among its mentions)
LocalActor = tuple[str, str, str, tuple[str, ...]]


def name_variants(name: str, kind: str, texts: Iterable[str | None]) -> tuple[str, ...]:
    """Other spellings of a person's name among the texts of its mentions ("Zelensky" for "Volodymyr
    Zelenskiy"): a differently spelled surname alone, or a name as long as the name, capitalised, whose
    surname is a variant.
    Sorted, so that ingest and ``reapply`` (which reads the mentions back) give the same list."""
    if kind != "person":
        return ()
    words = _words(name)
    found = set()
    for text in texts:
        if not text:
            continue
        t = text.strip()
        for suffix in ("'s", "’s"):
            t = t.removesuffix(suffix)
        parts = t.split()
        if not parts or not all(p[:1].isupper() for p in parts) or len(parts) not in (1, len(words)):
            continue
        tw = _words(t)
        if len(tw) == 1 and len(words) > 1 and tw[-1] == words[-1]:
            continue  # the surname alone is no new spelling, and would tie every bare mention to this person
        if tw and words and fold(t) != fold(name) and same_surname(tw[-1], words[-1]):
            found.add(t)
    return tuple(sorted(found))


class Resolver:
    """Resolves the record actors of a batch of articles to canonical actors stored in ``table``."""

    def __init__(self, con: duckdb.DuckDBPyConnection | None, rules: Iterable[Rule], table: str = "actors") -> None:
        """``con`` None: no stored actors (a whole resolution group resolved at once, in memory)."""
        self.con = con
        self.table = table
        self.rules = list(rules)
        self.splits = [r for r in self.rules if r.rule == "split"]
        self.merges = [r for r in self.rules if r.rule == "merge"]
        self._split_folds = [({fold(n) for n in r.names}, r) for r in self.splits]
        self._merge_folds = [({fold(n) for n in r.names}, {fold(n) for n in r.names if len(_words(n)) == 1}, r)
                             for r in self.merges]

    def resolve(self, articles: list[tuple[int, str, list[LocalActor]]]) -> tuple[dict[tuple[str, str], str],
                                                                                  list[dict[str, Any]]]:
        """``articles``: (seq, article id, record actors) in ingest order. Returns the canonical id of each
        (article id, record actor id) and the actor rows to upsert (new or changed)."""
        names = [(name, kind) for _, _, actors in articles for _, name, kind, _ in actors]
        self._load(names)
        self.changed: dict[str, Canon] = {}
        mapping: dict[tuple[str, str], str] = {}
        for seq, article_id, actors in articles:
            for local_id, name, kind, variants in sorted(actors):
                if not fold(name):
                    continue
                canon = self._resolve_one(seq, article_id, name, kind)
                for variant in variants:
                    self._touch(canon, variant)
                mapping[(article_id, local_id)] = canon.id
        return mapping, [c.row() for c in self.changed.values()]

    # -- loading the candidates this batch can touch

    def _load(self, names: list[tuple[str, str]]) -> None:
        keys = {match_key(n, k) for n, k in names} | {match_key(n, "person") for n, _ in names}
        ids = {fold(n) for n, _ in names} | {i for r in self.rules for i in _rule_ids(r)}
        rows = [] if self.con is None else self.con.execute(
            f"SELECT id, name, kind, aliases, origin, match_key, first_seq FROM {self.table} "
            "WHERE match_key IN (SELECT unnest(?::VARCHAR[])) OR id IN (SELECT unnest(?::VARCHAR[]))",
            [sorted(keys), sorted(ids)],
        ).fetchall()
        self.by_id: dict[str, Canon] = {}
        self.by_key: dict[str, list[Canon]] = {}
        for row in rows:
            self._index(Canon(row[0], row[1], row[2], list(row[3] or []), row[4], row[5], row[6]))

    def _index(self, canon: Canon) -> None:
        self.by_id[canon.id] = canon
        self.by_key.setdefault(canon.match_key, []).append(canon)

    # -- one name

    def _resolve_one(self, seq: int, article_id: str, name: str, kind: str) -> Canon:
        f = fold(name)
        for folds, rule in self._split_folds:
            if f in folds and (not rule.articles or any(article_id.startswith(a) for a in rule.articles)):
                return self._touch(self._rule_actor(rule, kind, seq, "split"), name)
        words = _words(name)
        for folds, single, rule in self._merge_folds:
            if f in folds or (kind == "person" and len(words) > 1 and words[-1] in single):
                return self._touch(self._rule_actor(rule, kind, seq, "merge"), name)
        found = self._match(name, kind)
        if found is None:
            found = self._new(name, kind, seq, "auto", match_key(name, kind))
        elif kind == "person" and found.origin == "auto" and len(words) > len(_words(found.name)):
            found.name = name  # the fullest form of a name is the canonical one; the id stays
            self.changed[found.id] = found
        return self._touch(found, name)

    def _touch(self, canon: Canon, name: str) -> Canon:
        if canon.add_alias(name):
            self.changed[canon.id] = canon
        return canon

    def _rule_actor(self, rule: Rule, kind: str, seq: int, origin: str) -> Canon:
        for ident in _rule_ids(rule):
            canon = self.by_id.get(ident)
            if canon is not None and canon.origin == origin:
                return canon
        actor_kind = rule.kind or kind
        free = next((i for i in _rule_ids(rule) if i not in self.by_id), None)
        canon = self._new(rule.canonical, actor_kind, seq, origin, match_key(rule.canonical, actor_kind), ident=free)
        if origin == "merge":
            for alias in rule.names:
                canon.add_alias(alias)
        return canon

    def _match(self, name: str, kind: str) -> Canon | None:
        f = fold(name)
        person = kind == "person"
        candidates = [c for c in self.by_key.get(match_key(name, kind), [])
                      if c.origin != "split" and (c.kind == "person") == person]
        exact = [c for c in candidates if f in c.folds]
        if exact:
            return min(exact, key=lambda c: (c.first_seq, c.id))
        words = _words(name)
        if not person:
            # the tagger sometimes calls a person's full name an organisation: a strong match to a known
            # person (given names agree, surname a variant) wins; a single word never jumps kinds
            if len(words) < 2:
                return None
            people = [c for c in self.by_key.get(match_key(name, "person"), [])
                      if c.origin != "split" and c.kind == "person"]
            strong = [c for c in people if f in c.folds or self._strong(words, c)]
            return min(strong, key=lambda c: (c.first_seq, c.id)) if strong else None
        if not words:
            return None
        strong, weak = [], []
        for c in candidates:
            other = _words(c.name)
            if not other or not same_surname(other[-1], words[-1]):
                continue
            if words[:-1] and other[:-1]:
                if self._strong(words, c):
                    strong.append(c)
            else:
                weak.append(c)
        if strong:
            return min(strong, key=lambda c: (c.first_seq, c.id))
        if len(weak) == 1:
            return weak[0]
        return None

    @staticmethod
    def _strong(words: list[str], canon: Canon) -> bool:
        """Both names have given names, they agree, and the surnames are spelling variants."""
        other = _words(canon.name)
        return (len(words) > 1 and len(other) > 1 and same_surname(other[-1], words[-1])
                and _given_agree(words[:-1], other[:-1]))

    def _new(self, name: str, kind: str, seq: int, origin: str, key: str, ident: str | None = None) -> Canon:
        ident = ident or fold(name) or "actor"
        if ident in self.by_id:
            # a different actor has this slug already (a person and a country both called Jordan)
            digest = hashlib.sha256(f"{kind}\0{name}\0{seq}".encode()).hexdigest()
            ident = f"{ident}-{digest[:8]}"
        canon = Canon(ident, name, kind, [name], origin, key, seq)
        self._index(canon)
        self.changed[canon.id] = canon
        return canon


# ------------------------------------------------------------------------------------------------ re-applying


MAP_TABLE = schema.Table("actor_map", (("article_id", schema.TEXT), ("local_id", schema.TEXT),
                                       ("actor_id", schema.TEXT)))


def reapply(con: duckdb.DuckDBPyConnection, rules: list[Rule], window: int = 2000) -> int:
    """Store ``rules`` and resolve every stored article's actors again, in ingest order, in one transaction.

    Returns the number of canonical actors afterwards. Mentions, attributions and positions point to the new
    actors; article rows are untouched."""
    con.begin()
    try:
        save_rules(con, rules)
        con.execute(schema.ACTORS.ddl().replace("CREATE TABLE IF NOT EXISTS actors", "CREATE TEMP TABLE actors_new"))
        con.execute("CREATE TEMP TABLE actor_map (article_id VARCHAR, local_id VARCHAR, actor_id VARCHAR)")
        resolver = Resolver(con, rules, table="actors_new")
        last = con.execute("SELECT coalesce(max(seq), 0) FROM articles").fetchone()[0]
        for lo in range(1, last + 1, window):
            rows = con.execute(
                "SELECT a.seq, m.article_id, m.local_id, any_value(m.name), any_value(m.kind), list(m.text) "
                "FROM mentions m JOIN articles a ON a.id = m.article_id WHERE a.seq BETWEEN ? AND ? "
                "GROUP BY ALL ORDER BY a.seq, m.local_id", [lo, lo + window - 1]).fetchall()
            batch: dict[str, tuple[int, str, list[LocalActor]]] = {}
            for seq, article_id, local_id, name, kind, texts in rows:
                variants = name_variants(name, kind, texts)
                batch.setdefault(article_id, (seq, article_id, []))[2].append((local_id, name, kind, variants))
            mapping, changed = resolver.resolve(list(batch.values()))
            schema.insert(con, schema.ACTORS, changed, upsert=True, table_name="actors_new")
            schema.insert(con, MAP_TABLE, [{"article_id": a, "local_id": loc, "actor_id": c}
                                           for (a, loc), c in mapping.items()], table_name="actor_map")
        for table, local in (("mentions", "local_id"), ("attributions", "speaker_local"), ("positions", "local_actor")):
            con.execute(f"UPDATE {table} SET actor_id = NULL")
            con.execute(f"UPDATE {table} SET actor_id = m.actor_id FROM actor_map m "
                        f"WHERE {table}.article_id = m.article_id AND {table}.{local} = m.local_id")
        con.execute("DELETE FROM actors")
        con.execute("INSERT INTO actors BY NAME SELECT * FROM actors_new")
        con.execute("DROP TABLE actors_new")
        con.execute("DROP TABLE actor_map")
        count = con.execute("SELECT count(*) FROM actors").fetchone()[0]
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return int(count)



# ------------------------------------------------------------------------------------- merging on an engine
#
# Resolution is sequential (in ingest order) but local: a name only ever meets actors sharing its surname key
# (people: the first four letters of the surname; an organisation's name has the same last word as every
# actor it can join) or named by an alias rule. So the names of a corpus split into independent groups — one
# per surname key, keys joined when one rule names several — and each group can be resolved on its own, in
# ingest order, by any worker: the actors and ids are those of a one-process run over the whole corpus.

RESOLVED = pa.schema([
    ("article_id", pa.string()), ("local_id", pa.string()), ("actor_id", pa.string()),
    *((f"canon_{name}", kind[1]) for name, kind in schema.ACTORS.columns),
])


def _surname_key(name: str) -> str:
    words = _words(name)
    return "p:" + (words[-1][:4] if words else "")


def rule_groups(rules: Iterable[Rule]) -> dict[str, str]:
    """Surname keys joined by the rules (every name of a rule, its canonical included, in one group): each
    joined key -> the group's key. Keys not listed are their own group."""
    parent: dict[str, str] = {}

    def find(k: str) -> str:
        while parent.get(k, k) != k:
            k = parent[k]
        return k

    for rule in rules:
        keys = sorted({_surname_key(n) for n in (rule.canonical, *rule.names)})
        for k in keys[1:]:
            a, b = find(keys[0]), find(k)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {k: find(k) for k in parent} | {find(k): find(k) for k in parent}


def group_key(name: str, groups: dict[str, str]) -> str:
    """The resolution group of a name (see above)."""
    key = _surname_key(name)
    return groups.get(key, key)


def resolve_group(rows: pa.Table, rules: list[Rule]) -> pa.Table:
    """Resolve one group's record actors. ``rows``: ``seq``, ``article_id``, ``local_id``, ``name``, ``kind``,
    ``texts`` (the texts of its mentions), in any order. Returns one row per record actor (``article_id``,
    ``local_id``, ``actor_id``) and one per canonical actor (``canon_*`` columns, the others NULL)."""
    articles: dict[str, tuple[int, str, list[LocalActor]]] = {}
    for r in sorted(rows.to_pylist(), key=lambda r: (r["seq"], r["article_id"], r["local_id"])):
        variants = name_variants(r["name"], r["kind"], r["texts"] or [])
        articles.setdefault(r["article_id"], (r["seq"], r["article_id"], []))[2].append(
            (r["local_id"], r["name"], r["kind"], variants))
    mapping, actors = Resolver(None, rules).resolve(sorted(articles.values(), key=lambda a: (a[0], a[1])))
    out = [{"article_id": a, "local_id": loc, "actor_id": c} for (a, loc), c in mapping.items()]
    out += [{f"canon_{k}": v for k, v in row.items()} for row in actors]
    return pa.Table.from_pylist(out, schema=RESOLVED)
