"""A record as one self-contained HTML page that an editor reads: the article with every attribution highlighted.

``report_html(record)`` returns the page as a string. It needs nothing from outside: the CSS and the small script
are inline and allowed by a Content-Security-Policy that names their SHA-256 hashes (``default-src 'none'``, so
the page can fetch nothing, run nothing else and apply no other style, even if some text escaped its escaping).

Safety rules the code keeps (the tests check them on hostile articles):

- every string from the article or the record goes through :func:`esc` (text and attribute values alike) and the
  page is pure ASCII (other characters become character references), so no encoding step can change its meaning;
- record strings never become class names or ids: those come from whitelists or from list positions;
- article text never appears inside the script; the record is embedded as JSON in a
  ``<script type="application/json">`` block with ``<``, ``>``, ``&`` and U+2028/U+2029 escaped;
- the script never writes HTML: it clones cards rendered here and toggles classes;
- no URL from the record becomes a link (``article.url`` is shown as text), the only hrefs are ``#fragments``.

The article is cut at every span boundary into segments; each segment is one ``<span class="s">`` carrying
``data-o`` (its offset in ``record.text``) and the positions of the spans covering it (``data-a`` contents,
``data-s`` speakers, ``data-c`` cues, ``data-v`` via, ``data-u`` unsourced, ``data-f`` flags, ``data-b``
boilerplate), so nested and overlapping spans render without losing or repeating a character: the segments'
texts joined are ``record.text``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from onrecord.record import Attribution, Flag, Record

# Speaker colours: (strong colour for the speaker's words and cue, tint for direct content, lighter tint for
# indirect content). Chosen to stay apart from each other and readable on white; the most quoted speaker gets
# the first one. Past the last colour they repeat (the summary lists which speaker has which chip).
PALETTE: tuple[tuple[str, str, str], ...] = (
    ("#1c64d8", "#d6e6ff", "#ecf3ff"),
    ("#c4410f", "#ffdcc8", "#fff0e6"),
    ("#217a35", "#d2f0d9", "#eaf8ed"),
    ("#6a3fd6", "#e6dcff", "#f3eeff"),
    ("#0b7d90", "#cdeff4", "#e7f7fa"),
    ("#b8245a", "#ffd9e8", "#fff0f6"),
    ("#8a6400", "#fbecb4", "#fdf6da"),
    ("#7a4a1f", "#efdfcf", "#f8efe6"),
    ("#2f47b8", "#dbe1ff", "#eef1ff"),
    ("#4f7f0a", "#e4f3c9", "#f2f9e5"),
    ("#b02525", "#ffdada", "#fff0f0"),
    ("#3d4a57", "#e1e6eb", "#f0f3f6"),
)
GREY = ("#6c757d", "#e9ecef", "#f4f5f7")  # attributions without a named speaker

FORMS = ("direct", "indirect", "mixed")
SEVERITIES = ("high", "medium", "low")
KINDS = ("person", "organization", "group", "document", "unknown")
NAMED_KINDS = ("person", "organization", "document")
HOT = 0.5  # check-worthiness from which an unsourced statement is drawn stronger (the scorer's flag threshold)
CLIP = 420  # characters of a quotation shown in a card


# ------------------------------------------------------------------------------------------------- escaping

_NOT_XML = re.compile(r"[\x00\ud800-\udfff]")  # NUL and lone surrogates cannot travel in an HTML document
_CR = re.compile(r"\r")


def esc(value: object) -> str:
    """``value`` as text safe inside HTML text or a quoted attribute, ASCII only.

    NUL and lone surrogates become U+FFFD (one character for one, so offsets still line up); a carriage return
    becomes ``&#13;`` because the HTML parser would otherwise turn it into a line feed."""
    text = _NOT_XML.sub("\ufffd", str(value))
    text = html.escape(text, quote=True)
    text = _CR.sub("&#13;", text)
    return text.encode("ascii", "xmlcharrefreplace").decode("ascii")


# Characters that act without showing: C0/C1 controls (not tab or line breaks) and the bidirectional formatting
# characters. An override (U+202E) reverses everything after it up to the end of the paragraph, so a name could
# be made to read as another and pull the page's own punctuation into it (Unicode TR9; CVE-2021-42574).
_CONTROLS = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_BIDI_CONTROLS = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def shown(value: object) -> str:
    """A record string (a name, a quotation, a title) as HTML: escaped, isolated in ``<bdi>`` so its direction
    cannot reorder what is around it, and each control character shown as ``[U+XXXX]`` instead of acting."""
    text = str(value)
    out, at = [], 0
    for m in _CONTROLS.finditer(text):
        code = f"U+{ord(m.group()):04X}"
        out += [esc(text[at : m.start()]), f'<span class="ctl" title="invisible control character {code}">'
                                             f"[{code}]</span>"]
        at = m.end()
    out.append(esc(text[at:]))
    return f"<bdi>{''.join(out)}</bdi>"


def visible(value: object) -> str:
    """``value`` as plain text (for ``<title>`` and attributes) with its control characters written as [U+XXXX]."""
    return _CONTROLS.sub(lambda m: f"[U+{ord(m.group()):04X}]", str(value))


def _finite(data: Any) -> Any:
    """``data`` with NaN and infinities replaced by None: JSON has no spelling for them that JSON.parse accepts."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {str(k): _finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(v) for v in data]
    return data


def json_for_html(data: Any) -> str:
    """``data`` as JSON that is inert inside a ``<script type="application/json">`` element."""
    text = json.dumps(_finite(data), ensure_ascii=True, allow_nan=False, default=str)
    # ensure_ascii already writes U+2028/U+2029 as escapes; <, > and & would let "</script" or "<!--" end or
    # change the element, so they are written as \u escapes too (JSON.parse reads them back unchanged).
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _clip(text: str, limit: int) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _score(value: object) -> float:
    """A check-worthiness as a number in [0, 1] (hand-made records may hold anything)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return min(1.0, max(0.0, number)) if math.isfinite(number) else 0.0


def _pick(value: object, allowed: tuple[str, ...], default: str) -> str:
    return value if isinstance(value, str) and value in allowed else default


# ------------------------------------------------------------------------------------------------- speakers


def _speaker_key(a: Attribution) -> str | None:
    """Who an attribution belongs to, for colours and counts: the actor id, else the name; None when no speaker."""
    if a.speaker is None:
        return None
    if a.speaker.actor:
        return "actor:" + str(a.speaker.actor)
    name = " ".join(str(a.speaker.name or a.speaker.text or "").split()).casefold()
    return "name:" + name if name else None


@dataclass
class SpeakerStat:
    """One speaker in the summary: how often and how they are quoted."""

    key: str | None
    name: str
    kind: str
    colour: int | None  # index into PALETTE, None for the grey of attributions without a speaker
    count: int = 0
    forms: Counter[str] = field(default_factory=Counter)
    roles: list[str] = field(default_factory=list)
    attributions: list[int] = field(default_factory=list)


def speakers(record: Record) -> list[SpeakerStat]:
    """Speakers ordered by how often they are quoted (then by first appearance), each with a palette colour."""
    actor_roles = {str(actor.id): [str(r) for r in actor.roles] for actor in record.actors}
    stats: dict[str | None, SpeakerStat] = {}
    for i, a in enumerate(record.attributions):
        key = _speaker_key(a)
        if key not in stats:
            if a.speaker is None or key is None:
                stats[key] = SpeakerStat(key, "(no source named)", "unknown", None)
            else:
                name = a.speaker.name or a.speaker.text or "(unnamed)"
                stats[key] = SpeakerStat(key, str(name), _pick(a.speaker.kind, KINDS, "unknown"), None)
        stat = stats[key]
        stat.count += 1
        stat.forms[_pick(a.form, FORMS, "indirect")] += 1
        stat.attributions.append(i)
        roles = [a.speaker.role] if a.speaker and a.speaker.role else []
        if a.speaker and a.speaker.actor:
            roles += actor_roles.get(str(a.speaker.actor), [])
        for role in roles:
            if str(role) not in stat.roles:
                stat.roles.append(str(role))
    ordered = sorted(stats.values(), key=lambda s: (-s.count, s.attributions[0]))
    colour = 0
    for stat in ordered:
        if stat.key is not None:
            stat.colour = colour % len(PALETTE)
            colour += 1
    return ordered


def speaker_palette(record: Record) -> list[int | None]:
    """The palette colour of each attribution of ``record``, in order (None: grey, no speaker)."""
    colours: list[int | None] = [None] * len(record.attributions)
    for stat in speakers(record):
        for i in stat.attributions:
            colours[i] = stat.colour
    return colours


def _colour_suffix(colour: int | None) -> str:
    return "x" if colour is None else str(colour)


# ------------------------------------------------------------------------------------------------- segments


@dataclass
class Mark:
    """One span of the record placed on the text: kind is a (content), s (speaker), c (cue), v (via),
    u (unsourced), f (flag), b (boilerplate) or p (a paragraph break); index is its position in its list."""

    start: int
    end: int
    kind: str
    index: int


@dataclass
class Segment:
    start: int
    end: int
    marks: list[Mark]

    def of(self, kind: str) -> list[Mark]:
        return [m for m in self.marks if m.kind == kind]


_BREAK = re.compile(r"[^\S\n]*\n\s*")  # a run of whitespace holding a line break ends a paragraph


def _clamped(start: object, end: object, length: int) -> tuple[int, int] | None:
    """Offsets of a span cut to the text, or None when they are not usable (hand-made records may be broken)."""
    if isinstance(start, bool) or isinstance(end, bool) or not isinstance(start, int) or not isinstance(end, int):
        return None
    start, end = max(0, start), min(length, end)
    return (start, end) if start < end else None


def marks(record: Record) -> list[Mark]:
    """Every span of ``record`` (and every paragraph break of its text) as a :class:`Mark`."""
    n = len(record.text)
    found: list[Mark] = []

    def add(span: object, kind: str, index: int) -> None:
        if span is None:
            return
        bounds = _clamped(getattr(span, "start", None), getattr(span, "end", None), n)
        if bounds:
            found.append(Mark(bounds[0], bounds[1], kind, index))

    for i, a in enumerate(record.attributions):
        add(a.content, "a", i)
        add(a.speaker, "s", i)
        add(a.cue, "c", i)
        for via in a.via:
            add(via, "v", i)
    for i, u in enumerate(record.unsourced):
        add(u, "u", i)
    for i, f in enumerate(record.flags):
        add(f, "f", i)
    for i, b in enumerate(record.boilerplate):
        add(b, "b", i)
    for i, m in enumerate(_BREAK.finditer(record.text)):
        found.append(Mark(m.start(), m.end(), "p", i))
    return found


def segments(record: Record) -> list[Segment]:
    """``record.text`` cut at every span boundary; each segment lists the marks covering it, shortest first."""
    n = len(record.text)
    all_marks = marks(record)
    bounds = sorted({0, n, *(m.start for m in all_marks), *(m.end for m in all_marks)})
    starting: dict[int, list[Mark]] = {}
    for m in all_marks:
        starting.setdefault(m.start, []).append(m)
    active: list[Mark] = []
    out: list[Segment] = []
    for a, b in itertools.pairwise(bounds):
        active = [m for m in active if m.end > a] + starting.get(a, [])
        # Innermost first: the shortest covering span decides the colour; ties keep record order.
        covering = sorted(active, key=lambda m: (m.end - m.start, m.index))
        out.append(Segment(a, b, covering))
    return out


# ------------------------------------------------------------------------------------------------- figures

_SPACE = re.compile(r"\s+")


def summary_figures(record: Record, cut: list[Segment] | None = None) -> dict[str, Any]:
    """The figures of the summary panel.

    Shares are of the article's non-whitespace characters outside boilerplate: ``sourced_share`` inside some
    attribution's content, ``unsourced_share`` inside an unsourced statement and no content. ``cut`` is
    ``segments(record)`` when the caller has it already."""
    forms = Counter(_pick(a.form, FORMS, "indirect") for a in record.attributions)
    named = anonymous = unresolved = 0
    for a in record.attributions:
        kind = a.speaker.kind if a.speaker else None
        if kind in NAMED_KINDS:
            named += 1
        elif kind == "group":
            anonymous += 1
        else:
            unresolved += 1
    total = sourced = unsourced = 0
    for seg in cut if cut is not None else segments(record):
        if seg.of("b"):
            continue
        chars = len(_SPACE.sub("", record.text[seg.start : seg.end]))
        total += chars
        if seg.of("a"):
            sourced += chars
        elif seg.of("u"):
            unsourced += chars
    severities = Counter(_pick(f.severity, SEVERITIES, "medium") for f in record.flags)
    return {
        "attributions": len(record.attributions),
        "forms": {form: forms.get(form, 0) for form in FORMS},
        "speakers": len([s for s in speakers(record) if s.key is not None]),
        "named": named,
        "anonymous": anonymous,
        "unresolved": unresolved,
        "sourced_share": sourced / total if total else 0.0,
        "unsourced_share": unsourced / total if total else 0.0,
        "unsourced": len(record.unsourced),
        "checkworthy": sum(1 for u in record.unsourced if _score(u.checkworthiness) >= HOT),
        "flags": {sev: severities.get(sev, 0) for sev in SEVERITIES},
        "boilerplate": len(record.boilerplate),
    }


# ------------------------------------------------------------------------------------------------- CSS and JS


def _mix(a: str, b: str, share: float) -> str:
    """The colour ``share`` of the way from ``a`` to ``b`` (both #rrggbb)."""
    pa, pb = (tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in (a, b))
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(pa, pb, strict=True))


def _palette_css() -> str:
    rules = []
    for i, (strong, tint, light) in enumerate((*PALETTE, GREY)):
        suffix = _colour_suffix(None if i == len(PALETTE) else i)
        on = _mix(tint, strong, 0.3)  # the highlight of the attribution under the pointer
        rules.append(f".sc{suffix}{{--sk:{strong};--so:{on}}}.cc{suffix}{{--ct:{tint};--cl:{light};--co:{on}}}")
    rules.append("".join(f".w{p}{{width:{p}%}}" for p in range(101)))
    return "\n".join(rules)


SANS = 'system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif'
SERIF = 'Charter,"Bitstream Charter","Sitka Text",Cambria,"Iowan Old Style",Georgia,"DejaVu Serif",serif'
MONO = 'ui-monospace,"SF Mono",Menlo,Consolas,"DejaVu Sans Mono",monospace'

CSS = """
:root{--ink:#1b2128;--muted:#5e6a75;--line:#e2e6ea;--bg:#f4f5f7;--paper:#fff;--high:#c92a2a;--medium:#b8400c;
--low:#1864ab;--un:232,110,0}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:14.5px/1.5 SANS}
.wrap{max-width:1380px;margin:0 auto;padding:28px 28px 72px}
a{color:#1c64d8}
h2{font-size:12px;letter-spacing:.09em;text-transform:uppercase;color:var(--muted);margin:0 0 10px;font-weight:650}
.top .brand{font-size:11.5px;letter-spacing:.14em;text-transform:uppercase;color:var(--muted);font-weight:650}
.top h1{font:700 30px/1.2 SERIF;margin:6px 0 8px;max-width:900px;overflow-wrap:anywhere}
.meta{display:flex;flex-wrap:wrap;gap:4px 18px;color:var(--muted);font-size:13px;margin:0}
.meta b{font-weight:600;color:var(--ink)}
.meta .url,.mono{font-family:MONO;font-size:12px;overflow-wrap:anywhere}
.panel{background:var(--paper);border:1px solid var(--line);border-radius:12px}
.summary{display:grid;grid-template-columns:repeat(5,minmax(0,1fr));gap:12px;margin:22px 0 14px}
.stat{padding:13px 15px}
.stat .lbl{font-size:11.5px;letter-spacing:.07em;text-transform:uppercase;color:var(--muted);font-weight:600}
.stat .n{font-size:28px;font-weight:700;line-height:1.15;margin:2px 0;font-variant-numeric:tabular-nums}
.stat .n small{font-size:14px;font-weight:600;color:var(--muted)}
.stat .sub{font-size:12.5px;color:var(--muted)}
.stat .sub b{color:var(--ink);font-weight:600}
.bar{display:flex;height:7px;border-radius:4px;overflow:hidden;background:#eceff2;margin:7px 0 5px}
.bar i{display:block;height:100%}
.bar .b-src{background:#3b7ddd}.bar .b-un{background:#f08c00}.bar .b-dir{background:#343a40}
.bar .b-ind{background:#868e96}.bar .b-mix{background:#ced4da}.bar .b-high{background:var(--high)}
.bar .b-medium{background:var(--medium)}.bar .b-low{background:var(--low)}
.who{padding:14px 16px 8px;margin-bottom:14px}
.who ol{list-style:none;margin:0;padding:0;display:grid;
grid-template-columns:repeat(auto-fill,minmax(min(290px,100%),1fr));gap:2px 26px}
.who li{display:grid;grid-template-columns:14px minmax(0,1fr) 84px 26px;gap:10px;align-items:center;padding:5px 0;
border-bottom:1px solid #f1f3f5}
.who .nm{font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.who .nm a{color:var(--ink);text-decoration:none}.who .nm a:hover{color:var(--sk);text-decoration:underline}
.who .rl{display:block;font-weight:400;color:var(--muted);font-size:12px;overflow:hidden;text-overflow:ellipsis}
.who .ct{font-variant-numeric:tabular-nums;font-weight:700;text-align:right}
.who .bar{margin:0;height:6px}.who .bar i{background:var(--sk)}
.chip{display:inline-block;width:12px;height:12px;border-radius:3px;background:var(--sk);flex:none}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;align-items:center;font-size:12.5px;color:var(--muted);
padding:0 0 16px;margin:0 0 22px;border-bottom:1px solid var(--line)}
.legend .ex{font:14px/1.4 SERIF;color:var(--ink)}
.layout{display:grid;grid-template-columns:minmax(0,1fr) 316px;gap:20px;align-items:start}
.article{padding:26px 30px 14px}
.row{display:grid;grid-template-columns:minmax(0,1fr) 236px;gap:24px}
.para{margin:0 0 1.05em;max-width:700px;font:17.5px/1.72 SERIF;white-space:pre-wrap;overflow-wrap:anywhere;
color:#20262d}
.para.bp-all{font:13px/1.6 SANS;color:#6b747d}
.notes{display:flex;flex-direction:column;gap:8px;padding-bottom:14px}
.notes:empty{display:none}
.gap{white-space:normal}
.s{border-radius:2px;-webkit-box-decoration-break:clone;box-decoration-break:clone}
.s.un{background-image:repeating-linear-gradient(135deg,rgba(var(--un),.17) 0 2px,transparent 2px 6px)}
.s.un.hot{background-image:repeating-linear-gradient(135deg,rgba(var(--un),.38) 0 2px,rgba(var(--un),.07) 2px 6px)}
.s.ct{background:var(--ct)}
.s.ct.fi{background:var(--cl)}
.s.vi{border-bottom:2px dashed #7b8590}
.s.cu{border-bottom:2px dotted var(--sk);font-style:italic}
.s.sk{color:var(--sk);font-weight:700;border-bottom:2px solid var(--sk)}
.s.fl{text-decoration:underline wavy var(--fc);text-decoration-thickness:1.5px;text-underline-offset:5px;
text-decoration-skip-ink:none}
.s.fl-high{--fc:var(--high)}.s.fl-medium{--fc:var(--medium)}.s.fl-low{--fc:var(--low)}
.s.bp{color:#6b747d;background:none;font-weight:inherit;border:0}
.s.k{cursor:pointer}
.s.on,.s.ct.on{background:var(--co,var(--so,#ffe8a3))}
.s:focus-visible{outline:2px solid #1c64d8;outline-offset:2px}
.anc{scroll-margin-top:120px}
.anc[data-rank]::before{content:"#" attr(data-rank);font:700 10px/1 SANS;color:#fff;background:#b8400c;
border-radius:7px;padding:2px 5px;margin:0 3px 0 1px;vertical-align:3px}
.anc[data-fn]::before{content:"\\2691" attr(data-fn);font:700 10px/1 SANS;color:var(--fc);margin:0 2px;
vertical-align:5px}
.anc.fl-high{--fc:var(--high)}.anc.fl-medium{--fc:var(--medium)}.anc.fl-low{--fc:var(--low)}
.note{border-radius:8px;padding:7px 10px 8px;font-size:12.5px;line-height:1.42;background:#fff;border:1px solid
var(--line);border-left:4px solid var(--fc)}
.note.fl-high{--fc:var(--high);background:#fff5f5}.note.fl-medium{--fc:var(--medium);background:#fff8f1}
.note.fl-low{--fc:var(--low);background:#f3f8fd}
.note .nh{display:flex;gap:6px;align-items:center;flex-wrap:wrap;margin-bottom:3px}
.note{overflow-wrap:anywhere;min-width:0}
.note p{margin:0}
.note .rel{margin-top:4px;color:var(--muted)}
.note.bpn{border-left-color:#ced4da;color:#5f6871;background:#fafbfc;padding:5px 9px}
.sev{font-size:10.5px;font-weight:700;text-transform:uppercase;letter-spacing:.06em;color:#fff;background:var(--fc);
border-radius:4px;padding:1px 6px}
.code{font-family:MONO;font-size:11.5px;color:#343a40;overflow-wrap:anywhere;min-width:0}
.fn{font-weight:700;color:var(--fc)}
.side{position:sticky;top:14px;max-height:calc(100vh - 28px);overflow:auto;padding:16px 14px}
.side h2{display:flex;justify-content:space-between;margin-top:4px}
.side h2 + p{font-size:12px;color:var(--muted);margin:-4px 0 10px}
.rank{list-style:none;margin:0 0 20px;padding:0}
.rank a{display:grid;grid-template-columns:30px minmax(0,1fr);gap:3px 8px;padding:8px 8px 9px;border-radius:8px;
color:inherit;text-decoration:none}
.rank a:hover,.rank a:focus-visible{background:#fff4e6}
.rank .no{font-weight:700;color:#b8400c;font-size:12px;padding-top:1px}
.rank .sc{display:flex;gap:8px;align-items:center;font-size:12px;font-variant-numeric:tabular-nums;font-weight:700}
.meter{flex:1;height:5px;background:#eceff2;border-radius:3px;overflow:hidden}
.meter i{display:block;height:100%;background:#f08c00}
.meter.hot i{background:#d9480f}
.rank .tx{grid-column:2;font:13.5px/1.45 SERIF;color:#343a40}
.rank .tg{grid-column:2;font-size:11px;color:var(--high);font-weight:600}
.flist{list-style:none;margin:0;padding:0;font-size:12.5px}
.flist a{display:flex;gap:8px;align-items:baseline;padding:5px 8px;border-radius:6px;color:inherit;text-decoration:none}
.flist a:hover{background:#f1f3f5}
.flist .fl-high{--fc:var(--high)}.flist .fl-medium{--fc:var(--medium)}.flist .fl-low{--fc:var(--low)}
.empty{color:var(--muted);font-size:13px;margin:0 0 18px}
.appendix{margin-top:26px;padding:18px 20px 20px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(320px,100%),1fr));gap:12px}
.card{background:#fff;border:1px solid var(--line);border-left:4px solid var(--sk);border-radius:8px;
padding:10px 12px 11px;font-size:13px;line-height:1.45}
.card h3{display:flex;flex-wrap:wrap;gap:4px 8px;align-items:baseline;margin:0 0 6px;font-size:14.5px}
.card h3 .spk{color:var(--sk)}
bdi{unicode-bidi:isolate}.ctl{font:12px ui-monospace,monospace;color:#b3261e;background:#fdeceb;border-radius:3px}
.tag{font-size:10.5px;font-weight:600;letter-spacing:.05em;text-transform:uppercase;background:#f1f3f5;
color:#495057;border-radius:4px;padding:1px 6px}
.tag.f-direct{background:#343a40;color:#fff}.tag.f-mixed{background:#6b747d;color:#fff}
.card .id{margin-left:auto;font-family:MONO;font-size:11px;color:#6b747d}
.card dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:1px 12px;margin:0}
.card dt{color:var(--muted)}
.card dd{margin:0;overflow-wrap:anywhere}
.card blockquote{margin:8px 0 0;padding:6px 10px;border-radius:6px;background:var(--cl);font:14px/1.5 SERIF;
overflow-wrap:anywhere}
.card .go{display:inline-block;margin-top:6px;font-size:12px}
.card.uc{--sk:#e8590c}
.card.uc blockquote{background:#fff4e6}
#pop{position:fixed;z-index:20;width:min(400px,calc(100vw - 16px));max-height:min(70vh,560px);overflow:auto;
background:#fff;border:1px solid #ced4da;border-radius:10px;box-shadow:0 12px 36px rgba(20,30,40,.2);padding:4px}
#pop .card,#pop .note{border-top:0;border-right:0;border-bottom:0;border-radius:6px;margin:4px}
#pop .card .go{display:none}
#pop.pinned{border-color:#343a40;box-shadow:0 12px 36px rgba(20,30,40,.3)}
#pop .hint{font-size:11px;color:var(--muted);padding:2px 8px 4px}
.foot{margin-top:18px;font-size:12px;color:var(--muted);display:flex;gap:14px;flex-wrap:wrap;align-items:center}
.foot button{font:inherit;font-size:12px;border:1px solid #ced4da;background:#fff;border-radius:6px;padding:3px 9px;
cursor:pointer}
[hidden]{display:none!important}
@media (max-width:1180px){.layout{grid-template-columns:minmax(0,1fr)}.side{position:static;max-height:none}
.summary{grid-template-columns:repeat(auto-fit,minmax(200px,1fr))}}
@media (max-width:820px){.row{grid-template-columns:minmax(0,1fr);gap:0}.article{padding:18px}
.wrap{padding:16px 12px 48px}}
@media print{body{background:#fff}.side{position:static;max-height:none}#pop,.foot button{display:none}}
""".replace("SANS", SANS).replace("SERIF", SERIF).replace("MONO", MONO).strip() + "\n" + _palette_css() + "\n"

JS = r"""
(function () {
  "use strict";
  var pop = document.getElementById("pop");
  var body = document.getElementById("text");
  if (!pop || !body) { return; }
  var pinned = null;
  var lit = [];

  function nums(el, name) {
    var raw = el.getAttribute(name) || "";
    return raw.split(" ").filter(function (x) { return /^[0-9]+$/.test(x); });
  }
  function clearLit() {
    lit.forEach(function (el) { el.classList.remove("on"); });
    lit = [];
  }
  function light(names, i) {  // mark every piece of one span (or attribution) in the text
    names.forEach(function (name) {
      document.querySelectorAll("[" + name + "~='" + i + "']").forEach(function (el) {
        el.classList.add("on");
        lit.push(el);
      });
    });
  }
  function cloneCard(id) {
    var card = document.getElementById(id);
    if (!card) { return null; }
    var copy = card.cloneNode(true);
    copy.removeAttribute("id");
    copy.querySelectorAll("[id]").forEach(function (el) { el.removeAttribute("id"); });
    return copy;
  }
  function place(seg) {
    var rects = seg.getClientRects();
    var r = rects.length ? rects[0] : seg.getBoundingClientRect();
    var w = pop.offsetWidth, h = pop.offsetHeight;
    var left = Math.max(8, Math.min(r.left, window.innerWidth - w - 8));
    var top = r.bottom + 8;
    if (top + h > window.innerHeight - 8 && r.top - h - 8 > 8) { top = r.top - h - 8; }
    pop.style.left = left + "px";
    pop.style.top = Math.max(8, top) + "px";
  }
  function hide() {
    pinned = null;
    pop.hidden = true;
    pop.classList.remove("pinned");
    pop.replaceChildren();
    clearLit();
  }
  function show(seg, pin) {
    clearLit();
    pop.replaceChildren();
    var seen = {};
    ["data-s", "data-c", "data-a", "data-v"].forEach(function (name) {
      nums(seg, name).forEach(function (i) {
        if (seen[i]) { return; }
        seen[i] = true;
        var card = cloneCard("att-" + i);
        if (card) { pop.appendChild(card); }
        if (!lit.length) { light(["data-a", "data-s", "data-c"], i); }  // only the innermost: less clutter
      });
    });
    nums(seg, "data-u").forEach(function (i) {
      var card = cloneCard("uc-" + i);
      if (card) { pop.appendChild(card); }
      if (!lit.length) { light(["data-u"], i); }
    });
    nums(seg, "data-f").forEach(function (i) {
      var card = cloneCard("fn-" + i);
      if (card) { pop.appendChild(card); }
    });
    if (!pop.firstChild) { hide(); return; }
    var hint = document.createElement("div");
    hint.className = "hint";
    hint.textContent = pin ? "Pinned \u00b7 click elsewhere or press Esc to close" : "Click to pin";
    pop.appendChild(hint);
    pinned = pin ? seg : null;
    pop.classList.toggle("pinned", !!pin);
    pop.hidden = false;
    place(seg);
  }

  body.addEventListener("mouseover", function (e) {
    if (pinned) { return; }
    var seg = e.target.closest ? e.target.closest(".s.k") : null;
    if (seg) { show(seg, false); }
  });
  body.addEventListener("mouseleave", function () { if (!pinned) { hide(); } });
  body.addEventListener("click", function (e) {
    var seg = e.target.closest ? e.target.closest(".s.k") : null;
    if (!seg) { return; }
    e.stopPropagation();
    if (pinned === seg) { hide(); } else { show(seg, true); }
  });
  body.addEventListener("focusin", function (e) {
    var seg = e.target.closest ? e.target.closest(".s.k") : null;
    if (seg) { show(seg, false); }
  });
  body.addEventListener("keydown", function (e) {
    var seg = e.target.closest ? e.target.closest(".s.k") : null;
    if (seg && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); show(seg, true); }
  });
  document.addEventListener("click", function (e) {
    if (pinned && !pop.contains(e.target)) { hide(); }
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") { hide(); } });
  window.addEventListener("scroll", function () { if (pinned) { place(pinned); } else if (!pop.hidden) { hide(); } },
                          {passive: true});
  window.addEventListener("resize", function () { if (pinned) { place(pinned); } });

  // A flag note, an unsourced entry or a card points at its text: outline that text while the pointer is on it.
  document.querySelectorAll("[data-point]").forEach(function (el) {
    var parts = (el.getAttribute("data-point") || "").split(":");
    if (parts.length !== 2 || !/^[a-z]$/.test(parts[0]) || !/^[0-9]+$/.test(parts[1])) { return; }
    var names = parts[0] === "a" ? ["data-a", "data-s", "data-c"] : ["data-" + parts[0]];
    el.addEventListener("mouseenter", function () { if (!pinned) { clearLit(); light(names, parts[1]); } });
    el.addEventListener("mouseleave", function () { if (!pinned) { clearLit(); } });
  });

  var copy = document.getElementById("copy-json");
  var data = document.getElementById("onrecord-record");
  if (copy && data) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      var text;
      try { text = JSON.stringify(JSON.parse(data.textContent), null, 2); } catch (err) { return; }
      var done = function (msg) { copy.textContent = msg; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { done("Copied"); }, function () { done("Copy failed"); });
      } else { done("Copy not available"); }
    });
  }
})();
""".strip()


def _sha256(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


# No fetch of any kind (default-src 'none'); only the style block and the script below, pinned by their hashes;
# images only as data: URLs; no <base> and no form submissions. frame-ancestors cannot be set from a meta tag.
assert CSS.isascii() and JS.isascii(), "inline CSS and JS must be ASCII: the page is escaped to ASCII around them"
CSP = (f"default-src 'none'; style-src '{_sha256(CSS)}'; script-src '{_sha256(JS)}'; img-src data:; "
       "base-uri 'none'; form-action 'none'")


# ------------------------------------------------------------------------------------------------- rendering


def _attrs(**values: object) -> str:
    """` name="value"` pairs (underscores become dashes), escaped; None values are left out."""
    return "".join(f' {name.rstrip("_").replace("_", "-")}="{esc(value)}"'
                   for name, value in values.items() if value is not None)


def _ids(found: Iterable[Mark]) -> str | None:
    values = list(dict.fromkeys(str(m.index) for m in found))
    return " ".join(values) if values else None


def _severity(flag: Flag) -> str:
    return _pick(flag.severity, SEVERITIES, "medium")


class _Page:
    """Renders one record; holds the lookups the parts share."""

    def __init__(self, record: Record, title: str | None) -> None:
        self.r = record
        self.title = title
        self.cut = segments(record)
        self.actor_roles = {str(actor.id): [str(r) for r in actor.roles] for actor in record.actors}
        self.colours = speaker_palette(record)
        self.by_id = {str(a.id): i for i, a in enumerate(record.attributions)}
        self.unsourced_by_id = {str(u.id): i for i, u in enumerate(record.unsourced)}
        ranked = sorted(range(len(record.unsourced)),
                        key=lambda i: (-_score(record.unsourced[i].checkworthiness), i))
        self.rank = {i: r + 1 for r, i in enumerate(ranked)}
        self.ranked = ranked
        # Flags are numbered in reading order so the marker in the text and its note agree.
        self.flag_order = sorted(range(len(record.flags)), key=lambda i: (_flag_start(record.flags[i]), i))
        self.flag_no = {i: n + 1 for n, i in enumerate(self.flag_order)}
        self.unsourced_flags: dict[int, list[int]] = {}
        for i, f in enumerate(record.flags):
            for rel in f.related:
                if str(rel) in self.unsourced_by_id:
                    self.unsourced_flags.setdefault(self.unsourced_by_id[str(rel)], []).append(i)

    # -- the article ---------------------------------------------------------------------------------------

    def article(self) -> str:
        text = self.r.text
        rows: list[str] = []
        paragraph: list[str] = []
        notes: list[str] = []
        plain = 0  # segments of the paragraph with text outside boilerplate (a paragraph of boilerplate only is greyed)
        opened: set[tuple[str, int]] = set()
        focusable: set[int] = set()

        def close() -> None:
            nonlocal plain
            if not paragraph and not notes:
                return
            cls = "para" if plain else "para bp-all"
            rows.append(f'<div class="row"><p class="{cls}">{"".join(paragraph)}</p>'
                        f'<div class="notes">{"".join(notes)}</div></div>')
            paragraph.clear()
            notes.clear()
            plain = 0

        for seg in self.cut:
            piece = text[seg.start : seg.end]
            gap = bool(seg.of("p"))
            anchors = []
            for m in seg.marks:
                if (m.kind, m.index) in opened or m.kind not in "aufb":
                    continue
                opened.add((m.kind, m.index))
                anchors.append(self._anchor(m))
                if m.kind == "f":
                    notes.append(self.flag_note(m.index))
                elif m.kind == "b":
                    notes.append(self.boilerplate_note(m.index))
            paragraph.extend(a for a in anchors if a)
            paragraph.append(self._segment(seg, piece, gap, focusable))
            if not gap and not seg.of("b") and piece.strip():
                plain += 1
            if gap and any(m.kind == "p" and m.end == seg.end for m in seg.marks):
                close()
        # A flag whose offsets do not fit the text still gets its note, at the end.
        notes.extend(self.flag_note(i) for i in self.flag_order if ("f", i) not in opened)
        close()
        return "".join(rows)

    def _anchor(self, m: Mark) -> str:
        if m.kind == "a":
            return f'<span class="anc" id="at-{m.index}"></span>'
        if m.kind == "u":
            return f'<span class="anc" id="u-{m.index}"{_attrs(data_rank=self.rank[m.index])}></span>'
        if m.kind == "f":
            sev = _severity(self.r.flags[m.index])
            return f'<span class="anc fl-{sev}" id="f-{m.index}"{_attrs(data_fn=self.flag_no[m.index])}></span>'
        return f'<span class="anc" id="b-{m.index}"></span>'

    def _segment(self, seg: Segment, piece: str, gap: bool, focusable: set[int]) -> str:
        classes = ["s"]
        contents, speakers_, cues = seg.of("a"), seg.of("s"), seg.of("c")
        vias, unsourced, flags, boiler = seg.of("v"), seg.of("u"), seg.of("f"), seg.of("b")
        if gap:
            classes.append("gap")
        if contents:
            inner = contents[0].index
            classes += ["ct", "cc" + _colour_suffix(self.colours[inner])]
            if _pick(self.r.attributions[inner].form, FORMS, "indirect") == "indirect":
                classes.append("fi")
        if speakers_ or cues:
            own = (speakers_ or cues)[0].index
            classes += ["sk" if speakers_ else "cu", "sc" + _colour_suffix(self.colours[own])]
            if speakers_ and cues:
                classes.append("cu")
        if vias:
            classes.append("vi")
        if unsourced:
            classes.append("un")
            if any(_score(self.r.unsourced[m.index].checkworthiness) >= HOT for m in unsourced):
                classes.append("hot")
        if flags:
            worst = min(SEVERITIES.index(_severity(self.r.flags[m.index])) for m in flags)
            classes += ["fl", "fl-" + SEVERITIES[worst]]
        if boiler:
            classes.append("bp")
        keyed = bool(contents or speakers_ or cues or vias or unsourced or flags)
        if keyed:
            classes.append("k")
        tabindex = None
        if contents and contents[0].index not in focusable and piece.strip():
            focusable.add(contents[0].index)
            tabindex = 0
        reasons = "; ".join(str(self.r.boilerplate[m.index].reason) for m in boiler) or None
        attrs = _attrs(class_=" ".join(classes), data_o=seg.start, data_a=_ids(contents), data_s=_ids(speakers_),
                       data_c=_ids(cues), data_v=_ids(vias), data_u=_ids(unsourced), data_f=_ids(flags),
                       data_b=_ids(boiler), title=f"Boilerplate: {reasons}" if reasons else None, tabindex=tabindex)
        # a bidirectional control becomes U+FFFD, one character for one, so offsets still line up
        return f"<span{attrs}>{esc(_BIDI_CONTROLS.sub(chr(0xFFFD), piece))}</span>"

    # -- notes and cards -----------------------------------------------------------------------------------

    def _related(self, related: Iterable[object]) -> str:
        links = []
        for rel in related:
            key = str(rel)
            if key in self.by_id:
                links.append(f'<a href="#att-{self.by_id[key]}">{esc(key)}</a>')
            elif key in self.unsourced_by_id:
                links.append(f'<a href="#u-{self.unsourced_by_id[key]}">{esc(key)}</a>')
            else:
                links.append(esc(key))
        return ", ".join(links)

    def flag_note(self, i: int) -> str:
        f = self.r.flags[i]
        sev = _severity(f)
        related = f'<p class="rel">Related: {self._related(f.related)}</p>' if f.related else ""
        return (f'<div class="note fl-{sev}" role="note" id="fn-{i}" data-point="f:{i}"><div class="nh">'
                f'<span class="fn">\u2691{self.flag_no[i]}</span><span class="sev">{esc(f.severity)}</span>'
                f'<span class="code">{esc(f.code)}</span></div><p>{shown(f.explanation)}</p>{related}</div>')

    def boilerplate_note(self, i: int) -> str:
        b = self.r.boilerplate[i]
        return (f'<div class="note bpn" role="note">Boilerplate, not analysed \u00b7 '
                f'<span class="code">{esc(b.reason)}</span></div>')

    def attribution_card(self, i: int) -> str:
        a = self.r.attributions[i]
        colour = _colour_suffix(self.colours[i])
        sp = a.speaker
        name = (sp.name or sp.text) if sp else "(no source named)"
        kind = _pick(sp.kind, KINDS, "unknown") if sp else "unknown"
        rows: list[tuple[str, str]] = []
        roles = [str(sp.role)] if sp and sp.role else []
        if sp and sp.actor:
            roles += [r for r in self.actor_roles.get(str(sp.actor), []) if r not in roles]
        if roles:
            rows.append(("Role", shown("; ".join(roles))))
        if sp and sp.text and " ".join(str(sp.text).split()) != " ".join(str(name).split()):
            rows.append(("Named as", f"\u201c{shown(_clip(sp.text, 120))}\u201d"))
        rows.append(("Cue", f"\u201c{shown(_clip(a.cue.text, 80))}\u201d" if a.cue else "\u2014"))
        form = _pick(a.form, FORMS, "indirect")
        rows.append(("Form", f'<span class="tag f-{form}">{esc(a.form)}</span>'))
        if a.via:
            chain = " \u2192 ".join(f'{shown(v.name or v.text)} <span class="tag">{esc(v.kind)}</span>' for v in a.via)
            rows.append(("Via", chain))
        rows.append(("When", shown(a.when) if a.when else "\u2014"))
        dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
        quote = shown(_clip(a.content.text if a.content else "", CLIP))
        return (f'<article class="card sc{colour} cc{colour}" id="att-{i}" data-point="a:{i}">'
                f'<h3><span class="spk">{shown(name)}</span><span class="tag">{esc(kind)}</span>'
                f'<span class="id">{esc(a.id)}</span></h3><dl>{dl}</dl><blockquote>{quote}</blockquote>'
                f'<a class="go" href="#at-{i}">Show in text</a></article>')

    def unsourced_card(self, i: int) -> str:
        u = self.r.unsourced[i]
        score = _score(u.checkworthiness)
        flags = ", ".join(shown(f) for f in u.flags)
        return (f'<article class="card uc" id="uc-{i}"><h3><span class="spk">Unsourced statement</span>'
                f'<span class="tag">#{self.rank[i]} of {len(self.ranked)}</span><span class="id">{esc(u.id)}</span>'
                f'</h3><dl><dt>Check-worthiness</dt><dd><b>{score:.2f}</b></dd>'
                + (f"<dt>Flags</dt><dd>{flags}</dd>" if u.flags else "")
                + f"</dl><blockquote>{shown(_clip(u.text, CLIP))}</blockquote></article>")

    # -- panels --------------------------------------------------------------------------------------------

    def header(self) -> str:
        a = self.r.article
        heading = self.title or a.title or _first_line(self.r.text) or "Untitled article"
        meta = []
        if a.outlet:
            meta.append(f"<span><b>{shown(a.outlet)}</b></span>")
        if a.published:
            meta.append(f"<span>Published {shown(a.published)}</span>")
        if a.url:
            # Shown as text, never as a link: a record's URL is not ours to vouch for.
            meta.append(f'<span class="url" title="Article address (not a link)">{shown(a.url)}</span>')
        meta.append(f'<span>Article id <span class="mono">{esc(_clip(a.id, 16))}</span></span>')
        meta.append(f"<span>{len(self.r.text):,} characters</span>")
        return (f'<header class="top"><div class="brand">onrecord \u00b7 who says this, on whose authority</div>'
                f'<h1>{shown(heading)}</h1><p class="meta">{"".join(meta)}</p></header>')

    def summary(self) -> str:
        fig = summary_figures(self.r, self.cut)
        n = fig["attributions"]
        forms = fig["forms"]
        src, uns = _pct(fig["sourced_share"]), _pct(fig["unsourced_share"])
        flags = fig["flags"]
        n_flags = sum(flags.values())

        def bar(parts: list[tuple[str, float]]) -> str:
            return '<div class="bar">' + "".join(f'<i class="{c} w{_pct(v)}"></i>' for c, v in parts if v) + "</div>"

        def share(k: int) -> float:
            return k / n if n else 0.0

        cards = [
            ("Attributions", f"{n}",
             bar([("b-dir", share(forms["direct"])), ("b-ind", share(forms["indirect"])),
                  ("b-mix", share(forms["mixed"]))]),
             f'<b>{forms["direct"]}</b> direct \u00b7 <b>{forms["indirect"]}</b> indirect \u00b7 '
             f'<b>{forms["mixed"]}</b> mixed'),
            ("Sourced text", f"{src}<small>%</small>",
             bar([("b-src", fig["sourced_share"]), ("b-un", fig["unsourced_share"])]),
             f"of the article text is attributed; <b>{uns}%</b> is the author's own unsourced claims"),
            ("Speakers", f"{fig['speakers']}",
             bar([("b-dir", share(fig["named"])), ("b-ind", share(fig["anonymous"])),
                  ("b-mix", share(fig["unresolved"]))]),
             f'attributions to <b>{fig["named"]}</b> named \u00b7 <b>{fig["anonymous"]}</b> anonymous \u00b7 '
             f'<b>{fig["unresolved"]}</b> unresolved sources'),
            ("Unsourced statements", f"{fig['unsourced']}", "",
             f"<b>{fig['checkworthy']}</b> worth checking (score \u2265 {HOT:.1f})"),
            ("Flags", f"{n_flags}",
             bar([(f"b-{s}", flags[s] / n_flags if n_flags else 0.0) for s in SEVERITIES]),
             " \u00b7 ".join(f"<b>{flags[s]}</b> {s}" for s in SEVERITIES)
             + (f" \u00b7 {fig['boilerplate']} boilerplate passages greyed" if fig["boilerplate"] else "")),
        ]
        stats = "".join(f'<div class="panel stat" data-figure="{esc(label)}"><div class="lbl">{label}</div>'
                        f'<div class="n">{value}</div>{extra}<div class="sub">{sub}</div></div>'
                        for label, value, extra, sub in cards)
        return f'<section class="summary" aria-label="Summary">{stats}</section>'

    def who(self) -> str:
        stats = speakers(self.r)
        if not stats:
            return ('<section class="panel who" aria-label="Who is quoted"><h2>Who is quoted</h2>'
                    '<p class="empty">No attributions were found in this article.</p></section>')
        top = max(s.count for s in stats)
        items = []
        for s in stats:
            colour = _colour_suffix(s.colour)
            forms = ", ".join(f"{s.forms[f]} {f}" for f in FORMS if s.forms[f])
            role = "; ".join(s.roles[:2])
            detail = " \u00b7 ".join(x for x in (esc(s.kind), shown(_clip(role, 80)) if role else "", forms) if x)
            first = s.attributions[0]
            items.append(f'<li class="sc{colour}" data-point="a:{first}"><span class="chip"></span>'
                         f'<span class="nm"><a href="#att-{first}">{shown(s.name)}</a>'
                         f'<span class="rl">{detail}</span></span>'
                         f'<span class="bar"><i class="w{_pct(s.count / top)}"></i></span>'
                         f'<span class="ct">{s.count}</span></li>')
        return (f'<section class="panel who" aria-label="Who is quoted"><h2>Who is quoted, how often</h2>'
                f'<ol>{"".join(items)}</ol></section>')

    def legend(self) -> str:
        c = "cc0 sc0" if self.r.attributions else "ccx scx"
        return ('<div class="legend" aria-label="Legend">'
                f'<span><span class="ex s ct {c}">quoted words</span> direct</span>'
                f'<span><span class="ex s ct fi {c}">reported words</span> indirect</span>'
                f'<span><span class="ex s sk {c}">speaker</span></span>'
                f'<span><span class="ex s cu {c}">said</span> cue</span>'
                '<span><span class="ex s vi">news agency</span> via</span>'
                '<span><span class="ex s un hot">unsourced claim</span> ranked at right</span>'
                '<span><span class="ex s fl fl-high">flagged</span> see note</span>'
                '<span><span class="ex s bp">boilerplate</span></span>'
                '<span>Hover or click highlighted text for details.</span></div>')

    def side(self) -> str:
        parts = ['<aside class="panel side" aria-label="Unsourced statements and flags">']
        parts.append(f"<h2><span>Unsourced, by check-worthiness</span><span>{len(self.ranked)}</span></h2>"
                     "<p>Statements in the author's own voice that a reader could check.</p>")
        if self.ranked:
            parts.append('<ol class="rank">')
            for i in self.ranked:
                u = self.r.unsourced[i]
                score = _score(u.checkworthiness)
                hot = " hot" if score >= HOT else ""
                tags = ", ".join(esc(self.r.flags[f].code) for f in self.unsourced_flags.get(i, []))
                parts.append(f'<li><a href="#u-{i}" data-point="u:{i}"><span class="no">#{self.rank[i]}</span>'
                             f'<span class="sc"><span class="score">{score:.2f}</span><span class="meter{hot}">'
                             f'<i class="w{_pct(score)}"></i></span></span>'
                             f'<span class="tx">{shown(_clip(u.text, 260))}</span>'
                             + (f'<span class="tg">{tags}</span>' if tags else "") + "</a></li>")
            parts.append("</ol>")
        else:
            parts.append('<p class="empty">None found.</p>')
        parts.append(f"<h2><span>Flags</span><span>{len(self.r.flags)}</span></h2>")
        if self.r.flags:
            order = sorted(self.flag_order, key=lambda i: (SEVERITIES.index(_severity(self.r.flags[i])),
                                                            self.flag_no[i]))
            parts.append('<ul class="flist">')
            for i in order:
                f = self.r.flags[i]
                sev = _severity(f)
                parts.append(f'<li><a class="fl-{sev}" href="#f-{i}" data-point="f:{i}">'
                             f'<span class="fn">\u2691{self.flag_no[i]}</span><span class="sev">{esc(f.severity)}'
                             f'</span><span class="code">{esc(f.code)}</span></a></li>')
            parts.append("</ul>")
        else:
            parts.append('<p class="empty">None.</p>')
        parts.append("</aside>")
        return "".join(parts)

    def appendix(self) -> str:
        cards = "".join(self.attribution_card(i) for i in range(len(self.r.attributions)))
        body = f'<div class="cards">{cards}</div>' if cards else '<p class="empty">None.</p>'
        return (f'<section class="panel appendix" aria-label="All attributions"><h2>All attributions, in '
                f'reading order</h2>{body}</section>')

    def page(self) -> str:
        a = self.r.article
        heading = self.title or a.title or _first_line(self.r.text) or "Untitled article"
        hidden_cards = "".join(self.unsourced_card(i) for i in range(len(self.r.unsourced)))
        record_json = json_for_html(self.r.to_dict())
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">\n'
            '<meta name="referrer" content="no-referrer">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<meta name="generator" content="onrecord">\n'
            f"<title>{esc(visible(_clip(heading, 120)))} \u2014 onrecord report</title>\n"
            f"<style>{CSS}</style>\n</head>\n<body>\n"
            f'<div class="wrap">\n{self.header()}\n{self.summary()}\n{self.who()}\n'
            f'<div class="layout">\n<main class="panel article">{self.legend()}'
            f'<div id="text" class="text">{self.article()}</div></main>\n{self.side()}\n</div>\n'
            f"{self.appendix()}\n"
            f'<div id="unsourced-cards" hidden>{hidden_cards}</div>\n'
            f'<footer class="foot"><span>Generated by onrecord from a record of schema {esc(self.r.schema)}. '
            "Offsets, spans and scores are the machine's reading: check before you publish.</span>"
            '<button type="button" id="copy-json" hidden>Copy record as JSON</button></footer>\n'
            "</div>\n"
            '<div id="pop" role="dialog" aria-label="Details" hidden></div>\n'
            f'<script type="application/json" id="onrecord-record">{record_json}</script>\n'
            f"<script>{JS}</script>\n</body>\n</html>\n"
        ).encode("ascii", "xmlcharrefreplace").decode("ascii")


def _flag_start(flag: Flag) -> int:
    return flag.start if isinstance(flag.start, int) else 0


def _pct(share: float) -> int:
    return round(100 * min(1.0, max(0.0, share)))


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return _clip(line, 110)
    return ""


def report_html(record: Record, *, title: str | None = None) -> str:
    """The HTML report of ``record``: one self-contained, ASCII-only page (inline CSS and script, no fetches)."""
    return _Page(record, title).page()


__all__ = ["CSP", "PALETTE", "esc", "json_for_html", "report_html", "segments", "shown", "speaker_palette",
           "speakers", "summary_figures", "visible"]
