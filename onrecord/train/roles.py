"""Fine-tune the role reader (``onrecord.attribute.roles``) on a brat corpus annotated like PolNeAR
(training part only); ``python -m onrecord.train.attributions`` runs it.

Every word piece of every article is labelled with the roles it has in some annotated attribution
(cue, content, source; a content's first and last piece). The packaged MiniLM encoder reads windows
of 256 pieces; its two lowest layers and embeddings stay as shipped — their states are computed
once per window — and the upper four and a linear head are fitted with a per-channel logistic loss
(AdamW, linear warm-up and decay, seed 0, dropout on hidden states but not on attention weights,
which would double a step's time). About 8 minutes an epoch over PolNeAR train on 2 cores (247
steps of 1.9 s; 4.0 s with attention dropout and the frozen layers recomputed). Only the fitted
weights are written, as float16; no text of the corpus is.

``crossfit`` gives the readings the judge is trained on (``onrecord.train.attributions``): each
article read by a reader fitted on the other articles only, so that the judge learns how far to
trust the reader on text it has not seen.
"""

from __future__ import annotations

import pathlib
import random
import time
from collections.abc import Sequence

import numpy as np

from onrecord.attribute.roles import (
    CHANNELS,
    FROZEN,
    STRIDE,
    WINDOW,
    RoleReader,
    build_model,
    tokenizer,
    tuned_names,
    window_batch,
    windows,
)
from onrecord.evaluate import read_ann

BATCH = 16
TRAIN_STRIDE = 224  # training windows overlap less than reading windows: cheaper, and every piece is seen
SETTING = f"frozen{FROZEN}-stride{TRAIN_STRIDE}-batch{BATCH}-attention_dropout0"  # names cached readers, readings


def piece_labels(ann: str, offsets: np.ndarray) -> np.ndarray:
    """(pieces, len(CHANNELS)) 0/1 labels of one article's word pieces from its brat annotation."""
    labels = np.zeros((len(offsets), len(CHANNELS)), dtype=np.float32)
    if not len(offsets):
        return labels
    mentions, relations = read_ann(ann)
    starts, ends = offsets[:, 0], offsets[:, 1]

    def mark(pieces: Sequence[tuple[int, int]], channel: int) -> np.ndarray:
        inside = np.zeros(len(offsets), dtype=bool)
        for s, e in pieces:
            inside |= (starts < e) & (ends > s)
        labels[inside, channel] = 1.0
        return np.flatnonzero(inside)

    for rel in relations:
        for role, channel in (("Cue", 0), ("Source", 2)):
            mark(mentions.get(rel.get(role, ""), ("", []))[1], channel)
        at = mark(mentions.get(rel.get("Content", ""), ("", []))[1], 1)
        if len(at):
            labels[at[0], 3] = labels[at[-1], 4] = 1.0
    return labels


def examples(articles: Sequence[tuple[pathlib.Path, pathlib.Path]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Training windows: (piece ids, labels) of at most WINDOW - 2 pieces each."""
    tok = tokenizer()
    out = []
    for txt, ann in articles:
        enc = tok.encode(txt.read_text(encoding="utf-8"), add_special_tokens=False)
        ids = np.asarray(enc.ids, dtype=np.int64)
        labels = piece_labels(ann.read_text(encoding="utf-8"), np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2))
        out += [(ids[s:e], labels[s:e]) for s, e in windows(len(ids), stride=TRAIN_STRIDE)]
    return out


def frozen_states(model, data: Sequence[tuple[np.ndarray, np.ndarray]]) -> list:
    """Each window's hidden states (pieces + 2, width) after the layers that stay as shipped: they do
    not change while the upper layers learn, so they are computed once, not at every step of every
    epoch (a fifth of a step's time)."""
    import torch

    out: list = [None] * len(data)
    order = sorted(range(len(data)), key=lambda i: len(data[i][0]))  # similar lengths pad little
    model.eval()
    with torch.no_grad():
        for b in range(0, len(order), 4 * BATCH):
            rows = order[b:b + 4 * BATCH]
            ids, mask = map(torch.from_numpy, window_batch([data[i][0] for i in rows]))
            hidden = model.encoder(ids, mask, last=FROZEN)
            for row, i in enumerate(rows):
                out[i] = hidden[row, : len(data[i][0]) + 2].clone()
    return out


def fit(data: Sequence[tuple[np.ndarray, np.ndarray]], epochs: int = 2, seed: int = 0, log=print):
    """The role model fitted on ``data`` (windows from ``examples``)."""
    import torch

    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = build_model()
    tuned = set(tuned_names(model))
    for name, p in model.named_parameters():
        p.requires_grad = name in tuned
    lower = frozen_states(model, data)
    head = [p for n, p in model.named_parameters() if n.startswith("head.")]
    body = [p for n, p in model.named_parameters() if n in tuned and not n.startswith("head.")]
    optimiser = torch.optim.AdamW([{"params": body, "lr": 5e-5}, {"params": head, "lr": 1e-3}], weight_decay=0.01)
    steps = epochs * ((len(data) + BATCH - 1) // BATCH)
    warm = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda k: min((k + 1) / warm, max(0.0, (steps - k) / max(1, steps - warm))))
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="none")
    model.train()
    step, began = 0, time.time()
    for _ in range(epochs):
        order = list(range(len(data)))
        rng.shuffle(order)
        total = 0.0
        for b in range(0, len(order), BATCH):
            chunk = [data[i] for i in order[b:b + BATCH]]
            ids, mask = map(torch.from_numpy, window_batch([piece_ids for piece_ids, _ in chunk]))
            hidden = torch.zeros((*ids.shape, lower[0].shape[-1]))
            gold = torch.zeros((*ids.shape, len(CHANNELS)))
            for row, i in enumerate(order[b:b + BATCH]):
                hidden[row, : len(lower[i])] = lower[i]
                gold[row, 1: len(lower[i]) - 1] = torch.from_numpy(data[i][1])
            real = mask.clone()
            real[:, 0] = 0
            real[torch.arange(len(chunk)), mask.sum(1) - 1] = 0  # [CLS] and [SEP] carry no label
            logits = model.head(model.encoder(ids, mask, first=FROZEN, hidden=hidden))
            loss = (loss_fn(logits, gold).mean(-1) * real).sum() / real.sum()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(body + head, 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            total += float(loss.detach())
            step += 1
            if step % 50 == 0:
                log(f"  step {step}/{steps}  loss {total / (b // BATCH + 1):.4f}  {time.time() - began:.0f} s")
    model.eval()
    return model


def save(model, path: pathlib.Path) -> None:
    """The fine-tuned weights only, as float16 safetensors."""
    from safetensors.torch import save_file

    params = dict(model.named_parameters())
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({n: params[n].detach().half().contiguous() for n in tuned_names(model)}, str(path),
              metadata={"schema": "onrecord-roles/1", "channels": ",".join(CHANNELS), "window": str(WINDOW),
                        "stride": str(STRIDE)})


def crossfit(articles: Sequence[tuple[pathlib.Path, pathlib.Path]], epochs: int = 2, folds: int = 2,
             log=print) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every article's piece offsets and readings, by a reader fitted on the other folds only."""
    out: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(articles)
    for fold in range(folds):
        held = [i for i in range(len(articles)) if i % folds == fold]
        fitted = [a for i, a in enumerate(articles) if i % folds != fold]
        log(f"fold {fold + 1}/{folds}: fitting on {len(fitted)} articles")
        reader = RoleReader(fit(examples(fitted), epochs, seed=fold, log=log))
        for i in held:
            out[i] = reader.pieces(articles[i][0].read_text(encoding="utf-8"))
    return [o for o in out if o is not None]
