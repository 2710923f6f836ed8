"""Compile a whole rule into one generated Python function.

The closure tree of :mod:`ironwatch.detect.sigma.matchers` costs one Python call per detection
line, AND and OR, and each call touches its own function, cell and constant objects. With the
EVTX parser running between two events those objects are out of the CPU caches again, so a
candidate rule cost several microseconds mostly in memory stalls. Here the detections and
conditions of a rule become one boolean expression in one code object: strings, tuples and sets
of the rule are constants of that code object, AND/OR/NOT are Python's own short-circuit
operators, and only tests without a plain string form (regexes, numbers, CIDR, keywords,
references) call the matcher closures, passed in a tuple.

No text of the rule becomes code: field names and values enter the source only through
``repr()`` of a ``str`` (always a plain string literal), everything else through the helper
tuple. If the source cannot be compiled (a rule too large or too deeply nested for the Python
compiler), the closure matcher is used instead: the generated function is an optimisation,
never a different meaning.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import cast

from ironwatch.detect.sigma.ir import (
    CondAnd,
    Condition,
    CondNot,
    CondQuantifier,
    CondRef,
    DetectionGroup,
    FieldItem,
    StringTest,
)
from ironwatch.detect.sigma.matchers import (
    MAX_NEEDLE_LOOP,
    Matcher,
    TextCheck,
    keyword_test,
    merge_alternatives,
    rule_matcher,
    text_check,
    value_matchers,
)
from ironwatch.detect.sigma.regex import compile_re2, escape_literal, re2_predicate

MAX_SOURCE_CHARS = 1 << 20  # a rule whose function would be larger keeps its closures
MAX_INLINE_VALUES = 8  # larger tuples and sets are passed in the helper tuple (less to compile)


class _Source:
    """Collects the helper objects and fresh local names of one generated function."""

    def __init__(self) -> None:
        self.helpers: list[object] = []
        self._names = 0

    def helper(self, value: object) -> str:
        self.helpers.append(value)
        return f"H[{len(self.helpers) - 1}]"

    def name(self) -> str:
        self._names += 1
        return f"t{self._names}"

    def regex(self, pattern: str, *, anchored: bool = False) -> str:
        """A helper testing ``pattern`` (RE2, flag ``s``) on a text."""
        return self.helper(re2_predicate(compile_re2(pattern, "s"), anchored=anchored))

    def constant(self, values: tuple[str, ...] | frozenset[str]) -> str:
        """A tuple or set of strings: a literal when small, else a helper (faster to compile)."""
        if len(values) > MAX_INLINE_VALUES:
            return self.helper(values)
        if isinstance(values, frozenset):
            return "{" + ", ".join(map(repr, sorted(values))) + "}"
        return repr(values)


class _ListCheck:
    """The tests on a value that is not one text (a list, or null): any item passes.

    The check is built on first use: list values are rare, and building it may compile RE2.
    """

    __slots__ = ("_check", "_tests")

    def __init__(self, tests: Sequence[StringTest]) -> None:
        self._tests = tuple(tests)
        self._check: TextCheck | None = None

    def __call__(self, items: tuple[str, ...] | None) -> bool:
        if items is None:
            return False
        if self._check is None:
            self._check = text_check(self._tests)
        return any(map(self._check, items))


def _text_expr(tests: Sequence[StringTest], var: str, source: _Source) -> str:
    """An expression true when the lowercased text in ``var`` passes any of ``tests``."""
    if any(test.op == "any" for test in tests):
        return "True"
    parts: list[str] = []
    equal = frozenset(test.value for test in tests if test.op == "eq")
    if len(equal) == 1:
        parts.append(f"{var} == {next(iter(equal))!r}")
    elif equal:
        parts.append(f"{var} in {source.constant(equal)}")
    for op, method in (("prefix", "startswith"), ("suffix", "endswith")):
        values = tuple(dict.fromkeys(test.value for test in tests if test.op == op))
        if values:
            parts.append(f"{var}.{method}({source.constant(values)})")
    contained = tuple(dict.fromkeys(test.value for test in tests if test.op == "contains"))
    if len(contained) <= MAX_NEEDLE_LOOP:
        parts.extend(f"{needle!r} in {var}" for needle in contained)
    else:
        parts.append(f"{source.regex('|'.join(escape_literal(needle) for needle in contained))}({var})")
    globs = [test.value for test in tests if test.op == "glob"]
    if globs:
        parts.append(f"{source.regex('|'.join(f'(?:{glob})' for glob in globs), anchored=True)}({var})")
    return " or ".join(parts) if parts else "False"


def _string_line(field: str, tests: Sequence[StringTest], source: _Source) -> str:
    """Plain (caseless) string tests on one field: inline for text, the closure for list values."""
    var = source.name()
    others = source.helper(_ListCheck(tests))
    return f"(({_text_expr(tests, var, source)}) if type({var} := L({field!r})) is str else {others}({var}))"


def _join(parts: Sequence[str], operator: str) -> str:
    if not parts:
        return "True" if operator == "and" else "False"
    if len(parts) == 1:
        return parts[0]
    return "(" + f" {operator} ".join(parts) + ")"


def _item(item: FieldItem, source: _Source) -> str:
    if item.field is None:
        parts = [f"{source.helper(keyword_test(test))}(view)" for test in item.tests]
    else:
        plain = [t for t in item.tests if isinstance(t, StringTest) and not t.cased]
        others = [t for t in item.tests if not (isinstance(t, StringTest) and not t.cased)]
        if item.all:
            parts = [_string_line(item.field, [test], source) for test in plain]
        else:
            parts = [_string_line(item.field, plain, source)] if plain else []
        parts += [
            f"{source.helper(check)}(view)" for check in value_matchers(item.field, others, every=item.all)
        ]
    expression = _join(parts, "and" if item.all else "or")
    return f"(not {expression})" if item.negated else expression


def _group(group: DetectionGroup, source: _Source) -> str:
    items = merge_alternatives(group.items) if group.linking == "or" else group.items
    parts = [_item(item, source) if isinstance(item, FieldItem) else _group(item, source) for item in items]
    return _join(parts, group.linking)


def _condition(node: Condition, detections: dict[str, DetectionGroup], source: _Source) -> str:
    if isinstance(node, CondRef):
        return _group(detections[node.name], source)
    if isinstance(node, CondQuantifier):
        parts = [_group(detections[name], source) for name in node.names]
        return _join(parts, "and" if node.quantifier == "all" else "or")
    if isinstance(node, CondNot):
        return f"(not {_condition(node.arg, detections, source)})"
    parts = [_condition(arg, detections, source) for arg in node.args]
    return _join(parts, "and" if isinstance(node, CondAnd) else "or")


def rule_source(
    detections: dict[str, DetectionGroup], conditions: Sequence[Condition]
) -> tuple[str, tuple[object, ...]]:
    """The generated function's source and its helpers (``H`` in the source)."""
    source = _Source()
    body = _join([_condition(condition, detections, source) for condition in conditions], "or")
    text = f"def match(view, H=H):\n    L = view.low\n    return bool({body})\n"
    return text, tuple(source.helpers)


def compiled_rule_matcher(detections: dict[str, DetectionGroup], conditions: Sequence[Condition]) -> Matcher:
    """One generated function for the whole rule; the closure matcher if it cannot be built."""
    text, helpers = rule_source(detections, conditions)
    if len(text) > MAX_SOURCE_CHARS:
        return rule_matcher(detections, conditions)
    namespace: dict[str, object] = {"__builtins__": builtins, "H": helpers}
    try:
        code = compile(text, "<sigma rule>", "exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return rule_matcher(detections, conditions)
    exec(code, namespace)  # noqa: S102 - source built above from repr() literals only
    function = namespace["match"]
    if not callable(function):  # pragma: no cover - the source above always defines it
        return rule_matcher(detections, conditions)
    return cast(Matcher, function)
