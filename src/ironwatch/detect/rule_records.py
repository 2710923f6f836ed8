"""One rule file's text to the records stored per rule: compiled, failed, deprecated or unsupported.

Pure (no database): ``rule_loading`` stores what this returns. Every rule in the file ends in exactly
one record; a file that cannot be read or parsed at all becomes one failed record, so nothing is
dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ironwatch.core.canonical import sha256_hex
from ironwatch.core.errors import SourceLocation
from ironwatch.detect.sigma.compile_cache import CompileCache
from ironwatch.detect.sigma.ir import RuleIR, to_plain
from ironwatch.detect.sigma.loader import compile_rule_file, load_yaml_documents

MAX_RULE_ID = 100
MAX_TITLE = 300
LEVELS = frozenset({"informational", "low", "medium", "high", "critical"})


@dataclass(frozen=True)
class RuleRecord:
    """What is stored for one rule; ``compiled`` is the RuleIR as plain JSON (None unless compiled).

    Correlation rules keep ``compiled`` None: they are recompiled from the text, which is cheap.
    """

    rule_id: str
    kind: str
    title: str
    level: str
    status: str
    state: str
    line: int | None = None
    error: str = ""
    notes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    logsource: str = ""
    compiled: dict[str, Any] | None = field(default=None, hash=False)


def fallback_rule_id(path: str, line: int | None) -> str:
    """A stable id for a rule without a usable Sigma id: the same file and place give the same id."""
    return "path:" + sha256_hex(f"{path}#{line or 0}".encode())[:32]


def _rule_id(candidate: str | None, path: str, line: int | None) -> str:
    if candidate and len(candidate) <= MAX_RULE_ID:
        return candidate
    return fallback_rule_id(path, line)


def _level(value: object) -> str:
    text = str(value or "").lower()
    return text if text in LEVELS else "medium"


def _logsource(parts: tuple[str | None, str | None, str | None]) -> str:
    return "/".join(part or "*" for part in parts)


def _compiled_record(rule: RuleIR, path: str) -> RuleRecord:
    return RuleRecord(
        rule_id=_rule_id(rule.id, path, rule.line),
        kind="detection",
        title=rule.title[:MAX_TITLE],
        level=_level(rule.level),
        status=rule.status,
        state="compiled",
        line=rule.line,
        notes=rule.notes,
        tags=rule.tags,
        logsource=_logsource(rule.logsource),
        compiled=to_plain(rule),
    )


def _documents(text: str) -> list[dict[str, Any]]:
    """The file's YAML documents that are mappings (for the metadata of rules set aside by status)."""
    try:
        return [doc for doc in load_yaml_documents(text) if isinstance(doc, dict)]
    except yaml.YAMLError:
        return []


def _set_aside(
    locations: list[SourceLocation], state: str, documents: list[dict[str, Any]], path: str
) -> list[RuleRecord]:
    """Deprecated/unsupported rules: the loader gives only where they are; the YAML gives the rest."""
    matching = [doc for doc in documents if str(doc.get("status", "")).lower() == state]
    records = []
    for index, location in enumerate(locations):
        doc = matching[index] if index < len(matching) else {}
        raw_logsource = doc.get("logsource")
        logsource: dict[str, Any] = raw_logsource if isinstance(raw_logsource, dict) else {}
        records.append(
            RuleRecord(
                rule_id=_rule_id(str(doc["id"]) if doc.get("id") else None, path, location.line),
                kind="detection",
                title=str(doc.get("title") or Path(path).name)[:MAX_TITLE],
                level=_level(doc.get("level")),
                status=state,
                state=state,
                line=location.line,
                error=f"not run: the rule's status is {state}",
                tags=tuple(str(tag) for tag in doc.get("tags") or ()),
                logsource=_logsource(
                    (logsource.get("product"), logsource.get("category"), logsource.get("service"))
                ),
            )
        )
    return records


def records_for_file(path: str, text: str, cache: CompileCache | None = None) -> list[RuleRecord]:
    """Compile one file's text into one record per rule (the last of two rules with one id wins).

    ``cache`` keeps compiled files by content (pySigma's YAML parsing dominates load time).
    """
    data = text.encode("utf-8")
    result = cache.get(Path(path), data) if cache is not None else None
    if result is None:
        result = compile_rule_file(path, text)
        if cache is not None:
            cache.put(Path(path), data, result)
    # the YAML is read again only for rules set aside by status (the loader gives just their place)
    documents = _documents(text) if result.deprecated or result.unsupported else []
    records = [_compiled_record(rule, path) for rule in result.rules]
    records.extend(
        RuleRecord(
            rule_id=_rule_id(spec.id, path, spec.line),
            kind="correlation",
            title=spec.title[:MAX_TITLE],
            level=_level(spec.level),
            status="unknown",
            state="compiled",
            line=spec.line,
            tags=spec.tags,
            logsource=f"correlation/{spec.type}",
        )
        for spec in result.correlations
    )
    records.extend(
        RuleRecord(
            rule_id=_rule_id(failure.rule_id, path, failure.location.line),
            kind="detection",
            title=(failure.title or Path(path).name)[:MAX_TITLE],
            level="medium",
            status="unknown",
            state="failed",
            line=failure.location.line,
            error=failure.reason,
        )
        for failure in result.failures
    )
    records.extend(_set_aside(result.deprecated, "deprecated", documents, path))
    records.extend(_set_aside(result.unsupported, "unsupported", documents, path))
    unique = {record.rule_id: record for record in records}
    return list(unique.values())


def unreadable_file_record(path: str, reason: str) -> RuleRecord:
    """The record kept for a file that could not be read (so the failure is listed with the rules)."""
    return RuleRecord(
        rule_id=fallback_rule_id(path, None),
        kind="detection",
        title=Path(path).name[:MAX_TITLE],
        level="medium",
        status="unknown",
        state="failed",
        error=f"cannot read rule file: {reason}",
    )
