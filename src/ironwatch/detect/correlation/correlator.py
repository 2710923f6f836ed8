"""The streaming evaluator of Sigma correlation rules, as a detector on the detection sink.

:class:`Correlator` receives every event with the Sigma rules it matched (``observe``) and a
clock tick about once a second (``tick``). A match of a rule that a correlation rule refers to
(by ``id`` or ``name``) is counted in that rule's window for the event's group-by values; a
correlation whose condition holds becomes a :class:`Match` of kind ``correlation``. Correlation
rules may refer to other correlation rules: a firing is counted by the rules that refer to it,
with its group-by values as the fields their group-by (and aliases) read.

Times are event times (``Event.timestamp``, else ``received_at``), never the wall clock, so a
replay gives the same firings and the same dedup keys. Only the expiry of idle state uses
processing time (``received_at`` and the tick's ``now``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ironwatch.core.errors import SourceLocation
from ironwatch.detect.correlation.spec import CorrelationSpec
from ironwatch.detect.correlation.window import (
    CorrelationLimits,
    Firing,
    RuleWindows,
    WindowStats,
)
from ironwatch.detect.sigma.ir import RuleIR
from ironwatch.detect.sigma.match import ENTITY_FIELDS, Match, dedup_key
from ironwatch.detect.sigma.report import RuleFailure
from ironwatch.ingest.event import Event

if TYPE_CHECKING:
    from ironwatch.detect.sigma.loader import RuleSet

#: a correlation match keeps the ids of this many contributing events (the alert keeps 100)
MAX_EVENT_IDS = 100
MAX_LISTED_VALUES = 50
_EMPTY = frozenset({"", "-", "null", "NULL"})
_ENTITY_OF = {key: name for name, keys in ENTITY_FIELDS.items() for key in keys}


@dataclass
class CorrelatorStats(WindowStats):
    """Window counters plus what the correlator saw."""

    events: int = 0
    counted: int = 0  # rule matches counted into some window


@dataclass(frozen=True)
class _Reference:
    """One referenced rule of a correlation: which spec counts it, and as which of its rules."""

    spec: int
    position: int
    name: str  # the reference as written (aliases are keyed by it)


@dataclass
class _Plan:
    """Which correlation rules count which rule ids, resolved once."""

    by_rule: dict[str, list[_Reference]] = field(default_factory=dict)
    by_correlation: dict[int, list[_Reference]] = field(default_factory=dict)
    silent_rules: set[str] = field(default_factory=set)
    silent_correlations: set[int] = field(default_factory=set)
    failures: list[RuleFailure] = field(default_factory=list)
    broken: set[int] = field(default_factory=set)  # positions of the rules left out
    ids: dict[str, str] = field(default_factory=dict)  # a reference as written -> the rule's id


class Correlator:
    """Evaluate Sigma correlation rules over the stream of Sigma matches (a ``Detector``).

    Example::

        ruleset = load_rules(paths=["rules/"])
        engine, correlator = Engine(ruleset), Correlator.from_ruleset(ruleset)
        for event in events:
            sigma = engine.evaluate(event.fields)
            alerts = correlator.alertable(sigma) + correlator.observe(event, sigma)
        alerts += correlator.tick(datetime.now(UTC))

    Correlation rules that cannot be evaluated (a reference to no known rule, a reference
    cycle, a duplicate name) are left out and listed in :attr:`failures` with the reason.
    """

    name = "correlation"

    def __init__(
        self,
        correlations: Sequence[CorrelationSpec],
        rules: Iterable[RuleIR] = (),
        *,
        limits: CorrelationLimits | None = None,
    ) -> None:
        self._limits = limits or CorrelationLimits()
        self.stats = CorrelatorStats()
        self._specs = tuple(correlations)
        plan = _resolve(self._specs, tuple(rules))
        self._plan = plan
        self._windows = {
            index: RuleWindows(spec, self._limits, self.stats)
            for index, spec in enumerate(self._specs)
            if index not in plan.broken
        }
        self._processing = 0.0
        self._last_expiry = 0.0

    @classmethod
    def from_ruleset(cls, ruleset: RuleSet, *, limits: CorrelationLimits | None = None) -> Correlator:
        """A correlator for the correlation rules of a loaded rule set."""
        return cls(ruleset.correlations, ruleset.rules, limits=limits)

    @property
    def failures(self) -> tuple[RuleFailure, ...]:
        """Correlation rules left out, with file, rule and reason."""
        return tuple(self._plan.failures)

    @property
    def silent_rules(self) -> frozenset[str]:
        """Ids of Sigma rules whose own matches should not become alerts.

        The Sigma spec: rules a correlation refers to raise no alerts of their own unless a
        referring correlation says ``generate: true``.
        """
        return frozenset(self._plan.silent_rules)

    def alertable(self, matches: Sequence[Match]) -> list[Match]:
        """``matches`` without those of :attr:`silent_rules` (what the sink should record)."""
        silent = self._plan.silent_rules
        return [match for match in matches if match.rule_id not in silent]

    def state_size(self) -> tuple[int, int]:
        """Groups and entries held over all correlation rules (for metrics and tests)."""
        windows = self._windows.values()
        return sum(len(w) for w in windows), sum(w.entry_count() for w in windows)

    def observe(self, event: Event, sigma_matches: Sequence[Match]) -> list[Match]:
        """Count the event's Sigma matches; the correlation matches that now hold."""
        self.stats.events += 1
        received = event.received_at.timestamp()
        self._processing = max(self._processing, received)
        found: list[Match] = []
        if sigma_matches:
            time = event.effective_time.timestamp()
            for sigma in sigma_matches:
                for ref in self._plan.by_rule.get(sigma.rule_id, ()):
                    firings = self._count(ref, event.fields, time, received, (event.id,))
                    found.extend(self._cascade(ref.spec, firings))
        if self._processing >= self._last_expiry + 1.0:
            found.extend(self._expire(watermark=None))
        return found

    def tick(self, now: datetime) -> list[Match]:
        """Close windows that ended and forget idle groups; the matches windows closing produce.

        ``now`` is the event time the stream has reached (the sink's watermark); it also moves
        the processing clock on when it is ahead of the last receive time.
        """
        watermark = now.timestamp()
        self._processing = max(self._processing, watermark)
        return self._expire(watermark=watermark)

    def _expire(self, *, watermark: float | None) -> list[Match]:
        self._last_expiry = self._processing
        found: list[Match] = []
        for index, windows in self._windows.items():
            found.extend(self._cascade(index, windows.expire(self._processing, watermark=watermark)))
        return found

    def _count(
        self,
        ref: _Reference,
        fields: Mapping[str, object],
        time: float,
        received: float,
        event_ids: tuple[str, ...],
    ) -> list[Firing]:
        windows = self._windows.get(ref.spec)
        if windows is None:
            return []
        spec = windows.spec
        values: list[str] = []
        for name in spec.group_by:
            value = _field_value(fields, spec.aliases.get(name, {}).get(ref.name, name))
            if value is None:
                self.stats.missing_group_values += 1
                return []
            values.append(value)
        counted: str | None = None
        if spec.type == "value_count" and spec.value_field is not None:
            target = spec.aliases.get(spec.value_field, {}).get(ref.name, spec.value_field)
            counted = _field_value(fields, target)
            if counted is None:
                self.stats.missing_group_values += 1
                return []
        self.stats.counted += 1
        return windows.add(
            tuple(values),
            time=time,
            received=received,
            event_ids=event_ids,
            rule=ref.position,
            value=counted,
        )

    def _cascade(self, index: int, firings: list[Firing]) -> list[Match]:
        """Matches for ``firings`` of rule ``index``, and whatever they complete in referring rules."""
        found: list[Match] = []
        spec = self._specs[index]
        for firing in firings:
            match = _match(spec, firing, self._plan.ids)
            if index not in self._plan.silent_correlations:
                found.append(match)
            fields: dict[str, object] = dict(zip(spec.group_by, firing.values, strict=True))
            for ref in self._plan.by_correlation.get(index, ()):
                chained = self._count(ref, fields, firing.end, self._processing, match.event_ids)
                found.extend(self._cascade(ref.spec, chained))
        return found


def _field_value(fields: Mapping[str, object], name: str) -> str | None:
    """The field as text; absent, structured and placeholder values (Windows writes ``-``) are None."""
    value = fields.get(name)
    if value is None or isinstance(value, dict | list | tuple):
        return None
    text = str(value)
    return None if text in _EMPTY else text


def _match(spec: CorrelationSpec, firing: Firing, ids: Mapping[str, str]) -> Match:
    group = dict(zip(spec.group_by, firing.values, strict=True))
    entities = {_ENTITY_OF.get(name, name): value for name, value in group.items()}
    event_ids = tuple(dict.fromkeys(i for entry in firing.entries for i in entry.event_ids))
    details: dict[str, object] = {
        "type": spec.type,
        "condition": spec.describe_condition(),
        "value": firing.metric,
        "timespan_seconds": spec.timespan_seconds,
        "window_start": _iso(firing.start),
        "window_end": _iso(firing.end),
        "group": group,
    }
    if spec.type == "value_count":
        values = sorted({entry.value for entry in firing.entries if entry.value is not None})
        details["field"] = spec.value_field
        details["values"] = values[:MAX_LISTED_VALUES]
    if spec.type in ("temporal", "temporal_ordered"):
        names = [spec.rules[position] for position in sorted({e.rule for e in firing.entries})]
        details["rule_names"] = names
        details["rules"] = [ids.get(name, name) for name in names]  # ids: what triage groups by
    return Match(
        rule_id=spec.id,
        title=spec.title,
        level=spec.level,
        tags=spec.tags,
        fields=dict(group),
        entities=entities,
        dedup_key=dedup_key(spec.id, group),
        timestamp=datetime.fromtimestamp(firing.end, UTC),
        kind="correlation",
        event_ids=event_ids[:MAX_EVENT_IDS],
        count=len(event_ids),
        details=details,
    )


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _resolve(specs: tuple[CorrelationSpec, ...], rules: tuple[RuleIR, ...]) -> _Plan:
    """Resolve references (ids and names) to rule ids and correlation positions; order the chain."""
    plan = _Plan()
    base: dict[str, str] = {}
    for rule in rules:
        base.setdefault(rule.id, rule.id)
        if rule.name:
            base.setdefault(rule.name, rule.id)
    plan.ids.update(base)
    correlations: dict[str, int] = {}
    for index, spec in enumerate(specs):
        for key in (spec.id, spec.name):
            if not key:
                continue
            if key in correlations or (key in base and key == spec.name):
                plan.failures.append(_failure(spec, f"the name or id {key!r} is used by another rule"))
            correlations.setdefault(key, index)
            plan.ids.setdefault(key, spec.id)
    broken = plan.broken
    broken.update(index for index, spec in enumerate(specs) if _failed(plan, spec))
    edges: dict[int, list[int]] = {}
    for index, spec in enumerate(specs):
        unknown = [ref for ref in spec.rules if ref not in base and ref not in correlations]
        if unknown:
            plan.failures.append(
                _failure(spec, f"refers to {', '.join(unknown)}, which no loaded rule has as id or name")
            )
            broken.add(index)
        edges[index] = [correlations[ref] for ref in spec.rules if ref in correlations]
    for index in _in_cycles(edges):
        if index not in broken:
            plan.failures.append(_failure(specs[index], "its references form a cycle"))
            broken.add(index)
    changed = True
    while changed:  # a rule referring to a broken correlation cannot be evaluated either
        changed = False
        for index, targets in edges.items():
            if index not in broken and any(target in broken for target in targets):
                plan.failures.append(_failure(specs[index], "refers to a correlation rule that failed"))
                broken.add(index)
                changed = True
    generating: set[str | int] = set()
    referenced: set[str | int] = set()
    for index, spec in enumerate(specs):
        if index in broken:
            continue
        for position, ref in enumerate(spec.rules):
            target: str | int
            if ref in correlations:
                target = correlations[ref]
                plan.by_correlation.setdefault(target, []).append(_Reference(index, position, ref))
            else:
                target = base[ref]
                plan.by_rule.setdefault(target, []).append(_Reference(index, position, ref))
            referenced.add(target)
            if spec.generate:
                generating.add(target)
    for target in referenced - generating:
        if isinstance(target, int):
            plan.silent_correlations.add(target)
        else:
            plan.silent_rules.add(target)
    return plan


def _failed(plan: _Plan, spec: CorrelationSpec) -> bool:
    return any(failure.rule_id == spec.id for failure in plan.failures)


def _failure(spec: CorrelationSpec, reason: str) -> RuleFailure:
    return RuleFailure(SourceLocation(spec.file, spec.line), reason, spec.id, spec.title)


def _in_cycles(edges: Mapping[int, list[int]]) -> set[int]:
    """Nodes on or behind a reference cycle (depth-first search with colours)."""
    state: dict[int, int] = {}
    cyclic: set[int] = set()

    def visit(node: int, path: list[int]) -> None:
        state[node] = 1
        path.append(node)
        for target in edges.get(node, ()):
            if state.get(target) == 1:
                cyclic.update(path[path.index(target) :])
            elif state.get(target) is None:
                visit(target, path)
        path.pop()
        state[node] = 2

    for node in edges:
        if node not in state:
            visit(node, [])
    return cyclic
