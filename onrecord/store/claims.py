"""What two reports of one claim must share, and where they differ: figures, named actors, polarity, modality.

A paraphrase model judges wording; it is weak exactly where news reports disagree ("12 killed" vs "36 killed",
"confirmed" vs "denied", one name put for another). These functions read those facts from a statement's text
(plain regular expressions, no parse: they run on every candidate pair) and say how two readings differ.
``differences(a, b)`` lists what differs; an empty list is what "same claim" needs; a figure, actor or
polarity difference between two reports of what is otherwise the same claim is a conflict between outlets.

Figures follow the usual reading of news numbers (cf. the numeric claims of Ravichander et al. 2019 and the
quantity normalisation of Roy et al. 2015): value times scale word, a kind (money, percent, date, vote,
count), and the words next to it, which tell which figure of one sentence answers which of the other.
Everything here is plain Python over strings, so any engine (DuckDB driver, a distributed one) can call it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9, "m": 1e6}
_SMALL = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                     "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split())}
_SMALL.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
               "dozen": 12})
_MONTHS = ("january february march april may june july august september october november december "
           "jan feb mar apr jun jul aug sep sept oct nov dec").split()
_CURRENCY_BEFORE = {"$", "us$", "£", "€", "¥", "c$", "a$"}
_CURRENCY_AFTER = {"dollars", "dollar", "euros", "euro", "pounds", "pound", "cents", "cent", "yen", "yuan", "pence"}
_PERCENT = {"percent", "%", "pct", "per"}  # "per cent"
_TIME_WORDS = {"yesterday", "today", "tomorrow", "tonight", "earlier", "later", "meanwhile", "separately"}
_WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

_TOKEN = re.compile(r"[$£€¥%]|\d+(?:[.,]\d+)*|[A-Za-z]+(?:['’][A-Za-z]+)?|\S")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_APPROXIMATE = re.compile(r"\b(?:least|about|around|nearly|almost|roughly|some|over|than|approximately|up to)$")
_DECIMALS = re.compile(r"\d\.(\d+)")
_VOTE = re.compile(r"\b(\d{1,3})\s*(?:-|–|to)\s*(\d{1,3})\b")

# polarity: negators and verbs of refusal/denial count as one negation ("did not comment" = "declined to comment")
_NEGATORS = {"not", "n't", "never", "no", "neither", "nor", "cannot", "declined", "declines", "decline", "refused",
             "refuses", "refuse", "denied", "denies", "deny", "rejected", "rejects", "reject", "failed", "fails"}
# opposite pairs: one side in one report and the other in the other is a flip ("confirmed" / "denied")
_OPPOSITES = (({"confirm", "confirms", "confirmed"}, {"deny", "denies", "denied"}),
              ({"approve", "approves", "approved"}, {"reject", "rejects", "rejected"}),
              ({"accept", "accepts", "accepted"}, {"reject", "rejects", "rejected"}),
              ({"support", "supports", "supported", "backs", "backed"}, {"oppose", "opposes", "opposed"}),
              ({"win", "wins", "won"}, {"lose", "loses", "lost"}),
              ({"guilty"}, {"innocent", "acquitted"}),
              ({"rise", "rises", "rose", "risen", "up", "gain", "gained", "gains", "increase", "increased"},
               {"fall", "falls", "fell", "fallen", "down", "drop", "dropped", "drops", "decrease", "decreased",
                "declined"}),
              ({"for"}, {"against"}))
_HEDGES = {"may", "might", "could", "possibly", "perhaps", "probably", "likely", "unlikely", "reportedly"}
_UPDATES = {"rose", "risen", "climbed", "increased", "reached", "now", "updated", "revised", "grew", "mounted"}
# titles before a name: shared by two different people ("Mayor Smith" / "Mayor Jones"), so not the name
_TITLES = set("mr mrs ms dr prof sen rep gov gen lt col sgt rev sir dame president vice prime minister chief the "
              "mayor senator governor secretary judge justice chancellor king queen prince princess pope general "
              "colonel captain commander speaker leader chairman chairwoman chair director spokesman spokeswoman "
              "representative congressman congresswoman ambassador attorney officer inspector detective "
              "sheriff premier deputy foreign interior defence defense finance health state".split())
_STOP_NAMES = {"i", "a", "an", "the", "this", "that", "these", "those", "it", "he", "she", "we", "they", "but", "and",
               "in", "on", "at", "for", "of", "if", "as", "when", "after", "before", "while", "his", "her", "their"}


@dataclass(frozen=True)
class Figure:
    value: float
    kind: str  # money | percent | date | year | vote | time | count
    text: str  # as written
    before: str  # the word before it (lower case), "" at the start
    after: str  # the word after it (skipping scale and unit words)
    written: float = 0.0  # the number as written, before its scale word
    approximate: bool = False  # "at least 14", "about 300", "nearly half a million"


@dataclass(frozen=True)
class Facts:
    figures: tuple[Figure, ...]
    names: tuple[tuple[str, ...], ...]  # runs of capitalised words inside the sentence, lower case
    name_context: tuple[tuple[str, str], ...]  # (word before, word after) of each run
    negated: bool  # an odd number of negators
    opposites: frozenset[tuple[int, int]]  # (pair index, side) of each opposite word used
    hedged: bool
    updates: bool  # words of a running count ("rose to", "now")
    weekdays: frozenset[str] = frozenset()
    initials: frozenset[str] = frozenset()  # what the statement's names would be abbreviated to ("sec", "us")


@dataclass(frozen=True)
class Difference:
    what: str  # figure | figures | actor | actors | polarity (opposite words) | negation (one side negated) |
    # modality | when | estimate; only figure, actor and polarity make conflicts. figures: a figure differs but the
    # two measure other things (see ``differences``); actors: another actor in two negated statements (both can be
    # true); when: another weekday, another event; estimate: an approximate figure and one near it ("at least 14" /
    # "17"), compatible but not the same claim
    a: str
    b: str
    kind: str = ""  # the figure's kind


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).replace("’", "'"))


def _value(token: str) -> float | None:
    clean = token.replace(",", "")
    try:
        return float(clean)
    except ValueError:
        return None


_TENS = {"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}


def _unit(low: list[str], k: int) -> int:
    """The digit word at ``low[k]`` ("one" … "nine"), else 0."""
    return _SMALL[low[k]] if k < len(low) and low[k] in _SMALL and 1 <= _SMALL[low[k]] <= 9 else 0


def figures(toks: list[str]) -> list[Figure]:
    """The figures of a tokenised statement with their kind and neighbours."""
    low = [t.lower() for t in toks]
    out: list[Figure] = []
    i = 0
    while i < len(toks):
        t, lt = toks[i], low[i]
        value = _value(t) if _NUMBER.fullmatch(t) else float(_SMALL[lt]) if lt in _SMALL and lt != "one" else None
        if value is None:
            i += 1
            continue
        j = i + 1
        if lt in _TENS and j < len(toks) and (unit := _unit(low, j + (low[j] in ("-", "–")))):
            value += unit  # "twenty-four", "thirty one": one number, not 20 and 4
            j += 1 + (low[j] in ("-", "–"))
        start, written = i, value
        kind = "count"
        if i > 0 and low[i - 1] in _CURRENCY_BEFORE:
            kind, start = "money", i - 1
        while j < len(toks) and low[j] in _SCALES and not (low[j] == "m" and kind != "money"):
            value *= _SCALES[low[j]]
            j += 1
        if j < len(toks) and low[j] in _CURRENCY_AFTER:
            kind, j = "money", j + 1
            if low[j - 1] in ("cents", "cent", "pence"):
                value /= 100
        elif j < len(toks) and low[j] in _PERCENT:
            if low[j] == "per" and not (j + 1 < len(toks) and low[j + 1] == "cent"):
                pass
            else:
                kind, j = "percent", j + (2 if low[j] == "per" else 1)
                if j < len(toks) and low[j] == "points":
                    j += 1
        if kind == "count" and _clock(low, j):
            kind = "time"
            if low[j] == ":":
                value += float(low[j + 1]) / 100  # 9:33 -> 9.33
            while j < len(toks) and (low[j] in (":", ".", "a", "p", "m", "am", "pm") or
                                     (low[j - 1] == ":" and _NUMBER.fullmatch(low[j]))):
                j += 1
        if kind == "count":
            if (i > 0 and low[i - 1] in _MONTHS) or (j < len(toks) and low[j] in _MONTHS) or (
                    i > 1 and low[i - 1] == "." and low[i - 2] in _MONTHS):  # "Sept. 5"
                kind = "date"
            elif re.fullmatch(r"(1[89]|20)\d\d", t):
                kind = "year"
            elif j + 1 < len(toks) and toks[j] in ("-", "–") and _NUMBER.fullmatch(toks[j + 1]):
                kind, value = "vote", float(f"{int(value)}.{toks[j + 1]}") if "." not in t else value
                j += 2
        before = next((low[k] for k in range(start - 1, -1, -1) if low[k].isalpha() and low[k] not in _MONTHS), "")
        after = next((low[k] for k in range(j, len(low)) if low[k].isalpha() and low[k] not in ("of", "the", "a")),
                     "")
        hedge = " ".join(low[max(0, start - 2) : start])
        approximate = bool(_APPROXIMATE.search(hedge))
        out.append(Figure(value, kind, " ".join(toks[start:j]), before, after, written, approximate))
        i = j
    return out


def _clock(low: list[str], j: int) -> bool:
    """The number before ``low[j]`` is a time of day: "7 p.m.", "8am", "9:33"."""
    if j >= len(low):
        return False
    return (low[j] in ("am", "pm") or (low[j] in ("a", "p") and j + 2 < len(low) and low[j + 2] == "m")
            or (low[j] == ":" and j + 1 < len(low) and low[j + 1].isdigit()))


def _name_runs(toks: list[str]) -> tuple[list[tuple[str, ...]], list[tuple[str, str]]]:
    """Runs of capitalised words not opening the sentence (names, mostly), with the words around them."""
    runs, context = [], []
    i = 0
    while i < len(toks):
        t = toks[i]
        opens = i == 0 or toks[i - 1] in ('"', "“", "(", ":", ".", "?", "!", "-", "—", "'", "‘")
        if t[:1].isupper() and t.isalpha() and t.lower() not in _STOP_NAMES and not (opens and _common(t)):
            j = i
            while j < len(toks) and toks[j][:1].isupper() and toks[j].replace(".", "").isalpha():
                j += 1
            run = tuple(w.lower() for w in toks[i:j] if w.lower() not in _TITLES and len(w) > 1)
            after = j + 1 if j < len(toks) and toks[j] == "'" else j  # "Alvarez' campaign"
            if run and not all(w in _MONTHS or w in _WEEKDAYS for w in run):
                runs.append(run)
                context.append((toks[i - 1].lower() if i else "", toks[after].lower() if after < len(toks) else ""))
            i = j
        else:
            i += 1
    return runs, context


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS  # imported when first needed

    return frozenset(STOP_WORDS)


def _common(word: str) -> bool:
    """A capitalised word that opens a sentence is a name unless it is a common word ("The", "However")."""
    low = word.lower()
    return low in _common_words() or low in _UPDATES or low in _HEDGES or low in _TIME_WORDS


_WORDS = re.compile(r"[a-z0-9]+")
_DOTTED = re.compile(r"(?<![\w.])(?:[A-Z]\.){2,}")


def content_words(text: str) -> frozenset[str]:
    """Lower-case words of two letters or more that are not stop words."""
    common = _common_words()
    return frozenset(w for w in _WORDS.findall(text.lower()) if len(w) > 1 and w not in common)


def facts(text: str) -> Facts:
    """The facts of one statement that a paraphrase must keep."""
    toks = tokens(text)
    low = [t.lower() for t in toks]
    words = set(low)
    runs, context = _name_runs(toks)
    for dotted in _DOTTED.findall(text):  # "U.S.", "U.N.": the tokens are single letters, kept here as one name
        runs.append((dotted.replace(".", "").lower(),))
        context.append(("", ""))
    opposites = frozenset((k, side) for k, pair in enumerate(_OPPOSITES) for side in (0, 1) if words & pair[side])
    negators = sum(w in _NEGATORS or w.endswith("n't") for w in low)
    return Facts(tuple(figures(toks)), tuple(runs), tuple(context), negators % 2 == 1,
                 opposites, any(w in _HEDGES and (t != "May") for t, w in zip(toks, low, strict=True)),
                 bool(words & _UPDATES), frozenset(words & _WEEKDAYS),  # "May" with a capital: the month
                 initials(toks))


_CONNECTORS = {"of", "and", "for", "&", "the", "on", "de"}


def initials(toks: list[str]) -> frozenset[str]:
    """The acronyms the statement's names could be written as: the first letters of each run of capitalised
    words (connectors such as "of" and "and" inside a run skipped, any part of a run), also with the next word's
    first letter ("Commonwealth Heads of Government meeting" -> "chog", "chogm"). Outlets write one organisation
    both ways ("the SEC" / "the Securities and Exchange Commission", "US" / "United States")."""
    out: set[str] = set()
    i = 0
    while i < len(toks):
        if not (toks[i][:1].isupper() and toks[i].isalpha()):
            i += 1
            continue
        words, j = [], i
        while j < len(toks) and ((toks[j][:1].isupper() and toks[j].isalpha()) or
                                 (toks[j].lower() in _CONNECTORS and words and j + 1 < len(toks)
                                  and toks[j + 1][:1].isupper())):
            words.append(toks[j])
            j += 1
        following = toks[j][0].lower() if j < len(toks) and toks[j][:1].isalpha() else ""
        for start in range(len(words)):
            if not words[start][:1].isupper():
                continue
            for end in range(start + 2, len(words) + 1):
                part = words[start:end]
                for letters in ("".join(w[0].lower() for w in part if w[:1].isupper()),  # SEC
                                "".join(w[0].lower() for w in part)):  # CHOGM: the "of" counted
                    out.add(letters)
                    if end == len(words) and following:
                        out.add(letters + following)
        i = j
    return frozenset(out)


def same_value(x: Figure, y: Figure, estimates: bool = True) -> bool:
    """Equal, or equal once the more precise one is rounded as the other is written ("1.46" ~ "1.5"); with
    ``estimates``, an approximate figure ("at least 14") also agrees with one within a quarter of it (17)."""
    if x.value == y.value:
        return True
    if x.kind != y.kind or x.kind in ("vote", "year", "date", "time"):
        return False
    digits = [len(_DECIMALS.search(f.text).group(1)) if _DECIMALS.search(f.text) else 0 for f in (x, y)]
    places = min(digits)
    coarse, fine = (x, y) if digits[0] == places else (y, x)
    scale = 10**places
    same_scale = x.written and y.written and x.value / x.written == y.value / y.written
    if same_scale and round(fine.written * scale) == round(coarse.written * scale):
        return True
    big = max(abs(x.value), abs(y.value))
    tolerance = 0.25 if estimates and (x.approximate or y.approximate) else 0.02
    return big > 0 and abs(x.value - y.value) / big <= tolerance


def _counterparts(a: list[Figure], b: list[Figure]) -> list[tuple[Figure, Figure]]:
    """Pairs of figures that answer each other: same kind, and a shared neighbour word, or the only figure of
    that kind on both sides."""
    out = []
    for x in a:
        if any(same_value(x, y, estimates=False) for y in b):
            continue  # said on both sides
        same_kind = [y for y in b if y.kind == x.kind and not any(same_value(y, z, estimates=False) for z in a)]
        match = [y for y in same_kind if (x.after and _singular(x.after) == _singular(y.after))
                 or (x.before and x.before == y.before)]
        if not match and len(same_kind) == 1 and sum(z.kind == x.kind for z in a) == 1 and x.kind != "count":
            match = same_kind
        if match:
            out.append((x, match[0]))
    return out


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _unshared(a: list[Figure], b: list[Figure]) -> int:
    """Figures of ``a`` that ``b`` does not state (rounding and estimates allowed), among the kinds both sides use
    (a date or a year that only one side gives is detail, not another measurement)."""
    kinds = {y.kind for y in b}
    return sum(x.kind in kinds and not any(same_value(x, y) for y in b) for x in a)


def _same_name(x: str, y: str) -> bool:
    """One name however spelt: equal, a plural or possessive of it ("Turk" / "Turks"), or one letter in five
    changed ("Extremadura" / "Extramadura") — outlets transliterate names differently."""
    if x == y:
        return True
    if x + "s" == y or y + "s" == x:  # "MCIs" / "MCI's"
        return True
    if min(len(x), len(y)) < 4:
        return False
    if x.startswith(y) or y.startswith(x):
        return abs(len(x) - len(y)) <= 2
    return len(x) == len(y) and sum(c != d for c, d in zip(x, y, strict=True)) <= len(x) // 5


# a government named by its seat: news writes "the White House" and the president's name for one actor
_SEATS = {("white", "house"), ("kremlin",), ("pentagon",), ("downing", "street"), ("elysee",), ("whitehall",),
          ("zhongnanhai",), ("blue", "house"), ("quai", "d'orsay"), ("state", "department"), ("foreign", "office")}
_GOVERNMENT_AFTER = {"administration", "government", "regime", "cabinet"}


def _government(run: tuple[str, ...], after: str) -> str:
    """How a name stands for a government, if it does: "seat" (the White House, the Kremlin), "leader" (the name
    of "the Dumont administration"), else "". A name that stands for a government and one that does not ("the
    Dumont administration" / "Freedonia") are not compared as two actors: outlets name one government by its
    country, its seat or its leader (metonymy), and telling which is meant needs more than the words."""
    if run in _SEATS:
        return "seat"
    return "leader" if after in _GOVERNMENT_AFTER else ""


def _abbreviates(run: tuple[str, ...], other: Facts) -> bool:
    """A one-word name that is the other statement's name written as its initials ("SEC", "AP", "US"), or a name
    whose initials the other statement writes as a name ("United States" / "US")."""
    if len(run) == 1:
        return 2 <= len(run[0]) <= 6 and run[0] in other.initials
    return "".join(w[0] for w in run) in {r[0] for r in other.names if len(r) == 1}


# one country under its usual names ("the UK" / "Britain"); initials ("United States" / "US") are matched apart
_COUNTRY_NAMES = ({"uk", "britain", "great britain", "united kingdom", "british"},
                  {"us", "usa", "america", "united states", "american"})


def _unmatched(x: Facts, y: Facts) -> list[int]:
    """The names of ``x`` (their indexes) that ``y`` does not have in any spelling, as initials or under another
    name of one country."""
    other = {w for run in y.names for w in run}
    whole = {" ".join(run) for run in y.names}
    return [i for i, run in enumerate(x.names)
            if not any(_same_name(w, o) for w in run for o in other) and not _abbreviates(run, y)
            and not any(" ".join(run) in names and names & whole for names in _COUNTRY_NAMES)]


def _other_place(a: Facts, b: Facts) -> bool:
    """Each side has exactly one name the other lacks, and they are not one government named two ways: the two
    may report one measure of two places or parties (a figure there is no dispute)."""
    x, y = _unmatched(a, b), _unmatched(b, a)
    if len(x) != 1 or len(y) != 1:
        return False
    (i,), (j,) = x, y
    return _government(a.names[i], a.name_context[i][1]) == _government(b.names[j], b.name_context[j][1])


def _actor_difference(a: Facts, b: Facts) -> tuple[str, str, bool] | None:
    """A name on each side that the other does not have, standing in the same place (the same word before or
    after it): one actor put for another ("Smith said" / "Jones said"); and whether it is the one name each side
    lacks. Sentences that also name other people or places apart ("X won in Oklahoma" / "Y won in Virginia")
    tell of other events: not the same claim, but no conflict of actors either."""
    unmatched_a, unmatched_b = _unmatched(a, b), _unmatched(b, a)
    for i in unmatched_a:
        for j in unmatched_b:
            (ab, aa), (bb, ba) = a.name_context[i], b.name_context[j]
            if _government(a.names[i], aa) != _government(b.names[j], ba):
                continue  # "the Dumont administration" / "Freedonia", "asked Dumont" / "asked the White House"
            if (aa and aa == ba and aa.isalpha()) or (ab and ab == bb and ab.isalpha() and ab not in ("and", ",")):
                return (" ".join(a.names[i]).title(), " ".join(b.names[j]).title(),
                        len(unmatched_a) == len(unmatched_b) == 1)
    return None


def differences(a: Facts, b: Facts) -> list[Difference]:
    """What two readings of (what may be) one claim disagree on; empty when nothing checkable differs."""
    out = [Difference("figure" if not same_value(x, y) else "estimate", x.text, y.text, x.kind)
           for x, y in _counterparts(list(a.figures), list(b.figures))]
    differing = sum(d.what == "figure" for d in out)
    unshared = sorted((_unshared(list(a.figures), list(b.figures)), _unshared(list(b.figures), list(a.figures))))
    if differing and (differing > 1 or unshared[0] > 1 or unshared[1] > 2 or _other_place(a, b)):
        # the figures measure other things: several differ (two that answer each other, or two or more on each side,
        # or three on one, that the other side does not state — another hour's prices, another product), or each
        # side names one someone or somewhere the other does not (sales in the U.S. / in Canada); not one figure
        # in dispute: never the same claim, and no conflict either
        out = [Difference("figures", d.a, d.b, d.kind) if d.what == "figure" else d for d in out]
    if a.weekdays and b.weekdays and not a.weekdays & b.weekdays:  # "on Tuesday" / "on Wednesday": two events
        out.append(Difference("when", ", ".join(sorted(a.weekdays)), ", ".join(sorted(b.weekdays))))
    actor = _actor_difference(a, b)
    if actor:
        # two actors who each did not do one thing ("Alvarez' campaign did not respond" / "the Moreau campaign
        # did not respond") can both be right, and so can two events that name other places or people too: two
        # claims, but no conflict
        name_a, name_b, alone = actor
        out.append(Difference("actor" if alone and not (a.negated and b.negated) else "actors", name_a, name_b))
    flipped = [k for k, side in a.opposites if (k, 1 - side) in b.opposites and (k, side) not in b.opposites]
    if flipped:
        out.append(Difference("polarity", *_opposite_words(a, b, flipped[0])))
    elif a.negated != b.negated:  # a negation on one side only: too loose a reading to call a flip
        out.append(Difference("negation", "negated" if a.negated else "affirmed",
                              "negated" if b.negated else "affirmed"))
    if a.hedged != b.hedged:
        out.append(Difference("modality", "hedged" if a.hedged else "asserted", "hedged" if b.hedged else "asserted"))
    return out


def _opposite_words(a: Facts, b: Facts, k: int) -> tuple[str, str]:
    side = next(s for kk, s in a.opposites if kk == k)
    return sorted(_OPPOSITES[k][side])[0], sorted(_OPPOSITES[k][1 - side])[0]


def masked(text: str) -> str:
    """The statement with its figures replaced by one neutral word: what it says, whatever the numbers."""
    return _NUMBER.sub("several", text)


def undone(a: str, b: str, diffs: list[Difference]) -> tuple[str, str]:
    """Both texts with what differs made the same: figures masked, the other side's named actor put for its own,
    both sides' words of a flipped pair of opposites replaced by one of them. A verdict on these says whether the
    two tell one claim apart from that difference (a conflict), or two claims (no conflict)."""
    a, b = masked(a), masked(b)
    for d in diffs:
        if d.what == "actor" and d.a and d.b:
            b = re.sub(r"\b" + r"\W+".join(map(re.escape, d.b.split())) + r"\b", d.a, b, flags=re.IGNORECASE)
        elif d.what == "polarity":
            for side_a, side_b in _OPPOSITES:
                if d.a in side_a | side_b and d.b in side_a | side_b:
                    words = re.compile(r"\b(?:" + "|".join(sorted(side_a | side_b)) + r")\b", re.IGNORECASE)
                    a, b = words.sub(d.a, a), words.sub(d.a, b)
                    break
    return a, b


def _written(figure: str) -> str:
    """A figure as written, with its digits when it was spelt out: 'Nine (9)'."""
    word = figure.strip().lower()
    return f"{figure} ({_SMALL[word]})" if word in _SMALL else figure


def describe(d: Difference) -> str:
    """What differs, for an explanation: 'the figure (12 vs 36)'."""
    if d.what == "figure":
        d = Difference(d.what, _written(d.a), _written(d.b), d.kind)
    label = {"figure": f"the {d.kind} figure" if d.kind and d.kind != "count" else "the figure",
             "actor": "the named actor", "polarity": "the polarity", "modality": "the modality"}[d.what]
    return f"{label} ({d.a} vs {d.b})"
