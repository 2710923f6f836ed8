"""Explain a rule's verdict on one event: each condition node and detection line, matched or not, and why.

Uses the same matcher closures as the engine for every line, so an explanation never
disagrees with what the engine decided.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ironwatch.detect.sigma.event_view import EventView
from ironwatch.detect.sigma.ir import (
    CondAnd,
    Condition,
    CondNot,
    CondQuantifier,
    CondRef,
    DetectionGroup,
    FieldItem,
    RuleIR,
)
from ironwatch.detect.sigma.logsource import route_admits
from ironwatch.detect.sigma.matchers import field_matcher
from ironwatch.detect.sigma.routing import routing_key


@dataclass(frozen=True)
class ExplainNode:
    label: str
    matched: bool
    reason: str
    children: tuple[ExplainNode, ...] = ()

    def render(self, indent: int = 0) -> str:
        """An indented text tree: ``[x]`` matched, ``[ ]`` not."""
        mark = "x" if self.matched else " "
        lines = [f"{'  ' * indent}[{mark}] {self.label}: {self.reason}"]
        lines.extend(child.render(indent + 1) for child in self.children)
        return "\n".join(lines)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _item(item: FieldItem | DetectionGroup, view: EventView) -> ExplainNode:
    if isinstance(item, DetectionGroup):
        children = tuple(_item(child, view) for child in item.items)
        matched = (
            all(c.matched for c in children) if item.linking == "and" else any(c.matched for c in children)
        )
        return ExplainNode(
            f"{item.linking} group",
            matched,
            f"{sum(c.matched for c in children)} of {len(children)} parts matched",
            children,
        )
    matched = field_matcher(item)(view)
    if item.field is None:
        reason = "found in the event's values" if matched else "not found in any value"
    elif item.field not in view.event or view.event[item.field] is None:
        reason = f"field {item.field} is absent"
    else:
        reason = f"{item.field} = {_shown(view.event[item.field])}"
    if item.negated:
        reason += " (negated)"
    return ExplainNode(item.text or str(item.field), matched, reason)


def _condition(node: Condition, details: dict[str, ExplainNode]) -> ExplainNode:
    if isinstance(node, CondRef):
        return details[node.name]
    if isinstance(node, CondQuantifier):
        children = tuple(details[name] for name in node.names)
        hits = sum(child.matched for child in children)
        matched = hits == len(children) if node.quantifier == "all" else hits > 0
        word = "all" if node.quantifier == "all" else "1"
        return ExplainNode(
            f"{word} of {node.pattern}", matched, f"{hits} of {len(children)} matched", children
        )
    if isinstance(node, CondNot):
        inner = _condition(node.arg, details)
        return ExplainNode("not", not inner.matched, "inverts its operand", (inner,))
    children = tuple(_condition(arg, details) for arg in node.args)
    if isinstance(node, CondAnd):
        return ExplainNode("and", all(c.matched for c in children), "every operand must match", children)
    return ExplainNode("or", any(c.matched for c in children), "one operand must match", children)


def explain_rule(rule: RuleIR, event: Mapping[str, object]) -> ExplainNode:
    """The verdict of ``rule`` on ``event`` with the reason at every node."""
    view = EventView(event)
    dataset, channel, event_id = routing_key(event)
    admitted = route_admits(rule.route, dataset, channel, event_id)
    product, category, service = rule.logsource
    shown = "/".join(part or "*" for part in (product, category, service))
    logsource = ExplainNode(
        f"logsource {shown}",
        admitted,
        f"event has dataset={dataset!r} channel={channel!r} EventID={event_id!r}",
    )
    details = {
        name: ExplainNode(name, (node := _item(group, view)).matched, node.reason, node.children)
        for name, group in rule.detections.items()
    }
    conditions = tuple(_condition(condition, details) for condition in rule.conditions)
    detection_matched = any(node.matched for node in conditions)
    matched = admitted and detection_matched
    return ExplainNode(
        f"rule {rule.title} ({rule.id})",
        matched,
        "matched" if matched else "log source not admitted" if not admitted else "condition false",
        (logsource, *conditions),
    )
