"""Compile many rule files on every available CPU.

A cold load is CPU-bound Python (YAML, pySigma's rule model, our lowering to the IR, RE2
compiles), about 2 ms per file, so one process per CPU cuts its wall time. Workers are forked
(no imports to repeat, and no re-run of the caller's main module as ``spawn`` would do), and
only from a process running a single thread: forking a threaded process (``serve``) can leave
a lock held in the child, so such a process compiles in place. Results come back in file
order, as the same ``FileResult`` objects a sequential compile gives (pickled over the pool's
private pipes between this process and its own children). Small loads stay in the calling
process, where a pool would cost more than it saves; if the pool cannot start or a worker dies,
the files are compiled in the calling process instead.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ironwatch.detect.sigma.compile_cache import FileResult

MIN_FILES_PER_WORKER = 200  # below this many files per worker, start-up costs more than it saves

CompileOne = Callable[[str, str], FileResult]  # (path, text) -> result; must be picklable

_worker_compile: CompileOne | None = None


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask, so ``taskset`` is respected)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - platforms without affinity masks
        return os.cpu_count() or 1


def worker_count(files: int, requested: int | None = None) -> int:
    """Workers for ``files`` files: ``requested`` if given, else one per CPU and per 200 files."""
    if requested is not None:
        return max(1, min(requested, files))
    return max(1, min(available_cpus(), files // MIN_FILES_PER_WORKER))


def pool_allowed() -> bool:
    """Whether this process may fork workers: only while it runs a single thread, and not as a
    daemonic multiprocessing worker (which may not have children)."""
    return threading.active_count() == 1 and not multiprocessing.current_process().daemon


def _start_worker(compile_one: CompileOne) -> None:
    global _worker_compile
    _worker_compile = compile_one


def _compile_in_worker(job: tuple[str, str]) -> FileResult:
    if _worker_compile is None:  # pragma: no cover - the pool's initializer always ran first
        raise RuntimeError("rule compile worker started without its compile function")
    return _worker_compile(*job)


def compile_files(
    jobs: Sequence[tuple[str, str]], compile_one: CompileOne, *, workers: int
) -> list[FileResult]:
    """``compile_one(path, text)`` for every job, in order, on up to ``workers`` processes."""
    if workers <= 1 or len(jobs) < 2 or not pool_allowed():
        return [compile_one(path, text) for path, text in jobs]
    chunk = max(1, len(jobs) // (workers * 8))  # a few chunks per worker keeps both busy to the end
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker,
            initargs=(compile_one,),
        ) as pool:
            return list(pool.map(_compile_in_worker, jobs, chunksize=chunk))
    except (BrokenProcessPool, OSError):
        return [compile_one(path, text) for path, text in jobs]
