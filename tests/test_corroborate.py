"""Corroboration across articles: clusters of near-identical statements, independent outlets (syndicated copies
count once), corpus conflicts (status, figures, stance changes), idempotence and incremental runs.

The articles are written for these tests: one wire story carried by three outlets (one with the credit
stripped) plus a rewrite of it, an independent report quoting the same sentence, a minister reported resigned
and then speaking, and four casualty reports of which only two disagree about the same event.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from feeds import write_feed

from onrecord.cli import main
from onrecord.store import corroborate, queries, schema
from onrecord.store.corroborate import Text, similar, wire_of
from onrecord.store.ingest import ingest

WIRE = [
    "Portugal will reopen the northern rail line between Porto and Braga by the end of June, Transport Minister "
    "Ana Ferraz said on Monday, after storms washed away two bridges in March.",
    "“We will reopen the northern rail line by the end of June, and freight trains will run again in July,” "
    "Ferraz told reporters in Lisbon.",
    "The closure has cost the state rail company about 40 million euros in lost fares, according to its annual "
    "report.",
    "Engineers have rebuilt one of the two bridges and are testing the second, the company said in a statement.",
    "Commuters between the two cities have relied on replacement buses since the line closed on March 14.",
]
QUOTE = "We will reopen the northern rail line by the end of June"


def wire_copy(dateline: str, paragraphs: list[str], credit: bool = True) -> str:
    text = dateline + "\n\n".join(paragraphs) + "\n"
    return text + ("\n(Reporting by Joana Reis; Editing by Mark Hale)\n" if credit else "")


REWRITE = "\n\n".join([
    "Trains may soon run again in the north.",
    WIRE[0],
    "Our correspondent in the region found commuters tired of the detours and of the crowded replacement buses, "
    "many of which leave Braga before dawn and arrive late at night.",
    "At a briefing in Lisbon, Ferraz gave details. “We will reopen the northern rail line by the end of June, and "
    "freight trains will run again in July,” she said.",
    "According to the annual report of the rail company, the closure has cost the state rail company about 40 "
    "million euros in lost fares.",
    "A statement from the company said engineers have rebuilt one of the two bridges and are testing the second.",
    WIRE[4],
    "Local shopkeepers near the stations say their takings have halved since the spring, and several cafes have "
    "closed for good.",
]) + "\n"

INDEPENDENT = (
    "Commuters in the north may soon leave the replacement buses behind.\n\n"
    "At a news conference in the capital, the transport minister gave a date. “We will reopen the northern rail "
    "line by the end of June, and freight trains will run again in July,” Ana Ferraz said.\n\n"
    "Passenger groups were sceptical. “We have heard promises before,” said Rui Campos, who chairs the Porto "
    "commuters' association.\n\n"
    "The line has been shut since mid-March, when two bridges collapsed in heavy rain.\n")

PART1 = [
    {"id": "w1", "outlet": "Daily Ledger", "published": "2024-05-07", "title": "Rail line to reopen",
     "text": wire_copy("LISBON, May 6 (Reuters) - ", WIRE)},
    {"id": "w2", "outlet": "Coastline News", "published": "2024-05-06", "title": "Northern line by June",
     "text": wire_copy("LISBON, May 6 (Reuters) - ", WIRE[:4], credit=False)},
    # the credit stripped and a phrase edited: a copy all the same
    {"id": "w3", "outlet": "Metro Herald", "published": "2024-05-06", "title": "Rail reopening",
     "text": wire_copy("LISBON - ", [*WIRE[:2], WIRE[2].replace("state rail company", "state-owned rail operator"),
                                     *WIRE[3:]], credit=False)},
    {"id": "before", "outlet": "River Post", "published": "2024-05-20", "title": "Audit",
     "text": "Tomas Varga, the interior minister, said on Monday that the police audit would be published in "
             "June.\n\n“I have nothing to hide,” Varga said.\n"},
    {"id": "resign", "outlet": "Capital Gazette", "published": "2024-06-03", "title": "Varga resigns",
     "text": "Interior Minister Tomas Varga resigned on Friday after an audit found irregularities in police "
             "procurement.\n\nThe audit office said contracts worth 12 million euros had been awarded without "
             "tenders.\n\nPrime Minister Elena Duarte thanked Varga for his service and said a successor would be "
             "named this week.\n"},
    {"id": "speaks", "outlet": "River Post", "published": "2024-06-05", "title": "Police budgets",
     "text": "Interior Minister Tomas Varga said on Wednesday that police budgets would rise next year.\n\n"
             "“We will hire two thousand new officers,” Varga told parliament.\n\n"
             "Opposition deputies called the plan unaffordable.\n"},
    # 2024-07-02 is a Tuesday
    {"id": "bus1", "outlet": "Harbour Times", "published": "2024-07-02", "title": "Bus crash",
     "text": "At least 14 people were killed when a bus overturned near Braga on Tuesday.\n\n"
             "The bus was carrying pilgrims to a shrine in the hills, local radio reported.\n"},
    {"id": "bus2", "outlet": "Valley Post", "published": "2024-07-02", "title": "Bus overturns",
     "text": "Nine people were killed when a bus overturned near Braga on Tuesday.\n\n"
             "Rescue teams worked through the night to free passengers trapped in the wreck.\n"},
    {"id": "flood", "outlet": "Valley Post", "published": "2024-07-02", "title": "Floods",
     "text": "Twenty people were killed in floods in Lyon on Tuesday.\n\n"
             "The river burst its banks after three days of heavy rain.\n"},
    {"id": "bus3", "outlet": "Harbour Times", "published": "2024-07-03", "title": "Minibus crash",
     "text": "Six people were killed when a minibus crashed near Braga on Wednesday.\n\n"
             "It was the second deadly crash on the mountain road this week.\n"},
    {"id": "bus4", "outlet": "Coastline News", "published": "2024-07-03", "title": "Toll rises",
     "text": "Seventeen people were killed when a bus overturned near Braga on Tuesday, hospital officials "
             "said.\n\nSeveral of the injured remain in intensive care.\n"},
]
PART2 = [
    {"id": "ind", "outlet": "Northern Courier", "published": "2024-05-08", "title": "A date for the line",
     "text": INDEPENDENT},
    {"id": "w4", "outlet": "Valley Post", "published": "2024-05-09", "title": "Trains to return", "text": REWRITE},
]
MINE = ("cluster_members", "statement_buckets", "article_sources", "article_buckets", "statement_facts", "clusters")


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    base = tmp_path_factory.mktemp("feeds")
    return write_feed(base / "part1.jsonl", PART1), write_feed(base / "part2.jsonl", PART2)


@pytest.fixture(scope="module")
def incremental(tmp_path_factory: pytest.TempPathFactory, feeds: tuple[str, str]) -> tuple[Path, dict[str, Any]]:
    """Part 1 ingested and corroborated, then part 2 ingested (corroborated by default: the store asked for it)."""
    path = tmp_path_factory.mktemp("inc") / "inc.duckdb"
    first = ingest([feeds[0]], path, jobs=1, progress=False, corroborate=True)
    assert first.corroboration is not None
    con = schema.connect(path, read_only=True)
    try:
        after_part1 = {"quote": _quote_cluster(con), "tables": snapshot(con)}
    finally:
        con.close()
    second = ingest([feeds[1]], path, jobs=1, progress=False)
    assert second.stored == 2 and second.corroboration is not None and second.corroboration.articles == 2
    return path, after_part1


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, feeds: tuple[str, str]) -> Path:
    """Everything ingested at once, then ``onrecord corroborate``."""
    path = tmp_path_factory.mktemp("all") / "all.duckdb"
    ingest(list(feeds), path, jobs=1, progress=False)
    assert main(["corroborate", "--store", str(path), "--quiet"]) == 0
    return path


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    tables = {name: con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall() for name in MINE}
    tables["flags"] = con.execute("SELECT * FROM flags WHERE origin = 'corpus' ORDER BY ALL").fetchall()
    return tables


def _quote_cluster(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    cursor = con.execute("SELECT c.* FROM clusters c JOIN cluster_members m ON m.cluster_id = c.cluster_id "
                         "JOIN attributions t ON t.article_id = m.article_id AND t.id = m.statement_id "
                         "WHERE m.article_id = 'w1' AND starts_with(t.content, ?)", [QUOTE])
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    assert len(rows) == 1
    return dict(zip(columns, rows[0], strict=True))


def corpus_flags(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cursor = con.execute("SELECT * FROM flags WHERE origin = 'corpus' ORDER BY article_id, start_char")
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]


# ------------------------------------------------------------------------------------------------- clusters


def test_wire_story_counts_once(con: duckdb.DuckDBPyConnection) -> None:
    quote = _quote_cluster(con)
    # three wire copies, the rewrite and the independent report carry it: two independent sources
    assert quote["articles"] == 5 and quote["size"] == 5
    assert quote["outlets"] == 2
    assert quote["sources"] == ["outlet:northern-courier", "wire:reuters"]
    # first by published date (w2 and w3 share the earliest day), then by ingest order (w2 came first)
    assert quote["first_article_id"] == "w2" and str(quote["first_date"]) == "2024-05-06"
    assert quote["first_outlet"] == "Coastline News"
    assert {s.split("/")[0] for s in quote["statements"]} == {"w1", "w2", "w3", "w4", "ind"}
    assert quote["statements"][0].startswith("w2/")
    sources = {r[0]: r[1:] for r in con.execute(
        "SELECT article_id, wire, copy_of, how, source_key FROM article_sources").fetchall()}
    assert sources["w1"] == ("reuters", None, None, "wire:reuters")
    assert sources["w2"][0] == "reuters" and sources["w2"][2] == "text"
    assert sources["w3"] == (None, "w1", "text", "wire:reuters")  # no credit, but its text is the wire's
    assert sources["w4"][1:] == ("w1", "statements", "wire:reuters")  # rewritten around the same statements
    assert sources["ind"][1:] == (None, None, "outlet:northern-courier")
    # the independent report shares one quote, not the story
    dateline = con.execute("SELECT c.outlets, c.articles FROM clusters c JOIN cluster_members m USING (cluster_id) "
                           "WHERE m.article_id = 'w3' AND m.statement_id = 'a1'").fetchone()
    assert dateline == (1, 4)  # "LISBON - Portugal will…" joins "LISBON, May 6 (Reuters) - Portugal will…"


def test_different_figures_never_cluster(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT m.article_id, m.cluster_id FROM cluster_members m WHERE m.article_id LIKE 'bus%' "
                       "AND m.start_char = 0").fetchall()
    clusters = dict(rows)
    assert len(set(clusters.values())) == 4  # 14, nine, six, seventeen: four statements, however alike
    assert con.execute("SELECT count(*) FROM cluster_members m JOIN clusters c USING (cluster_id) "
                       "WHERE m.article_id = 'flood' AND c.articles > 1").fetchone()[0] == 0


def test_similarity_rules() -> None:
    def same(a: str, b: str) -> bool:
        return similar(Text.of(a), Text.of(b)) is not None

    base = "Nine people were killed when a bus overturned near Braga on Tuesday"
    assert same(base, "9 people were killed when the bus overturned near Braga on Tuesday.")
    assert not same(base, "Fourteen people were killed when a bus overturned near Braga on Tuesday")
    assert not same("The minister will attend the summit in Porto next week",
                    "The minister will not attend the summit in Porto next week")
    assert same("We will reopen the northern rail line by the end of June",
                "“We will reopen the northern rail line by the end of June, and freight trains will run again in "
                "July,” she said")  # most of the shorter one inside the longer
    assert not same("We will see", "We will see")  # too short to mean anything on its own
    assert same("Talks will resume on Monday", "Talks will resume on Monday.")  # short: identical only
    assert not same("Talks will resume on Monday", "Talks will resume on Monday in Geneva")
    assert not same("I don't know.", "I don't know.")  # identical, but nothing to corroborate
    # one name put for another is another claim; a title added is not
    assert not same("I am a big fan of Paul Ryan and his plans", "I am a big fan of Elizabeth Warren and her plans")
    assert not same("The Cruz campaign did not immediately respond to a request for comment.",
                    "An FBI spokesman did not immediately respond to a request for comment.")
    assert same("they had a positive view of Mrs. Clinton, compared with 33 percent last month",
                "they had a positive view of Clinton, compared with 33 percent last month")


def test_wire_credits() -> None:
    assert wire_of("PARIS, Jan 3 (AFP) - The strike went on.", None, None) == "afp"
    assert wire_of("NEW YORK (AP) — Prices rose.", "Local Daily", None) == "ap"
    assert wire_of("Prices rose.\n\n(Reporting by A. Writer; Editing by B. Editor)\n", None, None) == "reuters"
    assert wire_of("Prices rose.", "The Associated Press", None) == "ap"
    assert wire_of("Prices rose.", None, "https://www.reuters.com/markets/x") == "reuters"
    assert wire_of("Prices rose. (AP Photo/Jane Doe)", "Local Daily", "https://local.example/x") is None
    assert wire_of("The APPEAL court ruled (Apple) - not a wire.", "Apple Daily", None) is None


# ------------------------------------------------------------------------------------------------ conflicts


def test_status_conflict_across_articles(con: duckdb.DuckDBPyConnection) -> None:
    flags = [f for f in corpus_flags(con) if f["related"] == ["resign/u1"]]
    assert len(flags) == 1
    flag = flags[0]
    assert (flag["article_id"], flag["statement"], flag["code"]) == ("speaks", "a1", "conflict")
    assert flag["severity"] == "medium"  # resigned (not died), reported speaking two days later
    assert "Tomas Varga resigned" in flag["explanation"] and "2 days later" in flag["explanation"]
    text = con.execute("SELECT text FROM articles WHERE id = 'speaks'").fetchone()[0]
    assert text[flag["start_char"] : flag["end_char"]] == flag["text"]
    # speaking before the resignation is no conflict
    assert not [f for f in corpus_flags(con) if f["article_id"] == "before"]


def test_figure_conflict_only_for_the_same_event(con: duckdb.DuckDBPyConnection) -> None:
    figures = [f for f in corpus_flags(con) if f["article_id"] in ("bus1", "bus2", "bus3", "bus4", "flood")]
    # nine against at least fourteen, same bus, same Tuesday, same day: flagged on the later article
    assert [(f["article_id"], f["statement"], f["related"]) for f in figures] == [("bus2", "u1", ["bus1/u1"])]
    assert "9" in figures[0]["explanation"] and "14" in figures[0]["explanation"]
    # not flagged: Lyon's floods (another place), Wednesday's minibus (another day), seventeen a day later
    # (the toll rose)


def test_position_change(store: Path, tmp_path: Path) -> None:
    path = tmp_path / "positions.duckdb"
    shutil.copy(store, path)
    con = schema.connect(path)
    try:
        rows = [("before", "a1", "tomas-varga", "police-budget", "cut"),
                ("speaks", "a1", "tomas-varga", "police-budget", "raise"),
                ("w2", "a1", "ana-ferraz", "rail", "reopen"),
                ("w3", "a1", "ana-ferraz", "rail", "delay")]
        schema.insert(con, schema.POSITIONS, [
            {"article_id": a, "attribution_id": s, "actor_id": actor, "local_actor": None, "issue": issue,
             "stance": stance, "confidence": 0.9, "origin": "issues"} for a, s, actor, issue, stance in rows])
        corroborate.corroborate(con)
        changes = {(f["article_id"], f["statement"]): f for f in corpus_flags(con) if f["related"][0] in
                   ("before/a1", "w2/a1")}
    finally:
        con.close()
    varga = changes[("speaks", "a1")]
    assert (varga["code"], varga["severity"]) == ("position-change", "low")
    assert "'cut'" in varga["explanation"] and "'raise'" in varga["explanation"]
    ferraz = changes[("w3", "a1")]  # the same day: a conflict
    assert (ferraz["code"], ferraz["severity"]) == ("conflict", "medium")


# ------------------------------------------------------------------------------------ idempotent, incremental


def test_rerun_changes_nothing(store: Path) -> None:
    con = schema.connect(store)
    try:
        before = snapshot(con)
        again = corroborate.corroborate(con)
        assert again.articles == 0 and again.statements == 0
        assert snapshot(con) == before
        corroborate.corroborate(con, rebuild=True)  # from scratch: the same tables
        assert snapshot(con) == before
        corroborate.corroborate(con, rebuild=True, chunk=1)  # one article per transaction: the same again
        assert snapshot(con) == before
    finally:
        con.close()


def test_incremental_joins_existing_clusters(incremental: tuple[Path, dict[str, Any]], store: Path) -> None:
    path, after_part1 = incremental
    first = after_part1["quote"]
    assert first["articles"] == 3 and first["outlets"] == 1  # the wire copies only
    con = schema.connect(path, read_only=True)
    try:
        now = _quote_cluster(con)
        assert now["cluster_id"] == first["cluster_id"]  # the new statements joined it
        assert now["articles"] == 5 and now["outlets"] == 2
        # rows of part 1 were not rewritten, only added to
        tables = snapshot(con)
        for name in ("cluster_members", "statement_buckets", "article_buckets", "statement_facts"):
            assert {repr(r) for r in after_part1["tables"][name]} <= {repr(r) for r in tables[name]}
    finally:
        con.close()
    whole = schema.connect(store, read_only=True)
    try:
        assert snapshot(whole) == tables  # two runs give what one run over everything gives
    finally:
        whole.close()


# ------------------------------------------------------------------------------------------------- queries


def test_claims_and_said_show_outlets_and_first_sighting(con: duckdb.DuckDBPyConnection) -> None:
    columns, rows = queries.claims(con, top=None)
    claims = [dict(zip(columns, r, strict=True)) for r in rows]
    commuters = [c for c in claims if c["text"].startswith("Commuters between the two cities")]
    assert len(commuters) == 1  # one row for the cluster, not one per copy
    assert commuters[0]["articles"] == 3 and commuters[0]["outlets"] == 1
    assert str(commuters[0]["first_seen"]) == "2024-05-06" and commuters[0]["first_article"] == "w3"
    bus2 = next(c for c in claims if c["article_id"] == "bus2")
    assert bus2["corpus_flags"] == ["conflict"]
    columns, rows = queries.said(con, "Ferraz", about="freight trains")
    said = [dict(zip(columns, r, strict=True)) for r in rows]
    assert len(said) == 5 and {r["outlets"] for r in said} == {2} and {r["first_article"] for r in said} == {"w2"}


def test_cli(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "w3/a2", "--store", str(store)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["date", "outlet", "source", "speaker"]
    assert lines[2].startswith("first") and "Coastline News" in lines[2] and len(lines) == 2 + 5
    assert main(["cluster", "--store", str(store), "--format", "json", "--top", "1"]) == 0
    [top] = json.loads(capsys.readouterr().out)
    assert top["outlets"] == 2 and top["first_article"] == "w2"
    assert main(["claims", "--store", str(store), "--top", "3"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split()
    assert header[:5] == ["score", "text", "articles", "outlets", "first"]
    assert main(["cluster", "999999", "--store", str(store)]) == 2
    assert "no cluster" in capsys.readouterr().err
    plain = tmp_path / "plain.duckdb"  # a store never corroborated: queries work, cluster says what to do
    ingest([write_feed(tmp_path / "one.jsonl", PART1[:1])], plain, jobs=1, progress=False)
    assert main(["claims", "--store", str(plain), "--format", "json"]) == 0
    assert all(row["outlets"] is None for row in json.loads(capsys.readouterr().out))
    assert main(["cluster", "--store", str(plain)]) == 2
    assert "onrecord corroborate" in capsys.readouterr().err


# ------------------------------------------------------------------------------------- many copies: a star

SAID_EVERYWHERE = "The regional council will spend 12 million euros on new flood barriers along the river this autumn."
NEAR = ["Engineers say the barriers should protect about 4,000 homes in the lower town from winter floods.",
        "Engineers say the barriers should protect some 4,000 homes in the lower town from winter floods.",
        "Engineers say the new barriers should protect about 4,000 homes in the lower town from winter floods.",
        "Engineers say the new barriers should protect about 4,000 homes in the lower town from the winter floods."]
COPIES = 60  # more than BUCKET_CAP: every earlier copy would have been a candidate pair


def copies_store(path: Path, n: int = COPIES) -> Path:
    """A store of ``n`` one-outlet articles (rows written directly, no analysis): each carries the same sentence,
    one of four wordings of another (the fourth nearest the third, the third nearest the first), a sentence of its
    own and a three-word reply."""
    con = schema.connect(path)
    try:
        articles, unsourced = [], []
        for i in range(n):
            own = f"Resident {i} kept a diary of the water levels in the cellar of house {i} since spring."
            sentences = [SAID_EVERYWHERE, NEAR[i % len(NEAR)], own, "Yes, we will."]
            text = " ".join(sentences)
            articles.append({"id": f"c{i:03d}", "seq": i + 1, "outlet": f"Outlet {i}", "text": text,
                             "published_date": None})
            for k, sentence in enumerate(sentences):
                start = text.index(sentence)
                unsourced.append({"article_id": f"c{i:03d}", "id": f"u{k}", "text": sentence, "start_char": start,
                                  "end_char": start + len(sentence)})
        schema.insert(con, schema.ARTICLES, articles)
        schema.insert(con, schema.UNSOURCED, unsourced)
        corroborate.corroborate(con)
    finally:
        con.close()
    return path


def test_copies_link_to_one_representative(tmp_path: Path) -> None:
    """60 copies of a sentence: one cluster, each copy one link row to the first (not a clique), and only the
    representatives (one per wording) in the LSH index; four wordings of another sentence, linked in a chain: one
    cluster."""
    con = schema.connect(copies_store(tmp_path / "copies.duckdb"), read_only=True)
    try:
        rows = con.execute("""SELECT m.member, m.cluster_id, m.matched, m.similarity, m.how, u.text
                              FROM cluster_members m JOIN unsourced u ON u.article_id = m.article_id
                                                                      AND u.id = m.statement_id
                              ORDER BY m.member""").fetchall()
        by_text: dict[str, list[tuple[Any, ...]]] = {}
        for r in rows:
            by_text.setdefault(r[5], []).append(r)
        same = by_text[SAID_EVERYWHERE]
        first = same[0][0]
        assert len({r[1] for r in same}) == 1 and len(same) == COPIES
        assert same[0][2] is None and all((r[2], r[3], r[4]) == (first, 1.0, "verbatim") for r in same[1:])
        near = [r for t in NEAR for r in by_text[t]]
        assert len({r[1] for r in near}) == 1 and len(near) == COPIES  # the four wordings: one cluster
        reps = {t: by_text[t][0][0] for t in NEAR}
        for t in NEAR:
            assert all(r[2] == reps[t] for r in by_text[t][1:])  # each copy onto its wording's representative
        assert [by_text[t][0][2] for t in NEAR] == [None, reps[NEAR[0]], reps[NEAR[0]], reps[NEAR[2]]]  # by LSH
        others = [r for t, rs in by_text.items() if t not in NEAR and t != SAID_EVERYWHERE for r in rs]
        assert len({r[1] for r in others if r[5] != "Yes, we will."}) == COPIES  # sentences of their own: alone
        assert len({r[1] for r in others if r[5] == "Yes, we will."}) == COPIES  # too short to match anything
        indexed = {m for (m,) in con.execute("SELECT DISTINCT member FROM statement_buckets").fetchall()}
        assert indexed == {first, *reps.values(), *(r[0] for r in others if r[5] != "Yes, we will.")}
        assert con.execute("SELECT count(*) FROM clusters WHERE articles > 1").fetchone()[0] == 2
    finally:
        con.close()


def test_a_copy_joins_the_representative_it_agrees_with(tmp_path: Path) -> None:
    """The same words said by two people: the second speaker's first copy becomes a representative of its own,
    later copies join the representative whose sentence they agree with — the same whether the earlier ones sit
    in the same chunk or were stored by an earlier one (their sentences read from their articles)."""
    said = "the northern port would reopen to ships on Friday"
    speakers = ["Trade Minister Carla Mendes said", "Union leader Piet Olsen said", "Union leader Piet Olsen said",
                "Trade Minister Carla Mendes said"]
    path = tmp_path / "speakers.duckdb"
    con = schema.connect(path)
    try:
        texts = [f"{who} {said}." for who in speakers]
        schema.insert(con, schema.ARTICLES, [{"id": f"s{i}", "seq": i + 1, "outlet": f"Outlet {i}", "text": t}
                                             for i, t in enumerate(texts)])
        schema.insert(con, schema.UNSOURCED, [{"article_id": f"s{i}", "id": "u0", "text": said,
                                               "start_char": t.index(said), "end_char": t.index(said) + len(said)}
                                              for i, t in enumerate(texts)])
        results = []
        for chunk in (corroborate.CHUNK, 1):
            corroborate.corroborate(con, rebuild=True, chunk=chunk)
            results.append(con.execute("SELECT article_id, member, cluster_id, matched FROM cluster_members "
                                       "ORDER BY member").fetchall())
        members = {a: m for a, m, _, _ in results[0]}
        assert [(a, matched) for a, _, _, matched in results[0]] == \
            [("s0", None), ("s1", None), ("s2", members["s1"]), ("s3", members["s0"])]
        assert results[1] == results[0]
    finally:
        con.close()
