"""Narrow a rule's route by the EventID values its detection requires.

``service: security`` rules select ``EventID: 4624`` in their detection; lifting that into the
route means such a rule is only considered for 4624 events instead of every Security event.
"""

from __future__ import annotations

from dataclasses import replace

from ironwatch.detect.sigma.ir import (
    CondAnd,
    Condition,
    CondNot,
    CondQuantifier,
    CondRef,
    DetectionGroup,
    FieldItem,
    NumberTest,
    Route,
    RuleIR,
    StringTest,
)

EVENT_ID_FIELD = "EventID"
Ids = frozenset[int] | None  # None: no constraint known


def _and(parts: list[Ids]) -> Ids:
    known = [part for part in parts if part is not None]
    if not known:
        return None
    result = known[0]
    for part in known[1:]:
        result &= part
    return result


def _or(parts: list[Ids]) -> Ids:
    if any(part is None for part in parts):
        return None
    return frozenset().union(*(part for part in parts if part is not None))


def _test_id(test: object) -> int | None:
    if isinstance(test, NumberTest) and isinstance(test.value, int):
        return test.value
    if isinstance(test, StringTest) and test.op == "eq" and test.value.isdigit():
        return int(test.value)
    return None


def _item_ids(item: FieldItem | DetectionGroup) -> Ids:
    if isinstance(item, DetectionGroup):
        parts = [_item_ids(child) for child in item.items]
        return _and(parts) if item.linking == "and" else _or(parts)
    if item.field != EVENT_ID_FIELD or item.negated or not item.tests:
        return None
    ids = [_test_id(test) for test in item.tests]
    if any(value is None for value in ids):
        return None
    values = [frozenset({value}) for value in ids if value is not None]
    return _and(list(values)) if item.all else _or(list(values))


def _condition_ids(node: Condition, detections: dict[str, Ids]) -> Ids:
    if isinstance(node, CondRef):
        return detections[node.name]
    if isinstance(node, CondQuantifier):
        parts = [detections[name] for name in node.names]
        return _and(parts) if node.quantifier == "all" else _or(parts)
    if isinstance(node, CondNot):
        return None
    parts = [_condition_ids(arg, detections) for arg in node.args]
    return _and(parts) if isinstance(node, CondAnd) else _or(parts)


def required_event_ids(rule: RuleIR) -> Ids:
    """EventIDs the rule can match at all, or None when its detection does not pin them."""
    detections = {name: _item_ids(group) for name, group in rule.detections.items()}
    return _or([_condition_ids(condition, detections) for condition in rule.conditions])


def narrow_route(rule: RuleIR) -> RuleIR:
    """The rule with its route narrowed to the EventIDs its detection requires (windows only)."""
    ids = required_event_ids(rule)
    if ids is None or rule.route.product != "windows":
        return rule
    current = rule.route.event_ids
    narrowed = ids if current is None else current & ids
    notes = rule.notes
    if not narrowed:
        notes = (*notes, "EventID in the detection contradicts the log source mapping; the rule cannot match")
    route: Route = replace(rule.route, event_ids=narrowed)
    return replace(rule, route=route, notes=notes)
