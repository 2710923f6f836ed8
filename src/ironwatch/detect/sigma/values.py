"""Lower pySigma values (after modifiers) to ironwatch value tests.

Wildcard strings become the cheapest test that means the same: equality, prefix, suffix or
substring; only patterns with inner wildcards become anchored RE2 globs. Placeholders
(``|expand``) are filled from a configured mapping; one that is not configured is an error.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from sigma.types import (
    CompareOperators,
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SigmaTimestampPart,
    SigmaType,
    SpecialChars,
)

from ironwatch.core.errors import ValidationError
from ironwatch.detect.sigma.ir import (
    BoolTest,
    CidrTest,
    CompareTest,
    ExistsTest,
    FieldRefTest,
    NullTest,
    NumberTest,
    RegexTest,
    StringTest,
    TimePartTest,
    ValueTest,
)
from ironwatch.detect.sigma.regex import compile_re2, escape_literal

_COMPARE = {
    CompareOperators.LT: "lt",
    CompareOperators.LTE: "lte",
    CompareOperators.GT: "gt",
    CompareOperators.GTE: "gte",
    CompareOperators.NEQ: "neq",
}
_FLAGS = {
    SigmaRegularExpressionFlag.IGNORECASE: "i",
    SigmaRegularExpressionFlag.MULTILINE: "m",
    SigmaRegularExpressionFlag.DOTALL: "s",
}
MAX_PLACEHOLDER_EXPANSIONS = 1000

Part = str | SpecialChars


def string_test(parts: Sequence[Part], *, cased: bool) -> StringTest:
    """The cheapest :class:`StringTest` for a sequence of plain text and wildcards."""
    merged: list[Part] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "" and not (part is SpecialChars.WILDCARD_MULTI and merged and merged[-1] is part):
            merged.append(part)
    norm = [part if cased or not isinstance(part, str) else part.lower() for part in merged]
    many, texts = SpecialChars.WILDCARD_MULTI, [part for part in norm if isinstance(part, str)]
    if SpecialChars.WILDCARD_SINGLE not in norm and len(texts) <= 1:
        text = texts[0] if texts else ""
        shape = tuple(part if part is many else "x" for part in norm)
        simple = {
            (): "eq",
            ("x",): "eq",
            (many,): "any",
            ("x", many): "prefix",
            (many, "x"): "suffix",
            (many, "x", many): "contains",
        }
        if shape in simple:
            return StringTest(simple[shape], text, cased)  # type: ignore[arg-type]
    regex = "".join(
        escape_literal(part) if isinstance(part, str) else ".*" if part is many else "." for part in norm
    )
    return StringTest("glob", regex, cased)


def _plain_parts(value: SigmaString) -> list[Part]:
    """Text and wildcards of a string; a placeholder left in it is a configuration error."""
    parts: list[Part] = []
    for part in value.s:
        if isinstance(part, Placeholder):
            raise ValidationError(
                f"placeholder %{part.name}% is not allowed here",
                hint="use placeholders only with the |expand modifier, and not inside placeholder values",
            )
        parts.append(part)
    return parts


def _fill_placeholders(value: SigmaString, placeholders: Mapping[str, Sequence[str]]) -> list[list[Part]]:
    choices: list[list[list[Part]]] = []
    for part in value.s:
        if isinstance(part, Placeholder):
            if part.name not in placeholders:
                raise ValidationError(
                    f"placeholder %{part.name}% has no configured values",
                    hint=f"add '{part.name}' to the placeholder mapping given to the rule loader",
                )
            choices.append([_plain_parts(SigmaString(item)) for item in placeholders[part.name]])
        else:
            choices.append([[part]])
    combos = list(itertools.islice(itertools.product(*choices), MAX_PLACEHOLDER_EXPANSIONS + 1))
    if len(combos) > MAX_PLACEHOLDER_EXPANSIONS:
        raise ValidationError(
            f"placeholders in {value.original!r} expand to more than {MAX_PLACEHOLDER_EXPANSIONS} values",
            hint="shorten the placeholder lists",
        )
    return [[piece for chunk in combo for piece in chunk] for combo in combos]


def value_tests(value: SigmaType, placeholders: Mapping[str, Sequence[str]]) -> tuple[ValueTest, ...]:
    """The alternatives (OR) one pySigma value stands for; most values give exactly one."""
    if isinstance(value, SigmaExpansion):
        return tuple(test for item in value.values for test in value_tests(item, placeholders))
    if isinstance(value, SigmaString):
        cased = isinstance(value, SigmaCasedString)
        if value.contains_placeholder():
            return tuple(string_test(parts, cased=cased) for parts in _fill_placeholders(value, placeholders))
        return (string_test(_plain_parts(value), cased=cased),)
    if isinstance(value, SigmaRegularExpression):
        pattern = value.regexp.to_plain()
        flags = "".join(sorted(_FLAGS[flag] for flag in value.flags))
        compile_re2(pattern, flags)  # refuse now, with the reason, rather than at match time
        return (RegexTest(pattern, flags),)
    if isinstance(value, SigmaCIDRExpression):
        return (CidrTest(str(value.network)),)
    if isinstance(value, SigmaTimestampPart):
        return (TimePartTest(value.timestamp_part.name.lower(), int(value.number)),)
    if isinstance(value, SigmaCompareExpression):
        return (CompareTest(_COMPARE[value.op], value.number.number),)  # type: ignore[arg-type]
    if isinstance(value, SigmaNumber):
        return (NumberTest(value.number),)
    if isinstance(value, SigmaBool):
        return (BoolTest(value.boolean),)
    if isinstance(value, SigmaNull):
        return (NullTest(),)
    if isinstance(value, SigmaExists):
        return (ExistsTest(value.exists),)
    if isinstance(value, SigmaFieldReference):
        op = "prefix" if value.starts_with else "suffix" if value.ends_with else "eq"
        return (FieldRefTest(value.field, op),)  # type: ignore[arg-type]
    raise ValidationError(
        f"value type {type(value).__name__} is not supported by the ironwatch matcher",
        hint="this value comes from a processing pipeline meant for a query backend; drop that pipeline",
    )
