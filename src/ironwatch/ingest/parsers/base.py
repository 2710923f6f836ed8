"""What every parser shares: the Protocol, the per-stream context, limits and the parse error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Protocol

from ironwatch.core.errors import ValidationError
from ironwatch.core.ids import new_id
from ironwatch.ingest.event import Event

KIB = 1024
MIB = 1024 * KIB


class ParseError(ValidationError):
    """A line or record that a parser cannot turn into an event; ``reason`` says what is wrong with it."""

    title = "Unparseable log record"

    def __init__(self, reason: str, *, hint: str | None = None) -> None:
        super().__init__(reason, hint=hint)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Bounds that keep hostile input from exhausting memory or CPU."""

    max_line_bytes: int = MIB
    max_failure_raw_bytes: int = 64 * KIB
    max_json_depth: int = 32
    max_json_fields: int = 10_000

    def __post_init__(self) -> None:
        for name in ("max_line_bytes", "max_failure_raw_bytes", "max_json_depth", "max_json_fields"):
            if getattr(self, name) < 1:
                raise ValidationError(f"parse limit {name} must be at least 1, got {getattr(self, name)}")


DEFAULT_LIMITS = ParseLimits()


@dataclass(frozen=True, slots=True)
class ParseContext:
    """Per-source settings a parser needs: who sent it, which zone its zone-less times are in, limits."""

    source: str = ""
    tz: tzinfo = UTC
    limits: ParseLimits = DEFAULT_LIMITS
    id_factory: Callable[[], str] = field(default=new_id)


DEFAULT_CONTEXT = ParseContext()


class Parser(Protocol):
    """A log format. ``parse`` returns ``None`` for a line that carries no event (a Zeek header)."""

    name: str

    def can_parse(self, sample: str) -> bool:
        """Whether ``sample`` (one line) looks like this format; used by format auto-detection."""
        ...

    def parse(self, line: str, *, received_at: datetime, context: ParseContext) -> Event | None:
        """One line as an event; raises ``ParseError`` with the reason when it cannot."""
        ...


def new_event(
    *,
    context: ParseContext,
    dataset: str,
    fields: dict[str, object],
    original: str,
    received_at: datetime,
    timestamp: datetime | None,
    notes: tuple[str, ...] = (),
) -> Event:
    """Build an event, stamping ``event.dataset`` into the fields."""
    fields["event.dataset"] = dataset
    return Event(
        id=context.id_factory(),
        timestamp=timestamp,
        received_at=received_at,
        dataset=dataset,
        fields=fields,
        original=original,
        source=context.source,
        notes=notes,
    )
