"""Stage 2, "clean": find the lines of an article that are not the article.

Boilerplate is recognised line by line (a line is a paragraph in our texts): teaser links to other stories,
credits and copyright notices, subscribe and share prompts, and advertisement markers. Each finding is the whole
line; later stages skip those spans, and every offset stays valid.

Precision matters more than recall here: a sentence of the story that is wrongly removed is lost to every later
stage. So a prompt must open its line, be followed by a separator or the end of the line, and the line must be
short; a sentence that merely contains "read", "share" or "follow" is never touched.
"""

from __future__ import annotations

import re

from onrecord.record import Boilerplate

# Prompts and teasers are short lines; a longer line that opens with "Related:" is prose that happens to.
MAX_PROMPT_CHARS = 200
# Credit lines ("Reporting by …; Editing by …", copyright notices) can list several names.
MAX_CREDIT_CHARS = 300

# List bullets that open a line ("• Name, role: …" in newsletters); never part of a name or a sentence.
BULLETS = "•·▪◦‣∙●○■□»›►▶▸*"
# Bullets, arrows and brackets that sites put in front of a teaser line.
_LEAD = rf"[\s\-–—>|\[({re.escape(BULLETS)}]*"
# What separates a teaser label from its headline: a colon, dash, bar, or (as some sites emit) a no-break space.
# A dash counts only with spaces around it, so "Related-party deals" or "More—much more" stay prose.
_SEP = r"(?:\s*[:|]\s*|\s+[–—-]\s+|\u00a0\s*|\s*$)"

_RELATED_LABELS = (
    r"also\s+read", r"read\s+also", r"read\s+more", r"more\s+reading", r"further\s+reading", r"read\s+next",
    r"must\s+read", r"related", r"related\s+(?:stories|story|articles?|coverage|content|news|links?|reading)",
    r"see\s+also", r"watch", r"watch\s+more", r"also\s+watch", r"listen", r"video", r"more", r"more\s+on\s+this",
    r"more\s+from\s+[\w .'&-]{1,40}", r"recommended(?:\s+stories|\s+for\s+you)?", r"you\s+(?:may|might)\s+also\s+like",
    r"you\s+(?:may|might)\s+be\s+interested\s+in", r"don['’]t\s+miss", r"top\s+stories", r"trending(?:\s+now)?",
    r"most\s+(?:read|popular|viewed)", r"in\s+pictures", r"in\s+depth", r"editor['’]s\s+picks?", r"latest\s+news",
)
_RELATED = re.compile(rf"^{_LEAD}(?:{'|'.join(_RELATED_LABELS)}){_SEP}", re.IGNORECASE)
# "Read the full story", "Click here to read more" and the like, with or without a separator.
_READ_LINK = re.compile(
    rf"^{_LEAD}(?:read\s+(?:the\s+)?full\s+(?:story|article|report|interview|text)|"
    r"click\s+here\s+(?:to\s+|for\s+)(?:read|watch|see|view|listen|more)|"
    r"read\s+(?:the\s+rest|it\s+all)\b|"
    r"watch\s+(?:the\s+)?(?:full\s+)?(?:video|clip|interview|speech|remarks)\b[^.!?]{0,100}\b(?:below|above|here)\W*$|"
    r"continue\s+reading\b(?!\s+the\s+main\s+story))",
    re.IGNORECASE,
)

_ADVERTISEMENT = re.compile(
    rf"^{_LEAD}(?:advertisement|advertisements|advert|ad|sponsored(?:\s+content)?|paid\s+(?:content|post)|promoted|"
    r"(?:story|article|text)\s+continues\s+(?:below|after)(?:\s+(?:this\s+)?(?:advertisement|ad))?|"
    r"continue\s+reading\s+(?:the\s+main\s+story|below)|scroll\s+to\s+continue(?:\s+with\s+content)?|"
    r"skip\s+advertisement|remove\s+ads?)[\s.:)\]]*$",
    re.IGNORECASE,
)

_SUBSCRIBE = re.compile(
    rf"^{_LEAD}(?:subscribe(?:\s+(?:to|for|now|today|here)\b|{_SEP})|"
    r"sign\s+up\b.{0,120}?\b(?:newsletters?|our|e-?mails?|alerts?|updates|here|now|today|free|daily|weekly|briefing)\b|"
    r"get\s+(?:our|the)\b.{0,60}?\b(?:newsletters?|app|alerts|briefing)\b|"
    r"download\s+(?:the|our)\b.{0,40}?\bapp\b|"
    r"click\s+here\s+to\s+(?:subscribe|sign\s+up|register|join|download|get)\b|"
    r"join\s+(?:our|us\s+on)\s+[\w ]{0,30}?(?:channel|newsletter|community|whatsapp|telegram)\b|"
    r"support\s+(?:our|independent)\s+journalism\b|become\s+a\s+(?:member|subscriber)\b|"
    r"(?:already\s+a\s+subscriber|log\s+in\s+to\s+(?:continue|read))\b|"
    r"(?:newsletter|(?:breaking\s+news\s+)?e-?mail\s+alerts?)\s*$|"
    r"(?:click|tap)\s+here\b)",  # any other "Click here to…" prompt: read/watch and share ones are matched before
    re.IGNORECASE,
)

_PLATFORM = r"(?:twitter|x|facebook|instagram|telegram|linkedin|youtube|tiktok|threads|bluesky|whatsapp|mastodon)"
# On a line of its own, a lone "X" is more often a close button's glyph than the platform.
_PLATFORM_NAMED = r"(?:twitter|facebook|instagram|telegram|linkedin|youtube|tiktok|whatsapp|flickr)"
_SHARE = re.compile(
    rf"^{_LEAD}(?:share\s+(?:this|the)\s+(?:article|story|page|post|video)\b|share\s+(?:on|via)\s+{_PLATFORM}\b|"
    rf"share(?:\s+this)?{_SEP}|"
    rf"follow\s+(?:us|me|@\w+|(?:the\s+)?[\w.'’ ]{{1,80}}?)\s+on\s+{_PLATFORM}\b|like\s+us\s+on\s+facebook\b|"
    rf"on\s+{_PLATFORM},?\s+follow\b|{_PLATFORM}\s*:\s*@\w+|"
    rf"(?:tweet|email|print)(?:\s+this(?:\s+(?:article|story))?)?\s*$|"
    r"click\s+here\s+to\s+(?:share|follow|tweet|comment)\b)",
    re.IGNORECASE,
)

# --- credits
_BY_NAME = r"[A-Z][\w'’.\-]*(?:\s+(?:[A-Z][\w'’.\-]*|de|da|van|von|der|al|bin|el|la|le))*"
_ROLE = (
    r"(?:staff\s+writer|staff\s+reporter|staff|writer|reporter|correspondent|editor|contributor|analyst|"
    r"(?:senior|chief|political|foreign|diplomatic|defence|defense|security|white\s+house|washington|europe|"
    r"world|news|special|international)\s+(?:\w+\s+)?(?:correspondent|editor|reporter|writer)|"
    r"the\s+associated\s+press|associated\s+press|[A-Z][\w&.]*(?:\s+(?:[A-Z][\w&.]*|\d{1,3})){0,3})"
)
# "By March" or "By Monday" on a line of its own is a time phrase, not a byline.
_NOT_NAMES = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Christmas|Easter|Then|Now|Contrast|Comparison)\b"
)
_BYLINE = re.compile(
    rf"^{_LEAD}(?i:by|written\s+by|reported\s+by|words\s+by)\s+(?!{_NOT_NAMES})"
    rf"{_BY_NAME}(?:\s*(?:,|&|\band\b)\s*{_BY_NAME})*"
    rf"(?:\s*(?:,|\||/|-|–|—|\bin\b)\s*{_ROLE})*"
    r"(?:\s*[,|/-]?\s*(?:updated|published)?\s*:?\s*[\w ,:.]{0,40}\d{4})?\s*$"
)
# "By the Foreign Desk", "By our Staff Reporter": a desk or team signs the story, no person
_DESK_BYLINE = re.compile(
    rf"^{_LEAD}(?i:by)\s+(?i:the|our)\s+(?:[A-Z][\w&.-]*\s+){{0,3}}(?i:desk|staff|team|newsroom|staff\s+reporter)\s*$"
)
_PICTURE = r"(?:file\s+)?(?:photo|photograph|picture|pic|image|illustration|video|graphic)s?"
_CREDIT_START = re.compile(
    rf"^{_LEAD}(?:{_PICTURE}(?:\s+credit)?\s*(?::|/)|image\s+(?:source|caption)\s*[:,]|"
    r"(?:photo\s+|image\s+)?credits?\s*:|caption\s*:|"
    r"copyright\s*(?:©|\(c\)|\d{4}|:)|\(c\)\s*\d{4}|©|our\s+standards\s*:)",
    re.IGNORECASE,
)
_PHOTO_AGENCY = (
    r"(?:getty\s+images|afp|ap(?:\s+photo)?|reuters|epa(?:-efe)?|shutterstock|alamy|xinhua|sputnik|tass|"
    r"anadolu(?:\s+agency)?|pa(?:\s+(?:images|wire|media))?|bloomberg|ukrinform|unian|dpa|ansa|imago|"
    r"sipa(?:\s+usa)?|nurphoto|zuma\s+press|rex\s+features|handout)"
)
# A caption that ends with its photo credit: "… in Kyiv on Monday. Photo: Jane Doe / AFP", "(Getty Images)".
# "Photo:" must open a sentence and be capitalised, so "he posted an image by a local artist." stays prose.
_CREDIT_TAIL = re.compile(
    rf"(?:(?:/|\|)\s*(?i:{_PHOTO_AGENCY})|(?i:\bvia\s+getty\s+images)|\((?i:photo|image|picture|file)\b[^()]{{0,80}}\)|"
    rf"\(\s*(?i:{_PHOTO_AGENCY})(?:\s*/\s*[\w .'’-]{{1,40}})?\s*\)|"
    r"(?:^|(?<=[.!?)|])\s)(?:Photo|Image|Picture|Photograph)(?:\s+credit)?\s*(?::|by\b)\s*[^.]{1,80})\s*\.?$"
)
# Staff credits of wire stories: "Reporting by A in Kyiv and B in Moscow; Editing by C". Names must be
# capitalised all the way, so "Reporting by the BBC found that…" stays prose.
_CREDIT_ITEM = rf"{_BY_NAME}(?:\s+in\s+{_BY_NAME})?"
_STAFF_CREDIT = re.compile(
    rf"^{_LEAD}(?:\s*(?i:(?:additional\s+)?(?:reporting|writing|editing|research|compiled|graphics|"
    rf"fact-checking|production)(?:\s+and\s+(?:reporting|writing|editing|research))?\s+by)\s+"
    rf"{_CREDIT_ITEM}(?:\s*(?:,|&|\band\b)\s*{_CREDIT_ITEM})*\s*[;,.]?)+\s*\)?\s*\.?$"
)
# "Photo by Jane Doe / AFP": the rest of the line must be names, so "Video by a bystander showed…" stays prose.
_SOURCE_NAME = rf"(?:the\s+)?{_BY_NAME}(?:\s+of\s+(?:the\s+)?{_BY_NAME})*"  # a person or "the Ministry of X"
_PICTURE_BY = re.compile(
    rf"^{_LEAD}(?i:{_PICTURE}\s+(?:by|courtesy\s+of))\s+{_SOURCE_NAME}"
    rf"(?:\s*(?:,|&|\band\b|/|\||\bfor\b|\bvia\b)\s*{_SOURCE_NAME})*\s*[.)]?$"
)
# A line that is nothing but a picture's source: "Getty.", "Reuters/Handout.", "TWITTER."
_SOURCE_ONLY = re.compile(
    rf"^{_PHOTO_AGENCY}(?:\s*/\s*[\w .'’-]{{1,30}})?\s*\.?$|"
    rf"^(?:getty|{_PLATFORM_NAMED}|screenshot|screengrab|file\s+photo)(?:\s*/\s*[\w .'’-]{{1,30}})?\s*\.?$|"
    r"^\(?\s*h/t\b",  # hat tip: "(h/t Some Outlet.)"
    re.IGNORECASE,
)
_CREDIT_ANYWHERE = re.compile(r"all\s+rights\s+reserved|©\s*\d{4}|copyright\s+\d{4}", re.IGNORECASE)
# "(Reporting by …; Editing by …)" may also close the last paragraph of a wire story; it is then its own span.
_WIRE_CREDIT = re.compile(
    r"\(\s*(?:additional\s+)?(?:reporting|writing|editing)\s+by\b[^()]*\)\s*$", re.IGNORECASE
)

# Press-release furniture; everything after "ENDS" or "Notes to editors" is about the sender, not the news.
_RELEASE = re.compile(
    rf"^{_LEAD}(?:for\s+immediate\s+release|embargoed\s+(?:until|till)\b.*|press\s+release|news\s+release|"
    r"(?:for\s+)?(?:media|press)\s+(?:enquiries|inquiries|contacts?)\b.*|contact\s*:.*)\s*$",
    re.IGNORECASE,
)
_RELEASE_END = re.compile(
    rf"^{_LEAD}(?:[-–—#\s]*ends?[-–—#\s]*|notes?\s+(?:to|for)\s+editors?\s*:?|about\s+[\w .&'’-]{{1,60}}:)\s*$",
    re.IGNORECASE,
)
# Live-page furniture: "Posted by the Politics Desk | Refresh for latest updates", "Updated 14:02 GMT", and a
# story's time stamps ("Posted 4:12 PM, Updated 6:38 PM").
_LIVE = re.compile(
    rf"^{_LEAD}(?:(?i:posted\s+by)\s+(?:the\s+)?{_BY_NAME}(?:\s*(?:,|at|on)\s*[\w:., ]{{1,30}})?|"
    r"(?i:(?:last\s+)?updated|posted|published)\s*:?\s*(?=[^|]*\d)[\d:.,\w ]{0,40}|"
    r"(?i:refresh\s+(?:for|to\s+see)\s+(?:the\s+)?latest(?:\s+updates)?))(?:\s*\|\s*.{0,80})?\s*$"
)

_LINE = re.compile(r"[^\n]+")


def find_boilerplate(text: str) -> list[Boilerplate]:
    """Boilerplate lines of ``text`` as spans (``text == text[start:end]``), in order, each with its reason.

    Reasons: ``related-link``, ``credit``, ``subscribe``, ``share``, ``advertisement``, ``press-release``.
    """
    found: list[Boilerplate] = []
    trailer = False  # inside a press release's closing section
    for match in _LINE.finditer(text):
        line = match.group()
        stripped = line.strip()
        if not stripped:
            continue
        start = match.start() + (len(line) - len(line.lstrip()))
        end = start + len(stripped)
        if _RELEASE_END.match(stripped):
            trailer = True
        reason = "press-release" if trailer else classify_line(stripped)
        if reason:
            found.append(Boilerplate(start=start, end=end, text=text[start:end], reason=reason))
            continue
        wire = _WIRE_CREDIT.search(stripped)
        if wire and wire.start() > 0 and len(wire.group()) <= MAX_CREDIT_CHARS:
            # Only the parenthesised credit at the end of the paragraph, not the sentence before it.
            w_start = start + wire.start()
            found.append(Boilerplate(start=w_start, end=end, text=text[w_start:end], reason="credit"))
    return found


def classify_line(line: str) -> str | None:
    """The boilerplate reason for one stripped line, or None when it reads as part of the story."""
    if len(line) <= MAX_PROMPT_CHARS:
        if _ADVERTISEMENT.match(line):
            return "advertisement"
        if _RELATED.match(line) or _READ_LINK.match(line):
            return "related-link"
        if _SHARE.match(line):
            return "share"
        if _SUBSCRIBE.match(line):
            return "subscribe"
        if _RELEASE.match(line):
            return "press-release"
        if any(p.match(line) for p in (_BYLINE, _DESK_BYLINE, _STAFF_CREDIT, _SOURCE_ONLY, _PICTURE_BY, _LIVE)):
            return "credit"
        if _CREDIT_TAIL.search(line) and not _looks_like_prose(line):
            return "credit"
    if len(line) <= MAX_CREDIT_CHARS and (_CREDIT_START.match(line) or _CREDIT_ANYWHERE.search(line)):
        return "credit"
    return None


def _looks_like_prose(line: str) -> bool:
    """Whether a line ending in an agency name is a story sentence ("… a spokesman told AP.") not a caption."""
    body = _CREDIT_TAIL.split(line, maxsplit=1)[0]
    # A caption's credit follows a slash, a bar, "via" or brackets; "told Reuters." has none of those and
    # is not matched at all. What remains to rule out is a long multi-sentence paragraph that ends so.
    return body.count(". ") >= 2


# "GENEVA, May 14 (Reuters) - ", "KYIV (AP) — ": where a wire story's first sentence really starts
_DATELINE = re.compile(
    r"^[ \t]*[A-Z][A-Z.'’\- ]{1,40}(?:,\s*[A-Z][A-Za-z.]*\s+\d{1,2})?(?:\s*\([A-Za-z0-9 .&'’-]{1,30}\))?"
    r"\s*[-–—]{1,2}\s+",
    re.MULTILINE,
)


def find_dateline(text: str, within: int = 2000) -> tuple[int, int] | None:
    """The dateline that opens a wire story's first paragraph, if there is one near the top."""
    match = _DATELINE.search(text, 0, within)
    return (match.start(), match.end()) if match else None


def dateline_credits(text: str) -> frozenset[str]:
    """The agencies the article's datelines credit ("(Wire)", "(Reuters)"): outlets wherever the story names them."""
    return frozenset(m.group(1).strip() for s, e in find_datelines(text)
                     if (m := re.search(r"\(([^)]+)\)", text[s:e])) is not None)


def find_datelines(text: str, within: int = 2000) -> list[tuple[int, int]]:
    """The first dateline (``find_dateline``) and every later paragraph that opens with one the same way: a
    roundup of wire items ("TALLINGA, June 4 (Wire) - …", "PORT ELIM, June 4 (Wire) - …")."""
    first = find_dateline(text, within)
    if first is None:
        return []
    return [first] + [(m.start(), m.end()) for m in _DATELINE.finditer(text, first[1])
                      if m.start() == 0 or text[m.start() - 1] == "\n"]

