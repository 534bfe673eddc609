"""The memory ceiling of a worker process (the server's analysis workers, ``ingest --jobs`` workers).

A ceiling on address space (``RLIMIT_AS``) is hard: an allocation past it fails at once with
``MemoryError`` instead of the host running out of memory. Address space is more than resident memory
(the mapped libraries and the model alone take about 300 MB), so the default leaves room above the
≈ 0.5 GB an analysis of the longest accepted article needs (docs/server.md).
"""

from __future__ import annotations

import os
import resource

from onrecord.errors import InputError

DEFAULT_MEMORY_MB = 2048
MEMORY_ENV = "ONRECORD_WORKER_MEMORY_MB"


def memory_limit_mb() -> int:
    """The ceiling in MB: ``ONRECORD_WORKER_MEMORY_MB`` if set, else :data:`DEFAULT_MEMORY_MB`."""
    raw = os.environ.get(MEMORY_ENV, "").strip()
    if not raw:
        return DEFAULT_MEMORY_MB
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise InputError(f"{MEMORY_ENV} must be a positive number of megabytes, got {raw!r}")
    return value


def limit_memory(megabytes: int) -> None:
    """Cap this process's address space at ``megabytes`` (never above a ceiling already set)."""
    ceiling = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))

