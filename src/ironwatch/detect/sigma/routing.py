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


# Fields that are the same for every event of a plan: left out of the literal scan (a rule's
# literal found in them marks the rule as always evaluated for that plan instead).
KEY_FIELDS = frozenset({"event.dataset", "Channel", "Provider_Name"})


def plan_key(event: Mapping[str, object]) -> tuple[RoutingKey, str | None]:
    """The routing key plus the provider name: events sharing it share a :class:`RoutePlan`."""
    provider = event.get("Provider_Name")
    return routing_key(event), provider if isinstance(provider, str) else None


def event_text(event: Mapping[str, object]) -> str:
    """The event's values (key fields excepted) as one lowercased text, for the literal scan."""
    parts: list[str] = []
    for key, raw in event.items():
        if raw is None or key in KEY_FIELDS:
            continue
        if type(raw) is str:
            parts.append(raw)
        elif isinstance(raw, list | tuple):
            parts.extend(text_of(item) for item in raw if item is not None)
        else:
            parts.append(text_of(raw))
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
    provider: str | None,
    routes: Sequence[Route],
    literals: Sequence[frozenset[str] | None],
    enabled: Sequence[bool],
    *,
    prefer_hyperscan: bool = True,
) -> RoutePlan:
    """The plan for events with ``key`` and ``provider`` over rules given as parallel sequences."""
    constant = "\n".join(text.lower() for text in (key[0], key[1], provider) if text)
    always: list[int] = []
    by_literal: dict[str, list[int]] = {}
    size = 0
    for index, route in enumerate(routes):
        if not enabled[index] or not route_admits(route, *key):
            continue
        size += 1
        required = literals[index]
        if required is None or any(literal in constant for literal in required):
            always.append(index)
        else:
            for literal in required:
                by_literal.setdefault(literal, []).append(index)
    names = sorted(by_literal)
    scanner = build_scanner(names, prefer_hyperscan=prefer_hyperscan) if names else None
    return RoutePlan(tuple(always), scanner, tuple(tuple(by_literal[name]) for name in names), size)
