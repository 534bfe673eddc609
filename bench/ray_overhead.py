"""What a local Ray and Ray Data cost by themselves: CPU-seconds of every process of the run, by kind, while Ray Data
feeds one actor N batches that only sleep (1 s each) — the standing cost an analysis run pays per second on top of
the analysis.

    OMP_NUM_THREADS=1 .venv/bin/python bench/ray_overhead.py --batches 100
    OMP_NUM_THREADS=1 .venv/bin/python bench/ray_overhead.py --batches 40   # the difference: per second, less start-up

``--context '{"exec.actor_locality_enabled": false}'`` sets ``DataContext`` fields (``exec.``: its execution
options) before the run. Prints one JSON line: wall seconds, CPU-seconds in all and per kind.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from distributed import kind


class Sleeper:
    """A Ray Data actor whose batches only wait."""

    def __call__(self, batch: pa.Table) -> pa.Table:
        time.sleep(1.0)
        return batch


def snapshot(me: Any) -> dict[int, tuple[str, float]]:
    """CPU-seconds so far of this process (the driver) and each of its descendants, with their kind."""
    import psutil

    out = {}
    for p in [me, *me.children(recursive=True)]:
        try:
            p.info = {"cmdline": p.cmdline()}
            times = p.cpu_times()
            out[p.pid] = ("driver" if p.pid == me.pid else kind(p), times.user + times.system)
        except psutil.Error:
            pass
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", type=int, default=100)
    ap.add_argument("--context", default="{}", help="DataContext fields to set, as JSON")
    opts = ap.parse_args()
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    import psutil

    from onrecord.store import ray_engine

    ray_engine.start(None, 1)  # a local Ray as `ingest --engine ray --cpus 1` starts it
    import ray
    import ray.data

    ctx = ray.data.DataContext.get_current()
    settings = json.loads(opts.context)
    for key, value in settings.items():
        target, name = (ctx.execution_options, key[5:]) if key.startswith("exec.") else (ctx, key)
        setattr(target, name, value)
    me = psutil.Process()
    started, before = time.monotonic(), snapshot(me)
    ds = ray.data.from_items([{"i": i} for i in range(opts.batches)], override_num_blocks=opts.batches)
    for _ in ds.map_batches(Sleeper, batch_size=1, batch_format="pyarrow", num_cpus=1,
                            compute=ray.data.ActorPoolStrategy(size=1)).iter_batches(batch_size=None):
        pass
    after, wall = snapshot(me), time.monotonic() - started
    cpu: dict[str, float] = {}
    for pid, (k, c) in after.items():
        cpu[k] = cpu.get(k, 0.0) + c - before.get(pid, (k, 0.0))[1]
    print(json.dumps({"context": settings, "batches": opts.batches, "wall_s": round(wall, 1),
                      "cpu_s": round(sum(cpu.values()), 2),
                      "by_kind": {k: round(v, 2) for k, v in sorted(cpu.items(), key=lambda kv: -kv[1]) if v >= 0.05}}),
          flush=True)
    ray.shutdown()


if __name__ == "__main__":
    main()
