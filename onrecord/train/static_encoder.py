"""Distil the stance reader's sentence encoder into a table of word-piece vectors (``data/sentence.static.npz``).

    python -m onrecord.train.static_encoder POLNEAR_TRAIN [--out onrecord/data/sentence.static.npz]

A clause's vector is then the mean of its word pieces' rows, normalised: a lookup, no network at run time. The
teacher is the int8 all-MiniLM-L6-v2 of ``data/sentence.onnx`` (``onrecord.positions.encoder``). Two steps, after
model2vec (Tulkens & van Dongen 2024) and its "tokenlearn" fitting:

1. each word piece's row starts as the teacher's vector of the piece read alone ("[CLS] piece [SEP]");
2. the rows are then fitted so that the mean of a text's rows reproduces the teacher's vector of the text (least
   squares, by conjugate gradients, pulled towards step 1's rows by a ridge term so that pieces seen rarely stay
   near them). The texts are what the reader reads: the clauses of PolNeAR's attributed contents (the training
   split's ``Content`` spans, cut by ``onrecord.positions.stance.pieces``, negations taken out as the reader takes
   them out). Nothing of their text is stored; only the fitted rows are.

Rows are stored as int8 with one float32 scale per row (plain npz, loaded with ``allow_pickle=False``).
Deterministic: the same data gives the same file. About two minutes on one core, most of it the teacher.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "data" / "sentence.static.npz"
RIDGE = 0.05  # pull towards the pieces' own vectors, per unit of a text's weight
ITERATIONS = 60
_CONTENT = re.compile(r"^T\d+\tContent ([\d ;]+)\t", re.MULTILINE)


def clauses_of(polnear: Path, limit: int) -> list[str]:
    """The clauses of the attributed contents of a PolNeAR split (brat: text/*.txt, attributions/*.ann), as the
    stance reader encodes them, distinct, in file order."""
    from onrecord.positions.match import polarity
    from onrecord.positions.stance import pieces

    seen: dict[str, None] = {}
    first: dict[str, Path] = {}  # one annotator's file per article: the one whose id sorts first
    for ann in sorted((polnear / "attributions").glob("*.ann")):
        first.setdefault(ann.name.rsplit("_", 1)[0], ann)
    for article, ann in first.items():
        txt = polnear / "text" / (article + ".txt")
        if not txt.exists():
            continue
        text = txt.read_text(encoding="utf-8")
        for m in _CONTENT.finditer(ann.read_text(encoding="utf-8")):
            spans = [tuple(map(int, part.split())) for part in m.group(1).split(";")]
            content = " ".join(text[a:b] for a, b in spans)
            for clause in pieces(content):
                stripped = polarity(clause)[0] or clause
                if 2 <= len(stripped.split()) <= 60:
                    seen.setdefault(stripped, None)
        if len(seen) >= limit:
            break
    return list(seen)[:limit]


def piece_vectors(encoder, size: int) -> np.ndarray:
    """The teacher's vector of every word piece read alone."""
    cls, sep = encoder.tokenizer.token_to_id("[CLS]"), encoder.tokenizer.token_to_id("[SEP]")
    out = np.zeros((size, encoder.session.get_outputs()[0].shape[-1] or 384), dtype=np.float32)
    for start in range(0, size, 1024):
        ids = np.array([[cls, i, sep] for i in range(start, min(size, start + 1024))], dtype=np.int64)
        out[start:start + len(ids)] = encoder.session.run(None, {"input_ids": ids,
                                                                 "attention_mask": np.ones_like(ids)})[0]
    return out


def fit(rows: list[list[int]], targets: np.ndarray, start: np.ndarray, ridge: float = RIDGE,
        iterations: int = ITERATIONS) -> np.ndarray:
    """Rows T minimising ||X T - Y||² + ridge·||T - start||² (X: each text's mean over its pieces), by conjugate
    gradients on the normal equations, every column at once."""
    from scipy.sparse import csr_matrix

    data, cols, ptr = [], [], [0]
    for r in rows:
        data += [1.0 / len(r)] * len(r)
        cols += r
        ptr.append(len(cols))
    x = csr_matrix((np.array(data, dtype=np.float64), np.array(cols), np.array(ptr)),
                   shape=(len(rows), start.shape[0]))
    xt = x.T.tocsr()

    def normal(d: np.ndarray) -> np.ndarray:
        return xt @ (x @ d) + ridge * d

    residual = xt @ (targets.astype(np.float64) - x @ start.astype(np.float64))  # solve for D = T - start
    d = np.zeros_like(residual)
    p = residual.copy()
    rs = (residual * residual).sum(0)
    for _ in range(iterations):
        ap = normal(p)
        alpha = rs / np.maximum((p * ap).sum(0), 1e-30)
        d += p * alpha
        residual -= ap * alpha
        new = (residual * residual).sum(0)
        p = residual + p * (new / np.maximum(rs, 1e-30))
        rs = new
    return (start + d).astype(np.float32)


def quantise(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scale = np.maximum(np.abs(table).max(1), 1e-12) / 127.0
    return np.round(table / scale[:, None]).astype(np.int8), scale.astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("polnear", help="a PolNeAR split in brat standoff (text/, attributions/)")
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--limit", type=int, default=40000, help="at most this many clauses")
    args = ap.parse_args(argv)
    from onrecord.positions.encoder import OnnxEncoder

    teacher = OnnxEncoder()
    texts = clauses_of(Path(args.polnear), args.limit)
    size = teacher.tokenizer.get_vocab_size()
    start = piece_vectors(teacher, size)
    rows = [[i for i in e.ids if i not in (0, 101, 102)] or [100] for e in teacher.tokenizer.encode_batch(texts)]
    targets = teacher.encode(texts)
    held = np.arange(len(texts)) % 10 == 0  # a tenth held out: how near the student comes on clauses it never saw
    table = fit([r for r, h in zip(rows, held, strict=True) if not h], targets[~held], start)
    q, scale = quantise(table)

    def student(t: np.ndarray, which: np.ndarray) -> float:
        vecs = np.stack([t[r].mean(0) for r, h in zip(rows, which, strict=True) if h])
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return float((vecs * targets[which]).sum(1).mean())

    card = {"model": "word-piece vectors distilled from the int8 all-MiniLM-L6-v2 (data/sentence.onnx)",
            "clauses": len(texts), "held_out": int(held.sum()), "ridge": RIDGE, "iterations": ITERATIONS,
            "cosine_to_teacher_held_out": round(student(q * scale[:, None], held), 4),
            "cosine_to_teacher_held_out_before_fitting": round(student(start, held), 4),
            "command": "python -m onrecord.train.static_encoder POLNEAR_TRAIN"}
    np.savez_compressed(args.out, table=q, scale=scale, card=np.array(json.dumps(card)))
    print(json.dumps(card))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
