"""Stage 1, "read": turn what a user gives us (a file, bytes, text, JSON lines) into analysable article text.

Everything that cannot be analysed is refused with an :class:`~onrecord.errors.InputError` whose message is one
line a person can act on: empty, binary, undecodable, too large, not English, or HTML without article text.

The text is normalised minimally (line endings, trailing spaces, surrounding blank lines) and nothing else: quote
characters, no-break spaces and everything inside lines are kept as they are, because every later stage reports
character offsets into exactly this text.
"""

from __future__ import annotations

import codecs
import json
import logging
import os
import re
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from onrecord.errors import InputError, TooLong

DEFAULT_MAX_BYTES = 5_000_000
MAX_BYTES_ENV = "ONRECORD_MAX_BYTES"
# The longest article text analysed, in characters, checked before parsing: within it an analysis's peak
# memory grows linearly and stays under 1 GB (docs/server.md). Markup removed from HTML does not count.
DEFAULT_MAX_CHARS = 1_000_000
MAX_CHARS_ENV = "ONRECORD_MAX_CHARS"

# trafilatura logs "empty HTML tree" and the like at WARNING/ERROR; with no handler configured Python would print
# them to stderr. A NullHandler silences only that last-resort printing; records still propagate to any handler
# the application configures.
for _name in ("trafilatura", "htmldate", "courlan"):
    logging.getLogger(_name).addHandler(logging.NullHandler())


@dataclass
class Document:
    """One article ready for analysis: its text and what we know about where it came from."""

    text: str
    name: str  # "-" for stdin, else the path (or "path:line" for JSON lines)
    title: str | None = None
    url: str | None = None
    published: str | None = None
    outlet: str | None = None
    id: str | None = None


METADATA_FIELDS = ("title", "url", "published", "outlet", "id")


# --------------------------------------------------------------------------------------------------- public API


def max_bytes_default() -> int:
    """The size limit in bytes: ``ONRECORD_MAX_BYTES`` if set, else :data:`DEFAULT_MAX_BYTES`."""
    raw = os.environ.get(MAX_BYTES_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_BYTES
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise InputError(f"{MAX_BYTES_ENV} must be a positive number of bytes, got {raw!r}")
    return value


def max_chars() -> int:
    """The length limit in characters: ``ONRECORD_MAX_CHARS`` if set, else :data:`DEFAULT_MAX_CHARS`."""
    raw = os.environ.get(MAX_CHARS_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_CHARS
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise InputError(f"{MAX_CHARS_ENV} must be a positive number of characters, got {raw!r}")
    return value


def read_path(path: str | Path, *, max_bytes: int | None = None) -> Document:
    """Read a file ("-" reads stdin); HTML is recognised by its .html/.htm extension or by sniffing the markup."""
    limit = size_limit(max_bytes)
    if str(path) == "-":
        data = sys.stdin.buffer.read(limit + 1)
        return read_bytes(data, name="-", max_bytes=limit)
    p = Path(path)
    try:
        info = p.stat()
    except FileNotFoundError:
        raise InputError(f"no such file: {p}") from None
    except OSError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror or exc}") from None
    if p.is_dir():
        raise InputError(f"{p} is a directory, not a file")
    # A regular file's size is known without reading it; pipes and devices report 0, so the bounded read below
    # still stops at limit + 1 bytes.
    if info.st_size > limit:
        raise InputError(too_large(p.name, info.st_size, limit))
    try:
        with p.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror or exc}") from None
    html = True if p.suffix.lower() in {".html", ".htm", ".xhtml"} else None
    return read_bytes(data, name=str(p), html=html, max_bytes=limit)


def read_bytes(data: bytes, *, name: str = "-", html: bool | None = None, max_bytes: int | None = None) -> Document:
    """Decode raw input and read it; ``html=None`` sniffs whether it is markup."""
    limit = size_limit(max_bytes)
    if len(data) > limit:
        # The caller may have read only limit + 1 bytes, so the true size is unknown: say "more than".
        raise InputError(too_large(_label(name), len(data), limit))
    if not data.strip():
        raise InputError(_empty_message(data))
    # An ASCII-compatible peek is enough to see tags and find a charset label before decoding; the decoded text
    # is sniffed again because a UTF-16 page only shows its tags after decoding.
    head = data[:4096].decode("latin-1")
    text = decode(data, html=html if html is not None else looks_like_html(head))
    if html is None:
        html = looks_like_html(text[:4096])
    return read_text(text, html=html, name=name)


def read_text(text: str, *, html: bool = False, name: str = "-", **metadata: Any) -> Document:
    """Validate already-decoded text (or HTML markup when ``html``) and return it as a :class:`Document`.

    Keyword metadata (``title``, ``url``, ``published``, ``outlet``, ``id``) given here wins over what the HTML says.
    """
    unknown = set(metadata) - set(METADATA_FIELDS)
    if unknown:
        raise TypeError(f"read_text() got unexpected metadata: {', '.join(sorted(unknown))}")
    if not text.strip():
        raise InputError(_empty_message(text))
    _check_binary(text)
    found: dict[str, str | None] = {}
    if html:
        text, found = extract_html(text)
    text = normalise(text)
    check_text(text)
    fields = {key: metadata.get(key) if metadata.get(key) is not None else found.get(key) for key in METADATA_FIELDS}
    return Document(text=text, name=name, **fields)


def read_jsonl(stream: TextIO, *, max_bytes: int | None = None) -> Iterator[Document | InputError]:
    """Read one JSON object per line (``text`` or ``html``, plus optional metadata).

    A bad line yields an :class:`InputError` naming its line number and the iteration goes on, so one broken
    record in a batch does not lose the rest. Blank lines are skipped (``Document.name`` ends in the true line
    number). ``max_bytes`` limits each line.
    """
    base = getattr(stream, "name", "-")
    if not isinstance(base, str) or base.startswith("<"):
        base = "-"  # sys.stdin is called "<stdin>"
    limit = size_limit(max_bytes)
    for lineno, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            yield _jsonl_document(line, lineno, f"{base}:{lineno}", limit)
        except InputError as exc:
            yield InputError(f"line {lineno}: {exc}")


def check_text(text: str) -> None:
    """Raise :class:`InputError` unless ``text`` is non-empty, textual, English and no longer than
    :func:`max_chars` (:class:`~onrecord.errors.TooLong`)."""
    limit = max_chars()
    if len(text) > limit:
        raise TooLong(len(text), limit)
    if not text.strip():
        raise InputError(_empty_message(text))
    _check_binary(text)
    problem = not_english(text)
    if problem:
        raise InputError(f"the text does not look like English ({problem}); onrecord analyses English news only")


# ----------------------------------------------------------------------------------------------------- decoding

_BOMS = (  # UTF-32 first: its little-endian BOM starts with the UTF-16 one
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)

_MAGIC = (
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (a .docx or .odt is one)"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"{\\rtf", "an RTF document"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
)

# Bytes that never occur in text files (C0 controls other than tab, newlines, form feed; and DEL).
_CONTROL_BYTES = bytes([*range(0, 9), 11, *range(14, 32), 127])

_META_CHARSET = re.compile(
    r"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)""", re.IGNORECASE
)

# Labels browsers (WHATWG) read as windows-1252; Python's latin-1 would turn bytes 0x80-0x9F into C1 controls.
_WINDOWS_1252_LABELS = {"latin-1", "latin1", "iso-8859-1", "iso8859-1", "iso_8859-1", "l1", "us-ascii", "ascii"}


def decode(data: bytes, *, html: bool = False) -> str:
    """Bytes to text: a BOM's encoding, else UTF-8, else an HTML-declared charset, else Windows-1252 if plausible."""
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(f"not valid {label} text despite its byte-order mark ({exc.reason})") from None
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise InputError(f"the input is {what}, not text; extract its text first")
    _check_binary_bytes(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not UTF-8"
    tried = ["UTF-8"]
    if html:
        declared = _declared_charset(data[:4096].decode("latin-1"))
        if declared:
            tried.append(declared)
            try:
                return data.decode(declared)
            except UnicodeDecodeError:
                pass
    if "cp1252" not in tried:
        tried.append("cp1252")
        try:
            candidate = data.decode("cp1252")
        except UnicodeDecodeError:
            candidate = None
        if candidate is not None and _plausible_single_byte_text(candidate):
            return candidate
    raise InputError(f"not UTF-8 text ({utf8_error}; also tried {', '.join(tried[1:])}); save it as UTF-8")


def _declared_charset(head: str) -> str | None:
    """The Python codec named by an HTML ``<meta charset>`` / http-equiv or an XML declaration, if known."""
    match = _META_CHARSET.search(head)
    if not match:
        return None
    label = (match.group(1) or match.group(2)).lower()
    if label in _WINDOWS_1252_LABELS:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _plausible_single_byte_text(text: str) -> bool:
    """Whether a Windows-1252 reading looks like Western text rather than another encoding read wrongly.

    Text in a Latin-script language has only a few accented letters or typographic marks; a multi-byte
    encoding (GBK, Shift-JIS, KOI8-R…) read as Windows-1252 is mostly non-ASCII gibberish.
    """
    visible = [ch for ch in text if not ch.isspace()]
    if not visible:
        return False
    non_ascii = sum(1 for ch in visible if ord(ch) > 127)
    return non_ascii / len(visible) <= 0.15


def _check_binary_bytes(data: bytes) -> None:
    sample = data[:65536]
    nul = sample.count(0)
    if nul:
        # ASCII text saved as UTF-16 without a BOM has a NUL in every other byte.
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if max(even, odd) >= 0.7 * (len(sample) // 2) and min(even, odd) <= 0.05 * (len(sample) // 2):
            raise InputError("the input looks like UTF-16 text without a byte-order mark; save it as UTF-8")
        raise InputError("the input looks like binary data (it contains NUL bytes), not text")
    controls = sum(sample.count(b) for b in _CONTROL_BYTES)
    if controls > 0.02 * len(sample):
        raise InputError(f"the input looks like binary data ({controls / len(sample):.0%} control bytes), not text")


# Control characters (Unicode category Cc) that have no place in text: all but tab, line breaks and form feed.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")


def _check_binary(text: str) -> None:
    if "\x00" in text:
        raise InputError("the input looks like binary data (it contains NUL characters), not text")
    controls = len(_CONTROL_CHARS.findall(text))
    if controls > 0.02 * len(text):
        raise InputError(f"the input looks like binary data ({controls / len(text):.0%} control characters), not text")


# --------------------------------------------------------------------------------------------------------- HTML

_HTML_START = re.compile(
    r"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|article|main|div|p|section|h[1-6]|\?xml)\b",
    re.IGNORECASE | re.DOTALL,
)


def looks_like_html(head: str) -> bool:
    """Whether the start of an input is markup: it opens with an HTML tag (after comments). Text that only
    contains tags is text: the page, an uploaded file and ``onrecord analyze file.txt`` read it as the JSON
    API's ``text`` does (one input, one reading)."""
    return bool(_HTML_START.match(head.lstrip("\ufeff\xef\xbb\xbf")))


_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "td", "th", "tr", "ul",
}
_SKIP_TAGS = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object", "button", "select"}
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def extract_html(markup: str) -> tuple[str, dict[str, str | None]]:
    """The article text of an HTML page (paragraphs separated by blank lines) and its metadata.

    trafilatura finds the main text; when it finds nothing (very short or odd pages) the visible text of
    ``<body>`` is used. Nothing is ever fetched: links and URLs in the page are only read as strings.
    """
    import trafilatura  # imported here: only HTML input pays for loading it

    markup = _XML_DECLARATION.sub("", markup, count=1)  # lxml refuses str input that declares an encoding
    text = ""
    meta: dict[str, str | None] = {}
    try:
        result = trafilatura.bare_extraction(
            markup, include_comments=False, include_tables=True, with_metadata=True, deduplicate=False
        )
    except Exception:  # trafilatura raises assorted errors on hostile markup; the fallback below still has a go
        result = None
    if result is not None:
        body = getattr(result, "body", None)
        if body is not None:
            text = _element_paragraphs(body)
        text = text or (getattr(result, "text", None) or "")
        meta = _metadata(result)
    else:
        try:
            meta = _metadata(trafilatura.extract_metadata(markup))
        except Exception:  # metadata is a nicety; never fail a read over it
            meta = {}
    if not text.strip():
        text = _body_text(markup)
    if not text.strip():
        raise InputError("no article text found in HTML")
    return text, meta


def _metadata(doc: Any) -> dict[str, str | None]:
    """title/url/published/outlet from a trafilatura Document (its ``filedate`` is today's date: ignored)."""
    if doc is None:
        return {}

    def get(attr: str) -> str | None:
        value = getattr(doc, attr, None)
        return value.strip() or None if isinstance(value, str) else None

    return {"title": get("title"), "url": get("url"), "published": get("date"), "outlet": get("sitename")}


def _element_paragraphs(body: Any) -> str:
    """Text of trafilatura's output tree: one paragraph per block element, ``<lb/>`` kept as a line break."""
    paragraphs: list[str] = []
    for block in body:
        if block.tag == "list":
            items = [child for child in block if child.tag == "item"] or [block]
            paragraphs.extend(_inline_text(item) for item in items)
        elif block.tag == "table":
            for row in block.iter("row"):
                paragraphs.append(" ".join(_inline_text(cell) for cell in row))
        else:
            paragraphs.append(_inline_text(block))
    return "\n\n".join(p for p in (p.strip() for p in paragraphs) if p)


def _inline_text(element: Any) -> str:
    parts: list[str] = []

    def walk(el: Any) -> None:
        if el.tag == "lb":
            parts.append("\n")
        elif el.text:
            parts.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    lines = ("".join(parts)).split("\n")
    return "\n".join(_collapse(line) for line in lines if line.strip())


def _collapse(text: str) -> str:
    # Only runs of ASCII whitespace from the markup's layout collapse; no-break spaces are content.
    return re.sub(r"[ \t\r\n\f\v]+", " ", text).strip(" ")


def _body_text(markup: str) -> str:
    """Fallback: the visible text of ``<body>`` without script/style, one paragraph per block element."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fromstring(markup)
    except (etree.ParserError, ValueError):
        return ""
    body = root.find(".//body")
    if body is None:
        body = root
    blocks: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = _collapse("".join(current))
        if line:
            blocks.append(line)
        current.clear()

    def walk(el: Any) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if not tag or tag in _SKIP_TAGS:  # comments and processing instructions have non-string tags
            return
        if tag in _BLOCK_TAGS or tag == "br":
            flush()
        if el.text:
            current.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                current.append(child.tail)
        if tag in _BLOCK_TAGS:
            flush()

    walk(body)
    flush()
    return "\n\n".join(blocks)


# ------------------------------------------------------------------------------------------------ normalisation


def normalise(text: str) -> str:
    """CRLF/CR to LF, trailing spaces and tabs off each line, blank lines off both ends, a leading BOM dropped."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[ \t]+$", "", text, flags=re.MULTILINE)
    return text.strip("\n")


# ------------------------------------------------------------------------------------------------------ English

# Frequent English function words. In English news prose they are 35-50% of word tokens; in other languages that
# use the Latin alphabet a handful of them occur by coincidence ("a", "in", "on", "was").
def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_ENGLISH = _wordset("""
a about after against all also an and any are as at be because been before being between both but by can could
did do does during each for from had has have having he her hers him his how i if in into is it its itself
may me might more most must my no nor not of on once only or other our out over own said says should since so
some such than that the their theirs them then there these they this those through to too under until up upon
very was we were what when where whether which while who whom whose why will with would you your
""")

# A few frequent function words of the languages most often mistaken for English input. Words that are also
# English function words are removed below, so that only evidence for the other language counts.
_OTHER = {
    "French": "le la les des du une et est que qui dans pour pas sur au aux avec ce cette sont il elle ont mais par "
    "leur été être nous vous ne se son sa ses selon lors été cela comme très aussi où",
    "German": "der die das und ist nicht mit von den dem des sich auf für ein eine einer zu im auch es sie wir wird "
    "werden hat haben sind dass nach bei aus wie oder aber über noch nur vor zum zur",
    "Spanish": "el la los las de del que y en un una es por con para se su sus al lo como más pero este esta ha han "
    "fue son según sobre también entre ya muy",
    "Italian": "il lo gli della delle di che e è per con non una sono nel nella dei del alla ha anche come più "
    "questo questa dopo stato",
    "Portuguese": "o os do da dos das que e em um uma não com para por se foi são ao mais mas na pelo pela também "
    "já muito",
    "Dutch": "de het een en van dat niet op met voor zijn ook aan er maar om bij naar wordt worden heeft hebben "
    "deze die wat ze",
}
_OTHER_WORDS = {lang: _wordset(words) - _ENGLISH for lang, words in _OTHER.items()}

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def not_english(text: str) -> str | None:
    """Why ``text`` is not English (a short reason), or None when it may well be.

    Two cheap signals, no model: the share of letters outside the Latin script, and the share of word tokens
    that are common English function words compared with the same share for a few other European languages.
    Short texts get the benefit of the doubt unless another language's function words outnumber English ones.
    """
    text = _sample(text)
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "it has no letters"
    scripts: dict[str, int] = {}
    for ch in letters:
        if ord(ch) < 0x250:  # Basic Latin through Latin Extended-B
            continue
        script = unicodedata.name(ch, "OTHER").split()[0]
        if script != "LATIN":
            scripts[script] = scripts.get(script, 0) + 1
    non_latin = sum(scripts.values())
    if non_latin > 0.3 * len(letters):
        main = max(scripts, key=lambda name: scripts[name])
        return f"{non_latin / len(letters):.0%} of its letters are {_script_name(main)}"

    tokens = [m.group().lower().replace("’", "'") for m in _WORD.finditer(text) if ord(m.group()[0]) < 0x250]
    if not tokens:
        return None
    english = sum(1 for t in tokens if t in _ENGLISH) / len(tokens)
    other_lang, other = max(
        ((lang, sum(1 for t in tokens if t in words) / len(tokens)) for lang, words in _OTHER_WORDS.items()),
        key=lambda pair: pair[1],
    )
    if english >= 0.2:
        return None
    if other > english and other * len(tokens) >= 2:
        # Name the language only on strong evidence: related languages share many function words.
        if other >= 0.2:
            return f"it reads like {other_lang}"
        return f"only {english:.0%} of its words are common English words"
    # English news paragraphs of 20+ words are below 15% only when they are lists of names; other languages
    # written in Latin letters sit around 0-13% (measured on PolNeAR and spaCy's example sentences).
    if len(tokens) >= 20 and english < 0.15:
        return f"only {english:.0%} of its words are common English words"
    return None


def _sample(text: str, size: int = 200_000, pieces: int = 20) -> str:
    """Up to ``size`` characters taken evenly across ``text``: plenty to judge a language, cheap on huge input."""
    if len(text) <= size:
        return text
    step, width = len(text) // pieces, size // pieces
    return " ".join(text[i * step : i * step + width] for i in range(pieces))


def _script_name(unicode_word: str) -> str:
    names = {"CJK": "Chinese/Japanese (CJK)", "HANGUL": "Korean (Hangul)", "HIRAGANA": "Japanese (Hiragana)",
             "KATAKANA": "Japanese (Katakana)"}
    return names.get(unicode_word, unicode_word.title())


# -------------------------------------------------------------------------------------------------------- helpers


def size_limit(max_bytes: int | None) -> int:
    if max_bytes is None:
        return max_bytes_default()
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    return max_bytes


def _human(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:.1f} kB"
    return f"{n} bytes"


def too_large(label: str, size: int, limit: int) -> str:
    amount = _human(size) if size != limit + 1 else f"more than {_human(limit)}"
    return (
        f"{label} is too large ({amount}; the limit is {limit:,} bytes); "
        f"raise it with {MAX_BYTES_ENV}=<bytes> or max_bytes=<bytes>"
    )


def _label(name: str) -> str:
    return "the input" if name == "-" else name


def _empty_message(data: bytes | str) -> str:
    return "the input is empty" if not data else "the input contains only whitespace"


def json_object(line: str) -> dict[str, Any]:
    """One JSON Lines record as a dict, or InputError saying what is wrong with it."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise InputError(f"expected a JSON object, got {type(obj).__name__}")
    return obj


def _jsonl_document(line: str, lineno: int, name: str, limit: int) -> Document:
    size = len(line.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise InputError(too_large("the record", size, limit))
    obj = json_object(line)
    has_text, has_html = isinstance(obj.get("text"), str), isinstance(obj.get("html"), str)
    if not (has_text or has_html):
        raise InputError('the object needs a "text" or "html" string')
    metadata: dict[str, str] = {}
    for key in METADATA_FIELDS:
        value = obj.get(key)
        if value is None:
            continue
        if key == "id" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise InputError(f'"{key}" must be a string')
        metadata[key] = value
    if has_text:
        return read_text(obj["text"], html=False, name=name, **metadata)
    return read_text(obj["html"], html=True, name=name, **metadata)
