"""Stance acts the attribution step does not count as statements, read from the record for positions.

The default convention attributes speech, writing and findings; it leaves out acts that show a stance without
reporting speech — "vowed to fight the plan", "called on the minister to halt the tender", "rejected the
association's demand for the higher sum", "defended the rise as the only way" — and a few speech acts its rules
miss ("Name, head of X, said …"). PolNeAR's guideline counts such acts as attributions (Newell, Margolin & Ruths
2018); for positions they are what a careful reader takes a stance from. A quotation that continues a speaker's
quote in the same paragraph with no attribution of its own is that speaker's too (``continued_quotes``); so are
a quotation a line labels with a name and a colon (``labelled_quotes``), a transcript's turn under its speaker's
label (``transcript_turns``) and the sentences of a piece its author signs in their own voice (``signed_pieces``).

An act here is a cue verb right after a mention of a resolved actor (its name, a description or a pronoun the
actors step resolved), across an appositive (", head of Brookfield Academy,") and auxiliaries ("has", "also"),
or after "and" when the same sentence's subject already did one ("called the rise a tax and urged councillors
to throw it out"). Its content runs to the end of the sentence, short of a participle that reports more
(", saying …", ", calling it …") or a new clause (", and Russian forces …"). Acts whose cue lies inside an
attribution's cue or content are left to the attribution; a possessive is no subject ("his call for").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from onrecord.attribute.quotes import spans_between
from onrecord.positions.match import Statement, holder, mention_spans, named_holder, own_paragraph
from onrecord.record import Record, act_evidence

# Cue verbs of stance acts, and reporting verbs the attribution rules can miss after an appositive. Whole words;
# the content follows the verb ("vowed to …", "called on X to …", "rejected X", "said that …").
_CUES = (r"vow(?:s|ed)?|pledg(?:e|es|ed)|promis(?:e|es|ed)|threaten(?:s|ed)?|refus(?:e|es|ed)|urg(?:e|es|ed)"
         r"|call(?:s|ed)?\s+on|call(?:s|ed)?\s+for|call(?:s|ed)?|demand(?:s|ed)?|reject(?:s|ed)?|welcom(?:e|es|ed)"
         r"|back(?:s|ed)|support(?:s|ed)?|oppos(?:e|es|ed)|defend(?:s|ed)?|condemn(?:s|ed)?|criticis(?:e|es|ed)"
         r"|criticiz(?:e|es|ed)|endors(?:e|es|ed)|dismiss(?:es|ed)?|(?:will|would)\s+vote\s+(?:against|for)"
         r"|said|says|argued|insisted|warned|told\s+(?:\w+\s+){1,6}?that")
_AUX = r"(?:(?:has|have|had|also|again|already|since|repeatedly|then|on\s+[A-Z]\w+day)\s+)*"
_APPOSITIVE = r"(?:\s*,\s*[^,.;:!?\"“”]{1,90}?,)?"
# "Daniel Hurst of the Harbour Employers Association called on …": a name's organisation, without commas.
_OF_BODY = r"(?:\s+(?:of|at|from)\s+(?:the\s+)?[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*)?"
_AFTER_SUBJECT = re.compile(_OF_BODY + _APPOSITIVE + r"\s+" + _AUX + r"(?P<cue>" + _CUES
                            + r")\b\s+(?P<content>[^.;!?]+)")
_AFTER_AND = re.compile(r"\s+and\s+" + _AUX + r"(?P<cue>" + _CUES + r")\b\s+(?P<content>[^.;!?]+)")
# ", saying …", ", calling it …": the participle reports another statement or judgement, outside what the cue
# turns around ("rejected the subsidy, calling it a giveaway").
# ", and Russian forces …": a second clause with its own subject.
_REPORTING_PARTICIPLE = re.compile(r",\s+(?:saying|adding|arguing|insisting|warning|claiming|noting|calling)\b"
                                   r"|,\s+(?:and|but|while|whereas)\s+(?!(?:also\s+)?to\b)")
# A possessive is no subject: "his call for a no-fly zone", "the minister's call for calm".
_POSSESSIVE = re.compile(r"^(?:his|her|its|their|our|my|your)$|['’]s?$", re.IGNORECASE)
# "called on the minister to halt the tender", "urged councillors to throw it out": what is asked is the content.
_ASKED = re.compile(r"^(?:call(?:s|ed)?\s+on|urg(?:e|es|ed))$", re.IGNORECASE)
_ADDRESSEE = re.compile(r"[^,;:]{1,60}?\s+to\s+(?=\w)")  # matched at the content's start
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’']?\s+|\n+")


@dataclass(frozen=True)
class Act:
    """A stance act: who, the cue, the content, with their offsets in the record's text."""

    actor: str
    cue: tuple[int, int]
    content: tuple[int, int]


def _sentences(text: str) -> list[tuple[int, int]]:
    return [s for s in spans_between(_SENTENCE_END, text) if s[1] > s[0]]


def _content_end(text: str, start: int, end: int) -> int:
    m = _REPORTING_PARTICIPLE.search(text, start, end)
    return m.start() if m else end


def stance_acts(record: Record) -> list[Act]:
    """The record's stance acts (see the module's docstring), in text order."""
    text = record.text
    taken = [(a.cue.start, a.cue.end) for a in record.attributions if a.cue] + [
        (a.content.start, a.content.end) for a in record.attributions]
    mentions = sorted(mention_spans(record))
    acts: dict[tuple[int, int], Act] = {}
    for s_start, s_end in _sentences(text):
        for start, end, actor in mentions:
            if not s_start <= start < s_end or end > s_end or _POSSESSIVE.search(text[start:end]):
                continue
            m = _AFTER_SUBJECT.match(text, end, s_end)
            if m is None:
                continue
            found = [m]
            while (nxt := _AFTER_AND.search(text, found[-1].start("cue") + len(found[-1].group("cue")), s_end)):
                found.append(nxt)
            for f in found:
                cue = (f.start("cue"), f.end("cue"))
                if any(a <= cue[0] < b for a, b in taken):
                    continue
                content = (f.start("content"), _content_end(text, f.start("content"), f.end("content")))
                content = (asked_action(text, f.group("cue"), *content), content[1])
                # The content of the first cue stops where a coordinated second cue begins.
                later = [g.start() for g in found if g.start() > f.start("content")]
                if later:
                    content = (content[0], min(content[1], later[0]))
                if len(text[content[0]:content[1]].split()) >= 2:
                    acts.setdefault(cue, Act(actor, cue, content))
    return sorted(acts.values(), key=lambda a: a.cue)


def asked_action(text: str, cue: str, start: int, end: int) -> int:
    """Where what is asked begins in a directive's content: "urged councillors to throw it out" takes a stance on
    throwing it out, not on the councillors. ``start`` when the cue asks nothing or no addressee is found."""
    if not _ASKED.match(cue):
        return start
    addressee = _ADDRESSEE.match(text, start, end)
    return addressee.end() if addressee else start


def act_id(act: Act) -> str:
    """The id a position taken in an act points to: ``act:START-END``, its content's offsets (the record
    contract's evidence form, ``onrecord.record.act_span`` reads it)."""
    return act_evidence(*act.content)


_QUOTE = re.compile(r"[“\"]([^”\"]{12,})[”\"]")


def continued_quotes(record: Record) -> list[Act]:
    """Quotations that continue a speaker's quoted statement in the same paragraph with no attribution of their
    own ('"We will not accept less," said Okafor. "The strike will go on."'): the same speaker's."""
    text = record.text
    spans = sorted([(a.content.start, a.content.end) for a in record.attributions]
                   + [(a.cue.start, a.cue.end) for a in record.attributions if a.cue]
                   + [(a.speaker.start, a.speaker.end) for a in record.attributions if a.speaker])
    out = []
    for a in record.attributions:
        actor = holder(a.speaker)
        if a.form == "indirect" or not actor:
            continue
        end = max(x for x in (a.content.end, a.cue.end if a.cue else 0, a.speaker.end if a.speaker else 0))
        stop = text.find("\n", end)
        stop = len(text) if stop < 0 else stop
        following = [start for start, _ in spans if end <= start < stop]
        for m in _QUOTE.finditer(text, end, min([stop, *following])):
            if not any(x < m.end(1) and m.start(1) < y for x, y in spans):
                out.append(Act(actor, (m.start(), m.start()), (m.start(1), m.end(1))))
    return out


# A line that opens with a name (after a bullet), an optional appositive and a colon, then a quotation: "• Tomas
# Reinholt, Arvo's chief executive: "We listened. …"" (briefings, transcripts, lists of reactions).
_LABELLED = re.compile(r"^[ \t]*(?:[•*–—-][ \t]*)?(?P<name>[A-Z][\w'’-]+(?:[ \t]+[A-Z][\w'’-]+)+)"
                       r"(?:,[^:\n\"“]{1,80})?(?P<colon>:)[ \t]*[\"“](?P<content>[^\"”\n]+)", re.MULTILINE)


def _labelled(record: Record, label: re.Pattern[str]) -> list[Act]:
    """What ``label`` (a pattern with ``name``, ``colon`` and ``content`` groups) finds that no attribution holds,
    held by ``named_holder`` of the name."""
    spans = [(a.content.start, a.content.end) for a in record.attributions]
    mentions = mention_spans(record)
    out = []
    for m in label.finditer(record.text):
        if any(x < m.end("content") and m.start("content") < y for x, y in spans):
            continue
        actor = named_holder(m.start("name"), m.end("name"), m.group("name"), mentions)
        if actor:
            out.append(Act(actor, (m.start("colon"), m.start("colon")), (m.start("content"), m.end("content"))))
    return out


def labelled_quotes(record: Record) -> list[Act]:
    """Quotations a line labels with their speaker's name and a colon (``_LABELLED``) that no attribution holds."""
    return _labelled(record, _LABELLED)


# A transcript's speaker label: a line opening with a name in capitals (two words or more), an optional
# parenthesis and a colon, then what was said ("KARI LUNDE: Good afternoon. …", "TOM HALE (Greens): We back it.").
# One capitalised word ("QUESTION:", "WHAT HAPPENED") labels no speaker.
_SPEAKER_LABEL = re.compile(r"^[ \t]*(?P<name>[A-Z][A-Z'’.-]+(?:[ \t]+[A-Z][A-Z'’.-]+)+)(?:[ \t]*\([^)\n]{1,80}\))?"
                            r"(?P<colon>:)[ \t]*(?P<content>[^\n]*[a-z][^\n]*)", re.MULTILINE)


def transcript_turns(record: Record) -> list[Act]:
    """What a transcript's speaker label (``_SPEAKER_LABEL``) introduces, to the line's end; lines an attribution
    already holds are left to it."""
    return _labelled(record, _SPEAKER_LABEL)


# Signed pieces: an op-ed opened by a byline and closed by its author's tag line ("By Ada Brenn" … "Ada Brenn is
# chair of the Greens."), an editorial or statement closed by "— The Carrow Post", a letter opening "Sir," or
# "Dear …" closed by a signature line ("Ada Brenn, chair, Greens, Carrow"). The name: two capitalised words or more.
_NAME_WORDS = r"(?:The[ \t]+)?[A-Z][\w'’.-]+(?:[ \t]+(?:of[ \t]+|the[ \t]+)*[A-Z][\w'’.-]+)+"
_BYLINE = re.compile(r"^[ \t]*By[ \t]+(?P<name>" + _NAME_WORDS + r")[ \t]*$", re.MULTILINE)
_DASH_SIGNATURE = re.compile(r"^[ \t]*[—–-][ \t]*(?P<name>" + _NAME_WORDS + r")[ \t]*$", re.MULTILINE)
_LETTER_SIGNATURE = re.compile(r"^(?P<name>" + _NAME_WORDS + r")(?:,[^\n.!?]{0,120})?[ \t]*$", re.MULTILINE)
_LETTER_OPENING = re.compile(r"^(?:Sir|Madam|Dear\b[^,\n]{0,60}),")
# The author's own voice: a signed piece says "I", "we", "our"; a reporter's signed news story does not.
_FIRST_PERSON = re.compile(r"\b(?:I|we|We|our|Our|us|my|My)\b")
_PROSE_LINE = re.compile(r"[.!?\"”’)]$")


def _lines(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for line in text.split("\n"):
        out.append((start, start + len(line)))
        start += len(line) + 1
    return out


def signed_pieces(record: Record) -> list[Act]:
    """The sentences of signed pieces (``_BYLINE`` with a tag line, ``_DASH_SIGNATURE``, a letter's
    ``_LETTER_SIGNATURE``) in their author's own voice (``_FIRST_PERSON`` outside quotations), each held by
    ``named_holder`` of the signature's name. The body is the run of prose lines (ending as a sentence does)
    next to the signature, blank lines between them allowed; sentences an attribution holds are left to it."""
    text = record.text
    lines = [(a, b) for a, b in _lines(text) if text[a:b].strip()]
    prose = [bool(_PROSE_LINE.search(text[a:b].rstrip())) for a, b in lines]
    taken = [(a.content.start, a.content.end) for a in record.attributions] + [
        (a.cue.start, a.cue.end) for a in record.attributions if a.cue]
    mentions = mention_spans(record)
    bodies: list[tuple[tuple[int, int], list[tuple[int, int]]]] = []
    for k, (a, b) in enumerate(lines):
        line = text[a:b]
        opening = _BYLINE.fullmatch(line)
        j = k  # the run of prose lines before this one
        while j > 0 and prose[j - 1]:
            j -= 1
        letter = [i for i in range(j, k) if _LETTER_OPENING.match(text[lines[i][0]:lines[i][1]])]
        closing = _DASH_SIGNATURE.fullmatch(line) or (
            _LETTER_SIGNATURE.fullmatch(line) if letter and not prose[k] else None)
        if closing and j < k:  # a letter runs from its opening, a dashed signature's piece over the whole run
            body = lines[letter[-1]:k] if letter and not _DASH_SIGNATURE.fullmatch(line) else lines[j:k]
            bodies.append(((a + closing.start("name"), a + closing.end("name")), body))
        elif opening:
            name = opening.group("name")
            j = k + 1
            while j < len(lines) and prose[j] and not text[lines[j][0]:lines[j][1]].startswith(name + " is "):
                j += 1
            if j < len(lines) and text[lines[j][0]:lines[j][1]].startswith(name + " is ") and j > k + 1:
                bodies.append(((a + opening.start("name"), a + opening.end("name")), lines[k + 1:j]))
    out = []
    for (n_start, n_end), body in bodies:
        own_voice = " ".join(_QUOTE.sub("", text[a:b]) for a, b in body)
        actor = named_holder(n_start, n_end, text[n_start:n_end], mentions)
        if not actor or not _FIRST_PERSON.search(own_voice):
            continue
        for a, b in body:
            for s_start, s_end in spans_between(_SENTENCE_END, text[a:b]):
                start, end = a + s_start, a + s_end
                if end > start and not any(x < end and start < y for x, y in taken):
                    out.append(Act(actor, (start, start), (start, end)))
    return out


def act_statements(record: Record) -> list[Statement]:
    """The record's stance acts, continued and labelled quotations and transcript turns as statements to read
    stances from."""
    text = record.text
    return [Statement(key=act_id(a), actor=a.actor, content=text[a.content[0]:a.content[1]].strip(" ,."),
                      cue=text[a.cue[0]:a.cue[1]] or None, context=own_paragraph(record, a.content[0]),
                      before=preceding(text, min(a.cue[0], a.content[0])))
            for a in stance_acts(record) + continued_quotes(record) + labelled_quotes(record)
            + transcript_turns(record) + signed_pieces(record)]


def paragraph(text: str, offset: int) -> str:
    """The paragraph (text between blank lines or line breaks) around ``offset``."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return text[start:end if end >= 0 else len(text)]


def preceding(text: str, offset: int) -> str:
    """The article's text before ``offset`` back to the start of its sentence's paragraph's predecessors: the
    earlier mentions a referring phrase ("the proposal", "it") can point back to (at most 4,000 characters)."""
    start = text.rfind("\n", 0, offset) + 1
    sentence_start = max((m.end() for m in _SENTENCE_END.finditer(text, start, offset)), default=start)
    return text[max(0, sentence_start - 4000):sentence_start]
