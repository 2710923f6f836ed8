"""What an event counts towards: its host, the interfaces it names and its source address, and its bytes."""

from __future__ import annotations

from collections.abc import Mapping

DIMENSIONS = ("host", "interface", "source")
HOST_FIELDS = ("host.name", "Computer", "hostname")
INTERFACE_FIELDS = ("observer.ingress.interface.name", "observer.egress.interface.name")
SOURCE_FIELDS = ("source.ip", "id.orig_h", "SourceIp", "src_ip")


def _text(fields: Mapping[str, object], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = fields.get(name)
        if isinstance(value, str) and value and value != "-":
            return value
    return None


def keys_of(fields: Mapping[str, object]) -> list[tuple[str, str, dict[str, str]]]:
    """``(dimension, key, entities)`` for each baseline the event counts towards.

    An interface is named with its host (``fw1/eth0``): ``eth0`` on two firewalls is two links.
    """
    found: list[tuple[str, str, dict[str, str]]] = []
    host = _text(fields, HOST_FIELDS)
    if host is not None:
        found.append(("host", host, {"host": host}))
    seen: set[str] = set()
    for name in INTERFACE_FIELDS:
        iface = fields.get(name)
        if isinstance(iface, str) and iface and iface not in seen:
            seen.add(iface)
            entities = {"interface": iface} if host is None else {"host": host, "interface": iface}
            found.append(("interface", f"{host or '-'}/{iface}", entities))
    source = _text(fields, SOURCE_FIELDS)
    if source is not None:
        found.append(("source", source, {"source_address": source}))
    return found


def _number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value >= 0 else None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def bytes_of(fields: Mapping[str, object]) -> int:
    """``network.bytes``, else ``source.bytes`` + ``destination.bytes``; 0 when the event says nothing."""
    total = _number(fields.get("network.bytes"))
    if total is not None:
        return total
    return (_number(fields.get("source.bytes")) or 0) + (_number(fields.get("destination.bytes")) or 0)
