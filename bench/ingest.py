"""Ingest throughput, memory and query latency, against plain ``analyze_many`` on the same texts in the same run.

    .venv/bin/python bench/ingest.py --n 10000          # writes bench/INGEST.md

Articles are generated from templates written for this benchmark (names, roles, numbers, quotes vary). Each
measurement runs in its own subprocess (so model loading and peak memory do not leak from one to the other):
1. ``analyze_many(documents, n_process=jobs)`` over the texts, records discarded;
2. ``onrecord ingest`` of the same texts as JSON Lines into a fresh store with ``--jobs jobs``.
Both include their worker start-up. Resident memory of the process tree (main + workers) is sampled every
0.5 s. Then ``said``, ``actors`` and ``claims`` are timed on the store.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIRST = ["Lena", "Marek", "Ana", "Tobias", "Ines", "Kofi", "Hanna", "Ravi", "Elif", "Jonas", "Mira", "Pavel", "Sofia",
         "Dmitri", "Aisha", "Bruno", "Chen", "Daria", "Emeka", "Freya", "Goran", "Helga", "Idris", "Jana"]
LAST = ["Vogt", "Novak", "Ferreira", "Lindholm", "Okafor", "Brandt", "Kowalczyk", "Haddad", "Sorensen", "Mbeki",
        "Castellanos", "Ivanova", "Duarte", "Halvorsen", "Nakamura", "Petrescu", "Quist", "Rahman", "Szabo", "Tanaka"]
ROLES = ["Finance Minister", "Health Minister", "Mayor", "union leader", "Transport Minister", "central bank governor",
         "opposition leader", "Defence Minister", "police chief", "company spokesperson"]
TOPICS = ["rail", "hospital", "housing", "port", "school", "water", "energy", "pension", "border", "tax"]
CITIES = ["Aldena", "Borvik", "Castrell", "Dunmore", "Elsworth", "Farlow", "Greywick", "Hollin"]
OUTLETS = ["Harbour Times", "Valley Post", "Daily Ledger", "Wire Service", "Evening Star"]
QUOTES = ["We will not accept any delay on the {topic} project",
          "The {topic} budget is simply not enough",
          "Nobody in {city} was consulted about the {topic} plan",
          "This is the best {topic} deal we could get"]


def make_article(i: int, rng: random.Random) -> dict[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    other = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    role, topic, city = rng.choice(ROLES), rng.choice(TOPICS), rng.choice(CITIES)
    quote = rng.choice(QUOTES).format(topic=topic, city=city)
    n, pct, year = rng.randint(5, 900), rng.randint(2, 40), rng.randint(2005, 2024)
    paragraphs = [
        f"{role} {first} {last} said on {rng.choice(['Monday', 'Tuesday', 'Friday'])} that the {topic} plan for "
        f"{city} would cost {n} million euros.",
        f"“{quote},” {last} told reporters in {city}.",
        f"The {topic} budget rose by {pct}% in {year}, the largest rise since {year - rng.randint(3, 20)}.",
        f"{other}, who chairs the regional {topic} committee, said the figures were incomplete and that an "
        f"audit would be published in {rng.choice(['March', 'June', 'October'])}.",
        f"Article {i}.",
    ]
    day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return {"text": "\n\n".join(paragraphs), "outlet": rng.choice(OUTLETS), "published": day,
            "url": f"https://bench.example/{i}", "title": f"{topic.title()} plan in {city}"}


# ------------------------------------------------------------------------------------------------ measuring


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return total


def run_measured(command: list[str]) -> tuple[float, list[tuple[float, int]], str]:
    """Run a command, sampling the RSS of its process tree; (seconds, [(t, rss)], stderr)."""
    start = time.monotonic()
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    samples: list[tuple[float, int]] = []
    err = bytearray()
    reader = threading.Thread(target=lambda: err.extend(proc.stderr.read() if proc.stderr else b""), daemon=True)
    reader.start()
    while proc.poll() is None:
        samples.append((time.monotonic() - start, tree_rss(proc.pid)))
        time.sleep(0.5)
    reader.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{command[:4]} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return time.monotonic() - start, samples, err.decode(errors="replace")


def baseline(path: str, jobs: int) -> None:
    """Subprocess body: plain analyze_many over the JSON Lines texts."""
    from onrecord.analysis import analyze_many
    from onrecord.read import Document

    def documents():
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                obj = json.loads(line)
                yield Document(text=obj["text"], name=f"{path}:{n}", url=obj["url"], title=obj["title"],
                               published=obj["published"], outlet=obj["outlet"])

    count = sum(1 for _ in analyze_many(documents(), n_process=jobs))
    print(f"analysed {count}", file=sys.stderr)


def timed(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def rss_profile(samples: list[tuple[float, int]]) -> str:
    """Peak RSS in each quarter of the run: flat memory means the later quarters are not higher."""
    if not samples:
        return "n/a"
    end = samples[-1][0] or 1
    quarters = []
    for q in range(4):
        part = [r for t, r in samples if q * end / 4 <= t <= (q + 1) * end / 4]
        quarters.append(f"{max(part) / 2**20:.0f}" if part else "-")
    return " / ".join(quarters) + " MB"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000, help="articles to generate (10000)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--batch-size", type=int, default=200)
    ap.add_argument("--out", default=str(REPO / "bench" / "INGEST.md"))
    ap.add_argument("--baseline", metavar="JSONL", help=argparse.SUPPRESS)  # internal: the subprocess body
    args = ap.parse_args()
    if args.baseline:
        baseline(args.baseline, args.jobs)
        return 0

    rng = random.Random(1)
    total_chars = 0
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        with corpus.open("w", encoding="utf-8") as fh:
            for i in range(args.n):
                item = make_article(i, rng)
                total_chars += len(item["text"])
                fh.write(json.dumps(item) + "\n")
        store = Path(tmp) / "bench.duckdb"

        base_s, base_rss, _ = run_measured([sys.executable, __file__, "--baseline", str(corpus), "--jobs",
                                            str(args.jobs)])
        ing_s, ing_rss, err = run_measured([sys.executable, "-m", "onrecord.cli", "ingest", str(corpus), "--store",
                                            str(store), "--jobs", str(args.jobs), "--batch-size",
                                            str(args.batch_size), "--quiet"])
        summary = err.strip().splitlines()[-1] if err.strip() else ""

        from onrecord.store import queries, schema

        con = schema.connect(store, read_only=True)
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("articles", "attributions", "unsourced", "actors", "mentions", "flags", "failures")}
        top = queries.actors(con, top=1)[1][0]
        latency = {
            "said (top actor)": timed(lambda: queries.said(con, top[1])),
            "said --about --since": timed(lambda: queries.said(con, top[1], about="budget", since="2024-06")),
            "actors --top 50": timed(lambda: queries.actors(con, top=50)),
            "claims --top 20": timed(lambda: queries.claims(con, top=20)),
        }
        con.close()
        size = store.stat().st_size

    n = args.n
    chars = total_chars // max(n, 1)
    ratio = base_s / ing_s if ing_s else 0.0
    lines = [
        "# Ingest benchmark",
        "",
        f"`{' '.join(['.venv/bin/python', 'bench/ingest.py', '--n', str(n), '--jobs', str(args.jobs)])}` "
        f"on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}. Generated articles (~{chars} characters each, "
        "templates in bench/ingest.py). Wall-clock times include process start-up and model "
        "loading in the workers.",
        "",
        "| | seconds | articles/s | peak RSS per quarter of the run (main + workers) |",
        "|---|---|---|---|",
        f"| `analyze_many(n_process={args.jobs})` | {base_s:.1f} | {n / base_s:.2f} | {rss_profile(base_rss)} |",
        f"| `onrecord ingest --jobs {args.jobs} --batch-size {args.batch_size}` | {ing_s:.1f} | {n / ing_s:.2f} | "
        f"{rss_profile(ing_rss)} |",
        "",
        f"Ingest / analyze_many throughput ratio: **{ratio:.2f}** (target >= 0.8).",
        "",
        f"Store: {size / 2**20:.1f} MB; " + ", ".join(f"{k} {v}" for k, v in counts.items()) + ".",
        "",
        f"Ingest summary line: `{summary}`",
        "",
        "| query (median of 5, in-process, read-only) | ms |",
        "|---|---|",
        *[f"| {k} | {v:.1f} |" for k, v in latency.items()],
        "",
        f"At this rate 10,000 articles take about {10_000 / (n / ing_s) / 60:.0f} minutes on this machine "
        "(the analysis itself, not the store, sets the pace).",
        "",
    ]
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
