"""Fit the stance reader (onrecord.positions.stance) on statements generated from codebooks' own examples.

    python -m onrecord.train.stance examples/issues.toml onrecord/train/codebooks/*.toml \
        [--out onrecord/data/stance.json]

No corpus is needed: every codebook example yields labelled statements — the example as said, argued or
insisted (its stance); negated, or under a denying cue (the stance at the other end of the scale, or none);
under a restrictive condition, in a conceding clause, in a hedge (none); with a plain offer condition (its
stance); and per issue keyword, topic-only sentences (none) and plainly evaluative ones ("the X is a mistake":
the stance its examples evaluate that way). Each clause is read against its issue's examples *without the example
it came from* (leave one out), so similarity means what it will mean on unseen text.

The card beside the weights reports leave-one-codebook-out figures (fitted on the other codebooks; clause-level
accuracy of "which stance, or none"), and the threshold is the one with the best such accuracy.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from onrecord.positions.draft import negate
from onrecord.positions.encoder import load_encoder
from onrecord.positions.issues import Issue, Issues, load_issues
from onrecord.positions.match import polarity, stance_examples
from onrecord.positions.stance import (
    _CONCESSION,
    FEATURES,
    WEIGHTS,
    clause_features,
    cue_negates,
    numbers,
    similarities,
    stance_evaluations,
    topic_words,
)

CONDITIONS = ("only if the other side moves first", "unless the costs are covered",
              "only when every condition is met")
OFFERS = ("if the other side does the same", "if the talks go well")
CUES = ("said", "argued", "insisted")
NEGATED_CUES = ("denied", "did not believe")
TOPIC_ONLY = ("Talks on the {kw} resume on Friday", "The {kw} was discussed at the meeting",
              "A report on the {kw} will be published next month", "The committee met to discuss the {kw}",
              "The {kw} was on the agenda again", "A vote on the {kw} is expected next week",
              "Both sides met for three hours to talk about the {kw}", "The {kw} came up at the press conference")
HEDGES = ("it was too early to say whether {ex}", "the question of the {kw} was worth considering")
GOOD = ("the {kw} is a good thing", "the {kw} shows what we can achieve", "the {kw} deserves a chance")
BAD = ("the {kw} is a mistake", "the {kw} will cost us dearly", "the {kw} is a waste of time")


@dataclass
class Sample:
    group: str  # the codebook: folds are by codebook
    issue: Issue
    source: str  # the example it came from (left out of the exemplars), or ""
    clause: str
    cue: str
    label: str | None
    concession: bool = False


def _shift_numbers(text: str) -> str | None:
    """The example with each number in digits moved by a tenth (a paraphrase of the same amount), or None."""
    if not re.search(r"\d", text):
        return None
    return re.sub(r"\d+(?:\.\d+)?", lambda m: f"{float(m.group(0)) * 1.1:g}", text)


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] not in ("I ",) and not text[:2].isupper() else text


def _keyword(issue: Issue) -> str:
    return next((k.rstrip("*") for k in issue.keywords if len(k.rstrip("*")) > 3 and k[-1] != "*"),
                issue.keywords[0].rstrip("*") if issue.keywords else issue.id)


def samples(group: str, issues: Issues) -> list[Sample]:
    """Labelled clauses generated from one codebook."""
    out: list[Sample] = []

    def add(issue: Issue, *fields: object, **named: object) -> None:
        out.append(Sample(f"{group}:{issue.id}", issue, *fields, **named))  # type: ignore[arg-type]

    for issue in issues.issues:
        kw = _keyword(issue)
        evals = stance_evaluations(issue)
        for stance in issue.stances:
            opposite = issue.opposite(stance)
            others = [s for s in issue.stances if s.id != stance.id]
            for n, ex in enumerate(stance.examples):
                body = ex.rstrip(".")
                for cue in CUES:
                    add(issue, ex, body, cue, stance.id)
                negated = negate(body)
                if negated:
                    add(issue, ex, negated, "said", opposite)
                add(issue, ex, body, NEGATED_CUES[n % len(NEGATED_CUES)], opposite)
                shifted = _shift_numbers(body)
                if shifted:
                    add(issue, ex, shifted, "said", stance.id)
                add(issue, ex, f"{body} {CONDITIONS[n % len(CONDITIONS)]}", "said", None)
                add(issue, ex, f"{body} {OFFERS[n % len(OFFERS)]}", "said", stance.id)
                add(issue, ex, "while " + _lower(body), "said", None, concession=True)
                add(issue, ex, HEDGES[0].format(ex=_lower(body)), "said", None)
                other = others[n % len(others)]
                add(issue, other.examples[0], _lower(other.examples[0].rstrip(".")), "said",
                                  other.id)
        for template in TOPIC_ONLY + HEDGES[1:]:
            add(issue, "", template.format(kw=kw), "said", None)
        if evals.max() > 0.3 and evals.min() < -0.3:
            for template in GOOD:
                add(issue, "", template.format(kw=kw), "said", issue.stances[int(evals.argmax())].id)
            for template in BAD:
                add(issue, "", template.format(kw=kw), "said", issue.stances[int(evals.argmin())].id)
    return out


def featurise(rows: list[Sample], encoder: object) -> tuple[list[np.ndarray], list[int]]:
    """Per sample: its (stances × features) matrix, leaving its source example out, and its label's index (-1: none)."""
    issue_vectors: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]] = {}
    for s in rows:
        if id(s.issue) in issue_vectors:
            continue
        examples = stance_examples(s.issue, implicit_opposites=True)  # as the reader reads them
        vectors = np.asarray(encoder.encode([e[0] for e in examples]), dtype=np.float32)  # type: ignore[attr-defined]
        issue_vectors[id(s.issue)] = (vectors, np.array([e[1] for e in examples]),
                                      np.array([[e[2], e[3]] for e in examples]).reshape(-1, 2),
                                      [e[4] for e in examples])
    clause_vectors = np.asarray(encoder.encode([polarity(s.clause)[0] or s.clause for s in rows]),  # type: ignore[attr-defined]
                                dtype=np.float32)
    feats, labels = [], []
    for s, vector in zip(rows, clause_vectors, strict=True):
        vectors, ex_parity, so, sources = issue_vectors[id(s.issue)]
        keep = np.array([src != s.source for src in sources])
        _, neg = polarity(s.clause)
        parity = min(neg, 1) ^ (1 if cue_negates(s.cue) else 0)
        n = len(s.issue.stances)
        sims = similarities(vectors[keep], ex_parity[keep], so[keep, 0], so[keep, 1], vector, parity, n)
        concession = s.concession or bool(_CONCESSION.match(s.clause))
        amounts = [[x for e in st.examples if e != s.source for x in numbers(e)] for st in s.issue.stances]
        feats.append(clause_features(s.clause, s.cue, sims, float((vectors[keep] @ vector).max()),
                                     stance_evaluations(s.issue), amounts, concession, topic_words(s.issue)))
        labels.append(next((k for k, st in enumerate(s.issue.stances) if st.id == s.label), -1))
    return feats, labels


def fit(feats: list[np.ndarray], labels: list[int], l2: float = 1e-2, steps: int = 50) -> tuple[np.ndarray, float]:
    """Logistic regression (Newton steps, L2) of 'this clause takes this stance' over every (clause, stance)."""
    x = np.vstack(feats)
    y = np.concatenate([(np.arange(len(f)) == lab).astype(float) for f, lab in zip(feats, labels, strict=True)])
    xb = np.column_stack([x, np.ones(len(x))])
    w = np.zeros(xb.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) + l2 * np.r_[w[:-1], 0]
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return w[:-1], float(w[-1])


def decide(feats: list[np.ndarray], weights: np.ndarray, bias: float, threshold: float) -> list[int]:
    out = []
    for f in feats:
        p = 1 / (1 + np.exp(-(f @ weights + bias)))
        k = int(np.argmax(p))
        out.append(k if p[k] >= threshold else -1)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("codebooks", nargs="+", help="issues files (onrecord-issues/1) whose examples to learn from")
    ap.add_argument("--out", default=str(WEIGHTS))
    args = ap.parse_args(argv)
    encoder = load_encoder()
    rows = [s for path in args.codebooks for s in samples(Path(path).stem, load_issues(path))]
    feats, labels = featurise(rows, encoder)
    groups = sorted({s.group for s in rows})
    thresholds = [round(t, 2) for t in np.arange(0.1, 0.8, 0.05)]
    held: dict[float, list[bool]] = {t: [] for t in thresholds}
    for g in groups:  # leave one issue out
        train = [i for i, s in enumerate(rows) if s.group != g]
        test = [i for i, s in enumerate(rows) if s.group == g]
        w, b = fit([feats[i] for i in train], [labels[i] for i in train])
        for t in thresholds:
            pred = decide([feats[i] for i in test], w, b, t)
            held[t] += [p == labels[i] for p, i in zip(pred, test, strict=True)]
    accuracy = {t: float(np.mean(v)) for t, v in held.items()}
    threshold = max(thresholds, key=lambda t: (accuracy[t], -abs(t - 0.5)))
    weights, bias = fit(feats, labels)
    decided = decide(feats, weights, bias, threshold)
    train_acc = float(np.mean([p == lab for p, lab in zip(decided, labels, strict=True)]))
    card = {
        "model": "onrecord stance reader: logistic regression over (clause, stance) features",
        "features": list(FEATURES), "weights": [round(float(v), 6) for v in weights], "bias": round(bias, 6),
        "threshold": threshold,
        "trained_on": [Path(p).as_posix() for p in args.codebooks], "samples": len(rows),
        "leave_one_issue_out_accuracy": round(accuracy[threshold], 4),
        "train_accuracy": round(train_acc, 4),
        "command": "python -m onrecord.train.stance " + " ".join(Path(p).as_posix() for p in args.codebooks),
    }
    Path(args.out).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(f"{len(rows)} samples from {len(groups)} codebooks; leave-one-issue-out accuracy "
          f"{accuracy[threshold]:.3f} at threshold {threshold}; train {train_acc:.3f}; wrote {args.out}")
    print(dict(zip(FEATURES, card["weights"], strict=True)), "bias", card["bias"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
