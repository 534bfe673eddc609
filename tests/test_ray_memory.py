"""What the engine's workers do with the memory a task freed (no Ray cluster needed)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
