"""Property-based tests (Hypothesis): any text gives a record whose spans keep the offset contract, or a clear
input error, in CPU time proportional to its length — including the hostile families that once cost quadratic
time (runs of emoji, symbols, punctuation, quote marks, one giant token) and bidirectional controls.

The time bound is generous (a constant per character plus a start), and CPU time is compared with the cost of
ordinary prose measured in the same run, so a slow machine does not fail it; a quadratic input still does.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onrecord.analysis import analyze
from onrecord.errors import InputError
from onrecord.read import normalise
from onrecord.record import Record

EXAMPLE = (Path(__file__).resolve().parents[1] / "examples" / "talks-geneva.txt").read_text(encoding="utf-8")

HOSTILE_UNITS = ["\U0001F600", "\U0001F468\u200d\U0001F469\u200d\U0001F467", "\u2605", "\u00a9\u2122", "!", "?!",
                 "\u201c", '"', "'", "(", ")", "-", ".", "x", "7", "\u202e", "\u2066", "\u200f", "\t", "<p>",
                 "&amp;", "\ufeff", "\u0301", "\U0001D400"]

# text made of hostile runs, ordinary words and the example article's sentences, in any order
pieces = st.one_of(
    st.builds(lambda unit, n: unit * n, st.sampled_from(HOSTILE_UNITS), st.integers(1, 400)),
    st.sampled_from(EXAMPLE.split(". ")),
    st.text(min_size=1, max_size=60),
    st.sampled_from([" ", "\n", "\n\n", " said ", ' "', '," he said. ']),
)
texts = st.lists(pieces, min_size=1, max_size=40).map("".join)


def check_spans(record: Record) -> None:
    """Every span of the record is the text it says it is, at its offsets."""
    text = record.text
    spans = [*record.boilerplate, *record.unsourced, *record.flags]
    for a in record.attributions:
        spans += [a.content, *([a.cue] if a.cue else []), *([a.speaker] if a.speaker else []), *a.via]
    for actor in record.actors:
        spans += actor.mentions
    for span in spans:
        assert 0 <= span.start <= span.end <= len(text), span
        assert text[span.start : span.end] == span.text, span


@pytest.fixture(scope="module")
def seconds_per_char() -> float:
    """CPU seconds per character of ordinary prose on this machine, now."""
    analyze(EXAMPLE)  # warm
    prose = "\n\n".join([EXAMPLE] * 4)
    start = time.process_time()
    analyze(prose)
    return (time.process_time() - start) / len(prose)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(text=texts)
def test_analyze_keeps_the_offset_contract_in_linear_time(text: str, seconds_per_char: float) -> None:
    start = time.process_time()
    try:
        record = analyze(text)
    except InputError as exc:
        message = str(exc)
        assert message and "\n" not in message and "Traceback" not in message
        return
    took = time.process_time() - start
    assert record.text == text
    check_spans(record)
    # ten times prose's cost per character, plus half a second: a run that cost n² would pass this only if short
    assert took < 10 * seconds_per_char * len(text) + 0.5, f"{took:.2f} s for {len(text)} characters"


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(unit=st.sampled_from(HOSTILE_UNITS), n=st.integers(2_000, 12_000))
def test_a_long_hostile_run_costs_no_more_than_prose(unit: str, n: int, seconds_per_char: float) -> None:
    text = (unit * n)[:n] + "\n\n" + EXAMPLE
    start = time.process_time()
    try:
        record = analyze(text)
    except InputError:
        return
    took = time.process_time() - start
    check_spans(record)
    assert took < 3 * seconds_per_char * len(text) + 0.5, f"{took:.2f} s for a run of {n} {unit!r}"


@pytest.fixture(scope="module")
def api() -> object:
    from fastapi.testclient import TestClient

    from onrecord.serve.app import Settings, create_app

    app = create_app(Settings(workers=1, timeout=120, allowed_hosts=("testserver",)))
    with TestClient(app) as client:
        assert client.post("/analyze", json={"text": EXAMPLE}).status_code == 200  # the worker is ready
        yield client


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(text=texts, kind=st.sampled_from(["json", "form", "html"]))
def test_the_api_answers_a_record_or_a_clear_4xx(api: object, text: str, kind: str, seconds_per_char: float) -> None:
    start = time.perf_counter()
    if kind == "json":
        response = api.post("/analyze", json={"text": text})  # type: ignore[attr-defined]
    elif kind == "html":
        response = api.post("/analyze", json={"html": text})  # type: ignore[attr-defined]
    else:
        response = api.post("/analyze", files={"text": (None, text)})  # type: ignore[attr-defined]
    took = time.perf_counter() - start
    assert response.headers["content-type"].startswith("application/json")
    if response.status_code == 200:
        record = Record.from_dict(response.json())
        check_spans(record)
        if kind == "json":
            assert record.text == normalise(text)  # line endings and surrounding blank lines, as read_text does
    else:
        assert 400 <= response.status_code < 500, response.text
        message = response.json()["error"]
        assert message and "\n" not in message and "Traceback" not in message
    # wall time here (the analysis runs in the worker process): generous, and still linear
    assert took < 20 * seconds_per_char * len(text) + 5, f"{took:.2f} s for {len(text)} characters"
