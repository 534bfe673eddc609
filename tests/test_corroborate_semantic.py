"""The second stage of corroboration on stores written row by row (no analysis): paraphrases join the cluster's
core from other outlets only, site furniture is learned and left out, re-running changes nothing. The
sentences are written for these tests."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from onrecord.store import corroborate, schema


def make_store(path: Path, articles: list[tuple[str, str, date | None, list[str]]]) -> Path:
    """(id, outlet, day, sentences): one unsourced statement per sentence."""
    con = schema.connect(path)
    rows, statements = [], []
    for seq, (aid, outlet, day, sentences) in enumerate(articles, 1):
        text = " ".join(sentences)
        rows.append({"id": aid, "seq": seq, "content_hash": aid, "url": f"https://{outlet}.example/{aid}",
                     "published": day.isoformat() if day else None, "published_date": day, "outlet": outlet,
                     "text": text, "n_attributions": 0, "n_unsourced": len(sentences), "n_flags": 0})
        pos = 0
        for k, s in enumerate(sentences):
            statements.append({"article_id": aid, "id": f"u{k}", "text": s, "start_char": pos,
                               "end_char": pos + len(s)})
            pos += len(s) + 1
    schema.insert(con, schema.ARTICLES, rows)
    schema.insert(con, schema.UNSOURCED, statements)
    con.close()
    return path


def members(path: Path) -> dict[str, dict[str, Any]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        cursor = con.execute("SELECT article_id || '/' || statement_id AS ref, * FROM cluster_members")
        names = [d[0] for d in cursor.description]
        return {r[0]: dict(zip(names, r, strict=True)) for r in cursor.fetchall()}
    finally:
        con.close()


DAY = date(2024, 3, 4)
TALKS = "Talks on the new port agreement will resume in Geneva on Monday, the foreign ministry said."
TALKS_OTHER_WORDS = "The foreign ministry said negotiations over the port deal would restart Monday in Geneva."
TALKS_THIRD = "Port agreement negotiations restart on Monday in Geneva, according to the foreign ministry."
UNRELATED = "Heavy snow closed the mountain pass between the two valleys for most of the weekend."


def test_a_paraphrase_from_another_outlet_joins_the_core(tmp_path: Path) -> None:
    path = make_store(tmp_path / "s.duckdb", [
        ("a", "Harbour Times", DAY, [TALKS, UNRELATED]),
        ("b", "Valley Post", DAY, [TALKS_OTHER_WORDS]),
        ("c", "Daily Ledger", DAY + timedelta(days=1), [TALKS_THIRD]),
        # the core's own outlet
        ("d", "Harbour Times", DAY, ["Geneva hosts the resumed talks on a port accord from Monday, officials said."]),
        # outside the time window (in other words: a verbatim copy would join at any distance)
        ("far", "Evening Star", DAY + timedelta(days=40),
         ["On Monday the port agreement talks resume in Geneva, the foreign ministry announced."]),
    ])
    corroborate.corroborate(path, paraphrase=True)
    m = members(path)
    core = m["a/u0"]
    assert core["how"] is None and m["a/u1"]["cluster_id"] != core["cluster_id"]
    for ref in ("b/u0", "c/u0"):
        assert m[ref]["cluster_id"] == core["cluster_id"] and m[ref]["how"] == "paraphrase"
        assert m[ref]["matched"] == core["member"]  # judged against the core, not the last member
        assert 0.5 <= m[ref]["similarity"] <= 1
    assert m["far/u0"]["cluster_id"] != core["cluster_id"]  # 40 days later: another window
    con = duckdb.connect(str(path), read_only=True)
    outlets = con.execute("SELECT outlets FROM clusters WHERE cluster_id = ?", [core["cluster_id"]]).fetchone()[0]
    con.close()
    assert outlets == 3  # the core's own outlet telling it again (d, when it joins) is no new source


def test_paraphrase_stage_is_off_until_a_store_asks_for_it(tmp_path: Path) -> None:
    path = make_store(tmp_path / "s.duckdb", [("a", "Harbour Times", DAY, [TALKS]),
                                             ("b", "Valley Post", DAY, [TALKS_OTHER_WORDS])])
    corroborate.corroborate(path)
    assert members(path)["b/u0"]["cluster_id"] != members(path)["a/u0"]["cluster_id"]
    corroborate.corroborate(path, rebuild=True, paraphrase=True)
    assert members(path)["b/u0"]["cluster_id"] == members(path)["a/u0"]["cluster_id"]
    corroborate.corroborate(path)  # a later run (an ingest's) keeps the store's setting
    con = duckdb.connect(str(path), read_only=True)
    assert corroborate.paraphrase_enabled(con)
    con.close()


def test_changed_figure_is_a_conflict_not_a_corroboration(tmp_path: Path) -> None:
    path = make_store(tmp_path / "s.duckdb", [
        ("a", "Harbour Times", DAY, ["The storm killed 12 people in the coastal villages, the civil defence said."]),
        ("b", "Valley Post", DAY, ["The civil defence said 36 people were killed by the storm in coastal villages."]),
        ("c", "Daily Ledger", DAY, ["The civil defence said 12 people were killed by the storm in coastal villages."]),
    ])
    corroborate.corroborate(path, paraphrase=True)
    m = members(path)
    assert m["b/u0"]["cluster_id"] != m["a/u0"]["cluster_id"]
    assert m["c/u0"]["cluster_id"] == m["a/u0"]["cluster_id"]
    con = duckdb.connect(str(path), read_only=True)
    flags = con.execute("SELECT article_id, related, explanation FROM flags WHERE origin = 'corpus'").fetchall()
    con.close()
    conflicts = {(a, r[0].split("/")[0]) for a, r, _ in flags}
    assert ("b", "a") in conflicts or ("b", "c") in conflicts
    assert not {("c", "a"), ("a", "c")} & conflicts
    assert len([f for f in flags if f[0] == "b"]) <= 2  # one flag per disagreeing pair, never more
    explanation = next(e for a, _, e in flags if a == "b")
    assert "Valley Post" in explanation and "36" in explanation and "12" in explanation


def test_site_furniture_is_learned_and_left_out(tmp_path: Path) -> None:
    teaser = "Watch the video of the day and sign in to see more stories from our region."
    stories = ["The new library opens its doors to readers in the old town hall next spring.",
               "Farmers in the valley expect a record apple harvest after a mild and wet summer.",
               "The city council agreed to rebuild the footbridge across the river by the end of May.",
               "A local choir won the national competition for the third time in a row this year."]
    path = make_store(tmp_path / "s.duckdb", [
        (f"h{i}", "Harbour Times", DAY + timedelta(days=i), [story, teaser]) for i, story in enumerate(stories)]
        + [("v", "Valley Post", DAY, [stories[0].replace("opens its doors to readers", "will open")])])
    summary = corroborate.corroborate(path)
    m = members(path)
    teasers = [v for k, v in m.items() if k.endswith("/u1")]
    assert all(v["how"] == "furniture" and v["cluster_id"] == -v["member"] for v in teasers)
    assert summary.furniture == 4
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT count(*) FROM clusters WHERE cluster_id < 0").fetchall()[0][0] == 0
    con.close()
    before = members(path)
    corroborate.corroborate(path)
    assert members(path) == before  # re-running changes nothing


def test_two_stories_with_one_line_are_not_furniture(tmp_path: Path) -> None:
    line = "The mayor said the decision would be reviewed by the regional court in the autumn."
    path = make_store(tmp_path / "s.duckdb", [
        ("h1", "Harbour Times", DAY, ["The harbour will close for repairs in June.", line]),
        ("h2", "Harbour Times", DAY, ["Ferry fares rise by a tenth from next month.", line]),
    ])
    corroborate.corroborate(path)
    assert not [v for v in members(path).values() if v["how"] == "furniture"]


@pytest.mark.parametrize("paraphrase", [True, False])
def test_undated_store_still_clusters(tmp_path: Path, paraphrase: bool) -> None:
    path = make_store(tmp_path / "s.duckdb", [("a", "Harbour Times", None, [TALKS]),
                                              ("b", "Valley Post", None, [TALKS]),
                                              ("c", "Daily Ledger", None, [TALKS_OTHER_WORDS])])
    corroborate.corroborate(path, paraphrase=paraphrase)
    m = members(path)
    assert m["a/u0"]["cluster_id"] == m["b/u0"]["cluster_id"]
    assert (m["c/u0"]["cluster_id"] == m["a/u0"]["cluster_id"]) is paraphrase


def _stories_over_months() -> list[tuple[str, str, date | None, list[str]]]:
    """The talks told by three outlets on three dates weeks apart, a verbatim copy reaching back to the first
    telling, and unrelated news in between."""
    articles = []
    for k, start in enumerate((DAY, DAY + timedelta(days=30), DAY + timedelta(days=75))):
        articles += [(f"a{k}", f"Harbour Times {k}", start, [TALKS]),  # no outlet repeats a line: no furniture
                     (f"b{k}", f"Valley Post {k}", start + timedelta(days=1), [TALKS_OTHER_WORDS]),
                     (f"n{k}", f"Daily Ledger {k}", start + timedelta(days=8), [UNRELATED])]
    articles += [("copy", "Evening Star", DAY + timedelta(days=20), [TALKS]),  # verbatim: joins at any distance
                 ("late", "Morning Call", DAY + timedelta(days=21), [TALKS_THIRD])]
    return sorted(articles, key=lambda a: a[2])


def test_time_blocks_are_let_go_without_changing_a_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    articles = _stories_over_months()
    whole = make_store(tmp_path / "whole.duckdb", articles)
    corroborate.corroborate(whole, paraphrase=True)
    held: list[int] = []
    release = corroborate._State.release

    def spy(self: corroborate._State, keep: int | None = None) -> None:
        release(self, keep)
        held.append(len(self.loaded))

    monkeypatch.setattr(corroborate, "LOADED_BLOCKS", 3)
    monkeypatch.setattr(corroborate._State, "release", spy)
    cut = make_store(tmp_path / "cut.duckdb", articles)
    corroborate.corroborate(cut, paraphrase=True, chunk=1)
    assert max(held) == 3 and len(held) == len(articles)  # blocks were let go after every chunk
    assert members(cut) == members(whole)


def test_a_statement_is_judged_against_a_core_outside_its_window(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(corroborate, "LOADED_BLOCKS", 3)  # the core's block is let go before "late" comes
    path = make_store(tmp_path / "s.duckdb", _stories_over_months())
    corroborate.corroborate(path, paraphrase=True, chunk=1)
    m = members(path)
    core = m["a0/u0"]
    assert m["copy/u0"]["cluster_id"] == core["cluster_id"] and m["copy/u0"]["how"] == "verbatim"
    # 21 days after the core, one day after the copy: compared with the core, which lies 7 blocks back
    assert m["late/u0"]["cluster_id"] == core["cluster_id"] and m["late/u0"]["matched"] == core["member"]
