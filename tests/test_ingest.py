"""onrecord ingest on real DuckDB files: every kind of source, idempotence, hostile inputs, and a real SIGKILL
in the middle of a run followed by a resume that must end with exactly the store of an uninterrupted run."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from onrecord.store import schema
from onrecord.store.ingest import ingest

ROOT = Path(__file__).resolve().parents[1]

FIRST = ["Lena", "Marek", "Ana", "Tobias", "Ines", "Kofi", "Hanna", "Ravi", "Elif", "Jonas", "Mira", "Pavel"]
LAST = ["Vogt", "Novak", "Ferreira", "Lindholm", "Okafor", "Brandt", "Kowalczyk", "Haddad", "Sorensen", "Mbeki",
        "Castellanos", "Ivanova", "Duarte"]
ROLES = ["Finance Minister", "Health Minister", "Mayor", "union leader", "Transport Minister", "central bank governor"]
TOPICS = ["rail", "hospital", "housing", "port", "school", "water"]
CITIES = ["Aldena", "Borvik", "Castrell", "Dunmore", "Elsworth", "Farlow"]


def article(i: int) -> str:
    """A short news article made up for these tests, different for every ``i``."""
    first, last = FIRST[i % len(FIRST)], LAST[(i * 5) % len(LAST)]
    role, topic, city = ROLES[i % len(ROLES)], TOPICS[(i // 2) % len(TOPICS)], CITIES[(i * 3) % len(CITIES)]
    return (f"{role} {first} {last} said on Monday that the {topic} plan would cost {100 + i} million euros.\n\n"
            f"“We will not accept any delay on the {topic} project in {city},” {last} told reporters.\n\n"
            f"The {topic} budget rose by {3 + i % 17}% in {2000 + i % 24}, the largest rise since {1990 + i % 9}.\n")


def rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of a store, rows sorted: two stores are the same when these are equal."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for table in schema.TABLES:
            data = con.execute(f"SELECT * FROM {table.name}").fetchall()
            out[table.name] = sorted(data, key=repr)
        return out
    finally:
        con.close()


def count(path: Path, table: str) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


# --------------------------------------------------------------------------------------------- every source


def write_warc(path: Path, pages: list[tuple[str, str]]) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, html in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(html.encode()),
                                               http_headers=headers)
            writer.write_record(record)
        # a non-HTML response is not an article
        headers = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("https://example.org/logo.png", "response",
                                                      payload=io.BytesIO(b"\x89PNG...."), http_headers=headers))


def html_page(i: int) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in article(i).split("\n\n"))
    return f"<html><head><title>Story {i}</title></head><body><article>{paragraphs}</article></body></html>"


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("sources")
    folder = base / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(article(1), encoding="utf-8")
    (folder / "sub" / "b.html").write_text(html_page(2), encoding="utf-8")
    (folder / "notes.md").write_text("not an article", encoding="utf-8")
    jsonl = base / "feed.jsonl"
    jsonl.write_text("".join(json.dumps({"text": article(i), "url": f"https://news.example/{i}", "title": f"T{i}",
                                         "published": f"2024-03-{i:02d}", "outlet": "Example News"}) + "\n"
                             for i in (3, 4)), encoding="utf-8")
    table = base / "rows.csv"
    with table.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["text", "url", "published", "outlet"])
        writer.writeheader()
        for i in (5, 6):
            writer.writerow({"text": article(i), "url": f"https://csv.example/{i}", "published": "May 7, 2023",
                             "outlet": "CSV Daily"})
    warc = base / "crawl.warc.gz"
    write_warc(warc, [(f"https://warc.example/{i}", html_page(i)) for i in (7, 8)])
    return {"folder": folder, "jsonl": jsonl, "csv": table, "warc": warc}


@pytest.fixture(scope="module")
def ingested(sources: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("store") / "corpus.duckdb"
    summary = ingest([str(p) for p in sources.values()], store, jobs=1, batch_size=3, progress=False)
    assert (summary.stored, summary.skipped, summary.failed) == (8, 0, 0)
    return store


def test_every_kind_of_source_is_stored(ingested: Path, sources: dict[str, Path]) -> None:
    con = duckdb.connect(str(ingested), read_only=True)
    got = {r[0]: r[1:] for r in con.execute(
        "SELECT source_name, source, url, title, published, published_date, outlet, seq FROM articles").fetchall()}
    con.close()
    names = sorted(got)
    assert len(names) == 8
    folder = str(sources["folder"])
    assert got[f"{folder}/a.txt"][0] == folder
    assert got[f"{folder}/sub/b.html"][2] == "Story 2"  # title from the HTML
    jl = got[f"{sources['jsonl']}:1"]
    assert jl[1:6] == ("https://news.example/3", "T3", "2024-03-03", jl[4], "Example News")
    assert str(jl[4]) == "2024-03-03"
    row = got[f"{sources['csv']}:2"]
    assert row[1] == "https://csv.example/5" and str(row[4]) == "2023-05-07" and row[5] == "CSV Daily"
    warc_urls = sorted(v[1] for k, v in got.items() if k.startswith(str(sources["warc"]) + "#"))
    assert warc_urls == ["https://warc.example/7", "https://warc.example/8"]
    # seq follows the order of the sources: folder, JSON Lines, CSV, WARC
    order = [k for k, _ in sorted(got.items(), key=lambda kv: kv[1][-1])]
    assert order[0].startswith(folder) and order[-1].startswith(str(sources["warc"]))
    assert sorted(v[-1] for v in got.values()) == list(range(1, 9))


def test_rows_match_the_records(ingested: Path) -> None:
    con = duckdb.connect(str(ingested), read_only=True)
    try:
        for aid, text, n_attr, n_uns in con.execute(
                "SELECT id, text, n_attributions, n_unsourced FROM articles").fetchall():
            spans = con.execute("SELECT content, content_start, content_end FROM attributions WHERE article_id = ?",
                                [aid]).fetchall()
            assert len(spans) == n_attr >= 1
            for content, start, end in spans:
                assert text[start:end] == content
            unsourced = con.execute("SELECT text, start_char, end_char FROM unsourced WHERE article_id = ?",
                                    [aid]).fetchall()
            assert len(unsourced) == n_uns
            for t, start, end in unsourced:
                assert text[start:end] == t
        # the speaker of every direct quote here is a person with a canonical actor
        missing = con.execute("SELECT count(*) FROM attributions WHERE form = 'direct' AND actor_id IS NULL")
        assert missing.fetchone()[0] == 0
        orphans = con.execute("SELECT count(*) FROM mentions m LEFT JOIN actors a ON a.id = m.actor_id "
                              "WHERE a.id IS NULL").fetchone()[0]
        assert orphans == 0
    finally:
        con.close()


def test_reingest_adds_nothing(ingested: Path, sources: dict[str, Path]) -> None:
    before = rows(ingested)
    summary = ingest([str(p) for p in sources.values()], ingested, jobs=1, batch_size=5, progress=False)
    assert (summary.stored, summary.skipped, summary.failed) == (0, 8, 0)
    assert rows(ingested) == before


def test_duplicate_text_in_one_run_is_stored_once(tmp_path: Path) -> None:
    feed = tmp_path / "dup.jsonl"
    feed.write_text("".join(json.dumps({"text": article(i)}) + "\n" for i in (20, 21, 20)), encoding="utf-8")
    store = tmp_path / "s.duckdb"
    summary = ingest([str(feed)], store, jobs=1, batch_size=10, progress=False)
    assert (summary.stored, summary.skipped) == (2, 1)
    assert count(store, "articles") == 2


# ------------------------------------------------------------------------------------------- hostile inputs


def test_bad_inputs_land_in_failures_and_the_rest_is_stored(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "01-good.txt").write_text(article(30), encoding="utf-8")
    (folder / "02-empty.txt").write_text("", encoding="utf-8")
    (folder / "03-binary.txt").write_bytes(bytes(range(256)) * 20)
    (folder / "04-german.txt").write_text(
        "Die Regierung hat am Montag beschlossen, dass die neue Brücke über den Fluss im nächsten Jahr gebaut "
        "wird. Der Bürgermeister sagte, die Kosten seien noch nicht bekannt und die Arbeiten würden lange dauern.",
        encoding="utf-8")
    (folder / "05-good.txt").write_text(article(31), encoding="utf-8")
    (folder / "06-huge.txt").write_text(article(32) * 400, encoding="utf-8")
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"text": article(33)}) + "\n"
                    + '{"text": "broken\n'
                    + json.dumps({"title": "no text"}) + "\n"
                    + "x" * 60_000 + "\n"
                    + json.dumps({"text": article(34)}) + "\n", encoding="utf-8")
    store = tmp_path / "s.duckdb"
    summary = ingest([str(folder), str(feed)], store, jobs=1, batch_size=4, max_bytes=50_000, progress=False)
    assert (summary.stored, summary.failed) == (4, 7)
    con = duckdb.connect(str(store), read_only=True)
    failures = {Path(n).name: (stage, reason) for n, stage, reason in
                con.execute("SELECT name, stage, reason FROM failures").fetchall()}
    stored = sorted(Path(r[0]).name for r in con.execute("SELECT source_name FROM articles").fetchall())
    con.close()
    assert stored == ["01-good.txt", "05-good.txt", "feed.jsonl:1", "feed.jsonl:5"]
    assert set(failures) == {"02-empty.txt", "03-binary.txt", "04-german.txt", "06-huge.txt", "feed.jsonl:2",
                             "feed.jsonl:3", "feed.jsonl:4"}
    assert "empty" in failures["02-empty.txt"][1]
    assert "binary" in failures["03-binary.txt"][1]
    assert "English" in failures["04-german.txt"][1]
    assert "too large" in failures["06-huge.txt"][1] and "too large" in failures["feed.jsonl:4"][1]
    assert "JSON" in failures["feed.jsonl:2"][1]
    assert all(stage == "read" for stage, _ in failures.values())

    # a second run retries the failures: they fail again, and are not duplicated
    before = rows(store)
    again = ingest([str(folder), str(feed)], store, jobs=1, batch_size=3, max_bytes=50_000, progress=False)
    assert (again.stored, again.skipped, again.failed) == (0, 4, 7)
    assert rows(store) == before
    # once a failed item can be read, it is stored and its failure is gone
    (folder / "02-empty.txt").write_text(article(35), encoding="utf-8")
    third = ingest([str(folder)], store, jobs=1, progress=False, max_bytes=50_000)
    assert third.stored == 1
    assert count(store, "failures") == 6


def test_unusable_source_is_one_clear_error(tmp_path: Path) -> None:
    from onrecord.errors import InputError

    with pytest.raises(InputError, match="no such file"):
        ingest([str(tmp_path / "missing")], tmp_path / "s.duckdb", jobs=1, progress=False)
    bad = tmp_path / "rows.csv"
    bad.write_text("body,url\nhello,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="'text' or 'html' column"):
        ingest([str(bad)], tmp_path / "s.duckdb", jobs=1, progress=False)


# ------------------------------------------------------------------------------------- kill and resume


N_KILL = 48


@pytest.fixture(scope="module")
def kill_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kill") / "corpus.jsonl"
    lines = []
    for i in range(N_KILL):
        if i == 17:
            lines.append('{"text": "this line is cut off\n')  # a failure, so failures are compared too
        # some outlets and dates, so that published_date and outlet columns are compared too
        lines.append(json.dumps({"text": article(100 + i), "outlet": ["Daily A", "Wire B"][i % 2],
                                 "published": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"}) + "\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to follow the worker processes")
def test_sigkill_mid_run_then_resume_equals_uninterrupted_run(kill_corpus: Path, tmp_path: Path) -> None:
    reference = tmp_path / "reference.duckdb"
    ref = ingest([str(kill_corpus)], reference, jobs=1, batch_size=4, progress=False)
    assert (ref.stored, ref.failed) == (N_KILL, 1)

    store = tmp_path / "killed.duckdb"
    command = [sys.executable, "-m", "onrecord.cli", "ingest", str(kill_corpus), "--store", str(store),
               "--jobs", "2", "--batch-size", "4"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen = bytearray()

    def drain() -> None:
        assert proc.stderr is not None
        while chunk := proc.stderr.read1(4096):
            seen.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    # the progress bar shows stored=N after each committed batch: kill once a few batches are in
    deadline = time.monotonic() + 240
    committed = 0
    while time.monotonic() < deadline and proc.poll() is None:
        found = re.findall(rb"stored=(\d+)", bytes(seen))
        committed = int(found[-1]) if found else 0
        if committed >= 12:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed: " + seen.decode(errors="replace")
    workers = _children(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    reader.join(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert workers, "the ingest ran without worker processes"
    deadline = time.monotonic() + 20  # the workers notice their parent is gone and exit
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.2)
    assert not any(_alive(p) for p in workers), "worker processes outlived the killed ingest"

    partial = count(store, "articles")
    assert 12 <= partial < N_KILL, partial

    resumed = subprocess.run([*command, "--quiet"], cwd=ROOT, capture_output=True, timeout=600)
    assert resumed.returncode == 1, resumed.stderr.decode()  # 1: the broken line failed again
    assert f"{N_KILL - partial} stored" in resumed.stderr.decode()
    assert rows(store) == rows(reference)


# ---------------------------------------------------------------------------------------------- aliases


ZELENSKY = [
    "President Volodymyr Zelensky said on Friday that the talks would continue.\n\n"
    "“We are ready to meet again,” Zelensky told reporters in Kyiv.\n",
    "Ukrainian President Volodymyr Zelenskyy said the grain corridor would reopen next week.\n\n"
    "“Ships are waiting in Odesa,” Zelenskyy said.\n",
    "Ukraine's President Volodymyr Zelenskiy said on Monday that he had spoken to the Turkish president.\n\n"
    "The two leaders discussed the corridor, Zelenskiy said in a video address.\n",
    "Prime Minister Anna Weller said on Tuesday that taxes would not rise.\n\n"
    "“We keep our promises,” Weller told the parliament.\n",
    "Interior Minister Otto Weller said the border would stay open.\n\n"
    "“Nobody will be turned away,” Weller said.\n",
]


def test_actors_merge_across_articles_and_alias_rules(tmp_path: Path) -> None:
    feed = tmp_path / "z.jsonl"
    feed.write_text("".join(json.dumps({"text": t}) + "\n" for t in ZELENSKY), encoding="utf-8")
    store = tmp_path / "s.duckdb"
    ingest([str(feed)], store, jobs=1, batch_size=2, progress=False)
    con = duckdb.connect(str(store), read_only=True)
    actors = {r[0]: (r[1], r[2]) for r in con.execute("SELECT id, name, aliases FROM actors").fetchall()}
    con.close()
    zel = [a for a in actors if "zelensk" in a]
    assert len(zel) == 1, actors  # three spellings, one person
    assert {"Volodymyr Zelenskyy", "Volodymyr Zelenskiy"} <= set(actors[zel[0]][1])
    wellers = sorted(a for a in actors if "weller" in a)
    assert wellers == ["anna-weller", "otto-weller"]  # same surname, different given names: two people

    aliases = tmp_path / "aliases.toml"
    aliases.write_text('[[merge]]\ncanonical = "Volodymyr Zelensky"\naliases = ["Zelenskyy", "Zelenskiy"]\n\n'
                       '[[split]]\nname = "Volodymyr Zelenskiy"\ncanonical = "V. Zelenskiy (impostor)"\n',
                       encoding="utf-8")
    from onrecord.store import canonical

    con = schema.connect(store)
    canonical.reapply(con, canonical.load_rules(aliases))
    con.close()
    con = duckdb.connect(str(store), read_only=True)
    speakers = dict(con.execute("SELECT speaker_name, any_value(actor_id) FROM attributions GROUP BY 1").fetchall())
    origins = dict(con.execute("SELECT id, origin FROM actors").fetchall())
    con.close()
    assert speakers["Volodymyr Zelensky"] == speakers["Volodymyr Zelenskyy"] == "volodymyr-zelensky"
    assert origins["volodymyr-zelensky"] == "merge"
    split = speakers["Volodymyr Zelenskiy"]
    assert split != "volodymyr-zelensky" and origins[split] == "split"

    # the same rules given at ingest give the same store as ingest-then-reapply
    other = tmp_path / "t.duckdb"
    ingest([str(feed)], other, jobs=1, batch_size=3, aliases=aliases, progress=False)
    assert rows(other) == rows(store)


def test_bad_aliases_file_is_one_line(tmp_path: Path) -> None:
    from onrecord.errors import InputError
    from onrecord.store import canonical

    bad = tmp_path / "a.toml"
    bad.write_text("[[merge]]\naliases = ['x']\n", encoding="utf-8")
    with pytest.raises(InputError, match="canonical is required"):
        canonical.load_rules(bad)
    bad.write_text("[[merge\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        canonical.load_rules(bad)
