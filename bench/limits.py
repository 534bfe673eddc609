"""Peak memory and time of one analysis per article length, and of symbol-run families.

    python bench/limits.py sizes 10000 100000 300000 1000000     # onrecord analyze, one process per size
    python bench/limits.py runs 1000 5000 20000                  # CPU seconds, symbol runs vs plain text

Articles are built from examples/talks-geneva.txt, its paragraphs repeated with the names numbered so the
actors vary. Run under ``nice`` with OMP_NUM_THREADS=1; a 1 MB article takes minutes.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "talks-geneva.txt"


def article(n: int) -> str:
    """An English article of exactly ``n`` characters."""
    base = EXAMPLE.read_text(encoding="utf-8").strip()
    out, size, i = [], 0, 0
    while size < n:
        out.append(base.replace("Solberg", f"Solberg{i % 50}").replace("Krall", f"Krall{i % 37}"))
        size += len(out[-1]) + 2
        i += 1
    return "\n\n".join(out)[:n]


def _peak(status: str) -> str:
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    rss, space = (int(fields[key].split()[0]) // 1024 for key in ("VmHWM", "VmPeak"))
    return f"{rss} MB RSS, {space} MB address space"


def sizes(lengths: list[int]) -> None:
    print("| characters | seconds | peak |\n|---:|---:|---|")
    for n in lengths:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8") as fh:
            fh.write(article(n))
            fh.flush()
            code = ("import sys, time; from onrecord.read import read_path; from onrecord.analysis import analyze; "
                    "t = time.time(); analyze(read_path(sys.argv[1]).text).to_dict(); "
                    "print(round(time.time() - t, 1)); print(open('/proc/self/status').read())")
            out = subprocess.run([sys.executable, "-c", code, fh.name], capture_output=True, text=True, check=True)
            seconds, status = out.stdout.split("\n", 1)
            print(f"| {n:,} | {seconds} | {_peak(status)} |", flush=True)


FAMILIES = {
    "emoji": "\U0001F600",
    "emoji family (ZWJ sequence)": "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466",
    "symbols": "\u2605\u00a9\u2122",
    "punctuation": "!?",
    "quote marks": "\u201c\"'",
    "one giant token": "x",
    "runs of 99 symbols": "!" * 99 + " ",
    "emoji separated by spaces": "\U0001F600 ",
}


def runs(lengths: list[int]) -> None:
    from onrecord.analysis import analyze

    base = EXAMPLE.read_text(encoding="utf-8")
    analyze(base)
    print("| before a 2 kB article | " + " | ".join(f"{n:,}" for n in lengths) + " |")
    print("|---|" + "---:|" * len(lengths))
    rows = {"plain text (the article repeated)": article}
    rows.update({name: (lambda n, u=unit: (u * (n // len(u) + 1))[:n]) for name, unit in FAMILIES.items()})
    for name, make in rows.items():
        cells = []
        for n in lengths:
            text = make(n) + "\n\n" + base
            start = time.process_time()
            analyze(text)
            cells.append(f"{time.process_time() - start:.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    {"sizes": sizes, "runs": runs}[sys.argv[1]]([int(x) for x in sys.argv[2:]])
