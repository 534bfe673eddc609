"""Word lists the attribution rules read: reporting verbs, nominal cues, kinds of sources.

Lemmas, lower case. The lists describe the genre (news English), not any one article.
"""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass
from functools import lru_cache

# Verbs that report speech, writing, thought or findings and take the reported content as a
# clause ("said that …", "warned …") or a quotation.
SPEECH_VERBS = frozenset("""
say state tell warn insist deny acknowledge claim argue note add confirm announce suggest believe report write
explain predict promise vow pledge threaten urge accuse allege admit concede contend maintain assert declare
estimate indicate reveal show find conclude express voice reply respond answer recall remark observe comment
stress emphasize emphasise underline reiterate repeat agree disagree complain lament tweet post testify
caution hint signal disclose assure reassure demand ask question doubt dismiss reject describe characterize
portray call predict forecast project anticipate expect hope fear worry think feel know point mention counter
retort rebut dispute contest charge blame praise criticize criticise condemn decry boast brag joke quip muse
speculate surmise theorize posit propose recommend advise order instruct inform notify brief announce proclaim
affirm aver attest certify swear guarantee vouch recount relate narrate describe detail outline summarize
summarise clarify specify conclude determine rule judge estimate calculate gather learn hear
fume blast slam snap scoff sneer rant thunder gush rage
welcome applaud hail denounce
""".split())

# Content-taking object verbs: "expressed doubt about …", "voiced concern that …"; and verbs of spoken judgement,
# whose object is what was judged: "welcomed the ban", "condemned the attack" (acts of speech, as PolNeAR counts
# them; verbs of holding a stance, "opposes", "supports", and of deciding, "rejected", are not speech).
OBJECT_CONTENT_VERBS = frozenset("""
express voice raise signal cast
welcome applaud hail praise denounce condemn criticize criticise
""".split())

# What one denies when denying says something ("denied the charges", "deny any wrongdoing"), unlike what one
# refuses to grant ("denied the request", "was denied bail"): a denied noun of these is reported content.
DENIED_NOUNS = frozenset("""
charge allegation accusation claim report rumour rumor wrongdoing involvement responsibility guilt
knowledge wrong misconduct link links role
""".split())

# Nouns that carry attribution: "in a statement", "a claim by X that …".
NOMINAL_CUES = frozenset("""
statement claim assertion allegation announcement warning remark comment testimony interview briefing report
declaration admission denial insistence promise pledge vow accusation charge argument suggestion prediction
estimate assessment view belief opinion position contention
""".split())

# Heads of noun phrases that name documents, data and polls.
DOCUMENT_NOUNS = frozenset("""
study survey poll polls report analysis data figure figures statistics research review audit assessment census
document memo letter filing indictment complaint lawsuit ruling verdict transcript paper article record
records estimate estimates projection index tally count result results returns numbers
""".split())

# Heads of noun phrases that name a body: "the ministry said", "the army confirmed".
BODY_NOUNS = frozenset("""
ministry government army military police court council committee commission department agency office party
campaign company union parliament administration embassy navy force forces authority authorities regulator
board bank firm administration cabinet senate congress assembly tribunal prosecutor's coalition opposition
alliance organisation organization group federation association institute foundation network broadcaster
newspaper agency kremlin presidency secretariat mission delegation team club church hospital trust school
university city county state region province municipality
""".split())

# Heads of noun phrases for unnamed pluralities of people.
GROUP_NOUNS = frozenset("""
official officials diplomat diplomats source sources analyst analysts expert experts resident residents
witness witnesses observer observers critic critics supporter supporters lawmaker lawmakers legislator
legislators leader leaders member members people person insider insiders aide aides adviser advisers advisor
advisors investigator investigators researcher researchers scientist scientists economist economists activist
activists protester protesters voter voters negotiator negotiators commander commanders soldier soldiers
doctor doctors worker workers employee employees staff spokespeople
""".split())

# A spokesperson speaks for whoever it belongs to: "Trump's spokeswoman said" is Trump speaking.
SPOKESPERSON_NOUNS = frozenset("spokesman spokeswoman spokesperson".split())

# Title words that make a role ("Foreign Minister", "a spokesman for …").
TITLE_WORDS = frozenset("""
president minister prime secretary chancellor premier king queen prince governor mayor senator representative
rep. sen. gov. congressman congresswoman spokesman spokeswoman spokesperson chief head director general
commander ambassador envoy negotiator leader chairman chairwoman chair ceo founder official adviser advisor
aide deputy member judge justice attorney prosecutor lawyer candidate nominee speaker lawmaker legislator mp
mep delegate delegation analyst professor researcher economist editor correspondent reporter officer sheriff
chief-of-staff counsel councillor councilor councilman councilwoman alderman commissioner inspector
superintendent trustee treasurer presenter host executive
""".split())

# Channels: how a statement reached the article ("told CNN", "in an interview with …").
CHANNEL_NOUNS = frozenset("""
agency broadcaster newspaper paper channel network television tv radio outlet website site interview statement
briefing conference post tweet video broadcast programme program podcast telegram twitter facebook x youtube
instagram newsletter blog media station magazine daily weekly tabloid
""".split())

PERSONAL_PRONOUNS = {"he": "person", "she": "person", "him": "person", "her": "person",
                     "they": "group", "them": "group", "it": "organization", "we": "group", "i": "person"}

# --- learned cues ---------------------------------------------------------------------------------

LEARNED = pathlib.Path(__file__).resolve().parent.parent / "data" / "cues.json"


@dataclass(frozen=True)
class LearnedCue:
    """How often a lemma with a given dependent headed an annotated cue in the training corpus."""

    cue: int
    total: int
    content: dict[str, int]  # relation of the content to the cue -> times
    with_: dict[str, int]  # relation -> times the lemma had such a dependent at all

    def rate(self, relation: str) -> float:
        """P(cue with its content on ``relation`` | lemma has a ``relation`` dependent), smoothed."""
        return self.content.get(relation, 0) / (self.with_.get(relation, 0) + 2)


@lru_cache(maxsize=1)
def learned_cues(path: pathlib.Path = LEARNED) -> dict[str, LearnedCue]:
    """The cue lexicon learned by ``python -m onrecord.train.cues`` ("lemma/POS" -> counts); empty if absent."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {key: LearnedCue(v["cue"], v["total"], v.get("content", {}), v.get("with", {}))
            for key, v in data.get("lemmas", {}).items()}


GIVEN_NAME_RATIO = 10.0  # how much commoner among one gender a given name must be to say anything


@lru_cache(maxsize=1)
def given_name_shares() -> dict[str, dict[str, float]]:
    """Given name (lower case) -> {"m"/"f": % of that gender bearing it}, from the 1990 US census lists
    of first names in the ``names`` package."""
    from importlib.resources import files

    shares: dict[str, dict[str, float]] = {}
    for gender, listing in (("m", "dist.male.first"), ("f", "dist.female.first")):
        with (files("names") / listing).open(encoding="ascii") as lines:
            for line in lines:
                name, share = line.split()[:2]
                shares.setdefault(name.lower(), {})[gender] = float(share)
    return shares


@lru_cache(maxsize=1)
def given_names() -> dict[str, str]:
    """Given names (lower case) borne overwhelmingly by one gender, "m" or "f": the 1990 US census
    lists of first names shipped in the ``names`` package (public-domain data, frequencies in % of
    each gender). A name in both lists counts only when one frequency is ``GIVEN_NAME_RATIO``
    times the other: "jean" and "leslie" say nothing."""
    out = {}
    for name, by in given_name_shares().items():
        m, f = by.get("m", 0.0), by.get("f", 0.0)
        if m >= GIVEN_NAME_RATIO * f:
            out[name] = "m"
        elif f >= GIVEN_NAME_RATIO * m:
            out[name] = "f"
    return out


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Lower-case names of places from data already installed: the countries and regions of the
    CLDR (``babel``'s English territory names) and the cities of the IANA time-zone database
    ("Australia/Melbourne" -> "melbourne"; ``zoneinfo`` over ``tzdata``). A gazetteer, not a
    verdict: "Victoria" and "Sofia" are in it, so it only marks a name the tagger did not call a person."""
    import zoneinfo

    from babel import Locale

    out = {name.lower() for name in Locale("en").territories.values()}
    for zone in zoneinfo.available_timezones():
        city = zone.rsplit("/", 1)[-1]
        if "/" in zone and not city.isupper() and not city.startswith(("GMT", "UTC")):
            out.add(city.replace("_", " ").lower())
    return frozenset(out)
