"""SLA arithmetic: when a target falls due, around the clock or counting business hours only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ironwatch.core.clock import ensure_utc

#: a target longer than this many calendar days of business time is refused as a mistake
MAX_DAYS = 3660
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class WorkingTime:
    """Business hours: working weekdays (0 = Monday), daily start and end, zone, holidays."""

    weekdays: frozenset[int]
    start: time
    end: time
    timezone: str
    holidays: frozenset[date] = frozenset()

    @classmethod
    def of(
        cls, days: tuple[str, ...], start: time, end: time, timezone: str, holidays: tuple[date, ...] = ()
    ) -> WorkingTime:
        """From day names (``mon``...), as the plan writes them."""
        return cls(frozenset(WEEKDAYS.index(d) for d in days), start, end, timezone, frozenset(holidays))


def due_at(start: datetime, target: timedelta, working: WorkingTime | None = None) -> datetime:
    """When ``target`` has elapsed from ``start``: wall-clock time, or only ``working`` time if given.

    >>> from datetime import UTC
    >>> hours = WorkingTime.of(("mon", "tue", "wed", "thu", "fri"), time(9), time(17), "UTC")
    >>> due_at(datetime(2026, 3, 6, 16, 0, tzinfo=UTC), timedelta(hours=2), hours).isoformat()
    '2026-03-09T10:00:00+00:00'
    """
    start = ensure_utc(start)
    if working is None:
        return start + target
    zone = ZoneInfo(working.timezone)
    remaining = target
    day = start.astimezone(zone).date()
    for _ in range(MAX_DAYS):
        if day.weekday() in working.weekdays and day not in working.holidays:
            opens = datetime.combine(day, working.start, tzinfo=zone).astimezone(UTC)
            closes = datetime.combine(day, working.end, tzinfo=zone).astimezone(UTC)
            begin = max(start, opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += timedelta(days=1)
    raise ValueError(f"a target of {target} does not fit in {MAX_DAYS} days of business hours")
