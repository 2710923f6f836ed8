"""Process-wide memory settings of the long-running server: malloc arenas, collector spacing.

glibc gives threads their own malloc arenas (up to eight per core) and keeps freed memory in each.
``serve`` runs the pipeline on whichever of asyncio's executor threads is free, plus the listeners,
the spool writer and uvicorn, so under a sustained load its resident memory kept rising as more
arenas filled: a 10-minute run at 1,500 msg/s went from 149 to over 500 MiB while the Python heap
(tracemalloc) grew by about 3 MiB (docs/benchmarks.md, "Ingest speed work"). Two arenas is what
``MALLOC_ARENA_MAX=2`` would give; the threads mostly wait on SQLite and the GIL, so contention
for the arenas costs little.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys

#: ``M_ARENA_MAX`` of glibc's ``mallopt``
_M_ARENA_MAX = -8
#: allocations between two collections of the young generation in ``serve`` (CPython's default: 700)
YOUNG_COLLECTION_INTERVAL = 10_000


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas for this process; call before starting threads.

    Does nothing (returns False) when ``MALLOC_ARENA_MAX`` is set (the operator's choice wins), off
    Linux, or where the C library has no ``mallopt`` that accepts the setting (musl).
    """
    if arenas < 1:
        raise ValueError(f"arenas must be at least 1, got {arenas}")
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, arenas))


def space_young_collections(interval: int = YOUNG_COLLECTION_INTERVAL) -> None:
    """Collect the youngest generation every ``interval`` container allocations, not every 700.

    ``serve`` allocates a few dozen containers per event (the parsed fields, the detection view,
    matches) and reference counting frees nearly all of them before the batch ends; a collection
    every 700 allocations walks them anyway (~1 % of detection time in the benchmark). Cycles are
    still collected, ``interval`` allocations apart; the older generations keep their settings.
    """
    if interval < 1:
        raise ValueError(f"interval must be at least 1, got {interval}")
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(interval, older, oldest)
