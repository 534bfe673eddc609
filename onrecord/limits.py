"""The memory ceiling of a worker process (the server's analysis workers, ``ingest --jobs`` workers).

A ceiling on address space (``RLIMIT_AS``) is hard: an allocation past it fails at once with
``MemoryError`` instead of the host running out of memory. Address space is more than resident memory
(the mapped libraries and the model alone take about 300 MB), so the default leaves room above the
≈ 0.5 GB an analysis of the longest accepted article needs (docs/server.md).
"""

from __future__ import annotations

import errno
import os
import re
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



# How running out of address space reads when it is not a MemoryError: a lazily imported extension whose segments
# cannot be mapped (ImportError), a failed mmap (OSError ENOMEM), a native library's failed allocation (C++
# std::bad_alloc; glibc's "cannot allocate memory for thread-local data: ABORT", which ends the process with 127;
# OpenBLAS's "Memory allocation still failed after 10 retries", which ends it with 1).
_OUT_OF_MEMORY = re.compile(r"failed to map segment|cannot allocate memory|bad_alloc|failed to allocate|"
                            r"allocation\b.{0,30}\bfailed|out of memory", re.I)


def ran_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is the memory ceiling, possibly in disguise, rather than a bug."""
    if isinstance(exc, MemoryError) or (isinstance(exc, OSError) and exc.errno == errno.ENOMEM):
        return True
    return bool(_OUT_OF_MEMORY.search(str(exc)))


def says_out_of_memory(last_words: str) -> bool:
    """Whether what a process wrote to standard error before it died says it ran out of memory (Python's
    ``MemoryError`` traceback, or a native library's message of the kinds above)."""
    return bool(re.search(r"\bMemoryError\b", last_words) or _OUT_OF_MEMORY.search(last_words))
