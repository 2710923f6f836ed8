"""RFC 3164 and RFC 5424 syslog, with the message body handed to a specialised parser when one fits.

Auth logs, kernel firewall lines, ClamAV, CEF and JSON bodies (Suricata EVE) arrive inside syslog over the
network; :func:`interpret_message` recognises them by program name and content, so the event's dataset is
the specific one (``linux.auth``) while the syslog header fields stay.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from ironwatch.ingest.event import Event
from ironwatch.ingest.parsers import antivirus, cef, jsonlines, kernel_firewall, linux_auth
from ironwatch.ingest.parsers.base import ParseContext, ParseError, new_event
from ironwatch.ingest.parsers.timestamps import parse_iso, rfc3164_time

FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)  # fmt: skip
SEVERITIES = ("emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug")

_RFC5424 = re.compile(
    r"<(?P<pri>\d{1,3})>(?P<ver>\d{1,2}) (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) "
    r"(?P<procid>\S+) (?P<msgid>\S+) ?",
)
_RFC3164 = re.compile(
    r"(?:<(?P<pri>\d{1,3})>)?"
    r"(?P<stamp>(?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2})"
    r"(?:\.\d{1,9})?"
    r"|(?P<iso>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}\S*)) +"
    r"(?:(?P<tag0>[^\s:\[\]]{1,64})(?:\[(?P<pid0>[^\]\s]{0,32})\])?: ?"
    r"|(?P<host>[^\s\[\]]+) +(?:(?P<tag>[^\s:\[\]]{1,64})(?:\[(?P<pid>[^\]\s]{0,32})\])?: ?)?)?"
    r"(?P<msg>.*)",
    re.S,
)
_SD_ELEMENT = re.compile(r'\[([^\s\]="]{1,32})((?:\s+[^\s\]="]{1,32}="(?:[^"\\]|\\.)*")*)\s*\]', re.S)
_SD_PARAM = re.compile(r'([^\s\]="]{1,32})="((?:[^"\\]|\\.)*)"', re.S)
_SD_UNESCAPE = re.compile(r"\\([\"\\\]])")
_BOM = "\ufeff"
_PRI_TABLE = tuple(
    {
        "log.syslog.priority": value,
        "log.syslog.facility.code": value // 8,
        "log.syslog.facility.name": FACILITIES[value // 8],
        "log.syslog.severity.code": value % 8,
        "log.syslog.severity.name": SEVERITIES[value % 8],
    }
    for value in range(192)
)


class SyslogParser:
    """RFC 5424 and RFC 3164 (BSD) syslog lines, with or without ``<PRI>``, and rsyslog's ISO variant."""

    def __init__(self, name: str = "syslog") -> None:
        self.name = name

    def can_parse(self, sample: str) -> bool:
        """Whether ``sample`` has a syslog header."""
        return bool(_RFC5424.match(sample)) or _has_header(sample)

    def parse(self, line: str, *, received_at: datetime, context: ParseContext) -> Event:
        """A syslog line as an event; ``ParseError`` when the line has no syslog header at all."""
        return parse_syslog(line, received_at=received_at, context=context)


def _has_header(line: str) -> bool:
    match = _RFC3164.match(line)
    return bool(match and (match.group("pri") or match.group("mon") or match.group("iso")))


def parse_syslog(line: str, *, received_at: datetime, context: ParseContext) -> Event:
    """Parse one syslog line (either RFC) into an event, dispatching its message body."""
    if line.startswith("<"):
        match5424 = _RFC5424.match(line)
        if match5424 is not None and match5424.group("ver") != "0":
            return _parse_5424(line, match5424, received_at=received_at, context=context)
    match = _RFC3164.match(line)
    if match is None or not (match.group("mon") or match.group("iso")):
        if match is not None and match.group("pri"):
            return _parse_pri_only(line, match.group("pri"), received_at=received_at, context=context)
        raise ParseError(
            "not a syslog line: expected '<PRI>' or a 'Mmm dd hh:mm:ss' / ISO timestamp at the start",
            hint="choose the matching --format for this source, or 'text'",
        )
    pri, stamp, mon, day, hour, minute, second, iso, tag0, pid0, host, tag, pid, message = match.groups()
    fields: dict[str, object] = _pri_fields(pri) if pri is not None else {}
    notes: tuple[str, ...] = ()
    timestamp = _stamp_time(stamp, iso, (mon, day, hour, minute, second), received_at, context.tz)
    if isinstance(timestamp, str):
        notes = (f"timestamp replaced by receive time: {timestamp}",)
        timestamp = received_at
    if host:
        fields["host.name"] = host
    program = tag or tag0 or ""
    if program == "CEF":  # "host CEF:0|..." reads like a program named CEF; it is the CEF header
        program, message = "", "CEF:" + message
    if program:
        fields["process.name"] = program
        pid = pid or pid0
        if pid:
            fields["process.pid"] = int(pid) if pid.isdigit() else pid
    fields["message"] = message
    dataset = interpret_message(program, message, fields) or "syslog"
    return new_event(
        context=context,
        dataset=dataset,
        fields=fields,
        original=line,
        received_at=received_at,
        timestamp=timestamp,
        notes=notes,
    )


_TIME_CACHE: dict[tuple[str, tzinfo, int], datetime | str] = {}
_TIME_CACHE_SIZE = 4096


def _stamp_time(
    stamp: str, iso: str | None, parts: tuple[str, ...], received_at: datetime, tz: tzinfo
) -> datetime | str:
    """The header time, or the reason it is impossible. Cached: a busy source repeats the same second."""
    key = (stamp, tz, received_at.toordinal())
    cached = _TIME_CACHE.get(key)
    if cached is not None:
        return cached
    result: datetime | str
    try:
        if iso:
            result = parse_iso(iso, tz)
        else:
            mon, day, hour, minute, second = parts
            result = rfc3164_time(
                mon, int(day), int(hour), int(minute), int(second), received_at=received_at, tz=tz
            )
    except ValueError as exc:
        result = str(exc)
    if len(_TIME_CACHE) >= _TIME_CACHE_SIZE:
        _TIME_CACHE.clear()
    _TIME_CACHE[key] = result
    return result


def _pri_fields(pri: str) -> dict[str, object]:
    value = int(pri)
    if value > 191:
        raise ParseError(f"syslog PRI <{pri}> is out of range; it must be 0..191 (facility*8 + severity)")
    return dict(_PRI_TABLE[value])


def _set_pri(fields: dict[str, object], pri: str) -> None:
    fields.update(_pri_fields(pri))


def _parse_pri_only(line: str, pri: str, *, received_at: datetime, context: ParseContext) -> Event:
    """``<PRI>`` followed by anything: some devices send no timestamp or host. Keep the body."""
    fields: dict[str, object] = {}
    _set_pri(fields, pri)
    message = line[len(pri) + 2 :]
    fields["message"] = message
    dataset = interpret_message("", message, fields) or "syslog"
    return new_event(
        context=context,
        dataset=dataset,
        fields=fields,
        original=line,
        received_at=received_at,
        timestamp=received_at,
        notes=("no syslog timestamp: receive time used",),
    )


def _parse_5424(line: str, match: re.Match[str], *, received_at: datetime, context: ParseContext) -> Event:
    pri, version, ts, host, app, procid, msgid = match.groups()  # one call, not one per group
    fields = _pri_fields(pri)
    fields["log.syslog.version"] = int(version)
    notes: list[str] = []
    timestamp: datetime | None = None
    if ts != "-":
        try:
            timestamp = parse_iso(ts, context.tz)
        except ValueError as exc:
            timestamp = received_at
            notes.append(f"timestamp replaced by receive time: {exc}")
    if host != "-":
        fields["host.name"] = host
    if app != "-":
        fields["process.name"] = app
    if msgid != "-":
        fields["log.syslog.msgid"] = msgid
    if procid != "-":
        fields["process.pid"] = int(procid) if procid.isdigit() else procid
    rest = line[match.end() :]
    if rest.startswith("-"):
        rest = rest[2:] if rest.startswith("- ") else rest[1:]
    elif rest.startswith("["):
        position = 0
        while True:
            element = _SD_ELEMENT.match(rest, position)
            if element is None:
                break
            sd_id = element.group(1)
            fields.setdefault(f"log.syslog.structured_data.{sd_id}", True)
            for param in _SD_PARAM.finditer(element.group(2)):
                value = _SD_UNESCAPE.sub(r"\1", param.group(2))
                fields[f"log.syslog.structured_data.{sd_id}.{param.group(1)}"] = value
            position = element.end()
        if position == 0:
            raise ParseError("RFC 5424 structured data is malformed: expected '[id param=\"value\"]' or '-'")
        rest = rest[position:]
        if rest.startswith(" "):
            rest = rest[1:]
    if rest.startswith(_BOM):
        rest = rest[1:]
    fields["message"] = rest
    dataset = interpret_message(app if app != "-" else "", rest, fields) or "syslog"
    return new_event(
        context=context,
        dataset=dataset,
        fields=fields,
        original=line,
        received_at=received_at,
        timestamp=timestamp,
        notes=tuple(notes),
    )


def interpret_message(program: str, message: str, fields: dict[str, object]) -> str | None:
    """Recognise a syslog message body and add its fields; returns the dataset, or ``None`` if generic."""
    if program in linux_auth.PROGRAMS:
        dataset = linux_auth.parse_auth_message(program, message, fields)
        if dataset is not None:
            return dataset
    if "SRC=" in message and "DST=" in message:
        dataset = kernel_firewall.parse_firewall_message(message, fields)
        if dataset is not None:
            return dataset
    if program in antivirus.CLAMAV_PROGRAMS or message.endswith(" FOUND"):
        dataset = antivirus.parse_clamav_message(message, fields)
        if dataset is not None:
            return dataset
    if message.startswith("CEF:"):
        try:
            return cef.parse_cef_message(message, fields)
        except ParseError:
            return None
    if message.startswith("{"):
        return jsonlines.interpret_json_body(message, fields)
    if "threat=" in message:
        return antivirus.parse_generic_message(message, fields)
    return None
