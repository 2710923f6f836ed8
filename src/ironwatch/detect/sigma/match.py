"""What a rule match hands to triage: the rule, the fields it looked at, entities and a dedup key."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from ironwatch.core.canonical import canonical_json, sha256_hex

# First field present wins: ECS keys set by ironwatch's parsers, then common source field names.
ENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "host": ("host.name", "Computer", "hostname", "Hostname", "host"),
    "user": ("user.name", "TargetUserName", "SubjectUserName", "User", "UserName", "user"),
    "source_address": ("source.ip", "IpAddress", "SourceIp", "SourceAddress", "src_ip", "src"),
    "destination_address": ("destination.ip", "DestinationIp", "DestAddress", "dst_ip", "dst"),
}
_EMPTY = frozenset({"", "-", "null", "NULL"})


def extract_entities(event: Mapping[str, object]) -> dict[str, str]:
    """Host, user and addresses named by the event (absent or placeholder values left out)."""
    entities: dict[str, str] = {}
    for name, keys in ENTITY_FIELDS.items():
        for key in keys:
            value = event.get(key)
            if value is not None and not isinstance(value, list | tuple | dict) and str(value) not in _EMPTY:
                entities[name] = str(value)
                break
    return entities


def dedup_key(rule_id: str, entities: Mapping[str, str]) -> str:
    """Stable across processes and restarts: the same rule on the same entities gives the same key.

    Remembered for the last few thousand (rule, entities) pairs: the same rule firing again on the
    same host and user is what deduplication is for, and it is the common case.
    """
    try:
        return _remembered_dedup_key(rule_id, tuple(entities.items()))
    except TypeError:  # a value that cannot be hashed (a list from a correlation's group)
        return _dedup_key(rule_id, entities)


def _dedup_key(rule_id: str, entities: Mapping[str, object]) -> str:
    return sha256_hex(canonical_json({"rule": rule_id, "entities": dict(entities)}))[:32]


@functools.lru_cache(maxsize=8192)
def _remembered_dedup_key(rule_id: str, items: tuple[tuple[str, object], ...]) -> str:
    return _dedup_key(rule_id, dict(items))


@dataclass(frozen=True)
class Match:
    """A detection rule matched one event."""

    rule_id: str
    title: str
    level: str
    tags: tuple[str, ...]
    fields: dict[str, object] = field(hash=False)  # the event's values for the fields the rule tests
    entities: dict[str, str] = field(hash=False)
    dedup_key: str = ""
    timestamp: object = None  # the event's @timestamp/timestamp as given, if any
    #: ``sigma`` for one event; correlation, anomaly and intel detectors set their own kind
    kind: str = "sigma"
    #: ids of the stored events behind the match (set by the detection sink, or by a correlation)
    event_ids: tuple[str, ...] = ()
    #: how many events the match stands for (a correlation's count)
    count: int = 1
    #: what else the detector reports: indicator and feed, observed and expected values...
    details: dict[str, object] = field(default_factory=dict, hash=False)

    @property
    def attack_techniques(self) -> tuple[str, ...]:
        """ATT&CK technique ids from the tags (``attack.t1059.001`` -> ``T1059.001``)."""
        return tuple(tag.split(".", 1)[1].upper() for tag in self.tags if tag.lower().startswith("attack.t"))


def build_match(
    *,
    rule_id: str,
    title: str,
    level: str,
    tags: tuple[str, ...],
    fields: tuple[str, ...],
    event: Mapping[str, object],
    entities: dict[str, str] | None = None,
) -> Match:
    """Assemble a :class:`Match` for ``event`` from a rule's identity and tested field names.

    ``entities`` (from :func:`extract_entities` on the same event) saves working them out again
    when one event matches several rules; each match gets its own copy.
    """
    entities = extract_entities(event) if entities is None else dict(entities)
    return Match(
        rule_id=rule_id,
        title=title,
        level=level,
        tags=tags,
        fields={name: event[name] for name in fields if name in event},
        entities=entities,
        dedup_key=dedup_key(rule_id, entities),
        timestamp=event.get("@timestamp", event.get("timestamp")),
    )
