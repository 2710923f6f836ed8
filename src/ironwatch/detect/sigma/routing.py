"""Route events to candidate rules by log source keys, then by the literals present in their text.

For each distinct routing key (``event.dataset``, ``Channel``, ``EventID``) a :class:`RoutePlan`
is built on first sight and kept: the rules whose log source admits the key, split into those
that must always be evaluated and those reachable through a required literal, with one literal
scanner over the latter.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

from ironwatch.detect.sigma.database_cache import DatabaseCache
from ironwatch.detect.sigma.ir import Route
from ironwatch.detect.sigma.logsource import route_admits
from ironwatch.detect.sigma.prefilter import LiteralScanner, ScannerKind, build_scanner

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


def plan_key(event: Mapping[str, object]) -> tuple[RoutingKey, str | None]:
    """The routing key plus the provider name: events sharing it share a :class:`RoutePlan`."""
    provider = event.get("Provider_Name")
    return routing_key(event), provider if isinstance(provider, str) else None


# A veto clause holding a literal this short (hex digits, a space and a letter, a switch such as
# ``/c``) holds in most events anyway: it seldom vetoes, and its scan hits cost a callback each.
MIN_VETO_BYTES = 3


def _can_veto(clause: frozenset[str]) -> bool:
    """Whether ``clause`` is worth scanning for as a veto (none of its literals is very short)."""
    return all(len(literal.encode()) >= MIN_VETO_BYTES for literal in clause)


@dataclass(frozen=True)
class RoutePlan:
    """Candidate rules (by index) for one routing key.

    ``literal_rules[i]`` are the rules whose first clause holds literal ``i`` of the scanner;
    ``vetoes[rule]`` are that rule's other clauses as sets of literal indices, each of which
    must have a hit too.
    """

    always: tuple[int, ...]
    scanner: LiteralScanner | None
    literal_rules: tuple[tuple[int, ...], ...]
    size: int
    vetoes: dict[int, tuple[frozenset[int], ...]] = field(default_factory=dict)
    literals: tuple[str, ...] = ()  # the scanner's literals, by index
    #: candidates worked out for a set of hits (filled by the engine, bounded there)
    remembered: dict[Hashable, tuple[int, ...]] = field(default_factory=dict, compare=False)


def build_plan(
    key: RoutingKey,
    provider: str | None,
    routes: Sequence[Route],
    clauses: Sequence[tuple[frozenset[str], ...]],
    enabled: Sequence[bool],
    *,
    scanner_kind: ScannerKind | None = None,
    scanners: dict[tuple[str, ...], LiteralScanner] | None = None,
    only: Sequence[int] | None = None,
    database_cache: DatabaseCache | None = None,
) -> RoutePlan:
    """The plan for events with ``key`` and ``provider`` over rules given as parallel sequences.

    ``clauses`` are each rule's required-literal clauses, most selective first (see
    :func:`ironwatch.detect.sigma.literals.rule_clauses`). A clause with a literal in the
    plan's constant text (dataset, channel, provider, event id) always holds here and is dropped.
    ``scanner_kind`` picks the literal scanner (default: the fastest built); ``scanners``
    caches scanners by their literals across plans; ``only`` (ascending rule indices) limits the
    rules looked at to those that may be admitted; ``database_cache`` keeps compiled Hyperscan
    databases on disk.
    """
    constant = "\n".join(str(text).lower() for text in (key[0], key[1], provider, key[2]) if text is not None)
    always: list[int] = []
    triggers: dict[int, frozenset[str]] = {}
    others: dict[int, list[frozenset[str]]] = {}
    size = 0
    for index in range(len(routes)) if only is None else only:
        route = routes[index]
        if not enabled[index] or not route_admits(route, *key):
            continue
        size += 1
        open_clauses = [c for c in clauses[index] if not any(literal in constant for literal in c)]
        if not open_clauses:
            always.append(index)
            continue
        triggers[index] = open_clauses[0]
        checked = [clause for clause in open_clauses[1:] if _can_veto(clause)]
        if checked:
            others[index] = checked
    names = sorted(
        {literal for clause in triggers.values() for literal in clause}
        | {literal for rest in others.values() for clause in rest for literal in clause}
    )
    position = {name: number for number, name in enumerate(names)}
    by_literal: list[list[int]] = [[] for _ in names]
    for index, clause in triggers.items():
        for literal in clause:
            by_literal[position[literal]].append(index)
    vetoes = {
        index: tuple(frozenset(position[literal] for literal in clause) for clause in rest)
        for index, rest in others.items()
    }
    scanner: LiteralScanner | None = None
    if names:
        cache = scanners if scanners is not None else {}
        scanner = cache.get(tuple(names))
        if scanner is None:
            scanner = cache[tuple(names)] = build_scanner(names, kind=scanner_kind, cache=database_cache)
    return RoutePlan(tuple(always), scanner, tuple(map(tuple, by_literal)), size, vetoes, tuple(names))
