"""Required literals: text that must appear in an event for a rule to be able to match.

For each rule we compute a set of lowercase literals such that every way the rule can match
puts at least one of them somewhere in the event's text (one literal per OR branch). An event
containing none of them cannot match, so the engine skips the rule. Rules for which no such
set exists (a branch is negated, numeric, a regex, or its text is too short) get ``None``:
they are always evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable

from ironwatch.detect.sigma.ir import (
    BoolTest,
    CondAnd,
    Condition,
    CondNot,
    CondQuantifier,
    CondRef,
    DetectionGroup,
    FieldItem,
    NumberTest,
    RegexTest,
    RuleIR,
    StringTest,
    ValueTest,
)

MIN_LITERAL_BYTES = 2
_META = frozenset("^$.|?*+()[]{}\\")
Literals = frozenset[str] | None


def glob_fragments(regex: str) -> list[str]:
    """Literal runs of a glob regex built by :func:`ironwatch.detect.sigma.values.string_test`."""
    fragments, current, index = [], [], 0
    while index < len(regex):
        char = regex[index]
        if char == "\\" and index + 1 < len(regex):
            current.append(regex[index + 1])
            index += 2
            continue
        if char == ".":
            fragments.append("".join(current))
            current = []
            index += 2 if regex[index + 1 : index + 2] == "*" else 1
            continue
        current.append(char)
        index += 1
    fragments.append("".join(current))
    return [fragment for fragment in fragments if fragment]


def regex_fragments(regex: str) -> list[str]:
    """Literal runs every match of ``regex`` must contain (top level only; none if it alternates).

    Conservative: a character followed by a quantifier, anything inside a group or class,
    and escapes other than escaped punctuation end the current run.
    """
    fragments: list[str] = []
    current: list[str] = []
    depth, index = 0, 0

    def cut() -> None:
        nonlocal current
        fragments.append("".join(current))
        current = []

    while index < len(regex):
        char = regex[index]
        if char == "\\" and index + 1 < len(regex):
            escaped = regex[index + 1]
            token, index = (escaped if not escaped.isalnum() else None), index + 2
        elif char == "[":
            end = regex.find("]", index + 2)
            token, index = None, (len(regex) if end < 0 else end + 1)
        elif char in "()":
            depth += 1 if char == "(" else -1
            token, index = None, index + 1
        elif char == "|":
            if depth == 0:
                return []
            token, index = None, index + 1
        elif char in _META:
            token, index = None, index + 1
        else:
            token, index = char, index + 1
        quantified = index < len(regex) and regex[index] in "?*{"
        if token is None or depth > 0 or quantified:
            cut()
            if quantified and regex[index] in "?*":
                index += 1
            elif quantified:
                end = regex.find("}", index)
                index = len(regex) if end < 0 else end + 1
            if index < len(regex) and regex[index] == "?":  # lazy quantifier suffix
                index += 1
        else:
            current.append(token)
            if index < len(regex) and regex[index] == "+":
                cut()
    cut()
    return [fragment for fragment in fragments if fragment]


def _test_literal(test: ValueTest) -> str | None:
    text: str | None = None
    if isinstance(test, StringTest):
        if test.op == "glob":
            text = max(glob_fragments(test.value), key=len, default=None)
        elif test.op != "any":
            text = test.value
    elif isinstance(test, RegexTest) and "m" not in test.flags:
        text = max(regex_fragments(test.pattern), key=len, default=None)
    elif isinstance(test, NumberTest) and isinstance(test.value, int):
        text = str(test.value)
    elif isinstance(test, BoolTest):
        text = "true" if test.value else "false"
    if text is None:
        return None
    text = text.lower()
    return text if len(text.encode()) >= MIN_LITERAL_BYTES else None


def _union(parts: Iterable[Literals]) -> Literals:
    merged: set[str] = set()
    for part in parts:
        if part is None:
            return None
        merged |= part
    return frozenset(merged)


def _best(parts: Iterable[Literals]) -> Literals:
    """Of several required sets (AND), keep the one most likely to rule events out."""
    candidates = [part for part in parts if part is not None]
    if not candidates:
        return None
    return max(candidates, key=lambda part: (min(8, min(map(len, part), default=0)), -len(part)))


def item_literals(item: FieldItem | DetectionGroup) -> Literals:
    """Required literals of one detection line or group."""
    if isinstance(item, DetectionGroup):
        parts = [item_literals(child) for child in item.items]
        return _best(parts) if item.linking == "and" else _union(parts)
    if item.negated or not item.tests:
        return None
    singles = [_test_literal(test) for test in item.tests]
    parts = [frozenset({text}) if text is not None else None for text in singles]
    return _best(parts) if item.all else _union(parts)


def _condition_literals(node: Condition, detections: dict[str, Literals]) -> Literals:
    if isinstance(node, CondRef):
        return detections[node.name]
    if isinstance(node, CondQuantifier):
        parts = [detections[name] for name in node.names]
        return _best(parts) if node.quantifier == "all" else _union(parts)
    if isinstance(node, CondNot):
        return None
    parts = [_condition_literals(arg, detections) for arg in node.args]
    return _best(parts) if isinstance(node, CondAnd) else _union(parts)


def rule_literals(rule: RuleIR) -> Literals:
    """The required literals of a whole rule, or None when it must always be evaluated."""
    detections = {name: item_literals(group) for name, group in rule.detections.items()}
    return _union(_condition_literals(condition, detections) for condition in rule.conditions)
