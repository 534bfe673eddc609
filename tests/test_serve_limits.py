"""Bounded resources: the length limit, linear time on runs of symbols, the workers' memory ceiling and the
Host allow-list. Times are compared as ratios within one run, never against a clock."""

from __future__ import annotations

import asyncio
import errno
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from onrecord.analysis import analyze
from onrecord.errors import TooLong
from onrecord.parse import LONG_RUN, RUN_PIECE, load_pipeline
from onrecord.serve.pool import OUT_OF_MEMORY_EXIT, WorkerDied, WorkerPool, speak_into, start_worker

sys.path.insert(0, str(Path(__file__).parent))
from test_serve import ARTICLE, error_of, running_server

ROOT = Path(__file__).resolve().parents[1]


def long_article(n: int) -> str:
    """About ``n`` characters of English news: the test article's paragraphs, years varied."""
    paragraphs = ARTICLE.split("\n\n")[1:]
    out, i = [], 0
    while sum(len(p) + 2 for p in out) < n:
        out.append(paragraphs[i % len(paragraphs)].replace("2024", str(1900 + i % 120)))
        i += 1
    return "\n\n".join(out)[:n]


# ---------------------------------------------------------------------------------------------------- length


def test_the_length_limit_is_checked_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONRECORD_MAX_CHARS", "500")
    with pytest.raises(TooLong, match=r"2,000 characters long, over the limit of 500 characters.*ONRECORD_MAX_CHARS"):
        analyze(long_article(2000))
    monkeypatch.setenv("ONRECORD_MAX_CHARS", "3000")
    assert analyze(long_article(2000)).attributions


def test_the_cli_names_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(long_article(2000), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "onrecord.cli", "analyze", str(path)], cwd=ROOT, text=True,
                          capture_output=True, env={**_env(), "ONRECORD_MAX_CHARS": "1000"}, timeout=120)
    assert proc.returncode != 0 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "over the limit of 1,000 characters" in proc.stderr
    assert "ONRECORD_MAX_CHARS" in proc.stderr


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": str(ROOT)}


# --------------------------------------------------------------------------------------------------- runs


@pytest.mark.parametrize("unit", ["\U0001F600", "\U0001F468\u200d\U0001F469\u200d\U0001F467", "\u2605\u00a9",
                                  "!?", "\u201c\"'", "x", "!" * 40 + " "])
def test_runs_of_symbols_cost_no_more_than_prose(unit: str) -> None:
    nlp = load_pipeline()
    prose = long_article(20_000)
    run = (unit * (20_000 // len(unit) + 1))[:20_000]
    nlp(prose[:2000])  # warm
    start = time.process_time()
    nlp(prose)
    plain = time.process_time() - start
    start = time.process_time()
    doc = nlp(run + "\n\n" + prose[:2000])
    symbols = time.process_time() - start
    assert symbols < 1.5 * plain, f"{symbols:.2f} s of CPU for the run, {plain:.2f} s for prose of its length"
    assert doc.text == run + "\n\n" + prose[:2000]  # offsets are exact: the tokens cover the text


def test_a_long_article_costs_linear_time() -> None:
    # Per character, a 100,000-character article costs about what a 6,000-character one does (measured 0.9x);
    # work per figure or description that rescans the document (Doc.text per figure, an actor's descriptors
    # rebuilt per description) made it 2.9x.
    analyze(long_article(2_000))  # warm
    costs = []
    for n in (6_000, 100_000):
        text = long_article(n)
        start = time.process_time()
        analyze(text)
        costs.append((time.process_time() - start) / n)
    assert costs[1] < 1.8 * costs[0], costs


def test_text_without_long_runs_is_tokenised_as_before() -> None:
    nlp = load_pipeline()
    text = ARTICLE + " Wow!!!!!!! " + "y" * (LONG_RUN - 1) + " \U0001F600\U0001F600 end."
    wrapped = nlp.tokenizer
    assert [t.text for t in wrapped(ARTICLE)] == [t.text for t in wrapped.tokenizer(ARTICLE)]
    pieces = [t.text for t in wrapped(text)]
    assert "!!!!!!!" not in pieces and max(len(p) for p in pieces) <= max(RUN_PIECE, LONG_RUN - 1)
    assert "".join(t.text_with_ws for t in wrapped(text)) == text


# ---------------------------------------------------------------------------------------------- the server


@pytest.fixture
def one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes with one BLAS thread: their address space at start no longer depends on the cores."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(name, "1")


_PROBE = """
import os, sys
for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[name] = "1"
import {modules}
from onrecord.analysis import analyze_many
from onrecord.read import Document
list(analyze_many([Document(t, "-") for t in sys.stdin.read().split("\\f")], n_process=1))
peak = next(line for line in open("/proc/self/status") if line.startswith("VmPeak:"))
print(int(peak.split()[1]) // 1024)
"""


def address_space_mb(*texts: str, modules: str = "onrecord.analysis") -> int:
    """The peak address space (MB) of a process that imports ``modules`` and analyses ``texts``: what a worker
    holds before a long article. The ceilings below sit a fixed margin above it, so the tests follow the
    pipeline's own size on any machine instead of a number written down once."""
    probe = subprocess.run([sys.executable, "-c", _PROBE.format(modules=modules)], input="\f".join(texts),
                           capture_output=True, text=True, cwd=ROOT, timeout=600, check=True)
    return int(probe.stdout.split()[-1])


def test_host_allow_list_and_limits_and_memory_ceiling(one_thread: None) -> None:
    # 40 MB above what a worker holds after a short article leaves no room for a 300,000-character analysis,
    # which needs about 100 MB more (docs/server.md).
    ceiling = address_space_mb(ARTICLE) + 40
    # A generous time limit: on a loaded machine the long analysis must meet the ceiling, not the clock.
    with running_server("--memory-limit", str(ceiling), "--max-chars", "400000", "--allowed-host", "news.example",
                        "--timeout", "600", workers=1) as srv, srv.client() as c:
        for host in ("evil.example", "127.0.0.1.evil.example", "news.example.evil", ""):
            r = c.get("/health", headers={"Host": host})
            assert r.status_code == 400 and "host name" in error_of(r)
            r = c.post("/analyze", headers={"Host": host}, json={"text": ARTICLE})
            assert r.status_code == 400
        for host in (f"localhost:{srv.port}", f"127.0.0.1:{srv.port}", "news.example", "NEWS.example:80"):
            assert c.get("/health", headers={"Host": host}).status_code == 200, host

        r = c.post("/analyze", json={"text": long_article(400_001)})
        assert r.status_code == 413
        assert "400,001 characters long, over the server's limit of 400,000 characters" in error_of(r)

        r = c.post("/analyze", json={"text": long_article(300_000)})
        assert r.status_code == 413 and f"memory limit of {ceiling} MB" in error_of(r), r.text[:300] + "".join(srv.log)
        deadline = time.monotonic() + 180
        while c.get("/health").json()["ready"] < 1:  # the worker is replaced; other requests go on
            assert time.monotonic() < deadline, "no replacement worker"
            time.sleep(0.2)
        assert c.get("/health").json()["out_of_memory"] == 1
        r = c.post("/analyze", json={"text": ARTICLE})
        assert r.status_code == 200 and r.json()["attributions"]


def test_an_ingest_worker_past_its_memory_ceiling_is_one_failure_row(tmp_path: Path, one_thread: None) -> None:
    # An ingest worker imports the store too, runs in a pool and pipes a few articles together (about 100 MB
    # above the probe): 250 MB above the probe, the short ones are stored and the 900,000-character one, which
    # needs about 300 MB more, is the one failure.
    small = [ARTICLE, ARTICLE.replace("Riverton", "Alderton")]
    ceiling = address_space_mb(*small, modules="onrecord.store.ingest") + 250
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(row) + "\n" for row in [
        {"text": small[0], "id": "small-1"}, {"text": long_article(900_000), "id": "large"},
        {"text": small[1], "id": "small-2"}]), encoding="utf-8")
    store = tmp_path / "s.duckdb"
    proc = subprocess.run([sys.executable, "-m", "onrecord.cli", "ingest", str(feed), "--store", str(store),
                           "--jobs", "2", "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**_env(), "ONRECORD_WORKER_MEMORY_MB": str(ceiling)})
    con = duckdb.connect(str(store), read_only=True)
    stored = sorted(r[0] for r in con.execute("SELECT id FROM articles").fetchall())
    failures = con.execute("SELECT name, reason FROM failures").fetchall()
    con.close()
    assert stored == ["small-1", "small-2"], (proc.stderr, failures)
    assert len(failures) == 1 and failures[0][0].endswith(":2") and "memory limit" in failures[0][1], failures


def _exit_out_of_memory(conn: object, errors: object) -> None:  # holds the pipe's end, as a worker does
    os._exit(OUT_OF_MEMORY_EXIT)


def _kill_self(conn: object, errors: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _die_saying(conn: object, errors: object, words: bytes, code: int) -> None:
    speak_into(errors)  # type: ignore[arg-type]
    os.write(2, words)
    os._exit(code)


@pytest.mark.parametrize(("target", "args", "expected"), [
    (_exit_out_of_memory, (), "memory"),
    (_kill_self, (), "signal SIGKILL"),
    # how glibc ends a process whose thread-local data cannot be allocated (met in the suite at the ceiling)
    (_die_saying, (b"cannot allocate memory for thread-local data: ABORT\n", 127), "memory"),
    # OpenBLAS's, when its buffer cannot be mapped (it then calls exit(1); met in CI at the ceiling)
    (_die_saying, (b"OpenBLAS error: Memory allocation still failed after 10 retries, giving up.\n", 1), "memory"),
    # Python's own last words when memory ran out where nothing caught it
    (_die_saying, (b"Traceback (most recent call last):\n  ...\nMemoryError\n", 1), "memory"),
    (_die_saying, (b"Traceback (most recent call last):\n  ...\nValueError: a bug\n", 1), "exit code 1"),
])
def test_how_a_worker_ended_mid_job_is_told_apart(target: object, args: tuple, expected: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # However memory ran out — OUT_OF_MEMORY_EXIT, or a death whose last words on standard error say so — the
    # answer is the memory one (413). Any other death is the worker dying (503), named by its exit code or signal.
    worker = start_worker(multiprocessing.get_context("spawn"), target, *args)
    try:
        if expected == "memory":
            assert asyncio.run(WorkerPool._receive(worker, timeout=60)) == ("memory", None)
        else:
            with pytest.raises(WorkerDied, match=expected):
                asyncio.run(WorkerPool._receive(worker, timeout=60))
    finally:
        worker.stop()
    if args:  # the server passes a worker's standard error on to its own
        assert args[0].decode() in capsys.readouterr().err


class _FakeConn:
    """A worker's end of the pipe: hands out ``jobs`` (an exception instance is raised instead), keeps replies."""

    def __init__(self, *jobs: object) -> None:
        self.jobs = list(jobs)
        self.sent: list[object] = []

    def recv(self) -> object:
        if not self.jobs:
            raise EOFError
        job = self.jobs.pop(0)
        if isinstance(job, BaseException):
            raise job
        return job

    def send(self, reply: object) -> None:
        self.sent.append(reply)


def test_a_worker_out_of_memory_answers_so_and_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    from onrecord.serve import pool

    def execute(job: dict) -> object:
        if job["data"] != "small":
            raise job["data"]
        return job["data"]

    monkeypatch.setattr(pool, "execute", execute)
    # The ceiling also shows as a lazily imported extension that cannot be mapped (met in CI) or a failed mmap.
    for failure in (MemoryError(), ImportError("x.so: failed to map segment from shared object"),
                    OSError(errno.ENOMEM, "Cannot allocate memory")):
        conn = _FakeConn({"data": "small"}, {"data": failure}, {"data": "never read"})
        pool._serve(conn, 321)  # type: ignore[arg-type]
        assert conn.sent == [("ok", "small"), ("memory", 321)], failure
        assert conn.jobs == [{"data": "never read"}]  # the worker ended: the pool starts a fresh one


def test_a_bug_is_an_error_and_the_worker_serves_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from onrecord.serve import pool

    def execute(job: dict) -> object:
        raise ImportError("No module named 'nowhere'")

    monkeypatch.setattr(pool, "execute", execute)
    conn = _FakeConn({"data": "a"}, {"data": "b"})
    pool._serve(conn, 321)  # type: ignore[arg-type]
    assert conn.sent == [("error", "ImportError: No module named 'nowhere'")] * 2


def test_memory_running_out_while_receiving_a_job_is_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    # worker_main turns it into OUT_OF_MEMORY_EXIT, which the server answers as over the limit (413), not as a
    # worker that died of a bug (503): the failure CI met when a 300,000-character job arrived.
    from onrecord.serve import pool

    with pytest.raises(MemoryError):
        pool._serve(_FakeConn(MemoryError()), 321)  # type: ignore[arg-type]


def test_an_ingest_worker_ends_itself_on_the_ceiling_in_disguise(monkeypatch: pytest.MonkeyPatch) -> None:
    # Past the ceiling a lazy import fails as ImportError; analysing the rest in the same worker would fail them
    # too (the failure CI met: a short article stored as a failure beside the long one). The worker ends itself,
    # so the pool retries each article in a fresh one; a bug stays the one article's failure.
    from onrecord import analysis
    from onrecord.store import ingest

    class Ended(Exception):
        pass

    def end(code: int) -> None:
        raise Ended(code)

    monkeypatch.setitem(ingest._WORKER, "memory_mb", 500)
    monkeypatch.setattr(ingest.os, "_exit", end)
    documents = [type("Doc", (), {"text": "x", "id": None, "title": None, "url": None, "published": None,
                                  "outlet": None})()]
    for failure, ends in ((ImportError("x.so: failed to map segment from shared object"), True),
                          (OSError(errno.ENOMEM, "Cannot allocate memory"), True), (ValueError("a bug"), False)):
        def fail(*args: object, failure: Exception = failure, **kwargs: object) -> object:
            raise failure

        monkeypatch.setattr(analysis, "analyze_many", fail)
        monkeypatch.setattr(analysis, "analyze", fail)
        if ends:
            with pytest.raises(Ended):
                ingest._analyse(documents)
        else:
            assert [type(r) for r in ingest._analyse(documents)] == [ValueError]
