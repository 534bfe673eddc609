"""he/she and the third actors: places, bodies and one-word given names (issue 17)."""

from __future__ import annotations

from spacy.tokens import Doc

from onrecord.attribute.actors import ActorIndex, all_given_names, name_gender
from onrecord.attribute.coref import candidates, never_person, unfit
from onrecord.attribute.lexicon import place_names


def _doc(text: str, ents: dict[str, str]) -> Doc:
    """The parsed text with every occurrence of the names given these labels (the tagger's own
    entities dropped)."""
    from onrecord.parse import load_pipeline

    nlp = load_pipeline()
    with nlp.select_pipes(disable=["onrecord"]):
        doc = nlp(text)
    spans = []
    for name, label in ents.items():
        start = text.find(name)
        while start >= 0:
            span = doc.char_span(start, start + len(name), label=label)
            assert span is not None
            spans.append(span)
            start = text.find(name, start + 1)
    doc.ents = sorted(spans, key=lambda s: s.start)
    return doc


def _unfit_names(doc: Doc, pronoun: str) -> dict[str, bool]:
    index = ActorIndex(doc, coref=False)
    token = next(t for t in doc if t.text == pronoun)
    cands = candidates(token, index)
    return {c.actor.name: bool(u) for c, u in zip(cands, unfit(token, cands, index), strict=True)}


def test_a_one_word_given_name_far_commoner_than_the_surname_says_its_gender() -> None:
    names = all_given_names()
    assert name_gender(["Michael"], names) == "m"  # a surname too, but far rarer as one
    assert name_gender(["Mark"], names) == "m"
    assert name_gender(["Taylor"], names) is None  # as common a surname as a given name: says nothing
    assert name_gender(["Murray"], names) is None
    assert name_gender(["Michael", "Murray"], names) == "m"


def test_the_place_gazetteer_holds_countries_and_cities() -> None:
    places = place_names()
    assert {"melbourne", "mauritius", "new zealand", "vienna"} <= places
    assert "hansen" not in places


def test_she_never_takes_a_place_whose_name_is_a_given_name() -> None:
    text = "Hansen was born in Orbost, but grew up in Melbourne, where she attended school."
    marks = _unfit_names(_doc(text, {"Hansen": "PERSON", "Orbost": "GPE", "Melbourne": "GPE"}), "she")
    assert marks.get("Melbourne") is True
    assert marks.get("Hansen") is False


def test_place_syntax_makes_a_place_of_a_name_the_gazetteer_lacks() -> None:
    text = "Sherwood is a Tarvik-based band. Sherwood toured and she sang."
    doc = _doc(text, {"Sherwood": "ORG", "Tarvik": "GPE"})
    index = ActorIndex(doc, coref=False)
    by_name = {a.name: a for a in index.actors}
    assert never_person(by_name["Tarvik"], index)  # "Tarvik-based"
    text = "Adelina Vass moved to Kerrow. Kerrow's government praised her and she thanked it."
    doc = _doc(text, {"Adelina Vass": "PERSON", "Kerrow": "GPE"})
    index = ActorIndex(doc, coref=False)
    by_name = {a.name: a for a in index.actors}
    assert never_person(by_name["Kerrow"], index)  # "Kerrow's government"
    assert not never_person(by_name["Adelina Vass"], index)


def test_he_never_takes_a_body_whose_given_name_says_she() -> None:
    text = "Jennifer Holt Trading hired Arnold Pike. Later he left the company."
    marks = _unfit_names(_doc(text, {"Jennifer Holt Trading": "ORG", "Arnold Pike": "PERSON"}), "he")
    assert marks.get("Arnold Pike") is False
    assert marks.get("Jennifer Holt Trading", True) is True  # either no candidate or never chosen


def test_a_person_the_tagger_found_keeps_a_place_like_given_name() -> None:
    text = "Victoria Lund met Sofia Brandt. She said the talks went well."
    marks = _unfit_names(_doc(text, {"Victoria Lund": "PERSON", "Sofia Brandt": "PERSON"}), "She")
    assert marks == {"Victoria Lund": False, "Sofia Brandt": False}


def test_a_surname_the_tagger_filed_as_a_body_is_a_candidate_for_he() -> None:
    text = "Andreev joined the club in Tarvik in 2005. He scored twice."
    doc = _doc(text, {"Andreev": "ORG", "Tarvik": "GPE"})
    marks = _unfit_names(doc, "He")
    assert marks.get("Andreev") is False  # a candidate, and one that may be chosen
    assert "Tarvik" not in marks  # "in Tarvik": a place, no candidate
    # a body's name of several words stays out unless it opens with a given name
    text = "Harbor Freight Tools opened in 2005. He scored twice."
    assert "Harbor Freight Tools" not in _unfit_names(_doc(text, {"Harbor Freight Tools": "ORG"}), "He")


def test_a_surname_filed_as_a_body_contests_a_pronoun_but_a_place_does_not() -> None:
    from onrecord.attribute.coref import contested

    def is_contested(text: str, ents: dict[str, str]) -> bool:
        doc = _doc(text, ents)
        index = ActorIndex(doc, coref=False)
        token = next(t for t in doc if t.text == "he")
        cands = candidates(token, index)
        return contested(token, cands, index, unfit(token, cands, index))

    assert is_contested("Andreev beat Ivan Petrov in the final, and then he retired.",
                        {"Andreev": "ORG", "Ivan Petrov": "PERSON"})
    assert not is_contested("Ivan Petrov won in Melbourne, and then he retired.",
                            {"Melbourne": "GPE", "Ivan Petrov": "PERSON"})


def test_a_given_name_filed_as_a_body_once_and_missed_later_is_one_person() -> None:
    from onrecord.parse import load_pipeline

    text = "Byron went to Harrow in 1801. Later Byron left for Cambridge, where he wrote poems."
    nlp = load_pipeline()
    with nlp.select_pipes(disable=["onrecord"]):
        doc = nlp(text)
    doc.ents = [doc.char_span(0, 5, label="ORG")]  # the first "Byron" a body, the second missed
    index = ActorIndex(doc)
    byrons = [a for a in index.actors if a.name == "Byron"]
    assert len(byrons) == 1 and byrons[0].kind == "person"
    assert len(byrons[0].mentions) == 2
