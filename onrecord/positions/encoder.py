"""The sentence encoder of the stance reader: all-MiniLM-L6-v2 (Wang et al. 2020; sentence training after Reimers
& Gurevych 2019), distilled into a table of word-piece vectors — a clause is the mean of its pieces' rows, a lookup
with no network at run time (``StaticEncoder``, ``data/sentence.static.npz``, after model2vec, Tulkens & van
Dongen 2024; fitted by ``python -m onrecord.train.static_encoder``).

The transformer it is distilled from is ``data/sentence.onnx`` (``OnnxEncoder``): the packaged model with its mean
pooling and L2 normalisation, linear layers quantised to int8, run by onnxruntime — no torch;
``python -m onrecord.train.encoder`` rebuilds it from the package. The word-piece tokenizer is the package's.
Texts are sorted by length and batched so padding costs little; long texts go fewer at a time
(``ATTENTION_BUDGET``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from onrecord.runtime import onnx_session

MODEL = Path(__file__).resolve().parent.parent / "data" / "sentence.onnx"
STATIC = Path(__file__).resolve().parent.parent / "data" / "sentence.static.npz"
MAX_PIECES = 256  # the model's max_seq_length (sentence_bert_config.json)
WIDTH = 384
BATCH = 32
# rows x pieces² of one run: the attention tensors grow with it, and onnxruntime's arena keeps the largest run's
# memory (32 texts of 256 pieces took 600 MB at once); batches of texts up to 96 pieces are unchanged
ATTENTION_BUDGET = BATCH * 96 * 96


class OnnxEncoder:
    """``encode(texts)`` -> (len(texts), 384) float32 unit rows."""

    def __init__(self, path: Path = MODEL, threads: int = 1) -> None:
        from onrecord.attribute.roles import piece_tokenizer

        self.session = onnx_session(path, threads, "the sentence encoder", "python -m onrecord.train.encoder")
        self.tokenizer = piece_tokenizer()
        self.tokenizer.enable_truncation(MAX_PIECES)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), WIDTH), dtype=np.float32)
        if not len(texts):
            return out
        encoded = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        start = 0
        while start < len(order):
            size = min(BATCH, len(order) - start)  # sorted by length: a batch's last text is its longest
            while size > 1 and size * len(encoded[order[start + size - 1]]) ** 2 > ATTENTION_BUDGET:
                size -= 1
            rows = order[start:start + size]
            start += size
            n = max(len(encoded[i]) for i in rows)
            ids = np.zeros((len(rows), n), dtype=np.int64)
            mask = np.zeros((len(rows), n), dtype=np.int64)
            for r, i in enumerate(rows):
                ids[r, :len(encoded[i])] = encoded[i]
                mask[r, :len(encoded[i])] = 1
            out[rows] = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return out


class StaticEncoder:
    """``encode(texts)`` -> (len(texts), 384) float32 unit rows: the mean of each text's word-piece rows in the
    table distilled from the ONNX encoder (``python -m onrecord.train.static_encoder``): a lookup, no network."""

    def __init__(self, path: Path = STATIC) -> None:
        from onrecord.attribute.roles import piece_tokenizer
        from onrecord.errors import OnrecordError

        if not path.exists():
            raise OnrecordError(f"the sentence encoder's table is missing: {path} "
                                "(python -m onrecord.train.static_encoder POLNEAR_TRAIN)")
        with np.load(path, allow_pickle=False) as data:
            self.table, self.scale = data["table"], data["scale"]
        self.tokenizer = piece_tokenizer()
        self.tokenizer.enable_truncation(MAX_PIECES)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.table.shape[1]), dtype=np.float32)
        for k, e in enumerate(self.tokenizer.encode_batch(list(texts), add_special_tokens=False)):
            ids = e.ids or [UNKNOWN]
            v = (self.table[ids].astype(np.float32) * self.scale[ids, None]).mean(0)
            out[k] = v / max(float(np.linalg.norm(v)), 1e-12)
        return out


UNKNOWN = 100  # the word-piece vocabulary's [UNK]


@lru_cache(maxsize=1)
def load_encoder() -> StaticEncoder:
    """The stance reader's encoder, the distilled table, loaded once per process (nothing is fetched)."""
    return StaticEncoder()


@lru_cache(maxsize=1)
def load_transformer() -> OnnxEncoder:
    """The transformer the table was distilled from (``data/sentence.onnx``), loaded once per process."""
    return OnnxEncoder()


def encoder_for(reader: str) -> OnnxEncoder | StaticEncoder:
    """The encoder a positions reader was fitted and measured on: the table for the stance reader ('reader'), the
    transformer for the nearest-example matcher ('embeddings', whose per-issue thresholds are its cosines)."""
    return load_transformer() if reader == "embeddings" else load_encoder()
