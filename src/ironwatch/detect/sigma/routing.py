"""Route events to candidate rules by log source keys, then by the literals present in their text.

For each distinct routing key (``event.dataset``, ``Channel``, ``EventID``) a :class:`RoutePlan`
is built on first sight and kept: the rules whose log source admits the key, split into those
that must always be evaluated and those reachable through a required literal, with one literal
scanner over the latter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ironwatch.detect.sigma.event_view import text_of
from ironwatch.detect.sigma.ir import Route
from ironwatch.detect.sigma.logsource import route_admits
from ironwatch.detect.sigma.prefilter import LiteralScanner, build_scanner

RoutingKey = tuple[str | None, str | None, object]


def routing_key(event: Mapping[str, object]) -> RoutingKey:
    """``(event.dataset, Channel, EventID)``; EventID as an int when it is a number in text."""
    dataset, channel, event_id = event.get("event.dataset"), event.get("Channel"), event.get("EventID")
    if isinstance(event_id, str) and event_id.isdigit():
        event_id = int(event_id)
    if isinstance(event_id, list | dict):
        event_id = None
    return (
        dataset if isinstance(dataset, str) else None,
        channel if isinstance(channel, str) else None,
        event_id,
    )


def event_text(event: Mapping[str, object]) -> str:
    """All of an event's values as one lowercased text, for the literal scan."""
    parts = [
        raw if type(raw) is str else text_of(raw)
        for raw in event.values()
        if raw is not None and not isinstance(raw, list | tuple)
    ]
    for raw in event.values():
        if isinstance(raw, list | tuple):
            parts.extend(text_of(item) for item in raw if item is not None)
    return "\n".join(parts).lower()


@dataclass(frozen=True)
class RoutePlan:
    """Candidate rules (by index) for one routing key."""

    always: tuple[int, ...]
    scanner: LiteralScanner | None
    literal_rules: tuple[tuple[int, ...], ...]
    size: int


def build_plan(
    key: RoutingKey,
    routes: Sequence[Route],
    literals: Sequence[frozenset[str] | None],
    enabled: Sequence[bool],
    *,
    prefer_hyperscan: bool = True,
) -> RoutePlan:
    """The plan for ``key`` over rules given by parallel sequences (route, literals, enabled)."""
    always: list[int] = []
    by_literal: dict[str, list[int]] = {}
    size = 0
    for index, route in enumerate(routes):
        if not enabled[index] or not route_admits(route, *key):
            continue
        size += 1
        required = literals[index]
        if required is None:
            always.append(index)
        else:
            for literal in required:
                by_literal.setdefault(literal, []).append(index)
    names = sorted(by_literal)
    scanner = build_scanner(names, prefer_hyperscan=prefer_hyperscan) if names else None
    return RoutePlan(tuple(always), scanner, tuple(tuple(by_literal[name]) for name in names), size)
