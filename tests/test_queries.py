"""said / actors / claims / sql on a store of articles written for these tests (dates, outlets, speakers)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from feeds import write_feed

from onrecord.cli import main
from onrecord.errors import InputError, OnrecordError
from onrecord.store import queries, schema
from onrecord.store.ingest import ingest

ARTICLES = [
    {"published": "2024-01-10", "outlet": "Harbour Times", "title": "Tariffs stay", "url": "https://ht.example/1",
     "text": "Trade Minister Carla Mendes said on Tuesday that tariffs on steel would stay in place.\n\n"
             "“We will not lower the tariffs this year,” Mendes told reporters.\n\n"
             "Steel imports fell by 12% in 2023.\n"},
    {"published": "2024-03-05", "outlet": "Valley Post", "title": "Budget talks", "url": "https://vp.example/2",
     "text": "Carla Mendes said the budget would include new money for schools.\n\n"
             "“Teachers deserve better pay,” Mendes said at a press conference.\n\n"
             "The school budget was cut by 40 million euros in 2022.\n"},
    {"published": "2024-06-20", "outlet": "Harbour Times", "title": "Port strike", "url": "https://ht.example/3",
     "text": "Union leader Piet Olsen said the port strike would continue until Friday.\n\n"
             "“Our members are united,” Olsen told the Harbour Times.\n\n"
             "The port handled 3.2 million containers last year.\n"},
    {"published": "2024-08-01", "outlet": "Valley Post", "title": "Tariff change", "url": "https://vp.example/4",
     "text": "Trade Minister Carla Mendez said on Monday that steel tariffs would be reviewed in the autumn.\n\n"
             "“A review of the tariff regime is overdue,” Mendez said.\n\n"
             "The port handled 3.2 million containers last year.\n"},
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("q")
    path = base / "q.duckdb"
    summary = ingest([write_feed(base / "feed.jsonl", ARTICLES)], path, jobs=1, batch_size=2, progress=False)
    assert summary.stored == len(ARTICLES)
    return path


def as_dicts(result: queries.Result) -> list[dict]:
    columns, rows = result
    return [dict(zip(columns, r, strict=True)) for r in rows]


def test_said_newest_first_across_spellings(con: duckdb.DuckDBPyConnection) -> None:
    rows = as_dicts(queries.said(con, "carla mendes"))
    dates = [str(r["date"]) for r in rows]
    assert dates == sorted(dates, reverse=True)
    # Mendes and Mendez (same given name, a spelling variant of the surname) are one actor
    assert {"2024-01-10", "2024-03-05", "2024-08-01"} <= set(dates)
    assert all(r["speaker_kind"] == "person" for r in rows)
    first = rows[0]
    assert first["title"] == "Tariff change" and first["url"] == "https://vp.example/4"
    text = con.execute("SELECT text FROM articles WHERE id = ?", [first["article_id"]]).fetchone()[0]
    assert text[first["content_start"] : first["content_end"]] == first["content"]
    assert {r["form"] for r in rows} >= {"direct", "indirect"}


def test_said_filters(con: duckdb.DuckDBPyConnection) -> None:
    about = as_dicts(queries.said(con, "Mendes", about="tariff"))
    assert about and all("tariff" in r["content"].lower() for r in about)
    assert {str(r["date"]) for r in about} == {"2024-01-10", "2024-08-01"}
    words = as_dicts(queries.said(con, "Mendes", about="teachers pay"))  # every word, anywhere
    assert [r["content"] for r in words] == ["Teachers deserve better pay,"] or all(
        "teachers" in r["content"].lower() and "pay" in r["content"].lower() for r in words)
    assert words
    window = as_dicts(queries.said(con, "Mendes", since="2024-02", until="2024-07"))
    assert {str(r["date"]) for r in window} == {"2024-03-05"}
    outlet = as_dicts(queries.said(con, "Mendes", outlet="harbour"))
    assert {r["outlet"] for r in outlet} == {"Harbour Times"}
    assert as_dicts(queries.said(con, "Mendes", about="containers")) == []
    with pytest.raises(OnrecordError, match="no actor matches"):
        queries.said(con, "Nobody Atall")
    with pytest.raises(InputError, match="not a date"):
        queries.said(con, "Mendes", since="last week")


def test_actor_lookup_by_id_alias_and_spelling(con: duckdb.DuckDBPyConnection) -> None:
    ids = queries.match_actors(con, "carla-mendes")
    assert len(ids) == 1
    assert queries.match_actors(con, "CARLA MENDEZ") == ids  # an alias
    assert queries.match_actors(con, "Olsen") == queries.match_actors(con, "piet olsen")  # a part of the name
    assert queries.match_actors(con, "Olsenn") == queries.match_actors(con, "piet olsen")  # a spelling variant


def test_actors_counts(con: duckdb.DuckDBPyConnection) -> None:
    rows = {r["name"]: r for r in as_dicts(queries.actors(con))}
    mendes = next(r for name, r in rows.items() if name.startswith("Carla Mende"))
    assert mendes["articles"] == 3 and mendes["statements"] >= 4
    assert {"Carla Mendes", "Carla Mendez"} <= set(mendes["aliases"])
    olsen = rows["Piet Olsen"]
    assert olsen["articles"] == 1 and olsen["statements"] >= 1
    top = as_dicts(queries.actors(con, top=1))
    assert top[0]["id"] == mendes["id"]


def test_claims_unsourced_grouped_and_ranked(con: duckdb.DuckDBPyConnection) -> None:
    rows = as_dicts(queries.claims(con, top=None))
    scores = [r["checkworthiness"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    containers = [r for r in rows if "3.2 million containers" in r["text"]]
    assert len(containers) == 1 and containers[0]["articles"] == 2  # the same sentence in two articles
    assert containers[0]["title"] == "Port strike"  # its first appearance
    assert as_dicts(queries.claims(con, top=2)) == rows[:2]
    only = as_dicts(queries.claims(con, outlet="valley", top=None))
    assert only and all(r["outlet"] == "Valley Post" for r in only)
    attributed = as_dicts(queries.claims(con, attributed=True, about="strike"))
    assert attributed and all("strike" in r["content"].lower() for r in attributed)


def test_sql_is_read_only(store: Path) -> None:
    sandbox = schema.connect(store, read_only=True, sandbox=True)
    try:
        columns, rows = queries.sql(sandbox, "SELECT outlet, count(*) AS n FROM articles GROUP BY 1 ORDER BY 1")
        assert columns == ["outlet", "n"] and rows == [("Harbour Times", 2), ("Valley Post", 2)]
        for query in ("DELETE FROM articles", f"COPY articles TO '{store.parent / 'x.csv'}'",
                      "SELECT * FROM read_csv('/etc/hostname')"):
            with pytest.raises(InputError):
                queries.sql(sandbox, query)
    finally:
        sandbox.close()


def test_cli_formats(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["said", "Mendes", "--store", str(store), "--format", "json"]) == 0
    lines = json.loads(capsys.readouterr().out)
    assert lines and all(line["actor"].startswith("Carla Mende") for line in lines)
    assert main(["claims", "--unsourced", "--top", "3", "--store", str(store), "--format", "csv"]) == 0
    table = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert table[0][:3] == ["checkworthiness", "flagged", "text"] and len(table) == 4
    assert main(["actors", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:4] == ["name", "kind", "statements", "articles"]
    assert "Piet Olsen" in out
    assert main(["sql", "SELECT count(*) AS n FROM articles", "--store", str(store), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": 4}]
    assert main(["said", "Mendes", "--store", str(store.parent / "missing.duckdb")]) == 2
    assert "no store at" in capsys.readouterr().err


# ------------------------------------------------------------------- one output convention, on both stores


@pytest.fixture(scope="module")
def parquet_store(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same feed as a Parquet store, built in this process: the per-batch function, the batch writer and
    the publisher that ``--engine ray`` runs on the cluster."""
    from onrecord.store import batch, parquet_sources, parquet_store

    base = tmp_path_factory.mktemp("pq")
    target = parquet_store.ParquetStore(base / "store")
    target.create()
    items = batch.items_table(enumerate(parquet_sources.iter_all([str(store.parent / "feed.jsonl")])), run=0)
    for i in range(0, items.num_rows, 3):
        part = items.slice(i, 3)
        target.write_batch(f"b{i}", batch.analyse_batch(part))
    assert target.publish([], parquet_store.resolve_locally) == (len(ARTICLES), None)
    return target.path


COMMANDS = [["said", "Mendes"], ["actors"], ["claims"], ["claims", "--attributed"],
            ["sql", "SELECT id, seq, published_date, outlet FROM articles ORDER BY seq"]]


def _parse(fmt: str, out: str) -> list[dict]:
    if fmt == "json":
        doc = json.loads(out)
        assert isinstance(doc, list)
        return doc
    if fmt == "jsonl":
        return [json.loads(line) for line in out.splitlines()]
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(out)))
    lines = out.splitlines()
    assert set(lines[1].replace(" ", "")) == {"-"}
    return [{"line": line} for line in lines[2:]]


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv"])
def test_every_command_every_format_on_both_stores(store: Path, parquet_store: Path, fmt: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    for command in COMMANDS:
        outputs = []
        for path in (store, parquet_store):
            assert main([*command, "--store", str(path), "--format", fmt]) == 0, command
            outputs.append(capsys.readouterr().out)
            assert _parse(fmt, outputs[-1]), (command, fmt)
        # the same answer from both stores (the DuckDB one numbered its articles the same way)
        assert outputs[0] == outputs[1], command


def test_parquet_store_answers_queries_only(parquet_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for query in (f"COPY articles TO '{parquet_store / 'x.csv'}'", "CREATE TABLE t AS SELECT 1",
                  "SELECT * FROM read_csv('/etc/hostname')"):
        assert main(["sql", query, "--store", str(parquet_store)]) == 2
        assert "error" in capsys.readouterr().err
    assert not (parquet_store / "x.csv").exists()
    # `onrecord corroborate --store DIR` publishes a Parquet store again on Ray: tests/test_ray.py


@pytest.fixture(scope="module")
def corroborated(store: Path, parquet_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Both stores corroborated: the DuckDB one by ``corroborate``, the Parquet one when publishing again."""
    from onrecord.store import parquet_store as pqs

    base = tmp_path_factory.mktemp("corroborated")
    duck, folder = base / "c.duckdb", base / "store"
    shutil.copy(store, duck)
    shutil.copytree(parquet_store, folder)
    assert main(["corroborate", "--store", str(duck), "--quiet"]) == 0
    new, summary = pqs.ParquetStore(folder).publish([], pqs.resolve_locally, corroborate=True)
    assert new == 0 and summary.statements > 0
    return duck, folder


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv"])
def test_cluster_every_format(corroborated: tuple[Path, Path], fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for path in corroborated:
        assert main(["cluster", "--store", str(path), "--format", fmt]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    rows = _parse(fmt, outputs[0])
    assert rows  # "The port handled 3.2 million containers last year." is in two articles
    if fmt != "table":
        for path in corroborated:
            assert main(["cluster", f"{rows[0]['cluster']}", "--store", str(path), "--format", fmt]) == 0
            assert len(_parse(fmt, capsys.readouterr().out)) >= 2
    for command in COMMANDS:  # corroborated statements carry their cluster on both stores alike
        answers = []
        for path in corroborated:
            assert main([*command, "--store", str(path), "--format", fmt]) == 0
            answers.append(capsys.readouterr().out)
        assert answers[0] == answers[1], command


def test_corroborated_parquet_store_equals_duckdb(corroborated: tuple[Path, Path]) -> None:
    duck, folder = corroborated
    a, b = schema.connect(duck, read_only=True), schema.connect(folder, read_only=True)
    try:
        names = sorted(r[0] for r in a.execute("SELECT table_name FROM information_schema.tables").fetchall())
        assert names == sorted(r[0] for r in b.execute("SELECT table_name FROM information_schema.tables").fetchall())
        assert {"clusters", "cluster_members", "article_sources"} <= set(names)
        for name in names:
            rows = [sorted(repr(r) for r in c.execute(f'SELECT * FROM "{name}"').fetchall()) for c in (a, b)]
            assert rows[0] == rows[1], name
    finally:
        a.close()
        b.close()


def test_alias_rules_on_both_stores(store: Path, parquet_store: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """An aliases file applied to a DuckDB store (``actors --aliases``) and to a Parquet store (publishing with
    the rules, as ``ingest --engine ray --aliases`` does) gives the same actors and statements."""
    from onrecord.store import canonical
    from onrecord.store import parquet_store as pqs

    rules_file = tmp_path / "aliases.toml"
    rules_file.write_text('[[merge]]\ncanonical = "Piet Olsen"\naliases = ["Carla Mendez"]\n'
                          '[[split]]\nname = "Mendes"\ncanonical = "C. Mendes"\n', encoding="utf-8")
    duck, folder = tmp_path / "a.duckdb", tmp_path / "store"
    shutil.copy(store, duck)
    shutil.copytree(parquet_store, folder)
    assert main(["actors", "--aliases", str(rules_file), "--store", str(duck)]) == 0
    pqs.ParquetStore(folder).publish(canonical.load_rules(rules_file), pqs.resolve_locally)
    capsys.readouterr()
    outputs = {}
    for command in (["actors", "--top", "0"], ["said", "Piet Olsen"], ["sql", "SELECT * FROM alias_rules"]):
        answers = []
        for path in (duck, folder):
            assert main([*command, "--store", str(path), "--format", "jsonl"]) == 0
            answers.append(capsys.readouterr().out)
        assert answers[0] == answers[1], command
        outputs[command[0]] = [json.loads(line) for line in answers[0].splitlines()]
    olsen = next(a for a in outputs["actors"] if a["name"] == "Piet Olsen")
    assert "Carla Mendez" in olsen["aliases"]  # the merge rule took effect on both
    assert {r["speaker"] for r in outputs["said"]} >= {"Piet Olsen", "Carla Mendez"}


TARIFF_ISSUES = """schema = "onrecord-issues/1"

[[issues]]
id = "tariffs"
question = "Should the steel tariffs stay?"
keywords = ["tariff*"]
scale = "-1: lift them; +1: keep them"

  [[issues.stances]]
  id = "keep"
  label = "keep the tariffs"
  score = 1.0
  opposite = "lift"
  examples = ["The tariffs will stay in place.", "We will not lower the tariffs."]

  [[issues.stances]]
  id = "lift"
  label = "lift or review the tariffs"
  score = -1.0
  opposite = "keep"
  examples = ["The tariffs will be lifted.", "The tariffs should be reviewed and lowered."]
"""


def test_positions_export_and_reports_answer_the_same_from_both_stores(
        store: Path, parquet_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The query commands beyond said / actors / claims / sql: a Parquet store answers as the DuckDB file built
    from the same input (positions are written back into a DuckDB store only; a Parquet store is read-only)."""
    issues = tmp_path / "issues.toml"
    issues.write_text(TARIFF_ISSUES, encoding="utf-8")
    duck = tmp_path / "q.duckdb"
    shutil.copy(store, duck)
    answers = []
    for path in (duck, parquet_store):
        assert main(["positions", "--store", str(path), "--issues", str(issues), "--format", "json"]) == 0
        answers.append(json.loads(capsys.readouterr().out))
    assert answers[0]["counts"].pop("written_to_store") == answers[0]["counts"]["positions"] > 0
    assert answers[1]["counts"].pop("written_to_store") is None
    assert answers[0] == answers[1]

    exported = []
    for path, name in ((store, "duck"), (parquet_store, "pq")):
        assert main(["export", "--store", str(path), "--jsonl", str(tmp_path / name)]) == 0
        capsys.readouterr()
        exported.append({f.name: sorted(f.read_text(encoding="utf-8").splitlines())
                         for f in sorted((tmp_path / name).glob("*.jsonl"))})
    assert exported[0].keys() == exported[1].keys() and exported[0]["articles.jsonl"]
    for table in ("articles.jsonl", "attributions.jsonl", "unsourced.jsonl", "actors.jsonl", "mentions.jsonl"):
        assert exported[0][table] == exported[1][table], table

    pages = []
    for path in (store, parquet_store):
        assert main(["report", "--store", str(path), "--actor", "Carla Mendes"]) == 0
        pages.append(capsys.readouterr().out)
    assert "Carla Mendes" in pages[0] and pages[0] == pages[1]
