"""What the engine's workers do with the memory a task freed (no Ray cluster needed)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from onrecord.store import ray_engine


def test_release_memory_gives_freed_arrow_buffers_back() -> None:
    before = ray_engine.private_memory()
    strings = pc.cast(pa.array(np.arange(6_000_000, dtype=np.float64) / 7), pa.string())  # ~200 MB of buffers
    held = ray_engine.private_memory()
    assert held - before > 100 << 20
    del strings
    ray_engine.release_memory()
    # Arrow's pool (mimalloc) keeps freed buffers resident until asked: without release_unused they would stay
    assert ray_engine.private_memory() - before < 50 << 20


def test_released_function_returns_the_same_and_starts_no_ray() -> None:
    import ray

    def rows(table: pa.Table, column: str) -> pa.Table:
        return table.select([column])

    wrapped = ray_engine._released(rows)
    table = pa.table({"a": [1, 2], "b": ["x", "y"]})
    assert wrapped.__name__ == "rows"  # Ray Data names the step after it
    assert wrapped(table, column="b").equals(table.select(["b"]))
    assert not ray.is_initialized()  # outside a Ray worker it never asks Ray for the task (that would start one)


FREE_ARROW = """
import numpy as np, pyarrow as pa, pyarrow.compute as pc
from onrecord.store import ray_engine
before = ray_engine.private_memory()
strings = pc.cast(pa.array(np.arange(6_000_000, dtype=np.float64) / 7), pa.string())
held = ray_engine.private_memory() - before
del strings
print(pa.default_memory_pool().backend_name, held >> 20, (ray_engine.private_memory() - before) >> 20)
"""


def test_engine_processes_give_freed_arrow_memory_back_unasked() -> None:
    """Under the engine's memory settings (``MEMORY``, which every Ray worker inherits) Arrow's pool gives what a
    task freed back at once, without ``release_memory`` — Ray Data's own shuffle tasks never call it."""
    import os
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", FREE_ARROW], env={**os.environ, **ray_engine.MEMORY},
                         capture_output=True, text=True, check=True).stdout.split()
    backend, held, kept = out[0], int(out[1]), int(out[2])
    assert backend == "jemalloc" and held > 100 and kept < 50


def test_local_and_joined_ray_workers_get_the_memory_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """``start`` hands ``MEMORY`` to a local Ray through the environment its processes inherit, to a joined
    cluster through the job's runtime environment."""
    import os

    seen: list[dict[str, object]] = []

    class FakeRay:
        @staticmethod
        def is_initialized() -> bool:
            return False

        @staticmethod
        def init(**kwargs: object) -> None:
            seen.append({"env": dict(os.environ), **kwargs})

    monkeypatch.setattr(ray_engine, "_import_ray", lambda: FakeRay)
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    ray_engine.start(None, 1)
    ray_engine.start("ray://head:10001", None)
    local, joined = seen
    assert all(local["env"].get(k) == v for k, v in ray_engine.MEMORY.items())
    assert all(joined["runtime_env"]["env_vars"].get(k) == v for k, v in ray_engine.MEMORY.items())
    assert "ARROW_DEFAULT_MEMORY_POOL" not in os.environ  # the driver's own environment as it was
