"""The compiled form of a Sigma rule: small frozen value objects, free of pySigma types.

pySigma parses and validates a rule; the compiler lowers it to this representation, which
the matcher builder turns into closures. Keeping this layer plain data means a compiled rule
set can be cached as JSON and reloaded without parsing YAML again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal

StringOp = Literal["eq", "prefix", "suffix", "contains", "glob", "any"]


@dataclass(frozen=True)
class StringTest:
    """A Sigma string: ``value`` is lowercased unless ``cased``; for ``glob`` it is an RE2 regex."""

    op: StringOp
    value: str
    cased: bool = False


@dataclass(frozen=True)
class RegexTest:
    pattern: str
    flags: str = ""  # any of "i", "m", "s"


@dataclass(frozen=True)
class CidrTest:
    network: str


@dataclass(frozen=True)
class NumberTest:
    value: int | float


@dataclass(frozen=True)
class CompareTest:
    op: Literal["lt", "lte", "gt", "gte", "neq"]
    value: int | float


@dataclass(frozen=True)
class BoolTest:
    value: bool


@dataclass(frozen=True)
class NullTest:
    """The field is absent or null."""


@dataclass(frozen=True)
class ExistsTest:
    present: bool


@dataclass(frozen=True)
class FieldRefTest:
    """The field equals (starts with, ends with) the value of another field of the same event."""

    other: str
    op: Literal["eq", "prefix", "suffix"] = "eq"


@dataclass(frozen=True)
class TimePartTest:
    """A part (minute, hour, day, week, month, year) of a timestamp field equals ``value``."""

    unit: str
    value: int


ValueTest = (
    StringTest
    | RegexTest
    | CidrTest
    | NumberTest
    | CompareTest
    | BoolTest
    | NullTest
    | ExistsTest
    | FieldRefTest
    | TimePartTest
)


@dataclass(frozen=True)
class FieldItem:
    """One ``field|modifiers: values`` line; ``field`` is None for a keyword search."""

    field: str | None
    tests: tuple[ValueTest, ...]
    all: bool = False
    negated: bool = False
    text: str = ""  # the line as written, for explanations


@dataclass(frozen=True)
class DetectionGroup:
    """A named detection (or a nested list/map in it): items linked by ``and`` or ``or``."""

    linking: Literal["and", "or"]
    items: tuple[FieldItem | DetectionGroup, ...]


@dataclass(frozen=True)
class CondRef:
    name: str


@dataclass(frozen=True)
class CondNot:
    arg: Condition


@dataclass(frozen=True)
class CondAnd:
    args: tuple[Condition, ...]


@dataclass(frozen=True)
class CondOr:
    args: tuple[Condition, ...]


@dataclass(frozen=True)
class CondQuantifier:
    """``1 of pattern`` / ``all of them``, with the detection names it resolved to."""

    quantifier: Literal["any", "all"]
    pattern: str
    names: tuple[str, ...]


Condition = CondRef | CondNot | CondAnd | CondOr | CondQuantifier


@dataclass(frozen=True)
class Route:
    """Which events a rule's log source admits; None means no constraint on that key."""

    channels: frozenset[str] | None = None
    event_ids: frozenset[int] | None = None
    datasets: frozenset[str] | None = None
    product: str | None = None


@dataclass(frozen=True)
class RuleIR:
    id: str
    title: str
    level: str
    status: str
    tags: tuple[str, ...]
    logsource: tuple[str | None, str | None, str | None]  # product, category, service
    route: Route
    detections: dict[str, DetectionGroup] = field(hash=False)
    conditions: tuple[Condition, ...]
    file: str
    line: int | None = None
    notes: tuple[str, ...] = ()
    name: str | None = None  # the rule's `name:`, which correlation rules may reference


_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        StringTest,
        RegexTest,
        CidrTest,
        NumberTest,
        CompareTest,
        BoolTest,
        NullTest,
        ExistsTest,
        FieldRefTest,
        TimePartTest,
        FieldItem,
        DetectionGroup,
        CondRef,
        CondNot,
        CondAnd,
        CondOr,
        CondQuantifier,
        Route,
        RuleIR,
    )
}


def to_plain(value: Any) -> Any:
    """Encode IR as JSON-ready data: dataclasses become tagged dicts, sets sorted lists."""
    if is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {"@": type(value).__name__}
        for item in fields(value):
            out[item.name] = to_plain(getattr(value, item.name))
        return out
    if isinstance(value, frozenset):
        return {"@set": sorted(value, key=str)}
    if isinstance(value, tuple | list):
        return [to_plain(item) for item in value]
    if isinstance(value, dict):
        return {"@map": {key: to_plain(item) for key, item in value.items()}}
    return value


def from_plain(value: Any) -> Any:
    """Decode what :func:`to_plain` produced; unknown tags raise ``ValueError``."""
    if isinstance(value, list):
        return tuple(from_plain(item) for item in value)
    if isinstance(value, dict):
        if "@set" in value:
            return frozenset(value["@set"])
        if "@map" in value:
            return {key: from_plain(item) for key, item in value["@map"].items()}
        cls = _TYPES.get(value.get("@", ""))
        if cls is None:
            raise ValueError(f"unknown compiled-rule element {value.get('@')!r}")
        return cls(**{key: from_plain(item) for key, item in value.items() if key != "@"})
    return value
