"""Peak memory and time of analyses through ``onrecord serve``, two concurrent requests per size.

    python bench/serve_limits.py 10000 100000 300000 1000000

Starts a server with two workers on a free port, posts two different articles of each size at once to
/analyze, and reads the workers' peak resident memory (VmHWM) from /proc after each size (sizes in rising
order, so each row's peak is that size's). Run under ``nice`` with OMP_NUM_THREADS=1; 1 MB takes minutes.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from limits import article


def workers_of(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def peak_mb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) // 1024


def main(sizes: list[int]) -> None:
    cmd = [sys.executable, "-m", "onrecord.cli", "serve", "--port", "0", "--workers", "2", "--timeout", "1200"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = re.search(r"listening on (http://[^/\s]+)/", proc.stdout.readline()).group(1)
        with httpx.Client(base_url=url, timeout=1500) as client:
            while client.get("/health").json()["ready"] < 2:
                time.sleep(0.5)
            print("| characters | two requests, wall seconds | statuses | worker peak RSS |\n|---:|---:|---|---:|")
            for n in sizes:
                texts = [article(n), article(n + 1)[1:]]  # two different articles of n characters
                start = time.perf_counter()
                with ThreadPoolExecutor(2) as pool:
                    statuses = list(pool.map(lambda t: client.post("/analyze", json={"text": t}).status_code, texts))
                wall = time.perf_counter() - start
                peaks = [peak_mb(p) for p in workers_of(proc.pid) if Path(f"/proc/{p}").exists()]
                print(f"| {n:,} | {wall:.1f} | {statuses} | {max(peaks)} MB |", flush=True)
    finally:
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]])
