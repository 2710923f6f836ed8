"""Load Sigma rule files into the ``detection_rules`` table: the one rule set serve and the CLI share.

Loading a file replaces what an earlier load of the same file (by path) stored: changed rules are
updated, new ones added, rules no longer in the file removed. A file whose text is unchanged is
not compiled again, so loading the built-in rules and configured paths on every start costs a
hash per file. Operators' enable/disable decisions survive reloads. Every rule that cannot be
compiled is kept as a ``failed`` row with the reason. Writes are audited per row
(``detection_rule.load``) and need ``rules:write``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select

from ironwatch.core.canonical import sha256_hex
from ironwatch.core.errors import ValidationError
from ironwatch.core.ids import new_id
from ironwatch.core.permissions import Permission
from ironwatch.detect.rule_records import RuleRecord, records_for_file, unreadable_file_record
from ironwatch.detect.rule_set import bump_rule_set
from ironwatch.detect.sigma.compile_cache import COMPILER_VERSION, CompileCache
from ironwatch.detect.sigma.loader import compile_rule_file, rule_files
from ironwatch.detect.sigma.logsource import LogsourceMap
from ironwatch.detect.sigma.parallel_compile import compile_files, pool_allowed, worker_count
from ironwatch.store.tables import CompiledRuleRow, DetectionRuleRow
from ironwatch.store.uow import UnitOfWork

#: the rules shipped with ironwatch (package data): every ``*.yml`` below this directory
BUILTIN_RULES = Path(__file__).resolve().parent / "rules"
BUILTIN_PREFIX = "builtin:"
ORIGINS = frozenset({"builtin", "path", "upload"})
Progress = Callable[[str], None]
STALE = "stale compiled form"  # stands for a stored digest when the compiled form is outdated
_Row = TypeVar("_Row", DetectionRuleRow, CompiledRuleRow)


@dataclass(frozen=True)
class RuleProblem:
    """A rule (or file) that did not compile, with where and why."""

    path: str
    line: int | None
    rule_id: str
    title: str
    reason: str


@dataclass
class LoadSummary:
    """What one load did, for the CLI, the API and the start-up log."""

    files: int = 0
    unchanged_files: int = 0
    compiled: int = 0
    failed: int = 0
    set_aside: int = 0  # deprecated or unsupported: stored, not run
    correlations: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    problems: list[RuleProblem] = field(default_factory=list)
    seconds: float = 0.0
    compile_seconds: float = 0.0


def _source_name(path: Path, origin: str, root: Path | None) -> str:
    if origin == "builtin" and root is not None:
        return BUILTIN_PREFIX + path.relative_to(root).as_posix()
    return str(path.resolve())


def builtin_sources() -> list[tuple[str, str]]:
    """The built-in rule files as ``(builtin:relative/path.yml, text)``."""
    if not BUILTIN_RULES.is_dir():
        return []
    return [
        (_source_name(path, "builtin", BUILTIN_RULES), path.read_text(encoding="utf-8"))
        for path in rule_files([BUILTIN_RULES])
    ]


def read_sources(paths: Sequence[str | Path]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(sources, unreadable)``: rule files under ``paths`` as (absolute path, text) and (path, reason)."""
    sources: list[tuple[str, str]] = []
    unreadable: list[tuple[str, str]] = []
    for path in rule_files(paths):
        name = _source_name(path, "path", None)
        try:
            sources.append((name, path.read_bytes().decode("utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            unreadable.append((name, str(exc)))
    return sources, unreadable


def _apply(row: DetectionRuleRow, record: RuleRecord, path: str, text: str, digest: str) -> None:
    row.rule_id = record.rule_id
    row.kind = record.kind
    row.title = record.title
    row.level = record.level
    row.status = record.status
    row.state = record.state
    row.error = record.error
    row.notes = list(record.notes)
    row.tags = list(record.tags)
    row.logsource = record.logsource[:200]
    row.source_path = path[:1000]
    row.line = record.line
    row.text = text
    row.sha256 = digest


def _unchanged(by_path: dict[str, list[str]], path: str, digest: str) -> bool:
    """Whether every stored rule of ``path`` came from text with this digest (the file is skipped).

    Rules whose compiled form is from another ``COMPILER_VERSION`` are stored as ``STALE``, so
    their file is compiled again.
    """
    return bool(by_path.get(path)) and all(stored == digest for stored in by_path[path])


def _compile_into_cache(cache: CompileCache, sources: Sequence[tuple[str, str]]) -> None:
    """Compile the files the cache lacks on one process per CPU, when there are many (a cold load).

    The per-file loop below then reads them from the cache; with few files, or in a process
    that runs threads (``serve``), nothing is done here and the loop compiles in place.
    """
    misses = [(path, text) for path, text in sources if not cache.has(Path(path), text.encode("utf-8"))]
    workers = worker_count(len(misses))
    if workers < 2 or not pool_allowed():
        return
    for (path, text), result in zip(
        misses, compile_files(misses, compile_rule_file, workers=workers), strict=True
    ):
        cache.put(Path(path), text.encode("utf-8"), result)


def load_rule_sources(
    uow: UnitOfWork,
    sources: Sequence[tuple[str, str]],
    *,
    origin: str,
    unreadable: Sequence[tuple[str, str]] = (),
    progress: Progress | None = None,
    cache_dir: Path | None = None,
) -> LoadSummary:
    """Compile and store rule files given as ``(path, text)``; see the module docstring.

    ``cache_dir`` keeps compiled files by content (``IRONWATCH_HOME/rule-cache``), so loading
    the same files into another database, or again after a change, skips pySigma's parsing.

    Example: ``load_rule_sources(uow, [("uploads/ssh.yml", text)], origin="upload")``.
    """
    uow.principal.require(Permission.RULES_WRITE)
    if origin not in ORIGINS:
        raise ValidationError(f"unknown rule origin {origin!r}", hint=f"use one of {sorted(ORIGINS)}")
    started = time.perf_counter()
    summary = LoadSummary(files=len(sources) + len(unreadable))
    session = uow.session
    known: dict[str, tuple[str, str, str]] = {}
    by_path: dict[str, list[str]] = {}
    for row_id, rule_id, path, digest, version in session.execute(
        select(
            DetectionRuleRow.id,
            DetectionRuleRow.rule_id,
            DetectionRuleRow.source_path,
            DetectionRuleRow.sha256,
            CompiledRuleRow.compiler_version,
        ).outerjoin(CompiledRuleRow, CompiledRuleRow.rule_row_id == DetectionRuleRow.id)
    ):
        known[rule_id] = (row_id, path, digest)
        # a compiled form from an older compiler makes its file count as changed: compiled again
        by_path.setdefault(path, []).append(digest if version in (None, COMPILER_VERSION) else STALE)
    cache = CompileCache(cache_dir, {}, LogsourceMap()) if cache_dir is not None else None
    if cache is not None:
        changed = [
            (path, text)
            for path, text in sources
            if not _unchanged(by_path, path, sha256_hex(text.encode("utf-8")))
        ]
        begun = time.perf_counter()
        _compile_into_cache(cache, changed)
        summary.compile_seconds += time.perf_counter() - begun
    uow.set_action("detection_rule.load")
    files: list[tuple[str, str, str, list[RuleRecord]]] = []
    for path, text in sources:
        digest = sha256_hex(text.encode("utf-8"))
        if _unchanged(by_path, path, digest):
            summary.unchanged_files += 1
            if progress:
                progress(path)
            continue
        begun = time.perf_counter()
        records = records_for_file(path, text, cache)
        summary.compile_seconds += time.perf_counter() - begun
        files.append((path, text, digest, records))
        if progress:
            progress(path)
    for path, reason in unreadable:
        files.append((path, "", sha256_hex(b""), [unreadable_file_record(path, reason)]))
        if progress:
            progress(path)
    _store(uow, known, files, summary, origin)
    uow.set_action(None)
    if summary.added or summary.updated or summary.removed:
        bump_rule_set(uow)
    summary.seconds = time.perf_counter() - started
    return summary


def _prefetch(uow: UnitOfWork, model: type[_Row], key: Any, ids: list[str]) -> dict[str, _Row]:
    found: dict[str, _Row] = {}
    for start in range(0, len(ids), 500):
        for row in uow.session.scalars(select(model).where(key.in_(ids[start : start + 500]))):
            found[getattr(row, key.key)] = row
    return found


def _store(
    uow: UnitOfWork,
    known: dict[str, tuple[str, str, str]],
    files: list[tuple[str, str, str, list[RuleRecord]]],
    summary: LoadSummary,
    origin: str,
) -> None:
    """Insert, update and delete rows for the compiled files (existing rows fetched in bulk)."""
    session = uow.session
    touched_paths = {path for path, *_ in files}
    ids_by_path: dict[str, set[str]] = {}
    for rule_id, (_, path, _) in known.items():
        if path in touched_paths:
            ids_by_path.setdefault(path, set()).add(rule_id)
    wanted = {record.rule_id for *_, records in files for record in records}
    row_ids = sorted(
        {known[r][0] for r in wanted if r in known}
        | {known[r][0] for ids in ids_by_path.values() for r in ids}
    )
    rows = _prefetch(uow, DetectionRuleRow, DetectionRuleRow.id, row_ids)
    compiled_rows = _prefetch(uow, CompiledRuleRow, CompiledRuleRow.rule_row_id, row_ids)
    now = uow.clock.now()
    added: list[CompiledRuleRow] = []  # inserted after their rules (no ORM relationship orders them)
    for path, text, digest, records in files:
        fresh = {record.rule_id for record in records}
        for rule_id in ids_by_path.pop(path, set()) - fresh:
            row = rows.pop(known.pop(rule_id)[0], None)
            if row is not None:
                session.delete(row)
                summary.removed += 1
        for record in records:
            _count(record, path, summary)
            entry = known.get(record.rule_id)
            row = rows.get(entry[0]) if entry else None
            if row is None:
                row = DetectionRuleRow(id=new_id(), enabled=True, change_reason="")
                session.add(row)
                summary.added += 1
            else:
                summary.updated += 1
            row.loaded_by = uow.principal.name
            row.loaded_at = now
            row.origin = origin
            _apply(row, record, path, text, digest)
            rows[row.id] = row
            known[record.rule_id] = (row.id, path, digest)
            compiled = compiled_rows.get(row.id)
            if record.compiled is None:
                if compiled is not None:
                    session.delete(compiled)
                    del compiled_rows[row.id]
            elif compiled is None:
                compiled_rows[row.id] = CompiledRuleRow(
                    rule_row_id=row.id, compiler_version=COMPILER_VERSION, compiled=record.compiled
                )
                added.append(compiled_rows[row.id])
            else:
                compiled.compiler_version = COMPILER_VERSION
                compiled.compiled = record.compiled
    uow.flush()
    session.add_all(added)
    uow.flush()


def _count(record: RuleRecord, path: str, summary: LoadSummary) -> None:
    if record.state == "compiled":
        summary.compiled += 1
        if record.kind == "correlation":
            summary.correlations += 1
    elif record.state == "failed":
        summary.failed += 1
        summary.problems.append(RuleProblem(path, record.line, record.rule_id, record.title, record.error))
    else:
        summary.set_aside += 1


def load_rule_paths(
    uow: UnitOfWork,
    paths: Sequence[str | Path],
    *,
    progress: Progress | None = None,
    cache_dir: Path | None = None,
) -> LoadSummary:
    """Load every rule file under ``paths`` (files or directories); a missing path is a ValidationError."""
    sources, unreadable = read_sources(paths)
    return load_rule_sources(
        uow, sources, origin="path", unreadable=unreadable, progress=progress, cache_dir=cache_dir
    )


def refresh_stale_rules(uow: UnitOfWork, *, cache_dir: Path | None = None) -> LoadSummary:
    """Compile again, from their stored text, the files whose compiled forms an older compiler wrote.

    Loading a file does this for the files it is given; this catches the rest (uploads, paths
    no longer configured), so after a ``COMPILER_VERSION`` change no rule-set build has to
    recompile rules from text. Called on every start; costs one query when nothing is stale.
    """
    rows = uow.session.execute(
        select(DetectionRuleRow.origin, DetectionRuleRow.source_path, DetectionRuleRow.text)
        .join(CompiledRuleRow, CompiledRuleRow.rule_row_id == DetectionRuleRow.id)
        .where(CompiledRuleRow.compiler_version != COMPILER_VERSION)
        .order_by(DetectionRuleRow.source_path)
    ).all()
    by_origin: dict[str, dict[str, str]] = {}
    for origin, path, text in rows:
        by_origin.setdefault(origin if origin in ORIGINS else "path", {})[path] = text
    total = LoadSummary()
    for origin, files in sorted(by_origin.items()):
        done = load_rule_sources(uow, sorted(files.items()), origin=origin, cache_dir=cache_dir)
        for name in (
            "files",
            "compiled",
            "failed",
            "set_aside",
            "correlations",
            "added",
            "updated",
            "removed",
        ):
            setattr(total, name, getattr(total, name) + getattr(done, name))
        total.problems.extend(done.problems)
        total.seconds += done.seconds
        total.compile_seconds += done.compile_seconds
    return total


def load_builtin_rules(uow: UnitOfWork, *, cache_dir: Path | None = None) -> LoadSummary:
    """Load the rules shipped with ironwatch (on every start; unchanged files cost a hash)."""
    return load_rule_sources(uow, builtin_sources(), origin="builtin", cache_dir=cache_dir)
