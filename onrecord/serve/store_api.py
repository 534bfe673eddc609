"""Read-only HTTP queries of a corpus store (``onrecord serve --store corpus.duckdb``), mirroring the CLI:

    GET /said?actor=…&about=…&since=…&until=…&outlet=…&limit=N    (onrecord said)
    GET /actors?match=…&kind=…&top=N                              (onrecord actors)
    GET /claims?unsourced=true&top=N&min_score=X&about=…          (onrecord claims)

Each answers ``{"count": n, "results": [{column: value, …}, …]}``. The store is opened read-only for each
request and closed again, so ``onrecord ingest`` can add to it while the server runs (a query that meets a
running ingest gets 503). Queries run in a thread, never on the event loop, and are interrupted at the timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query

from onrecord.errors import InputError, OnrecordError
from onrecord.serve.contract import DAY_PATTERN, query_responses

Kind = Literal["person", "organization", "group", "document", "unknown"]
MAX_ROWS = 1000  # the most rows one request returns


class StoreError(Exception):
    """An error answered as ``{"error": message}`` with ``status`` (turned into the app's ApiError)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_store(path: str) -> None:
    """Open the store once at start-up, so a wrong path fails the command instead of every request."""
    from onrecord.store import schema

    schema.connect(path, read_only=True).close()


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _query(path: str, fn: Callable[[Any], tuple[list[str], list[tuple[Any, ...]]]],
           holder: dict[str, Any]) -> dict[str, Any]:
    from onrecord.store import schema

    try:
        con = schema.connect(path, read_only=True)
    except InputError as exc:
        raise StoreError(503, f"the store cannot be opened: {exc}") from None
    except OnrecordError as exc:  # locked by a running ingest
        raise StoreError(503, str(exc)) from None
    holder["con"] = con
    try:
        columns, rows = fn(con)
    except InputError as exc:
        raise StoreError(422, str(exc)) from None
    except OnrecordError as exc:  # e.g. no actor matches the name
        raise StoreError(404, str(exc)) from None
    except Exception as exc:
        import duckdb

        if isinstance(exc, duckdb.InterruptException):
            raise StoreError(504, "the query was stopped at the time limit") from None
        if isinstance(exc, duckdb.Error):
            raise StoreError(422, f"the query failed: {str(exc).splitlines()[0]}") from None
        raise
    finally:
        con.close()
    results = [{c: _jsonable(v) for c, v in zip(columns, row, strict=True)} for row in rows]
    return {"count": len(results), "results": results}


async def run_query(path: str, fn: Callable[[Any], tuple[list[str], list[tuple[Any, ...]]]],
                    timeout: float) -> dict[str, Any]:
    """``fn(connection)`` on a fresh read-only connection in a thread; interrupted after ``timeout`` seconds."""
    holder: dict[str, Any] = {}
    task = asyncio.ensure_future(asyncio.to_thread(_query, path, fn, holder))
    try:
        return await asyncio.wait_for(asyncio.shield(task), timeout)
    except TimeoutError:
        con = holder.get("con")
        if con is not None:
            con.interrupt()
        # The interrupted query ends promptly and closes its connection; what it raised is of no interest now.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)
        raise StoreError(504, f"the query took longer than {timeout:g} s and was stopped") from None


Text = Annotated[str | None, Query(max_length=500)]
About = Annotated[str | None, Query(max_length=500, pattern=r"\w", description="words the statement contains")]
Day = Annotated[str | None, Query(pattern=DAY_PATTERN, description="YYYY, YYYY-MM or YYYY-MM-DD")]


def check_dates(since: str | None, until: str | None) -> None:
    """422 in the request's own terms for a day that does not exist or a range that ends before it starts
    (the query layer words these for the command line)."""
    from onrecord.store.queries import parse_day

    days = {}
    for name, value, end in (("since", since, False), ("until", until, True)):
        try:
            days[name] = parse_day(value, end=end)
        except InputError:
            raise StoreError(422, f"{name}={value} is not a date that exists") from None
    if days["since"] and days["until"] and days["since"] > days["until"]:
        raise StoreError(422, f"since={since} is after until={until}")


def add_routes(app: FastAPI, path: str, timeout: float) -> None:
    """The query endpoints over the store at ``path``."""
    from onrecord.store import queries

    results = query_responses

    @app.get("/said", summary="what an actor said across the corpus, newest first", response_model=None,
             responses=results("said"))
    async def said(actor: Annotated[str, Query(min_length=1, max_length=200, description="name, id or alias")],
                   about: About = None, since: Day = None, until: Day = None, outlet: Text = None,
                   limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 100) -> dict[str, Any]:
        check_dates(since, until)
        return await run_query(path, lambda con: queries.said(con, actor, about=about, since=since, until=until,
                                                              outlet=outlet, limit=limit), timeout)

    @app.get("/actors", summary="the corpus's actors with their statements and articles, most quoted first",
             response_model=None, responses=results("actors"))
    async def actors(match: Text = None, kind: Kind | None = None,
                     top: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 50) -> dict[str, Any]:
        return await run_query(path, lambda con: queries.actors(con, match=match, kind=kind, top=top), timeout)

    @app.get("/claims", summary="check-worthy unsourced statements (or attributed ones), across the corpus",
             response_model=None, responses=results("claims"))
    async def claims(unsourced: Annotated[bool | None, Query(include_in_schema=False)] = None,  # the default
                     attributed: Annotated[bool, Query(description="attributed statements instead of unsourced "
                                                                   "ones")] = False,
                     about: About = None, since: Day = None, until: Day = None, outlet: Text = None,
                     top: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 20,
                     min_score: Annotated[float | None, Query(ge=0, le=1)] = None) -> dict[str, Any]:
        if attributed and unsourced:
            raise StoreError(422, "ask for unsourced=true (the default) or attributed=true, not both")
        check_dates(since, until)
        return await run_query(path, lambda con: queries.claims(con, attributed=attributed, about=about, since=since,
                                                                until=until, outlet=outlet, top=top,
                                                                min_score=min_score), timeout)
