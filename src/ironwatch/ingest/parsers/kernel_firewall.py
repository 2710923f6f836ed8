"""Kernel packet-filter log lines: iptables/nftables ``LOG`` targets and ufw (``[UFW BLOCK] IN=eth0 ...``).

The ``KEY=VALUE`` pairs stay under their own names (``SRC``, ``DPT``...); the normalised keys are
``source.ip``, ``destination.port``, ``network.transport``, ``event.action`` (``deny``/``allow``/``log``)
and ``rule.name`` (the log prefix the rule wrote).
"""

from __future__ import annotations

import re

DATASET = "firewall.iptables"
_TOKEN = re.compile(r"([A-Za-z0-9_]+)=(\S*)|(\S+)")
_UPTIME = re.compile(r"\[\s*\d+\.\d+\]\s*")
_DENY = re.compile(r"BLOCK|DROP|REJECT|DENY", re.I)
_ALLOW = re.compile(r"ALLOW|ACCEPT|PASS", re.I)
_NUMERIC = frozenset({"LEN", "TTL", "SPT", "DPT", "WINDOW", "URGP", "ID", "TYPE", "CODE", "SEQ", "MARK"})
_NORMALISED = {
    "SRC": "source.ip",
    "DST": "destination.ip",
    "SPT": "source.port",
    "DPT": "destination.port",
    "IN": "observer.ingress.interface.name",
    "OUT": "observer.egress.interface.name",
    "LEN": "network.bytes",
}


def parse_firewall_message(message: str, fields: dict[str, object]) -> str | None:
    """Add the fields of a kernel firewall message; ``firewall.iptables``, or ``None`` if it is not one."""
    start = message.find("IN=")
    if start < 0 or (start > 0 and message[start - 1] not in " :]"):
        return None
    head = _UPTIME.sub("", message[:start], count=1).strip()
    flags: list[str] = []
    for key, value, flag in _TOKEN.findall(message, start):
        if flag:
            flags.append(flag)
            continue
        if not value:
            continue
        fields[key] = int(value) if key in _NUMERIC and value.isdigit() else value
        target = _NORMALISED.get(key)
        if target is not None:
            fields[target] = fields[key]
    if "SRC" not in fields or "DST" not in fields:
        return None
    if flags:
        fields["FLAGS"] = flags
    proto = fields.get("PROTO")
    if isinstance(proto, str):
        fields["network.transport"] = proto.lower()
    if head:
        fields["rule.name"] = head.rstrip(":").strip()
    action = "deny" if _DENY.search(head) else "allow" if _ALLOW.search(head) else "log"
    fields["event.category"] = "network"
    fields["event.type"] = {"deny": "denied", "allow": "allowed"}.get(action, "connection")
    fields["event.action"] = action
    fields["observer.type"] = "firewall"
    fields["observer.vendor"] = "ufw" if "UFW" in head else "netfilter"
    return DATASET
