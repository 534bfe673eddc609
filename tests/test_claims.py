"""What two reports of one claim must share (onrecord.store.claims), the cheap candidate vectors
(onrecord.store.embed), the verdict model (onrecord.store.verdict), and a planted set of cross-outlet conflicts
the store yardstick does not plant: a changed named actor, a flipped polarity, a changed date — each with an
unchanged control, all through ``ingest --corroborate``. The sentences are written for these tests."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest
from feeds import write_feed

from onrecord.store import claims, embed, match, schema
from onrecord.store.corroborate import corroborate
from onrecord.store.ingest import ingest


def diff(a: str, b: str) -> list[tuple[str, str, str]]:
    return [(d.what, d.a, d.b) for d in claims.differences(claims.facts(a), claims.facts(b))]


@pytest.mark.parametrize(("a", "b", "what"), [
    ("Bombers killed 12 people in the market, police said.", "Bombers killed 36 people in the market, police said.",
     "figure"),
    ("The fund lost $2.5 billion last year.", "The fund lost $4.9 billion last year.", "figure"),
    ("Turnout was 61 percent, officials said.", "Turnout was 48 percent, officials said.", "figure"),
    ("The Senate voted 52-48 to pass the bill.", "The Senate voted 48-52 on the bill.", "figure"),
    ("The ministry confirmed the talks would resume.", "The ministry denied the talks would resume.", "polarity"),
    ("The council approved the budget.", "The council did not approve the budget.", "negation"),
    ("Mayor Smith said the bridge would close.", "Mayor Jones said the bridge would close.", "actor"),
    ("The vote will take place on March 3, the party said.", "The vote will take place on March 17, the party said.",
     "figure"),
])
def test_what_differs(a: str, b: str, what: str) -> None:
    assert what in {d[0] for d in diff(a, b)}


@pytest.mark.parametrize(("a", "b"), [
    ("Shares rose 5 percent to $10.50 on Monday.", "Shares were up 5 per cent at $10.50 on Monday."),
    ("Sales were $2.46 billion in the quarter.", "Quarterly sales came to $2.5 billion."),  # rounding
    ("He did not comment on the report.", "He declined to comment on the report."),  # refusal = negation
    ("President Bush said the war would go on.", "George W. Bush said the war would go on."),  # one actor, two names
    ("Nine people were killed in the fire.", "The fire killed nine people, 3 of them children."),  # an extra figure
    ("The company doesn't expect profits this year.", "The company does not expect profits this year."),
])
def test_what_does_not_differ(a: str, b: str) -> None:
    assert [d for d in diff(a, b) if d[0] in ("figure", "actor", "polarity", "negation")] == []


def test_figures_read_kind_and_scale() -> None:
    got = {(f.kind, f.value) for f in claims.facts("It cost $1.2 million, 3 percent more, and 40 cents a share; "
                                                   "the vote was 7-2 on May 4 in 2023.").figures}
    assert ("money", 1.2e6) in got and ("percent", 3.0) in got and ("money", 0.4) in got
    assert ("vote", 7.2) in got and ("date", 4.0) in got and ("year", 2023.0) in got


def test_masked_hides_figures_only() -> None:
    masked = claims.masked("Police said 12 people died on Route 9.")
    assert masked == "Police said several people died on Route several."


def test_candidate_vectors_put_a_paraphrase_first() -> None:
    texts = ["Talks will resume on Monday, the ministry said.",
             "The ministry said negotiations would resume Monday.",
             "The river burst its banks after three days of rain.",
             "Shares in the carmaker fell sharply in early trading."]
    v = embed.embed(texts)
    assert v.shape == (4, embed.WIDTH) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    sims = v @ v[0]
    assert int(np.argmax(sims[1:])) == 0
    assert not embed.embed(["the of and"]).any()  # no content word: no vector


VERDICT_PAIRS = (["Talks will resume on Monday, the ministry said.", "The river burst its banks after days of rain."],
                 ["The ministry said negotiations would restart on Monday.",
                  "Shares in the carmaker fell in early trading."])


def test_verdict_is_symmetric_and_reads_a_paraphrase() -> None:
    from onrecord.store.verdict import shipped

    v = shipped()
    a, b = VERDICT_PAIRS
    s1, s2 = v.scores(a, b), v.scores(b, a)
    assert np.allclose(s1, s2, atol=1e-6)
    assert s1[0] >= v.threshold and s1[0] > s1[1]
    fast = v.scores(a, b, margin=2.0)  # the second order read only near the threshold: the same decisions
    assert ((fast >= v.threshold) == (s1 >= v.threshold)).all()


def test_verdict_rejects_unrelated_sentences() -> None:
    from onrecord.store.verdict import shipped

    v = shipped()
    a, b = VERDICT_PAIRS
    assert v.scores(a, b)[1] < v.threshold


# --------------------------------------------------------------------------------------- planted conflicts

# (alpha's sentence, beta's sentence told in other words, beta's sentence with one thing changed)
PLANTED = [
    ("Senator Alvarez said on Tuesday that the dam project would be cancelled.",
     "The dam project will be cancelled, Senator Alvarez said Tuesday.",
     "The dam project will be cancelled, Senator Moreau said Tuesday."),  # named actor
    ("The health ministry confirmed that the clinic in Tarnow had closed.",
     "The clinic in Tarnow has closed, the health ministry confirmed.",
     "The clinic in Tarnow has closed, the health ministry denied."),  # polarity
    ("The referendum on the new constitution will be held on June 9, the electoral board said.",
     "The electoral board said the constitutional referendum would take place on June 9.",
     "The electoral board said the constitutional referendum would take place on June 23."),  # date
    ("Union leaders voted to accept the pay offer from the port authority.",
     "The port authority's pay offer was accepted in a vote by union leaders.",
     "The port authority's pay offer was rejected in a vote by union leaders."),  # polarity
]


@pytest.fixture(scope="module")
def planted_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[str, str]]]:
    base = tmp_path_factory.mktemp("planted")
    docs, pairs = [], {}
    for i, (a, same, changed) in enumerate(PLANTED):
        for kind, b in (("control", same), ("planted", changed)):
            key = f"{kind}{i}"
            # each pair in a week of its own, so that a control and its planted version never meet
            day = (date(2024, 5, 1) + timedelta(days=7 * len(pairs))).isoformat()
            docs.append({"id": f"{key}-a", "text": a, "outlet": "Alpha News", "published": day})
            docs.append({"id": f"{key}-b", "text": b, "outlet": "Beta Daily", "published": day})
            pairs[key] = (f"{key}-a", f"{key}-b")
    path = base / "planted.duckdb"
    ingest([write_feed(base / "planted.jsonl", docs)], path, jobs=1, progress=False, corroborate=False)
    corroborate(path, paraphrase=True)  # the second stage is opt-in per store
    return path, pairs


def test_planted_conflicts_are_flagged_and_controls_corroborate(
        planted_store: tuple[Path, dict[str, tuple[str, str]]]) -> None:
    path, pairs = planted_store
    con = duckdb.connect(str(path), read_only=True)
    try:
        flagged = {(a, r.split("/")[0]) for a, related in con.execute(
            "SELECT article_id, related FROM flags WHERE origin = 'corpus' AND code = 'conflict'").fetchall()
            for r in related}
        clusters = [set(r[0]) for r in con.execute(
            "SELECT list(DISTINCT article_id) FROM cluster_members GROUP BY cluster_id HAVING count(DISTINCT "
            "article_id) > 1").fetchall()]
        explanations = [e for (e,) in con.execute("SELECT explanation FROM flags WHERE origin = 'corpus'").fetchall()]
    finally:
        con.close()

    def linked(pair: tuple[str, str], links: set[tuple[str, ...]]) -> bool:
        return tuple(sorted(pair)) in {tuple(sorted(x)) for x in links}

    planted = [k for k in pairs if k.startswith("planted")]
    controls = [k for k in pairs if k.startswith("control")]
    assert linked(pairs["planted2"], flagged)  # the changed date
    assert not any(linked(pairs[k], flagged) for k in controls)  # no false alarm
    def together(pair: tuple[str, str]) -> bool:
        return any(set(pair) <= c for c in clusters)

    assert not any(together(pairs[k]) for k in planted)  # a changed fact is not the same claim
    assert sum(together(pairs[k]) for k in controls) >= len(controls) - 1
    assert all("Alpha News" in e and "Beta Daily" in e for e in explanations)


def test_planted_actor_and_polarity_conflicts_are_flagged(
        planted_store: tuple[Path, dict[str, tuple[str, str]]]) -> None:
    path, pairs = planted_store
    con = duckdb.connect(str(path), read_only=True)
    try:
        flagged = {a for (a,) in con.execute("SELECT article_id FROM flags WHERE origin = 'corpus'").fetchall()}
    finally:
        con.close()
    assert {pairs[k][1] for k in ("planted0", "planted1", "planted3")} <= flagged
    assert not {pairs[k][1] for k in ("control0", "control1", "control2", "control3")} & flagged


def test_actor_report_shows_the_conflicting_versions_side_by_side(tmp_path: Path) -> None:
    from onrecord.render.corpus import actor_report_html

    docs = [{"id": "a", "outlet": "Alpha News", "published": "2024-05-01",
             "text": "Mayor Elena Varga said on Friday that 40 families had lost their homes in the flood."},
            {"id": "b", "outlet": "Beta Daily", "published": "2024-05-01",  # a day later, 90 would be an update
             "text": "In the flood, 90 families lost their homes, Mayor Elena Varga said on Friday."}]
    path = tmp_path / "report.duckdb"
    ingest([write_feed(tmp_path / "r.jsonl", docs)], path, jobs=1, progress=False, corroborate=False)
    corroborate(path, paraphrase=True)
    page = actor_report_html(path, "Varga")
    assert page.count('class="vs"') == 1
    versions = page.split('class="vs"')[1]
    assert "Beta Daily, 2024-05-01" in versions and "Alpha News, 2024-05-01" in versions and "40 families" in versions


def test_statement_vectors_come_from_the_ingest_workers_and_old_stores_still_cluster(tmp_path: Path) -> None:
    """The workers store each statement's vector with the article; clustering reads it, and a store without
    those rows (ingested before) gets them computed: the same clusters either way."""
    from onrecord.store import corroborate as corroboration

    docs = [{"id": "a", "outlet": "Alpha News", "published": "2024-05-01", "text": PLANTED[0][0]},
            {"id": "b", "outlet": "Beta Daily", "published": "2024-05-01", "text": PLANTED[0][1]},
            {"id": "c", "outlet": "Gamma Post", "published": "2024-05-01", "text": PLANTED[2][0]}]
    feed = write_feed(tmp_path / "v.jsonl", docs)
    stores = {}
    for name in ("workers", "old"):
        path = tmp_path / f"{name}.duckdb"
        con = schema.connect(path)
        con.execute("INSERT INTO store_info VALUES ('corroborate_paraphrase', '1')")  # the store asked for it
        con.close()
        ingest([feed], path, jobs=1, progress=False, corroborate=True)
        if name == "old":
            con = duckdb.connect(str(path))
            con.execute("DROP TABLE statement_embeddings")
            con.close()
            corroboration.corroborate(path, rebuild=True, paraphrase=True)
        stores[name] = path
    con = duckdb.connect(str(stores["workers"]), read_only=True)
    try:
        n_statements = con.execute("SELECT (SELECT count(*) FROM attributions) + (SELECT count(*) FROM unsourced)"
                                   ).fetchall()[0][0]
        vectors = con.execute("SELECT vector FROM statement_embeddings").fetchall()
        per_member = con.execute("SELECT list(vector ORDER BY member) FROM statement_vectors").fetchall()[0][0]
    finally:
        con.close()
    assert n_statements and len(vectors) == n_statements
    assert all(len(v) == embed.WIDTH for (v,) in vectors)

    def clusters(path: Path) -> list[tuple[str, str, int, str | None]]:
        c = duckdb.connect(str(path), read_only=True)
        try:
            return c.execute("SELECT article_id, statement_id, cluster_id, how FROM cluster_members "
                             "ORDER BY member").fetchall()
        finally:
            c.close()

    assert clusters(stores["workers"]) == clusters(stores["old"])
    con = duckdb.connect(str(stores["old"]), read_only=True)
    try:
        assert np.allclose(np.array(per_member), np.array(
            con.execute("SELECT list(vector ORDER BY member) FROM statement_vectors").fetchall()[0][0]), atol=1e-6)
    finally:
        con.close()


@pytest.mark.parametrize(("a", "b"), [("The Extremadura region burned.", "The Extramadura region burned."),
                                      ("Ships sailed to the Turks islands.", "Ships sailed to the Turk islands.")])
def test_one_name_spelt_two_ways_is_one_actor(a: str, b: str) -> None:
    assert "actor" not in {d[0] for d in diff(a, b)}


def test_undone_makes_the_difference_the_same() -> None:
    a, b = "The ministry confirmed the clinic had closed.", "The ministry denied the clinic had closed."
    x, y = claims.undone(a, b, claims.differences(claims.facts(a), claims.facts(b)))
    assert x == y
    a, b = "Mayor Smith said 12 houses burned.", "Mayor Jones said 40 houses burned."
    x, y = claims.undone(a, b, claims.differences(claims.facts(a), claims.facts(b)))
    assert x == y and "Jones" not in y and "40" not in y


# ------------------------------------------------------- what is not a conflict between two reports of one claim

@pytest.mark.parametrize(("a", "b"), [
    ("The FAA said the runway would reopen.", "The Federal Aviation Administration said the runway would reopen."),
    ("The United States will send the aid.", "The US will send the aid."),  # initials, both ways round
    ("Delegates met before the next NATO summit.", "Delegates met before the next North Atlantic Treaty Organisation "
     "summit."),
    ("The plant will close, the UK company said.", "The plant will close, the Britain company said."),
])
def test_a_name_and_its_initials_are_one_actor(a: str, b: str) -> None:
    assert "actor" not in {d[0] for d in diff(a, b)}


@pytest.mark.parametrize(("a", "b"), [
    ("The Dumont administration wants the treaty signed by May.", "Freedonia wants the treaty signed by May."),
    ("The governor asked the White House to send troops.", "The governor asked Dumont to send troops."),
])
def test_a_government_named_by_its_leader_country_or_seat_is_one_actor(a: str, b: str) -> None:
    assert "actor" not in {d[0] for d in diff(a, b)}


def test_two_administrations_are_still_two_actors() -> None:
    assert "actor" in {d[0] for d in diff("The Dumont administration wants the treaty signed.",
                                          "The Moreau administration wants the treaty signed.")}


@pytest.mark.parametrize(("a", "b"), [
    # two readings of a market at two hours: every figure differs
    ("The index fell 12.40 points, or 0.8 percent, to 1,502.10.", "The index was down 15.95 points, or 1.1 percent, "
     "at 1,498.55."),
    # each side names a place the other does not: one measure of two places
    ("Sales at the chain in Ontario rose 4.1 percent.", "Sales at the chain in Quebec rose 6.3 percent."),
])
def test_figures_of_other_measurements_block_the_link_but_are_no_conflict(a: str, b: str) -> None:
    whats = {d[0] for d in diff(a, b)}
    assert "figures" in whats and "figure" not in whats


def test_times_of_day_are_their_own_kind() -> None:
    kinds = {(f.kind, f.value) for f in claims.facts("The polls close at 8 p.m., the count starts at 9:30.").figures}
    assert kinds == {("time", 8.0), ("time", 9.3)}
    assert "figure" in {d[0] for d in diff("The polls close at 8 p.m. on Sunday.",
                                           "The polls close at 9 p.m. on Sunday.")}


def test_one_changed_figure_with_a_date_on_one_side_is_still_a_conflict() -> None:
    assert "figure" in {d[0] for d in diff("Gunmen killed 12 villagers and a priest on May 2, 2021.",
                                           "Gunmen killed 19 villagers and a priest.")}


def test_a_possessive_name_stands_before_its_noun() -> None:
    got = diff("Alvarez' campaign said it would appeal the ruling.",
               "The Moreau campaign said it would appeal the ruling.")
    assert ("actor", "Alvarez", "Moreau") in got


def test_two_actors_who_each_did_not_act_are_two_claims_but_no_conflict() -> None:
    whats = {d[0] for d in diff("Alvarez' campaign did not immediately respond to a request for comment.",
                                "The Moreau campaign did not immediately respond to a request for comment.")}
    assert "actors" in whats and "actor" not in whats


def test_a_number_in_words_is_one_figure() -> None:
    """"Twenty-four" is 24, not 20 and 4: the same share written in words and in digits does not differ."""
    assert [(f.kind, f.value) for f in claims.facts("Twenty-four percent said the plan was fair.").figures] == [
        ("percent", 24.0)]
    assert [f.value for f in claims.facts("thirty one ships and forty boats").figures] == [31.0, 40.0]
    assert diff("Only 24 percent said the plan was fair.", "Twenty-four percent said the plan was fair.") == []
    assert "figure" in {d[0] for d in diff("Only 34 percent said the plan was fair.",
                                           "Twenty-four percent said the plan was fair.")}


def test_names_besides_the_actor_tell_another_event() -> None:
    """One actor put for another only when the rest names the same places and people: two candidates winning
    primaries in two states are two events (two claims, no conflict)."""
    whats = {d[0] for d in diff("Hartmann won the primary in Idaho on Tuesday.",
                                "Okafor won the primary in Nevada on Tuesday.")}
    assert "actors" in whats and "actor" not in whats  # not the same claim, and no conflict
    assert ("actor", "Hartmann", "Okafor") in diff("Hartmann won the primary in Idaho on Tuesday.",
                                                   "Okafor won the primary in Idaho on Tuesday.")


def test_figures_of_other_measurements_are_no_conflict_of_any_kind() -> None:
    """Two polls' margins for two groups of voters: the figures measure other things, so the group's name that
    differs is no conflict of actors either."""
    a = match.Candidate(1, 1, "outlet:alpha", date(2024, 5, 1), "Among 542 Republican primary voters, the margin of "
                        "error is plus or minus 4.2 percentage points.", 1)
    b = match.Candidate(2, 2, "outlet:beta", date(2024, 5, 1), "Among 418 Democratic primary voters, the margin of "
                        "error is plus or minus 6.1 percentage points.", 2)
    assert {d[0] for d in diff(a.context, b.context)} >= {"figures", "actor"}

    def always(xs: list[str], ys: list[str]) -> np.ndarray:
        return np.ones(len(xs))

    assert match.judge(a, [b], {}, always, 0.5) == (None, [])
    # the same sentence with one figure changed is a conflict on the same verdict
    c = match.Candidate(3, 3, "outlet:gamma", date(2024, 5, 1), a.context.replace("4.2", "5.9"), 3)
    _, conflicts = match.judge(a, [c], {}, always, 0.5)
    assert [d.what for j in conflicts for d in j.differences] == ["figure"]
