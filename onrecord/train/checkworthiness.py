"""Train the check-worthiness model on CLEF CheckThat! 2024 task 1 (English) and export it for numpy inference.

Usage: ``python -m onrecord.train.checkworthiness DATA_DIR [--out PATH]``. DATA_DIR holds the task's TSV files
(``*_train.tsv``, ``*_dev.tsv``, ``*_dev-test.tsv``; columns ``Sentence_id``, ``Text``, ``class_label`` Yes/No).
Variants are fitted on train, the best is chosen by F1 (positive class) on dev together with its decision
threshold, and dev-test is scored once at the end. Needs scikit-learn; the exported model does not.
"""

from __future__ import annotations

import argparse
import csv
import json
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
    CheckworthinessModel,
    SparseBlock,
    dense_features,
    normalise,
)

SEED = 0
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "checkworthiness.npz"
SPLITS = {"train": "*_train.tsv", "dev": "*_dev.tsv", "dev_test": "*_dev-test.tsv"}

# Candidate models: which blocks, minimum document frequency for n-grams, class weighting, and the
# inverse regularisation strengths tried for each.
VARIANTS: list[dict[str, Any]] = [
    {"blocks": ["word"], "cues": False, "min_df": 2, "class_weight": None},
    {"blocks": ["word"], "cues": True, "min_df": 2, "class_weight": None},
    {"blocks": ["word", "char"], "cues": False, "min_df": 2, "class_weight": None},
    {"blocks": ["word", "char"], "cues": True, "min_df": 2, "class_weight": None},
    {"blocks": ["word", "char"], "cues": True, "min_df": 2, "class_weight": "balanced"},
    {"blocks": ["word", "char"], "cues": True, "min_df": 5, "class_weight": None},
]
C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0)


@dataclass
class Split:
    texts: list[str]
    labels: np.ndarray


def read_split(data_dir: Path, pattern: str) -> Split:
    """One TSV split; the files use CSV-style quoting (doubled quotes inside quoted fields)."""
    matches = sorted(data_dir.glob(pattern))
    if len(matches) != 1:
        raise FileNotFoundError(f"expected one file matching {pattern} in {data_dir}, found {len(matches)}")
    texts, labels = [], []
    with matches[0].open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            label = row["class_label"].strip().lower()
            if label not in ("yes", "no"):
                raise ValueError(f"{matches[0]}: unexpected class_label {row['class_label']!r}")
            texts.append(normalise(row["Text"]))
            labels.append(label == "yes")
    return Split(texts, np.array(labels, dtype=bool))


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
    """Fitted TF-IDF blocks and cue scaler for one variant (shared across C values)."""

    def __init__(self, blocks: list[str], cues: bool, min_df: int) -> None:
        self.vectorizers = {
            b: TfidfVectorizer(analyzer=ANALYZERS[b], sublinear_tf=True, min_df=min_df, norm="l2", dtype=np.float64)
            for b in blocks
        }
        self.scaler = StandardScaler() if cues else None

    def fit_transform(self, texts: list[str]) -> sparse.csr_matrix:
        parts = [v.fit_transform(texts) for v in self.vectorizers.values()]
        if self.scaler is not None:
            parts.append(sparse.csr_matrix(self.scaler.fit_transform(dense_features(texts))))
        return sparse.hstack(parts, format="csr")

    def transform(self, texts: list[str]) -> sparse.csr_matrix:
        parts = [v.transform(texts) for v in self.vectorizers.values()]
        if self.scaler is not None:
            parts.append(sparse.csr_matrix(self.scaler.transform(dense_features(texts))))
        return sparse.hstack(parts, format="csr")

    def export(self, clf: LogisticRegression, threshold: float, meta: dict[str, Any]) -> CheckworthinessModel:
        """Split the fitted coefficients back into per-block arrays for numpy inference."""
        coef = clf.coef_.ravel()
        blocks, start = [], 0
        for name, v in self.vectorizers.items():
            vocab = sorted(v.vocabulary_, key=v.vocabulary_.__getitem__)
            blocks.append(SparseBlock(name, vocab, v.idf_.copy(), coef[start : start + len(vocab)].copy()))
            start += len(vocab)
        if self.scaler is not None:
            mean, scale, dense_coef = self.scaler.mean_, self.scaler.scale_, coef[start:]
        else:
            mean = scale = dense_coef = np.zeros(0)
        return CheckworthinessModel(
            blocks, mean, scale, dense_coef, float(clf.intercept_[0]), threshold=threshold, meta=meta
        )


def fit(x: sparse.csr_matrix, y: np.ndarray, c: float, class_weight: str | None) -> LogisticRegression:
    clf = LogisticRegression(C=c, class_weight=class_weight, solver="lbfgs", max_iter=3000, random_state=SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # tiny test datasets; the real data converges
        return clf.fit(x, y)


def train(data_dir: Path, out_path: Path) -> dict[str, Any]:
    """Select, fit and export the model; return P/R/F1 on dev and dev-test plus sizes and timings."""
    t0 = time.perf_counter()
    data = {name: read_split(Path(data_dir), pattern) for name, pattern in SPLITS.items()}
    train_s, dev_s, test_s = data["train"], data["dev"], data["dev_test"]

    candidates: list[dict[str, Any]] = []
    best: tuple[float, dict[str, Any], Featurizer, LogisticRegression, float] | None = None
    for variant in VARIANTS:
        feats = Featurizer(variant["blocks"], variant["cues"], variant["min_df"])
        x_train = feats.fit_transform(train_s.texts)
        x_dev = feats.transform(dev_s.texts)
        for c in C_GRID:
            clf = fit(x_train, train_s.labels, c, variant["class_weight"])
            threshold, dev_f1 = best_threshold(dev_s.labels, clf.predict_proba(x_dev)[:, 1])
            cand = {**variant, "C": c, "threshold": round(threshold, 4), "dev_f1": round(dev_f1, 4)}
            candidates.append(cand)
            print(json.dumps(cand), file=sys.stderr)
            if best is None or dev_f1 > best[0]:
                best = (dev_f1, cand, feats, clf, threshold)
    assert best is not None
    _, chosen, feats, clf, threshold = best

    figures: dict[str, Any] = {"chosen": chosen}
    for name, split in (("dev", dev_s), ("dev_test", test_s)):
        prob = clf.predict_proba(feats.transform(split.texts))[:, 1]
        figures[name] = {**prf(split.labels, prob >= threshold), "n": len(split.texts),
                         "positives": int(split.labels.sum())}
        figures[f"{name}_at_0.5"] = prf(split.labels, prob >= 0.5)

    meta = {
        "trained_on": "CLEF CheckThat! 2024 task 1 English, train split",
        "chosen": chosen,
        "sklearn": sklearn.__version__,
        "dev": figures["dev"],
        "dev_test": figures["dev_test"],
    }
    out_path = Path(out_path)
    feats.export(clf, threshold, meta).save(out_path)

    # The exported numpy model must reproduce scikit-learn's probabilities (up to float32 storage).
    reloaded = CheckworthinessModel.load(out_path)
    ref = clf.predict_proba(feats.transform(dev_s.texts))[:, 1]
    diff = float(np.max(np.abs(np.array(reloaded.score(dev_s.texts)) - ref))) if dev_s.texts else 0.0
    if diff > 1e-3:
        raise RuntimeError(f"exported model disagrees with scikit-learn by {diff:.2e}")

    n_features = {b.analyzer: len(b.vocab) for b in reloaded.blocks}
    n_features["cues"] = int(reloaded.dense_coef.size)
    figures.update(
        train_seconds=round(time.perf_counter() - t0, 1),
        out=str(out_path),
        file_bytes=out_path.stat().st_size,
        n_features=n_features,
        export_max_abs_diff=diff,
        n_train=len(train_s.texts),
        candidates=candidates,
    )
    # A human-readable card beside the weights: what was chosen and how it measured.
    card = {k: v for k, v in figures.items() if k != "out"}
    out_path.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    return figures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path, help="folder with the CheckThat! task 1 TSV files")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"weights file to write (default {DEFAULT_OUT})")
    args = ap.parse_args(argv)
    figures = train(args.data_dir, args.out)
    print(json.dumps({k: v for k, v in figures.items() if k != "candidates"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
