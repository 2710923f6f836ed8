"""Antivirus detections: ClamAV (clamscan, clamd log and syslog lines) and a generic detection line.

The generic line is ``key=value`` pairs (values with spaces in double quotes) and needs ``threat`` and
``path``; ``action``, ``vendor``, ``product``, ``host``, ``user``, ``sha256`` and ``time`` are optional::

    time=2024-01-05T10:00:00Z vendor=Sophos threat="Mal/Generic-S" path="C:\\Temp\\x.exe" action=quarantined

Windows Defender 1116/1117 arrive as Windows events (EVTX or JSON), not here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from ironwatch.ingest.parsers.timestamps import parse_iso

CLAMAV = "antivirus.clamav"
GENERIC = "antivirus.generic"
CLAMAV_PROGRAMS = frozenset({"clamd", "clamav", "clamscan", "clamdscan", "clamonacc", "clamav-daemon"})

_CLAMD_TIME = r"[A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2} \d{4}"
_CLAMAV = re.compile(
    rf"(?:(?P<time>{_CLAMD_TIME}) -> )?(?:ScanOnAccess: |OnAccess: )?(?P<path>.+): "
    r"(?:(?P<sig>\S+?)(?:\((?P<hash>[0-9a-fA-F]{32,64}):(?P<size>\d+)\))? (?P<found>FOUND)|(?P<ok>OK)"
    r"|(?P<error>.*?) ERROR)"
)
_PAIR = re.compile(r'([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|\S*)')
_UNESCAPE = re.compile(r"\\(.)")
_GENERIC_KEYS = {
    "threat": "rule.name",
    "path": "file.path",
    "file": "file.path",
    "action": "event.action",
    "vendor": "observer.vendor",
    "product": "observer.product",
    "host": "host.name",
    "user": "user.name",
    "sha256": "file.hash.sha256",
}


def parse_clamav_message(message: str, fields: dict[str, object]) -> str | None:
    """Add the fields of a ClamAV result line; ``antivirus.clamav`` or ``None`` if it is not one."""
    match = _CLAMAV.fullmatch(message)
    if match is None:
        return None
    fields["file.path"] = match.group("path")
    fields["observer.vendor"] = "ClamAV"
    fields["observer.product"] = "ClamAV"
    if match.group("found"):
        fields["rule.name"] = match.group("sig")
        fields["event.category"] = "malware"
        fields["event.type"] = "info"
        fields["event.action"] = "malware_detected"
        fields["event.outcome"] = "success"
        if match.group("hash"):
            fields["file.hash.md5" if len(match.group("hash")) == 32 else "file.hash.sha256"] = match.group(
                "hash"
            )
            fields["file.size"] = int(match.group("size"))
    elif match.group("ok"):
        fields["event.category"] = "file"
        fields["event.action"] = "scanned_clean"
        fields["event.outcome"] = "success"
    else:
        fields["event.category"] = "file"
        fields["event.action"] = "scan_error"
        fields["event.outcome"] = "failure"
        fields["error.message"] = match.group("error")
    return CLAMAV


def clamav_time(line: str, tz: tzinfo) -> datetime | None:
    """The time at the start of a ``clamd.log`` line (``Fri Jan  5 10:00:00 2024 -> ...``), read in ``tz``."""
    match = _CLAMAV.fullmatch(line)
    if match is None or not match.group("time"):
        return None
    try:
        local = datetime.strptime(match.group("time"), "%a %b %d %H:%M:%S %Y")
        return local.replace(tzinfo=tz).astimezone(UTC)
    except ValueError:
        return None


def _pairs(line: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for match in _PAIR.finditer(line):
        value = match.group(2)
        if value.startswith('"'):
            value = _UNESCAPE.sub(r"\1", value[1:-1])
        pairs[match.group(1)] = value
    return pairs


def parse_generic_message(message: str, fields: dict[str, object]) -> str | None:
    """Add the fields of a generic ``threat=... path=...`` line; ``antivirus.generic`` or ``None``."""
    if "threat=" not in message:
        return None
    pairs = _pairs(message)
    if "threat" not in pairs or not ("path" in pairs or "file" in pairs):
        return None
    for key, value in pairs.items():
        fields[f"antivirus.{key}"] = value
        target = _GENERIC_KEYS.get(key)
        if target is not None:
            fields[target] = value
    fields["event.category"] = "malware"
    fields["event.type"] = "info"
    fields.setdefault("event.action", "malware_detected")
    return GENERIC


def generic_time(line: str, tz: tzinfo) -> datetime | None:
    """The ``time=`` value of a generic detection line, or ``None``."""
    value = _pairs(line).get("time")
    if not value:
        return None
    try:
        return parse_iso(value, tz)
    except ValueError:
        return None
