"""Compile a parsed pySigma rule into ironwatch's rule representation (:class:`RuleIR`).

Detections are lowered one by one (keeping their names, for explanations); the condition
is parsed by pySigma and its selectors (``1 of selection_*``, ``all of them``) resolved to
the detection names they cover here, so the condition tree stays small and explainable.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import Literal

from sigma.conditions import (
    ConditionAND,
    ConditionIdentifier,
    ConditionItem,
    ConditionNOT,
    ConditionOR,
    ConditionSelector,
)
from sigma.exceptions import SigmaError
from sigma.modifiers import reverse_modifier_mapping
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import SigmaNull

from ironwatch.core.errors import SourceLocation, ValidationError
from ironwatch.detect.sigma.event_ids import narrow_route
from ironwatch.detect.sigma.ir import (
    CondAnd,
    Condition,
    CondNot,
    CondOr,
    CondQuantifier,
    CondRef,
    DetectionGroup,
    FieldItem,
    NullTest,
    RuleIR,
)
from ironwatch.detect.sigma.logsource import LogsourceMap
from ironwatch.detect.sigma.values import value_tests


def _item_text(item: SigmaDetectionItem) -> str:
    modifiers = "".join("|" + reverse_modifier_mapping.get(m.__name__, m.__name__) for m in item.modifiers)
    originals = item.original_value if item.original_value is not None else item.value
    # SigmaNull has no str() of its own: its default repr holds a memory address, which made the
    # text (and the compiled form) differ from one compile to the next.
    shown = ", ".join(
        "null" if isinstance(value, SigmaNull) else str(getattr(value, "original", value))
        for value in originals
    )
    return f"{item.field or 'keywords'}{modifiers}: {shown}" if item.field else f"keyword: {shown}"


def _lower_item(
    item: SigmaDetectionItem, placeholders: Mapping[str, Sequence[str]]
) -> FieldItem | DetectionGroup:
    text = _item_text(item)
    every = item.value_linking is ConditionAND
    if not item.value:  # `field:` with no value means null
        return FieldItem(item.field, (NullTest(),), negated=item.negated, text=text)
    alternatives = [value_tests(value, placeholders) for value in item.value]
    if every and any(len(alts) > 1 for alts in alternatives):
        # |all over expanding values: AND across values, OR within each value's expansion.
        parts = tuple(FieldItem(item.field, alts, text=text) for alts in alternatives)
        group = DetectionGroup("and", parts)
        return _negate(group, text) if item.negated else group
    tests = tuple(test for alts in alternatives for test in alts)
    return FieldItem(item.field, tests, all=every, negated=item.negated, text=text)


def _negate(group: DetectionGroup, text: str) -> DetectionGroup:
    # De Morgan: not(a and b) == (not a) or (not b); each part is a single FieldItem here.
    return DetectionGroup(
        "or",
        tuple(
            FieldItem(part.field, part.tests, negated=True, text=text)
            for part in group.items
            if isinstance(part, FieldItem)
        ),
    )


def _lower_detection(detection: SigmaDetection, placeholders: Mapping[str, Sequence[str]]) -> DetectionGroup:
    items: list[FieldItem | DetectionGroup] = []
    for item in detection.detection_items:
        if isinstance(item, SigmaDetection):
            items.append(_lower_detection(item, placeholders))
        else:
            items.append(_lower_item(item, placeholders))
    linking: Literal["and", "or"] = "and" if detection.item_linking is ConditionAND else "or"
    return DetectionGroup(linking, tuple(items))


def _resolve(pattern: str, names: Sequence[str]) -> tuple[str, ...]:
    if pattern == "them":
        return tuple(name for name in names if not name.startswith("_"))
    return tuple(
        name
        for name in names
        if fnmatch.fnmatchcase(name, pattern) and (pattern.startswith("_") or not name.startswith("_"))
    )


def _lower_condition(node: object, names: Sequence[str]) -> Condition:
    if isinstance(node, ConditionIdentifier):
        if node.identifier not in names:
            raise ValidationError(
                f"condition names '{node.identifier}', which is not a defined detection",
                hint=f"define it or use one of: {', '.join(names)}",
            )
        return CondRef(node.identifier)
    if isinstance(node, ConditionSelector):
        resolved = _resolve(node.pattern, names)
        if not resolved:
            raise ValidationError(
                f"'{node.args[0]} of {node.pattern}' matches no detection",
                hint=f"detections are: {', '.join(names)}",
            )
        return CondQuantifier("all" if node.cond_class is ConditionAND else "any", node.pattern, resolved)
    if isinstance(node, ConditionNOT):
        return CondNot(_lower_condition(node.args[0], names))
    if isinstance(node, ConditionAND | ConditionOR):
        args = tuple(_lower_condition(arg, names) for arg in node.args)
        return CondAnd(args) if isinstance(node, ConditionAND) else CondOr(args)
    raise ValidationError(f"unexpected condition element {type(node).__name__}")


def compile_rule(
    rule: SigmaRule,
    *,
    file: str,
    placeholders: Mapping[str, Sequence[str]] | None = None,
    logsources: LogsourceMap | None = None,
) -> RuleIR:
    """Lower one pySigma rule; raises :class:`ValidationError` (with the rule's location) if it cannot."""
    line = rule.source.line if rule.source is not None else None
    location = SourceLocation(file, line)
    try:
        detections = {
            name: _lower_detection(detection, placeholders or {})
            for name, detection in rule.detection.detections.items()
        }
        names = list(detections)
        conditions = []
        for condition in rule.detection.parsed_condition:
            parsed = condition.parse(postprocess=False)
            if not isinstance(parsed, ConditionItem):
                raise ValidationError("condition is empty", hint="write a condition such as 'selection'")
            conditions.append(_lower_condition(parsed, names))
    except ValidationError as exc:
        raise ValidationError(exc.message, hint=exc.hint, location=location) from exc
    except SigmaError as exc:
        raise ValidationError(str(exc), location=location) from exc
    ls = rule.logsource
    route, note = (logsources or LogsourceMap()).resolve(ls.product, ls.category, ls.service)
    return narrow_route(
        RuleIR(
            id=str(rule.id) if rule.id else rule.title,
            title=rule.title,
            level=rule.level.name.lower() if rule.level else "unknown",
            status=rule.status.name.lower() if rule.status else "unknown",
            tags=tuple(str(tag) for tag in rule.tags),
            logsource=(ls.product, ls.category, ls.service),
            route=route,
            detections=detections,
            conditions=tuple(conditions),
            file=file,
            line=line,
            notes=(note,) if note else (),
            name=rule.name,
        )
    )
