"""pySigma's SQLite backend as an independent reference for the ironwatch Sigma engine.

Events go into one in-memory table (one TEXT COLLATE NOCASE column per field, a ``_fulltext``
column for keyword search, a ``_rk`` column with the routing key). Each rule becomes one SQL
query from ``sigma-backend-sqlite``, restricted to the routing keys the rule's log source admits
(the same log-source table ironwatch uses, so the comparison is about detection logic).
Used by the differential test and the benchmark.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection
from sigma.rule import SigmaRule

from ironwatch.detect.sigma.engine import prepare_rule
from ironwatch.detect.sigma.event_view import is_enrichment_key, text_of
from ironwatch.detect.sigma.ir import RuleIR
from ironwatch.detect.sigma.logsource import route_admits
from ironwatch.detect.sigma.routing import routing_key

_CACHE: dict[tuple[str, int], re.Pattern[str]] = {}


def _regexp(pattern: str, value: object) -> bool:
    if value is None:
        return False
    compiled = _CACHE.get((pattern, 0))
    if compiled is None:
        compiled = _CACHE[(pattern, 0)] = re.compile(pattern)
    return compiled.search(str(value)) is not None


def _cell(value: object) -> str | None:
    """A list value (EVTX unnamed Data) is stored one element per line."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return "\n".join(text_of(item) for item in value if item is not None)
    return text_of(value)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SqliteReference:
    """Compile rules to SQL once, load events once, then list which rules match which rows."""

    def __init__(self, rule_files: Sequence[Path], rules: Sequence[RuleIR]) -> None:
        self._backend = sqliteBackend(fulltext_field="_fulltext", collate_nocase=True)
        by_file: dict[str, list[RuleIR]] = {}
        for rule in rules:
            by_file.setdefault(rule.file, []).append(rule)
        self.queries: list[tuple[RuleIR, str]] = []
        self.failed: dict[str, str] = {}
        for path in rule_files:
            compiled = by_file.get(str(path))
            if not compiled:
                continue
            collection = SigmaCollection.from_yaml(path.read_text(encoding="utf-8"))
            for sigma_rule, ir in zip(
                (r for r in collection.rules if isinstance(r, SigmaRule)), compiled, strict=False
            ):
                try:
                    (query,) = self._backend.convert_rule(sigma_rule)
                except Exception as exc:  # the reference backend refusing a rule is data, not a failure
                    self.failed[ir.id] = str(exc)
                    continue
                self.queries.append((ir, query.split(" WHERE ", 1)[1]))
        self.db = sqlite3.connect(":memory:")
        self.db.create_function("regexp", 2, _regexp, deterministic=True)
        self._keys: list[tuple[str | None, str | None, object]] = []

    def load(self, events: Iterable[Mapping[str, object]]) -> int:
        """Insert events (row ids 1..n in order); returns how many."""
        rows = list(events)
        columns: dict[str, str] = {}
        for event in rows:
            for key in event:
                columns.setdefault(key.lower(), key)
        for ir, _query in self.queries:
            for name in prepare_rule(ir).fields:
                columns.setdefault(name.lower(), name)
        for reserved in ("_fulltext", "_rk", "rowid"):
            columns.pop(reserved, None)
        names = list(columns.values())
        definition = ", ".join(f"{_quote(name)} TEXT COLLATE NOCASE" for name in names)
        self.db.execute(f"CREATE TABLE logs ({definition}, _fulltext TEXT, _rk TEXT)")
        slots = ", ".join("?" for _ in range(len(names) + 2))
        keys: dict[tuple[str | None, str | None, object], str] = {}
        batch = []
        for event in rows:
            lowered = {key.lower(): value for key, value in reversed(list(event.items()))}
            values: list[object] = [_cell(lowered.get(name.lower())) for name in names]
            fulltext = "\n".join(
                text_of(value)
                for key, value in event.items()
                if value is not None and not is_enrichment_key(key)
            )
            key = routing_key(event)
            self._keys.append(key)
            values += [fulltext, keys.setdefault(key, str(len(keys)))]
            batch.append(values)
        self.db.executemany(f"INSERT INTO logs VALUES ({slots})", batch)  # noqa: S608
        self._key_ids = keys
        return len(rows)

    def matches(self) -> dict[str, set[int]]:
        """Rule id -> 0-based indices of the matching events."""
        result: dict[str, set[int]] = {}
        for ir, condition in self.queries:
            admitted = [ident for key, ident in self._key_ids.items() if route_admits(ir.route, *key)]
            if not admitted:
                continue
            marks = ", ".join(f"'{ident}'" for ident in admitted)
            sql = f"SELECT rowid FROM logs WHERE _rk IN ({marks}) AND ({condition})"  # noqa: S608
            rows = self.db.execute(sql).fetchall()
            if rows:
                result[ir.id] = {row[0] - 1 for row in rows}
        return result
