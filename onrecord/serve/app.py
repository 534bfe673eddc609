"""The web app behind ``onrecord serve``: a page to paste or upload an article, and an HTTP API.

    GET  /            the page (self-contained, strict CSP)
    POST /analyze     the record (schema onrecord/1) of {"text": …} or {"html": …}, or of a multipart upload
    POST /report      the same input, the record as a self-contained HTML report
    GET  /health      liveness and the analysis workers' state
    GET  /said, /actors, /claims   read-only queries of a corpus store (with --store; see store_api)
    GET  /openapi.json

Every error is JSON ``{"error": "one line"}`` with a 4xx/5xx status (HTML for the page's own form posts).
Analyses run in worker processes (see :mod:`onrecord.serve.pool`), bounded in size, length, time, memory and
queue length. Only requests whose Host header names this server are answered (DNS rebinding would otherwise let
any web page its user visits read a loopback server).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html as html_lib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from onrecord import __version__
from onrecord.limits import DEFAULT_MEMORY_MB
from onrecord.read import DEFAULT_MAX_BYTES, DEFAULT_MAX_CHARS, METADATA_FIELDS
from onrecord.record import SCHEMA
from onrecord.serve import contract
from onrecord.serve.pool import (
    AnalysisTimeout,
    Busy,
    JobInputError,
    OutOfMemory,
    TooLongInput,
    Unavailable,
    WorkerDied,
    WorkerFailed,
    WorkerPool,
)

VERSION = __version__


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass
class Settings:
    """What ``onrecord serve`` was told; the defaults suit one person on a laptop."""

    max_bytes: int = DEFAULT_MAX_BYTES  # largest request body accepted
    max_chars: int = DEFAULT_MAX_CHARS  # longest article text analysed
    memory_mb: int | None = DEFAULT_MEMORY_MB  # each worker's address-space ceiling (None: no ceiling)
    allowed_hosts: tuple[str, ...] = LOCAL_HOSTS  # the Host header names answered (without port)
    timeout: float = 60.0  # seconds an analysis may run (and, separately, wait for a free worker)
    workers: int = 2  # analysis processes, each with its own pipeline
    max_waiting: int = 16  # requests allowed to queue for a worker before 503
    store: str | None = None  # a DuckDB corpus file for the read-only query endpoints


class ApiError(Exception):
    """An error answered as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class AnalyzeRequest(BaseModel):
    """An article to analyse: exactly one of ``text`` (plain text) or ``html`` (a page's markup)."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = None
    html: str | None = None
    title: str | None = None
    url: str | None = None
    published: str | None = None
    outlet: str | None = None
    id: str | None = None


# --------------------------------------------------------------------------------------------- security headers

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
def _sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


# Served reports are also sandboxed (an opaque origin, even when opened on their own) and may be framed only by
# this server's page. The report's own policy (onrecord.render.html.CSP) pins its inline style and script by hash.
REPORT_FRAMING = "frame-ancestors 'self'; sandbox allow-scripts"


def report_csp() -> str:
    """The Content-Security-Policy header of a served report."""
    from onrecord.render.html import CSP

    return f"{CSP}; {REPORT_FRAMING}"


class SecurityHeaders:
    """Adds the headers every response carries (nosniff, no referrer, a deny-all CSP unless set)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = {
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"no-referrer",
                    b"content-security-policy": API_CSP.encode(),
                    b"cross-origin-opener-policy": b"same-origin",
                }
                headers += [(k, v) for k, v in extra.items() if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ContentLengthLimit:
    """Refuses a request whose declared Content-Length is over the limit before reading any of it (413).

    A body sent without a length (chunked) is capped while it is read: see :func:`read_body`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for key, value in scope.get("headers", []):
                if key == b"content-length":
                    try:
                        length = int(value)
                    except ValueError:
                        await _send_json(send, 400, {"error": "the Content-Length header is not a number"})
                        return
                    if length > self.max_bytes:
                        await _send_json(send, 413, {"error": _too_large(self.max_bytes)})
                        return
        await self.app(scope, receive, send)


def host_name(header: str) -> str:
    """The host of a Host header without its port, lower case; IPv6 without brackets."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class HostAllowList:
    """Answers 400, before any other work, a request whose Host header is not one of ``allowed``."""

    def __init__(self, app: ASGIApp, allowed: tuple[str, ...]) -> None:
        self.app = app
        self.allowed = {host_name(h) for h in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), "")
            if host_name(header) not in self.allowed:
                shown = header[:100].encode("ascii", "backslashreplace").decode("ascii")
                await _send_json(send, 400, {"error": f"this server does not answer to the host name {shown!r}; "
                                                      "its operator can allow the name"})
                return
        await self.app(scope, receive, send)


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": data})


def _too_long(length: int, limit: int) -> str:
    return f"the article is {length:,} characters long, over the server's limit of {limit:,} characters"


def _too_large(limit: int) -> str:
    return f"the request is larger than the server's limit of {limit:,} bytes"


# ----------------------------------------------------------------------------------------------------- input


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) as soon as more than ``limit`` bytes have arrived."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, _too_large(limit))
        chunks.append(chunk)
    return b"".join(chunks)


def _valid_unicode(name: str, value: str) -> None:
    # JSON may carry lone surrogates ("\ud800"): Python accepts them, UTF-8 output would not.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(422, f"{name} contains invalid Unicode (a lone surrogate)") from None


def _job_from_model(req: AnalyzeRequest, max_bytes: int) -> dict[str, Any]:
    if {"text", "html"} <= req.model_fields_set:  # both given, even as null: the contract says exactly one
        raise ApiError(422, 'give either "text" or "html", not both')
    if req.text is None and req.html is None:
        raise ApiError(422, 'give the article as "text" (plain text) or "html" (the page\'s markup)')
    metadata = {k: getattr(req, k) for k in METADATA_FIELDS}
    for key, value in [("text", req.text), ("html", req.html), *metadata.items()]:
        if value is not None:
            _valid_unicode(key, value)
    kind = "text" if req.text is not None else "html"
    return {"kind": kind, "data": req.text if req.text is not None else req.html, "metadata": metadata,
            "max_bytes": max_bytes}


# What a parameter's pattern means, said to the person who broke it.
PATTERN_MESSAGES = {"since": "not a date (write YYYY-MM-DD, YYYY-MM or YYYY)",
                    "until": "not a date (write YYYY-MM-DD, YYYY-MM or YYYY)", "about": "needs a word to look for"}


def _validation_message(exc: ValidationError | RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query"))
        message = str(err.get("msg", "invalid"))
        if err.get("type") == "extra_forbidden":
            message = "unknown field (known: text, html, " + ", ".join(METADATA_FIELDS) + ")"
        elif err.get("type") == "string_pattern_mismatch" and where in PATTERN_MESSAGES:
            message = PATTERN_MESSAGES[where]
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts) or "invalid request"


FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def parse_job(request: Request, max_bytes: int) -> dict[str, Any]:
    """The analysis job a request asks for (JSON, or a form with pasted text or an uploaded file)."""
    content_type = _content_type(request)
    body = await read_body(request, max_bytes)
    if content_type in ("application/json", "") or content_type.endswith("+json"):
        if not body.strip():
            raise ApiError(400, 'the request body is empty; send JSON like {"text": "…"}')
        try:
            req = AnalyzeRequest.model_validate_json(body)
        except ValidationError as exc:
            if not any(e.get("type") == "json_invalid" for e in exc.errors()):
                raise ApiError(422, _validation_message(exc)) from None
            # pydantic refuses some valid JSON (a lone surrogate escape, "\ud800"): let the stdlib decide,
            # so such input is reported as what it is
            try:
                data = json.loads(body)
            except (ValueError, RecursionError):
                raise ApiError(400, "the request body is not valid JSON") from None
            try:
                req = AnalyzeRequest.model_validate(data)
            except ValidationError as exc2:
                raise ApiError(422, _validation_message(exc2)) from None
        return _job_from_model(req, max_bytes)
    if content_type in FORM_TYPES:
        return await _job_from_form(request, body, max_bytes)
    raise ApiError(415, "send the article as application/json ({\"text\": …} or {\"html\": …}) "
                        "or as a multipart/form-data upload")


async def _job_from_form(request: Request, body: bytes, max_bytes: int) -> dict[str, Any]:
    async def replay() -> Message:  # the body was already read (and capped); let Starlette parse it
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_files=1, max_fields=16, max_part_size=max_bytes)
    except Exception as exc:  # Starlette raises assorted errors for broken multipart bodies
        detail = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
        raise ApiError(400, f"malformed form data: {detail}") from None
    try:
        return await _form_job(form, max_bytes)
    finally:
        await form.close()  # uploads over 1 MB are spooled to temporary files


async def _form_job(form: Any, max_bytes: int) -> dict[str, Any]:
    known = {"text", "file", *METADATA_FIELDS}
    unknown = sorted(set(form.keys()) - known)
    if unknown:
        raise ApiError(422, f"unknown form field {unknown[0]!r} (known: {', '.join(sorted(known))})")
    metadata: dict[str, str | None] = {}
    for key in METADATA_FIELDS:
        value = form.get(key)
        if isinstance(value, UploadFile):
            raise ApiError(422, f"{key} must be a text field, not a file")
        metadata[key] = (value.strip() or None) if isinstance(value, str) else None
        if metadata[key]:
            _valid_unicode(key, metadata[key])
    text = form.get("text")
    upload = form.get("file")
    if isinstance(text, UploadFile):  # a client may send the article itself as a file part named "text"
        upload, text = text, None
    if isinstance(upload, str):  # a file input left empty can arrive as a plain field
        if upload.strip():
            raise ApiError(422, "file must be a file upload, not a text field")
        upload = None
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    if isinstance(upload, UploadFile) and not data and not upload.filename:
        upload = None  # a form's empty file input
    has_text = isinstance(text, str) and text.strip() != ""
    if upload is not None and has_text:
        raise ApiError(422, "give either pasted text or a file, not both")
    if upload is not None:
        name = upload.filename or "upload"
        return {"kind": "bytes", "data": data, "name": name, "metadata": metadata, "max_bytes": max_bytes}
    text = text if isinstance(text, str) else ""
    if not text.strip():
        raise ApiError(422, "paste an article's text or choose a .txt or .html file")
    _valid_unicode("text", text)
    kind = "html" if _looks_like_markup(text) else "text"
    return {"kind": kind, "data": text, "metadata": metadata, "max_bytes": max_bytes}


def _looks_like_markup(text: str) -> bool:
    from onrecord.read import looks_like_html

    return looks_like_html(text[:4096])


# ------------------------------------------------------------------------------------------------------ pages


def _asset(name: str) -> str:
    return resources.files("onrecord.serve").joinpath(name).read_text(encoding="utf-8")


_ERROR_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;margin:1.5rem;color:#1d2430}"
    ".e{border-left:4px solid #b3261e;background:#fdeceb;padding:.8rem 1rem;border-radius:4px}"
)
# Tells the page that holds the frame what went wrong, so it can say so next to the form (the frame is a
# sandboxed, opaque origin: the page cannot read it). It reads the message from the DOM: no data in the script.
_ERROR_SCRIPT = (
    '(function(){var m=document.getElementById("msg");if(m&&window.parent!==window){'
    'window.parent.postMessage({type:"onrecord-error",message:m.textContent},"*");}})();'
)
_ERROR_CSP = (f"default-src 'none'; style-src {_sha256(_ERROR_STYLE)}; script-src {_sha256(_ERROR_SCRIPT)}; "
              f"base-uri 'none'; form-action 'none'; {REPORT_FRAMING}")


def error_page(status: int, message: str) -> HTMLResponse:
    """A small HTML page for errors of the page's own form posts (shown in the report frame)."""
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>onrecord: cannot analyse</title>"
        f"<style>{_ERROR_STYLE}</style><div class=e role=alert><strong>Cannot analyse this article.</strong>"
        f"<br><span id=msg>{html_lib.escape(message)}</span></div><script>{_ERROR_SCRIPT}</script>"
    )
    return HTMLResponse(body, status_code=status, headers={"Content-Security-Policy": _ERROR_CSP})


# -------------------------------------------------------------------------------------------------------- app

def create_app(settings: Settings | None = None, pool: WorkerPool | None = None) -> FastAPI:
    """The ASGI app. ``pool`` defaults to ``settings.workers`` processes started with the app."""
    settings = settings or Settings()
    if settings.max_bytes < 1 or settings.timeout <= 0 or settings.workers < 1:
        raise ValueError("max_bytes, timeout and workers must be positive")
    page = _asset("page.html")
    assets = {"page.css": ("text/css", _asset("page.css")), "page.js": ("text/javascript", _asset("page.js"))}
    if settings.store:
        from onrecord.serve import store_api

        store_api.check_store(settings.store)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = pool or WorkerPool(settings.workers, settings.max_waiting, settings.memory_mb,
                                            settings.max_chars)
        await app.state.pool.start()
        try:
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(
        title="onrecord", version=VERSION, lifespan=lifespan, docs_url=None, redoc_url=None,
        description="Who says this, on whose authority? Attribution analysis of English news articles "
                    f"(records follow schema {SCHEMA}). Errors are {{\"error\": \"…\"}}.",
    )
    app.state.settings = settings

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        if request.scope.get("onrecord_form"):
            response: Response = error_page(exc.status, exc.message)
        else:
            response = JSONResponse({"error": exc.message}, status_code=exc.status)
        response.headers.update(exc.headers)
        return response

    from onrecord.serve.store_api import StoreError

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": _validation_message(exc)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {404: "no such page or endpoint", 405: "method not allowed here"}
        message = messages.get(exc.status_code, str(exc.detail))
        return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": f"internal error ({type(exc).__name__})"}, status_code=500)

    async def run_job(request: Request, want: str) -> Any:
        # The page's form posts into the report frame: its errors are shown there as a page, not as JSON.
        request.scope["onrecord_form"] = want == "report" and _content_type(request) in FORM_TYPES
        job = await parse_job(request, settings.max_bytes)
        job["want"] = want
        if job["kind"] == "text" and len(job["data"]) > settings.max_chars:
            raise ApiError(413, _too_long(len(job["data"]), settings.max_chars))
        try:
            return await request.app.state.pool.run(job, settings.timeout)
        except TooLongInput as exc:
            raise ApiError(413, _too_long(exc.length, exc.limit)) from None
        except OutOfMemory as exc:
            raise ApiError(413, f"{exc}; its worker was replaced; try a shorter article") from None
        except JobInputError as exc:
            raise ApiError(422, str(exc)) from None
        except Busy as exc:
            raise ApiError(503, f"the server is busy ({exc}); try again shortly",
                           {"Retry-After": str(max(1, round(settings.timeout / 4)))}) from None
        except AnalysisTimeout as exc:
            raise ApiError(504, f"{exc}; try a shorter article, or ask the server's operator for a longer time "
                                "limit") from None
        except Unavailable as exc:
            raise ApiError(503, str(exc)) from None
        except WorkerDied as exc:
            raise ApiError(503, f"{exc}; it has been replaced, try again",
                           {"Retry-After": "5"}) from None
        except WorkerFailed as exc:
            raise ApiError(500, f"the analysis failed: {exc}") from None

    @app.get("/", include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-cache"})

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        if name not in assets:
            raise ApiError(404, "no such file")
        media, content = assets[name]
        return Response(content, media_type=media, headers={"Cache-Control": "no-cache"})

    @app.get("/health", summary="liveness and the analysis workers' state", response_model=None,
             responses={200: {"description": "the server's state",
                              "content": {"application/json": {"schema": contract.HEALTH}}},
                        **contract.json_errors(400)})
    async def health(request: Request) -> dict[str, Any]:
        stats = request.app.state.pool.stats
        return {"status": "ok" if not stats.fatal else "failing", "version": VERSION, "schema": SCHEMA,
                "workers": stats.workers, "ready": stats.ready, "busy": stats.busy, "waiting": stats.waiting,
                "timeouts": stats.stopped_for_timeout,
                "out_of_memory": stats.stopped_for_memory, "error": stats.fatal, "store": settings.store is not None}

    @app.post("/analyze", summary="the record of one article (schema onrecord/1)", response_model=None,
              openapi_extra=contract.article_request(), responses=contract.analysis_responses(report=False))
    async def analyze(request: Request) -> JSONResponse:
        return JSONResponse(await run_job(request, "record"))

    @app.post("/report", summary="the report of one article as a self-contained HTML page", response_model=None,
              openapi_extra=contract.article_request(), response_class=HTMLResponse,
              responses=contract.analysis_responses(report=True))
    async def report(request: Request) -> HTMLResponse:
        document = await run_job(request, "report")
        return HTMLResponse(document, headers={"Content-Security-Policy": report_csp()})

    if settings.store:
        store_api.add_routes(app, settings.store, settings.timeout)

    app.add_middleware(ContentLengthLimit, max_bytes=settings.max_bytes)
    app.add_middleware(HostAllowList, allowed=settings.allowed_hosts)
    app.add_middleware(SecurityHeaders)
    return app
