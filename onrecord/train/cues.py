"""Learn the attribution cue lexicon from a brat corpus annotated like PolNeAR (training part only).

    python -m onrecord.train.cues DATA_DIR [--out onrecord/data/cues.json] [--limit N] [--jobs N]

DATA_DIR holds text/<article>.txt and attributions/<article>_<annotator>.ann (the annotator id that
sorts first is used, as ``onrecord evaluate`` does). Every article is parsed with onrecord's own
pipeline (paragraph sentences, same model) and, for every lemma the parser tags as a verb, noun or
adjective, we count how often it occurs and how often it heads an annotated cue, and how the
content and the source hang on it in the parse (dependency label, or ``prep:WORD`` for a content
reached through a preposition), and how often the lemma has such a dependent at all. The output
holds lemmas, part-of-speech tags, labels and counts only, never any of the corpus's text.
"""

from __future__ import annotations

import argparse
import collections
import json
import pathlib
import sys

from spacy.tokens import Doc, Token

from onrecord.evaluate import read_ann

OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "cues.json"
POS = ("VERB", "NOUN", "ADJ", "AUX")


def annotated_articles(folder: pathlib.Path) -> list[tuple[pathlib.Path, pathlib.Path]]:
    """(text, annotation) of every article of a brat folder, one annotator each (the id that sorts first)."""
    chosen: dict[str, tuple[str, pathlib.Path]] = {}
    for ann in (folder / "attributions").glob("*.ann"):
        article, _, annotator = ann.stem.rpartition("_")
        if article and (article not in chosen or annotator < chosen[article][0]):
            chosen[article] = (annotator, ann)
    out = []
    for article in sorted(chosen):
        txt = folder / "text" / (article + ".txt")
        if txt.exists():
            out.append((txt, chosen[article][1]))
    return out


def span_root(doc: Doc, start: int, end: int) -> Token | None:
    """The token of [start, end) whose head lies outside it (the first such, if several)."""
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or not len(span):
        return None
    inside = {t.i for t in span}
    roots = [t for t in span if t.head.i not in inside or t.head == t]
    content_words = [t for t in roots if t.pos_ in POS]
    return (content_words or roots or [span.root])[0]


def relation(cue: Token, target: Token | None) -> str | None:
    """How ``target`` hangs on ``cue``: its label, ``prep:WORD`` through a preposition, or None."""
    if target is None or target == cue:
        return None
    if target.head == cue:
        return target.dep_
    if target.head.head == cue and target.head.dep_ in ("prep", "agent"):
        return f"{target.head.dep_}:{target.head.lower_}"
    if cue.head == target:
        return "^" + cue.dep_  # the cue modifies the content ("the claim, he said, …") or the source
    return "other"


def _root_in(doc: Doc, pieces: list[tuple[int, int]]) -> Token | None:
    if not pieces:
        return None
    start, end = min(s for s, _ in pieces), max(e for _, e in pieces)
    return span_root(doc, start, end)


def count(docs: list[tuple[Doc, str]]) -> dict[str, dict[str, object]]:
    totals: collections.Counter[str] = collections.Counter()
    cues: collections.Counter[str] = collections.Counter()
    content: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    source: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    # how often each lemma has each kind of dependent at all, so that a rule can ask "how often is
    # a 'call' with a 'prep:for' dependent a cue" rather than "how often is 'call' a cue"
    rels: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for doc, ann in docs:
        for t in doc:
            if t.pos_ in POS:
                key = f"{t.lemma_.lower()}/{t.pos_}"
                totals[key] += 1
                kinds = {c.dep_ for c in t.children}
                kinds |= {f"{c.dep_}:{c.lower_}" for c in t.children if c.dep_ in ("prep", "agent")}
                rels[key].update(kinds)
        mentions, relations = read_ann(ann)
        seen: set[int] = set()
        for rel in relations:
            cue_pieces = mentions.get(rel.get("Cue", ""), ("", []))[1]
            if not cue_pieces:
                continue
            s, e = cue_pieces[0]  # the first piece carries the word ("said" of "said … on Monday")
            cue = span_root(doc, s, e)
            if cue is None or cue.pos_ not in POS or cue.i in seen:
                continue
            seen.add(cue.i)
            key = f"{cue.lemma_.lower()}/{cue.pos_}"
            cues[key] += 1
            c_rel = relation(cue, _root_in(doc, mentions.get(rel.get("Content", ""), ("", []))[1]))
            s_rel = relation(cue, _root_in(doc, mentions.get(rel.get("Source", ""), ("", []))[1]))
            content[key][c_rel or "none"] += 1
            source[key][s_rel or "none"] += 1
    out: dict[str, dict[str, object]] = {}
    for key in sorted(cues):
        out[key] = {"cue": cues[key], "total": max(totals[key], cues[key]),
                    "content": dict(content[key].most_common()), "source": dict(source[key].most_common()),
                    "with": {r: rels[key][r] for r in content[key] if r in rels[key]}}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m onrecord.train.cues", description=__doc__.split("\n")[0])
    parser.add_argument("data", type=pathlib.Path, help="brat folder (text/, attributions/), training part")
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    import spacy

    import onrecord.component  # noqa: F401  (registers onrecord_paragraphs)
    from onrecord.parse import MODEL

    articles = annotated_articles(args.data)
    if args.limit:
        articles = articles[: args.limit]
    if not articles:
        print(f"no annotated articles in {args.data}", file=sys.stderr)
        return 2
    nlp = spacy.load(MODEL)
    nlp.add_pipe("onrecord_paragraphs", before="parser")
    texts = [t.read_text(encoding="utf-8") for t, _ in articles]
    anns = [a.read_text(encoding="utf-8") for _, a in articles]
    docs = list(zip(nlp.pipe(texts, n_process=args.jobs, batch_size=8), anns, strict=True))
    lexicon = count(docs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # one lemma a line, so that a retrained lexicon diffs readably
    lines = [f"{json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in lexicon.items()]
    body = ",\n".join(lines)
    args.out.write_text(f'{{"schema": "onrecord-cues/1", "articles": {len(articles)}, "lemmas": {{\n{body}\n}}}}\n',
                        encoding="utf-8")
    print(f"{len(lexicon)} cue lemmas from {len(articles)} articles -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
