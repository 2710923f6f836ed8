"""The in-memory indicator index the stream matcher and lookups search.

Exact values sit in one dict per type (hashes, addresses, URLs, mailboxes); networks sit in one
dict per prefix length, keyed by the network's integer, so an address is checked against every
network with as many dict lookups as there are distinct prefix lengths (a handful); domains match
by suffix, label by label (``a.b.evil.example`` tries ``a.b.evil.example``, ``b.evil.example``,
``evil.example``). Nothing here does I/O; the matcher rebuilds the index when the feeds change.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class IndicatorRecord:
    """A stored, active indicator as matching needs it."""

    id: int
    type: str
    value: str
    source: str
    confidence: int
    tlp: str
    valid_from: datetime | None
    valid_until: datetime | None
    description: str
    external_id: str | None

    def valid_at(self, when: datetime) -> bool:
        """Whether the indicator is in force at ``when`` (its validity window, if it has one)."""
        if self.valid_until is not None and when >= self.valid_until:
            return False
        return self.valid_from is None or when >= self.valid_from


_Bucket = dict[str, list[IndicatorRecord]]
#: indicator type -> the kinds of event field that can match it
_WANTED: dict[str, tuple[str, ...]] = {
    "ipv4": ("address",),
    "ipv6": ("address",),
    "cidr": ("address",),
    "domain": ("domain", "url"),
    "url": ("url",),
    "email": ("email",),
    "md5": ("md5", "sysmon"),
    "sha1": ("sha1", "sysmon"),
    "sha256": ("sha256", "sysmon"),
}


class IndicatorIndex:
    """Hash sets per type, networks per prefix length, and domain suffixes."""

    def __init__(self, records: Iterable[IndicatorRecord] = ()) -> None:
        self.exact: dict[str, _Bucket] = {}
        # version -> prefix length -> network integer -> records
        self.networks: dict[int, dict[int, dict[int, list[IndicatorRecord]]]] = {4: {}, 6: {}}
        self._prefixes: dict[int, list[int]] = {4: [], 6: []}
        #: the kinds of event field worth reading (``event_values.field_kind``) for what is indexed
        self._wanted: set[str] = set()
        self.size = 0
        for record in records:
            self.add(record)

    def add(self, record: IndicatorRecord) -> None:
        self.size += 1
        self._wanted.update(_WANTED[record.type])
        if record.type == "cidr":
            network = ipaddress.ip_network(record.value)
            by_length = self.networks[network.version].setdefault(network.prefixlen, {})
            by_length.setdefault(int(network.network_address), []).append(record)
            self._prefixes[network.version] = sorted(self.networks[network.version], reverse=True)
            return
        # ipv4 and ipv6 share one table: an address is looked up without knowing its version first
        kind = "ip" if record.type in ("ipv4", "ipv6") else record.type
        self.exact.setdefault(kind, {}).setdefault(record.value, []).append(record)

    def __len__(self) -> int:
        return self.size

    def looks_for(self, field_kind: str) -> bool:
        """Whether a field of this kind (address, domain, url, email, sysmon, md5...) can match anything."""
        return field_kind in self._wanted

    def exact_match(self, kind: str, value: str) -> list[IndicatorRecord]:
        """Indicators of ``kind`` (``ip`` for addresses) whose value is exactly ``value``."""
        bucket = self.exact.get(kind)
        return bucket.get(value, []) if bucket else []

    def match_address(self, address: str) -> list[IndicatorRecord]:
        """Address indicators equal to it and network indicators containing it."""
        if ":" in address:
            try:
                ip = ipaddress.ip_address(address)
            except ValueError:
                return []
            # an IPv4-mapped IPv6 address (::ffff:192.0.2.1) is the IPv4 address
            if ip.version == 6 and ip.ipv4_mapped is not None:
                ip = ip.ipv4_mapped
            version, number, text = ip.version, int(ip), str(ip)
        else:
            try:  # the C parser: an order of magnitude faster than ipaddress for dotted quads
                number = int.from_bytes(socket.inet_pton(socket.AF_INET, address), "big")
            except OSError:
                return []
            version, text = 4, address
        bucket = self.exact.get("ip")
        exact = bucket.get(text) if bucket else None
        found = list(exact) if exact else []
        prefixes = self._prefixes[version]
        if prefixes:
            bits = 32 if version == 4 else 128
            tables = self.networks[version]
            for length in prefixes:
                shift = bits - length
                hit = tables[length].get((number >> shift) << shift)
                if hit:
                    found.extend(hit)
        return found

    def match_domain(self, name: str) -> list[IndicatorRecord]:
        """Domain indicators equal to ``name`` or a parent of it."""
        bucket = self.exact.get("domain")
        if not bucket:
            return []
        candidate = name.rstrip(".").lower()
        found: list[IndicatorRecord] = []
        while candidate:
            hit = bucket.get(candidate)
            if hit:
                found.extend(hit)
            dot = candidate.find(".")
            if dot < 0:
                break
            candidate = candidate[dot + 1 :]
        return found
