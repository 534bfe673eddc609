"""`onrecord evaluate`: score the analysis against gold readings, in-process.

    onrecord evaluate GOLD... [--format table|json] [--min NAME=VALUE] [--limit N] [--jobs N]
                              [--per-doc] [--errors FILE]

GOLD is an onrecord-gold/1 JSON file, a folder of them, or a brat standoff folder as in PolNeAR
(text/<article>.txt and attributions/<article>_<annotator>.ann; the annotator id that sorts first
is used). Each document is read with ``onrecord.read.read_path`` and analysed with
``onrecord.analyze``; a document that cannot be read or analysed scores zero and is listed.

GAP ``.tsv`` files and CoNLL coreference files (or folders of them; ``--split NAME``) are scored for
coreference instead, beside the rule-only resolver: see ``onrecord.evaluate_coref``.

Three families of figures:

1. Word-match figures, the same as the team's score.py with the same semantics: two spans match
   when the F1 of their word multisets is >= 0.5 (quotes, case and punctuation ignored), greedy
   one-to-one. attr_p/r/f1, speaker, form, exact, via, unsourced_p/r/f1, boilerplate_p/r/f1
   (0.8 threshold), flags, failed_docs. Brat gold is turned into gold readings exactly as
   polnear.py does (form from quote marks, "unsourced" = sentences no span touches).
2. CofeNet-style exact-span P/R/F1 per role (source, cue, content), over the distinct spans of
   each role in each document. Spans are compared by character offsets after normalisation:
   a discontinuous gold span becomes its covering span, then whitespace, quote marks and
   punctuation (see EDGE) are stripped from both ends of gold and predicted spans alike (a span
   that is nothing but punctuation, such as a ":" cue, keeps its punctuation).
   onrecord-gold gives strings only: they are located in the analysed text (content: first
   unused occurrence; speaker_text and cue: the occurrence nearest that content; whitespace
   and quote styles are tolerated); a string that cannot be located counts as missed
   (figure unlocated_spans).
3. SFU Gender Gap Tracker-style quote P/R/F1: a predicted content matches a gold content when
   their character overlap / the longer length >= 30% (quote30) or 80% (quote80), greedy
   one-to-one; direct30/direct80 do the same on attributions whose form is "direct" on both
   sides. A discontinuous gold content is compared by its covering span, as in 2, because a record
   gives one content span per attribution.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import concurrent.futures
import difflib
import functools
import json
import os
import pathlib
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from onrecord import evaluate_flags
from onrecord.errors import InputError, OnrecordError
from onrecord.positions.evaluate import READERS, is_positions_gold, run_positions
from onrecord.record import CONVENTIONS

AnalyzeFn = Callable[..., Any]
ReadFn = Callable[[pathlib.Path], Any]
Span = tuple[int, int]

ROLES = ("source", "cue", "content")

# --- word matching (score.py semantics) -------------------------------------------------------

QUOTES = str.maketrans({c: '"' for c in "\u201c\u201d\u201e\u00ab\u00bb"} | {c: "'" for c in "\u2018\u2019\u201a"})
WORD = re.compile(r"[\w%]+(?:['\-][\w%]+)*")


def words(text: str | None) -> list[str]:
    """Lower-cased words of `text`, quote styles unified, punctuation dropped."""
    if not text:
        return []
    return WORD.findall(text.translate(QUOTES).replace("\u00a0", " ").lower())


MATCH = 0.5  # word F1 at which two spans are the same statement, as in the team's scorer


def _bag_f1(a: collections.Counter[str], b: collections.Counter[str]) -> float:
    """F1 of two word multisets."""
    common = sum((a & b).values())
    if not common:
        return 0.0
    # Same operation order as score.py so that equal scores tie-break identically.
    p, r = common / sum(b.values()), common / sum(a.values())
    return 2 * p * r / (p + r)


def overlap(a: str | None, b: str | None) -> float:
    """F1 of the word multisets of `a` and `b`."""
    return _bag_f1(collections.Counter(words(a)), collections.Counter(words(b)))


def greedy(scores: Iterable[tuple[float, int, int]], threshold: float) -> list[tuple[int, int]]:
    """One-to-one pairs (gold index, pred index), best score first.

    Ties go to the higher gold index, then the higher prediction index: that is the order score.py's
    reverse sort of (score, gold, pred) produces, and our figures must equal its figures.
    """
    ranked = sorted((s for s in scores if s[0] >= threshold), reverse=True)
    used_g: set[int] = set()
    used_p: set[int] = set()
    out = []
    for _, gi, pi in ranked:
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        out.append((gi, pi))
    return out


def word_scores(gold: Sequence[str | None], pred: Sequence[str | None],
                threshold: float = MATCH) -> list[tuple[float, int, int]]:
    """(word F1, gold index, prediction index) of every pair whose word F1 reaches ``threshold``."""
    gb = [collections.Counter(words(g)) for g in gold]
    pb = [collections.Counter(words(p)) for p in pred]
    return [(f1, gi, pi) for gi, g in enumerate(gb) for pi, p in enumerate(pb) if (f1 := _bag_f1(g, p)) >= threshold]


def match_words(gold: Sequence[str | None], pred: Sequence[str | None],
                threshold: float = MATCH) -> list[tuple[int, int]]:
    """Greedy one-to-one matching of two lists of strings by word overlap."""
    return greedy(word_scores(gold, pred, threshold), threshold)


def text_of(value: Any, sub: str = "text") -> str | None:
    """A record field as text: the string itself, or an object's `sub`, "text" or "name" (first non-empty)."""
    if isinstance(value, dict):
        value = value.get(sub) or value.get("text") or value.get("name")
    return value if isinstance(value, str) else None


# --- gold readings ----------------------------------------------------------------------------


@dataclass
class GoldAttribution:
    speaker: str
    content: str
    form: str
    speaker_text: str = ""
    speaker_kind: str | None = None
    cue: str = ""
    via: list[str] = field(default_factory=list)
    # brat only: role -> pieces (char offsets into GoldDoc.text); empty for onrecord-gold.
    pieces: dict[str, list[Span]] = field(default_factory=dict)


@dataclass
class GoldDoc:
    name: str
    source: pathlib.Path  # the gold file (or .ann file) this reading comes from
    document: pathlib.Path
    kind: str  # "onrecord-gold" or "brat"
    attributions: list[GoldAttribution]
    unsourced: list[str] = field(default_factory=list)
    boilerplate: list[str] = field(default_factory=list)
    flags: list[dict[str, str]] = field(default_factory=list)
    text: str | None = None  # brat: the text the offsets refer to


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def load_onrecord_gold(path: pathlib.Path) -> GoldDoc:
    """Read one onrecord-gold/1 file; its "document" is relative to the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"gold file {path}: cannot read it ({exc})") from exc
    if not isinstance(data, dict) or not str(data.get("schema", "onrecord-gold/1")).startswith("onrecord-gold"):
        raise InputError(f"gold file {path}: not an onrecord-gold reading")
    if not isinstance(data.get("document"), str) or not isinstance(data.get("attributions"), list):
        raise InputError(f"gold file {path}: needs \"document\" and \"attributions\"")
    attributions = []
    for item in data["attributions"]:
        if not isinstance(item, dict):
            raise InputError(f"gold file {path}: an attribution is not an object")
        attributions.append(GoldAttribution(
            speaker=_str(item.get("speaker")), content=_str(item.get("content")), form=_str(item.get("form")),
            speaker_text=_str(item.get("speaker_text")), speaker_kind=item.get("speaker_kind"),
            cue=_str(item.get("cue")), via=[v for v in item.get("via") or [] if isinstance(v, str)],
        ))
    flags = [{"code": _str(f.get("code")), "statement": _str(f.get("statement"))}
             for f in data.get("flags") or [] if isinstance(f, dict)]
    return GoldDoc(
        name=path.stem, source=path, document=(path.parent / data["document"]).resolve(), kind="onrecord-gold",
        attributions=attributions, unsourced=[u for u in data.get("unsourced") or [] if isinstance(u, str)],
        boilerplate=[b for b in data.get("boilerplate") or [] if isinstance(b, str)], flags=flags,
    )


# PolNeAR conversion: the same rules as polnear.py, so brat gold scores as its converted gold would.
SENTENCE_END = re.compile(r'(?<=[.!?])["\u201d\u2019)]*\s+(?=["\u201c\u2018(]?[A-Z0-9])|\n+')


def read_ann(text: str) -> tuple[dict[str, tuple[str, list[Span]]], list[dict[str, str]]]:
    """Brat standoff: T mentions (id -> (label, pieces)) and E relations (role -> mention id)."""
    mentions: dict[str, tuple[str, list[Span]]] = {}
    relations: list[dict[str, str]] = []
    for line in text.split("\n"):
        if line.startswith("T") and "\t" in line:
            tid, middle = line.split("\t")[:2]
            label, _, offsets = middle.partition(" ")
            pieces = []
            for part in offsets.split(";"):  # "12 20;25 30": a discontinuous span
                start, end = part.split()
                pieces.append((int(start), int(end)))
            mentions[tid] = (label, pieces)
        elif line.startswith("E") and "\t" in line:
            relations.append(dict(part.split(":", 1) for part in line.split("\t")[1].split()))
    return mentions, relations


def form_of(content: str) -> str:
    """direct: every word inside double quote marks; mixed: some; indirect: none (polnear.py's rule)."""
    inside, words_in, words_out = False, 0, 0
    for token in re.findall(r'["\u201c\u201d]|\w+', content):
        if token == "\u201c":
            inside = True
        elif token == "\u201d":
            inside = False
        elif token == '"':
            inside = not inside
        elif inside:
            words_in += 1
        else:
            words_out += 1
    if not words_in:
        return "indirect"
    return "mixed" if words_out else "direct"


def rule_sentences(text: str) -> Iterator[Span]:
    """Sentence spans by polnear.py's simple rule."""
    start = 0
    for m in SENTENCE_END.finditer(text):
        yield start, m.start()
        start = m.end()
    yield start, len(text)


def brat_reading(text: str, ann: str) -> tuple[list[GoldAttribution], list[str]]:
    """Gold attributions and the unsourced proxy of one annotated article."""
    mentions, relations = read_ann(ann)
    touched: list[Span] = []

    def pieces_of(tid: str | None) -> list[Span]:
        if not tid or tid not in mentions:
            return []
        pieces = mentions[tid][1]
        touched.extend(pieces)  # as polnear.py: touched even when the relation is then dropped
        return pieces

    out = []
    for rel in relations:
        content_pieces = pieces_of(rel.get("Content"))
        content = " ".join(text[s:e] for s, e in content_pieces)
        if not content.strip():
            continue
        source_pieces = pieces_of(rel.get("Source"))
        cue_pieces = pieces_of(rel.get("Cue"))
        speaker = " ".join(text[s:e] for s, e in source_pieces)
        out.append(GoldAttribution(
            speaker=speaker, speaker_text=speaker, speaker_kind="unknown",
            cue=" ".join(text[s:e] for s, e in cue_pieces), form=form_of(content), content=content,
            pieces={"source": source_pieces, "cue": cue_pieces, "content": content_pieces},
        ))
    unsourced = []
    for s, e in rule_sentences(text):
        chunk = text[s:e].strip()
        if len(chunk.split()) >= 4 and not any(a < e and s < b for a, b in touched):
            unsourced.append(chunk)
    return out, unsourced


def load_brat(folder: pathlib.Path) -> list[GoldDoc]:
    """Gold readings of a brat folder, one per article that has both a text and an annotation."""
    chosen: dict[str, tuple[str, pathlib.Path]] = {}
    for ann in (folder / "attributions").glob("*.ann"):
        article, _, annotator = ann.stem.rpartition("_")
        if article and (article not in chosen or annotator < chosen[article][0]):
            chosen[article] = (annotator, ann)
    docs = []
    for article in sorted(chosen):
        ann = chosen[article][1]
        txt = folder / "text" / (article + ".txt")
        if not txt.exists():
            continue
        try:
            text = txt.read_text(encoding="utf-8")
            attributions, unsourced = brat_reading(text, ann.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"brat gold {ann}: cannot read it ({exc})") from exc
        docs.append(GoldDoc(name=article, source=ann, document=txt.resolve(), kind="brat",
                            attributions=attributions, unsourced=unsourced, text=text))
    return docs


def load_golds(paths: Iterable[str | os.PathLike[str]], limit: int = 0) -> list[GoldDoc]:
    """Every gold reading under the given files and folders, in order; at most `limit` if given."""
    docs: list[GoldDoc] = []
    for path in map(pathlib.Path, paths):
        if not path.exists():
            raise InputError(f"gold not found: {path}")
        if path.is_dir() and (path / "attributions").is_dir() and (path / "text").is_dir():
            docs += load_brat(path)
        elif path.is_dir():
            docs += [load_onrecord_gold(p) for p in sorted(path.glob("*.json"))]
        else:
            docs.append(load_onrecord_gold(path))
    if not docs:
        raise InputError("no gold readings found in " + ", ".join(map(str, paths)))
    return docs[:limit] if limit else docs


# --- offsets ------------------------------------------------------------------------------------

# Stripped from both ends of every span before exact comparison: whitespace, quote marks, punctuation.
WHITESPACE = frozenset(" \t\n\r\f\v\u00a0\u2009\u202f")
EDGE = frozenset(" \t\n\r\f\v\u00a0\u2009\u202f"  # whitespace
                 "\"'`\u00b4\u201c\u201d\u201e\u201f\u2018\u2019\u201a\u201b\u00ab\u00bb\u2039\u203a"  # quotes
                 ".,;:!?\u2026-\u2013\u2014()[]{}*")  # punctuation


def trim(text: str, start: int, end: int) -> Span | None:
    """The span without EDGE characters at either end; only without whitespace if that leaves nothing."""
    for strip in (EDGE, WHITESPACE):
        s, e = start, end
        while s < e and text[s] in strip:
            s += 1
        while e > s and text[e - 1] in strip:
            e -= 1
        if s < e:
            return s, e
    return None


class OffsetMap:
    """Maps offsets in the gold's text onto the analysed text, which the reader may have normalised."""

    def __init__(self, src: str, dst: str) -> None:
        self.identity = src == dst
        if self.identity:
            return
        # Align only the differing middle: cheap when the texts differ in a few places.
        limit = min(len(src), len(dst))
        pre = 0
        while pre < limit and src[pre] == dst[pre]:
            pre += 1
        suf = 0
        while suf < limit - pre and src[-1 - suf] == dst[-1 - suf]:
            suf += 1
        blocks = [(0, 0, pre)]
        matcher = difflib.SequenceMatcher(None, src[pre:len(src) - suf], dst[pre:len(dst) - suf], autojunk=False)
        blocks += [(a + pre, b + pre, n) for a, b, n in matcher.get_matching_blocks() if n]
        blocks.append((len(src) - suf, len(dst) - suf, suf))
        self.blocks = [blk for blk in blocks if blk[2]]
        self.starts = [a for a, _, _ in self.blocks]

    def span(self, start: int, end: int) -> Span | None:
        """(start, end) in the analysed text, shrunk to the characters both texts share; None if none."""
        if self.identity:
            return start, end
        i = bisect.bisect_right(self.starts, start) - 1
        if i >= 0 and start < self.blocks[i][0] + self.blocks[i][2]:
            new_start = self.blocks[i][1] + start - self.blocks[i][0]
        elif i + 1 < len(self.blocks):
            new_start = self.blocks[i + 1][1]
        else:
            return None
        j = bisect.bisect_right(self.starts, end - 1) - 1
        if j < 0:
            return None
        a, b, n = self.blocks[j]
        new_end = b + min(end - a, n)
        return (new_start, new_end) if new_start < new_end else None


def _pattern(needle: str) -> re.Pattern[str]:
    """A regex for `needle` that tolerates other whitespace and quote styles, at word boundaries."""
    parts = []
    for token in needle.split():
        chars = []
        for ch in token:
            if ch in "\"\u201c\u201d\u201e\u00ab\u00bb":
                chars.append("[\"\u201c\u201d\u201e\u00ab\u00bb]")
            elif ch in "'\u2018\u2019\u201a`":
                chars.append("['\u2018\u2019\u201a`]")
            else:
                chars.append(re.escape(ch))
        parts.append("".join(chars))
    body = r"\s+".join(parts)
    stripped = needle.strip()
    # Word boundaries keep "he" from matching inside "the".
    left = r"(?<!\w)" if stripped[:1].isalnum() else ""
    right = r"(?!\w)" if stripped[-1:].isalnum() else ""
    return re.compile(left + body + right)


def find_all(text: str, needle: str) -> list[Span]:
    """Every (non-overlapping) occurrence of `needle` in `text`."""
    if not needle.strip():
        return []
    return [m.span() for m in _pattern(needle).finditer(text)]


def _distance(text: str, a: Span, b: Span) -> int:
    """Characters between two spans; crossing a line break costs more, as speaker and cue share a paragraph."""
    lo, hi = min(a[1], b[1]), max(a[0], b[0])
    return max(0, hi - lo) + (len(text) if "\n" in text[lo:hi] else 0)


@dataclass
class Located:
    """One gold attribution's role spans in the analysed text (trimmed; None when absent or not found)."""
    spans: dict[str, Span | None]
    unlocated: list[str]  # roles that had gold words but could not be placed


def locate(doc: GoldDoc, text: str) -> list[Located]:
    """Place every gold attribution's source, cue and content in the analysed `text`."""
    out = []
    if doc.kind == "brat":
        mapper = OffsetMap(doc.text or "", text)
        for g in doc.attributions:
            spans: dict[str, Span | None] = {}
            missing = []
            for role in ROLES:
                mapped = [m for m in (mapper.span(s, e) for s, e in g.pieces.get(role, [])) if m]
                spans[role] = trim(text, min(s for s, _ in mapped), max(e for _, e in mapped)) if mapped else None
                if g.pieces.get(role) and not spans[role]:
                    missing.append(role)
            out.append(Located(spans, missing))
        return out
    used: set[Span] = set()
    for g in doc.attributions:
        spans = dict.fromkeys(ROLES)
        missing = []
        content = next((s for s in find_all(text, g.content) if s not in used), None)
        if content:
            used.add(content)
            spans["content"] = trim(text, *content)
        elif g.content.strip():
            missing.append("content")
        # The source nearest the content, then the cue nearest both ("he said" after a quote, not the
        # "said" that ends the paragraph before it).
        anchors = [content] if content else []
        for role, needle in (("source", g.speaker_text), ("cue", g.cue)):
            hits = find_all(text, needle)
            if hits and anchors:
                best = min(hits, key=lambda h: (sum(_distance(text, h, a) for a in anchors), h[0]))
                anchors.append(best)
                spans[role] = trim(text, *best)
            elif len(hits) == 1:  # without the content, only an unambiguous string can be placed
                spans[role] = trim(text, *hits[0])
            elif needle.strip():
                missing.append(role)
        out.append(Located(spans, missing))
    return out


def pred_span(record: dict[str, Any], value: Any) -> Span | None:
    """A predicted span's trimmed offsets, or None when the record gives no usable offsets."""
    if not isinstance(value, dict):
        return None
    start, end = value.get("start"), value.get("end")
    text = record.get("text")
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end:
        return None
    if isinstance(text, str):
        return trim(text, start, min(end, len(text))) if start < len(text) else None
    return start, end


def char_overlap(a: Span, b: Span) -> float:
    """Characters two spans share, over the length of the longer one."""
    longest = max(a[1] - a[0], b[1] - b[0])
    return max(0, min(a[1], b[1]) - max(a[0], b[0])) / longest if longest > 0 else 0.0


# --- scoring one document ---------------------------------------------------------------------


def _same_speaker(g: GoldAttribution, pred: dict[str, Any]) -> bool:
    """score.py's speaker rule: canonical name or sentence words; surname enough for persons."""
    name = text_of(pred.get("speaker"), "name") or ""
    said = text_of(pred.get("speaker"), "text") or ""
    want = words(g.speaker)
    if not want:  # the gold attribution names no source: right when none is given
        return not (words(name) or words(said))
    for got in (words(name), words(said)):
        if not got:
            continue
        if got == want or (g.speaker_kind == "person" and got[-1] == want[-1]):
            return True
        if g.speaker_kind != "person" and overlap(g.speaker, " ".join(got)) >= 0.5:
            return True
    return False


def _via_names(pred: dict[str, Any]) -> list[str]:
    return [n for n in (text_of(v, "name") for v in pred.get("via") or []) if n]


def _pred_flags(record: dict[str, Any]) -> list[tuple[Any, str]]:
    flags = [(f.get("code"), text_of(f.get("text")) or "") for f in record.get("flags") or [] if isinstance(f, dict)]
    for u in record.get("unsourced") or []:
        if isinstance(u, dict):
            flags += [(f.get("code") if isinstance(f, dict) else f, text_of(u) or "") for f in u.get("flags") or []]
    return flags


def _add_prf(n: collections.Counter[str], name: str, tp: int, n_pred: int, n_gold: int) -> None:
    n[name + ".tp"] += tp
    n[name + ".fp"] += n_pred - tp
    n[name + ".fn"] += n_gold - tp


def _brief_pred(record: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    speaker = p.get("speaker") if isinstance(p.get("speaker"), dict) else {}
    content = p.get("content") if isinstance(p.get("content"), dict) else {}
    return {"id": p.get("id"), "speaker": text_of(speaker, "name"), "speaker_text": speaker.get("text"),
            "speaker_kind": speaker.get("kind"), "cue": text_of(p.get("cue")), "content": text_of(p.get("content")),
            "form": p.get("form"), "via": _via_names(p), "start": content.get("start"), "end": content.get("end")}


def _brief_gold(g: GoldAttribution, where: Located) -> dict[str, Any]:
    out: dict[str, Any] = {"speaker": g.speaker, "speaker_text": g.speaker_text, "speaker_kind": g.speaker_kind,
                           "cue": g.cue, "content": g.content, "form": g.form, "via": g.via}
    span = where.spans["content"]
    if span:
        out["start"], out["end"] = span
    return out


def _context(text: str | None, span: Span | None, width: int = 80) -> dict[str, str] | None:
    """The words around a span, so a reader of the errors file sees the speaker and cue nearby."""
    if not text or not span:
        return None
    return {"left": text[max(0, span[0] - width):span[0]], "right": text[span[1]:span[1] + width]}


def score_document(doc: GoldDoc, record: dict[str, Any],
                   errors: list[dict[str, Any]] | None = None) -> collections.Counter[str]:
    """Counts for every figure on one document; misses go to `errors` when given."""
    n: collections.Counter[str] = collections.Counter()
    errs: list[dict[str, Any]] = errors if errors is not None else []
    text = record.get("text") if isinstance(record.get("text"), str) else None
    attrs = [a for a in record.get("attributions") or [] if isinstance(a, dict)]
    gold = doc.attributions
    n["docs"] += 1
    n["gold_attributions"] += len(gold)
    n["pred_attributions"] += len(attrs)
    # A failed document still places its gold spans (brat: in the gold text) so that they count as missed.
    where = locate(doc, text if text is not None else doc.text or "")

    # 1. word-match figures, as score.py
    contents = [text_of(p.get("content")) for p in attrs]
    pairs = match_words([g.content for g in gold], contents)
    _add_prf(n, "attr", len(pairs), len(attrs), len(gold))
    paired_g = {gi: pi for gi, pi in pairs}
    paired_p = set(paired_g.values())
    for gi, pi in pairs:
        g, p = gold[gi], attrs[pi]
        wg, wp = words(g.content), words(contents[pi])
        ok = _same_speaker(g, p)
        n["speaker.total"] += 1
        n["speaker.ok"] += ok
        if not ok:
            errs.append({"kind": "speaker", "gold": _brief_gold(g, where[gi]), "pred": _brief_pred(record, p)})
        n["form.total"] += 1
        n["form.ok"] += p.get("form") == g.form
        if p.get("form") != g.form:
            errs.append({"kind": "form", "gold_form": g.form, "pred_form": p.get("form"),
                         "gold": _brief_gold(g, where[gi]), "pred": _brief_pred(record, p)})
        n["exact.total"] += 1
        n["exact.ok"] += wp == wg
        if wp != wg:
            missing = collections.Counter(wg) - collections.Counter(wp)
            extra = collections.Counter(wp) - collections.Counter(wg)
            errs.append({"kind": "boundary", "gold": g.content, "pred": contents[pi],
                         "missing_words": sorted(missing.elements()), "extra_words": sorted(extra.elements())})
        for v in g.via:
            hit = any(overlap(v, name) >= 0.5 for name in _via_names(p))
            n["via.total"] += 1
            n["via.ok"] += hit
            if not hit:
                errs.append({"kind": "via", "gold_via": v, "pred_via": _via_names(p), "content": g.content})
    for gi, g in enumerate(gold):
        if gi not in paired_g:
            best = max(((overlap(g.content, c), pi) for pi, c in enumerate(contents)), default=(0.0, -1))
            row = {"kind": "missed", "gold": _brief_gold(g, where[gi]),
                   "context": _context(text, where[gi].spans["content"])}
            if best[1] >= 0 and best[0] > 0:
                row["nearest_pred"] = {**_brief_pred(record, attrs[best[1]]), "overlap": round(best[0], 3),
                                       "taken": best[1] in paired_p}
            errs.append(row)
    for pi, p in enumerate(attrs):
        if pi not in paired_p:
            best = max(((overlap(g.content, contents[pi]), gi) for gi, g in enumerate(gold)), default=(0.0, -1))
            row = {"kind": "spurious", "pred": _brief_pred(record, p),
                   "context": _context(text, pred_span(record, p.get("content")))}
            if best[1] >= 0 and best[0] > 0:
                row["nearest_gold"] = {**_brief_gold(gold[best[1]], where[best[1]]), "overlap": round(best[0], 3),
                                       "taken": best[1] in paired_g}
            errs.append(row)

    unsourced = [text_of(u) for u in record.get("unsourced") or []]
    upairs = match_words(doc.unsourced, unsourced)
    _add_prf(n, "unsourced", len(upairs), len(unsourced), len(doc.unsourced))
    _missed_spurious(errs, "unsourced", doc.unsourced, unsourced, upairs)

    removed = [text_of(b) for b in record.get("boilerplate") or []]
    bpairs = match_words(doc.boilerplate, removed, 0.8)
    _add_prf(n, "boilerplate", len(bpairs), len(removed), len(doc.boilerplate))
    _missed_spurious(errs, "boilerplate", doc.boilerplate, removed, bpairs)

    flags = _pred_flags(record)
    for f in doc.flags:
        hit = any(code == f["code"] and overlap(f["statement"], said) >= 0.5 for code, said in flags)
        n["flags.total"] += 1
        n["flags.ok"] += hit
        if not hit:
            errs.append({"kind": "flag-missed", "code": f["code"], "statement": f["statement"],
                         "pred_same_code": [said for code, said in flags if code == f["code"]]})

    # 2. exact spans per role, over each role's distinct spans
    for role, key in (("source", "speaker"), ("cue", "cue"), ("content", "content")):
        gold_set = {w.spans[role] for w in where if w.spans[role]}
        unplaced = sum(1 for w in where if role in w.unlocated)
        pred_set = {s for s in (pred_span(record, p.get(key)) for p in attrs) if s}
        tp = len(gold_set & pred_set)
        _add_prf(n, f"{role}_span", tp, len(pred_set), len(gold_set) + unplaced)
        if text is not None:
            n["unlocated_spans"] += unplaced
        for gi, pi in pairs:
            g_span, p_span = where[gi].spans[role], pred_span(record, attrs[pi].get(key))
            if g_span != p_span and text is not None and (g_span or p_span):
                errs.append({"kind": "span", "role": role,
                             "gold": text[g_span[0]:g_span[1]] if g_span else None, "gold_offsets": g_span,
                             "pred": text[p_span[0]:p_span[1]] if p_span else None, "pred_offsets": p_span,
                             "content": gold[gi].content})

    # 3. quote overlap (GGT-style)
    pred_spans = [pred_span(record, p.get("content")) for p in attrs]
    for label, direct_only in (("quote", False), ("direct", True)):
        gi_list = [i for i, g in enumerate(gold) if not direct_only or g.form == "direct"]
        pi_list = [i for i, p in enumerate(attrs) if not direct_only or p.get("form") == "direct"]
        scores = []
        for gi in gi_list:
            g_span = where[gi].spans["content"]
            for pi in pi_list:
                p_span = pred_spans[pi]
                if g_span and p_span:
                    scores.append((char_overlap(g_span, p_span), gi, pi))
        for pct in (30, 80):
            tp = len(greedy(scores, pct / 100))
            _add_prf(n, f"{label}{pct}", tp, len(pi_list), len(gi_list))
    return n


def _missed_spurious(errs: list[dict[str, Any]], what: str, gold: Sequence[str], pred: Sequence[str | None],
                     pairs: list[tuple[int, int]]) -> None:
    got_g, got_p = {gi for gi, _ in pairs}, {pi for _, pi in pairs}
    errs += [{"kind": f"{what}-missed", "gold": g} for i, g in enumerate(gold) if i not in got_g]
    errs += [{"kind": f"{what}-spurious", "pred": p} for i, p in enumerate(pred) if i not in got_p]


# --- figures -----------------------------------------------------------------------------------

SCORE_PY = ("attr_p", "attr_r", "attr_f1", "unsourced_p", "unsourced_r", "unsourced_f1", "boilerplate_p",
            "boilerplate_r", "boilerplate_f1", "speaker", "form", "exact", "via", "flags", "failed_docs")
SUMMARY = ("attr_f1", "speaker", "form", "exact", "unsourced_f1", "boilerplate_f1", "flags",
           "content_span_f1", "quote30_f1", "failed_docs")
SECTIONS = (("word match (as score.py)", SCORE_PY),
            ("exact spans (CofeNet-style)", tuple(f"{r}_span_{m}" for r in ROLES for m in ("p", "r", "f1"))),
            ("quote overlap (GGT-style)", tuple(f"{q}{t}_{m}" for q in ("quote", "direct") for t in (30, 80)
                                                for m in ("p", "r", "f1"))),
            ("counts", ("docs", "gold_attributions", "pred_attributions", "unlocated_spans")))
FIGURES = tuple(name for _, names in SECTIONS for name in names)


def _prf(n: collections.Counter[str], name: str) -> tuple[float, float, float]:
    tp, fp, fn = n[name + ".tp"], n[name + ".fp"], n[name + ".fn"]
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def figures(n: collections.Counter[str]) -> dict[str, float | int]:
    """Every figure from summed counts (micro-averaged over documents)."""
    out: dict[str, float | int] = {}
    prf_names = ["attr", "unsourced", "boilerplate"] + [f"{r}_span" for r in ROLES]
    prf_names += [f"{q}{t}" for q in ("quote", "direct") for t in (30, 80)]
    for name in prf_names:
        out[f"{name}_p"], out[f"{name}_r"], out[f"{name}_f1"] = _prf(n, name)
    for name in ("speaker", "form", "exact", "via", "flags"):
        total = n[name + ".total"]
        out[name] = n[name + ".ok"] / total if total else 0.0
    for name in ("failed_docs", "docs", "gold_attributions", "pred_attributions", "unlocated_spans"):
        out[name] = n[name]
    return {name: out[name] for name in FIGURES}


# --- running the analysis -----------------------------------------------------------------------


def default_analyze(convention: str = "onrecord") -> AnalyzeFn:
    from onrecord import analyze  # imported late: loading the pipeline is the expensive part

    return functools.partial(analyze, convention=convention)


def default_read() -> ReadFn:
    from onrecord.read import read_path

    return read_path


def _as_dict(record: Any) -> dict[str, Any]:
    if hasattr(record, "to_dict"):
        return record.to_dict()
    if isinstance(record, dict):
        return record
    raise TypeError(f"analysis returned {type(record).__name__}, not a record")


def analyse_one(path: pathlib.Path, analyze_fn: AnalyzeFn, read_fn: ReadFn) -> tuple[dict[str, Any] | None, str]:
    """(record as a dict, "") or (None, why it failed): never raises, so one document cannot stop a run."""
    try:
        document = read_fn(path)
        # What the reader learnt about the document (title, url, ...) goes along, as `onrecord analyze` does.
        meta = {k: v for k in METADATA if (v := getattr(document, k, None)) is not None}
        return _as_dict(analyze_fn(document.text, **meta)), ""
    except OnrecordError as exc:
        return None, str(exc)
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


METADATA = ("title", "url", "published", "outlet", "id")
_WORKER: dict[str, Any] = {}


def _init_worker(analyze_fn: AnalyzeFn, read_fn: ReadFn) -> None:
    # Once per worker process: the pipeline is loaded by its first document and reused for the rest.
    _WORKER["analyze"] = analyze_fn
    _WORKER["read"] = read_fn


def _work(path: pathlib.Path) -> tuple[dict[str, Any] | None, str]:
    return analyse_one(path, _WORKER["analyze"], _WORKER["read"])


def analyse_all(paths: Sequence[pathlib.Path], analyze_fn: AnalyzeFn | None = None, read_fn: ReadFn | None = None,
                jobs: int = 1) -> list[tuple[dict[str, Any] | None, str]]:
    """Analyse every document, in order; with jobs > 1 in a pool of worker processes."""
    try:
        analyze = analyze_fn or default_analyze()
        read = read_fn or default_read()
    except ImportError as exc:  # every document fails the same way: say so once per document, score zero
        return [(None, f"cannot load the analysis: {exc}")] * len(paths)
    if jobs <= 1 or len(paths) <= 1:
        return [analyse_one(p, analyze, read) for p in paths]
    with concurrent.futures.ProcessPoolExecutor(max_workers=min(jobs, len(paths)), initializer=_init_worker,
                                                initargs=(analyze, read)) as pool:
        try:
            return list(pool.map(_work, paths))
        except concurrent.futures.process.BrokenProcessPool as exc:
            raise OnrecordError(f"a worker process died ({exc}); try --jobs 1") from exc


@dataclass
class Evaluation:
    figures: dict[str, float | int]
    documents: list[dict[str, Any]]  # per document: name, gold, document, failed, figures
    failed: list[dict[str, str]]
    errors: list[dict[str, Any]]


def evaluate_documents(golds: Sequence[GoldDoc], analyze_fn: AnalyzeFn | None = None, read_fn: ReadFn | None = None,
                       jobs: int = 1) -> Evaluation:
    """Analyse and score every gold document; figures summed over all of them."""
    results = analyse_all([g.document for g in golds], analyze_fn, read_fn, jobs)
    total: collections.Counter[str] = collections.Counter()
    documents, failed, errors = [], [], []
    for doc, (record, why) in zip(golds, results, strict=True):
        doc_errors: list[dict[str, Any]] = []
        counts = score_document(doc, record or {}, doc_errors)
        if record is None:
            counts["failed_docs"] += 1
            failed.append({"doc": doc.name, "error": why})
            doc_errors.insert(0, {"kind": "failed", "error": why})
        total.update(counts)
        head = {"doc": doc.name, "gold_file": str(doc.source), "document": str(doc.document)}
        errors += [{**head, **row} for row in doc_errors]
        documents.append({**head, "failed": record is None, "figures": figures(counts)})
    return Evaluation(figures(total), documents, failed, errors)


# --- command line --------------------------------------------------------------------------------


def _fmt(value: float | int) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def summary_line(figs: dict[str, float | int], below: Sequence[str] = ()) -> str:
    """One line of headline figures, like score.py's last line."""
    parts = [f"{k}={figs[k]:.2f}" if isinstance(figs[k], float) else f"{k}={figs[k]}" for k in SUMMARY]
    return " ".join(parts) + (" BELOW " + ",".join(below) if below else "")


def parse_mins(specs: Sequence[str]) -> list[tuple[str, float]]:
    """--min NAME=VALUE options, checked against the known figures."""
    out = []
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or name not in FIGURES:
            raise InputError(f"--min {spec}: expected NAME=VALUE with NAME one of {', '.join(FIGURES)}")
        try:
            out.append((name, float(value)))
        except ValueError as exc:
            raise InputError(f"--min {spec}: {value!r} is not a number") from exc
    return out


def render_table(ev: Evaluation, per_doc: bool) -> str:
    """The figures as a readable table, optionally followed by one row per document."""
    lines = []
    for title, names in SECTIONS:
        lines.append(f"{title}")
        lines += [f"  {name:<20}{_fmt(ev.figures[name]):>8}" for name in names]
    if per_doc:
        cols = ("gold_attributions", "pred_attributions", "attr_f1", "speaker", "form", "content_span_f1",
                "quote30_f1", "unsourced_f1")
        heads = ("gold", "pred", "attr_f1", "speaker", "form", "span_f1", "q30_f1", "uns_f1")
        width = max([len("document")] + [len(d["doc"]) for d in ev.documents])
        width = min(width, 60)
        lines.append("")
        lines.append(f"{'document':<{width}}" + "".join(f"{h:>9}" for h in heads))
        for d in ev.documents:
            name = d["doc"] if len(d["doc"]) <= width else d["doc"][:width - 1] + "…"
            row = "".join(f"{_fmt(d['figures'][c]):>9}" for c in cols)
            lines.append(f"{name:<{width}}{row}" + ("  FAILED" if d["failed"] else ""))
    return "\n".join(lines)


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `evaluate` command to the CLI's subparsers."""
    ap = subparsers.add_parser(
        "evaluate", help="score the analysis against gold readings (onrecord-gold JSON or brat/PolNeAR)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gold", nargs="+", metavar="GOLD", help="gold file, folder of gold files, or brat folder")
    ap.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    ap.add_argument("--min", action="append", default=[], metavar="NAME=VALUE",
                    help="exit 1 when figure NAME is below VALUE (repeatable)")
    ap.add_argument("--limit", type=int, default=0, metavar="N", help="evaluate only the first N documents")
    ap.add_argument("--jobs", type=int, default=1, metavar="N", help="analyse in N worker processes")
    ap.add_argument("--per-doc", action="store_true", help="also show figures per document")
    ap.add_argument("--errors", metavar="FILE", help="write every miss as JSON lines to FILE, for error analysis")
    ap.add_argument("--convention", choices=CONVENTIONS, default="onrecord",
                    help="what counts as an attribution (as `onrecord analyze --convention`)")
    ap.add_argument("--split", metavar="NAME",
                    help="CoNLL coreference folders: only the documents splits.md lists under NAME (e.g. dev)")
    ap.add_argument("--stance-reader", choices=READERS, default="reader",
                    help="positions gold: the stance reader (default) or the nearest-example embeddings")
    ap.set_defaults(func=run)
    return ap


def run_coref(args: argparse.Namespace) -> int:
    """`onrecord evaluate` on coreference gold (GAP .tsv, CoNLL files): see ``onrecord.evaluate_coref``."""
    from onrecord.evaluate_coref import evaluate_coref, render

    try:
        rows = evaluate_coref(args.gold, args.limit, args.split)
    except OnrecordError as exc:
        print(f"onrecord evaluate: {exc}", file=sys.stderr)
        return 2
    mins = parse_mins(args.min)
    ours = {k: v for row in rows if row["coref_resolver"] == "onrecord" for k, v in row.items()}
    below = [f"{name}<{value:g}" for name, value in mins if not isinstance(ours.get(name), (int, float))
             or ours[name] < value]
    print(json.dumps({"figures": rows}, indent=1) if args.format == "json" else render(rows))
    return 1 if below else 0


def _run_flags(args: argparse.Namespace, kind: str, analyze_fn: AnalyzeFn | None) -> int:
    """A planted-contradiction set, a folder of clean articles or CheckThat! files (``onrecord.evaluate_flags``)."""
    folder = pathlib.Path(args.gold[0])
    analyze_text = None
    if analyze_fn is not None or getattr(args, "convention", "onrecord") != "onrecord":
        fn = analyze_fn or default_analyze(args.convention)
        analyze_text = lambda text: _as_dict(fn(text))  # noqa: E731
    try:
        mins = parse_mins(args.min)
        if kind == "planted":
            result = evaluate_flags.score_planted(folder, analyze_text)
        elif kind == "clean":
            result = evaluate_flags.score_clean(folder, analyze_text)
        else:
            result = evaluate_flags.score_checkthat(folder)
    except OnrecordError as exc:
        print(f"onrecord evaluate: {exc}", file=sys.stderr)
        return 2
    figs = result["figures"]
    below = [f"{name}<{value:g}" for name, value in mins
             if not isinstance(figs.get(name), int | float) or figs[name] < value]
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.format == "json"
          else evaluate_flags.render(kind, result))
    return 1 if below else 0


def run(args: argparse.Namespace, analyze_fn: AnalyzeFn | None = None, read_fn: ReadFn | None = None) -> int:
    """Run `onrecord evaluate`; returns the exit code (1: a --min figure is below, 2: bad input)."""
    from onrecord.evaluate_coref import is_coref_gold

    if analyze_fn is None and read_fn is None and is_coref_gold(args.gold):
        return run_coref(args)
    flag_kind = evaluate_flags.kind_of_folder(pathlib.Path(args.gold[0])) if len(args.gold) == 1 else None
    if flag_kind is not None:
        return _run_flags(args, flag_kind, analyze_fn)
    try:
        if args.limit < 0 or args.jobs < 1:
            raise InputError("--limit must be >= 0 and --jobs >= 1")
        mins = parse_mins(args.min)
        if is_positions_gold(args.gold):  # tests/positions_gold: positions against codebooks, over time
            return run_positions(args, mins)
        golds = load_golds(args.gold, args.limit)
        if analyze_fn is None and getattr(args, "convention", "onrecord") != "onrecord":
            analyze_fn = default_analyze(args.convention)
        ev = evaluate_documents(golds, analyze_fn, read_fn, args.jobs)
        if args.errors:
            try:
                with open(args.errors, "w", encoding="utf-8") as out:
                    out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in ev.errors)
            except OSError as exc:
                raise InputError(f"--errors {args.errors}: {exc.strerror or exc}") from exc
    except OnrecordError as exc:
        print(f"onrecord evaluate: {exc}", file=sys.stderr)
        return 2
    below = [f"{name}<{value:g}" for name, value in mins if ev.figures[name] < value]
    line = summary_line(ev.figures, below)
    for f in ev.failed:
        print(f"failed: {f['doc']}: {f['error']}", file=sys.stderr)
    if args.format == "json":
        data: dict[str, Any] = {"figures": ev.figures, "failed": ev.failed, "summary": line}
        if args.per_doc:
            data["documents"] = ev.documents
        print(json.dumps(data, ensure_ascii=False, indent=1))
        print(line, file=sys.stderr)  # stdout stays one JSON object
    else:
        print(render_table(ev, args.per_doc))
        print(line)
    if args.errors:
        kinds = collections.Counter(row["kind"] for row in ev.errors)
        print(f"{len(ev.errors)} misses written to {args.errors}: "
              + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())), file=sys.stderr)
    # As score.py: a failed document fails a run that sets minimums.
    return 1 if below or (ev.failed and mins) else 0
