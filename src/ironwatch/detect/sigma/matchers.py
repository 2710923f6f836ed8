"""Build immutable matcher closures from compiled rules.

Each field line becomes one closure over an :class:`EventView`. Plain strings use the
cheapest Python string operation (set membership, ``startswith`` with a tuple, ``endswith``,
``in``); inner wildcards use one RE2 alternation per line.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from ironwatch.detect.sigma.event_view import EventView, text_of
from ironwatch.detect.sigma.ir import (
    BoolTest,
    CidrTest,
    CompareTest,
    CondAnd,
    Condition,
    CondNot,
    CondQuantifier,
    CondRef,
    DetectionGroup,
    ExistsTest,
    FieldItem,
    FieldRefTest,
    NullTest,
    NumberTest,
    RegexTest,
    StringTest,
    TimePartTest,
    ValueTest,
)
from ironwatch.detect.sigma.regex import compile_re2, escape_literal, re2_predicate

Matcher = Callable[[EventView], bool]
MAX_NEEDLE_LOOP = 4  # up to this many substrings: `in` tests; more: one RE2 alternation
TextCheck = Callable[[str], bool]
ScalarCheck = Callable[[object], bool]


def all_of(matchers: Sequence[Matcher]) -> Matcher:
    """A matcher true when every one of ``matchers`` is (short-circuit, in order)."""
    if len(matchers) == 1:
        return matchers[0]
    if len(matchers) == 2:
        first, second = matchers
        return lambda view: first(view) and second(view)
    items = tuple(matchers)

    def every(view: EventView) -> bool:
        for matcher in items:  # noqa: SIM110 - a loop is cheaper than any()/all() over a generator
            if not matcher(view):
                return False
        return True

    return every


def any_of(matchers: Sequence[Matcher]) -> Matcher:
    """A matcher true when at least one of ``matchers`` is."""
    if len(matchers) == 1:
        return matchers[0]
    if len(matchers) == 2:
        first, second = matchers
        return lambda view: first(view) or second(view)
    items = tuple(matchers)

    def some(view: EventView) -> bool:
        for matcher in items:  # noqa: SIM110 - a loop is cheaper than any()/all() over a generator
            if matcher(view):
                return True
        return False

    return some


def text_check(tests: Sequence[StringTest], *, anchored: bool = True) -> TextCheck:
    """One check for OR-linked case-folded string tests, grouped by operation."""
    equal = frozenset(t.value for t in tests if t.op == "eq")
    prefixes = tuple(t.value for t in tests if t.op == "prefix")
    suffixes = tuple(t.value for t in tests if t.op == "suffix")
    contained = tuple(t.value for t in tests if t.op == "contains")
    globs = [t.value for t in tests if t.op == "glob"]
    if any(t.op == "any" for t in tests):
        return lambda text: True
    checks: list[TextCheck] = []
    if equal:
        checks.append(equal.__contains__)
    if prefixes:
        checks.append(lambda text: text.startswith(prefixes))
    if suffixes:
        checks.append(lambda text: text.endswith(suffixes))
    if len(contained) == 1:
        needle = contained[0]
        checks.append(lambda text: needle in text)
    elif len(contained) == 2:
        first, second = contained
        checks.append(lambda text: first in text or second in text)
    elif 2 < len(contained) <= MAX_NEEDLE_LOOP:
        checks.append(lambda text: any(map(text.__contains__, contained)))
    elif contained:
        # One RE2 pass (a DFA over all needles) beats a Python loop of many `in` tests.
        needles = compile_re2("|".join(escape_literal(needle) for needle in contained), "s")
        checks.append(re2_predicate(needles))
    if globs:
        regex = compile_re2("|".join(f"(?:{glob})" for glob in globs), "s")
        checks.append(re2_predicate(regex, anchored=anchored))
    if len(checks) == 1:
        return checks[0]
    group = tuple(checks)
    return lambda text: any(check(text) for check in group)


def _number(raw: object) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return raw
    try:
        return float(str(raw).strip())
    except ValueError:
        return None


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "neq": lambda a, b: a != b,
}


def _timestamp(raw: object) -> datetime | None:
    if isinstance(raw, datetime):
        return raw
    try:
        parsed = datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_PARTS: dict[str, Callable[[datetime], int]] = {
    "minute": lambda t: t.minute,
    "hour": lambda t: t.hour,
    "day": lambda t: t.day,
    "week": lambda t: t.isocalendar().week,
    "month": lambda t: t.month,
    "year": lambda t: t.year,
}


@functools.lru_cache(maxsize=4096)  # the same addresses come back event after event
def _address(text: str) -> tuple[int, int] | None:
    """``(version, integer)`` of the IP address written in ``text``, None if it is not one."""
    try:
        parsed = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return parsed.version, int(parsed)


def in_networks(networks: Sequence[str]) -> ScalarCheck:
    """True for a value that is an IP address inside any of ``networks`` (one parse per value)."""
    ranges: dict[int, tuple[tuple[int, int], ...]] = {4: (), 6: ()}
    for network in map(ipaddress.ip_network, networks):
        bounds = (int(network.network_address), int(network.broadcast_address))
        ranges[network.version] += (bounds,)

    def check(raw: object) -> bool:
        address = _address(raw if type(raw) is str else str(raw))
        if address is None:
            return False
        version, value = address
        return any(low <= value <= high for low, high in ranges[version])

    return check


def any_number(values: Sequence[int | float]) -> ScalarCheck:
    """True for a value equal to any of ``values``: numbers by value, text by its spelling."""
    numbers, spelled = frozenset(values), frozenset(map(str, values))

    def check(raw: object) -> bool:
        if isinstance(raw, int | float):
            return not isinstance(raw, bool) and raw in numbers
        return text_of(raw).strip() in spelled

    return check


def scalar_check(test: ValueTest) -> ScalarCheck:
    """A check on one non-null raw value (not lowercased) for tests outside the string fast path."""
    if isinstance(test, StringTest):
        check_text = text_check([test])
        return lambda raw: check_text(text_of(raw))
    if isinstance(test, RegexTest):
        found = re2_predicate(compile_re2(test.pattern, test.flags))
        return lambda raw: found(raw if type(raw) is str else text_of(raw))
    if isinstance(test, NumberTest):
        number, spelled = test.value, str(test.value)
        return lambda raw: (
            (raw == number and not isinstance(raw, bool))
            if isinstance(raw, int | float)
            else text_of(raw).strip() == spelled
        )
    if isinstance(test, CompareTest):
        op, bound = _COMPARE[test.op], test.value

        def compare(raw: object) -> bool:
            value = _number(raw)
            return value is not None and op(value, bound)

        return compare
    if isinstance(test, BoolTest):
        spelled = "true" if test.value else "false"
        return lambda raw: text_of(raw).lower() == spelled
    if isinstance(test, CidrTest):
        return in_networks([test.network])
    if isinstance(test, TimePartTest):
        part, wanted = _PARTS[test.unit], test.value

        def time_part(raw: object) -> bool:
            moment = _timestamp(raw)
            return moment is not None and part(moment) == wanted

        return time_part
    raise TypeError(f"{type(test).__name__} is not a per-value test")


def field_test(field: str, test: ValueTest) -> Matcher:
    """A matcher for one value test on one field (presence tests and references included)."""
    if isinstance(test, NullTest):
        return lambda view: view.event.get(field) is None
    if isinstance(test, ExistsTest):
        present = test.present
        return lambda view: (view.event.get(field) is not None) is present
    if isinstance(test, FieldRefTest):
        other, op = test.other, test.op

        def reference(view: EventView) -> bool:
            mine, theirs = view.low(field), view.low(other)
            if not isinstance(mine, str) or not isinstance(theirs, str):
                return False
            return (
                mine == theirs
                if op == "eq"
                else mine.startswith(theirs)
                if op == "prefix"
                else mine.endswith(theirs)
            )

        return reference
    return scalar_field(field, scalar_check(test))


def scalar_field(field: str, check: ScalarCheck) -> Matcher:
    """A matcher applying ``check`` to the field's raw value (to each item of a list value)."""

    def scalar(view: EventView) -> bool:
        raw = view.event.get(field)
        if raw is None:
            return False
        if isinstance(raw, list | tuple):
            return any(check(item) for item in raw if item is not None)
        return check(raw)

    return scalar


def value_matchers(field: str, tests: Sequence[ValueTest], *, every: bool) -> list[Matcher]:
    """Matchers for a line's tests outside the plain-string path, in a stable order.

    OR-linked tests of one kind share one check: CIDR ranges one address parse, numbers one set
    lookup, regexes with the same flags one RE2 alternation (a rule listing 30 ports or 10
    networks made 30 or 10 calls, each parsing the value again).
    """
    if every:
        return [field_test(field, test) for test in tests]
    networks = [test.network for test in tests if isinstance(test, CidrTest)]
    numbers = [test.value for test in tests if isinstance(test, NumberTest)]
    patterns: dict[str, list[str]] = {}
    for test in tests:
        if isinstance(test, RegexTest):
            patterns.setdefault(test.flags, []).append(test.pattern)
    parts = [
        field_test(field, test) for test in tests if not isinstance(test, CidrTest | NumberTest | RegexTest)
    ]
    for flags, found in patterns.items():
        pattern = found[0] if len(found) == 1 else "|".join(f"(?:{one})" for one in found)
        parts.append(field_test(field, RegexTest(pattern, flags)))
    if networks:
        parts.append(scalar_field(field, in_networks(networks)))
    if numbers:
        parts.append(scalar_field(field, any_number(numbers)))
    return parts


def merge_alternatives(items: Sequence[FieldItem | DetectionGroup]) -> list[FieldItem | DetectionGroup]:
    """OR-linked lines on the same field (a list of one-line maps) as one line with all their tests.

    ``- CommandLine|re: a`` / ``- CommandLine|re: b`` is one line ``CommandLine|re: [a, b]``: the
    same verdict, one field lookup and one regex pass instead of two. Negated, ``|all`` and
    keyword lines are kept as they are.
    """
    merged: list[FieldItem | DetectionGroup] = []
    lines: dict[str, tuple[int, FieldItem]] = {}  # field -> (position in merged, merged line)
    for item in items:
        if not isinstance(item, FieldItem) or item.field is None or item.negated or item.all:
            merged.append(item)
            continue
        field = item.field
        found = lines.get(field)
        if found is not None:
            position, first = found
            item = FieldItem(field, first.tests + item.tests, text=f"{first.text}; {item.text}")
            merged[position] = item
        else:
            position = len(merged)
            merged.append(item)
        lines[field] = (position, item)
    return merged


def _string_field(field: str, tests: Sequence[StringTest]) -> Matcher:
    check = text_check(tests)

    def match(view: EventView) -> bool:
        text = view.low(field)
        if text is None:
            return False
        if type(text) is str:
            return check(text)
        return any(check(item) for item in text)

    return match


def keyword_test(test: ValueTest) -> Matcher:
    """Field-less search: the value appears anywhere in any source value of the event."""
    if isinstance(test, StringTest) and not test.cased:
        if test.op == "glob":
            unanchored = StringTest("glob", test.value)
            check = text_check([unanchored], anchored=False)
        else:
            check = text_check([StringTest("contains", test.value)])
        return lambda view: any(check(text) for text in view.keyword_texts())
    if isinstance(test, NumberTest):
        spelled = str(test.value)
        return lambda view: any(spelled in text for text in view.keyword_texts())
    if isinstance(test, StringTest | RegexTest):
        pattern = test.pattern if isinstance(test, RegexTest) else test.value
        if isinstance(test, StringTest) and test.op != "glob":
            pattern = escape_literal(test.value)
        found = re2_predicate(compile_re2(pattern, test.flags if isinstance(test, RegexTest) else "s"))
        return lambda view: any(map(found, view.keyword_raw_texts()))
    raise TypeError(f"{type(test).__name__} cannot be used as a keyword")


def field_matcher(item: FieldItem) -> Matcher:
    """The matcher for one detection line, negation (``|neq``) included."""
    if item.field is None:
        parts = [keyword_test(test) for test in item.tests]
    else:
        field = item.field
        plain = [t for t in item.tests if isinstance(t, StringTest) and not t.cased]
        others = [t for t in item.tests if not (isinstance(t, StringTest) and not t.cased)]
        if item.all:
            parts = [_string_field(field, [t]) for t in plain]
        else:
            parts = [_string_field(field, plain)] if plain else []
        parts += value_matchers(field, others, every=item.all)
    matcher = all_of(parts) if item.all else any_of(parts)
    if item.negated:
        inner = matcher
        return lambda view: not inner(view)
    return matcher


def group_matcher(group: DetectionGroup) -> Matcher:
    """The matcher for a detection (a map is AND, a list is OR)."""
    items = merge_alternatives(group.items) if group.linking == "or" else group.items
    parts = [field_matcher(item) if isinstance(item, FieldItem) else group_matcher(item) for item in items]
    return all_of(parts) if group.linking == "and" else any_of(parts)


def condition_matcher(node: Condition, detections: dict[str, Matcher]) -> Matcher:
    """The matcher for a condition tree over already-built detection matchers."""
    if isinstance(node, CondRef):
        return detections[node.name]
    if isinstance(node, CondQuantifier):
        parts = [detections[name] for name in node.names]
        return all_of(parts) if node.quantifier == "all" else any_of(parts)
    if isinstance(node, CondNot):
        inner = condition_matcher(node.arg, detections)
        return lambda view: not inner(view)
    parts = [condition_matcher(arg, detections) for arg in node.args]
    return all_of(parts) if isinstance(node, CondAnd) else any_of(parts)


def rule_matcher(detections: dict[str, DetectionGroup], conditions: Sequence[Condition]) -> Matcher:
    """The whole rule: several conditions are OR-linked, as in the Sigma spec."""
    built = {name: group_matcher(group) for name, group in detections.items()}
    return any_of([condition_matcher(condition, built) for condition in conditions])
