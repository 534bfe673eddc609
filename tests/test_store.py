"""The store's schema, cross-article actor resolution, and exports (Parquet, JSON Lines, ClaimReview)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute
import pyarrow.parquet as pq
import pytest

from onrecord.errors import InputError
from onrecord.store import canonical, export, schema
from onrecord.store.ingest import ingest, parse_date


@pytest.fixture()
def mem() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    schema.create(con)
    yield con
    con.close()


def resolve(con: duckdb.DuckDBPyConnection, batches: list[list[tuple[int, str, list]]],
            rules: list[canonical.Rule] | None = None) -> dict[tuple[str, str], str]:
    """Resolve batches of (seq, article, actors) one after another, storing actors as ingest does."""
    resolver = canonical.Resolver(con, rules or [])
    mapping: dict[tuple[str, str], str] = {}
    for batch in batches:
        found, changed = resolver.resolve(batch)
        schema.insert(con, schema.ACTORS, changed, upsert=True)
        mapping.update(found)
    return mapping


def person(local: str, name: str, *variants: str) -> tuple[str, str, str, tuple[str, ...]]:
    return (local, name, "person", tuple(variants))


def test_people_merge_by_surname_variant_and_given_name(mem: duckdb.DuckDBPyConnection) -> None:
    m = resolve(mem, [[(1, "a", [person("x", "Volodymyr Zelensky")])],
                      [(2, "b", [person("x", "Volodymyr Zelenskyy")]), (3, "c", [person("x", "Olena Zelenska")])],
                      [(4, "d", [person("x", "Joe Biden")]), (5, "e", [person("x", "Jill Biden")])],
                      [(6, "f", [person("x", "Recep Tayyip Erdogan")]), (7, "g", [person("x", "Tayyip Erdoğan")])],
                      [(8, "h", [person("x", "J. Biden")])]])
    assert m[("a", "x")] == m[("b", "x")] == "volodymyr-zelensky"
    assert m[("c", "x")] == "olena-zelenska"
    assert m[("d", "x")] != m[("e", "x")]  # same initial, different given names: not merged
    assert m[("f", "x")] == m[("g", "x")]  # a given name left out, an accent dropped
    assert m[("h", "x")] == m[("d", "x")]  # an initial agrees; the older candidate wins the tie


def test_bare_surname_joins_only_an_unambiguous_person(mem: duckdb.DuckDBPyConnection) -> None:
    m = resolve(mem, [[(1, "a", [person("x", "Anna Weller")]), (2, "b", [person("x", "Weller")])],
                      [(3, "c", [person("x", "Otto Weller")]), (4, "d", [person("x", "Wellers")])]])
    assert m[("b", "x")] == m[("a", "x")]  # one Weller known: the surname alone is that person
    assert m[("c", "x")] == "otto-weller"
    assert m[("d", "x")] not in {m[("a", "x")], m[("c", "x")]}  # two Wellers now: no guess


def test_organisations_match_exactly_and_ids_do_not_collide(mem: duckdb.DuckDBPyConnection) -> None:
    m = resolve(mem, [[(1, "a", [("o", "United Nations", "organization", ()), person("p", "Jordan")])],
                      [(2, "b", [("o", "the United Nations", "organization", ()),
                                 ("j", "Jordan", "organization", ()), ("u", "United Nation", "organization", ())])]])
    assert m[("a", "o")] == "united-nations" and m[("b", "u")] != "united-nations"
    assert m[("a", "p")] == "jordan" and m[("b", "j")].startswith("jordan-")  # a country is not the person


def test_resolution_does_not_depend_on_batching() -> None:
    articles = [(i, f"a{i}", [person("x", name)]) for i, name in enumerate(
        ["Maria Lopez", "Lopez", "Maria López", "Mario Lopez", "M. Lopez", "Lopes", "Maria Lopes"], 1)]
    results = []
    for size in (1, 2, 7):
        con = duckdb.connect()
        schema.create(con)
        m = resolve(con, [articles[i : i + size] for i in range(0, len(articles), size)])
        results.append((m, sorted(con.execute("SELECT * FROM actors").fetchall())))
        con.close()
    assert results[0] == results[1] == results[2]


def test_alias_rules(mem: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "aliases.toml"
    path.write_text('[[merge]]\ncanonical = "Kim Jong Un"\naliases = ["Kim Jong-un"]\nkind = "person"\n'
                    '[[split]]\nname = "Johnson"\ncanonical = "Dwayne Johnson"\narticles = ["b"]\n', encoding="utf-8")
    rules = canonical.load_rules(path)
    m = resolve(mem, [[(1, "a", [person("x", "Boris Johnson", "Johnson")]), (2, "b", [person("x", "Johnson")]),
                       (3, "c", [person("x", "Johnson")]), (4, "d", [("x", "Kim Jong-un", "organization", ())])]]
                , rules)
    assert m[("c", "x")] == m[("a", "x")] == "boris-johnson"
    assert m[("b", "x")] == "dwayne-johnson"
    assert m[("d", "x")] == "kim-jong-un"
    origin, kind = mem.execute("SELECT origin, kind FROM actors WHERE id = 'kim-jong-un'").fetchone()
    assert (origin, kind) == ("merge", "person")
    for bad, message in (("[[merge]]\ncanonical = 'X'\nkind = 'robot'\n", "kind must be"),
                         ("[[split]]\ncanonical = 'X'\n", "name is required"),
                         ("[[rename]]\n", "unknown section"), ("[[merge]]\ncanonical = 'X'\nalias = ['y']\n",
                                                               "unknown key")):
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(InputError, match=message):
            canonical.load_rules(path)


def test_name_variants() -> None:
    assert canonical.name_variants("Volodymyr Zelenskiy", "person",
                                   ["Zelensky", "he", "the president", "Zelenskiy", "Volodymyr Zelenskyy's"]) == (
        "Volodymyr Zelenskyy", "Zelensky")
    assert canonical.name_variants("NATO", "organization", ["Nato"]) == ()


def test_parse_date() -> None:
    assert str(parse_date("2024-03-05T10:00:00Z")) == "2024-03-05"
    assert str(parse_date("May 7, 2023")) == "2023-05-07"
    assert parse_date("Tuesday") is None and parse_date("") is None and parse_date("2024-13-45") is None


def test_connect_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no store at"):
        schema.connect(tmp_path / "none.duckdb", read_only=True)
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(InputError):
        schema.connect(junk)
    with pytest.raises(InputError, match="does not exist"):
        schema.connect(tmp_path / "no" / "such" / "dir.duckdb")


# ---------------------------------------------------------------------------------------------------- export


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("export")
    feed = base / "feed.jsonl"
    feed.write_text(
        json.dumps({"text": "Health Minister Ruth Okoye said on Monday that the clinic would reopen in May.\n\n"
                            "“Patients will not wait any longer,” Okoye told reporters.\n\n"
                            "The clinic closed in 2021 after a fire destroyed its roof.\n",
                    "url": "https://news.example/clinic", "outlet": "Lakeside News", "published": "2024-04-02",
                    "title": "Clinic to reopen"}) + "\n", encoding="utf-8")
    store = base / "s.duckdb"
    ingest([str(feed)], store, jobs=1, progress=False)
    return store


def test_export_every_table(small_store: Path, tmp_path: Path) -> None:
    con = schema.connect(small_store, read_only=True)
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in export.table_names(con)}
    assert set(counts) >= {t.name for t in schema.TABLES}
    parquet = export.export_tables(con, tmp_path / "pq", "parquet")
    jsonl = export.export_tables(con, tmp_path / "jl", "jsonl")
    con.close()
    assert {p.stem for p in parquet} == set(counts) == {p.stem for p in jsonl}
    for p in parquet:
        assert pq.read_table(p).num_rows == counts[p.stem]
    for p in jsonl:
        lines = [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()]
        assert len(lines) == counts[p.stem]
    article = json.loads((tmp_path / "jl" / "articles.jsonl").read_text(encoding="utf-8"))
    assert article["published_date"] == "2024-04-02" and article["outlet"] == "Lakeside News"


def test_claimreview(small_store: Path, tmp_path: Path) -> None:
    con = schema.connect(small_store, read_only=True)
    out = tmp_path / "claims.jsonld"
    n = export.export_claimreview(con, out)
    n_statements = con.execute("SELECT (SELECT count(*) FROM attributions) + (SELECT count(*) FROM unsourced)")
    assert n == n_statements.fetchone()[0] >= 2
    con.close()
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["@context"] == "https://schema.org"
    items = doc["@graph"]
    assert len(items) == n and all(i["@type"] == "ClaimReview" and "reviewRating" not in i for i in items)
    quoted = [i for i in items if i["itemReviewed"].get("author", {}).get("name") == "Ruth Okoye"]
    assert quoted and quoted[0]["itemReviewed"]["author"]["@type"] == "Person"
    claim = quoted[0]["itemReviewed"]
    assert claim["@type"] == "Claim" and claim["datePublished"] == "2024-04-02"
    assert claim["appearance"]["url"] == "https://news.example/clinic"
    unsourced = [i for i in items if i["description"].startswith("unsourced")]
    assert unsourced and unsourced[0]["itemReviewed"]["author"] == {"@type": "Organization", "name": "Lakeside News"}
    assert any("fire" in i["claimReviewed"] for i in unsourced)


# ------------------------------------------------------------------------------ actor merging, group by group


def test_resolution_by_groups_equals_one_process(tmp_path: Path) -> None:
    """The engine resolves each surname group on its own, in any order: same actors and ids as one run."""
    path = tmp_path / "aliases.toml"
    path.write_text('[[merge]]\ncanonical = "Vladimir Putin"\naliases = ["Kremlin", "Putin"]\n'
                    '[[split]]\nname = "Johnson"\ncanonical = "Dwayne Johnson"\narticles = ["a4"]\n', encoding="utf-8")
    rules = canonical.load_rules(path)
    names = [person("p1", "Maria Lopez"), person("p2", "Lopez"), ("o1", "Jordan", "organization", ()),
             person("p3", "Jordan"), person("p4", "Boris Johnson", "Johnson"), ("o2", "Kremlin", "organization", ()),
             person("p5", "Putin"), person("p6", "Maria López", "Maria Lopes", "Lopez"),
             ("o3", "Maria Lopez", "organization", ()),
             person("p7", "Johnson"), ("o4", "United Nations", "organization", ()), person("p8", "Jill Biden"),
             person("p9", "Joe Biden"), person("p10", "Biden")]
    articles = [(i, f"a{i}", [names[j] for j in range(len(names)) if (i * 7 + j) % 3 == 0 or j == i])
                for i in range(1, 12)]
    # texts of the mentions: the engine computes the variants from them, as ``reapply`` does
    articles = [(seq, aid, [(loc, n, k, (*v, n)) for loc, n, k, v in acts]) for seq, aid, acts in articles]
    con = duckdb.connect()
    schema.create(con)
    expected = resolve(con, [[(seq, aid, [(loc, n, k, canonical.name_variants(n, k, texts))
                                           for loc, n, k, texts in acts]) for seq, aid, acts in articles]], rules)
    actors = sorted(con.execute("SELECT * FROM actors").fetchall())
    groups = canonical.rule_groups(rules)
    rows = [{"seq": seq, "article_id": aid, "local_id": loc, "name": name, "kind": kind, "texts": list(variants),
             "group": canonical.group_key(name, groups)}
            for seq, aid, acts in articles for loc, name, kind, variants in acts]
    table = pa.Table.from_pylist(rows)
    found: dict[tuple[str, str], str] = {}
    found_actors = []
    for key in sorted(set(table["group"].to_pylist()), reverse=True):  # any order
        out = canonical.resolve_group(table.filter(pa.compute.equal(table["group"], key)), rules).to_pylist()
        found.update({(r["article_id"], r["local_id"]): r["actor_id"] for r in out if r["article_id"]})
        found_actors += [tuple(r[f"canon_{c}"] for c in schema.ACTORS.names) for r in out if not r["article_id"]]
    assert found == expected
    assert sorted(found_actors) == [tuple(a) for a in actors]
    assert len({a[0] for a in actors}) >= 8  # the corpus is not trivially one actor
