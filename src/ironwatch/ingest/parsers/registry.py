"""Parsers by name, and format auto-detection from a sample of lines."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from ironwatch.core.errors import ValidationError
from ironwatch.ingest.event import Event
from ironwatch.ingest.parsers import antivirus, kernel_firewall
from ironwatch.ingest.parsers.base import DEFAULT_LIMITS, ParseContext, ParseError, Parser
from ironwatch.ingest.parsers.carried import SyslogCarriedParser
from ironwatch.ingest.parsers.cef import CefParser
from ironwatch.ingest.parsers.decoding import decode_line, looks_binary
from ironwatch.ingest.parsers.json_safe import load_json_object
from ironwatch.ingest.parsers.jsonlines import JsonLinesParser, classify_document
from ironwatch.ingest.parsers.syslog import SyslogParser, parse_syslog
from ironwatch.ingest.parsers.text import TextParser
from ironwatch.ingest.parsers.windows_evtx import MAGIC
from ironwatch.ingest.parsers.zeek import ZeekTsvParser

EVTX = "windows.evtx"
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_DETECT_CONTEXT = ParseContext(source="detect", id_factory=lambda: "")
_SYSLOG_CARRIED = frozenset(
    {"linux.auth", "firewall.iptables", "antivirus.clamav", "antivirus.generic", "cef"}
)


class ZeekParser:
    """Zeek logs in either encoding: TSV with its header, or one JSON object per line."""

    name = "zeek"

    def __init__(self, path: str = "") -> None:
        self._tsv = ZeekTsvParser(path)
        self._json = JsonLinesParser("zeek", kind="zeek", zeek_path=path)

    def can_parse(self, sample: str) -> bool:
        """Whether ``sample`` opens a Zeek TSV log or is a Zeek JSON record."""
        return self._tsv.can_parse(sample) or self._json.can_parse(sample)

    def parse(self, line: str, *, received_at: datetime, context: ParseContext) -> Event | None:
        """A Zeek row (TSV or JSON) as an event; TSV header lines return ``None``."""
        if line.startswith("{"):
            return self._json.parse(line, received_at=received_at, context=context)
        return self._tsv.parse(line, received_at=received_at, context=context)


def _firewall_body(line: str) -> bool:
    return "IN=" in line and " SRC=" in line and " DST=" in line


def _clamav_body(line: str) -> bool:
    return line.endswith((" FOUND", ": OK")) or " clamd[" in line


def _generic_av_body(line: str) -> bool:
    return antivirus.parse_generic_message(line, {}) is not None


_FACTORIES: dict[str, Callable[[str], Parser]] = {
    "syslog": lambda path: SyslogParser(),
    "linux.auth": lambda path: SyslogParser("linux.auth"),
    "firewall.iptables": lambda path: SyslogCarriedParser(
        "firewall.iptables",
        kernel_firewall.parse_firewall_message,
        looks_like=_firewall_body,
        expected="'IN=... SRC=... DST=...' key=value pairs",
    ),
    "antivirus.clamav": lambda path: SyslogCarriedParser(
        "antivirus.clamav",
        antivirus.parse_clamav_message,
        looks_like=_clamav_body,
        expected="'/path: Signature FOUND' (or ': OK', ': ... ERROR')",
        timestamp_of=antivirus.clamav_time,
    ),
    "antivirus.generic": lambda path: SyslogCarriedParser(
        "antivirus.generic",
        antivirus.parse_generic_message,
        looks_like=_generic_av_body,
        expected="key=value pairs with at least threat= and path=",
        timestamp_of=antivirus.generic_time,
    ),
    "cef": lambda path: SyslogCarriedParser(
        "cef", lambda line, fields: None, looks_like=CefParser().can_parse, expected="CEF", bare=CefParser()
    ),
    "suricata.eve": lambda path: JsonLinesParser("suricata.eve", kind="suricata.eve"),
    "zeek": ZeekParser,
    "windows.json": lambda path: JsonLinesParser("windows.json", kind="windows.json"),
    "json": lambda path: JsonLinesParser(),
    "text": lambda path: TextParser(),
}
FORMATS: tuple[str, ...] = (*_FACTORIES, EVTX)


def parser_for(name: str, *, zeek_path: str = "") -> Parser:
    """A fresh parser for format ``name`` (stateful formats such as Zeek TSV need one per stream).

    ``windows.evtx`` is a binary file format: read it with :func:`read_evtx` instead.
    """
    factory = _FACTORIES.get(name)
    if factory is None:
        if name == EVTX:
            raise ValidationError(
                "windows.evtx is a file format, not a line format", hint="use read_evtx(path)"
            )
        raise ValidationError(
            f"unknown log format {name!r}", hint=f"choose one of: auto, {', '.join(FORMATS)}"
        )
    return factory(zeek_path)


def _line_format(line: str) -> str | None:
    if not line.strip():
        return None
    if line.startswith(("#separator", "#fields")):
        return "zeek"
    if line.startswith("{"):
        try:
            return classify_document(load_json_object(line, DEFAULT_LIMITS))
        except ParseError:
            return "text"
    if line.startswith("CEF:"):
        return "cef"
    if SyslogParser().can_parse(line):
        try:
            event = parse_syslog(line, received_at=_EPOCH, context=_DETECT_CONTEXT)
        except ParseError:
            return "syslog"
        return event.dataset if event.dataset in _SYSLOG_CARRIED else "syslog"
    for name in ("firewall.iptables", "antivirus.clamav", "antivirus.generic"):
        try:
            if parser_for(name).parse(line, received_at=_EPOCH, context=_DETECT_CONTEXT) is not None:
                return name
        except ParseError:
            continue
    return "text"


def detect_format(sample_lines: Sequence[str | bytes]) -> str:
    """The format name most of ``sample_lines`` look like (for ``--format auto``); ``text`` if none.

    >>> detect_format(["<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8"])
    'syslog'
    """
    votes: Counter[str] = Counter()
    for item in sample_lines:
        if isinstance(item, bytes):
            if item.startswith(MAGIC):
                return EVTX
            if looks_binary(item):
                continue
            item = decode_line(item).text
        found = _line_format(item.rstrip("\r\n"))
        if found == "zeek" and item.startswith("#"):
            return "zeek"
        if found is not None:
            votes[found] += 1
    if not votes:
        return "text"
    return votes.most_common(1)[0][0]
