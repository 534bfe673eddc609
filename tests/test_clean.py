"""Stage "clean": boilerplate lines are found with exact offsets, and story prose is left alone."""

from __future__ import annotations

import pytest

from onrecord.clean import classify_line, find_boilerplate

NBSP = "\u00a0"

BOILERPLATE = {
    "related-link": [
        f"Also read:{NBSP}Ceasefire talks stall as shelling resumes near the port",
        "Also Read: EU leaders agree on new sanctions package",
        "ALSO READ | Five things to know about the grain deal",
        f"ALSO READ{NBSP}Talks to resume next week in Istanbul",  # no colon: the no-break space separates
        "READ MORE: How the blockade changed shipping routes",
        "Read more:",
        "Read more",
        "Related: Kremlin rejects proposal for talks in Istanbul",
        "RELATED: Prime minister survives confidence vote",
        "See also: Timeline of the negotiations",
        "Watch: Foreign ministers arrive for the summit",
        "MORE: Opposition calls for early elections",
        "Recommended: Inside the cabinet reshuffle",
        "You may also like",
        "You might also like:",
        "» Related stories",
        "[Read more: Parliament passes the budget]",
        "Read the rest of the story here.",
        "Watch the full interview below:",
        "Click here to read the full statement",
    ],
    "credit": [
        "By Jane Doe",
        "By Jane Doe and Omar Haddad, Reuters",
        "BY MARIA LOPEZ",
        "By Tom Price in Kyiv",
        "Photo: Ivan Petrenko / AFP",
        "Photo by Anna Berg/Getty Images",
        "Picture courtesy of the Ministry of Defence",
        "Ukrainian servicemen near the front line on Sunday. Photo: Ivan Petrenko / AFP",
        "Delegates arrive for the talks. (Getty Images)",
        "John Smith / Reuters",
        "Image source, Getty Images",
        "(Reporting by Jane Doe in Kyiv and Omar Haddad in Moscow; Editing by Tom Price)",
        "Additional reporting by Maria Lopez",
        "Copyright © 2022 The Daily Ledger. All rights reserved.",
        "© 2022 Reuters",
        "All rights reserved.",
        "Getty.",
        "(h/t The Daily Ledger.)",
    ],
    "subscribe": [
        "Subscribe to our newsletter",
        "Subscribe",
        "Sign up for our daily briefing on the war",
        "Sign up here to get alerts",
        "Get our free morning newsletter",
        "Download the app for breaking news alerts",
        "Click here to subscribe",
        "Click here to donate to the relief fund",
        "Join our WhatsApp channel",
    ],
    "share": [
        "Share this article",
        "Share on Facebook",
        "Share:",
        "Follow us on Twitter",
        "Follow us on X for live updates",
        "Follow Jane Doe on Twitter @janedoe",
        "Twitter: @janedoe",
    ],
    "advertisement": [
        "Advertisement",
        "ADVERTISEMENT",
        "Story continues below",
        "Story continues below advertisement",
        "Article continues after this ad",
        "Sponsored",
        "Scroll to continue with content",
    ],
}

CASES = [(reason, line) for reason, lines in BOILERPLATE.items() for line in lines]


@pytest.mark.parametrize(("reason", "line"), CASES)
def test_each_boilerplate_class(reason: str, line: str) -> None:
    text = f"The talks resumed on Monday, officials said.\n\n{line}\n\nBoth delegations left without a statement."
    found = find_boilerplate(text)
    assert len(found) == 1, found
    (span,) = found
    assert span.reason == reason
    assert span.text == line == text[span.start : span.end]


PROSE = [
    "Read more than a thousand pages of the report, and you will find no mention of the ceasefire.",
    "Officials read the statement aloud to reporters outside the ministry on Tuesday.",
    "Also, he said, the army would read the situation carefully before any withdrawal.",
    "Shares in the state energy company fell 8% after the sanctions were announced.",
    "Share prices recovered later in the week.",
    "Both sides share responsibility for the collapse of the truce, the envoy said.",
    "Follow-up talks are expected in Istanbul next month.",
    "The ministry said it would follow the recommendations of the commission.",
    "Follow the money, the prosecutor told the court, and you will find the minister.",
    "By Monday, troops had pulled back from the outskirts of the capital.",
    "By March, more than two million people had fled the country.",
    "By contrast, the opposition wants early elections.",
    "By Mr Ivanov's own account, the negotiations were going nowhere.",
    "Related-party transactions were at the heart of the corruption case.",
    "More than 300 people were evacuated from the city on Friday.",
    "More—much more—will be needed to rebuild the bridges.",
    "Watch crews worked through the night to repair the power lines.",
    "Watchdogs say the election was marred by irregularities.",
    "Subscribers to the state broadcaster saw a different version of events.",
    "Sign language interpreters were present at the briefing.",
    "Photos and videos posted on social media showed smoke above the airport.",
    "Video, shared widely online, appeared to show tanks crossing the river.",
    "He posted an image by a local photographer.",
    "Video by a bystander showed soldiers crossing the bridge at dawn.",
    "Pictures by local residents were shared widely after the strike.",
    "The report was compiled by officials at the defence ministry.",
    "Research by the university found that most refugees wanted to return.",
    "Reporting by the state news agency suggested the talks had stalled.",
    "Copyright lawyers for the broadcaster declined to comment.",
    "The advertisement ran in three national newspapers, the campaign said.",
    "Click beetles were found in the grain shipment, inspectors said.",
    "Recommended reforms include a new anti-corruption court, the report said.",
    "You may also like the minister's new proposal, he joked.",
    "“Follow us on this path to peace,” the president told parliament.",
    "The foreign minister told Reuters that the talks would continue.",
    "An official told AFP the convoy had reached the city.",
    "Getty Images said it had removed the photograph from its archive.",
]


@pytest.mark.parametrize("line", PROSE)
def test_story_prose_is_not_boilerplate(line: str) -> None:
    assert classify_line(line) is None
    assert find_boilerplate(f"The talks resumed on Monday.\n\n{line}\n") == []


def test_long_line_starting_with_a_prompt_is_prose() -> None:
    line = "Related: " + "the minister said the negotiations would continue next week in the capital, " * 4
    assert len(line) > 200
    assert classify_line(line.strip()) is None


def test_wire_credit_closing_a_paragraph_is_its_own_span() -> None:
    text = (
        "The central bank raised rates for the third time this year. "
        "(Reporting by Jane Doe; Editing by Tom Price)"
    )
    (span,) = find_boilerplate(text)
    assert span.reason == "credit"
    assert span.text == "(Reporting by Jane Doe; Editing by Tom Price)" == text[span.start : span.end]


def test_spans_have_exact_offsets_in_a_whole_article() -> None:
    text = (
        "By Jane Doe\n\n"
        "Negotiators met in Geneva on Monday for a third round of talks.\n\n"
        f"Also read:{NBSP}Grain exports resume from southern ports\n\n"
        "The foreign minister said “progress” had been made.\n\n"
        "  Advertisement  \n\n"
        "Opposition leaders said shelling had continued overnight.\n\n"
        "Share this article\n"
    )
    found = find_boilerplate(text)
    assert [b.reason for b in found] == ["credit", "related-link", "advertisement", "share"]
    for b in found:
        assert b.text == text[b.start : b.end]
        assert "\n" not in b.text and b.text == b.text.strip()
    assert found[2].text == "Advertisement"




def test_no_boilerplate_in_plain_story() -> None:
    text = (
        "Negotiators met in Geneva on Monday. The minister said he would read the proposal.\n\n"
        "Officials said both sides share the goal of a ceasefire, and would follow up next week."
    )
    assert find_boilerplate(text) == []


def test_press_release_furniture_and_closing_section() -> None:
    text = (
        "FOR IMMEDIATE RELEASE\n\n"
        "The transport ministry will open three new rail lines in 2027, the minister said on Monday.\n\n"
        "- ENDS -\n\n"
        "The ministry runs the national rail network.\n\n"
        "For media enquiries: press office, 555 0100\n"
    )
    reasons = [(b.text, b.reason) for b in find_boilerplate(text)]
    assert reasons == [("FOR IMMEDIATE RELEASE", "press-release"), ("- ENDS -", "press-release"),
                       ("The ministry runs the national rail network.", "press-release"),
                       ("For media enquiries: press office, 555 0100", "press-release")]


def test_notes_to_editors_start_the_trailer_but_a_story_about_editors_does_not() -> None:
    text = "Notes to editors\n\nThe agency was founded in 1990.\n"
    assert [b.reason for b in find_boilerplate(text)] == ["press-release", "press-release"]
    prose = "The notes to editors were leaked on Monday, the newspaper said.\n"
    assert find_boilerplate(prose) == []


def test_a_desk_signs_a_story() -> None:
    assert classify_line("By the Foreign Desk") == "credit"
    assert classify_line("By our Staff Reporter") == "credit"
    assert classify_line("By the time the desk was cleared, the staff had left.") is None
    assert classify_line("By the Sports Team") == "credit"


def test_live_page_furniture() -> None:
    assert classify_line("Posted by the Politics Desk | Refresh for latest updates") == "credit"
    assert classify_line("Updated 14:02 GMT") == "credit"
    assert classify_line("Posted by the army on its website, the video showed tanks near the border.") is None
    assert classify_line("Updated guidance was issued on Monday") is None


def test_time_stamps_and_an_outlet_with_a_number_in_its_byline() -> None:
    assert classify_line("Posted 9:05 AM, Updated 11:40 AM") == "credit"
    assert classify_line("Published 08:15, 3 June 2026") == "credit"
    assert classify_line("By Lena Price, Channel 12 Newsroom") == "credit"
    assert classify_line("Published in 2019, the survey found that rents rose 4 percent.") is None
    assert classify_line("Posted workers from Poland earned 12 euros an hour, the report found.") is None


def test_dateline() -> None:
    from onrecord.clean import find_dateline

    text = "Talks resume\n\nGENEVA, May 14 (Wire) - Negotiators agreed to extend the ceasefire, an envoy said."
    start, end = find_dateline(text)
    assert text[start:end] == "GENEVA, May 14 (Wire) - "
    assert find_dateline("KYIV (Reuters) — Air raid sirens sounded.") == (0, 17)
    assert find_dateline("The minister - who spoke on Monday - said no.") is None


def test_every_paragraph_dateline_of_a_roundup() -> None:
    from onrecord.clean import find_datelines
    text = ("Briefs\n\nOSLAND, May 2 (Wire) - A bridge closed.\n\nNEW HARLOW, May 2 (Wire) - A port reopened.\n\n"
            "The talks - held in secret - ended.")
    assert [text[s:e] for s, e in find_datelines(text)] == ["OSLAND, May 2 (Wire) - ", "NEW HARLOW, May 2 (Wire) - "]
    assert find_datelines("No dateline here.\n\nThe port - closed for days - reopened.") == []
