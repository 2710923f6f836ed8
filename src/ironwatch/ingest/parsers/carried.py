"""Formats that usually arrive inside syslog but also appear bare in files (auth, kernel firewall, ClamAV).

A line with a syslog header goes through the syslog parser (which recognises the body, or keeps it as
plain ``syslog`` when it is some other program's line); a bare line must be this format's body.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

from ironwatch.ingest.event import Event
from ironwatch.ingest.parsers.base import ParseContext, ParseError, Parser, new_event
from ironwatch.ingest.parsers.syslog import SyslogParser

Interpreter = Callable[[str, dict[str, object]], str | None]
TimeReader = Callable[[str, tzinfo], datetime | None]


def _no_time(line: str, tz: tzinfo) -> datetime | None:
    return None


class SyslogCarriedParser:
    """A body format (``interpret`` adds its fields) accepted with or without a syslog header."""

    def __init__(
        self,
        name: str,
        interpret: Interpreter,
        *,
        looks_like: Callable[[str], bool],
        expected: str,
        timestamp_of: TimeReader = _no_time,
        bare: Parser | None = None,
    ) -> None:
        self.name = name
        self._bare = bare
        self._timestamp_of = timestamp_of
        self._interpret = interpret
        self._looks_like = looks_like
        self._expected = expected
        self._syslog = SyslogParser(name)

    def can_parse(self, sample: str) -> bool:
        """Whether ``sample`` contains this format's body, with or without a syslog header."""
        return self._looks_like(sample)

    def parse(self, line: str, *, received_at: datetime, context: ParseContext) -> Event | None:
        """A syslog line (any program) or a bare body line of this format."""
        if self._syslog.can_parse(line):
            return self._syslog.parse(line, received_at=received_at, context=context)
        if self._bare is not None:
            return self._bare.parse(line, received_at=received_at, context=context)
        fields: dict[str, object] = {"message": line}
        dataset = self._interpret(line, fields)
        if dataset is None:
            raise ParseError(f"not a {self.name} line: expected {self._expected}")
        return new_event(
            context=context,
            dataset=dataset,
            fields=fields,
            original=line,
            received_at=received_at,
            timestamp=self._timestamp_of(line, context.tz),
        )
