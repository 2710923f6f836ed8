"""When a duty applies: conditions on an incident's facts, evaluated in three values.

A condition is written in the duty's YAML file (or the plan's contractual duties) as::

    applies_when:
      all:
        - {personal_data: true}
        - any:
            - {subject_jurisdictions: {any_in: [EEA]}}
            - {org_jurisdictions: {any_in: [EEA]}}

A mapping of facts to tests means "all of these"; ``all``, ``any`` and ``not`` combine. Tests:
a plain value (equal), ``{any_in: [regions]}`` (a jurisdiction list touches a region: ``EU``,
``EEA``, a country, ``US`` covers ``US-CA``), ``{contains: x}``, ``{at_least: n}``,
``{below: n}``, ``{one_of: [...]}``.

The answer is True, False or unknown: a missing fact makes a test unknown, and unknown only
turns into an answer when the rest decides it (``all`` with a false part is false). An unknown
answer carries the missing facts that could decide it: the questions to ask.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

EU = frozenset(
    {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "IE", "IT"}
    | {"LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
)
REGIONS: dict[str, frozenset[str]] = {"EU": EU | {"EU"}, "EEA": EU | {"EU", "EEA", "IS", "LI", "NO"}}
"""Named regions a jurisdiction test may use, with the country codes they cover."""

Op = Literal["equals", "any_in", "contains", "at_least", "below", "one_of"]
OPS: tuple[str, ...] = ("equals", "any_in", "contains", "at_least", "below", "one_of")


@dataclass(frozen=True)
class Test:
    fact: str
    op: Op
    value: Any


@dataclass(frozen=True)
class All:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    part: Condition


Condition = Test | All | AnyOf | Not


@dataclass(frozen=True)
class Verdict:
    """``value`` True/False/None (unknown); ``missing`` facts that could decide an unknown; why not."""

    value: bool | None
    missing: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()


def parse_condition(data: Any, known_facts: Mapping[str, object]) -> Condition:
    """Parse the YAML form; raises ``ValueError`` saying what to write instead."""
    if not isinstance(data, Mapping) or not data:
        raise ValueError("a condition is a mapping such as {personal_data: true} or {all: [...]}")
    parts: list[Condition] = []
    for key, value in data.items():
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise ValueError(f"'{key}' takes a non-empty list of conditions")
            children = tuple(parse_condition(v, known_facts) for v in value)
            parts.append(All(children) if key == "all" else AnyOf(children))
        elif key == "not":
            parts.append(Not(parse_condition(value, known_facts)))
        elif key in known_facts:
            parts.append(_test(str(key), value))
        else:
            raise ValueError(
                f"unknown fact {key!r} in a condition; "
                f"use all/any/not or one of: {', '.join(sorted(known_facts))}"
            )
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def _test(fact: str, value: Any) -> Test:
    if isinstance(value, Mapping):
        if len(value) != 1:
            raise ValueError(f"the test on {fact!r} needs exactly one of {', '.join(OPS)}")
        ((op, operand),) = value.items()
        if op not in OPS:
            raise ValueError(f"unknown test {op!r} on {fact!r}; use one of {', '.join(OPS)}")
        if op in ("any_in", "one_of") and not isinstance(operand, list):
            raise ValueError(f"'{op}' on {fact!r} takes a list")
        if op in ("at_least", "below") and (isinstance(operand, bool) or not isinstance(operand, int)):
            raise ValueError(f"'{op}' on {fact!r} takes a whole number")
        return Test(fact, op, tuple(operand) if isinstance(operand, list) else operand)
    return Test(fact, "equals", value)


def within_region(code: str, region: str) -> bool:
    """Whether jurisdiction ``code`` lies within ``region`` (a named region, a country, a subdivision)."""
    code, region = code.upper(), region.upper()
    if region in REGIONS:
        return code.split("-")[0] in REGIONS[region] or code == region
    return code == region or code.startswith(region + "-")


def _check(test: Test, value: Any) -> bool:
    if test.op == "equals":
        return bool(value == test.value)
    if test.op == "any_in":
        codes = value if isinstance(value, list | tuple) else [value]
        return any(within_region(str(c), str(r)) for c in codes for r in test.value)
    if test.op == "contains":
        return isinstance(value, list | tuple) and test.value in value
    if test.op == "at_least":
        return isinstance(value, int) and value >= test.value
    if test.op == "below":
        return isinstance(value, int) and value < test.value
    return value in test.value


def describe(test: Test) -> str:
    words = {
        "equals": "is",
        "any_in": "is within",
        "contains": "contains",
        "at_least": "is at least",
        "below": "is below",
        "one_of": "is one of",
    }
    operand = ", ".join(map(str, test.value)) if isinstance(test.value, tuple) else test.value
    if isinstance(operand, bool):
        operand = "yes" if operand else "no"
    return f"{test.fact} {words[test.op]} {operand}"


def evaluate(condition: Condition, facts: Mapping[str, Any]) -> Verdict:
    """The condition's answer on ``facts`` (absent or None: unknown)."""
    if isinstance(condition, Test):
        value = facts.get(condition.fact)
        if value is None:
            return Verdict(None, (condition.fact,))
        if _check(condition, value):
            return Verdict(True)
        return Verdict(False, reasons=(f"not ({describe(condition)})",))
    if isinstance(condition, Not):
        inner = evaluate(condition.part, facts)
        if inner.value is None:
            return inner
        return Verdict(
            not inner.value, reasons=() if not inner.value else ("a condition that excludes it holds",)
        )
    verdicts = [evaluate(part, facts) for part in condition.parts]
    decisive = not isinstance(condition, All)
    hits = [v for v in verdicts if v.value is decisive]
    if hits:
        reasons = tuple(r for v in hits for r in v.reasons)
        return Verdict(decisive, reasons=reasons)
    unknown = [v for v in verdicts if v.value is None]
    if unknown:
        missing = tuple(dict.fromkeys(m for v in unknown for m in v.missing))
        return Verdict(None, missing)
    return Verdict(not decisive, reasons=tuple(r for v in verdicts for r in v.reasons))


def facts_named(condition: Condition) -> set[str]:
    """Every fact a condition looks at."""
    if isinstance(condition, Test):
        return {condition.fact}
    if isinstance(condition, Not):
        return facts_named(condition.part)
    return set().union(*(facts_named(p) for p in condition.parts))
