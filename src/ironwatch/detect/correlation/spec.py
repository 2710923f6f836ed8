"""Sigma correlation rules as plain data (event_count, value_count, temporal, temporal_ordered).

The Sigma spec lets a condition name a range (``gt: 100`` and ``lte: 200`` in one map); pySigma
accepts one operator only, so :func:`lift_range_condition` moves the extra bounds out of the way
before pySigma parses the document and :func:`correlation_spec` puts them back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sigma.correlations import (
    SigmaCorrelationCondition,
    SigmaCorrelationConditionOperator,
    SigmaCorrelationRule,
)

from ironwatch.core.errors import SourceLocation, ValidationError

CorrelationType = Literal["event_count", "value_count", "temporal", "temporal_ordered"]
SUPPORTED: frozenset[str] = frozenset({"event_count", "value_count", "temporal", "temporal_ordered"})
_OPS = {
    SigmaCorrelationConditionOperator.LT: "lt",
    SigmaCorrelationConditionOperator.LTE: "lte",
    SigmaCorrelationConditionOperator.GT: "gt",
    SigmaCorrelationConditionOperator.GTE: "gte",
    SigmaCorrelationConditionOperator.EQ: "eq",
    SigmaCorrelationConditionOperator.NEQ: "neq",
}
OPERATORS = frozenset(_OPS.values())
#: where :func:`lift_range_condition` keeps a range's bounds (a custom attribute pySigma keeps)
RANGE_KEY = "x-ironwatch-condition"


@dataclass(frozen=True)
class CorrelationSpec:
    """One correlation rule: which rules it counts, over what window, grouped by which fields.

    ``aliases`` maps an alias field to ``{rule reference: event field}`` so rules with
    different field names can be grouped together.
    """

    id: str
    title: str
    level: str
    tags: tuple[str, ...]
    type: CorrelationType
    rules: tuple[str, ...]  # referenced rule ids or names
    timespan_seconds: int
    group_by: tuple[str, ...]
    op: str  # lt, lte, gt, gte, eq
    count: float
    value_field: str | None = None  # value_count: the field whose distinct values are counted
    aliases: dict[str, dict[str, str]] = field(default_factory=dict, hash=False)
    file: str = ""
    line: int | None = None
    name: str | None = None  # the rule's ``name:``, which other correlation rules may reference
    generate: bool = False  # whether the referenced rules also raise alerts of their own
    #: every bound of the condition (``(("gt", 100), ("lte", 200))`` for a range); ``op``/``count``
    #: hold the first
    bounds: tuple[tuple[str, float], ...] = ()

    @property
    def conditions(self) -> tuple[tuple[str, float], ...]:
        """All bounds of the condition, ANDed."""
        return self.bounds or ((self.op, self.count),)

    def describe_condition(self) -> str:
        """``gte 10`` or ``gt 100 and lte 200``, for alert details and documentation."""
        return " and ".join(f"{op} {count:g}" for op, count in self.conditions)


def lift_range_condition(document: Any) -> Any:  # a YAML document, whatever it holds
    """Move all but the first bound of a correlation condition to :data:`RANGE_KEY` (pySigma takes one).

    Other documents are returned unchanged.
    """
    if not isinstance(document, dict):
        return document
    correlation = document.get("correlation")
    if not isinstance(correlation, dict):
        return document
    condition = correlation.get("condition")
    if not isinstance(condition, dict):
        return document
    bounds = [key for key in condition if key in OPERATORS]
    if len(bounds) < 2:
        return document
    kept = {key: value for key, value in condition.items() if key not in bounds[1:]}
    return {
        **document,
        "correlation": {**correlation, "condition": kept},
        RANGE_KEY: {key: condition[key] for key in bounds},
    }


def _range_bounds(raw: object, location: SourceLocation) -> tuple[tuple[str, float], ...]:
    if not isinstance(raw, Mapping):
        return ()
    bounds: list[tuple[str, float]] = []
    for op, value in raw.items():
        if op not in OPERATORS or isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(
                f"condition {op}: {value!r} is not a number bound",
                location=location,
                hint="write bounds as numbers, e.g. 'gt: 100' and 'lte: 200'",
            )
        bounds.append((str(op), float(value)))
    return tuple(bounds)


def correlation_spec(rule: SigmaCorrelationRule, *, file: str) -> CorrelationSpec:
    """Lower a pySigma correlation rule; unsupported types and conditions raise ValidationError."""
    location = SourceLocation(file, rule.source.line if rule.source else None)
    kind = rule.type.name.lower()
    if kind not in SUPPORTED:
        raise ValidationError(
            f"correlation type {kind!r} is not supported",
            location=location,
            hint=f"use one of {', '.join(sorted(SUPPORTED))}",
        )
    condition = rule.condition
    if kind in ("temporal", "temporal_ordered") and condition is None:
        op, count, value_field = "gte", float(len(rule.rules or [])), None
    elif isinstance(condition, SigmaCorrelationCondition):
        op, count = _OPS.get(condition.op, ""), float(condition.count)
        if not op:
            raise ValidationError(f"condition operator {condition.op} is not supported", location=location)
        ref = condition.fieldref
        value_field = ref[0] if isinstance(ref, list) and ref else ref if isinstance(ref, str) else None
        if kind == "value_count" and value_field is None:
            raise ValidationError(
                "value_count needs condition.field",
                location=location,
                hint="add 'field: <name>' under condition",
            )
    else:
        raise ValidationError(
            "extended correlation conditions are not supported",
            location=location,
            hint="use a plain condition such as 'gte: 5'",
        )
    aliases = {
        name: {ref.reference: target for ref, target in alias.mapping.items()}
        for name, alias in rule.aliases.aliases.items()
    }
    bounds = _range_bounds(rule.custom_attributes.get(RANGE_KEY), location)
    return CorrelationSpec(
        id=str(rule.id) if rule.id else (rule.name or rule.title),
        title=rule.title,
        level=rule.level.name.lower() if rule.level else "unknown",
        tags=tuple(str(tag) for tag in rule.tags),
        type=kind,  # type: ignore[arg-type]
        rules=tuple(ref.reference for ref in rule.rules or []),
        timespan_seconds=int(rule.timespan.seconds),
        group_by=tuple(rule.group_by or ()),
        op=op,
        count=count,
        value_field=value_field,
        aliases=aliases,
        file=file,
        line=location.line,
        name=rule.name,
        generate=bool(rule.generate),
        bounds=bounds,
    )
