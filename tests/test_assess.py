"""The assess stage: figures that disagree, and what counts as the author's own assertion."""

from __future__ import annotations

import pytest

from onrecord import analyze
from onrecord.assess.conflicts import number_value


def conflicts(text: str) -> list[str]:
    return [f.text for f in analyze(text).flags if f.code == "conflict"]


@pytest.mark.parametrize(("text", "value"), [("3,100", 3100), ("Twelve", 12), ("forty-five", 45),
                                             ("two million", 2_000_000), ("1.5", 1.5), ("a few", None)])
def test_number_value(text: str, value: float | None) -> None:
    assert number_value(text) == value


def test_word_number_against_digits_is_flagged_on_the_later_statement() -> None:
    text = ("Eight people were killed when a missile hit a bus station in Dornik on Monday. "
            "Emergency crews searched the rubble all night.\n\n"
            "The death toll of 14 made it the worst attack on Dornik this year.")
    assert conflicts(text) == ["The death toll of 14 made it the worst attack on Dornik this year."]


def test_same_specific_noun_two_counts() -> None:
    text = ("About 1,200 nurses walked out on Tuesday over pay. "
            "Letters will go to all 2,000 striking nurses if talks resume.")
    assert len(conflicts(text)) == 1


def test_approximate_figures_within_tolerance_agree() -> None:
    text = "About 1,200 nurses walked out on Tuesday. Roughly 1,300 nurses joined the picket lines."
    assert conflicts(text) == []


def test_rising_toll_is_an_update_not_a_conflict() -> None:
    text = ("Eight people were killed in the flooding on Monday. "
            "By Wednesday the death toll had risen to 14.")
    assert conflicts(text) == []


def test_different_places_are_different_counts() -> None:
    text = "Five people were killed in Marlow on Monday. Nine people were killed in Dornik on Tuesday."
    assert conflicts(text) == []


def test_figures_in_sources_mouths_are_not_the_authors_contradiction() -> None:
    text = ("The ministry said 12 people were killed in the strike. "
            "Rebel commanders said 30 people were killed in the strike.")
    assert conflicts(text) == []


def test_resigned_but_chairs_meeting_later() -> None:
    text = ("Council leader Maria Novak said on Thursday that the budget was balanced. "
            "Novak resigned on Monday.")
    flags = [f for f in analyze(text).flags if f.code == "conflict"]
    assert len(flags) == 1 and flags[0].severity == "high" and flags[0].related == ["a1"]


def test_unsourced_are_ranked_by_checkworthiness() -> None:
    text = ("The government cut the fuel subsidy by 40% in January, saving $2.1 billion. "
            "It was a bold move. The minister said prices would fall.")
    record = analyze(text)
    scores = {u.text: u.checkworthiness for u in record.unsourced}
    specific = scores["The government cut the fuel subsidy by 40% in January, saving $2.1 billion."]
    assert all(specific >= v for v in scores.values())
    flagged = [f for f in record.flags if f.code == "unsourced-claim"]
    assert flagged and flagged[0].text.startswith("The government cut")


def test_boilerplate_is_not_analysed() -> None:
    text = ("Also read: Minister says the army killed 500 rebels\n\n"
            "The minister said the army had retreated.\n\nRelated: Ten things to know about the war\n")
    record = analyze(text)
    assert [b.reason for b in record.boilerplate] == ["related-link", "related-link"]
    assert all("500 rebels" not in a.content.text for a in record.attributions)
    assert all("things to know" not in u.text for u in record.unsourced)


def test_question_shaped_headlines_are_not_assertions() -> None:
    text = ("Why the coalition's budget gamble may backfire\n\n"
            "The coalition cut the defence budget by 8% in its first year.\n\n"
            "Whether voters will accept it is another matter.")
    assert [u.text for u in analyze(text).unsourced] == [
        "The coalition cut the defence budget by 8% in its first year."]


def test_intervals() -> None:
    from onrecord.assess.unsourced import Intervals

    spans = Intervals([(10, 20), (15, 30), (40, 50)])
    assert spans.touches(25, 35) and not spans.touches(30, 40) and spans.touches(0, 11)
    assert spans.covered(0, 100) == 30 and spans.covered(25, 45) == 10


def test_at_least_figure_is_read() -> None:
    text = ("At least 14 people were killed when a bus crashed near Dornik on Monday. "
            "The crash near Dornik killed 3 people, the deadliest this year.")
    assert len(conflicts(text)) == 1


@pytest.mark.parametrize("text", [
    "Violent crime fell by 12 percent last year, the center's data show.",
    "A poll from the Harris institute showed 40 percent of voters back the plan.",
    "Census figures indicate that the town grew by 8,000 people in a decade.",
])
def test_a_sentence_naming_its_evidence_is_not_unsourced(text: str) -> None:
    assert analyze(text).unsourced == []


def test_the_same_claim_without_its_evidence_is_unsourced() -> None:
    assert [u.text for u in analyze("Violent crime fell by 12 percent last year.").unsourced] == [
        "Violent crime fell by 12 percent last year."]


def test_evidence_inside_a_subordinate_clause_does_not_source_the_claim() -> None:
    text = "Interior Minister Tomas Varga resigned on Friday after an audit found irregularities in police contracts."
    assert [u.text for u in analyze(text).unsourced] == [text]
