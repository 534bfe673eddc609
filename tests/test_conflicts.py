"""Conflict flags: only real contradictions, one flag each, explained from what was matched."""

from __future__ import annotations

import pathlib

import pytest

from onrecord import analyze
from onrecord.evaluate_flags import score_clean, score_planted

PLANTED = pathlib.Path(__file__).resolve().parents[1] / "eval" / "conflicts"


def conflicts(text: str) -> list:
    return [f for f in analyze(text).flags if f.code == "conflict"]


@pytest.mark.parametrize("text", [
    # a generic clause about nobody in particular
    "Dr Ana Ruiz, a cardiologist at the city hospital, said most patients recover within a week. "
    "When they die, it is usually from a second infection.",
    # 'dismissing X as' is not X dismissed from office
    "Critics have been dismissing Mayor Tom Hale as the wrong man for the job. "
    "Mayor Tom Hale told reporters on Friday that he would not step aside.",
    # a status word in a temporal clause
    "Rights lawyer Omar Diaz said on Monday that the trial was unfair. "
    "Diaz was a student when he fled the country in 1998.",
    # the story told in order: quoted in June, resigned in August
    "Campaign chairman Paul Renner told reporters in June that the polls were wrong. "
    "Renner resigned in August after reports about his lobbying work.",
    # two people who share a surname
    "Jonas Berg died in a car crash on Sunday. "
    "His daughter, Lena Berg, told reporters on Monday that the family was devastated.",
    # a hypothetical and a negated resignation
    "Finance Minister Eva Holm said on Tuesday the budget would pass. "
    "Holm would resign if the budget failed, but she did not resign after last year's vote.",
    # an allegation is the source's, not the author's
    "Senator Ray Cole spoke in the chamber on Thursday. Opponents claimed Cole had been arrested in 2019.",
    # a candidate seeks an office: being fired from a job before does not contradict it
    "Republican presidential candidate Dana Whitfield spoke in Ohio on Monday. "
    "The board that hired Whitfield later turned on her. She was fired.",
    # the title used in the story of the past, the firing dated by the sentence before it: told in order
    "Executives said Dana Whitfield, a first-time chief executive, was learning on the job. "
    "In 2005, the board turned on Whitfield. She was fired.",
])
def test_no_conflict_where_nothing_contradicts(text: str) -> None:
    assert conflicts(text) == []


@pytest.mark.parametrize("text", [
    # different things counted: one man's accusers and another's
    "Nine accusers of the actor Sam Reed have spoken to the police. "
    "The three accusers of the director Ian Holt have not.",
    # different periods: this month against a typical month
    "The economy added 150,000 jobs this month. In a typical month, the economy adds 200,000 jobs.",
    # different scopes: under one leader and under another
    "The country carried out 12 nuclear tests under the old regime. "
    "Under the new government, the country carried out 3 nuclear tests.",
    # a figure that moves is an update
    "Eight people were killed in the flooding on Monday. By Wednesday the death toll had risen to 14.",
    # a score and a range are not counts
    "A 4-4 ruling by the court would leave the law in place. A 5-5 ruling would not.",
    # one holder's share against the whole: a named holder, the other figure nobody's
    "Governor Lena Marsh has 14 delegates after the caucuses. It takes 1,100 delegates to win the nomination.",
    # a further set, and counts per unit
    "The state awards 30 delegates to the winner. Another 12 delegates are split among the districts.",
    "Four firefighters were injured in the blaze. Two firefighters were injured at each of the two depots.",
    # 'one' singling out a member of a set
    "The town has 480 registered voters. One voter, Amos Kerr, 61, said he had never missed an election.",
    # one noun counted for many subsets: a tally, not a quantity restated
    "Delegates were chosen in three rounds. In the first round 40 delegates were chosen. "
    "In the second round 25 delegates were chosen. In the last round 9 delegates were chosen.",
    # the object valued, not the one valuing it
    "Analysts estimate the mill's debt at $40 million. Its owners put the figure for its land at $12 million.",
    # two poll line-ups: each sentence gives a share for a candidate the other does not name
    "Hartmann received 37 percent, Okafor had 36 percent and Lindqvist snagged 13 percent, according to the "
    "results.\n\nOkafor received 38 percent, while Brandt held 33 percent and Lindqvist had 10 percent.",
])
def test_figures_about_different_things_do_not_conflict(text: str) -> None:
    assert conflicts(text) == []


def test_status_conflict_is_one_flag_naming_both_sentences() -> None:
    text = ("Transport Minister Helena Varga announced a review of rail fares on Tuesday. "
            "Varga told reporters the findings would be published in June. "
            "Transport Minister Helena Varga also promised new trains. "
            "Varga resigned over the fares row and has left the government.")
    (flag,) = conflicts(text)
    assert flag.text == "Varga resigned over the fares row and has left the government."
    assert "Transport Minister Helena Varga announced a review" in flag.explanation
    assert "resigned" in flag.explanation and "Transport Minister" in flag.explanation
    assert flag.related  # the attributions of the other sentence


def test_an_office_holder_fired_is_still_a_conflict() -> None:
    """The control of the candidate case: the same story with an office held is a conflict."""
    text = ("Transport Minister Dana Whitfield spoke in Ohio on Monday. "
            "The board that hired Whitfield later turned on her. She was fired.")
    (flag,) = conflicts(text)
    assert flag.text == "She was fired."


def test_figure_conflict_names_both_figures_and_the_thing() -> None:
    text = ("Northway Energy agreed to buy Coastline Power in a deal worth $4.2 billion on Monday. "
            "Regulators in two countries must approve it.\n\n"
            "The $2.1 billion deal is the largest in the sector this year.")
    (flag,) = conflicts(text)
    assert flag.text.startswith("The $2.1 billion deal")
    assert "$4.2 billion" in flag.explanation and "$2.1 billion" in flag.explanation
    assert "deal" in flag.explanation


def test_a_vote_cannot_go_both_ways() -> None:
    text = ("Senator Maria Lindqvist voted for the water rights bill on Thursday. "
            "Farmers' groups had lobbied hard against it. "
            "Lindqvist voted against the water rights bill, which passed by three votes.")
    (flag,) = conflicts(text)
    assert "voted for" in flag.explanation and "voted against" in flag.explanation


def test_dead_person_speaking_later() -> None:
    text = ("The novelist Irene Castellano died on Tuesday at her home in Lisbon. "
            "Castellano told an audience in Porto on Thursday that she was working on a new novel.")
    (flag,) = conflicts(text)
    assert flag.text.startswith("The novelist Irene Castellano died")
    assert "told an audience in Porto on Thursday" in flag.explanation


def test_status_given_back_is_no_conflict() -> None:
    text = ("Opposition leader Karim Haddad told supporters on Saturday that elections were needed. "
            "Haddad was jailed in 2009 and released in 2013.")
    assert conflicts(text) == []


def test_planted_set_recall_and_controls() -> None:
    """The repository's planted-contradiction set: at least 90% of the plants found, no flag on a control."""
    figures = score_planted(PLANTED)["figures"]
    assert figures["planted"] >= 30 and figures["controls"] >= 30
    assert figures["recall"] >= 0.9
    assert figures["flags_on_controls"] == 0
    assert figures["extra_flags_on_planted"] == 0


def test_clean_folder_lists_every_flag(tmp_path: pathlib.Path) -> None:
    (tmp_path / "a.txt").write_text("Twelve people were killed in Halcz on Saturday. "
                                    "The death toll of 19 made it the deadliest attack on Halcz this year.\n")
    (tmp_path / "b.txt").write_text("The council met on Monday to discuss the budget.\n")
    result = score_clean(tmp_path)
    assert result["figures"] == {"articles": 2, "conflict_flags": 1, "per_100_articles": 50.0}
    assert result["flags"][0]["file"] == "a.txt"


def test_a_floor_broken_by_the_same_persons_count_named_a_sentence_late() -> None:
    # "who" stands for the lede's description, which the next sentence names; "more than 40" is a floor
    text = ("A pharmacist who stole more than 40 boxes of painkillers from a city clinic was jailed on Monday. "
            "Dana Whitlock, 38, had admitted theft at an earlier hearing. In total, Whitlock stole 31 boxes of "
            "painkillers.")
    assert [f.text for f in conflicts(text)] == ["In total, Whitlock stole 31 boxes of painkillers."]


@pytest.mark.parametrize("count", ["45", "about 38"])
def test_a_figure_within_a_floor_or_an_estimate_does_not_conflict(count: str) -> None:
    text = ("A pharmacist who stole more than 40 boxes of painkillers from a city clinic was jailed on Monday. "
            f"Dana Whitlock, 38, had admitted theft at an earlier hearing. In total, Whitlock stole {count} boxes of "
            "painkillers.")
    assert conflicts(text) == []


def test_a_past_until_clause_asserts_a_resignation_a_later_office_contradicts() -> None:
    # "until he resigned" happened; "attended … as chief negotiator" gives him the office afterwards
    text = ("The union's side was led by chief negotiator Piet Varga until he resigned in May. "
            "On Friday, Varga, who signed the deal as chief negotiator, said the strike was over.")
    assert [f.text for f in conflicts(text)] == [
        "The union's side was led by chief negotiator Piet Varga until he resigned in May."]


@pytest.mark.parametrize("text", [
    # a future or present "until": nothing happened yet
    "Chief negotiator Piet Varga will lead the talks until he resigns in May. "
    "On Friday, Varga, who signed the deal as chief negotiator, said the strike was over.",
    # the office given after the resignation is a former one
    "The union's side was led by chief negotiator Piet Varga until he resigned in May. "
    "On Friday, Varga, who signed the deal as former chief negotiator, said the strike was over.",
])
def test_no_status_conflict_without_a_past_resignation_and_a_current_office(text: str) -> None:
    assert conflicts(text) == []
