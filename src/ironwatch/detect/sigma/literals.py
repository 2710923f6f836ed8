"""Required literals: text that must appear in an event for a rule to be able to match.

For each rule we compute clauses of lowercase literals (conjunctive normal form): every way
the rule can match puts at least one literal of each clause somewhere in the event's text.
A map of field lines is an AND (the clauses of all its lines), a list or ``1 of`` an OR
(distributed while small, so ``cmd.exe and (' del ' or ' rd ')`` keeps both clauses). An event
that misses a clause cannot match, so the engine skips the rule. Lines that are negated,
numeric comparisons, regexes without a literal run, or too short require nothing; a rule
whose every way to match is such a line gets no clause and is always evaluated.
"""

from __future__ import annotations

import functools
import itertools
import math
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
# Single characters rare enough in log text to be worth a scan (a backtick in a command line).
RARE_CHARACTERS = frozenset("`^~|{}<>$#@!;")
MAX_CLAUSES = 4  # clauses kept per rule: the first triggers evaluation, the rest veto it
MAX_PRODUCT = 16  # an OR is distributed over its parts' clauses up to this many combinations
_META = frozenset("^$.|?*+()[]{}\\")
# Text found in most Windows events (paths of system binaries, file suffixes, vendor names). A
# literal inside it (`.exe`, `c:\\`, `\\windows\\`, `system32`, `microsoft`) holds on nearly every
# event, so a clause holding one is a poor trigger (the rule is a candidate almost always) and no
# veto at all (it only adds scan hits): such a clause triggers only a rule that has no other, and
# is never kept as a veto. Chosen from what these paths look like, not from any corpus; it never
# changes matches (fewer vetoes only means more candidates evaluated).
COMMON_TEXT = (
    "c:\\windows\\system32\\svchost.exe\n"
    "c:\\windows\\syswow64\\\n"
    "c:\\program files (x86)\\microsoft\\windows\\\n"
    ".dll\n.sys\n"
)
Literals = frozenset[str] | None
Clause = frozenset[str]
Clauses = tuple[Clause, ...]
TRUE: Clauses = ()  # no literal required


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


def _split_alternatives(regex: str) -> list[str]:
    """The top-level ``|`` branches of ``regex`` (escapes, classes and groups respected)."""
    branches: list[str] = []
    depth, start, index = 0, 0, 0
    while index < len(regex):
        char = regex[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            end = regex.find("]", index + 2)
            index = len(regex) if end < 0 else end + 1
            continue
        if char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            branches.append(regex[start:index])
            start = index + 1
        index += 1
    branches.append(regex[start:])
    return branches


def _literal(text: str | None) -> str | None:
    """``text`` lowercased if it is selective enough to scan for, else None."""
    if text is None:
        return None
    text = text.lower()
    size = len(text.encode())
    return text if size >= MIN_LITERAL_BYTES or (size == 1 and text in RARE_CHARACTERS) else None


@functools.lru_cache(maxsize=1 << 16)  # each test is looked at several times while ranking
def _test_clause(test: ValueTest) -> Clause | None:
    """Literals of which one occurs in any value ``test`` accepts, or None if there are none."""
    text: str | None = None
    if isinstance(test, StringTest):
        if test.op == "glob":
            text = max(glob_fragments(test.value), key=len, default=None)
        elif test.op != "any":
            text = test.value
    elif isinstance(test, RegexTest) and "m" not in test.flags:
        # One literal per top-level alternative: `a.*x|b.*y` requires `a` or `b`.
        found = [
            _literal(max(regex_fragments(branch), key=len, default=None))
            for branch in _split_alternatives(test.pattern)
        ]
        if any(literal is None for literal in found):
            return None
        return frozenset(literal for literal in found if literal is not None)
    elif isinstance(test, NumberTest) and isinstance(test.value, int):
        text = str(test.value)
    elif isinstance(test, BoolTest):
        text = "true" if test.value else "false"
    literal = _literal(text)
    return frozenset({literal}) if literal is not None else None


def _absorb(clauses: Iterable[Clause]) -> Clauses:
    """Drop clauses implied by a smaller one (``{a}`` makes ``{a, b}`` redundant), shortest first."""
    kept: list[Clause] = []
    for clause in sorted(set(clauses), key=lambda c: (len(c), sorted(c))):
        if not any(other <= clause for other in kept):
            kept.append(clause)
    return tuple(kept)


def _clause_cost(clause: Clause, shared: Mapping[str, int]) -> int:
    return sum(_hit_cost(text, shared) for text in clause)


def _cheapest(clauses: Clauses, shared: Mapping[str, int], limit: int) -> Clauses:
    """The ``limit`` clauses least likely to hold by chance, cheapest first (any subset stays valid)."""
    return tuple(sorted(clauses, key=lambda c: (_clause_cost(c, shared), sorted(c)))[:limit])


def _conj(parts: Iterable[Clauses], shared: Mapping[str, int]) -> Clauses:
    """AND: every part's clauses must hold."""
    return _cheapest(_absorb(clause for part in parts for clause in part), shared, MAX_CLAUSES * 2)


def _disj(parts: Iterable[Clauses], shared: Mapping[str, int]) -> Clauses:
    """OR: distribute (one clause from each part, united) while that stays small; else one clause.

    A part without clauses can match without any literal, so the whole OR can too.
    """
    alternatives = list(parts)
    if not alternatives or any(not part for part in alternatives):
        return TRUE
    if math.prod(len(part) for part in alternatives) <= MAX_PRODUCT:
        combos = (frozenset().union(*combo) for combo in itertools.product(*alternatives))
        return _cheapest(_absorb(combos), shared, MAX_CLAUSES * 2)
    return (frozenset().union(*(_cheapest(part, shared, 1)[0] for part in alternatives)),)


def _hit_cost(text: str, shared: Mapping[str, int]) -> int:
    """Rough odds that ``text`` occurs in an event: common across rules, or short, means likely."""
    return shared.get(text, 1) << max(0, 8 - len(text))


def item_clauses(item: FieldItem | DetectionGroup, shared: Mapping[str, int] | None = None) -> Clauses:
    """Required literals of one detection line or group, as clauses (see :func:`rule_clauses`)."""
    weights = shared if shared is not None else {}
    if isinstance(item, DetectionGroup):
        parts = [item_clauses(child, weights) for child in item.items]
        return _conj(parts, weights) if item.linking == "and" else _disj(parts, weights)
    if item.negated or not item.tests:
        return TRUE
    singles = [_test_clause(test) for test in item.tests]
    if item.all:
        return _conj([(clause,) for clause in singles if clause is not None], weights)
    if any(clause is None for clause in singles):
        return TRUE
    return (frozenset().union(*(clause for clause in singles if clause is not None)),)


def _condition_clauses(node: Condition, detections: dict[str, Clauses], shared: Mapping[str, int]) -> Clauses:
    if isinstance(node, CondRef):
        return detections[node.name]
    if isinstance(node, CondQuantifier):
        parts = [detections[name] for name in node.names]
        return _conj(parts, shared) if node.quantifier == "all" else _disj(parts, shared)
    if isinstance(node, CondNot):
        return TRUE  # a negation holds on events that lack literals: it requires none
    parts = [_condition_clauses(arg, detections, shared) for arg in node.args]
    return _conj(parts, shared) if isinstance(node, CondAnd) else _disj(parts, shared)


def _item_texts(item: FieldItem | DetectionGroup) -> Iterator[str]:
    if isinstance(item, DetectionGroup):
        for child in item.items:
            yield from _item_texts(child)
    elif not item.negated:
        for clause in map(_test_clause, item.tests):
            yield from clause or ()


def literal_sharing(rules: Iterable[RuleIR]) -> dict[str, int]:
    """How many rules mention each candidate literal: the engine's proxy for how common it is."""
    counts: Counter[str] = Counter()
    for rule in rules:
        counts.update({text for group in rule.detections.values() for text in _item_texts(group)})
    return dict(counts)


class _Overlay(Mapping[str, int]):
    """``over`` in front of ``base`` without copying ``base`` (read with ``get``, per literal)."""

    __slots__ = ("_base", "_over")

    def __init__(self, over: Mapping[str, int], base: Mapping[str, int]) -> None:
        self._over, self._base = over, base

    def get(self, key: str, default: int | None = None) -> int | None:  # type: ignore[override]
        found = self._over.get(key)
        return found if found is not None else self._base.get(key, default)

    def __getitem__(self, key: str) -> int:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter({**self._base, **self._over})

    def __len__(self) -> int:
        return len({**self._base, **self._over})


def rule_clauses(rule: RuleIR, shared: Mapping[str, int] | None = None) -> Clauses:
    """The rule's required literals in conjunctive normal form, most selective clause first.

    Every clause is a set of lowercase literals of which at least one occurs in the text of any
    event the rule matches; all clauses must hold. ``()`` means the rule can match without any
    literal and must always be evaluated. ``shared`` (from :func:`literal_sharing`) ranks the
    clauses: the engine triggers a rule on its first clause and checks the others after the scan.
    """
    weights: Mapping[str, int] = shared or {}
    # A literal inside the rule's own channel name is in every event it sees: never worth choosing.
    constant = "\n".join(channel.lower() for channel in rule.route.channels or ())
    if constant:
        weights = _Overlay(
            {
                text: 1 << 20
                for group in rule.detections.values()
                for text in _item_texts(group)
                if text in constant
            },
            weights,
        )
    detections = {name: item_clauses(group, weights) for name, group in rule.detections.items()}
    clauses = _disj((_condition_clauses(c, detections, weights) for c in rule.conditions), weights)
    ranked = _cheapest(clauses, weights, len(clauses))
    rare = tuple(clause for clause in ranked if not _common(clause))
    # a common clause may trigger only when there is nothing rarer; it never vetoes
    return (rare or ranked[:1])[:MAX_CLAUSES]


def _common(clause: Clause) -> bool:
    """Whether ``clause`` holds on most Windows events anyway (see ``COMMON_TEXT``)."""
    return any(text in COMMON_TEXT for text in clause)


def rule_literals(rule: RuleIR, shared: Mapping[str, int] | None = None) -> Literals:
    """One set of literals of which an event must contain at least one, or None (always evaluate)."""
    clauses = rule_clauses(rule, shared)
    return clauses[0] if clauses else None
