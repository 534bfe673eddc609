"""Train the PolNeAR convention's attribution judge (``onrecord.attribute.learned``) and its role
reader (``onrecord.attribute.roles``) on a brat corpus annotated like PolNeAR, training part only.

    python -m onrecord.train.attributions DATA_DIR [--out onrecord/data/attributions.npz] [--jobs N]
                                                   [--cache DIR] [--limit N] [--epochs 10]

1. Every article is parsed with onrecord's pipeline and read by a role reader (a small tagger over
   the parser's token vectors) fitted on the other half of the corpus (two folds), so that the
   judge learns how far to trust the reader on unseen text.
2. Every candidate the rules, the stance generator and the reader propose is labelled 1 when an
   annotated relation has a content that matches it (word F1 >= 0.5, as the team's scorer) and a
   cue that overlaps its cue, else 0. Two logistic regressions (cue judge, span judge) over hashed
   parse features, the parser's vectors and the role readings are fitted three times, each time on
   two thirds of the articles, to say what they make of the other third; on what they say the last
   judge (boosted trees) is fitted, three times again, each scoring the third it was not fitted on;
   the acceptance threshold is the one with the best attribution F1 over all those scores; then the
   last judge is refitted on all the articles, and the linear judges too.
3. The shipped role reader is fitted on the whole corpus (``roles.npz`` beside OUT).

Weights, threshold and a card of figures are written; no text of the corpus is. ``--cache`` keeps
the parse (4 of about 29 minutes) for a rerun.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import pathlib
import sys
import time
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import sparse
from spacy.tokens import Doc, DocBin

from onrecord.attribute.actors import ActorIndex
from onrecord.attribute.extract import Found
from onrecord.attribute.learned import (
    BITS,
    MODEL,
    ROLES,
    AttributionModel,
    Decision,
    Linear,
    Trees,
    candidates,
    choose,
    cue_features,
    decide,
    decision_features,
    dense_cue,
    dense_features,
    feature_indices,
    groups,
    member_readings,
    role_cue_features,
    span_features,
)
from onrecord.attribute.quotes import find_quotes
from onrecord.attribute.roles import WEIGHTS, Inputs, inputs
from onrecord.attribute.tokens import forget_text
from onrecord.clean import find_boilerplate
from onrecord.evaluate import MATCH, brat_reading, greedy, overlap, word_scores
from onrecord.train import roles
from onrecord.train.cues import annotated_articles


def progress(message: str) -> None:
    """Training progress, on stderr (stdout stays for results)."""
    print(message, file=sys.stderr, flush=True)


THRESHOLDS = [round(t, 3) for t in np.arange(0.1, 0.7, 0.025)]
FOLDS = 3  # the linear judges are fitted three times on two thirds, for the last judge's rows


def parse(articles: list[tuple[pathlib.Path, pathlib.Path]], jobs: int, cache: pathlib.Path | None) -> list[Doc]:
    """The parsed articles (onrecord's pipeline without its last component), cached as a DocBin."""
    from onrecord.parse import load_pipeline

    nlp = load_pipeline()
    key = cache / f"parsed-{len(articles)}-{articles[0][0].stem[:20]}.spacy" if cache else None
    if key is not None and key.exists() and key.with_suffix(".npy").exists():
        docs = list(DocBin().from_disk(key).get_docs(nlp.vocab))
        tensors = np.load(key.with_suffix(".npy"))  # DocBin keeps no tensors
        start = 0
        for doc in docs:
            doc.tensor = tensors[start : start + len(doc)]
            start += len(doc)
        return docs
    texts = [t.read_text(encoding="utf-8") for t, _ in articles]
    with nlp.select_pipes(disable=["onrecord"]):
        docs = list(nlp.pipe(texts, n_process=jobs, batch_size=8))
    if key is not None:
        key.parent.mkdir(parents=True, exist_ok=True)
        DocBin(docs=docs, store_user_data=False).to_disk(key)
        np.save(key.with_suffix(".npy"), np.concatenate([d.tensor for d in docs]))
    return docs


def _overlaps(a: tuple[int, int] | None, pieces: list[tuple[int, int]]) -> bool:
    return a is not None and any(s < a[1] and a[0] < e for s, e in pieces)


@dataclass
class Rows:
    """Training rows of one linear judge: hashed features, dense columns, labels."""

    hashed: list[list[int]] = field(default_factory=list)
    dense: list[np.ndarray] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)

    def add(self, hashed: list[int], dense: np.ndarray, label: bool) -> None:
        self.hashed.append(hashed)
        self.dense.append(dense)
        self.labels.append(int(label))

    def fit(self, c: float) -> Linear:
        from sklearn.linear_model import LogisticRegression

        if len(set(self.labels)) < 2:  # nothing to tell apart (a tiny corpus): a constant judge
            width = len(self.dense[0]) if self.dense else 0
            return Linear(np.zeros(1 << BITS, np.float32), np.zeros(width, np.float32), _prior(self.labels))
        indptr = np.cumsum([0] + [len(r) for r in self.hashed])
        indices = np.fromiter((i for r in self.hashed for i in r), dtype=np.int64, count=int(indptr[-1]))
        hashed = sparse.csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr),
                                   shape=(len(self.hashed), 1 << BITS))  # duplicates sum, as Linear.logits
        x = sparse.hstack([hashed, sparse.csr_matrix(np.stack(self.dense))], format="csr")
        clf = LogisticRegression(C=c, max_iter=2000, solver="liblinear")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.fit(x, np.array(self.labels))
        coef = clf.coef_[0].astype(np.float32)
        return Linear(coef[: 1 << BITS], coef[1 << BITS :], float(clf.intercept_[0]))


def _prior(labels: list[int]) -> float:
    """Log-odds of yes, smoothed."""
    rate = (sum(labels) + 1) / (len(labels) + 2)
    return float(np.log(rate / (1 - rate)))


TREES = {"n_estimators": 200, "learning_rate": 0.05, "max_depth": 4, "min_samples_leaf": 50, "subsample": 0.8}


def fit_trees(x: np.ndarray, y: np.ndarray) -> Trees:
    """The last judge: boosted trees (scikit-learn's, seed 0) moved into numpy arrays, checked to
    give scikit-learn's own probabilities."""
    from sklearn.ensemble import GradientBoostingClassifier

    x = np.asarray(x, dtype=np.float32)
    if len(set(y.tolist())) < 2:  # a tiny corpus: one leaf, the prior
        one = np.array([-1]), np.array([0.0]), np.array([0]), np.array([0]), np.array([0.0]), np.array([0])
        return Trees(*one, bias=_prior(y.tolist()))
    clf = GradientBoostingClassifier(random_state=0, **TREES).fit(x, y)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("feature", "threshold", "left", "right", "value")}
    roots, offset = [], 0
    for (tree,) in clf.estimators_:
        t = tree.tree_
        leaf = t.children_left < 0
        roots.append(offset)
        parts["feature"].append(np.where(leaf, -1, t.feature))
        parts["threshold"].append(t.threshold)
        parts["left"].append(np.where(leaf, 0, t.children_left) + offset)
        parts["right"].append(np.where(leaf, 0, t.children_right) + offset)
        parts["value"].append(np.where(leaf, clf.learning_rate * t.value[:, 0, 0], 0.0))
        offset += t.node_count
    arrays = {k: np.concatenate(v) for k, v in parts.items()}
    trees = Trees(arrays["feature"].astype(np.int32), arrays["threshold"], arrays["left"].astype(np.int32),
                  arrays["right"].astype(np.int32), arrays["value"], np.asarray(roots, dtype=np.int32), 0.0)
    prior = float(clf.decision_function(x[:1])[0] - trees.logits(x[:1])[0])  # where the boosting started
    trees = replace(trees, bias=prior)
    if not np.allclose(trees.score(x), clf.predict_proba(x)[:, 1], atol=1e-5):
        raise RuntimeError("the trees moved into numpy do not give scikit-learn's probabilities")
    return trees


@dataclass
class Cue:
    """One cue of a training article with its judges' inputs, computed once."""

    members: list[Found]
    sentence: int
    labels: list[bool]
    hashed: list[int]  # the cue judge's
    dense: np.ndarray
    readings: np.ndarray  # role_cue_features
    span_hashed: list[list[int]]  # the span judge's, per member
    span_dense: np.ndarray
    span_readings: np.ndarray  # member_readings


@dataclass
class Article:
    """One parsed, annotated article: its candidates grouped by cue, labelled."""

    text: str
    cues: list[Cue]
    gold: list[str]  # gold contents


def article(doc: Doc, ann: str) -> Article:
    """Candidates of one article, each labelled: 1 when an annotated relation has a matching
    content (word F1 >= 0.5) and its cue (or, failing that, its source) overlaps the candidate's."""
    text = doc.text
    golds, _ = brat_reading(text, ann)
    quotes = find_quotes(text)
    skip = [(b.start, b.end) for b in find_boilerplate(text)]
    cues = []
    for members, sent in groups(candidates(doc, quotes, ActorIndex(doc, skip), skip)):
        labels = []
        for f in members:
            content = text[f.content[0]:f.content[1]]
            labels.append(any(overlap(g.content, content) >= MATCH
                              and (f.cue is None or not g.pieces.get("cue") or _overlaps(f.cue, g.pieces["cue"])
                                   or _overlaps(f.speaker, g.pieces.get("source", [])))
                              for g in golds))
        spans = member_readings(members, doc)
        readings = role_cue_features(spans, sent)
        cues.append(Cue(members, sent.start, labels, feature_indices(cue_features(members, sent, quotes)),
                        dense_cue(members, sent, readings), readings,
                        [feature_indices(span_features(f, sent, quotes)) for f in members],
                        np.stack([dense_features(f, sent, r) for f, r in zip(members, spans, strict=True)]), spans))
    return Article(text, cues, [g.content for g in golds])


_PARSED: list[tuple[Doc, str]] = []  # what forked workers of ``articles`` read (copy-on-write, never sent)


def _article_at(i: int) -> Article:
    doc, ann = _PARSED[i]
    out = article(doc, ann)
    forget_text(doc)
    return out


def articles_of(docs: list[Doc], anns: list[str], jobs: int) -> list[Article]:
    """Every article's labelled candidates and judge inputs, in ``jobs`` forked processes."""
    global _PARSED
    _PARSED = list(zip(docs, anns, strict=True))
    try:
        if jobs < 2 or len(docs) < 2:
            return [_article_at(i) for i in range(len(docs))]
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            return pool.map(_article_at, range(len(docs)), chunksize=4)
    finally:
        _PARSED = []


def fit_linear(articles: list[Article], c: float) -> tuple[Linear, Linear, int, int]:
    """The cue judge (learns from every cue) and the span judge (from the contents of true cues
    with a choice), with their numbers of rows."""
    cue_rows, span_rows = Rows(), Rows()
    for a in articles:
        for cue in a.cues:
            cue_rows.add(cue.hashed, cue.dense, any(cue.labels))
            if any(cue.labels) and len(cue.members) > 1:
                for hashed, dense, label in zip(cue.span_hashed, cue.span_dense, cue.labels, strict=True):
                    span_rows.add(hashed, dense, label)
    return cue_rows.fit(c), span_rows.fit(c), len(cue_rows.labels), len(span_rows.labels)


def decisions(a: Article, cue: Linear, span: Linear) -> tuple[list[Decision], list[Found]]:
    """What the last judge sees of each cue of ``a`` given these two judges, and each cue's best content."""
    out, best = [], []
    for k in a.cues:
        contents = span.logits(k.span_hashed, k.span_dense) if len(k.members) > 1 else np.zeros(1)  # as content_logits
        d, j = decide(k.members, k.sentence, float(cue.logits([k.hashed], k.dense[None])[0]), contents,
                      k.readings, k.span_readings)
        out.append(d)
        best.append(k.members[j])
    return out, best


def end_figures(scored: list[tuple[list[tuple[Found, float]], str, list[str]]],
                thresholds: list[float]) -> list[dict[str, float]]:
    """Attribution P/R/F1 (word match, as the team's scorer) of what ``choose`` keeps at each
    threshold. Word overlaps are computed once per article, not once per threshold."""
    counts = {t: [0, 0, 0] for t in thresholds}  # true positives, predictions, gold
    for judged, text, gold in scored:
        index = {id(f): i for i, (f, _) in enumerate(judged)}
        scores = word_scores(gold, [text[f.content[0]:f.content[1]] for f, _ in judged])
        for t in thresholds:
            kept = {index[id(f)]: k for k, f in enumerate(choose(judged, t))}  # as match_words numbers them
            counts[t][0] += len(greedy(((f1, gi, kept[pi]) for f1, gi, pi in scores if pi in kept), MATCH))
            counts[t][1] += len(kept)
            counts[t][2] += len(gold)
    out = []
    for t in thresholds:
        tp, n_pred, n_gold = counts[t]
        p = tp / n_pred if n_pred else 0.0
        r = tp / n_gold if n_gold else 0.0
        out.append({"threshold": t, "p": round(p, 4), "r": round(r, 4),
                    "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4)})
    return out


def reader_data(docs: list[Doc], anns: list[str]) -> list[tuple[Inputs, np.ndarray]]:
    """Every parsed article's role-reader inputs and token labels."""
    return [(inputs(doc, find_quotes(doc.text)), roles.token_labels(doc, ann))
            for doc, ann in zip(docs, anns, strict=True)]


def train(data: pathlib.Path, out: pathlib.Path, jobs: int, cache: pathlib.Path | None, limit: int,
          c: float, epochs: int) -> dict[str, object]:
    t0 = time.perf_counter()
    articles = annotated_articles(data)
    if limit:
        articles = articles[:limit]
    if not articles:
        raise SystemExit(f"no annotated articles in {data}")
    docs = parse(articles, jobs, cache)
    anns = [a.read_text(encoding="utf-8") for _, a in articles]
    progress(f"parsed {len(docs)} articles: {time.perf_counter() - t0:.0f} s")
    tagged = reader_data(docs, anns)
    crossfitted = roles.crossfit(tagged, epochs, log=progress)
    for doc, read in zip(docs, crossfitted, strict=True):
        doc.user_data[ROLES] = read
    progress(f"read by the cross-fitted role readers: {time.perf_counter() - t0:.0f} s")
    annotated = articles_of(docs, anns, jobs)
    progress(f"candidates of {len(annotated)} articles: {time.perf_counter() - t0:.0f} s")
    # the last judge learns from what the linear judges say of articles they were not fitted on
    seen: list[tuple[list[Decision], list[Found]]] = [([], [])] * len(annotated)
    for fold in range(FOLDS):
        cue, span, _, _ = fit_linear([a for i, a in enumerate(annotated) if i % FOLDS != fold], c)
        for i in range(fold, len(annotated), FOLDS):
            seen[i] = decisions(annotated[i], cue, span)
        progress(f"linear judges, fold {fold + 1}/{FOLDS}: {time.perf_counter() - t0:.0f} s")
    x = [decision_features(d) for d, _ in seen]
    y = [np.array([any(k.labels) for k in a.cues], dtype=np.int64) for a in annotated]
    # the threshold is the one that gives the best F1 over every article, each scored by trees
    # fitted on the other folds (articles are sorted by outlet, so a held-out slice would be one outlet)
    scored: list[tuple[list[tuple[Found, float]], str, list[str]]] = [([], "", [])] * len(annotated)
    for fold in range(FOLDS):
        rest = [i for i in range(len(annotated)) if i % FOLDS != fold]
        trees = fit_trees(np.concatenate([x[i] for i in rest]), np.concatenate([y[i] for i in rest]))
        for i in range(fold, len(annotated), FOLDS):
            scored[i] = (list(zip(seen[i][1], trees.score(x[i]).tolist(), strict=True)), annotated[i].text,
                         annotated[i].gold)
    curve = end_figures(scored, THRESHOLDS)
    best = max(curve, key=lambda row: row["f1"])
    progress(f"last judge cross-fitted, threshold {best['threshold']} (cross-validated F1 {best['f1']}): "
             f"{time.perf_counter() - t0:.0f} s")
    trees = fit_trees(np.concatenate(x), np.concatenate(y))
    cue, span, n_cues, n_spans = fit_linear(annotated, c)
    model = AttributionModel(cue, span, trees, best["threshold"])
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    t1 = time.perf_counter()
    progress(f"judges refitted on all and saved: {t1 - t0:.0f} s")
    reader_out = out.with_name(WEIGHTS.name)
    roles.fit(tagged, epochs, log=progress).save(reader_out)
    precision = roles.average_precision([labels for _, labels in tagged], crossfitted)
    card = {"trained_on": f"{data.name}: {len(articles)} articles, {FOLDS}-fold cross-fitted for the threshold, "
                          "then all refitted",
            "cues": n_cues, "true_cues": int(sum(v.sum() for v in y)), "spans": n_spans,
            "C": c, "folds": FOLDS, "trees": TREES, "cross_validated": best, "curve": curve,
            "role_reader": {"epochs": epochs, "file_bytes": reader_out.stat().st_size,
                            "cross_fitted_average_precision": precision,
                            "seconds": round(time.perf_counter() - t1, 1)},
            "seconds": round(time.perf_counter() - t0, 1), "file_bytes": out.stat().st_size}
    out.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    AttributionModel.load.cache_clear()
    return card


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m onrecord.train.attributions", description=__doc__.split("\n")[0])
    ap.add_argument("data", type=pathlib.Path, help="brat folder (text/, attributions/), training part")
    ap.add_argument("--out", type=pathlib.Path, default=MODEL)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cache", type=pathlib.Path, default=None, help="keep the parsed articles here")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--C", type=float, default=0.2, dest="c", help="inverse regularisation strength")
    ap.add_argument("--epochs", type=int, default=roles.EPOCHS, help="the role reader's passes over the corpus")
    args = ap.parse_args(argv)
    card = train(args.data, args.out, args.jobs, args.cache, args.limit, args.c, args.epochs)
    print(json.dumps({k: v for k, v in card.items() if k != "curve"}, indent=1), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
