"""The stance reader, dates and trends over time, the positions gold scorer, `onrecord issues draft|check`."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from onrecord.positions.draft import Said, cluster_issues, draft_toml, find_issues, negate, terms
from onrecord.positions.evaluate import Scored, is_positions_gold, same_holder, score_article
from onrecord.positions.issues import load_issues, parse_issues
from onrecord.positions.match import Statement, holder, polarity
from onrecord.positions.stance import (
    _CONDITIONAL,
    FEATURES,
    evaluation,
    load_reader,
    number_agreement,
    numbers,
    pieces,
    read_stances,
    stance_evaluations,
)
from onrecord.positions.timeline import Convergence, article_date, dateline_date, trend
from onrecord.record import Article, Attribution, Record, Span, Speaker

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "positions_gold"

CODEBOOK = parse_issues({"issues": [
    {"id": "deal", "question": "Should the deal be signed?", "keywords": ["deal", "agreement"],
     "stances": [
         {"id": "for", "score": -1, "examples": ["The deal should be signed.", "The agreement is good for workers.",
                                                 "We support the deal."]},
         {"id": "against", "score": 1, "examples": ["The deal must be rejected.",
                                                    "This agreement will cost jobs.", "We oppose the deal."]}]},
    {"id": "pay", "question": "How large a rise?", "keywords": ["rise", "per cent"],
     "stances": [
         {"id": "large", "score": -1, "examples": ["We need a rise of 12 per cent.",
                                                   "Anything under 12 per cent is an insult."]},
         {"id": "middle", "score": 0, "examples": ["A rise of five per cent is fair.",
                                                   "We could meet in the middle at five per cent."]},
         {"id": "small", "score": 1, "examples": ["Two per cent is all we can pay.",
                                                  "A rise above two per cent would cost jobs."]}]},
]}, "test")


@pytest.fixture(scope="module")
def encoder():
    from onrecord.positions.encoder import load_encoder

    return load_encoder()


def read(text: str, encoder, cue: str | None = "said") -> dict[str, str]:
    return {m.issue: m.stance for m in read_stances([Statement(0, "someone", text, cue)], CODEBOOK, encoder)}


# --- the reader's parts (no encoder) ------------------------------------------------------------------------------


def test_shipped_weights_are_plain_json_with_their_card() -> None:
    card = json.loads((ROOT / "onrecord" / "data" / "stance.json").read_text())
    assert card["features"] == list(FEATURES) and len(card["weights"]) == len(FEATURES)
    assert card["command"].startswith("python -m onrecord.train.stance")
    assert 0 < load_reader().threshold < 1


def test_a_demand_for_at_least_is_not_a_negation() -> None:
    assert polarity("they would accept nothing less than full compensation") == (
        "they would accept full compensation", 0)
    assert polarity("it would not settle for anything less than a full freeze") == (
        "it would settle for a full freeze", 0)
    assert polarity("we won't take less than ten per cent") == ("we will take ten per cent", 0)
    assert polarity("we will not accept the offer") == ("we will accept the offer", 1)


def test_a_cap_is_an_offer_of_the_amount_not_a_refusal() -> None:
    assert polarity("the firm will not pay more than two per cent") == ("the firm will pay two per cent", 0)
    assert polarity("a rise of no more than two per cent") == ("a rise of two per cent", 0)
    assert polarity("we would pay two per cent and not a penny more") == ("we would pay two per cent", 0)
    assert polarity("we will not pay more")[1] == 1  # more than nothing named: still a refusal
    assert polarity("we will not go beyond our offer of two per cent") == ("we will go our offer of two per cent", 0)
    assert polarity("we will not go to court")[1] == 1  # no cap: a refusal


def test_a_condition_may_stand_apart_from_its_only() -> None:
    assert _CONDITIONAL.search("a cap would only be considered if the city built homes first")
    assert not _CONDITIONAL.search("the only way is to sign if asked")  # "only" then five words: no condition


def test_two_named_parties_speaking_together_each_hold() -> None:
    from onrecord.positions.match import holders

    text = "Brenn Mining and Olm County said in a joint statement"
    together = Speaker(0, 27, text[:27], name="Olm County", actor="olm-county", kind="organization")
    mentions = [(0, 5, "brenn"), (17, 27, "olm-county")]
    assert holders(together, mentions) == ["brenn", "olm-county"]
    assert holders(together, [(17, 27, "olm-county")]) == ["brenn-mining", "olm-county"]  # unresolved: by name
    firm = Speaker(0, 17, "Marks and Spencer", name="Marks and Spencer", actor="m-s", kind="organization")
    assert holders(firm, [(0, 17, "m-s")]) == ["m-s"]  # one name across "and"
    one = Speaker(0, 10, "Olm County", name="Olm County", actor="olm-county", kind="organization")
    assert holders(one, mentions) == ["olm-county"]


def test_a_name_is_held_by_the_one_actor_it_mentions_else_by_its_slug() -> None:
    from onrecord.positions.match import named_holder

    mentions = [(0, 5, "brenn"), (10, 20, "olm-county")]
    assert named_holder(0, 9, "Brenn Mining", mentions) == "brenn"  # one actor mentioned inside
    assert named_holder(22, 30, "Ada Vik", mentions) == "ada-vik"  # none: the name as an id
    assert named_holder(0, 20, "Brenn and Olm County", mentions) == ""  # several: not which one


def test_named_person_without_an_actor_holds_under_the_name() -> None:
    assert holder(Speaker(0, 10, "", name="A spokeswoman for the company, Ingrid Hale", kind="person")) \
        == "ingrid-hale"
    assert holder(Speaker(0, 10, "", name="Not every head", kind="person")) is None
    assert holder(Speaker(0, 10, "", name="he", kind="person")) is None


def test_evaluation_reads_opinion_words_cue_and_negation() -> None:
    assert evaluation("the deal shows what neighbours can achieve") > 0
    assert evaluation("the pact would cost thousands of jobs") < 0
    assert evaluation("the talks had failed") < 0
    assert evaluation("the talks had failed", cue="did not believe") > 0
    assert evaluation("the plan", cue="welcomed") > 0
    # A denying cue turns what it reports around; the similarity features read "rejected the plan" through
    # the negation parity, so the cue adds no valence of its own ("rejected the demand for a higher sum").
    assert evaluation("the plan", cue="rejected") == 0
    assert evaluation("a fair plan", cue="rejected") < 0 < evaluation("the talks had failed", cue="denied")
    assert evaluation("his party would vote against the agreement") < 0  # "agreement" is not "agree"


def test_a_cue_composes_with_what_it_reports() -> None:
    # A welcoming or pledging cue passes an evaluating content on, a condemning one turns it around; on a neutral
    # content the cue is the evaluation.
    assert evaluation("the return to work", cue="welcomed") < 0  # the end of a walkout, welcomed
    assert evaluation("to fight the plan", cue="vowed") < 0
    assert evaluation("the plan", cue="condemned") < 0 < evaluation("the plan", cue="welcomed")
    assert evaluation("the council would scrap the night buses", cue="condemned") > 0
    assert evaluation("the ban would cost jobs", cue="warned") < 0
    assert evaluation("the decision", cue="welcomed") > 0 > evaluation("the decision", cue="condemned")


def test_ending_and_returning_are_read_as_stopping() -> None:
    assert evaluation("the strike was over") < 0
    assert evaluation("the strike must end now") < 0
    assert evaluation("we are calling off the walkout") < 0
    assert evaluation("our members will go back to work") < 0
    assert evaluation("Velmora will pull its forces back") == 0  # a way back, not backing
    assert evaluation("the union backed the deal") > 0


def test_approving_words_beside_a_stopping_act_judge_the_act() -> None:
    assert evaluation("we will go back to work this week as a gesture of good faith") < 0
    assert evaluation("halting the scheme is the right and fair thing to do") < 0
    assert evaluation("the scheme is good and must not be scrapped") > 0  # the negation still turns it
    assert evaluation("the deal is fair and good") > 0  # without a stopping act they judge what they speak of


def test_fighting_a_plan_negates_it_fighting_for_one_does_not() -> None:
    assert polarity("We will fight any plan to replace crane drivers")[1] == 1
    assert polarity("We will fight for every job")[1] == 0


def test_a_time_of_day_does_not_end_a_clause_and_unless_stays_with_its_clause() -> None:
    night = "no flights be allowed between 11 p.m. and 7 a.m"
    assert pieces(night) == [night]
    assert pieces("It ends in April. Without a subsidy it ends") == ["It ends in April", "Without a subsidy it ends"]
    assert pieces("we would not support any increase unless the state pays") == [
        "we would not support any increase unless the state pays"]
    assert _CONDITIONAL.search("we would not support any increase unless the state pays")


def test_both_ends_of_a_scale_in_one_statement_take_the_middle() -> None:
    from onrecord.positions.match import Match
    from onrecord.positions.stance import both_ends_to_middle

    def m(stance: str, clause: str, key: str = "a1", confidence: float = 0.8) -> Match:
        return Match(key, "port", "pay", stance, confidence, 0.5, 0.1, clause)

    found = both_ends_to_middle([m("large", "would accept more"), m("small", "but not all of it", confidence=0.6)],
                                CODEBOOK)
    assert [(x.stance, x.confidence) for x in found] == [("middle", 0.6)]
    kept = [m("large", "x"), m("small", "y", key="a2")]  # two statements: each keeps its own
    assert both_ends_to_middle(kept, CODEBOOK) == kept
    deal = [Match("a1", "p", "deal", "for", 0.8, 0.5, 0.1, "x"),
            Match("a1", "p", "deal", "against", 0.7, 0.5, 0.1, "y")]
    assert both_ends_to_middle(deal, CODEBOOK) == deal  # no middle on a scale of two


def test_a_surname_holds_with_the_full_name_of_the_same_article() -> None:
    from onrecord.positions.match import same_person

    said = [Statement("a1", "dagny-moe", "x"), Statement("a2", "moe", "y"), Statement("a3", "berg", "z"),
            Statement("a4", "nils-berg", "w"), Statement("a5", "ola-berg", "v")]
    assert [s.actor for s in same_person(said)] == ["dagny-moe", "dagny-moe", "berg", "nils-berg", "ola-berg"]


def test_stance_evaluation_is_not_blown_up_when_stances_barely_differ() -> None:
    deal = stance_evaluations(CODEBOOK.get("deal"))
    assert deal[0] > 0.5 and deal[1] < -0.5
    close = parse_issues({"issues": [{"id": "x", "question": "?", "stances": [
        {"id": "a", "score": -1, "examples": ["We welcome a neutral state.", "Fine."]},
        {"id": "b", "score": 1, "examples": ["We welcome membership.", "Good."]}]}]}).get("x")
    assert np.abs(stance_evaluations(close)).max() <= 0.5


def test_amounts_and_their_nearest_stance() -> None:
    assert numbers("the two sides agreed 5.5 per cent in 2026, a two per cent rise") == [5.5, 2.0]
    amounts = [[12.0], [5.0], [2.0]]
    assert list(number_agreement("a rise of around five per cent", amounts)) == [-1, 1, -1]
    assert list(number_agreement("a rise for everyone", amounts)) == [0, 0, 0]


def test_clauses_keep_their_connectives() -> None:
    assert pieces("Ukraine will not join NATO and that he is open to talks") == [
        "Ukraine will not join NATO", "and that he is open to talks"]
    assert pieces("while we deserve more, a deal is possible") == ["while we deserve more", "a deal is possible"]


def test_groups_and_organisations_hold_positions_unresolved_pronouns_do_not() -> None:
    def speaker(name: str, kind: str, actor: str | None = None) -> Speaker:
        return Speaker(start=0, end=len(name), text=name, name=name, actor=actor, kind=kind)

    assert holder(speaker("Doctors' groups", "group")) == "doctors-groups"
    assert holder(speaker("Ann Lee", "person", "ann-lee")) == "ann-lee"
    assert holder(speaker("he", "unknown")) is None
    assert holder(None) is None


# --- the reader on statements (encoder) ---------------------------------------------------------------------------


def test_reader_reads_stated_implied_and_negated_stances(encoder) -> None:
    assert read("the deal should be signed this week", encoder) == {"deal": "for"}
    assert read("the agreement shows what neighbours can achieve", encoder) == {"deal": "for"}
    assert read("the deal would cost thousands of jobs", encoder) == {"deal": "against"}
    assert read("the deal should be signed", encoder, cue="denied") == {"deal": "against"}


def test_reader_leaves_topic_conditions_and_hedges_without_stance(encoder) -> None:
    assert read("talks on the deal resume on Friday", encoder) == {}
    assert read("the deal should be signed only if the unions agree first", encoder) == {}
    assert read("the agreement was worth considering", encoder) == {}


def test_a_judged_subject_takes_its_stance_or_the_other_end(encoder) -> None:
    from onrecord.positions.stance import judged, topic_words

    deal = CODEBOOK.get("deal")
    topic = topic_words(deal)
    assert judged("any deal with these terms would be unacceptable", "said", deal, topic).polarity == -1
    assert judged("but the new agreement is a fair one", "said", deal, topic).polarity == 1
    assert judged("the new agreement is a fair one", "denied", deal, topic).polarity == -1  # a denying cue turns it
    assert judged("the deal is good", "said", deal, topic) is None  # "the deal" alone describes no stance
    assert judged("the new deal must be signed", "said", deal, topic) is None  # what is to be done: as it stands
    assert judged("it would be unacceptable", "said", deal, topic) is None  # a pronoun: no subject to describe
    assert evaluation("the science behind it was thin at best") < 0  # a ceiling, not praise
    # a naming frame: the name judges the object
    assert judged('the new deal "a sell-out"', "called", deal, topic).polarity == -1
    assert judged("the new deal as a fair one", "described", deal, topic).polarity == 1
    assert judged('the new deal "a sell-out"', "said", deal, topic) is None  # no naming cue: a quotation
    assert judged("the new deal “a sell-out”", "called", deal, topic).polarity == -1  # curly quotes alike
    from onrecord.positions.stance import object_polarity
    assert object_polarity("called the deal “a sell-out”") == object_polarity('called the deal "a sell-out"') \
        == (-1, "the deal")
    assert read("a rise of 12 per cent would cost jobs", encoder) == {"pay": "small"}
    assert read("any new agreement with the port would be a disaster", encoder) == {"deal": "against"}


def test_an_issue_is_named_by_the_words_its_examples_name_it_by() -> None:
    from onrecord.positions.stance import example_names, names

    book = parse_issues({"issues": [
        {"id": "trawl", "question": "?", "keywords": ["trawl*"], "stances": [
            {"id": "no", "score": -1, "examples": ["A ban would ruin the bay.", "We will never accept a ban."]},
            {"id": "yes", "score": 1, "examples": ["The ban must come now.", "Two per cent of the bay."]}]},
        {"id": "quota", "question": "?", "keywords": ["quota*"], "stances": [
            {"id": "keep", "score": -1, "examples": ["Keep our quota.", "Two per cent more of the bay."]},
            {"id": "cut", "score": 1, "examples": ["Cut the quota.", "Share two per cent."]}]}]}, "test")
    named_by = example_names(book)
    assert named_by["trawl"] == {"ban"}  # three examples; "bay" is in the other issue's too, "two" is a number
    assert names(book.get("trawl"), "urged them to hold firm on the ban", named_by)
    assert not names(book.get("quota"), "urged them to hold firm on the ban", named_by)


def test_reader_reads_amounts_on_a_scale(encoder) -> None:
    assert read("a two per cent rise was all the firm could afford", encoder) == {"pay": "small"}
    assert read("a rise of around five per cent would be a fair compromise", encoder) == {"pay": "middle"}


# --- over time ----------------------------------------------------------------------------------------------------


def test_dates_from_metadata_then_dateline() -> None:
    assert dateline_date("CARROW, March 18, 2026 — The first signs") == dt.date(2026, 3, 18)
    assert dateline_date("LONDON, 18 March 2026 (Wire) - Talks") == dt.date(2026, 3, 18)
    assert dateline_date("LONDON, March 18 (Wire) - no year") is None
    assert dateline_date("The mayor said on March 18, 2026 that") is None
    assert dateline_date("Board votes to close unit\n\nMARSBY, February 12, 2027 — The board") == dt.date(2027, 2, 12)
    assert dateline_date("A headline\n\nA first line.\n\nMARSBY, February 12, 2027 — later") is None  # not a dateline
    text = "CARROW, March 18, 2026 — Talks went on."
    dated = Record(article=Article(id="a", published="2026-03-20"), text=text)
    undated = Record(article=Article(id="b"), text=text)
    assert article_date(dated) == (dt.date(2026, 3, 20), "metadata")
    assert article_date(undated) == (dt.date(2026, 3, 18), "dateline")


def test_trend_names_the_latest_run() -> None:
    def conv(*values: float | None) -> list[Convergence]:
        return [Convergence(f"P{n}", v, None, None) for n, v in enumerate(values)]

    assert trend(conv(0.0, 0.0, 0.5, 1.0)) == "converging since P1"
    assert trend(conv(1.0, None, 0.5)) == "diverging since P0"
    assert trend(conv(0.5, 0.5)) == "unchanged since P0"
    assert trend(conv(0.5, None)) is None


# --- scoring --------------------------------------------------------------------------------------------------------


def test_holder_matching_and_article_counts() -> None:
    assert same_holder("Leo Park", "mayor-leo-park") and same_holder("Shop owners", "shop-owners-on-elm-street")
    assert same_holder("the health ministry", "health-ministry") and not same_holder("Leo Park", "leo-grant")
    s = Scored("x", None, gold=[("Ann Lee", "deal", "for"), ("Bo Chan", "deal", "against")],
               predicted=[("ann-lee", "deal", "for"), ("bo-chan", "deal", "for"), ("cy-dee", "deal", "for")])
    n, misses = score_article(s)
    assert (n["gold"], n["predicted"], n["found"], n["wrong_stance"]) == (2, 3, 1, 1)
    assert sorted(m["kind"] for m in misses) == ["missed", "spurious", "wrong-stance"]


def test_positions_gold_is_well_formed() -> None:
    assert is_positions_gold([str(GOLD)])
    files = sorted(GOLD.glob("*.json"))
    singles = [json.loads(f.read_text()) for f in files if not f.name.endswith(".series.json")]
    assert len(singles) >= 15
    for g in singles:
        issues = load_issues(GOLD / g["issues"])
        assert (GOLD / g["document"]).exists()
        for p in g["positions"]:
            assert issues.get(p["issue"]).stance(p["stance"])
    series = json.loads((GOLD / "harbour.series.json").read_text())
    assert len({c["period"] for c in series["cells"]}) >= 5
    seed = Path("/work/shared/seed/peace-talks-2022.txt")
    if seed.exists():  # no 8-word run shared with the seed
        words = seed.read_text().lower().split()
        runs = {" ".join(words[i:i + 8]) for i in range(len(words) - 7)}
        for g in singles:
            art = (GOLD / g["document"]).read_text().lower().split()
            assert not any(" ".join(art[i:i + 8]) in runs for i in range(len(art) - 7))


# --- draft and check ----------------------------------------------------------------------------------------------


def test_draft_proposes_a_valid_issues_file(tmp_path: Path) -> None:
    said = [Said(("a", str(n)), actor, actor, text, "said") for n, (actor, text) in enumerate([
        ("ann", "the bridge toll is a fair way to pay for repairs"),
        ("bo", "the bridge toll will hit commuters hardest"),
        ("cy", "a bridge toll is a mistake"),
        ("ann", "the bridge toll will help the city"),
        ("dee", "the weather stayed mild"),
    ])]
    assert "bridge toll" in terms(said[0].content)
    found = find_issues(said, min_statements=3)
    assert found and "bridge toll" in found[0].keywords
    path = tmp_path / "draft.toml"
    path.write_text(draft_toml(found))
    issue = load_issues(path).issues[0]
    assert [s.id for s in issue.stances] == ["for", "against"]
    assert any("fair" in e for e in issue.stance("for").examples)
    assert any("mistake" in e or "hardest" in e for e in issue.stance("against").examples)


def test_draft_clusters_statements_by_meaning(encoder) -> None:
    """Statements on one subject in different words fall in one issue, apart from another subject's."""
    rows = [("ann", "the bridge toll is a fair way to pay for repairs"), ("bo", "charging drivers to cross the river "
            "will hit commuters hardest"), ("cy", "a fee for using the bridge is a mistake"),
            ("dee", "tolls on the crossing will help the city"), ("ed", "the new school must hire more teachers"),
            ("fay", "classrooms are overcrowded and need staff"), ("gus", "schools cannot find enough teachers"),
            ("hal", "teacher shortages hurt pupils")]
    said = [Said(("a", str(n)), actor, actor, text, "said") for n, (actor, text) in enumerate(rows)]
    found = cluster_issues(said, encoder, min_statements=3)
    groups = sorted(sorted(s.actor for s in issue.statements) for issue in found)
    assert groups == [["ann", "bo", "cy", "dee"], ["ed", "fay", "gus", "hal"]]
    assert all(issue.keywords for issue in found)


def test_encoder_reads_meaning_without_torch() -> None:
    """The ONNX encoder ranks a paraphrase above an unrelated sentence, and loading it imports no torch."""
    code = ("import sys; from onrecord.positions.encoder import load_encoder; e = load_encoder(); "
            "v = e.encode(['The talks are a waste of time.', 'Negotiating is pointless.', 'It rained in June.']); "
            "print(float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.2, round(float((v * v).sum(1).min()), 4), "
            "any(m == 'torch' or m.startswith('torch.') for m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "1.0", "False"]


def test_negate_for_generated_phrasings() -> None:
    assert negate("The deal should be signed") == "The deal should not be signed"
    assert negate("We will not sign") == "We will sign"
    assert negate("There is no deal") is None


def test_issues_check_and_draft_commands(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("Union leader Ann Lee said the deal should be signed. Bo Chan, a factory owner, said the "
                       "agreement would cost jobs. Cy Dee said talks on the deal resume on Friday.\n")
    codebook = tmp_path / "deal.toml"
    deal = CODEBOOK.get("deal")  # a few examples per stance: one each is too few to read stance from
    codebook.write_text('[[issues]]\nid = "deal"\nquestion = "Sign the deal?"\nkeywords = ["deal", "agreement"]\n'
                        + "".join(f'[[issues.stances]]\nid = "{st.id}"\nscore = {st.score}\nexamples = '
                                  f"{json.dumps(list(st.examples))}\n" for st in deal.stances))
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\x00\x01binary")
    proc = subprocess.run([sys.executable, "-m", "onrecord", "issues", "check", str(codebook), str(binary),
                           str(article), "--format", "json"], capture_output=True, text=True, timeout=600, cwd=ROOT,
                          env=env)
    assert proc.returncode == 0, proc.stderr
    assert "b.txt" in proc.stderr and "(skipped)" in proc.stderr  # a bad article never ends the run
    issue = json.loads(proc.stdout)["issues"][0]
    stances = {s["id"]: [r["speaker"] for r in s["statements"]] for s in issue["stances"]}
    assert stances == {"for": ["Ann Lee"], "against": ["Bo Chan"]}
    proc = subprocess.run([sys.executable, "-m", "onrecord", "issues", "draft", str(article)], capture_output=True,
                          text=True, timeout=600, cwd=ROOT, env=env)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1  # too few statements: one line, no traceback


def test_timeline_reads_the_gold_series_from_gold_positions() -> None:
    """The per-period and convergence logic, apart from the stance reader: the gold positions of the harbour series,
    each carried by its holder's attribution in the analysis, give the gold's period cells and every change of
    distance between the parties (a position whose holder the analysis attributes nothing to has no cell)."""
    from onrecord.positions.evaluate import analyse, score_series
    from onrecord.record import Position

    series = json.loads((GOLD / "harbour.series.json").read_text())
    cache: dict = {}
    scored, carried = {}, 0
    for document in series["documents"]:
        path = GOLD / (Path(document).stem + ".json")
        data = json.loads(path.read_text())
        s = analyse(path, data, "reader", cache)
        s.record.positions = []
        for g in data["positions"]:
            a = next((a for a in s.record.attributions
                      if holder(a.speaker) and same_holder(g["actor"], holder(a.speaker))), None)
            if a is not None:
                carried += 1
                s.record.positions.append(Position(actor=holder(a.speaker), issue=g["issue"], stance=g["stance"],
                                                   attribution=a.id, confidence=1.0))
        scored[path.stem] = s
    n, _ = score_series(series, scored, GOLD, cache)
    missing = sum(len(json.loads((GOLD / (Path(d).stem + ".json")).read_text())["positions"])
                  for d in series["documents"]) - carried
    assert n["changes"] == 3 and n["changes_right"] == 3
    assert n["cells_right"] >= n["cells"] - missing and n["dated_right"] == n["dated"] == 6


def test_seed_positions_with_their_holders() -> None:
    """The seed article with the example codebook: the four gold positions and no other."""
    seed = Path("/work/shared/seed/peace-talks-2022.txt")
    if not seed.exists():
        pytest.skip("the seed article is not on this machine")
    from onrecord.analysis import analyze
    from onrecord.positions.match import add_positions

    record = add_positions(analyze(seed.read_text()), load_issues(ROOT / "examples" / "issues.toml"))
    assert sorted((p.actor, p.issue, p.stance) for p in record.positions) == [
        ("russia", "regime-change", "no-regime-change"), ("volodymyr-zelensky", "crimea", "ukrainian"),
        ("volodymyr-zelensky", "donbas", "negotiable"), ("volodymyr-zelensky", "nato", "neutral")]


def test_spoken_judgement_of_a_thing_is_attributed() -> None:
    """'welcomed the ban' reports a statement about the ban (its object is the content); 'opposes regime change'
    states a stance held, not said, and stays out of the default convention."""
    from onrecord.analysis import analyze

    said = analyze("The teachers' union welcomed the new limits on class sizes. The mayor condemned the attack on "
                   "the depot. The country opposes any change of government in its neighbour.")
    got = [(a.cue.text if a.cue else None, a.content.text) for a in said.attributions]
    assert ("welcomed", "the new limits on class sizes") in got
    assert ("condemned", "the attack on the depot") in got
    assert not any(cue == "opposes" for cue, _ in got)


# --- stance acts, paragraph gating, one stance per holder ----------------------------------------------------------


def _record(text: str, actors: dict[str, list[str]], attributions: tuple = ()) -> Record:
    """A record of ``text`` whose actors are mentioned by the given strings (every occurrence)."""
    import re as _re

    from onrecord.record import Actor, Mention

    found = [Actor(id=a, name=a, kind="person", mentions=[Mention(m.start(), m.end(), m.group(0))
                                                         for w in words for m in _re.finditer(_re.escape(w), text)])
             for a, words in actors.items()]
    return Record(article=Article(id="t"), text=text, actors=found, attributions=list(attributions))


def test_stance_acts_follow_the_subject_and_drop_the_addressee() -> None:
    from onrecord.positions.acts import act_statements

    text = ("Opposition leader Ada Brenn vowed to fight the plan. She called on the minister to halt the tender "
            "until a review was done. The ministry rejected the farmers' demand for a higher sum, saying the "
            "figure was final. The group called the rise \"a tax on the poor\" and urged councillors to throw it "
            "out. Ada Brenn, head of the Greens, said the deal was a mistake. Tom Hale resigned because of his "
            "call for a strike.")
    record = _record(text, {"ada-brenn": ["Ada Brenn", "She"], "ministry": ["The ministry"],
                            "group": ["The group"], "tom-hale": ["Tom Hale", "his"]})
    got = [(s.actor, s.cue, s.content) for s in act_statements(record)]
    assert got == [
        ("ada-brenn", "vowed", "to fight the plan"),
        ("ada-brenn", "called on", "halt the tender until a review was done"),
        ("ministry", "rejected", "the farmers' demand for a higher sum"),  # ", saying …" reports more
        ("group", "called", 'the rise "a tax on the poor"'),
        ("group", "urged", "throw it out"),
        ("ada-brenn", "said", "the deal was a mistake"),  # across the appositive
    ]  # no act for "his call for a strike": a possessive is no subject


def test_an_act_inside_an_attribution_is_left_to_it_and_quotes_continue() -> None:
    from onrecord.positions.acts import act_statements

    text = '"We will not accept less," said Ada Brenn. "The strike will go on." Ships queued.'
    content = text.index("We"), text.index(",")
    cue = text.index("said"), text.index("said") + 4
    speaker = text.index("Ada"), text.index("Ada") + 8
    attribution = Attribution(id="a1", speaker=Speaker(*speaker, "Ada Brenn", name="Ada Brenn", actor="ada-brenn",
                                                       kind="person"),
                              cue=Span(*cue, "said"), content=Span(*content, text[slice(*content)]), form="direct")
    record = _record(text, {"ada-brenn": ["Ada Brenn"]}, (attribution,))
    assert [(s.actor, s.cue, s.content) for s in act_statements(record)] == [
        ("ada-brenn", None, "The strike will go on")]


def test_a_line_labelled_with_a_name_and_a_colon_is_that_persons_statement() -> None:
    from onrecord.positions.acts import act_statements

    text = ('WHAT THEY SAID\n• Ada Brenn, head of the Greens: "The deal is a mistake."\n'
            '- Tom Hale: "We back it."\nReactions: "none yet"\n10:40 — Talks resumed.')
    record = _record(text, {"ada-brenn": ["Ada Brenn"]})
    assert [(s.actor, s.content) for s in act_statements(record)] == [
        ("ada-brenn", "The deal is a mistake"), ("tom-hale", "We back it")]  # a name of one word labels nothing


def test_a_paragraph_names_the_issue_a_statement_does_not() -> None:
    from onrecord.positions.stance import candidates

    one = Statement(0, "x", "the rule itself was long overdue", "said", context="The deal was signed on Monday.")
    two = Statement(1, "x", "it was long overdue", "said", context="The deal and the 12 per cent rise were agreed.")
    none = Statement(2, "x", "it was long overdue", "said", context="Ships queued.")
    got = candidates([one, two, none], CODEBOOK)
    # every issue stays open to a near paraphrase (UNKEYED_RELEVANCE); the paragraph opens one to the nearer reading
    assert [(c.statement.key, sorted(c.opened), c.context) for c in got] == [
        (0, ["deal"], True), (1, [], True), (2, [], True)]


def test_a_clause_is_read_for_the_issues_it_names_and_hedges_silence_the_statement() -> None:
    from onrecord.positions.stance import candidates

    both = Statement(0, "x", "the deal is fine, but a rise of 12 per cent is needed", "said")
    hedge = Statement(1, "x", "she had not yet taken a view on the deal and would publish a review", "said")
    contrast = Statement(2, "x", "she still had doubts about the rise but would vote for the deal", "said")
    got = [(c.clause, [i.id for i in c.issues]) for c in candidates([both, hedge, contrast], CODEBOOK)]
    assert got == [("the deal is fine", ["deal"]), ("but a rise of 12 per cent is needed", ["pay"]),
                   ("but would vote for the deal", ["deal"])]


def test_until_opens_a_condition_and_calling_it_stays_outside_the_cue() -> None:
    from onrecord.positions.acts import act_statements
    from onrecord.positions.stance import hedged

    assert pieces("The strike will go on until the employers come back with a real offer") == [
        "The strike will go on", "until the employers come back with a real offer"]
    assert hedged("until the employers come back with a real offer", False)
    text = "Ada Brenn rejected the proposed subsidy, calling it a giveaway."
    assert [s.content for s in act_statements(_record(text, {"ada-brenn": ["Ada Brenn"]}))] == [
        "the proposed subsidy"]


def test_not_before_a_time_negates_the_adverbial() -> None:
    assert polarity("we will not accept it, not after three years of rising rents")[1] == 1
    assert polarity("not until the monitors arrive")[1] == 1


def test_one_stance_per_holder_and_issue_in_an_article() -> None:
    from onrecord.positions.match import Match, one_stance_per_holder

    def m(key: str, actor: str, stance: str, confidence: float) -> Match:
        return Match(key, actor, "deal", stance, confidence, 0.5, 0.1, "")

    kept = one_stance_per_holder([m("a1", "x", "for", 0.8), m("a2", "x", "against", 0.4), m("a3", "x", "for", 0.5),
                                  m("a4", "y", "against", 0.3)])
    assert [k.key for k in kept] == ["a1", "a3", "a4"]


def test_positions_over_records_read_their_stance_acts(tmp_path: Path) -> None:
    from onrecord.positions.cli import sources_from_jsonl

    text = "Ada Brenn vowed to fight the dam. The vote is on Friday."
    record = _record(text, {"ada-brenn": ["Ada Brenn"]})
    record.article.published = "2026-06-09"
    path = tmp_path / "records.jsonl"
    path.write_text(record.to_json() + "\n", encoding="utf-8")
    got = [(s.attribution, s.actor, s.cue, s.content, str(s.date)) for s in sources_from_jsonl([str(path)])]
    start = text.index("to fight")
    assert got == [(f"act:{start}-{text.index('.')}", "ada-brenn", "vowed", "to fight the dam", "2026-06-09")]


def test_a_directive_is_read_for_what_it_asks() -> None:
    # "urged X to Y" attributed by the attribution step is read as the same words read as a stance act: for Y.
    from onrecord.analysis import analyze
    from onrecord.positions.match import record_statements

    record = analyze("Mayor Ada Brenn urged councillors to throw out the fare rise on Monday.\n")
    assert [a.content.text.split()[0] for a in record.attributions] == ["councillors"]
    assert [s.content.split()[:2] for s in record_statements(record)] == [["throw", "out"]]


def test_the_readers_encoder_is_a_table_loaded_without_pickle() -> None:
    from onrecord.positions.encoder import STATIC, OnnxEncoder, StaticEncoder, encoder_for

    with np.load(STATIC, allow_pickle=False) as data:
        assert data["table"].dtype == np.int8 and data["table"].shape[1] == 384
        assert json.loads(str(data["card"]))["cosine_to_teacher_held_out"] > 0.7
    assert isinstance(encoder_for("reader"), StaticEncoder)
    assert isinstance(encoder_for("embeddings"), OnnxEncoder)  # the nearest-example matcher's thresholds are its


def test_the_table_is_fitted_to_reproduce_the_teachers_means() -> None:
    from onrecord.train.static_encoder import fit, quantise

    rng = np.random.default_rng(0)
    truth = rng.normal(size=(6, 4))
    rows = [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [0, 5], [0, 2, 4], [1, 3, 5], [0], [3]]
    targets = np.stack([truth[r].mean(0) for r in rows])
    start = np.zeros_like(truth)
    table = fit(rows, targets, start, ridge=1e-6, iterations=200)
    assert np.abs(np.stack([table[r].mean(0) for r in rows]) - targets).max() < 1e-3
    q, scale = quantise(table)
    assert q.dtype == np.int8 and np.abs(q * scale[:, None] - table).max() <= scale.max()


def test_a_referring_phrase_takes_the_polarity_of_the_verb_that_governs_it() -> None:
    from onrecord.positions.stance import object_polarity

    assert object_polarity("condemned the proposal") == (-1, "the proposal")
    assert object_polarity("welcomed the direction of the plan")[0] == 1  # type: ignore[index]
    assert object_polarity("Vestby's plan") is None  # no verb for or against it
    assert object_polarity("said they did not back the plan")[0] == -1  # type: ignore[index]
    assert object_polarity("said members would fight it")[0] == -1  # type: ignore[index]
    assert object_polarity("would back the plan only if wages rise") is None  # a condition
    assert object_polarity("said the plan was published on Monday") is None
    assert object_polarity("the rule itself was long overdue") == (1, "the rule")  # an evaluating predicate
    assert object_polarity("the deal was a disaster")[0] == -1  # type: ignore[index]
    assert object_polarity("the deal was not a good one")[0] == -1  # type: ignore[index]


def test_a_referring_phrase_named_in_a_naming_frame_takes_the_names_polarity() -> None:
    from onrecord.positions.stance import object_polarity

    assert object_polarity('called the offer "a betrayal"') == (-1, "the offer")
    assert object_polarity("described Norland's reversal as reckless") == (-1, "Norland's reversal")
    assert object_polarity('called the plan "a fair deal for all"') == (1, "the plan")
    assert object_polarity('said the offer "came late"') is None  # no naming verb


def test_a_referring_phrase_finds_the_issue_an_earlier_sentence_names() -> None:
    from onrecord.positions.stance import referent

    before = "The union and the company agreed a deal on Monday. Ships queued outside the port."
    got = referent(Statement(0, "x", "the deal", "condemned", before=before), CODEBOOK)
    assert got is not None and (got.issue.id, got.polarity) == ("deal", -1)
    assert got.antecedent.startswith("deal on Monday")  # the object runs from where its head named it
    assert referent(Statement(0, "x", "the deal", "condemned"), CODEBOOK) is None  # nothing earlier
    under = "Workers get a 12 per cent rise under rules signed by the board."  # from the head on names no issue
    got = referent(Statement(0, "x", "the decision", "welcomed", before=under), CODEBOOK)
    assert got is not None and got.issue.id == "pay" and got.antecedent == under
    both = "The deal includes a 12 per cent rise."  # a sentence naming two issues opens neither
    assert referent(Statement(0, "x", "the proposal", "rejected", before=both), CODEBOOK) is None
    assert referent(Statement(0, "x", "the proposal", "said", before=before), CODEBOOK) is None  # no clear verb


def test_the_reader_takes_a_stance_on_what_a_referring_phrase_points_to(encoder) -> None:
    before = "The union said the deal should be signed and that the agreement is good for workers."
    read_ref = {}
    for cue in ("welcomed", "rejected"):
        found = read_stances([Statement(0, "x", "the plan", cue, before=before)], CODEBOOK, encoder)
        read_ref[cue] = {m.issue: m.stance for m in found}
    assert read_ref == {"welcomed": {"deal": "for"}, "rejected": {"deal": "against"}}


def test_a_statement_naming_no_issue_is_read_for_the_one_it_paraphrases(encoder) -> None:
    near = Statement(0, "x", "we could meet in the middle at five", "said", context="Ships queued.")
    far = Statement(1, "x", "the ships queued outside the harbour all week", "said", context="Ships queued.")
    got = {(m.key, m.issue) for m in read_stances([near, far], CODEBOOK, encoder)}
    assert got == {(0, "pay")}


def test_a_paraphrase_must_stand_out_from_the_next_issue() -> None:
    from onrecord.positions.stance import unkeyed

    assert unkeyed(0.7, [0.7, 0.3])
    assert not unkeyed(0.7, [0.7, 0.65])  # as near another issue: about the talks in general
    assert not unkeyed(0.5, [0.5, 0.1])  # not near enough
    assert unkeyed(0.7, [0.7])


def test_staying_out_negates_only_what_it_stays_out_of() -> None:
    assert polarity("Ukraine will stay out of the alliance")[1] == 1
    assert polarity("Kyiv will remain outside any bloc")[1] == 1
    assert polarity("members voted to stay out for another fortnight")[1] == 0  # on strike: nothing negated


def test_topic_is_no_stance_findings_declared_neutrality_and_a_stoppage() -> None:
    from onrecord.positions.stance import _NEGATIVE, _STOPPING, _lexicon, candidates, declared_none

    # a cue that reports a measurement or a finding reports a fact, not the speaker's stance
    found = [Statement(0, "x", "the rise would cost the firm 40 million a year", cue)
             for cue in ("estimated", "found", "has calculated", "confirm", "said")]
    assert {c.statement.cue for c in candidates(found, CODEBOOK)} == {"said"}
    # a declaration of no position silences what it declares about, and what "and" ties to it; not past a contrast
    assert declared_none(pieces("the deal did not affect current retirees and that it would not take a position")) \
        == [True, True]
    assert declared_none(pieces("the deal is good for workers, but she had taken no view on the rise")) \
        == [False, True]
    assert declared_none(pieces("the deal is good for workers and it would take the rise")) == [False, False]
    # verbs of stopping, not the noun of a stoppage
    assert _STOPPING.search("the strike must stop") and not _STOPPING.search("laid off staff because of the stoppage")
    assert not _lexicon(_NEGATIVE).search("the stoppage")


def test_a_transcript_turn_is_its_labelled_speakers_statement() -> None:
    from onrecord.positions.acts import transcript_turns

    text = ("Press conference, Carrow.\nADA BRENN (Greens): We will vote against the deal. It costs jobs.\n"
            "QUESTION (Carrow Post): Will you?\nTOM HALE: Yes.\nWHAT HAPPENED\nNEXT STEPS: the vote is on Friday.")
    record = _record(text, {"ada-brenn": ["Ada Brenn"]})  # a name in capitals: no mention, held by its slug
    assert [(a.actor, text[slice(*a.content)]) for a in transcript_turns(record)] == [
        ("ada-brenn", "We will vote against the deal. It costs jobs."), ("tom-hale", "Yes."),
        ("next-steps", "the vote is on Friday.")]  # two capitalised words label a line as a speaker would


def test_a_signed_piece_in_its_authors_voice_is_the_authors_statement() -> None:
    from onrecord.positions.acts import signed_pieces

    text = ("Opinion\nWhy I oppose the deal\nBy Ada Brenn\n\nI will vote against the deal. It costs jobs.\n\n"
            "Ada Brenn is leader of the Greens.\n\nSir, the deal is good.\nI back it.\nTom Hale, Carrow\n\n"
            "Our view: sign it. We back the deal.\n— The Carrow Post\n\n"
            "Port talks resume\nBy Jo Reporter\n\nThe talks resume on Friday.\n\nJo Reporter is our correspondent.")
    record = _record(text, {"ada-brenn": ["Ada Brenn"]})
    got = [(a.actor, text[slice(*a.content)]) for a in signed_pieces(record)]
    assert got == [("ada-brenn", "I will vote against the deal."), ("ada-brenn", "It costs jobs."),
                   ("tom-hale", "Sir, the deal is good."), ("tom-hale", "I back it."),
                   ("the-carrow-post", "Our view: sign it."),
                   ("the-carrow-post", "We back the deal.")]  # the reporter's story has no voice of its own


def test_a_clause_reporting_a_named_others_words_is_not_the_speakers_stance() -> None:
    from onrecord.positions.stance import candidates

    st = Statement(0, "x", "we back the deal, and the union has made clear it will reject the deal", "said")
    told = Statement(1, "x", "Nordbane tells us that the deal is good", "wrote")
    own = Statement(2, "x", "she said the deal was good", "said")  # a pronoun in reported speech: the speaker
    assert [(c.statement.key, c.clause) for c in candidates([st, told, own], CODEBOOK)] == [
        (0, "we back the deal"), (2, "she said the deal was good")]


def test_an_admission_that_something_falls_short_concedes() -> None:
    from onrecord.positions.stance import candidates

    st = Statement(0, "x", "It is not everything we asked for, but we will sign the deal", "said")
    perfect = Statement(1, "x", "the deal is not perfect", "said")
    bad = Statement(2, "x", "the deal is not good for workers", "said")  # a plain negation still reads
    assert [(c.statement.key, c.clause) for c in candidates([st, perfect, bad], CODEBOOK)] == [
        (0, "but we will sign the deal"), (2, "the deal is not good for workers")]


def test_a_step_back_to_is_a_judgement_not_a_way_back() -> None:
    assert evaluation("a step back to 1970s mining") < 0
    assert evaluation("go back to work") <= 0  # a way back, no backing
    assert evaluation("backed the deal") > 0


def test_a_negated_judging_predicate_judges_the_subject(encoder) -> None:
    # "not greed" judges the amount; it does not negate the stance the amount describes
    book = parse_issues({"issues": [{"id": "pay", "question": "?", "keywords": ["pay", "per cent", "rise"], "stances": [
        {"id": "low", "score": -1, "examples": ["Four per cent is a fair offer and all the budget allows.",
                                                "The health service cannot afford more than four per cent.",
                                                "Any bigger rise would come out of patient care."]},
        {"id": "middle", "score": 0, "examples": ["A rise of around eight per cent would settle this.",
                                                  "We could accept something between seven and ten per cent.",
                                                  "Both sides should meet in the middle."]},
        {"id": "high", "score": 1, "examples": ["Doctors need fifteen per cent to restore what inflation took.",
                                                "Four per cent is a pay cut in disguise.",
                                                "We will not settle for less than full pay restoration."]}]}]}, "test")
    said = [Statement(0, "someone", "eighteen per cent is not greed", "said")]
    assert [(m.issue, m.stance) for m in read_stances(said, book, encoder)] == [("pay", "high")]  # was low


def test_statement_holders_read_the_sentence_around_the_speaker() -> None:
    from onrecord.positions.match import statement_holders

    def attribution(text: str, speaker: str, content: str, actor: str | None, kind: str = "person") -> Attribution:
        s, c = text.index(speaker), text.index(content)
        return Attribution("a1", Speaker(s, s + len(speaker), speaker, name=speaker, actor=actor, kind=kind),
                           None, Span(c, c + len(content), content), "indirect")

    text = "The union's chair, Ada Vik, told us the strike would go on."
    a = attribution(text, "The union's chair", "the strike would go on", None, "unknown")
    assert statement_holders(text, a, [(19, 26, "ada-vik")], [(19, 26, "ada-vik")]) == ["ada-vik"]
    assert statement_holders(text, a, [], []) == ["ada-vik"]  # no actor for the name: the name as an id
    text = "Olmia would not give up its water, he said."
    a = attribution(text, "he", "Olmia would not give up its water", "olmia")
    assert statement_holders(text, a, [(0, 5, "olmia"), (35, 37, "olmia")], [(0, 5, "olmia")]) == []
    text = "The water is ours, he said."
    a = attribution(text, "he", "The water is ours", "ada-vik")
    assert statement_holders(text, a, [(19, 21, "ada-vik")], []) == ["ada-vik"]  # nothing named inside: kept
    assert statement_holders(text, a, [(19, 21, "ada-vik")], [], {"ada-vik"}) == ["ada-vik"]  # a person
    a = attribution(text, "he", "The water is ours", "olmia")
    assert statement_holders(text, a, [(19, 21, "olmia")], [], {"ada-vik"}) == []  # never named as a person


def test_gold_holders_fold_accents_as_actor_ids_do() -> None:
    assert same_holder("Pål Ruud", "pal-ruud")


def test_a_negated_verb_of_relinquishing_keeps_its_object() -> None:
    assert polarity("we would not trade away our water") == ("we would keep our water", 0)
    assert polarity("the town cannot afford to turn away new homes") == ("the town can afford to keep new homes", 0)
    assert polarity("they won't give up a single tonne") == ("they will keep a single tonne", 0)
    assert polarity("they should give up the claim")[1] == 1  # not negated: still a refusal of its object


def test_far_from_denies_what_it_opens_and_the_rest_is_read() -> None:
    assert pieces("Far from drying out the valley, the dam would keep it green") == [
        "Far from drying out the valley", "the dam would keep it green"]
    from onrecord.positions.stance import _CONCESSION

    assert _CONCESSION.match("Far from drying out the valley") and not _CONCESSION.match("far from perfect")


def test_a_quotation_continuing_the_content_is_read_with_it() -> None:
    from onrecord.positions.match import quotation_end

    text = 'She said two per cent was "all we can pay" and left.'
    end = text.index(" \"all")
    assert text[:quotation_end(text, end)].endswith('"all we can pay"')
    text = 'She said two per cent was fair. "We will see," he added.'
    assert quotation_end(text, text.index(" \"We")) == text.index(" \"We")  # a sentence ended: no continuation


def test_an_agreement_of_two_others_is_theirs(encoder) -> None:
    assert read("both sides have agreed on a rise of five per cent", encoder) == {}
    assert read("a rise of five per cent is fair", encoder) == {"pay": "middle"}  # the speaker's own: read


def test_a_live_blog_dates_each_day_and_a_holder_may_move_between_days(encoder) -> None:
    from onrecord.analysis import analyze
    from onrecord.positions.match import add_positions
    from onrecord.positions.timeline import day_headings, record_observations

    text = ("Pay talks: live\n\nOLM, May 3, 2027 — Updates from the pay talks.\n\nMonday 3 May\n\n"
            "Ada Brenn said the deal should be signed this week.\n\nTuesday 4 May\n\n"
            "Ada Brenn said the deal would cost thousands of jobs.\n")
    record = analyze(text)
    assert [d.isoformat() for _, d in day_headings(record)] == ["2027-05-03", "2027-05-04"]
    record = add_positions(record, CODEBOOK)
    assert sorted((p.actor, p.stance) for p in record.positions) == [("ada-brenn", "against"), ("ada-brenn", "for")]
    days = {(o.stance, o.date.isoformat(), o.date_source) for o in record_observations(record, CODEBOOK, "actor")}
    assert days == {("for", "2027-05-03", "heading"), ("against", "2027-05-04", "heading")}
    from onrecord.positions.cli import record_sources  # `onrecord positions` reads the days as analyze does

    assert {(s.date.isoformat(), s.extra["section"]) for s in record_sources(record)} == {
        ("2027-05-03", "2027-05-03"), ("2027-05-04", "2027-05-04")}
    one_day = analyze(text.replace("Tuesday 4 May\n\n", ""))
    assert day_headings(one_day) == []  # one heading dates nothing the dateline does not
    assert len({p.stance for p in add_positions(one_day, CODEBOOK).positions}) == 1  # one stance per article


def test_a_correction_holds_the_stance_not_what_it_denies() -> None:
    assert pieces("we are not against a deal, just against this deal") == ["we are not against a deal",
                                                                            "just against this deal"]
    from onrecord.positions.stance import candidates

    def read_clauses(text: str) -> list[str]:
        return [c.clause for c in candidates([Statement(0, "someone", text, "said")], CODEBOOK)]

    assert read_clauses("we are not against a deal, just against this deal") == ["just against this deal"]
    assert read_clauses("we will not sign the deal, but we will keep talking") == [
        "we will not sign the deal", "but we will keep talking"]  # a contrast, no correction: both read


def test_a_finding_beside_a_statement_opens_no_issue_for_it() -> None:
    from onrecord.analysis import analyze
    from onrecord.positions.match import own_paragraph

    text = ("Ada Brenn, who chairs the talks, said both sides had come in good faith. A study published last month "
            "found that the agreement would cost 400 jobs.\n")
    record = analyze(text)
    finding = next(a for a in record.attributions if a.cue and a.cue.text == "found")
    chair = next(a for a in record.attributions if a is not finding)
    assert "agreement" not in own_paragraph(record, chair.content.start)
    assert "agreement" in own_paragraph(record, finding.content.start)  # its own words stay


def test_a_parenthetical_speaker_leaves_the_subject_to_the_content() -> None:
    from onrecord.analysis import analyze
    from onrecord.positions.match import parenthetical_subject, record_statements

    text = 'Talks broke down. The deal, Ada Brenn said, "would cost jobs".'
    record = analyze(text)
    assert [parenthetical_subject(text, a) for a in record.attributions] == ["The deal "]
    assert [st.content for st in record_statements(record)] == ["The deal would cost jobs"]
    text = "On Monday, Ada Brenn said, the deal would be signed."
    assert [parenthetical_subject(text, a) for a in analyze(text).attributions] == [""]  # a content with a subject
