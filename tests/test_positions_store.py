"""Positions over a store are the positions of the records it was made from: a stored article rebuilt as its record
gives the same statements and stance acts, ``onrecord positions --store`` the same positions as ``analyze --issues``
(one stance per holder, issue and article), and a position taken in a stance act (evidence ``act:START-END``)
reaches the actor page and the stance check's flags of both engines, escaped in HTML."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from feeds import write_feed
from test_report_corpus import assert_safe, stat

from onrecord.analysis import analyze
from onrecord.cli import main
from onrecord.positions import add_positions, load_issues
from onrecord.positions.acts import stance_acts
from onrecord.positions.match import record_statements
from onrecord.positions.store import stored_records
from onrecord.positions.timeline import article_date
from onrecord.record import Article, Position, Record, act_evidence, act_span
from onrecord.render.corpus import actor_report_html
from onrecord.store import corroborate as co
from onrecord.store import corroborate_batch as cb
from onrecord.store import parquet_store, schema
from onrecord.store.ingest import ingest, record_rows

GOLD = Path(__file__).resolve().parent / "positions_gold"
CODEBOOK = GOLD / "codebooks" / "harbour.toml"
SERIES = [f"harbour-{n}" for n in range(1, 7)]  # a dispute told over six dates, with stance acts


@pytest.fixture(scope="module")
def harbour(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Record]]:
    """The series ingested into a store, and each article's record as ``onrecord analyze`` gives it."""
    base = tmp_path_factory.mktemp("harbour")
    feed = []
    for name in SERIES:
        gold = json.loads((GOLD / f"{name}.json").read_text(encoding="utf-8"))
        text = (GOLD / gold["document"]).read_text(encoding="utf-8").strip()  # as ingest reads it
        feed.append({"id": name, "text": text, **({"published": gold["published"]} if gold.get("published") else {})})
    db = base / "harbour.duckdb"
    assert ingest([write_feed(base / "feed.jsonl", feed)], db, jobs=1, progress=False).stored == len(SERIES)
    records = {a["id"]: analyze(a["text"], id=a["id"], published=a.get("published")) for a in feed}
    return db, records


def _statements(record: Record) -> list[tuple]:
    return [(s.key, s.actor, s.content, s.cue, s.context) for s in record_statements(record)]


def fetch(db: Path, query: str) -> list[tuple]:
    """The rows of ``query`` on the store at ``db``, read-only."""
    con = schema.connect(db, read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def test_a_stored_article_gives_the_statements_and_acts_of_its_record(harbour) -> None:
    db, records = harbour
    rebuilt = {record.article.id: record for record, _, _ in stored_records(db)}
    assert sorted(rebuilt) == sorted(records)
    acts = 0
    for aid, record in records.items():
        assert _statements(rebuilt[aid]) == _statements(record), aid
        assert rebuilt[aid].text == record.text
        acts += sum(1 for s in record_statements(record) if act_span(str(s.key)))
    assert acts >= 2  # the series has stance acts (harbour-1, harbour-6): the comparison covers them


def test_positions_over_a_store_and_over_records_are_those_of_analyze(harbour, tmp_path: Path, capsys) -> None:
    db, records = harbour
    issues = load_issues(CODEBOOK)
    expected = {}
    for aid, record in records.items():
        for p in add_positions(Record.from_dict(record.to_dict()), issues).positions:
            expected[(aid, p.actor, p.issue, p.attribution)] = (p.stance, p.confidence)
    assert any(act_span(k[3]) for k in expected), "no position taken in a stance act: the test would prove nothing"
    slots = [(aid, actor, issue) for aid, actor, issue, _ in expected]
    stances = {(aid, actor, issue): {v[0] for k, v in expected.items() if k[:3] == (aid, actor, issue)}
               for aid, actor, issue in slots}
    assert all(len(s) == 1 for s in stances.values())  # analyze keeps one stance per holder, issue and article

    assert main(["positions", "--store", str(db), "--issues", str(CODEBOOK), "--format", "json"]) == 0
    capsys.readouterr()
    rows = fetch(db, "SELECT article_id, coalesce(local_actor, actor_id), issue, attribution_id, stance, confidence "
                     "FROM positions WHERE origin = 'issues'")
    stored = {(a, actor, issue, evidence): (stance, conf) for a, actor, issue, evidence, stance, conf in rows}
    assert sorted(stored) == sorted(expected)
    for key, (stance, conf) in stored.items():
        assert (stance, conf) == expected[key], key  # read as analyze reads: the same confidence

    jsonl = tmp_path / "records.jsonl"  # the records without positions, as onrecord analyze --format jsonl writes
    jsonl.write_text("".join(r.to_json() + "\n" for r in records.values()), encoding="utf-8")
    assert main(["positions", "--from-jsonl", str(jsonl), "--issues", str(CODEBOOK), "--format", "json",
                 "--period", "day"]) == 0
    result = json.loads(capsys.readouterr().out)
    read = {(s["article"], s["attribution"], issue["id"], s["stance"])
            for issue in result["issues"] for g in issue["groups"] for p in g["periods"] for s in p["statements"]}
    dated = {aid for aid, r in records.items() if article_date(r)[0]}  # metadata, else dateline
    assert len(dated) == len(SERIES)
    assert read == {(aid, evidence, issue, v[0]) for (aid, _, issue, evidence), v in expected.items() if aid in dated}
    assert result["counts"]["positions"] == len(expected)


def test_issues_check_over_a_store_reads_stance_acts(harbour, capsys) -> None:
    db, records = harbour
    issues = load_issues(CODEBOOK)
    acts = {(aid, p.attribution) for aid, r in records.items()
            for p in add_positions(Record.from_dict(r.to_dict()), issues).positions if act_span(p.attribution)}
    assert main(["issues", "check", str(CODEBOOK), "--store", str(db), "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    taken = {(row["article"], row["attribution"]) for issue in result["issues"] for st in issue["stances"]
             for row in st["statements"]}
    assert acts and acts <= taken


def test_the_record_and_the_store_keep_act_evidence() -> None:
    text = "Ada Brenn vowed to scrap the fare rise."
    start, end = text.index("to scrap"), len(text) - 1
    record = Record(article=Article(id="x"), text=text,
                    positions=[Position("ada-brenn", "fares", "against", act_evidence(start, end), 0.8)])
    back = Record.from_dict(json.loads(record.to_json()))
    assert back.positions == record.positions and back.positions[0].attribution == f"act:{start}-{end}"
    assert act_span(back.positions[0].attribution) == (start, end) and act_span("a3") is None
    assert act_span("act:3-x") is None and act_span(None) is None
    row = record_rows(record, "feed", "feed:1")["positions"][0]
    assert (row["attribution_id"], row["local_actor"], row["origin"]) == (f"act:{start}-{end}", "ada-brenn", "record")


# --- a stored act position on the actor page and in the stance check -------------------------------------------

HOSTILE = [
    {"id": "m1", "published": "2026-05-04", "outlet": "Lindau Post",
     "text": "Mayor Ada Brenn said the fare rise was needed to keep the buses running.\n"},
    {"id": "m2", "published": "2026-05-20", "outlet": "Lindau <b>Bote</b>",
     "text": "Ada Brenn opposed the <b onmouseover=alert(1)>fare</b> rise & \"toll\" for good.\n"},
]


@pytest.fixture(scope="module")
def acted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A store in which the mayor's stance on fares is read from a statement, then from a stance act."""
    base = tmp_path_factory.mktemp("acted")
    db = base / "acted.duckdb"
    assert ingest([write_feed(base / "feed.jsonl", HOSTILE)], db, jobs=1, progress=False).stored == 2
    rebuilt = {r.article.id: (r, canonical) for r, canonical, _ in stored_records(db)}
    record, canonical = rebuilt["m2"]
    acts = stance_acts(record)
    assert [record.text[a.content[0]:a.content[1]].split()[:2] for a in acts] == [["the", "<b"]]
    evidence, actor = act_evidence(*acts[0].content), canonical[acts[0].actor]
    said = rebuilt["m1"][0].attributions[0].id
    con = schema.connect(db)
    try:
        schema.insert(con, schema.POSITIONS, [
            {"article_id": aid, "attribution_id": sid, "actor_id": actor, "local_actor": None, "issue": "fares",
             "stance": stance, "confidence": 0.9, "origin": "issues"}
            for aid, sid, stance in (("m1", said, "for"), ("m2", evidence, "against"))])
        co.corroborate(con)
    finally:
        con.close()
    return db, actor, evidence


def test_a_stance_taken_in_an_act_is_flagged_as_a_change(acted) -> None:
    db, _, evidence = acted
    flags = fetch(db, "SELECT article_id, statement, code, text, related FROM flags WHERE origin = 'corpus' "
                      "AND code = 'position-change'")
    assert len(flags) == 1
    aid, statement, _, text, related = flags[0]
    assert (aid, statement) == ("m2", evidence) and text.startswith("the <b") and related[0].startswith("m1/")


def test_both_engines_read_act_positions_for_the_stance_check(acted, tmp_path: Path) -> None:
    db, _, evidence = acted
    con = schema.connect(db, read_only=True)
    try:
        expected = [r for r in co.check_rows(con) if r["check"] == "position"]
        work = tmp_path / "version"  # the store's tables as a Parquet version, the engine's input built from them
        for name in ("articles", "attributions", "unsourced", "mentions", "positions", "actors"):
            (work / name).mkdir(parents=True)
            con.execute(f"COPY {name} TO '{work / name / 'part-0.parquet'}' (FORMAT parquet)")
    finally:
        con.close()
    assert evidence in {r["statement_id"] for r in expected} and len(expected) == 2
    articles = pq.read_table(parquet_store.corroboration_input(work))
    got = [r for r in cb.prepare(articles)["checks"].to_pylist() if r["check"] == "position"]
    key = sorted(co.CHECKS.names)
    assert sorted(repr([r[k] for k in key]) for r in got) == sorted(repr([r[k] for k in key]) for r in expected)


def test_the_actor_page_shows_the_act_escaped(acted) -> None:
    db, actor, evidence = acted
    page = actor_report_html(db, actor)
    assert_safe(page)
    assert stat(page, "Statements") == "2" and "<b>1</b> stance acts" in page
    assert f'data-statement="m2/{evidence}"' in page and "stance act</span>" in page
    assert "the &lt;b onmouseover=alert(1)&gt;fare&lt;/b&gt; rise &amp; &quot;toll&quot;" in page
    assert "<b onmouseover" not in page
    assert "fares: <b>against</b>" in page and "fares: <b>for</b>" in page
    assert page.index("the &lt;b") < page.index("fare rise was needed")  # newest first
    assert "position-change" in page


def test_a_store_without_offsets_still_reads(tmp_path: Path) -> None:
    """Rows a person wrote into a store without offsets are placed where their text occurs."""
    db = tmp_path / "hand.duckdb"
    con = schema.connect(db)
    try:
        text = "Ada Brenn said the fare rise was needed."
        schema.insert(con, schema.ARTICLES, [{"id": "h", "seq": 1, "text": text}])
        schema.insert(con, schema.ATTRIBUTIONS, [{"article_id": "h", "id": "a1", "actor_id": "ada-brenn",
                                                  "speaker_name": "Ada Brenn", "speaker_local": "ada-brenn",
                                                  "cue": "said", "content": "the fare rise was needed", "via": []}])
    finally:
        con.close()
    (record, canonical, _), = stored_records(db)
    a = record.attributions[0]
    assert (a.content.start, a.content.end) == (text.index("the fare"), len(text) - 1)
    assert canonical == {"ada-brenn": "ada-brenn"}
    assert _statements(record) == [("a1", "ada-brenn", "the fare rise was needed", "said", text)]


def test_one_stance_per_holder_and_issue_in_each_article_of_a_corpus() -> None:
    from onrecord.positions.match import Match, Statement, one_stance_per_holder, per_article

    def m(article: str, sid: str, stance: str, confidence: float) -> Match:
        return Match((article, sid), "x", "deal", stance, confidence, 0.5, 0.1, "")

    kept = one_stance_per_holder([m("p", "a1", "for", 0.8), m("p", "a2", "against", 0.4), m("q", "a1", "against", 0.3),
                                  m("q", "act:4-9", "against", 0.6)])
    assert [k.key for k in kept] == [("p", "a1"), ("q", "a1"), ("q", "act:4-9")]  # a turn across articles stays
    groups = per_article([Statement(("p", "a1"), "x", "c"), Statement(("q", "a1"), "x", "c"),
                          Statement(("p", "act:4-9"), "x", "c")])
    assert [[s.key for s in g] for g in groups] == [[("p", "a1"), ("p", "act:4-9")], [("q", "a1")]]
