"""Sigma correlation rules as plain data (event_count, value_count, temporal, temporal_ordered)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

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
}


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
    )
