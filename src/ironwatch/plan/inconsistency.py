"""Cross-reference problems found inside a section after its fields parsed.

A section validator collects every inconsistency it finds and raises them together as one
``PlanInconsistencies``; the loader unpacks them so each points at its own line of the YAML file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

Path = tuple[str | int, ...]
T = TypeVar("T")


@dataclass(frozen=True)
class Inconsistency:
    """One broken rule, at ``path`` relative to the section that found it."""

    path: Path
    message: str
    hint: str | None = None


class PlanInconsistencies(ValueError):
    """Several inconsistencies at once; a ``ValueError`` so pydantic reports it as a validation error."""

    def __init__(self, found: list[Inconsistency]) -> None:
        super().__init__("; ".join(i.message for i in found))
        self.found = found


def raise_if_any(found: list[Inconsistency]) -> None:
    """Raise every inconsistency in ``found`` together, or do nothing when there are none."""
    if found:
        raise PlanInconsistencies(found)


def duplicates(items: Iterable[T], key: Callable[[T], str], *, at: Path, what: str) -> list[Inconsistency]:
    """One inconsistency per item whose ``key`` was already used by an earlier item."""
    seen: dict[str, int] = {}
    found: list[Inconsistency] = []
    for index, item in enumerate(items):
        value = key(item)
        if value in seen:
            found.append(
                Inconsistency(
                    (*at, index),
                    f"duplicate {what} {value!r} (already used by entry {seen[value] + 1})",
                    f"give each {what} a unique value",
                )
            )
        else:
            seen[value] = index
    return found


def unknown_reference(path: Path, value: str, what: str, known: Iterable[str]) -> Inconsistency:
    """An inconsistency for a reference to an id that does not exist, listing the ids that do."""
    names = sorted(known)
    shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    hint = f"use one of: {shown}" if names else f"define a {what} first"
    return Inconsistency(path, f"unknown {what} {value!r}", hint)
