"""Required literals: text that must appear in an event for a rule to be able to match.

For each rule we compute a set of lowercase literals such that every way the rule can match
puts at least one of them somewhere in the event's text (one literal per OR branch). An event
containing none of them cannot match, so the engine skips the rule. Rules for which no such
set exists (a branch is negated, numeric, a regex, or its text is too short) get ``None``:
they are always evaluated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping

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


def _best(parts: Iterable[Literals], shared: Mapping[str, int]) -> Literals:
    """Of several required sets (AND), keep the one most likely to rule events out.

    A literal many rules require (``cmd.exe``) is likely common in events too, and a short
    one hits often by chance, so sets of long literals shared by few rules win.
    """
    candidates = [part for part in parts if part is not None]
    if not candidates:
        return None
    return min(candidates, key=lambda part: sum(_hit_cost(text, shared) for text in part))


def _hit_cost(text: str, shared: Mapping[str, int]) -> int:
    """Rough odds that ``text`` occurs in an event: common across rules, or short, means likely."""
    return shared.get(text, 1) << max(0, 8 - len(text))


def item_literals(item: FieldItem | DetectionGroup, shared: Mapping[str, int] | None = None) -> Literals:
    """Required literals of one detection line or group."""
    if isinstance(item, DetectionGroup):
        parts = [item_literals(child, shared) for child in item.items]
        return _best(parts, shared or {}) if item.linking == "and" else _union(parts)
    if item.negated or not item.tests:
        return None
    singles = [_test_literal(test) for test in item.tests]
    parts = [frozenset({text}) if text is not None else None for text in singles]
    return _best(parts, shared or {}) if item.all else _union(parts)


def _condition_literals(
    node: Condition, detections: dict[str, Literals], shared: Mapping[str, int]
) -> Literals:
    if isinstance(node, CondRef):
        return detections[node.name]
    if isinstance(node, CondQuantifier):
        parts = [detections[name] for name in node.names]
        return _best(parts, shared) if node.quantifier == "all" else _union(parts)
    if isinstance(node, CondNot):
        return None
    parts = [_condition_literals(arg, detections, shared) for arg in node.args]
    return _best(parts, shared) if isinstance(node, CondAnd) else _union(parts)


def _item_texts(item: FieldItem | DetectionGroup) -> Iterator[str]:
    if isinstance(item, DetectionGroup):
        for child in item.items:
            yield from _item_texts(child)
    elif not item.negated:
        yield from (text for text in map(_test_literal, item.tests) if text is not None)


def literal_sharing(rules: Iterable[RuleIR]) -> dict[str, int]:
    """How many rules mention each candidate literal: the engine's proxy for how common it is."""
    counts: Counter[str] = Counter()
    for rule in rules:
        counts.update({text for group in rule.detections.values() for text in _item_texts(group)})
    return dict(counts)


def rule_literals(rule: RuleIR, shared: Mapping[str, int] | None = None) -> Literals:
    """The required literals of a whole rule, or None when it must always be evaluated.

    ``shared`` (from :func:`literal_sharing`) steers the choice between AND-ed alternatives.
    """
    weights = dict(shared or {})
    # A literal inside the rule's own channel name is in every event it sees: never worth choosing.
    constant = "\n".join(channel.lower() for channel in rule.route.channels or ())
    if constant:
        weights.update(
            {
                text: 1 << 20
                for group in rule.detections.values()
                for text in _item_texts(group)
                if text in constant
            }
        )
    detections = {name: item_literals(group, weights) for name, group in rule.detections.items()}
    return _union(_condition_literals(condition, detections, weights) for condition in rule.conditions)
