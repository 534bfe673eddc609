"""Corroboration on a real corpus and at scale: what it finds, what it costs.

    .venv/bin/python bench/corroboration.py feed ../shared/data/polnear --out /tmp/polnear.jsonl
        # PolNeAR train+dev as JSON Lines: id = file name, outlet = publisher, published = publication_date
    .venv/bin/python bench/corroboration.py review STORE --sample 50 --seed 22
        # after `onrecord ingest FEED --store STORE --corroborate`: 50 random clusters of 2+ independent
        # sources (verbatim / paraphrase counted), every corpus conflict, site furniture — to read and judge
    .venv/bin/python bench/corroboration.py scale STORE --sizes 1000 10000 100000
        # corroborate --paraphrase time and peak memory at N statements: real sentences of STORE's articles,
        # repeated across synthetic outlets and days (each size in a fresh store, in its own process)
    .venv/bin/python bench/corroboration.py ingest FEED --n 100 --jobs 2 --before main
        # ingest --corroborate of the same articles by the code before (a git ref) and by this code, and without
        # --corroborate, in one run (throughput ratio)

Nothing of the corpus is written into the repository: the outputs go to stdout or to files you name.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ONRECORD = [sys.executable, "-m", "onrecord.cli"]


def feed(args: argparse.Namespace) -> None:
    root = Path(args.polnear)
    meta = {}
    with open(root / "metadata.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            meta[row["filename"]] = row
    n = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for split in ("train", "dev"):
            for path in sorted((root / split / "text").glob("*.txt")):
                m = meta.get(path.stem, {})
                out.write(json.dumps({"id": path.stem, "text": path.read_text(encoding="utf-8"),
                                      "outlet": m.get("publisher"), "published": m.get("publication_date"),
                                      "title": m.get("title")}) + "\n")
                n += 1
    print(f"{n} articles -> {args.out}", file=sys.stderr)


def review(args: argparse.Namespace) -> None:
    import duckdb

    con = duckdb.connect(args.store, read_only=True)
    rnd = random.Random(args.seed)
    articles = con.execute("SELECT count(*) FROM articles").fetchall()[0][0]
    clusters = con.execute("SELECT cluster_id FROM clusters WHERE outlets > 1 ORDER BY cluster_id").fetchall()
    how = dict(con.execute("""SELECT coalesce(how, 'core'), count(*) FROM cluster_members m
                              JOIN clusters c USING (cluster_id) WHERE c.outlets > 1 GROUP BY 1""").fetchall())
    furniture = con.execute("""SELECT count(*), count(DISTINCT line) FROM cluster_members
                               WHERE how = 'furniture'""").fetchall()[0]
    print(f"# {articles} articles; {len(clusters)} clusters of 2+ independent sources; members by how they "
          f"matched: {how}; site furniture: {furniture[0]} statements, {furniture[1]} distinct lines\n")
    sample = sorted(rnd.sample([c for (c,) in clusters], min(args.sample, len(clusters))))
    for cid in sample:
        rows = con.execute("""
            SELECT a.outlet, a.published_date, s.source_key, coalesce(m.how, 'core'), m.similarity,
                   coalesce(t.content, u.text)
            FROM cluster_members m JOIN articles a ON a.id = m.article_id
            JOIN article_sources s ON s.article_id = m.article_id
            LEFT JOIN attributions t ON m.kind = 'attribution' AND t.article_id = m.article_id AND t.id = m.statement_id
            LEFT JOIN unsourced u ON m.kind = 'unsourced' AND u.article_id = m.article_id AND u.id = m.statement_id
            WHERE m.cluster_id = ? ORDER BY m.member""", [cid]).fetchall()
        print(f"## cluster {cid}")
        for outlet, day, source, matched, sim, text in rows:
            print(f"- {outlet} {day} [{source}] {matched}{f' {sim:.2f}' if sim is not None else ''}: "
                  f"{' '.join((text or '').split())[:200]}")
        print()
    print("# corpus conflicts\n")
    flags = con.execute("""SELECT article_id, code, explanation FROM flags
                           WHERE origin = 'corpus' ORDER BY article_id, start_char""").fetchall()
    for aid, code, explanation in flags:
        print(f"- {aid} {code}: {explanation}")
    lines = con.execute("""
        SELECT s.outlet_key, any_value(coalesce(t.content, u.text)), count(*) FROM cluster_members m
        JOIN article_sources s ON s.article_id = m.article_id
        LEFT JOIN attributions t ON m.kind = 'attribution' AND t.article_id = m.article_id AND t.id = m.statement_id
        LEFT JOIN unsourced u ON m.kind = 'unsourced' AND u.article_id = m.article_id AND u.id = m.statement_id
        WHERE m.how = 'furniture' GROUP BY s.outlet_key, m.line ORDER BY 3 DESC LIMIT 20""").fetchall()
    print("\n# site furniture (most repeated lines)\n")
    for outlet, text, n in lines:
        print(f"- {outlet} x{n}: {' '.join((text or '').split())[:120]}")


def _peak_rss(pid: int, stop: threading.Event, out: list[int]) -> None:
    import psutil

    proc = psutil.Process(pid)
    while not stop.is_set():
        try:
            total = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
        except psutil.Error:
            break
        out.append(total)
        time.sleep(0.2)


def _timed(cmd: list[str], env: dict[str, str] | None = None, cwd: str | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (bytes, process tree) and stderr of one command."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    samples: list[int] = []
    stop = threading.Event()
    watcher = threading.Thread(target=_peak_rss, args=(proc.pid, stop, samples), daemon=True)
    watcher.start()
    _, err = proc.communicate()
    stop.set()
    watcher.join()
    if proc.returncode not in (0, 1):
        sys.exit(f"failed: {' '.join(cmd)}\n{err[-2000:]}")
    return time.monotonic() - started, max(samples, default=0), err


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


def scale(args: argparse.Namespace) -> None:
    """A store of N one-paragraph articles per size, built without analysis (rows written directly: each
    sentence one unsourced statement), then ``onrecord corroborate`` timed in its own process."""
    import duckdb

    src = duckdb.connect(args.store, read_only=True)
    sentences = [s.strip() for (text,) in src.execute("SELECT text FROM articles ORDER BY seq").fetchall()
                 for s in _SENTENCE.split(text) if 40 <= len(s.strip()) <= 300]
    src.close()
    rnd = random.Random(7)
    print("| statements | corroborate s | statements/s | peak RSS MB | pairs judged |\n|---|---|---|---|---|")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            store = Path(tmp) / "scale.duckdb"
            _synthetic_store(store, sentences, n, rnd, args.per_day)
            seconds, peak, err = _timed([*ONRECORD, "corroborate", "--store", str(store), "--quiet", "--paraphrase"])
            judged = re.search(r"(\d+) pairs judged", err)
            print(f"| {n:,} | {seconds:.1f} | {n / seconds:,.0f} | {peak / 2**20:,.0f} | "
                  f"{judged.group(1) if judged else '?'} |", flush=True)


def _synthetic_store(store: Path, sentences: list[str], n: int, rnd: random.Random, per_day: int) -> None:
    """N statements: real sentences, each article 5 of them, over 50 synthetic outlets, ``per_day`` articles a
    day (a corpus that grows by covering more days, as an archive does: the density per time window stays the
    same); a third of the articles repeat another outlet's sentences (copies and shared claims to find)."""
    from onrecord.store import schema

    con = schema.connect(store)
    start = date(2024, 1, 1)
    articles, unsourced = [], []
    per = 5
    for i in range(n // per):
        outlet = f"outlet-{i % 50}"
        day = start + timedelta(days=i // per_day)
        picked = [sentences[(i * per + k) % len(sentences)] for k in range(per)]
        if i % 3 == 2:  # the claims of an earlier article, told by another outlet
            j = rnd.randrange(max(1, i - 30), i) if i > 1 else 0
            picked = [sentences[(j * per + k) % len(sentences)] for k in range(per)]
        text = " ".join(picked)
        aid = f"a{i}"
        articles.append({"id": aid, "seq": i + 1, "content_hash": aid, "url": f"https://{outlet}.example/{i}",
                         "published": day.isoformat(), "published_date": day, "outlet": outlet, "text": text,
                         "n_attributions": 0, "n_unsourced": per, "n_flags": 0})
        pos = 0
        for k, s in enumerate(picked):
            unsourced.append({"article_id": aid, "id": f"u{k}", "text": s, "start_char": pos,
                              "end_char": pos + len(s)})
            pos += len(s) + 1
    schema.insert(con, schema.ARTICLES, articles)
    schema.insert(con, schema.UNSOURCED, unsourced)
    con.close()


def _tree(ref: str, into: Path) -> Path:
    """``onrecord/`` as committed at ``ref`` (git archive), to run the code from before beside the current one."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "onrecord"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def ingest_ab(args: argparse.Namespace) -> None:
    """The same N articles ingested with --corroborate by the code at ``--before`` and by the working tree, and
    without --corroborate, each into a fresh store, in one run (rounds alternate; the best of each is kept)."""
    lines = Path(args.feed).read_text(encoding="utf-8").splitlines()[: args.n]
    with tempfile.TemporaryDirectory() as tmp:
        part = Path(tmp) / "part.jsonl"
        part.write_text("\n".join(lines) + "\n", encoding="utf-8")
        before = _tree(args.before, Path(tmp) / "before")
        modes = {"no --corroborate": (str(REPO), ["--no-corroborate"]),
                 f"--corroborate, code at {args.before}": (str(before), ["--corroborate"]),
                 "--corroborate, this code": (str(REPO), ["--corroborate"]),
                 "--corroborate, this code, store set to --paraphrase": (str(REPO), ["--corroborate"])}
        results: dict[str, list[float]] = {m: [] for m in modes}
        cpu: dict[str, list[float]] = {m: [] for m in modes}  # user + sys of the ingest and its workers
        for r in range(args.rounds):
            for k, (mode, (path, flag)) in enumerate(modes.items()):
                store = Path(tmp) / f"s{r}-{k}.duckdb"
                env = dict(os.environ, PYTHONPATH=path)
                # run from the temporary folder: `python -m` puts the working folder first on the path, and from
                # the repository the working tree would shadow the code of before
                if mode.endswith("--paraphrase"):  # the stage on: vectors in the workers, verdicts after
                    subprocess.run([*ONRECORD, "corroborate", "--store", str(store), "--paraphrase", "--quiet"],
                                   env=env, check=True, capture_output=True, cwd=tmp)
                used = resource.getrusage(resource.RUSAGE_CHILDREN)
                seconds, _, _ = _timed([*ONRECORD, "ingest", str(part), "--store", str(store), "--jobs",
                                        str(args.jobs), "--quiet", *flag], env=env, cwd=tmp)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                results[mode].append(seconds)
                cpu[mode].append(after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime)
        # CPU seconds as well as wall: on a shared machine the wall time of one run swings with the others' load
        print(f"| ingest of {len(lines)} articles, --jobs {args.jobs} | best of {args.rounds}, s | articles/s "
              "| best CPU, s |")
        print("|---|---|---|---|")
        best = {m: min(v) for m, v in results.items()}
        least = {m: min(v) for m, v in cpu.items()}
        for mode, seconds in best.items():
            print(f"| {mode} | {seconds:.1f} | {len(lines) / seconds:.2f} | {least[mode]:.1f} |")
        old, old_cpu = best[f"--corroborate, code at {args.before}"], least[f"--corroborate, code at {args.before}"]
        for mode in ("--corroborate, this code", "--corroborate, this code, store set to --paraphrase"):
            print(f"\nthroughput of ingest {mode[2:]} / code at {args.before}: **{old / best[mode]:.2f}** "
                  f"(by CPU: {old_cpu / least[mode]:.2f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(required=True)
    p = sub.add_parser("feed")
    p.add_argument("polnear")
    p.add_argument("--out", required=True)
    p.set_defaults(func=feed)
    p = sub.add_parser("review")
    p.add_argument("store")
    p.add_argument("--sample", type=int, default=50)
    p.add_argument("--seed", type=int, default=22)
    p.set_defaults(func=review)
    p = sub.add_parser("scale")
    p.add_argument("store", help="a store whose articles give the sentences")
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    p.add_argument("--per-day", type=int, default=100, help="articles a day (the density per time window)")
    p.set_defaults(func=scale)
    p = sub.add_parser("ingest")
    p.add_argument("feed")
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--before", default="main", help="the code to compare with (a git ref)")
    p.set_defaults(func=ingest_ab)
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    args.func(args)


if __name__ == "__main__":
    main()
