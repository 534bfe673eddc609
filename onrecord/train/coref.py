"""Train the pronoun ranker of ``onrecord.attribute.coref`` and derive its given-name table.

    python -m onrecord.train.coref DATA_DIR [--out onrecord/data] [--cache DIR]

DATA_DIR holds ``gap/gap-development.tsv`` (GAP, Webster et al. 2018) and ``ontogum/`` (OntoGUM,
CoNLL; the train documents named in ``splits.md``). Every text is parsed with onrecord's pipeline
and its actors built from names; every third-person pronoun with candidate actors gives one row per
candidate, labelled 1 when the candidate is the pronoun's antecedent:

- GAP: the candidate holds the row's A (or B) name and A (B) is marked coreferent;
- OntoGUM: a name mention of the candidate lies in a gold mention of the pronoun's cluster.

Boosted trees (scikit-learn, seed 0, moved into numpy arrays) are fitted on all rows; the thresholds
are the ones with the best F1 of the pronoun's links, each text scored by trees fitted on the other
four fifths: for he/she over GAP, for it/they over OntoGUM. Written: ``coref.npz`` (no pickle),
``coref.json`` (the card) and ``given_names.json`` (names one gender bears in at least 90% of the
nomquamgender package's records); no corpus text.
"""

from __future__ import annotations

import argparse
import csv
import json
import pathlib
import re
import sys
import time
from dataclasses import dataclass

import numpy as np
from spacy.tokens import Doc, DocBin

from onrecord.attribute.actors import ActorIndex
from onrecord.attribute.coref import DATA, FEATURES, PRONOUNS, candidates, is_referring, pair_features
from onrecord.attribute.learned import TREE_PARTS
from onrecord.evaluate_coref import conll_text, read_conll

NAME_SHARE = 0.9  # a given name says a gender when this share of its records have it (the package's own default)
NAME_MIN_COUNT = 200


@dataclass
class Rows:
    x: list[np.ndarray]
    y: list[np.ndarray]
    group: list[int]  # one per pronoun
    text: list[int]  # one per text: folds keep a text's pronouns together
    source: list[str]
    person: list[bool]  # he/she (else it/they)


def world_names(out: pathlib.Path) -> dict[str, int]:
    """``given_names.json`` from the nomquamgender table: ascii names of at least NAME_MIN_COUNT
    records that one gender bears in NAME_SHARE of them."""
    from importlib.resources import files

    table = json.loads((files("nomquamgender") / "name_data.json").read_text(encoding="utf-8"))
    m, f = [], []
    for name, (_, count, p_female, *_) in table.items():
        if count < NAME_MIN_COUNT or not re.fullmatch(r"[a-z][a-z'-]+", name):
            continue
        if p_female >= NAME_SHARE:
            f.append(name)
        elif p_female <= 1 - NAME_SHARE:
            m.append(name)
    out.write_text(json.dumps({"source": "nomquamgender 0.1.4 (MIT), name_data.json",
                               "share": NAME_SHARE, "min_count": NAME_MIN_COUNT,
                               "m": sorted(m), "f": sorted(f)}, separators=(",", ":")) + "\n", encoding="utf-8")
    return {"m": len(m), "f": len(f)}


def parse_all(texts: list[str], cache: pathlib.Path | None, name: str) -> list[Doc]:
    from onrecord.parse import load_pipeline

    nlp = load_pipeline()
    if cache is not None and (cache / f"{name}.tensors.npy").exists():
        docs = list(DocBin().from_disk(cache / f"{name}.spacy").get_docs(nlp.vocab))
        tensors = np.load(cache / f"{name}.tensors.npy", allow_pickle=False)
        at = 0
        for doc in docs:  # a DocBin keeps no context vectors; the ranker reads them
            doc.tensor = tensors[at : at + len(doc)]
            at += len(doc)
        return docs
    with nlp.select_pipes(disable=["onrecord"]):
        docs = list(nlp.pipe(texts, batch_size=32))
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        DocBin(store_user_data=False, docs=docs).to_disk(cache / f"{name}.spacy")
        np.save(cache / f"{name}.tensors.npy", np.concatenate([d.tensor for d in docs]))
    return docs


def _holds(actor, start: int, end: int, name: str) -> bool:  # type: ignore[no-untyped-def]
    if any(s < end and start < e for s, e in actor.mentions):
        return True
    return actor.name.split()[-1].lower() == name.split()[-1].lower()


def gap_rows(path: pathlib.Path, cache: pathlib.Path | None, rows: Rows) -> int:
    table = list(csv.DictReader(path.open(encoding="utf-8"), delimiter="\t", quoting=csv.QUOTE_NONE))
    docs = parse_all([r["Text"] for r in table], cache, path.stem)
    n = 0
    for g, (r, doc) in enumerate(zip(table, docs, strict=True)):
        index = ActorIndex(doc, coref=False)
        p0 = int(r["Pronoun-offset"])
        span = doc.char_span(p0, p0 + len(r["Pronoun"]), alignment_mode="expand")
        if span is None or span[0].lower_ not in PRONOUNS:
            continue
        pronoun = span[0]
        cands = candidates(pronoun, index)
        if not cands:
            continue
        y = []
        for c in cands:
            gold = 0
            for key in ("A", "B"):
                start = int(r[f"{key}-offset"])
                if r[f"{key}-coref"].upper() == "TRUE" and _holds(c.actor, start, start + len(r[key]), r[key]):
                    gold = 1
            y.append(gold)
        rows.x.append(pair_features(doc, pronoun, cands, index))
        rows.y.append(np.asarray(y))
        rows.group += [len(rows.x)] * len(cands)
        rows.text += [g] * len(cands)
        rows.source += ["gap"] * len(cands)
        rows.person += [PRONOUNS[pronoun.lower_][0] == "person"] * len(cands)
        n += 1
    return n


def split_names(splits: pathlib.Path, part: str) -> list[str]:
    names, current = [], None
    for line in splits.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
        elif current == part and line.strip().startswith("* "):
            names.append(line.strip()[2:].strip())
    return names


def ontogum_rows(folder: pathlib.Path, cache: pathlib.Path | None, rows: Rows, first_group: int) -> int:
    names = [n for n in split_names(folder / "splits.md", "train") if (folder / f"{n}.conll").exists()]
    read = [read_conll(folder / f"{n}.conll") for n in names]
    texts = [conll_text(tokens) for tokens, _ in read]
    docs = parse_all([t for t, _ in texts], cache, "ontogum-train")
    n = 0
    for d, ((tokens, clusters), (_, starts), doc) in enumerate(zip(read, texts, docs, strict=True)):
        index = ActorIndex(doc, coref=False)
        char_clusters = {cid: [(starts[s], starts[e - 1] + len(tokens[e - 1])) for s, e in spans]
                         for cid, spans in clusters.items()}
        of_pronoun = {}
        for cid, spans in char_clusters.items():
            for s, e in spans:
                of_pronoun[(s, e)] = cid
        for token in doc:
            if token.lower_ not in PRONOUNS or not is_referring(token):
                continue
            cid = of_pronoun.get((token.idx, token.idx + len(token.text)))
            cands = candidates(token, index)
            if not cands:
                continue
            gold = char_clusters.get(cid, []) if cid is not None else []
            y = [int(any(s < ge and gs < e for s, e in c.actor.mentions for gs, ge in gold
                         if (gs, ge) != (token.idx, token.idx + len(token.text)))) for c in cands]
            rows.x.append(pair_features(doc, token, cands, index))
            rows.y.append(np.asarray(y))
            rows.group += [len(rows.x)] * len(cands)
            rows.text += [first_group + d] * len(cands)
            rows.source += ["ontogum"] * len(cands)
            rows.person += [PRONOUNS[token.lower_][0] == "person"] * len(cands)
            n += 1
    return n


def link_f1(p: np.ndarray, y: np.ndarray, groups: np.ndarray, threshold: float) -> float:
    """F1 of the links: a pronoun links its best candidate when it scores at least ``threshold``;
    right when that candidate is an antecedent."""
    tp = fp = fn = 0
    for g in np.unique(groups):
        at = np.flatnonzero(groups == g)
        k = at[np.argmax(p[at])]
        linked = p[k] >= threshold
        tp += int(linked and y[k] == 1)
        fp += int(linked and y[k] == 0)
        fn += int(y[at].any() and not (linked and y[k] == 1))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def main(argv: list[str] | None = None) -> int:
    from onrecord.train.attributions import fit_trees

    ap = argparse.ArgumentParser(prog="python -m onrecord.train.coref", description=__doc__.split("\n")[0])
    ap.add_argument("data", type=pathlib.Path, help="folder with gap/ and ontogum/")
    ap.add_argument("--out", type=pathlib.Path, default=DATA)
    ap.add_argument("--cache", type=pathlib.Path, default=None, help="keep the parsed texts here")
    args = ap.parse_args(argv)
    began = time.time()
    names = world_names(args.out / "given_names.json")
    print(f"given names: {names}", file=sys.stderr)
    rows = Rows([], [], [], [], [], [])
    n_gap = gap_rows(args.data / "gap" / "gap-development.tsv", args.cache, rows)
    n_onto = ontogum_rows(args.data / "ontogum", args.cache, rows, first_group=100_000)
    x, y = np.concatenate(rows.x), np.concatenate(rows.y)
    groups, texts, source = np.asarray(rows.group), np.asarray(rows.text), np.asarray(rows.source)
    person = np.asarray(rows.person)
    print(f"pronouns: GAP {n_gap}, OntoGUM {n_onto}; pairs {len(y)}, positive {int(y.sum())}", file=sys.stderr)
    # out-of-fold scores: five folds by text
    fold = texts % 5
    oof = np.zeros(len(y))
    for k in range(5):
        trees = fit_trees(x[fold != k], y[fold != k])
        oof[fold == k] = trees.score(x[fold == k])
    grid = np.round(np.arange(0.05, 0.9, 0.025), 3)

    def best(rows_in: np.ndarray) -> tuple[float, float]:
        f1s = [link_f1(oof[rows_in], y[rows_in], groups[rows_in], t) for t in grid]
        return float(grid[int(np.argmax(f1s))]), max(f1s)

    gap, onto = source == "gap", source == "ontogum"
    threshold, gap_f1 = best(gap)  # he/she: GAP's pronouns
    threshold_other, other_f1 = best(onto & ~person)  # it/they: OntoGUM's
    figures = {"gap_dev_link_f1_cv": round(gap_f1, 4), "threshold": threshold,
               "ontogum_train_he_she_link_f1_cv": round(link_f1(oof[onto & person], y[onto & person],
                                                                groups[onto & person], threshold), 4),
               "ontogum_train_it_they_link_f1_cv": round(other_f1, 4), "threshold_it_they": threshold_other}
    trees = fit_trees(x, y)
    np.savez(args.out / "coref.npz", features=np.asarray(FEATURES), threshold=np.float64(threshold),
             threshold_other=np.float64(threshold_other),
             bias=np.float64(trees.bias), **{f"tree_{part}": getattr(trees, part) for part in TREE_PARTS})
    card = {"model": "pronoun ranker: boosted trees over (pronoun, candidate actor) features",
            "trained_on": {"gap_development_pronouns": n_gap, "ontogum_train_pronouns": n_onto,
                           "pairs": len(y)},
            "features": list(FEATURES), "given_names": names, **figures,
            "command": "python -m onrecord.train.coref DATA_DIR", "minutes": round((time.time() - began) / 60, 1)}
    (args.out / "coref.json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(figures), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
