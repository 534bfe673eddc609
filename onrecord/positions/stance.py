"""The stance reader: per attributed statement and issue, whether the speaker takes one of the issue's stances,
which one, and how sure — read from the content and the cue together.

Each clause of the content (split at sentence ends, ';', ':' and connectives; the connective is kept, since
"while …" concedes and "only if …" conditions) is read against every stance of each issue whose keywords it
contains. Per (clause, stance) the reader computes ``FEATURES``:

- ``sim``, ``lead``, ``top``: the best cosine similarity of the clause to the stance's examples, negations taken
  out and their parity deciding which stance an example supports (as the embedding matcher does); its lead over
  the issue's best other stance; whether it is the best;
- ``agree``: the clause's evaluation times the stance's. A clause is evaluated from opinion words (a short list
  after Hu & Liu 2004, then the single words of the VADER lexicon, Hutto & Gilbert 2014) and the cue
  ("welcomed", "called for" +; "rejected", "warned" −), flipped by negation particles
  (contextual polarity, Wilson, Wiebe & Hoffmann 2005); a stance is evaluated as the mean of its examples,
  centred on the issue. This reads implied stances: "the deal shows what neighbours can achieve" is for a deal;
- ``conditional``, ``concession``, ``undecided``, ``bare``: a restrictive condition ("only if", "before any"), a
  conceding clause ("while …"), a hedge ("worth considering", "not made up his mind"), and a clause without any
  modal, opinion word or negation (topic, not stance: "talks resume on Friday");
- ``relevance``: the best similarity to any example of the issue.

A logistic regression over them (``data/stance.json``, fitted by ``python -m onrecord.train.stance`` on statements
generated from codebooks' own examples — negations, rejecting and welcoming cues, conditions, concessions, hedges,
topic-only sentences) gives each stance a probability. A clause takes the most probable stance when it reaches
the card's threshold; a statement's stance on an issue is that of its most probable clause.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from onrecord.positions.issues import Issue, Issues
from onrecord.positions.match import Encoder, Match, Statement, _exemplars, best_per_slot, negating_cue, polarity

WEIGHTS = Path(__file__).resolve().parent.parent / "data" / "stance.json"
# A statement gated by its paragraph, not its own words, is read only this near its issue's examples (cosine):
# chosen on the first sixteen gold articles, between the highest wrong reading (0.19) and the lowest right one
# (0.37); docs/positions.md reports the later articles apart.
CONTEXT_RELEVANCE = 0.28
# A statement naming no issue, under a paragraph that opens none (or another), is read for an issue whose examples
# it paraphrases this nearly (cosine): on the 22 older gold articles any value from 0.50 to 0.60 reads the same
# (a settlement "somewhere between the two sides' figures" for pay, "any shelling … met with force"); the highest.
UNKEYED_RELEVANCE = 0.6
# ... and only when it stands out from the next issue by this much: a sentence on the talks in general lies as near
# every issue of the seed's codebook (margins 0.00-0.04); the right readings above lead by 0.19 and 0.37.
UNKEYED_MARGIN = 0.1
FEATURES = ("sim", "lead", "top", "number", "agree", "conditional", "concession", "undecided",
            "bare", "relevance")

# Clause boundaries; the connective opens the next piece and is kept with it.
_SPLIT = re.compile(
    r"(?<=[.!?])[\"”’']?\s+(?=[\"“‘']?(?-i:[A-Z]))|\s*[;:]\s+"  # a sentence starts with a capital ("11 p.m. and")
    r"|\s*,?\s+(?=(?:but|while|whereas|although|though|even\s+(?:though|after|as)|however|despite"
    r"|in\s+spite\s+of|until)\s)"  # not "unless": the clause it conditions holds no stance either
    r"|\s*,?\s+(?=and\s+(?:that|he|she|it|they|we|i|will|would|is|was|can|could|must|should)\b)"
    r"|\s*,\s+(?=(?:and|so)\s+the\b|yet\s|[\"“']?(?:just|only|merely)\s)", re.IGNORECASE)
# "not against new homes, just against these homes": the correction holds the stance, what it denies does not
_CORRECTION = re.compile(r"^(?:just|only|merely)\b", re.IGNORECASE)
_AND = re.compile(r"^and\b", re.IGNORECASE)
_CONTRAST = re.compile(r"^(?:but|yet|however)\b", re.IGNORECASE)
_CONCESSION = re.compile(r"^(?:while|whereas|although|though|even\s+(?:though|after|if|as)|despite|in\s+spite\s+of"
                         r"|far\s+from(?!\s+(?:perfect|ideal)\b))\b",  # "far from drying it out, it would …" denies it
                         re.IGNORECASE)
_CONDITIONAL = re.compile(r"^until\b|\b(?:only\s+(?:\w+\s+){0,3}?if|unless|provided\s+that|as\s+long\s+as"
                          r"|on\s+condition|before\s+any|not\s+until|only\s+when|only\s+after)\b", re.IGNORECASE)
_UNDECIDED = re.compile(r"\b(?:made\s+up\s+(?:his|her|their|its|my|our)\s+mind|no\s+decision|worth\s+considering"
                        r"|too\s+early\s+to|undecided|whether|not\s+yet\s+decided|wait\s+and\s+see|keep\s+an\s+open"
                        r"|remains?\s+to\s+be\s+seen|would\s+study|will\s+study|look\s+at\s+the\s+(?:evidence|study)"
                        r"|(?:taken|take|taking|takes)\s+(?:a|any|no)\s+(?:view|position|stance)|yet\s+to\s+decide"
                        r"|had\s+doubts|has\s+doubts|have\s+doubts)\b",
                        re.IGNORECASE)
# A declaration of no position ("would not take a position", "had taken no view") says the whole statement takes
# none: it silences the clauses it continues with "and" as well as those that continue it.
_NO_POSITION = re.compile(r"\b(?:not\s+(?:yet\s+)?(?:taken|take|taking|takes)\s+(?:a|any)"
                          r"|(?:taken|take|taking|takes)\s+no)\s+(?:view|position|stance|side)\b", re.IGNORECASE)
# A clause that reports what a named other says ("the union has made clear it will not discuss change", "Nordbane
# tells us that …") gives that other's stance, not the speaker's: a definite or named subject (not a pronoun, which
# in reported speech is the speaker) before a verb of saying.
# Two others' agreement is theirs too: "both sides have agreed on nine per cent", "the two delegations agreed".
_REPORTED = re.compile(r"^(?:(?:and|but|so|yet|that|while)\s+)*(?:(?:both|the\s+two)\s+[a-z]+\s+"
                       r"(?:has\s+|have\s+|had\s+)?(?:now\s+)?agreed\b|(?:the\s+[a-z]+(?:\s+[a-z]+)?|(?-i:[A-Z][\w'’-]+)"
                       r"(?:\s+(?-i:[A-Z][\w'’-]+))*)\s+(?:has\s+|have\s+|had\s+)?"
                       r"(?:made\s+(?:it\s+)?clear|says|said|insists?|insisted|claims?|claimed|argues|argued"
                       r"|tells?\s+\w+|told\s+\w+|maintains?|maintained)\b)", re.IGNORECASE)
_MODAL = re.compile(r"\b(?:will|would|should|must|shall|can|could|cannot|need|needs|has\s+to|have\s+to|ought"
                    r"|ready|prepared|willing|refus\w*|demand\w*|want\w*|insist\w*|never)\b|n't\b", re.IGNORECASE)
_PARTICLES = re.compile(r"\b(?:not|never|no|none|neither|nor|nothing|nobody)\b|n't\b|\bcannot\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")

# Opinion words (a short list in the spirit of Hu & Liu 2004), lower case; stems end in '*'.
_POSITIVE = """good great best better fair fairer safe safer hope hopes hopeful chance chances achieve* success*
benefit* protect* help* right overdue needed necessary commit* welcome* support* back backs backed backing
endorse* praise* improve* save* saves saving progress positive opportunit* worth valuable vital essential
strengthen* boost* open opens gesture faith win wins deserve* favour* favor* agree agrees agreed accept*
constructive survive* proceed* sensible lifeline breakthrough* milestone*""".split() + [
    f"{verb} {particle}" for verb in ("go", "goes", "going", "went", "press", "presses", "pressed", "move",
                                      "moves", "moved") for particle in ("ahead", "forward")] + [
    f"{verb} on" for verb in ("go", "goes", "going", "went", "carry", "carries", "carried", "carrying")]
_NEGATIVE = """bad worse worst mistake* waste* kill* cost* costs hit hits harm* damag* giveaway insult* futile
fail* failure empty danger* dangerous threat* illusion unacceptable wrong reject* oppos* against scrap* condemn*
criticis* criticiz* warn* fear* risk* burden* punish* unfair uncompetitive disaster* scorn* refus* deny denied
denies drive push* hardest little nowhere sham farce pointless undermin* destroy* ruin* crippl* too
halt* stop stops stopped stopping block* fight* scrap* ditch* throw suspend* ended ending""".split() + """flimsy
unrealistic unworkable unaffordable gimmick* stunt* blunder* folly charade* sell-out* sellout* gamble* fantasy
fantasies relic* absurd* reckless""".split() + [  # evaluative words of political news neither lexicon holds
    "at best", "step back", "step backwards", "pipe dream", "backward step"] + [  # "thin at best": a ceiling
    f"{verb} off" for verb in ("call", "calls", "called", "calling")] + [
    f"{aux} end" for aux in ("to", "must", "should", "will", "would", "can", "could", "shall")] + [
    f"{be} over" for be in ("is", "was", "are", "were", "be")] + [
    # the end of a walkout or a stoppage
    f"{verb} to work" for verb in ("back", "return", "returns", "returned", "returning")]


def _lexicon(words: Sequence[str]) -> re.Pattern[str]:
    parts = [re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w).replace(r"\ ", r"\s+") for w in words]
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b", re.IGNORECASE)


_POS, _NEG = _lexicon(_POSITIVE), _lexicon(_NEGATIVE)
# Acts of stopping or ending among the negative words: halting, scrapping, suspending, calling off, going back to
# work (the end of a walkout).
# Verbs of stopping, not the nouns of a stoppage: "laid off drivers because of the stoppage" names the strike.
_STOPPING = _lexicon("halt* stop stops stopped stopping block* scrap* ditch* suspend* ended ending".split()
                     + _NEGATIVE[_NEGATIVE.index("call off"):])
# "back" is support ("backed the plan"), not a way back ("go back to work", "pull its forces back"); "a step back to
# 1970s mining" keeps its "back" for the evaluative "step back".
_NOT_SUPPORT = re.compile(r"\b(?:(?:go|goes|going|went|gone|come|comes|came|coming|get|gets|got|pull|pulls|pulled"
                          r"|pulling|move|moves|moved|fall|falls|fell|bring|brings|brought|way|forces|troops)\s+back\b(?!\s+to\s+work)"
                          r"|(?<!\bstep\s)back\s+(?:to|from|home|down|off|out)\b(?!\s+work))", re.IGNORECASE)
# Cues that carry stance towards what they report (PolNeAR's stance verbs, their most common readings).
_CUE_POSITIVE = _lexicon("welcom* prais* back* support* endors* hail* applaud* call* urg* demand* insist* "
                         "pledg* promis* vow* commit* agree* accept* approv* defend*".split())
_CUE_WARNING = _lexicon("warn* fear* caution*".split())
# Cues that report a measurement or a finding ("estimated that the strike would cost …", "the review found that …"):
# what they report is a fact the speaker arrived at, not a stance the speaker takes.
_CUE_FINDING = re.compile(r"^(?:\w+\s+)?(?:estimat|calculat|project|forecast|found\b|finds?\b|measur|count"
                          r"|confirm)", re.IGNORECASE)  # "both delegations confirm" that an offer was tabled
_CUE_NEGATIVE = _lexicon("reject* oppos* warn* criticis* criticiz* condemn* dismiss* denounc* attack* scorn* "
                         "refus* deni* deny* blast* slam* question* doubt* fear*".split())


@lru_cache(maxsize=1)
def _valence() -> dict[str, float]:
    """Single words of the VADER lexicon (Hutto & Gilbert 2014, the ``vaderSentiment`` package) whose valence is
    clearly one way (|v| >= 1 on its -4..4 scale)."""
    import vaderSentiment

    out = {}
    path = Path(vaderSentiment.__file__).resolve().parent / "vader_lexicon.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        word, value, *_ = line.split("\t")
        if _WORD.fullmatch(word) and abs(float(value)) >= 1.0 and word not in _NOT_OPINION:
            out[word] = float(value)
    return out


# VADER words that in political news mostly name a thing, not judge it ("the party", "the agreement", "this kind
# of", "peace talks", "security guarantees").
_NOT_OPINION = frozenset("""party parties kind like well united agreement agreements please yes no ok okay sure pretty
peace security freedom free justice trust""".split())


def topic_words(issue: Issue) -> frozenset[str]:
    """Words an issue's own examples use on two sides or more ("join" in "will join NATO" and "will not join NATO"),
    and its keywords: for that issue they name the subject, they do not judge it."""
    seen: dict[str, set[str]] = {}
    for stance in issue.stances:
        for example in stance.examples:
            for w in _WORD.findall(example.lower().replace("’", "'")):
                seen.setdefault(w, set()).add(stance.id)
    keywords = {w for k in issue.keywords for w in _WORD.findall(k.lower())}
    return frozenset({w for w, sides in seen.items() if len(sides) > 1} | keywords)


def evaluation(text: str, cue: str | None = None, topic: frozenset[str] = frozenset()) -> float:
    """How positive (+) or negative (−) a clause evaluates what it speaks of, in [-1, 1]: opinion words, the cue's
    own valence, all flipped once per negation particle ("will not help", "never a good deal"). Words of ``topic``
    (``topic_words``) count only from the short list."""
    t = _NOT_SUPPORT.sub(" ", text.replace("’", "'"))
    negative = len(_NEG.findall(t))
    stopping = bool(_STOPPING.search(t))
    # "back to work" is not backing; beside a stopping act, approving words judge the act ("will go back to work
    # as a gesture of good faith" approves of ending the walkout), not what it stops.
    score = (0 if stopping else len(_POS.findall(_NEG.sub(" ", t)))) - negative
    valence = _valence()
    rest = _NEG.sub(" ", _POS.sub(" ", t.lower()))  # words neither list above holds: VADER's sign
    score += sum((valence.get(w, 0.0) > 0) - (valence.get(w, 0.0) < 0) for w in _WORD.findall(rest)
                 if w not in topic and not (stopping and valence.get(w, 0.0) > 0))
    if len(_PARTICLES.findall(t)) % 2:
        score = -score
    if cue and negating_cue(cue):  # "rejected the demand for more": what was rejected, turned around
        score = -score
    elif cue:
        score = cue_evaluation(cue, score)
        if _PARTICLES.search(cue.replace("’", "'")):  # "did not believe the talks had failed"
            score = -score
    return max(-1.0, min(1.0, score / 2))


def cue_evaluation(cue: str, content: float) -> float:
    """The evaluation of what a cue reports, composed with the cue's own valence (Moilanen & Pulman 2007: the
    verb's polarity composes with its object's instead of adding to it). A welcoming or pledging cue passes on
    an evaluating content ("welcomed the return to work", "vowed to fight the plan": what they say of it) and
    is the evaluation of a neutral one ("welcomed the decision"); a condemning cue turns an evaluating content
    around ("condemned the closure") and is negative on a neutral one; a warning passes its content on ("warned
    the ban would cost jobs") and is negative on a neutral one."""
    if _CUE_POSITIVE.search(cue):
        return content or 1.0
    if _CUE_WARNING.search(cue):
        return content or -1.0
    if _CUE_NEGATIVE.search(cue):
        return -content or -1.0
    return content


def cue_negates(cue: str | None) -> bool:
    """Whether the cue turns what it reports around: a denying verb, or a negated cue ("did not believe")."""
    return bool(cue) and (negating_cue(cue) or bool(_PARTICLES.search(cue.replace("’", "'"))))  # type: ignore[union-attr]


def pieces(text: str) -> list[str]:
    """The clauses of a statement with their connectives, each of at least two words."""
    out = []
    for part in _SPLIT.split(text.replace("“", '"').replace("”", '"')):
        part = (part or "").strip(" \t\n,.!?\"'")
        # "while we deserve more, a deal is possible": the concession ends at its comma.
        head, comma, rest = part.partition(", ")
        parts = [head, rest] if comma and _CONCESSION.match(part) else [part]
        out += [p.strip(" ,") for p in parts if len(p.split()) >= 2]
    return out


@dataclass(frozen=True)
class Reader:
    """The fitted regression: a weight per feature, a bias, the acceptance threshold."""

    weights: np.ndarray
    bias: float
    threshold: float

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(features @ self.weights + self.bias)))


@lru_cache(maxsize=4)
def load_reader(path: str = str(WEIGHTS)) -> Reader:
    """The shipped weights (plain JSON)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURES:
        raise ValueError(f"{path}: features {data['features']} are not {list(FEATURES)}")
    return Reader(np.asarray(data["weights"], dtype=np.float64), float(data["bias"]), float(data["threshold"]))


def stance_evaluations(issue: Issue) -> np.ndarray:
    """Per stance: the mean evaluation of its examples, centred on the issue, doubled and clipped to [-1, 1].
    Not scaled up: stances that differ little in evaluation (both sides "welcome" something) must not read as
    opposed in it."""
    topic = topic_words(issue)
    raw = np.array([np.mean([evaluation(e, topic=topic) for e in s.examples]) for s in issue.stances])
    return np.clip(2 * (raw - raw.mean()), -1.0, 1.0)


_NUMBER_WORDS = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve "
                                             "thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty"
                                             .split())}
# Amounts: digits (not years), and number words only before a unit ("two per cent", not "the two sides").
_NUMBER = re.compile(r"\b(?!(?:19|20)\d\d\b)\d+(?:\.\d+)?\b|\b(?:" + "|".join(_NUMBER_WORDS)
                     + r")\b(?=\s*(?:per\s*cent|percent|%|an\s+hour|a\s+year|points?)\b)", re.IGNORECASE)


def numbers(text: str) -> list[float]:
    """The numbers a text states, in digits or words up to twenty ("two per cent", "5.5 per cent")."""
    out = []
    for m in _NUMBER.finditer(text):
        word = m.group(0).lower()
        out.append(float(_NUMBER_WORDS[word]) if word in _NUMBER_WORDS else float(word))
    return out


def number_agreement(clause: str, stance_numbers: Sequence[Sequence[float]]) -> np.ndarray:
    """Per stance: +1 when the clause's numbers lie nearest that stance's example numbers, −1 when nearer another
    stance's, 0 when the clause or the stance states none (a scale of amounts: "two per cent" is not "12 per cent")."""
    said = numbers(clause)
    out = np.zeros(len(stance_numbers))
    if not said or sum(1 for ns in stance_numbers if ns) < 2:
        return out
    distance = [min(abs(a - b) for a in said for b in ns) if ns else None for ns in stance_numbers]
    nearest = min(d for d in distance if d is not None)
    for k, d in enumerate(distance):
        if d is not None:
            out[k] = 1.0 if d == nearest else -1.0
    return out


def similarities(vectors: np.ndarray, parity: np.ndarray, stance: np.ndarray, opposite: np.ndarray,
                 vector: np.ndarray, clause_parity: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per stance, the best cosine of the clause to its examples of the clause's negation parity, and to the
    examples of its opposite whose parity differs (a negated paraphrase of the opposite)."""
    sims = vectors @ vector
    agree, flip = np.full(n, -1.0), np.full(n, -1.0)
    for k in range(n):
        same = (stance == k) & (parity == clause_parity)
        if same.any():
            agree[k] = sims[same].max()
        flipped = (opposite == k) & (parity != clause_parity)
        if flipped.any():
            flip[k] = sims[flipped].max()
    return agree, flip


def clause_features(clause: str, cue: str | None, sims: tuple[np.ndarray, np.ndarray],
                    relevance: float, stance_eval: np.ndarray, stance_numbers: Sequence[Sequence[float]],
                    concession: bool, topic: frozenset[str] = frozenset()) -> np.ndarray:
    """The (stances × FEATURES) matrix of one clause; ``sims`` are ``similarities``'s two arrays, ``topic`` the
    issue's ``topic_words``."""
    agree, flip = sims
    best = np.maximum(agree, flip)
    n = len(best)
    lead = np.array([best[k] - max((best[j] for j in range(n) if j != k), default=-1.0) for k in range(n)])
    top = np.zeros(n)
    top[int(np.argmax(best))] = 1.0
    ev = evaluation(clause, cue, topic)
    amounts = number_agreement(clause, stance_numbers)
    # Bare: no modal, opinion word, negation, stance-taking cue or amount on the issue's scale ("our offer of two
    # per cent stands" states a stance by its amount).
    bare = not (_MODAL.search(clause) or _POS.search(clause) or _NEG.search(clause) or _PARTICLES.search(clause)
                or (cue and (_CUE_POSITIVE.search(cue) or _CUE_NEGATIVE.search(cue))) or amounts.any())
    shared = [bool(_CONDITIONAL.search(clause)), concession, bool(_UNDECIDED.search(clause)), bare, relevance]
    return np.column_stack([best, lead, top, amounts,
                            ev * stance_eval, *(np.full(n, float(v)) for v in shared)])


def stance_numbers(issue: Issue) -> list[list[float]]:
    return [[x for e in s.examples for x in numbers(e)] for s in issue.stances]


@dataclass
class Candidate:
    statement: Statement
    clause: str
    parity: int
    concession: bool
    issues: list[Issue]
    context: bool = False  # gated by its paragraph, not its own words: read for the nearest issue only
    named: frozenset[str] = frozenset()  # the issues the clause itself names (by a keyword)
    opened: frozenset[str] = frozenset()  # for a context candidate, the one issue its paragraph names


# A word the codebook's examples name one issue by: in at least this many of its examples and in no other issue's.
EXAMPLE_NAME_MIN = 3
_STOP = frozenset("""the a an any this that these those its their his her our my your of for in on at to by with and
or but not no is are was were be been would will could should must can may might we they it he she you i all
some more less than from as into over also only""".split())


def example_names(issues: Issues) -> dict[str, frozenset[str]]:
    """Per issue, the words its examples name it by beside its keywords ("ban" for a trawling issue whose examples
    say "a full trawling ban", "the ban on trawling"): in ``EXAMPLE_NAME_MIN`` of its examples or more, in no other
    issue's, no function word. Computed once per issues file."""
    cached = issues.cache.get("example_names")
    if cached is None:
        counts = {i.id: Counter(w for s in i.stances for e in s.examples
                                for w in set(_WORD.findall(e.lower().replace("’", "'")))) for i in issues.issues}
        cached = issues.cache["example_names"] = {
            i.id: frozenset(w for w, n in counts[i.id].items() if n >= EXAMPLE_NAME_MIN and w not in _STOP
                            and w not in _NUMBER_WORDS
                            and not any(w in counts[o.id] for o in issues.issues if o.id != i.id))
            for i in issues.issues}
    return cached


def names(issue: Issue, text: str, named_by: dict[str, frozenset[str]]) -> bool:
    """Whether ``text`` names ``issue``: one of its keywords, or a word its examples name it by."""
    return issue.gated(text) or bool(named_by[issue.id] & set(_WORD.findall(text.lower().replace("’", "'"))))


# An admission that what is accepted falls short concedes ("it is not everything we asked for, but …", "the deal is
# not perfect"): what the speaker accepts follows it.
_SHORT_OF = re.compile(r"\bnot\s+(?:perfect|ideal|everything|all\s+(?:we|that\s+we|i|they|he|she)\b)"
                       r"|\bfar\s+from\s+(?:perfect|ideal)\b", re.IGNORECASE)


def hedged(clause: str, concession: bool) -> bool:
    """A clause that concedes (a conceding connective, or an admission that something falls short: ``_SHORT_OF``),
    sets a restrictive condition or hedges takes no stance (the reader's weights put such clauses far below its
    threshold): it is not read at all."""
    return concession or bool(_CONDITIONAL.search(clause) or _UNDECIDED.search(clause) or _SHORT_OF.search(clause))


def declared_none(clauses: Sequence[str]) -> list[bool]:
    """Per clause, whether it declares no position (``_NO_POSITION``) or an "and" ties it to a later one that does
    ("the plan did not affect retirees and that it would not take a position"): such clauses take no stance."""
    out = [False] * len(clauses)
    for k in range(len(clauses) - 1, -1, -1):
        out[k] = bool(_NO_POSITION.search(clauses[k])) or (
            k + 1 < len(clauses) and out[k + 1] and bool(_AND.match(clauses[k + 1])))
    return out


def candidates(statements: Iterable[Statement], issues: Issues) -> list[Candidate]:
    """Every (statement, clause) with the issues the keywords gate in. A clause that names issues is read for
    those; one that names none, for the issues its statement names ("the 12 per cent claim …: machines will
    never …"); a statement that names none, for the one issue its paragraph names that it lies nearest
    (``Candidate.context``: "the rule itself was long overdue" under a paragraph on the phone ban)."""
    out = []
    named_by = example_names(issues)
    for st in statements:
        if st.cue and _CUE_FINDING.match(st.cue):
            continue
        flip = 1 if cue_negates(st.cue) else 0
        gated = [issue for issue in issues.issues if names(issue, st.content, named_by)]
        context = not gated
        opened: frozenset[str] = frozenset()
        if context:
            named = [issue for issue in issues.issues if st.context and names(issue, st.context, named_by)]
            # a paragraph on several issues names none of them; every issue stays open to a near paraphrase
            opened = frozenset(issue.id for issue in named) if len(named) == 1 else frozenset()
            gated = list(issues.issues)
        if not gated:
            continue
        undecided = False
        split = pieces(st.content)
        corrected = [bool(_PARTICLES.search(c)) and k + 1 < len(split) and bool(_CORRECTION.match(split[k + 1]))
                     for k, c in enumerate(split)]
        for clause, silent in zip(split, [a or b for a, b in zip(declared_none(split), corrected, strict=True)],
                                  strict=True):
            # A hedge carries over to what continues it ("had not yet taken a view … and would publish its
            # review"), not past a contrast ("had doubts about the routes but would vote for the fare").
            undecided = bool(_UNDECIDED.search(clause)) or (undecided and bool(_AND.match(clause)))
            conceded = bool(_CONCESSION.match(clause))
            if silent or undecided or hedged(clause, conceded) or _REPORTED.match(clause):
                continue
            own = [issue for issue in gated if names(issue, clause, named_by)] if not context else []
            _, negations = polarity(clause)
            out.append(Candidate(st, clause, min(negations, 1) ^ flip, conceded, own or gated, context,
                                 frozenset(issue.id for issue in own), opened))
    return out


# A naming frame: "called the offer 'a betrayal'", "described the plan as reckless": the name judges the object.
_NAMING_CUE = re.compile(r"\b(?:call(?:s|ed|ing)?|describ(?:e|es|ed|ing)|dub(?:s|bed)?|label(?:s|led|ed)?"
                         r"|brand(?:s|ed)?)$", re.IGNORECASE)
# The name given after the object: "as reckless" (to the clause's end) or a quotation. One pattern, matched on the
# text with curly double quotes made straight (``_STRAIGHT``, which keeps offsets): after a matched subject
# (``_NAME``) or over a clause (``_NAMED``: the object is what comes before it).
_STRAIGHT = str.maketrans({"“": '"', "”": '"'})
_NAME_GIVEN = r"\s+(?:as\s+(?P<bare>[^\"]+)$|\"(?P<predicate>[^\"]+))"
_NAME = re.compile(_NAME_GIVEN)
_NAMED = re.compile(r"^(?P<subject>[^\"]+?)" + _NAME_GIVEN)

# A referring phrase: a definite, demonstrative or possessive noun phrase whose head names a proposal or an act
# ("the proposal", "Vestmark's plan", "the vote"), or "it" closing its clause ("would fight it").
_HEADS = ("proposal proposals plan plans deal idea offer decision vote move measure measures scheme bill law reform "
          "change changes agreement compromise package policy project initiative rule rules reversal u-turn concession "
          "concessions").split()
_REFERENCE = re.compile(r"\b(?:(?:the|this|that|these|those|its|their|his|her|our)\s+|[A-Z][\w-]*['’]s\s+)"
                        r"(?:\w+\s+)??(?P<head>" + "|".join(_HEADS) + r")\b"
                        r"|\b(?P<pronoun>it)\b(?=\s*(?:$|[,.;:!?\"”]|as\b|out\b))")
# Verbs whose stance towards their object is clear: for it, or against it.
_FOR_OBJECT = _lexicon([w.replace("_", " ") for w in (
    "welcom* back backs backed backing support* endors* prais* hail* applaud* accept* approv* defend* embrac* "
    "vote_for voted_for votes_for").split()])
_AGAINST_OBJECT = _lexicon([w.replace("_", " ") for w in (
    "reject* oppos* condemn* denounc* criticis* criticiz* dismiss* attack* scorn* blast* slam* fight fights fighting "
    "fought scrap* block* overturn* challeng* vote_against voted_against votes_against").split()])
_HEAD_STEMS = sorted({h[:4] for h in _HEADS})
_COPULA = re.compile(r"\s+(?:itself\s+)?(?:is|was|are|were|(?:would|will|could)\s+be|(?:has|had|have)\s+been)\b"
                     r"(?P<predicate>.+)", re.IGNORECASE)
_SENTENCES = re.compile(r"(?<=[.!?])[\"”’']?\s+|\n+")


@dataclass(frozen=True)
class Reference:
    """A statement that names no issue but refers back to one's object: which issue, the earlier sentence that
    names it, and whether the verb governing the reference is for (+1) or against (−1) the object."""

    issue: Issue
    antecedent: str
    polarity: int
    phrase: str
    clause: str = ""  # for a judged subject (``judged``), the clause that judges it; "" for a referring statement


def object_polarity(text: str) -> tuple[int, str] | None:
    """+1 or −1 when a referring phrase in ``text`` is the object of a verb for or against it ("condemned the
    proposal", "would fight it", "did not back the plan": −1) or the subject of an evaluating predicate ("the rule
    itself was long overdue": +1), with the phrase; None when there is none, or the
    clause holding it concedes, sets a condition or hedges."""
    for m in _REFERENCE.finditer(text):
        lead = text[:m.start()]
        clause_start = max((c.end() for c in _SPLIT.finditer(lead)), default=0)
        after = _SPLIT.search(text, m.end())
        clause = text[clause_start:after.start() if after else len(text)]  # "would back the plan only if …"
        if hedged(clause, bool(_CONCESSION.match(clause))):
            continue
        words = clause[:m.start() - clause_start].split()[-4:]  # the verb and at most three words before the phrase
        span = " ".join(words)
        verb = next((v for v in (_AGAINST_OBJECT.search(span), _FOR_OBJECT.search(span)) if v), None)
        judged = _COPULA.match(clause, m.end() - clause_start)
        named = _NAME.match(clause.translate(_STRAIGHT), m.end() - clause_start) if _NAMING_CUE.search(span) else None
        if verb is None and (judged or named) is not None:
            # "the rule itself was long overdue", "called the offer 'a betrayal'": what the predicate says of it
            value = evaluation(judged.group("predicate") if judged else named.group("predicate") or named.group("bare"))
            if value:
                return (1 if value > 0 else -1), m.group(0)
        if verb is None:
            continue
        sign = -1 if _AGAINST_OBJECT.search(span) else 1
        if len(_PARTICLES.findall(clause[:m.start() - clause_start])) % 2:  # "did not back the plan"
            sign = -sign
        return sign, m.group(0)
    return None


def referent(st: Statement, issues: Issues) -> Reference | None:
    """The issue a statement naming none refers back to: its referring phrase's verb is for or against the object
    (``object_polarity``), and the nearest earlier sentence of the article that names an issue — preferring one
    that also repeats the phrase's head ("the vote" → "the board voted to close …") — names exactly one."""
    text = f"{st.cue} {st.content}" if st.cue else st.content
    found = object_polarity(text)
    if found is None or not st.before:
        return None
    sign, phrase = found
    head = _REFERENCE.match(phrase)
    stem = (head.group("head") or "")[:4] if head else ""
    sentences = [x.strip() for x in _SENTENCES.split(st.before) if x.strip()][::-1]
    naming = [(x, [i for i in issues.issues if i.gate is not None and i.gated(x)]) for x in sentences]
    naming = [(x, named) for x, named in naming if named]
    if not naming:
        return None
    # The object is where its head last named it ("the vote" → "the board voted to close the unit"), else where
    # the article first introduced a proposal ("the proposal" → the lede's "the government's plan to raise …");
    # what it is runs from that word on.
    for heads, order in (([stem] if stem else [], 1), (_HEAD_STEMS, -1)):
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, heads)) + r")", re.IGNORECASE) if heads else None
        hits = [(x, named, m) for x, named in naming if pattern and (m := pattern.search(x))][::order]
        if hits:
            sentence, named, m = hits[0]
            if len(named) != 1:
                return None
            # from the head on, when that part still names the issue ("under rules announced by the board" does not)
            tail = sentence[m.start():]
            return Reference(named[0], tail if named[0].gated(tail) else sentence, sign, phrase)
    sentence, named = naming[0]
    return Reference(named[0], sentence, sign, phrase) if len(named) == 1 else None


# A judged subject: the predicate evaluates what the subject names ("any tailings pond above the village would be
# unacceptable", "the safety case for the dam is flimsy", "a higher royalty would cost jobs"). The subject, read as a
# description, gives the stance; a negative judgement the one at the other end of the scale. Not "must"/"should":
# those say what is to be done, and the clause is read as it stands.
_JUDGED = re.compile(r"^(?P<subject>(?:(?!\b(?:is|was|are|were|would|will|could|might)\b)[^,;:\"])+?)\s+"
                     r"(?:is|was|are|were|would|will|could|might)\b(?P<predicate>.+)$", re.IGNORECASE)
_PRONOUN_SUBJECT = re.compile(r"^(?:i|we|you|he|she|it|they|this|that|these|those|there|who|which|what|one)\b",
                              re.IGNORECASE)
_FUNCTION_WORDS = frozenset("the a an any this that these those its their his her our my your of for in on at to by "
                            "with and or such every all some".split())
_CONNECTIVE = re.compile(r"^(?:(?:that|and|but|so|also|yet|however)\s+)+", re.IGNORECASE)


def judged(clause: str, cue: str | None, issue: Issue, topic: frozenset[str] = frozenset()) -> Reference | None:
    """A clause whose predicate judges a subject naming ``issue`` (see ``_JUDGED``), or a naming cue's object and
    the name it is given (``_NAMED``), as a ``Reference`` to that subject: +1 when the judgement is positive, −1
    when negative (turned by a denying or negated cue). None when the subject is a pronoun, describes nothing beyond
    the issue's own words, is longer than eight words or negated, when the predicate names the issue itself (then
    the clause is the stance: "the royalty must rise to six per cent") or stops something, or judges nothing."""
    naming = _NAMED.match(clause.translate(_STRAIGHT)) if cue and _NAMING_CUE.fullmatch(cue) else None
    m = naming or _JUDGED.match(_CONNECTIVE.sub("", clause))
    if m is None:
        return None
    subject, predicate = m.group("subject").strip(), m.group("predicate") or m.group("bare") or ""
    # "the strike" describes no stance; "a rise of 12 per cent", "any tailings pond above the village" do
    described = set(_WORD.findall(subject.lower()) + re.findall(r"\d+", subject)) - topic - _FUNCTION_WORDS
    if (len(subject.split()) > 8 or not described or _PRONOUN_SUBJECT.match(subject) or _PARTICLES.search(subject)
            or not issue.gated(subject) or issue.gated(predicate) or _STOPPING.search(predicate)):
        return None
    value = evaluation(predicate, topic=topic)
    if not value:
        return None
    sign = (1 if value > 0 else -1) * (-1 if cue_negates(cue) or _PARTICLES.search(cue or "") else 1)
    return Reference(issue, subject, sign, subject, clause)


@dataclass(frozen=True)
class Reading:
    """One clause read against one issue: every stance's probability."""

    statement: Statement
    clause: str
    issue: Issue
    probabilities: np.ndarray
    similarity: np.ndarray  # per stance, the best parity-aware cosine to its examples
    named: bool = True  # the clause names the issue itself (not only its statement or paragraph does)
    judged: bool = False  # read from the clause's judged subject (``judged``)
    polarity: int = 1  # for a judged reading, the judgement's sign

    @property
    def best(self) -> int:
        return int(np.argmax(self.probabilities))


def issue_constants(issues: Issues) -> tuple[dict[str, np.ndarray], dict[str, list[list[float]]],
                                              dict[str, frozenset[str]]]:
    """Per issue, what the reader needs of its stances' examples beside their embeddings — evaluations, amounts,
    topic words — computed once per issues file, not once per article."""
    cached = issues.cache.get("reader")
    if cached is None:
        cached = issues.cache["reader"] = ({i.id: stance_evaluations(i) for i in issues.issues},
                                           {i.id: stance_numbers(i) for i in issues.issues},
                                           {i.id: topic_words(i) for i in issues.issues})
    return cached


def readings(statements: Iterable[Statement], issues: Issues, encoder: Encoder, reader: Reader | None = None,
             batch_size: int = 256) -> Iterator[Reading]:
    """Every (clause, gated issue) of ``statements`` with its stances' probabilities (``onrecord issues check``
    shows them; ``read_stances`` keeps the decisive ones)."""
    reader = reader or load_reader()
    statements = list(statements)
    found = candidates(statements, issues)
    refs = [(st, ref) for st in statements if not any(i.gated(st.content) for i in issues.issues)
            for ref in [referent(st, issues)] if ref is not None]
    antecedents = [(st, ref, piece) for st, ref in refs for piece in pieces(ref.antecedent)
                   if ref.issue.gated(piece) and not hedged(piece, bool(_CONCESSION.match(piece)))]
    evals, amounts, topics = issue_constants(issues)
    antecedents += [(c.statement, ref, ref.antecedent) for c in found if not c.context for issue in c.issues
                    if (ref := judged(c.clause, c.statement.cue, issue, topics[issue.id])) is not None]
    if not found and not antecedents:
        return
    examples = _exemplars(issues, encoder, implicit_opposites=True)
    texts = [polarity(c.clause)[0] or c.clause for c in found] + [polarity(x)[0] or x for _, _, x in antecedents]
    vectors = np.concatenate([np.asarray(encoder.encode(texts[i:i + batch_size]), dtype=np.float32)
                              for i in range(0, len(texts), batch_size)])
    yield from referred(antecedents, vectors[len(found):], examples, reader, issues)
    for c, vector in zip(found, vectors[:len(found)], strict=True):
        relevances = [float((examples[issue.id].vectors @ vector).max()) for issue in c.issues]
        if c.context:  # the nearest issue its paragraph opens or it paraphrases
            open_ = [r if (r >= CONTEXT_RELEVANCE if i.id in c.opened else unkeyed(r, relevances)) else -1.0
                     for i, r in zip(c.issues, relevances, strict=True)]
            nearest = int(np.argmax(open_)) if max(open_) >= 0 else -1
        for k, (issue, relevance) in enumerate(zip(c.issues, relevances, strict=True)):
            if c.context and k != nearest:
                continue
            ex = examples[issue.id]
            sims = similarities(ex.vectors, ex.parity, ex.stance, ex.opposite, vector, c.parity, len(issue.stances))
            feats = clause_features(c.clause, c.statement.cue, sims, relevance, evals[issue.id], amounts[issue.id],
                                    c.concession, topics[issue.id])
            yield Reading(c.statement, c.clause, issue, reader.probabilities(feats), np.maximum(*sims),
                          issue.id in c.named)


def unkeyed(relevance: float, relevances: Sequence[float]) -> bool:
    """Whether a clause naming no issue paraphrases the issue it lies ``relevance`` near (``UNKEYED_RELEVANCE``,
    ``UNKEYED_MARGIN`` over the next of ``relevances``, the clause's relevance to each issue)."""
    others = list(relevances)
    others.remove(relevance)
    return relevance >= UNKEYED_RELEVANCE and relevance - max(others, default=0.0) >= UNKEYED_MARGIN


def referred(antecedents: list[tuple[Statement, Reference, str]], vectors: np.ndarray, examples: dict,
             reader: Reader, issues: Issues) -> Iterator[Reading]:
    """Statements that refer back to an issue's object (``referent``). The object's stance is what the earlier
    sentence's most probable clause reads as, read as a description (neither "bare" nor evaluated: it says what
    the object is, not whether anyone holds it or how it was received). A verb for the object takes that stance;
    one against it, the stance at the other end of the scale (none when the object is a middle stance); the
    confidence is the object reading's probability."""
    evals, amounts, topics = issue_constants(issues)
    best: dict[tuple[object, str, str, str], tuple[float, int, Statement, Reference]] = {}
    for (st, ref, piece), vector in zip(antecedents, vectors, strict=True):
        issue, ex = ref.issue, examples[ref.issue.id]
        _, negations = polarity(piece)
        sims = similarities(ex.vectors, ex.parity, ex.stance, ex.opposite, vector, min(negations, 1),
                            len(issue.stances))
        feats = clause_features(piece, None, sims, float((ex.vectors @ vector).max()), evals[issue.id],
                                amounts[issue.id], False, topics[issue.id])
        feats[:, [FEATURES.index("bare"), FEATURES.index("agree")]] = 0.0
        probabilities = reader.probabilities(feats)
        k = int(np.argmax(probabilities))
        slot = (st.key, st.actor, issue.id, ref.clause)
        if slot not in best or probabilities[k] > best[slot][0]:
            best[slot] = (float(probabilities[k]), k, st, ref)
    for p, k, st, ref in best.values():
        issue = ref.issue
        target = issue.stances[k].id if ref.polarity > 0 else issue.opposite(issue.stances[k])
        if target is None:
            continue
        out = np.zeros(len(issue.stances))
        out[[s.id for s in issue.stances].index(target)] = p
        yield Reading(st, ref.clause or st.content, issue, out, np.zeros(len(issue.stances)), bool(ref.clause),
                      bool(ref.clause), ref.polarity)


def read_stances(statements: Iterable[Statement], issues: Issues, encoder: Encoder,
                 reader: Reader | None = None) -> list[Match]:
    """The stances taken in ``statements``: at most one per statement and issue (its most probable clause)."""
    reader = reader or load_reader()
    found: list[Match] = []
    taken = [r for r in with_judgements(readings(statements, issues, encoder, reader))
             if r.probabilities.max() >= reader.threshold]
    # A contrast that does not name the issue turns to another matter ("will not recognise Crimea as Russian
    # territory, but that talks can continue"): it decides the statement's stance on the issue only when no clause
    # naming the issue takes one.
    naming = {(r.statement.key, r.statement.actor, r.issue.id) for r in taken if r.named}
    for r in taken:
        if not r.named and _CONTRAST.match(r.clause) and (r.statement.key, r.statement.actor, r.issue.id) in naming:
            continue
        k = r.best
        p = float(r.probabilities[k])
        m = Match(key=r.statement.key, actor=r.statement.actor, issue=r.issue.id, stance=r.issue.stances[k].id,
                  confidence=round(p, 3), similarity=round(float(r.similarity[k]), 4),
                  lead=round(p - float(np.delete(r.probabilities, k).max()), 3), clause=r.clause)
        found.append(m)
    return best_per_slot(both_ends_to_middle(found, issues))


def with_judgements(found: Iterable[Reading]) -> list[Reading]:
    """Readings with each judged clause (``judged``) read by its judgement: when the clause as it stands reads as
    the stance its subject describes (what it is about), a negative judgement takes the stance at the other end
    of the scale ("any tailings pond above the village would be unacceptable" is against the dam), a positive one
    keeps it, with the clause's probability. When the two disagree the clause is read as it stands."""
    found = list(found)
    plain = {(r.statement.key, r.statement.actor, r.issue.id, r.clause): k for k, r in enumerate(found)
             if not r.judged}
    out: list[Reading | None] = list(found)
    for k, r in enumerate(found):
        if not r.judged:
            continue
        out[k] = None
        j = plain.get((r.statement.key, r.statement.actor, r.issue.id, r.clause))
        target = r.issue.stances[r.best]
        subject = target.id if r.polarity > 0 else r.issue.opposite(target)
        if j is None:
            continue
        as_is = r.issue.stances[found[j].best]
        # a negation in the judging predicate ("fifteen per cent is not greed") turned the plain reading around:
        # it judges the subject, it does not negate the stance the subject describes
        if subject != as_is.id and not (_PARTICLES.search(r.clause) and r.issue.opposite(as_is) == subject):
            continue
        probabilities = np.zeros(len(r.issue.stances))
        probabilities[r.best] = found[j].probabilities.max()
        out[j] = replace(found[j], probabilities=probabilities, judged=True)
    return [r for r in out if r is not None]


def both_ends_to_middle(found: list[Match], issues: Issues) -> list[Match]:
    """A statement whose clauses take both ends of a scale with a middle ("would accept tighter limits on the
    loudest planes but would not support a complete curfew") takes the middle stance: each end is half of it."""
    by_slot: dict[tuple[object, str, str], list[Match]] = {}
    for m in found:
        by_slot.setdefault((m.key, m.actor, m.issue), []).append(m)
    out = []
    for (_, _, issue_id), matches in by_slot.items():
        issue = issues.get(issue_id)
        scores = {s.id: s.score for s in issue.stances}
        low, high = min(scores.values()), max(scores.values())
        ends = [m for m in matches if scores[m.stance] in (low, high)]
        middle = [s for s in issue.stances if low < s.score < high]
        if middle and {scores[m.stance] for m in ends} == {low, high}:
            mid = min(middle, key=lambda s: abs(s.score - (low + high) / 2))
            weakest = min(ends, key=lambda m: m.confidence)
            out.append(replace(weakest, stance=mid.id, clause=" / ".join(m.clause for m in ends)))
        else:
            out += matches
    return out
