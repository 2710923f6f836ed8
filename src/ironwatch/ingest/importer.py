"""One-shot imports of log files (``ironwatch ingest``): parsed and stored with replay-safe ids."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path

from ironwatch.core.clock import Clock
from ironwatch.core.errors import ValidationError
from ironwatch.ingest.event import Event, ParseFailure, deterministic_id
from ironwatch.ingest.parsers import FORMATS, read_log_file
from ironwatch.ingest.parsers.base import DEFAULT_LIMITS, ParseLimits
from ironwatch.ingest.store import store_results
from ironwatch.store.db import Database

BATCH = 2000
Progress = Callable[[int], None]


@dataclass
class ImportResult:
    files: int = 0
    events: int = 0
    failures: int = 0
    datasets: dict[str, int] = field(default_factory=dict)
    failure_reasons: dict[str, int] = field(default_factory=dict)


def check_format(fmt: str) -> str:
    if fmt != "auto" and fmt not in FORMATS:
        raise ValidationError(
            f"unknown log format {fmt!r}", hint=f"use auto or one of: {', '.join(sorted(FORMATS))}"
        )
    return fmt


def import_files(
    db: Database,
    paths: Iterable[Path],
    *,
    fmt: str = "auto",
    tz: tzinfo,
    clock: Clock,
    limits: ParseLimits = DEFAULT_LIMITS,
    progress: Progress | None = None,
) -> ImportResult:
    """Parse every file and store its events; importing the same file again stores nothing new.

    ``progress`` is called with the number of bytes (of original text) handled since the last call,
    once per stored batch.
    """
    check_format(fmt)
    result = ImportResult()
    batches = _batches(paths, result, fmt=fmt, tz=tz, clock=clock, limits=limits)
    for batch, size in batches:
        _flush(db, batch)
        if progress:
            progress(size)
    return result


Batch = list[tuple[Event | ParseFailure, str]]


def _batches(
    paths: Iterable[Path], result: ImportResult, *, fmt: str, tz: tzinfo, clock: Clock, limits: ParseLimits
) -> Iterator[tuple[Batch, int]]:
    """The parse results of every file in batches of ``BATCH`` with their ids, and the bytes they cover.

    One batch spans files: many small files (EVTX exports) must not cost a commit each.
    """
    batch: Batch = []
    size = 0
    for path in paths:
        result.files += 1
        for position, item in enumerate(
            read_log_file(path, format=fmt, tz=tz, limits=limits, clock=clock, deterministic_ids=True)
        ):
            if isinstance(item, Event):
                batch.append((item, item.id))
                result.events += 1
                result.datasets[item.dataset] = result.datasets.get(item.dataset, 0) + 1
                size += len(item.original) + 1
            else:
                failure_id = deterministic_id(f"{path}#failure", item.position or position, item.raw)
                batch.append((item, failure_id))
                result.failures += 1
                reason = item.reason.split(":")[0][:80]
                result.failure_reasons[reason] = result.failure_reasons.get(reason, 0) + 1
                size += len(item.raw) + 1
            if len(batch) >= BATCH:
                yield batch, size
                batch, size = [], 0
    if batch:
        yield batch, size


def _flush(db: Database, batch: Batch) -> None:
    with db.engine.begin() as conn:
        store_results(conn, batch)
