"""Train the check-worthiness model on CLEF CheckThat! 2024 task 1 (English) and export it.

Usage: ``python -m onrecord.train.checkworthiness DATA_DIR [--out PATH] [--cache DIR] [--finetune DIR | --encoder
FILE] [--prior dev|recent] [--news DIR [--fill-only]] [--candidates shipped|wider]``.
DATA_DIR holds the task's TSV files (``*_train.tsv``, ``*_dev.tsv``, ``*_dev-test.tsv``; columns ``Sentence_id``,
``Text``, ``class_label`` Yes/No). ClaimBuster numbers sentences in debate order: dev is drawn from the same
debates as train, dev-test from later ones. The train file's most recent debates (the highest tenth of
``Sentence_id``) are held out of training, in two halves. The shipped model (``--finetune DIR --prior recent``):

1. all-MiniLM-L6-v2 fine-tuned whole on the rest of train as a claim classifier (torch, one thread, one pass;
   ``finetune``), exported to int8 ONNX;
2. word + cue logistic regressions fitted on the same sentences, one per C;
3. on the tuning slice — the older half of the held-out debates with ``--prior recent``, dev with ``--prior dev``
   — each combined with the encoder's logit by a logistic layer, the best by F1 (positive class) chosen, its
   log-odds Platt-scaled (Platt 1999) and its yes/no threshold chosen;
4. dev, dev-test and both halves of the held-out debates scored once at the end (the newer half is never used
   to choose anything).

Without ``--finetune``/``--encoder`` the candidates read the frozen encoder's views instead (the previous model;
``--candidates wider`` adds richer views, a perceptron over them, character n-grams and class weighting); its
embeddings, every view in one pass, take most of the time, and ``--cache`` keeps them (and the fine-tuned
encoder's logits). With ``--news``, the embedding term's mean over the unsourced sentences of news articles
(``news_fill``) is stored too: the score a sentence the pipeline does not encode gets (``--fill-only``: that step
alone, on the model at ``--out``). Needs scikit-learn (and torch to fine-tune); the exported model needs neither.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import shutil
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from onrecord.assess.checkworthiness import (
    ANALYZERS,
    ENCODER_DEPTH,
    ENCODER_WIDTH,
    MAX_PIECES,
    POOLINGS,
    CheckworthinessModel,
    ClaimEncoder,
    SentenceEncoder,
    SparseBlock,
    View,
    dense_features,
    normalise,
)
from onrecord.train.finetuning import gradient_step, one_cycle

SEED = 0
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "checkworthiness.npz"
SPLITS = {"train": "*_train.tsv", "dev": "*_dev.tsv", "dev_test": "*_dev-test.tsv"}

HELD_OUT_SHARE = 0.10  # the train file's most recent debates: robustness only
# Every view the encoder gives, computed in one pass and cached; each variant reads the columns of its own views.
ALL_VIEWS: tuple[View, ...] = tuple((layer, pooling) for layer in range(ENCODER_DEPTH + 1) for pooling in POOLINGS)
MEANS_1_TO_6: list[View] = [(layer, "mean") for layer in range(1, ENCODER_DEPTH + 1)]
MEAN_AND_CLS_1_TO_3: list[View] = [(layer, pooling) for layer in (1, 2, 3) for pooling in POOLINGS]
# Candidate models: which blocks, minimum document frequency for n-grams, class weighting, which encoder views
# and how strongly their linear term counts (the columns are multiplied by this before the one shared
# regularisation; 0: no linear term), and optionally a perceptron over the views (``mlp``: hidden units, epochs)
# whose log-odds add to the linear model's. VARIANTS builds the shipped model (word + cues + the mean of layer 3,
# linear). WIDER_VARIANTS (``--candidates wider``) adds richer views, a perceptron, character n-grams and class
# weighting: its pick is better on dev but worse on dev-test (docs/flags.md), so it is not shipped.
VARIANTS: list[dict[str, Any]] = [
    {"blocks": ["word"], "cues": True, "min_df": 2, "class_weight": None, "views": [(3, "mean")], "encoder": 1.0},
]
WIDER_VARIANTS: list[dict[str, Any]] = [
    *VARIANTS,
    {"blocks": ["word"], "cues": True, "min_df": 2, "class_weight": None, "views": MEANS_1_TO_6, "encoder": 0.0,
     "mlp": {"hidden": 256, "epochs": 10}},
    {"blocks": ["word"], "cues": True, "min_df": 2, "class_weight": None, "encoder": 0.0,
     "views": MEAN_AND_CLS_1_TO_3, "mlp": {"hidden": 256, "epochs": 10}},
    {"blocks": ["word", "char"], "cues": True, "min_df": 2, "class_weight": None, "encoder": 0.0,
     "views": MEAN_AND_CLS_1_TO_3, "mlp": {"hidden": 256, "epochs": 10}},
    {"blocks": ["word"], "cues": True, "min_df": 2, "class_weight": "balanced", "encoder": 0.0,
     "views": MEAN_AND_CLS_1_TO_3, "mlp": {"hidden": 256, "epochs": 10}},
]
C_GRID = (1.0, 2.0, 4.0)


@dataclass
class Split:
    texts: list[str]
    labels: np.ndarray
    ids: np.ndarray
    embeddings: np.ndarray | None = None


def read_split(data_dir: Path, pattern: str) -> Split:
    """One TSV split; the files use CSV-style quoting (doubled quotes inside quoted fields)."""
    matches = sorted(data_dir.glob(pattern))
    if len(matches) != 1:
        raise FileNotFoundError(f"expected one file matching {pattern} in {data_dir}, found {len(matches)}")
    texts, labels, ids = [], [], []
    with matches[0].open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            label = row["class_label"].strip().lower()
            if label not in ("yes", "no"):
                raise ValueError(f"{matches[0]}: unexpected class_label {row['class_label']!r}")
            texts.append(normalise(row["Text"]))
            labels.append(label == "yes")
            ids.append(int(row["Sentence_id"]) if row.get("Sentence_id", "").strip().isdigit() else len(ids))
    return Split(texts, np.array(labels, dtype=bool), np.array(ids, dtype=np.int64))


def recent_debates(train: Split) -> tuple[float, np.ndarray]:
    """The Sentence_id above which the train file's most recent debates lie, and which sentences those are."""
    cut = float(np.quantile(train.ids, 1 - HELD_OUT_SHARE))
    return cut, train.ids > cut


def subset(split: Split, keep: np.ndarray) -> Split:
    return Split([t for t, k in zip(split.texts, keep, strict=True) if k], split.labels[keep], split.ids[keep],
                 None if split.embeddings is None else split.embeddings[keep])


def embed(split: Split, cache: Path | None) -> None:
    """The split's sentence embeddings in every view (ALL_VIEWS), read from ``cache`` when the same texts were
    embedded before."""
    fingerprint = f"{ALL_VIEWS} {MAX_PIECES}\n" + "\n".join(split.texts)
    key = hashlib.sha1(fingerprint.encode("utf-8")).hexdigest()[:16]
    path = cache / f"embeddings-{key}.npy" if cache else None
    if path is not None and path.exists():
        split.embeddings = np.load(path, allow_pickle=False)
        return
    encoder = SentenceEncoder.load(ALL_VIEWS)
    parts = []
    for i in range(0, len(split.texts), 1000):
        parts.append(encoder.embed(split.texts[i : i + 1000]))
        print(f"embedded {i + len(parts[-1])} of {len(split.texts)}", file=sys.stderr, flush=True)
    split.embeddings = np.concatenate(parts) if parts else np.zeros((0, encoder.width), dtype=np.float32)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, split.embeddings)


def platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Scale and bias of sigmoid(scale * z + bias) minimising log loss on (z, y) (Platt 1999)."""
    (scale,), bias = stack(z[:, None], y)
    return float(scale), bias


def stack(features: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Weights and bias of a logistic regression on a few columns (log loss, no penalty): how much each of the
    models' log-odds counts in their combination, fitted on held-out sentences (stacking: Wolpert 1992). Newton
    steps from zero, each halved until the loss falls (a plain Newton step overshoots on wide log-odds)."""
    x = np.column_stack([features, np.ones(len(features))]).astype(np.float64)
    t = y.astype(np.float64)

    def loss(w: np.ndarray) -> float:
        m = x @ w
        return float(np.sum(np.logaddexp(0.0, m) - t * m))

    w = np.zeros(x.shape[1])
    current = loss(w)
    for _ in range(100):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -50, 50)))
        h = (x * (p * (1 - p) + 1e-9)[:, None]).T @ x
        step = np.linalg.solve(h + 1e-6 * np.eye(len(w)), x.T @ (p - t))
        size = 1.0
        while size > 1e-6 and loss(w - size * step) > current:
            size /= 2
        w, previous = w - size * step, current
        current = loss(w)
        if np.abs(size * step).max() < 1e-9 or previous - current < 1e-12:
            break
    return w[:-1], float(w[-1])


def encoder_term(model: CheckworthinessModel, embeddings: np.ndarray | None) -> tuple[float, float, float] | None:
    """The embedding term's lowest, mean and highest value over ``embeddings`` (train, in the model's views): what
    it can add to a sentence's log-odds, so inference may skip sentences whose yes/no it cannot change."""
    if not model.uses_encoder or embeddings is None:
        return None
    term = model.embedding_term(embeddings)
    return round(float(term.min()), 6), round(float(term.mean()), 6), round(float(term.max()), 6)


def view_columns(views: list[View]) -> np.ndarray:
    """The columns of ``views`` in an embedding of ALL_VIEWS."""
    return np.concatenate([np.arange(ALL_VIEWS.index(v) * ENCODER_WIDTH, (ALL_VIEWS.index(v) + 1) * ENCODER_WIDTH)
                           for v in views])


def fit_mlp(x: np.ndarray, y: np.ndarray, hidden: int, epochs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                                float]:
    """A one-hidden-layer perceptron (ReLU; dropout 0.2 on its input and hidden units, AdamW 1e-3, weight decay
    0.01, batches of 64) fitted to (x, y) by log loss on one CPU thread, seeded: returns (w1, b1, w2, b2) for
    numpy. Needs torch (training only)."""
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    xs, ys = torch.tensor(x, dtype=torch.float32), torch.tensor(y.astype(np.float32))
    net = torch.nn.Sequential(torch.nn.Dropout(0.2), torch.nn.Linear(x.shape[1], hidden), torch.nn.ReLU(),
                              torch.nn.Dropout(0.2), torch.nn.Linear(hidden, 1))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-2)
    for _ in range(epochs):
        net.train()
        order = torch.randperm(len(xs))
        for i in range(0, len(xs), 64):
            batch = order[i : i + 64]
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(xs[batch]).squeeze(1), ys[batch])
            loss.backward()
            opt.step()
    first, last = net[1], net[4]
    return (first.weight.detach().numpy().T.astype(np.float64), first.bias.detach().numpy().astype(np.float64),
            last.weight.detach().numpy()[0].astype(np.float64), float(last.bias.detach().numpy()[0]))


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over ten equal-width probability bins (Guo et al. 2017)."""
    idx = np.minimum((p * bins).astype(int), bins - 1)
    return float(sum(np.sum(idx == k) / len(p) * abs(p[idx == k].mean() - y[idx == k].mean())
                     for k in range(bins) if np.any(idx == k)))


def prf(gold: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Precision, recall and F1 of the positive class."""
    tp = int(np.sum(gold & pred))
    p = tp / max(int(pred.sum()), 1)
    r = tp / max(int(gold.sum()), 1)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def best_threshold(gold: np.ndarray, prob: np.ndarray) -> tuple[float, float]:
    """Threshold t (predict yes when prob >= t) maximising positive-class F1 on this split; returns (t, F1)."""
    order = np.argsort(-prob, kind="stable")
    p_sorted, g_sorted = prob[order], gold[order]
    tp = np.cumsum(g_sorted)
    k = np.arange(1, len(prob) + 1)
    f1 = 2 * tp / (k + max(int(gold.sum()), 1))
    # Only cut where the next probability differs, so ties fall on the same side.
    valid = np.append(p_sorted[1:] < p_sorted[:-1], True)
    f1 = np.where(valid, f1, -1.0)
    i = int(np.argmax(f1))
    return float(p_sorted[i]), float(f1[i])


class Featurizer:
    """Fitted TF-IDF blocks, cue scaler and embedding views and weight for one variant (shared across C values)."""

    def __init__(self, blocks: list[str], cues: bool, min_df: int, views: list[View] | None = None,
                 encoder: float = 0.0) -> None:
        self.vectorizers = {
            b: TfidfVectorizer(analyzer=ANALYZERS[b], sublinear_tf=True, min_df=min_df, norm="l2", dtype=np.float64)
            for b in blocks
        }
        self.scaler = StandardScaler() if cues else None
        self.views = [tuple(v) for v in views or []]
        self.encoder = encoder

    def embeddings(self, split: Split) -> np.ndarray | None:
        """The split's embedding in this variant's views (None without views)."""
        if not self.views:
            return None
        assert split.embeddings is not None
        return split.embeddings[:, view_columns(self.views)]  # type: ignore[arg-type]

    def _parts(self, split: Split, fit: bool) -> sparse.csr_matrix:
        texts = split.texts
        parts = [v.fit_transform(texts) if fit else v.transform(texts) for v in self.vectorizers.values()]
        if self.scaler is not None:
            dense = dense_features(texts)
            parts.append(sparse.csr_matrix(self.scaler.fit_transform(dense) if fit else self.scaler.transform(dense)))
        if self.encoder:
            parts.append(sparse.csr_matrix(self.embeddings(split).astype(np.float64) * self.encoder))  # type: ignore[union-attr]
        return sparse.hstack(parts, format="csr")

    def fit_transform(self, split: Split) -> sparse.csr_matrix:
        return self._parts(split, fit=True)

    def transform(self, split: Split) -> sparse.csr_matrix:
        return self._parts(split, fit=False)

    def export(self, clf: LogisticRegression, mlp: tuple[np.ndarray, np.ndarray, np.ndarray, float] | None,
               meta: dict[str, Any]) -> CheckworthinessModel:
        """Split the fitted coefficients back into per-block arrays for numpy inference (not yet calibrated)."""
        coef = clf.coef_.ravel()
        blocks, start = [], 0
        for name, v in self.vectorizers.items():
            vocab = sorted(v.vocabulary_, key=v.vocabulary_.__getitem__)
            blocks.append(SparseBlock(name, vocab, v.idf_.copy(), coef[start : start + len(vocab)].copy()))
            start += len(vocab)
        mean = scale = dense_coef = np.zeros(0)
        if self.scaler is not None:
            n = len(self.scaler.mean_)
            mean, scale, dense_coef = self.scaler.mean_, self.scaler.scale_, coef[start : start + n]
            start += n
        encoder_coef = coef[start:] * self.encoder if self.encoder else np.zeros(0)
        model = CheckworthinessModel(blocks, mean, scale, dense_coef, float(clf.intercept_[0]), meta=meta,
                                     encoder_coef=encoder_coef, encoder_mlp=mlp)
        if self.views:
            model.encoder_views = tuple(self.views)  # type: ignore[arg-type]
        return model


def fit(x: sparse.csr_matrix, y: np.ndarray, c: float, class_weight: str | None) -> LogisticRegression:
    clf = LogisticRegression(C=c, class_weight=class_weight, solver="lbfgs", max_iter=3000, random_state=SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # tiny test datasets; the real data converges
        return clf.fit(x, y)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(z, -50, 50)))


def embed_finetuned(split: Split, encoder: Path, cache: Path | None) -> None:
    """The split's logits from the fine-tuned encoder (int8, as shipped), one column, cached like ``embed``."""
    digest = hashlib.sha1(encoder.read_bytes()).hexdigest()[:16]
    key = hashlib.sha1((f"{digest} {MAX_PIECES} one a run\n" + "\n".join(split.texts)).encode("utf-8")).hexdigest()[:16]
    path = cache / f"logits-{key}.npy" if cache else None
    if path is not None and path.exists():
        split.embeddings = np.load(path, allow_pickle=False)
        return
    split.embeddings = ClaimEncoder.load(encoder).embed(split.texts)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, split.embeddings)


FINETUNED_VARIANTS: list[dict[str, Any]] = [
    {"blocks": ["word"], "cues": True, "min_df": 2, "class_weight": None, "finetuned": True},
]
PRIORS = ("dev", "recent")


def train(data_dir: Path, out_path: Path, cache: Path | None = None,
          variants: list[dict[str, Any]] | None = None, encoder: Path | None = None,
          prior: str = "dev") -> dict[str, Any]:
    """Select, fit, calibrate and export the model; return P/R/F1 on dev, dev-test and the held-out debates.

    ``prior`` names the tuning slice: dev (drawn from the same debates as train), or the older half of the
    held-out recent debates (later debates, as dev-test is; the newer half then stays the robustness slice).
    Candidates are compared, combined, Platt-scaled and given their yes/no threshold there. With ``encoder`` (a
    fine-tuned encoder's int8 ONNX file, ``--finetune``) the candidates are word + cue models fitted on train,
    each combined with the encoder's logit by a logistic layer fitted on the tuning slice (the encoder was trained
    on train, so its logits there are too sure of themselves to weigh on train); the file is copied beside the
    weights."""
    if prior not in PRIORS:
        raise ValueError(f"prior must be one of {PRIORS}")
    t0 = time.perf_counter()
    if variants is None:
        variants = FINETUNED_VARIANTS if encoder is not None else VARIANTS
    data = {name: read_split(Path(data_dir), pattern) for name, pattern in SPLITS.items()}
    cut, recent = recent_debates(data["train"])
    train_s, held_s = subset(data["train"], ~recent), subset(data["train"], recent)
    # the held-out debates in two halves by Sentence_id: the older may calibrate (``prior="recent"``)
    older = held_s.ids <= np.median(held_s.ids) if len(held_s.ids) else np.zeros(0, dtype=bool)
    dev_s, test_s = data["dev"], data["dev_test"]
    if encoder is not None:
        for split in (train_s, dev_s, test_s, held_s):
            embed_finetuned(split, encoder, cache)
    elif any(v.get("views") for v in variants):
        for split in (train_s, dev_s, test_s, held_s):
            embed(split, cache)
    embed_seconds = round(time.perf_counter() - t0, 1)
    held_old, held_new = subset(held_s, older), subset(held_s, ~older)
    # where candidates are compared, models combined, scores calibrated and the threshold chosen
    tune_s, tune_name = (dev_s, "dev") if prior == "dev" else (held_old, "recent_older_half")

    def emb(feats: Featurizer, split: Split) -> np.ndarray | None:
        return split.embeddings if encoder is not None else feats.embeddings(split)

    candidates: list[dict[str, Any]] = []
    best: tuple[float, dict[str, Any], Featurizer, LogisticRegression, Any, np.ndarray] | None = None
    for variant in variants:
        feats = Featurizer(variant["blocks"], variant["cues"], variant["min_df"], variant.get("views"),
                           variant.get("encoder", 0.0))
        x_train = feats.fit_transform(train_s)
        x_tune = feats.transform(tune_s)
        mlp = None
        extra_tune = np.zeros(len(tune_s.texts))
        if variant.get("mlp"):
            mlp = fit_mlp(feats.embeddings(train_s), train_s.labels, **variant["mlp"])  # type: ignore[arg-type]
            w1, b1, w2, b2 = mlp
            extra_tune = np.maximum(feats.embeddings(tune_s).astype(np.float64) @ w1 + b1, 0.0) @ w2 + b2  # type: ignore[union-attr]
        for c in C_GRID:
            clf = fit(x_train, train_s.labels, c, variant["class_weight"])
            z_tune = clf.decision_function(x_tune)
            ratio = None
            if variant.get("finetuned"):
                # the encoder's logit weighed against the word + cue model's log-odds (on dev, or the older half)
                logit = tune_s.embeddings[:, 0].astype(np.float64)  # type: ignore[index]
                (w_words, w_encoder), _ = stack(np.column_stack([z_tune, logit]), tune_s.labels)
                ratio = float(w_encoder / w_words)
                extra_tune = ratio * logit
            threshold, tune_f1 = best_threshold(tune_s.labels,
                                                _sigmoid(platt_apply(z_tune + extra_tune, tune_s.labels)))
            cand = {**variant, "C": c, "threshold": round(threshold, 4), f"{tune_name}_f1": round(tune_f1, 4)}
            if ratio is not None:
                cand["encoder_weight"] = round(ratio, 6)
            candidates.append(cand)
            print(json.dumps(cand), file=sys.stderr, flush=True)
            if best is None or tune_f1 > best[0]:
                best = (tune_f1, cand, feats, clf, mlp, extra_tune)
    assert best is not None
    _, chosen, feats, clf, mlp, extra_tune = best

    trained_on = ("CLEF CheckThat! 2024 task 1 English, train split without its most recent debates "
                  f"(Sentence_id > {cut:.0f}, {int(recent.sum())} sentences, held out for robustness)")
    meta = {"trained_on": trained_on, "chosen": chosen, "sklearn": sklearn.__version__, "prior": prior}
    model = feats.export(clf, mlp, meta)
    if encoder is not None:
        model.encoder_coef = np.array([chosen["encoder_weight"]])
        model.encoder_file = Path(out_path).with_suffix(".onnx")
        meta["encoder_finetuned"] = json.loads(encoder.with_name("finetune.json").read_text(encoding="utf-8")) \
            if encoder.with_name("finetune.json").exists() else None
    splits = {"dev": dev_s, "dev_test": test_s, "recent_debates": held_s, "recent_older_half": held_old,
              "recent_newer_half": held_new}
    decision = {name: model.decision(split.texts, emb(feats, split)) for name, split in splits.items()}
    # the exported numpy model must reproduce scikit-learn's log-odds (and the perceptron's or encoder's)
    reference = clf.decision_function(feats.transform(tune_s)) + extra_tune
    model.calibration = platt(decision[tune_name], tune_s.labels)
    prob = {name: _sigmoid(model.calibration[0] * z + model.calibration[1]) for name, z in decision.items()}
    model.threshold, _ = best_threshold(tune_s.labels, prob[tune_name])
    figures: dict[str, Any] = {"chosen": chosen, "prior": prior, "threshold": round(model.threshold, 4),
                               "calibration": [round(v, 4) for v in model.calibration]}
    for name, split in splits.items():
        figures[name] = {**prf(split.labels, prob[name] >= model.threshold), "n": len(split.texts),
                         "positives": int(split.labels.sum()), "ece": round(ece(split.labels, prob[name]), 4)}
        figures[f"{name}_at_0.5"] = prf(split.labels, prob[name] >= 0.5)
    model.meta.update({name: figures[name] for name in splits})
    model.encoder_term = encoder_term(model, emb(feats, train_s))
    if model.uses_encoder and tune_s.texts:  # the word + cue part alone, calibrated where the whole model was
        without = decision[tune_name] - model.embedding_term(emb(feats, tune_s))  # type: ignore[arg-type]
        model.fallback = tuple(round(v, 6) for v in platt(without, tune_s.labels))  # type: ignore[assignment]
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if encoder is not None and encoder.resolve() != model.encoder_file.resolve():  # type: ignore[union-attr]
        shutil.copyfile(encoder, model.encoder_file)  # type: ignore[arg-type]
    model.save(out_path)

    # What ships (float32 arrays) must score as the fitted model does.
    reloaded = CheckworthinessModel.load(out_path)
    diff = float(np.max(np.abs(decision[tune_name] - reference))) if tune_s.texts else 0.0
    if dev_s.texts:
        mine = np.array(reloaded.score(dev_s.texts, emb(feats, dev_s)))
        diff = max(diff, float(np.max(np.abs(mine - prob["dev"]))))
    if diff > 1e-3:
        raise RuntimeError(f"exported model disagrees with the fitted one by {diff:.2e}")

    n_features = {b.analyzer: len(b.vocab) for b in reloaded.blocks}
    n_features["cues"] = int(reloaded.dense_coef.size)
    n_features["encoder"] = int(reloaded.encoder_coef.size)
    n_features["encoder_mlp_hidden"] = int(mlp[1].size) if mlp is not None else 0
    figures.update(
        train_seconds=round(time.perf_counter() - t0, 1),
        embed_seconds=embed_seconds,
        out=str(out_path),
        file_bytes=out_path.stat().st_size,
        encoder_file_bytes=model.encoder_file.stat().st_size if model.encoder_file is not None else None,
        n_features=n_features,
        export_max_abs_diff=diff,
        n_train=len(train_s.texts),
        encoder_finetuned=meta.get("encoder_finetuned"),
        fallback=list(model.fallback) if model.fallback is not None else None,
        candidates=candidates,
    )
    # A human-readable card beside the weights: what was chosen and how it measured.
    card = {k: v for k, v in figures.items() if k != "out"}
    out_path.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    return figures


def platt_apply(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``z`` Platt-scaled on (z, y) itself: the log-odds a candidate's threshold is chosen on."""
    a, b = platt(z, y)
    return a * z + b


# --- The fine-tuned encoder ------------------------------------------------------------------------------------
# all-MiniLM-L6-v2 fine-tuned whole (all 6 layers) as a claim classifier: mean pooling over the word pieces, then one
# logit (the frozen model's own pooling, so the start is its sentence embedding; Reimers & Gurevych 2019). Linear
# warm-up then linear decay of the rate, AdamW, batches of similar length in random order (Devlin et al. 2019 for
# the recipe). Exported per pass to ONNX and quantised to int8 (onnxruntime's dynamic quantisation); the linear
# model then reads its logit as one more feature (``train --encoder``).

FINETUNE: dict[str, Any] = {"epochs": 1, "lr": 4e-5, "batch": 32, "warmup": 0.1, "smoothing": 0.0, "seed": SEED}


def _claim_net(torch: Any) -> Any:
    """The packaged encoder with mean pooling and a one-logit head, as a torch module (training only)."""
    from transformers import AutoModel

    from onrecord.attribute.roles import encoder_path

    class ClaimNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(encoder_path()), local_files_only=True)
            self.drop = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(ENCODER_WIDTH, 1)

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(self.drop(pooled)).squeeze(-1)

    return ClaimNet()


def _padded(torch: Any, rows: list[list[int]]) -> tuple[Any, Any]:
    width = max(len(r) for r in rows)
    ids = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
        mask[i, : len(r)] = 1
    return ids, mask


def _net_logits(torch: Any, net: Any, rows: list[list[int]], batch: int = 64) -> np.ndarray:
    net.eval()
    out = np.zeros(len(rows))
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    with torch.no_grad():
        for i in range(0, len(order), batch):
            chunk = order[i : i + batch]
            out[chunk] = net(*_padded(torch, [rows[j] for j in chunk])).numpy()
    return out


def export_onnx(torch: Any, net: Any, path: Path) -> None:
    """``net`` as an int8 ONNX graph: (input_ids, attention_mask) -> logit."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = path.with_suffix(".fp32.onnx")
    net.eval()
    ids = torch.tensor([[101, 2000, 2001, 102]])
    with torch.no_grad():
        torch.onnx.export(net, (ids, torch.ones_like(ids)), str(fp32), input_names=["input_ids", "attention_mask"],
                          output_names=["logit"], dynamic_axes={"input_ids": {0: "batch", 1: "pieces"},
                                                                "attention_mask": {0: "batch", 1: "pieces"},
                                                                "logit": {0: "batch"}},
                          opset_version=17, dynamo=False)
    quantize_dynamic(str(fp32), str(path), weight_type=QuantType.QInt8, per_channel=True)
    fp32.unlink()


def finetune(data_dir: Path, work: Path, epochs: int = FINETUNE["epochs"], lr: float = FINETUNE["lr"],
             batch: int = FINETUNE["batch"], warmup: float = FINETUNE["warmup"],
             smoothing: float = FINETUNE["smoothing"], seed: int = FINETUNE["seed"], limit: int | None = None,
             threads: int = 1) -> dict[str, Any]:
    """Fine-tune the encoder on train without its most recent debates; after each pass write
    ``work/encoder-e<pass>.onnx`` (int8). Prints the loss and the rate as it goes; returns the settings and
    seconds. ``limit``: train on the first ``limit`` sentences only (a speed probe)."""
    import random

    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rnd = random.Random(seed)
    data = read_split(Path(data_dir), SPLITS["train"])
    _, recent = recent_debates(data)
    train_s = subset(data, ~recent)
    rows = SentenceEncoder.piece_ids(train_s.texts)
    labels = train_s.labels.astype(np.float32)
    examples = list(range(len(rows)))[:limit]
    net = _claim_net(torch)
    by_length = sorted(examples, key=lambda i: len(rows[i]))
    batches = [by_length[i : i + batch] for i in range(0, len(by_length), batch)]
    steps = epochs * len(batches)
    opt, schedule = one_cycle(torch, net.parameters(), lr, steps, warmup)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for epoch in range(epochs):
        net.train()
        rnd.shuffle(batches)
        total = 0.0
        for step, part in enumerate(batches):
            logits = net(*_padded(torch, [rows[i] for i in part]))
            target = torch.tensor(labels[part]) * (1 - smoothing) + smoothing / 2
            loss = loss_fn(logits, target)
            gradient_step(torch, opt, schedule, loss)
            total += float(loss.detach()) * len(part)
            if step % 50 == 0:
                done = epoch * len(batches) + step + 1
                rate = done / (time.perf_counter() - t0)
                print(f"pass {epoch + 1} step {step}/{len(batches)} loss {float(loss.detach()):.3f} "
                      f"{time.perf_counter() - t0:.0f}s, {rate * batch:.1f} sentences/s, "
                      f"about {(steps - done) / rate / 60:.0f} min left", file=sys.stderr, flush=True)
        print(f"pass {epoch + 1}: loss {total / len(examples):.4f} ({time.perf_counter() - t0:.0f}s)",
              file=sys.stderr, flush=True)
        export_onnx(torch, net, work / f"encoder-e{epoch + 1}.onnx")
    settings = {"epochs": epochs, "lr": lr, "batch": batch, "warmup": warmup, "smoothing": smoothing, "seed": seed,
                "max_pieces": MAX_PIECES, "n_train": len(examples),
                "seconds": round(time.perf_counter() - t0, 1)}
    (work / "finetune.json").write_text(json.dumps(settings, indent=1) + "\n", encoding="utf-8")
    return settings


NEWS_ARTICLES = 200  # the first articles (by file name) of the news folder the fill is measured on


def news_fill(model_path: Path, news_dir: Path) -> dict[str, Any]:
    """Set the model's ``encoder_fill``: the embedding term's mean over the unsourced sentences of news articles
    (the first NEWS_ARTICLES ``.txt`` files of ``news_dir``, e.g. PolNeAR train), as the pipeline finds them.
    Writes the model back and adds the figures to its card."""
    from onrecord.analysis import analyze_many
    from onrecord.read import read_path

    files = sorted(Path(news_dir).glob("*.txt"))[:NEWS_ARTICLES]
    if not files:
        raise FileNotFoundError(f"no .txt articles in {news_dir}")
    model = CheckworthinessModel.load(model_path)
    if not model.uses_encoder:
        raise ValueError(f"{model_path} has no embedding block to fill")
    sentences = [u.text for r in analyze_many([read_path(p) for p in files]) for u in r.unsourced]
    term = model.embedding_term(model.encoder().embed(sentences))
    model.encoder_fill = round(float(term.mean()), 6)
    model.save(model_path)
    figures = {"news_articles": len(files), "news_sentences": len(sentences), "encoder_fill": model.encoder_fill,
               "news_term_median": round(float(np.median(term)), 4), "news_dir": "/".join(Path(news_dir).parts[-3:])}
    card_path = Path(model_path).with_suffix(".json")
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.exists() else {}
    card["news_fill"] = figures
    card_path.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    return figures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path, help="folder with the CheckThat! task 1 TSV files")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"weights file to write (default {DEFAULT_OUT})")
    ap.add_argument("--cache", type=Path, default=None, help="folder to keep the sentence embeddings in")
    ap.add_argument("--news", type=Path, default=None,
                    help="folder of news articles (.txt, e.g. PolNeAR train) to measure the encoder fill on")
    ap.add_argument("--fill-only", action="store_true", help="keep the model at --out; only measure the fill (--news)")
    ap.add_argument("--candidates", choices=("shipped", "wider"), default="shipped",
                    help="the frozen encoder's candidates: the shipped set, or also the wider ones (views, "
                         "perceptron, char n-grams)")
    ap.add_argument("--finetune", type=Path, default=None, metavar="DIR",
                    help="fine-tune the encoder (torch, one thread; its passes are kept in DIR), then combine the "
                         "pass best on dev with the word + cue model")
    ap.add_argument("--encoder", type=Path, default=None,
                    help="combine this fine-tuned encoder (int8 ONNX, from --finetune) instead of fine-tuning")
    ap.add_argument("--prior", choices=PRIORS, default="dev",
                    help="fit the calibration and the yes/no threshold on dev, or on the older half of the "
                         "held-out recent debates")
    for name, value in FINETUNE.items():
        ap.add_argument(f"--{name}", type=type(value), default=value, help=f"fine-tuning: {name} ({value})")
    args = ap.parse_args(argv)
    if args.fill_only and args.news is None:
        ap.error("--fill-only needs --news")
    if not args.fill_only:
        encoder = args.encoder
        if args.finetune is not None:
            settings = {name: getattr(args, name) for name in FINETUNE}
            finetune(args.data_dir, args.finetune, **settings)
            passes = [args.finetune / f"encoder-e{k}.onnx" for k in range(1, args.epochs + 1)]
            tune_name = "dev" if args.prior == "dev" else "recent_older_half"
            tuned = {p: train(args.data_dir, args.finetune / p.stem / args.out.name, args.cache, encoder=p,
                              prior=args.prior)[tune_name]["f1"] for p in passes}
            encoder = max(passes, key=lambda p: tuned[p])  # the first of equals: fewer passes
            print(json.dumps({p.name: f for p, f in tuned.items()}), file=sys.stderr)
        figures = train(args.data_dir, args.out, args.cache, WIDER_VARIANTS if args.candidates == "wider" else None,
                        encoder=encoder, prior=args.prior)
        print(json.dumps({k: v for k, v in figures.items() if k != "candidates"}, indent=1))
    if args.news is not None:
        print(json.dumps(news_fill(args.out, args.news), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
