"""The HTTP API's contract in OpenAPI terms: what each endpoint accepts and answers, for generated clients.

The app's routes read their bodies themselves (JSON, a form with pasted text, or an uploaded file), so the
request and response schemas are written here rather than derived from function signatures. The record's
schema follows its contract (schema ``onrecord/1``): fields may be added, so objects stay open.
"""

from __future__ import annotations

from typing import Any

from onrecord.read import METADATA_FIELDS

# YYYY, YYYY-MM or YYYY-MM-DD with a real month and a day of 01-31 (a day the month lacks is a 422)
DAY_PATTERN = r"^[1-9][0-9]{3}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$"
UPLOAD_TYPES = "text/plain, text/html, application/xhtml+xml"

ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}},
         "description": "one line saying what is wrong, in HTTP terms"}
_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": ["string", "null"]}
_SPAN = {"start": {"type": "integer", "minimum": 0}, "end": {"type": "integer", "minimum": 0}, "text": _STRING}


def _span(**more: Any) -> dict[str, Any]:
    return {"type": "object", "required": ["start", "end", "text"], "properties": {**_SPAN, **more}}


RECORD = {
    "type": "object",
    "description": "an article's record (schema onrecord/1): every span's text is text[start:end]",
    "required": ["schema", "article", "text", "boilerplate", "attributions", "unsourced", "actors", "positions",
                 "flags"],
    "properties": {
        "schema": {"type": "string", "const": "onrecord/1"},
        "article": {"type": "object", "required": ["id"], "properties": {
            "id": _STRING, **{k: _NULLABLE_STRING for k in METADATA_FIELDS if k != "id"},
            "language": _NULLABLE_STRING}},
        "text": _STRING,
        "boilerplate": {"type": "array", "items": _span(reason=_STRING)},
        "attributions": {"type": "array", "items": {
            "type": "object", "required": ["id", "speaker", "content", "form"],
            "properties": {
                "id": _STRING,
                "speaker": _span(name=_STRING, actor=_NULLABLE_STRING, kind=_STRING, role=_NULLABLE_STRING),
                "cue": {"oneOf": [_span(), {"type": "null"}]},
                "content": _span(),
                "form": {"type": "string", "enum": ["direct", "indirect", "mixed"]},
                "via": {"type": "array", "items": _span(name=_STRING, kind=_STRING)},
                "when": _NULLABLE_STRING}}},
        "unsourced": {"type": "array", "items": _span(id=_STRING, checkworthiness={"type": "number"},
                                                      flags={"type": "array"})},
        "actors": {"type": "array", "items": {
            "type": "object", "required": ["id", "name", "kind", "mentions"],
            "properties": {"id": _STRING, "name": _STRING, "kind": _STRING,
                           "roles": {"type": "array", "items": _STRING},
                           "mentions": {"type": "array", "items": _span()}}}},
        "positions": {"type": "array", "items": {
            "type": "object", "required": ["actor", "issue", "stance", "attribution"],
            "properties": {
                "actor": _STRING, "issue": _STRING, "stance": _STRING, "confidence": {"type": "number"},
                "attribution": {"type": "string", "description": "the evidence: an attribution's id, or "
                                "act:START-END for a stance taken in a stance act (its content is text[START:END])"}}}},
        "flags": {"type": "array", "items": _span(code=_STRING, severity=_STRING, explanation=_STRING,
                                                  related={"type": "array", "items": _STRING})},
    },
}

_METADATA = {k: {"type": ["string", "null"], "description": f"the article's {k}, if known"} for k in METADATA_FIELDS}
_METADATA["published"] = {"type": ["string", "null"], "description": "the article's publication date, ISO 8601"}
_ARTICLE_JSON = {
    "description": 'exactly one of "text" (plain text) or "html" (a page\'s markup), with optional metadata',
    "oneOf": [
        {"type": "object", "title": "text", "additionalProperties": False, "required": ["text"],
         "properties": {"text": {"type": "string", "minLength": 1, "description": "the article as plain text"},
                        **_METADATA}},
        {"type": "object", "title": "html", "additionalProperties": False, "required": ["html"],
         "properties": {"html": {"type": "string", "minLength": 1, "description": "the page's HTML markup"},
                        **_METADATA}},
    ],
}
_ARTICLE_FORM = {
    "description": 'the article pasted as "text" (plain text or HTML markup) or uploaded as "file", not both',
    "oneOf": [
        {"type": "object", "title": "pasted", "additionalProperties": False, "required": ["text"],
         "properties": {"text": {"type": "string", "minLength": 1}, **_METADATA}},
        {"type": "object", "title": "upload", "additionalProperties": False, "required": ["file"],
         "properties": {"file": {"type": "string", "format": "binary",
                                 "description": "a .txt or .html file in any common encoding"}, **_METADATA}},
    ],
}


EXAMPLE = {"text": "The city council said on Monday that the old bridge would reopen in May. \u201cWe are confident "
                   "the repairs will hold,\u201d the engineer Maria Olsen told reporters.", "title": "Bridge to reopen"}


def article_request() -> dict[str, Any]:
    """The request body of /analyze and /report."""
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": _ARTICLE_JSON, "example": EXAMPLE},
        "multipart/form-data": {"schema": _ARTICLE_FORM, "encoding": {"file": {"contentType": UPLOAD_TYPES}}},
        "application/x-www-form-urlencoded": {"schema": _ARTICLE_FORM["oneOf"][0]},
    }}}


_ERRORS = {
    400: "malformed request: not JSON, broken form data, or a Host header this server does not answer to",
    413: "the request, or the article's text, is longer than the server's limit, or its analysis needed more "
         "memory than a worker may use",
    415: "a content type other than JSON or a form",
    422: "the article cannot be analysed (empty, binary, not English) or a field is invalid",
    500: "an unexpected error in the server (a bug)",
    503: "every analysis worker stayed busy, or a worker stopped; try again",
    504: "the analysis ran past the server's time limit and was stopped",
}


def json_errors(*statuses: int, html: bool = False) -> dict[int | str, dict[str, Any]]:
    """Error responses: JSON ``{"error": …}``; with ``html``, also a page (for a browser's form post)."""
    content: dict[str, Any] = {"application/json": {"schema": ERROR}}
    if html:
        content["text/html"] = {"schema": {"type": "string"}}
    return {status: {"description": _ERRORS[status], "content": content} for status in statuses}


def analysis_responses(report: bool) -> dict[int | str, dict[str, Any]]:
    """The responses of /analyze (``report`` False) or /report."""
    ok = ({"description": "the report: a self-contained HTML page", "content": {"text/html": {"schema": _STRING}}}
          if report else {"description": "the record", "content": {"application/json": {"schema": RECORD}}})
    return {200: ok, **json_errors(400, 413, 415, 422, 500, 503, 504, html=report)}


HEALTH = {"type": "object", "required": ["status", "version", "schema", "workers", "ready", "busy", "waiting"],
          "properties": {"status": {"type": "string", "enum": ["ok", "failing"]}, "version": _STRING,
                         "schema": _STRING, "workers": {"type": "integer"}, "ready": {"type": "integer"},
                         "busy": {"type": "integer"}, "waiting": {"type": "integer"},
                         "timeouts": {"type": "integer"}, "out_of_memory": {"type": "integer"},
                         "error": _NULLABLE_STRING, "store": {"type": "boolean"}}}

QUERY_RESULT = {"type": "object", "required": ["count", "results"],
                "properties": {"count": {"type": "integer", "minimum": 0},
                               "results": {"type": "array", "items": {"type": "object"},
                                           "description": "one object per row: column name to value"}}}


def query_responses(name: str) -> dict[int | str, dict[str, Any]]:
    """The responses of a store query."""
    errors = {
        404: "no actor matches the name",
        422: "a parameter is invalid (a date that does not exist, since after until, …)",
        503: "the store is being written by an ingest, or cannot be opened",
        504: "the query ran past the server's time limit and was stopped",
    }
    return {200: {"description": f"{name}: the rows found",
                  "content": {"application/json": {"schema": QUERY_RESULT}}},
            **{s: {"description": d, "content": {"application/json": {"schema": ERROR}}} for s, d in errors.items()},
            **json_errors(400, 500)}
