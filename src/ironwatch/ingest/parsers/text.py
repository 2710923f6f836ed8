"""Plain text: the fallback that never fails. The line becomes ``message``; nothing is guessed."""

from __future__ import annotations

from datetime import datetime

from ironwatch.ingest.event import Event
from ironwatch.ingest.parsers.base import ParseContext, new_event

DATASET = "text"


class TextParser:
    """Any line, kept whole as ``message`` with no timestamp of its own."""

    name = DATASET

    def can_parse(self, sample: str) -> bool:
        """Always true: every line is text."""
        return True

    def parse(self, line: str, *, received_at: datetime, context: ParseContext) -> Event:
        """The line as a ``text`` event."""
        return new_event(
            context=context,
            dataset=DATASET,
            fields={"message": line},
            original=line,
            received_at=received_at,
            timestamp=None,
        )
