"""A per-file cache of compiled rules, as JSON (never pickle: the cache directory is data).

The key hashes the file's bytes, the compiler version and the loader options, so a changed
rule, placeholder list or log-source table is recompiled. Files holding correlation rules are
not cached (they are few and cheap).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from ironwatch.core.errors import SourceLocation
from ironwatch.detect.correlation.spec import CorrelationSpec
from ironwatch.detect.sigma.ir import RuleIR, from_plain, to_plain
from ironwatch.detect.sigma.logsource import LogsourceMap
from ironwatch.detect.sigma.report import RuleFailure

# 4: null values read `null` in detection texts (version 3 stored a memory address there). A bump
# is safe: loading a file (and every start, for the other stored files) compiles again the files
# whose stored forms an older version wrote (rule_loading.refresh_stale_rules), once.
COMPILER_VERSION = "4"


@dataclass
class FileResult:
    """What one rule file produced."""

    rules: list[RuleIR] = field(default_factory=list)
    correlations: list[CorrelationSpec] = field(default_factory=list)
    failures: list[RuleFailure] = field(default_factory=list)
    deprecated: list[SourceLocation] = field(default_factory=list)
    unsupported: list[SourceLocation] = field(default_factory=list)


def _location(plain: dict[str, object]) -> SourceLocation:
    line = plain.get("line")
    return SourceLocation(str(plain["file"]), line if isinstance(line, int) else None)


class CompileCache:
    def __init__(
        self, root: Path, placeholders: Mapping[str, Sequence[str]], logsources: LogsourceMap
    ) -> None:
        self._root = root
        options = orjson.dumps(
            {
                "v": COMPILER_VERSION,
                "p": {k: list(v) for k, v in placeholders.items()},
                "l": sorted(map(repr, logsources.extra_datasets.items())),
            },
            option=orjson.OPT_SORT_KEYS,
        )
        self._salt = hashlib.sha256(options).digest()

    def _path(self, path: Path, data: bytes) -> Path:
        digest = hashlib.sha256(self._salt + str(path).encode() + b"\0" + data).hexdigest()
        return self._root / digest[:2] / f"{digest}.json"

    def has(self, path: Path, data: bytes) -> bool:
        """Whether an entry for this file content exists (without reading it)."""
        return self._path(path, data).is_file()

    def get(self, path: Path, data: bytes) -> FileResult | None:
        """The cached result for this file content, or None (missing or unreadable entries)."""
        try:
            plain = orjson.loads(self._path(path, data).read_bytes())
            return FileResult(
                rules=[from_plain(rule) for rule in plain["rules"]],
                failures=[
                    RuleFailure(_location(f), f["reason"], f.get("rule_id"), f.get("title"))
                    for f in plain["failures"]
                ],
                deprecated=[_location(item) for item in plain["deprecated"]],
                unsupported=[_location(item) for item in plain["unsupported"]],
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, path: Path, data: bytes, result: FileResult) -> None:
        """Store a result, atomically; files with correlation rules are skipped."""
        if result.correlations:
            return
        target = self._path(path, data)
        target.parent.mkdir(parents=True, exist_ok=True)
        plain = {
            "rules": [to_plain(rule) for rule in result.rules],
            "failures": [
                {
                    "file": f.location.file,
                    "line": f.location.line,
                    "reason": f.reason,
                    "rule_id": f.rule_id,
                    "title": f.title,
                }
                for f in result.failures
            ],
            "deprecated": [{"file": loc.file, "line": loc.line} for loc in result.deprecated],
            "unsupported": [{"file": loc.file, "line": loc.line} for loc in result.unsupported],
        }
        handle, temp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(orjson.dumps(plain))
        Path(temp).replace(target)
