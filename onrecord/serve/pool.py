"""A small pool of analysis processes for the web server.

spaCy is CPU-bound and holds the GIL, so analyses run in separate processes, each loading the pipeline once.
Unlike ``concurrent.futures.ProcessPoolExecutor`` this pool knows which process runs which job, so an analysis
that overruns its time limit is stopped by ending that one process (and starting a fresh one in its place)
instead of occupying a worker for ever or taking the other requests' workers down with it. Each worker's
address space is capped (:mod:`onrecord.limits`): an analysis that needs more fails with ``MemoryError``, is
answered as such, and its worker is replaced. Where the allocation fails decides how the process ends — a Python
``MemoryError``, glibc's "cannot allocate memory for thread-local data" (exit 127), a native ``std::bad_alloc``
(abort) — so a worker that dies mid-job is judged by its last words: each worker's standard error runs through a
pipe the server relays to its own and keeps the tail of.

The event loop never blocks on a worker: results are awaited with ``loop.add_reader`` on the worker's pipe.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import os
import signal
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from onrecord.limits import limit_memory, ran_out_of_memory, says_out_of_memory
from onrecord.read import MAX_CHARS_ENV

# A few sentences of our own, analysed once at start-up so that every lazily loaded part (lexicons, the pronoun
# reader, the check-worthiness encoder, which an unsourced sentence needs) is loaded before the first real request:
# the first request is then as fast as any, and loading never happens near a job's memory ceiling.
WARM_UP = (
    "The city council said on Monday that the old bridge would reopen in May. "
    "Traffic on the crossing has doubled since 2019, to 40,000 cars a day. "
    "\u201cWe are confident the repairs will hold,\u201d the engineer Maria Olsen told reporters. "
    "Olsen said she would publish the inspection report."
)

# A worker that ran out of memory and could not even say so ends with this code, so the server still answers
# "over the memory limit" rather than "the worker died".
OUT_OF_MEMORY_EXIT = 75
# Held by a worker and let go when an analysis fails for memory: room to collect garbage and send the reply.
_RESERVE_BYTES = 4 * 1024 * 1024


class Busy(Exception):
    """No worker became free in time, or too many requests are already waiting."""


class AnalysisTimeout(Exception):
    """The analysis ran past its time limit and its worker was stopped."""


class WorkerFailed(Exception):
    """The worker died or raised an unexpected error (a bug, not bad input)."""


class Unavailable(Exception):
    """No worker can start (the pipeline fails to load): every analysis would fail the same way."""


class JobInputError(Exception):
    """The worker refused the input (an ``onrecord.errors.OnrecordError``): the message is for the user."""


class TooLongInput(Exception):
    """The article's text is longer than the limit in characters."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"{length} > {limit}")
        self.length = length
        self.limit = limit


class OutOfMemory(Exception):
    """The analysis passed the worker's memory ceiling; the worker was replaced."""


class WorkerDied(WorkerFailed):
    """The worker process ended in the middle of a job (killed, or crashed in native code); it was replaced."""


# ------------------------------------------------------------------------------------------------ worker side


def execute(job: dict[str, Any]) -> Any:
    """Read, analyse and render one job; runs inside a worker process.

    ``job``: ``kind`` "text" | "html" | "bytes", ``data`` (str or bytes), ``name`` (a file name for bytes),
    ``metadata`` (title, url, published, outlet, id), ``max_bytes``, ``want`` "record" | "report".
    """
    from onrecord import read
    from onrecord.analysis import analyze

    metadata = {k: v for k, v in job.get("metadata", {}).items() if v is not None}
    if job["kind"] == "bytes":
        name = job.get("name") or "upload"
        suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        html = True if suffix in {"html", "htm", "xhtml"} else None  # else sniffed from the content
        document = read.read_bytes(job["data"], name=name, html=html, max_bytes=job.get("max_bytes"))
        for key, value in metadata.items():  # what the caller says wins over what the page says
            setattr(document, key, value)
    else:
        document = read.read_text(job["data"], html=job["kind"] == "html", name="-", **metadata)
    meta = {k: getattr(document, k) for k in read.METADATA_FIELDS}
    record = analyze(document.text, **meta)
    if job.get("want") == "report":
        from onrecord.render.html import report_html

        return report_html(record)
    return record.to_dict()


def speak_into(errors: Connection | None) -> None:
    """Make ``errors`` (the write end of the server's pipe) this process's standard error, native writes included."""
    if errors is not None:
        os.dup2(errors.fileno(), 2)
        errors.close()


def worker_main(conn: Connection, errors: Connection | None = None, memory_mb: int | None = None,
                max_chars: int | None = None) -> None:
    """A worker process: cap its memory, load the pipeline, say "ready", then answer jobs until the pipe closes."""
    speak_into(errors)
    # Ctrl-C in a terminal reaches the whole process group; the server decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if max_chars is not None:  # this process's own environment: read.check_text applies it to every job
        os.environ[MAX_CHARS_ENV] = str(max_chars)
    # One analysis at a time per worker: one math thread. Each thread a math library starts reserves address
    # space, which the ceiling counts, so on a many-core machine their number alone could pass it.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    try:
        if memory_mb is not None:
            limit_memory(memory_mb)
        from onrecord.analysis import analyze

        analyze(WARM_UP)
    except Exception as exc:  # e.g. the model is missing: the server reports it instead of waiting for ever
        conn.send(("fatal", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", None))
    try:
        _serve(conn, memory_mb)
    except MemoryError:
        # Memory ran out outside an analysis — receiving a large job, or building the reply to one that ran out:
        # the server reads this exit code as "over the memory limit".
        os._exit(OUT_OF_MEMORY_EXIT)


# How much of a worker's standard error the server keeps to judge how it ended.
_LAST_WORDS_BYTES = 8192


def _serve(conn: Connection, memory_mb: int | None) -> None:
    """Answer jobs until the pipe closes or an analysis runs out of memory (then the pool starts a fresh worker)."""
    from onrecord.errors import OnrecordError, TooLong

    reserve = [bytearray(_RESERVE_BYTES)]
    out_of_memory = ("memory", memory_mb)  # built now: after a failed allocation even a tuple may not fit
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the server has gone
            return
        try:
            reply: tuple[str, Any] = ("ok", execute(job))
        except TooLong as exc:
            reply = ("too_long", (exc.length, exc.limit))
        except OnrecordError as exc:
            reply = ("input", str(exc))
        except MemoryError:
            reserve.clear()
            reply = out_of_memory
        except Exception as exc:
            if ran_out_of_memory(exc):
                reserve.clear()
                reply = out_of_memory
            else:
                reply = ("error", f"{type(exc).__name__}: {exc}")
        if reply is out_of_memory:
            # Outside the except clause, so the exception's frames are gone: the half-built analysis holds
            # reference cycles (spans stored on the Doc), freed before sending or the reply itself can fail.
            gc.collect()
        try:
            conn.send(reply)
        except MemoryError:
            os._exit(OUT_OF_MEMORY_EXIT)
        except Exception as exc:  # an unpicklable or unsendable result is a bug: report it, keep serving
            with contextlib.suppress(Exception):
                conn.send(("error", f"could not send the result ({type(exc).__name__}: {exc})"))
        if reply is out_of_memory:  # what a failed allocation left half-built is unknown: start a fresh one
            return


# ------------------------------------------------------------------------------------------------ server side


@dataclass(eq=False)  # identity, so workers can live in a set
class _Worker:
    process: Any  # multiprocessing.context.SpawnProcess
    conn: Connection
    errors: Connection | None = None  # the read end of the worker's standard error
    jobs: int = 0
    last_words: bytes = b""  # the tail of what it wrote to standard error since its current job began

    def relay_errors(self) -> None:
        """Pass on what the worker wrote to standard error (without blocking) and keep its tail."""
        if self.errors is None:
            return
        fd = self.errors.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:  # the worker has ended
                with contextlib.suppress(Exception):
                    asyncio.get_running_loop().remove_reader(fd)
                self.errors.close()
                self.errors = None
                return
            self.last_words = (self.last_words + data)[-_LAST_WORDS_BYTES:]
            with contextlib.suppress(Exception):
                sys.stderr.write(data.decode("utf-8", "replace"))
                sys.stderr.flush()

    def said_out_of_memory(self) -> bool:
        return says_out_of_memory(self.last_words.decode("utf-8", "replace"))

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(2)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(2)


def start_worker(ctx: Any, target: Any, *args: Any) -> _Worker:
    """Start ``target(conn, errors, *args)`` in a process of ``ctx``: ``conn`` its end of the job pipe, ``errors``
    the write end of its standard error's pipe (see :func:`speak_into`)."""
    parent, child = ctx.Pipe()
    errors_in, errors_out = ctx.Pipe(duplex=False)
    process = ctx.Process(target=target, args=(child, errors_out, *args), daemon=True, name="onrecord-analysis")
    process.start()
    child.close()  # the parent keeps only its ends, so a dead worker shows as EOF on both
    errors_out.close()
    os.set_blocking(errors_in.fileno(), False)
    return _Worker(process, parent, errors_in)


@dataclass
class PoolStats:
    workers: int
    ready: int = 0
    busy: int = 0
    waiting: int = 0
    started: int = 0
    stopped_for_timeout: int = 0
    stopped_for_memory: int = 0
    fatal: str | None = None


class WorkerPool:
    """``size`` analysis processes; ``run(job, timeout)`` hands a job to a free one."""

    def __init__(self, size: int, max_waiting: int, memory_mb: int | None = None, max_chars: int | None = None) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one worker")
        self.size = size
        self.max_waiting = max_waiting
        self.memory_mb = memory_mb
        self.max_chars = max_chars
        self._ctx = multiprocessing.get_context("spawn")  # fork is unsafe in a threaded server
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        self.stats = PoolStats(workers=size)

    # -- life cycle

    async def start(self) -> None:
        """Start every worker; they become usable as each finishes loading (requests wait for them meanwhile)."""
        for _ in range(self.size):
            self._spawn()

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        workers = list(self._all)
        self._all.clear()
        await asyncio.gather(*(asyncio.to_thread(w.stop) for w in workers))
        for worker in workers:  # ended: this reads their last words to EOF and closes the pipes
            worker.relay_errors()

    def _spawn(self) -> None:
        worker = start_worker(self._ctx, worker_main, self.memory_mb, self.max_chars)
        assert worker.errors is not None
        asyncio.get_running_loop().add_reader(worker.errors.fileno(), worker.relay_errors)
        self._all.add(worker)
        self.stats.started += 1
        self._background(self._await_ready(worker))

    def _background(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            task.exception()  # marks it retrieved: a request that went away must not log "never retrieved"

    async def _await_ready(self, worker: _Worker) -> None:
        try:
            kind, message = await self._receive(worker, timeout=None)
        except WorkerFailed as exc:
            kind, message = "fatal", str(exc)
        if self._closed:
            return
        if kind == "ready":
            self.stats.ready += 1
            self._idle.put_nowait(worker)
        else:  # a worker that cannot load the pipeline will not load it next time either: no restart loop
            if kind == "memory":
                message = f"the pipeline does not fit in the worker's memory limit of {self.memory_mb} MB"
            self.stats.fatal = message
            self._all.discard(worker)
            await asyncio.to_thread(worker.stop)

    def _retire(self, worker: _Worker) -> None:
        """Take a worker out of service now (the counts must be right at once) and replace it in the background."""
        self._all.discard(worker)
        self.stats.ready -= 1
        self._background(self._replace(worker))

    async def _replace(self, worker: _Worker) -> None:
        await asyncio.to_thread(worker.stop)
        if not self._closed:
            self._spawn()

    # -- jobs

    async def run(self, job: dict[str, Any], timeout: float) -> Any:
        """The worker's result for ``job``.

        Raises ``Busy`` (no worker free within ``timeout``, or too many waiting), ``AnalysisTimeout``,
        ``JobInputError`` (the user's input was refused), ``TooLongInput``, ``OutOfMemory``, ``WorkerDied`` or
        ``WorkerFailed``."""
        if self.stats.fatal and not self._all:
            raise Unavailable(f"the analysis cannot start: {self.stats.fatal}")
        if self.stats.waiting >= self.max_waiting:
            raise Busy(f"{self.stats.waiting} analyses are already waiting")
        # Waiting and the exchange run as their own task: if the request is cancelled (client gone), the worker
        # is still waited for and then returned to the pool, or replaced, rather than lost.
        task = self._background(self._run(job, timeout))
        kind, payload = await asyncio.shield(task)
        if kind == "ok":
            return payload
        if kind == "input":
            raise JobInputError(payload)
        if kind == "too_long":
            raise TooLongInput(*payload)
        if kind == "memory":
            if self.memory_mb is None:
                raise OutOfMemory("the analysis ran out of memory")
            raise OutOfMemory(f"the analysis needed more than the worker's memory limit of {self.memory_mb:,} MB")
        raise WorkerFailed(payload)

    async def _run(self, job: dict[str, Any], timeout: float) -> tuple[str, Any]:
        self.stats.waiting += 1
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout)
        except TimeoutError:
            raise Busy(f"no analysis worker became free within {timeout:g} s") from None
        finally:
            self.stats.waiting -= 1
        return await self._exchange(worker, job, timeout)

    async def _exchange(self, worker: _Worker, job: dict[str, Any], timeout: float) -> tuple[str, Any]:
        self.stats.busy += 1
        healthy = False
        try:
            worker.jobs += 1
            worker.last_words = b""
            await asyncio.to_thread(worker.conn.send, job)  # a large job must not stall the event loop
            reply = await self._receive(worker, timeout)
            healthy = reply[0] != "memory"  # that worker has ended itself
            if not healthy:
                self.stats.stopped_for_memory += 1
            return reply
        except TimeoutError:
            self.stats.stopped_for_timeout += 1
            raise AnalysisTimeout(f"the analysis took longer than {timeout:g} s and was stopped") from None
        except (OSError, EOFError) as exc:
            raise WorkerDied(f"the analysis worker died ({type(exc).__name__})") from None
        finally:
            self.stats.busy -= 1
            if healthy:
                self._idle.put_nowait(worker)
            else:  # overran, died or was cancelled mid-job: its state is unknown, so start a fresh one
                self._retire(worker)

    @staticmethod
    async def _receive(worker: _Worker, timeout: float | None) -> tuple[str, Any]:
        """The next message from a worker, waiting without blocking the loop; TimeoutError after ``timeout``."""
        loop = asyncio.get_running_loop()
        readable: asyncio.Future[None] = loop.create_future()
        fd = worker.conn.fileno()

        def wake() -> None:
            if not readable.done():
                readable.set_result(None)

        loop.add_reader(fd, wake)
        try:
            await asyncio.wait_for(readable, timeout)
        finally:
            loop.remove_reader(fd)
        try:
            # The message has started arriving; reading the rest in a thread keeps a large record from
            # holding up the loop while the worker is still writing it.
            return await asyncio.to_thread(worker.conn.recv)
        except (EOFError, OSError) as exc:
            # The pipe closes before the process is reaped: wait a moment for its exit code.
            await asyncio.to_thread(worker.process.join, 2)
            worker.relay_errors()  # the rest of its last words
            code = worker.process.exitcode
            if code == OUT_OF_MEMORY_EXIT or worker.said_out_of_memory():
                return "memory", None
            how = f"exit code {code}"
            if code is not None and code < 0:
                with contextlib.suppress(ValueError):
                    how = f"signal {signal.Signals(-code).name}"
            raise WorkerDied(f"the analysis worker died ({how}, {type(exc).__name__})") from None
