"""Fit the role reader (``onrecord.attribute.roles``) on a brat corpus annotated like PolNeAR
(training part only); ``python -m onrecord.train.attributions`` runs it.

Every token of every parsed article is labelled with the roles it has in some annotated attribution
(cue, content, source; a content's first and last token). The tagger is written here in torch, layer
for layer as the numpy reader computes it, and fitted with a per-channel logistic loss on windows of
256 tokens (AdamW, one-cycle schedule, dropout 0.1, seed given). About 40 seconds a pass over
PolNeAR train on 2 cores. The fitted weights are handed to the numpy reader, which is what reads
from then on, in training as in use; no text of the corpus is kept.

``crossfit`` gives the readings the judge is trained on (``onrecord.train.attributions``): each
article read by a tagger fitted on the other articles only, so that the judge learns how far to
trust the reader on text it has not seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
from spacy.tokens import Doc

from onrecord.attribute.roles import (
    CHANNELS,
    FLAGS,
    GAPS,
    LABELS,
    PIECE_WIDTH,
    VECTOR_WIDTH,
    WIDTHS,
    WORDS,
    Inputs,
    RoleReader,
    piece_embeddings,
)
from onrecord.evaluate import read_ann

WINDOW = 256  # tokens per training window
BATCH = 32
EPOCHS = 10


def token_labels(doc: Doc, ann: str) -> np.ndarray:
    """(tokens, len(CHANNELS)) 0/1 labels of one parsed article from its brat annotation."""
    labels = np.zeros((len(doc), len(CHANNELS)), dtype=np.float32)
    if not len(doc):
        return labels
    mentions, relations = read_ann(ann)
    starts = np.fromiter((t.idx for t in doc), dtype=np.int64, count=len(doc))
    ends = starts + np.fromiter((len(t) for t in doc), dtype=np.int64, count=len(doc))
    words = ~np.fromiter((t.is_space for t in doc), dtype=bool, count=len(doc))

    def mark(pieces: Sequence[tuple[int, int]], channel: int) -> np.ndarray:
        inside = np.zeros(len(doc), dtype=bool)
        for s, e in pieces:
            inside |= (starts < e) & (ends > s)
        inside &= words
        labels[inside, channel] = 1.0
        return np.flatnonzero(inside)

    for rel in relations:
        for role, channel in (("Cue", 0), ("Source", 2)):
            mark(mentions.get(rel.get(role, ""), ("", []))[1], channel)
        at = mark(mentions.get(rel.get("Content", ""), ("", []))[1], 1)
        if len(at):
            labels[at[0], 3] = labels[at[-1], 4] = 1.0
    return labels


def tagger():  # -> torch module (torch is imported lazily: only training needs it)
    """The tagger in torch, its parameters named as ``roles.array_names`` (embeddings add ``.weight``)."""
    import torch
    from torch import nn
    from torch.nn import functional

    hidden = WIDTHS["hidden"]

    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.word = nn.Embedding(WORDS, WIDTHS["word"])
            self.dep = nn.Embedding(LABELS, WIDTHS["dep"])
            self.tag = nn.Embedding(LABELS, WIDTHS["tag"])
            wide = VECTOR_WIDTH + PIECE_WIDTH + WIDTHS["word"] + WIDTHS["dep"] + WIDTHS["tag"] + len(FLAGS)
            self.input = nn.Linear(wide, hidden)
            for k, gap in enumerate(GAPS):
                self.add_module(f"conv{k}", nn.Conv1d(hidden, hidden, 3, padding=gap, dilation=gap))
                self.add_module(f"norm{k}", nn.LayerNorm(hidden))
            self.head = nn.Linear(hidden, len(CHANNELS))
            self.drop = nn.Dropout(0.1)

        def forward(self, vectors: torch.Tensor, pieces: torch.Tensor, ids: torch.Tensor,
                    flags: torch.Tensor) -> torch.Tensor:
            x = torch.cat([vectors, pieces, self.word(ids[..., 0]), self.dep(ids[..., 1]), self.tag(ids[..., 2]),
                           flags], -1)
            h = functional.gelu(self.input(self.drop(x)), approximate="tanh")
            for k in range(len(GAPS)):
                mixed = getattr(self, f"conv{k}")(h.transpose(1, 2)).transpose(1, 2)
                h = getattr(self, f"norm{k}")(h + self.drop(functional.gelu(mixed, approximate="tanh")))
            return self.head(h)

    return Tagger()


def to_reader(model) -> RoleReader:
    """The numpy reader of a fitted torch tagger, its weights rounded to float16 as they ship: the
    judge is trained on readings exactly as the shipped reader reads."""
    embeddings = ("word.weight", "dep.weight", "tag.weight")
    return RoleReader({name.removesuffix(".weight") if name in embeddings else name:
                       p.detach().numpy().astype(np.float16) for name, p in model.named_parameters()})


def _batch(windows: Sequence[tuple[Inputs, np.ndarray, int, int]], table: np.ndarray):
    """Padded tensors of some training windows (inputs, labels, a mask of real tokens); ``table`` is
    the word pieces' embedding table (``roles.piece_embeddings``)."""
    import torch

    n, width = len(windows), max(e - s for _, _, s, e in windows)
    vectors = torch.zeros(n, width, VECTOR_WIDTH)
    pieces = torch.zeros(n, width, PIECE_WIDTH)
    ids = torch.zeros(n, width, 3, dtype=torch.long)
    flags = torch.zeros(n, width, len(FLAGS))
    gold = torch.zeros(n, width, len(CHANNELS))
    real = torch.zeros(n, width)
    for row, (x, y, s, e) in enumerate(windows):
        vectors[row, : e - s] = torch.from_numpy(x.vectors[s:e])
        pieces[row, : e - s] = torch.from_numpy(x.pieces(table, s, e))
        ids[row, : e - s] = torch.from_numpy(x.ids[s:e])
        flags[row, : e - s] = torch.from_numpy(x.flags[s:e])
        gold[row, : e - s] = torch.from_numpy(y[s:e])
        real[row, : e - s] = 1.0
    return vectors, pieces, ids, flags, gold, real


def fit(data: Sequence[tuple[Inputs, np.ndarray]], epochs: int = EPOCHS, seed: int = 0,
        log: Callable[[str], None] = print) -> RoleReader:
    """The tagger fitted on ``data`` (each article's inputs and ``token_labels``), as a numpy reader."""
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = tagger()
    table = piece_embeddings()
    windows = [(x, y, s, min(len(y), s + WINDOW)) for x, y in data for s in range(0, len(y), WINDOW)]
    if not windows:
        raise ValueError("no tokens to fit the role reader on")
    steps = epochs * -(-len(windows) // BATCH)
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="none")
    model.train()
    began = time.time()
    for epoch in range(epochs):
        order = rng.permutation(len(windows))
        total = 0.0
        for b in range(0, len(order), BATCH):
            vectors, pieces, ids, flags, gold, real = _batch([windows[i] for i in order[b:b + BATCH]], table)
            loss = (loss_fn(model(vectors, pieces, ids, flags), gold).mean(-1) * real).sum() / real.sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(ids)
        log(f"  role reader epoch {epoch + 1}/{epochs}: loss {total / len(windows):.4f}, {time.time() - began:.0f} s")
    return to_reader(model.eval())


def crossfit(data: Sequence[tuple[Inputs, np.ndarray]], epochs: int = EPOCHS, folds: int = 2,
             log: Callable[[str], None] = print) -> list[np.ndarray]:
    """Every article's readings by a tagger fitted on the other folds only."""
    out: list[np.ndarray] = [np.zeros((0, len(CHANNELS)), dtype=np.float32)] * len(data)
    for fold in range(folds):
        log(f"role reader, fold {fold + 1}/{folds}")
        reader = fit([d for i, d in enumerate(data) if i % folds != fold], epochs, seed=fold, log=log)
        for i in range(fold, len(data), folds):
            out[i] = reader.read(data[i][0])
    return out


def average_precision(labels: Sequence[np.ndarray], readings: Sequence[np.ndarray]) -> dict[str, float]:
    """Each channel's average precision of ``readings`` against ``labels`` over all tokens."""
    from sklearn.metrics import average_precision_score

    y, p = np.concatenate(labels), np.concatenate(readings)
    return {name: round(float(average_precision_score(y[:, c], p[:, c])), 4) if y[:, c].any() else 0.0
            for c, name in enumerate(CHANNELS)}
