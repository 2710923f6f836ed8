"""Deadline arithmetic for notification duties: hours, days, months, business days, year ends.

Pure: a rule and the times its clock may start from go in, an aware UTC datetime comes out.
Rules count from a named start (``awareness_at``, ``materiality_determined_at``, or
``phase:initial`` for the submission of an earlier phase); a missing start gives no deadline.

* ``within``: a fixed span (72 h, 60 days) after the start.
* ``months``: calendar months after the start, clamped to the month's last day (31 Jan + 1
  month = 28/29 Feb).
* ``business_days``: the end of the n-th business day after the start's local date (weekends and
  the named holiday calendar's days skipped), at ``cutoff`` in ``timezone``; EDGAR accepts 8-K
  filings until 17:30 Eastern time.
* ``after_year_end``: a span after the end of the start's calendar year (HIPAA's annual log of
  breaches under 500 people is due 60 days after the year ends).
* ``no_later_than``: another rule whose deadline caps this one (DORA: 4 h after classification
  but no later than 24 h after awareness).
* ``timing``: ``without_undue_delay`` and ``immediately`` are legal standards, not spans; the
  rule's span is then the organisation's own target, and the text says so.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from ironwatch.core.holidays import CALENDARS, HolidayCalendar

Timing = Literal["fixed", "without_undue_delay", "immediately"]
PHASE_PREFIX = "phase:"


@dataclass(frozen=True)
class DeadlineRule:
    """How a deadline is computed from its start; exactly one of the span fields is set."""

    start: str
    within: timedelta | None = None
    months: int | None = None
    business_days: int | None = None
    after_year_end: timedelta | None = None
    calendar: str = "us-federal"
    timezone: str = "America/New_York"
    cutoff: time = time(17, 30)
    timing: Timing = "fixed"
    no_later_than: DeadlineRule | None = None

    def __post_init__(self) -> None:
        spans = [self.within, self.months, self.business_days, self.after_year_end]
        if sum(v is not None for v in spans) != 1:
            raise ValueError(
                "a deadline rule needs exactly one of within, months, business_days, after_year_end"
            )
        if self.calendar not in CALENDARS:
            raise ValueError(f"unknown holiday calendar {self.calendar!r}; use one of {', '.join(CALENDARS)}")
        ZoneInfo(self.timezone)  # raises for an unknown zone

    def starts(self) -> set[str]:
        """Every start this rule (and its cap) counts from."""
        names = {self.start}
        if self.no_later_than is not None:
            names |= self.no_later_than.starts()
        return names


def add_months(start: datetime, months: int) -> datetime:
    """``start`` plus calendar months, clamped to the last day of the target month."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def is_business_day(day: date, holidays: HolidayCalendar) -> bool:
    return day.weekday() < 5 and not holidays.is_holiday(day)


def add_business_days(day: date, count: int, holidays: HolidayCalendar) -> date:
    """The ``count``-th business day after ``day`` (``day`` itself is never counted)."""
    current = day
    remaining = count
    while remaining > 0:
        current += timedelta(days=1)
        if is_business_day(current, holidays):
            remaining -= 1
    return current


def business_day_deadline(
    start: datetime, count: int, holidays: HolidayCalendar, zone: str, cutoff: time
) -> datetime:
    """The cutoff time (local to ``zone``) on the ``count``-th business day after ``start``'s local date."""
    tz = ZoneInfo(zone)
    local_day = start.astimezone(tz).date()
    due_day = add_business_days(local_day, count, holidays)
    return datetime.combine(due_day, cutoff, tzinfo=tz).astimezone(UTC)


def compute_deadline(rule: DeadlineRule, starts: Mapping[str, datetime | None]) -> datetime | None:
    """The deadline under ``rule`` given the known start times, or None if its start is unknown.

    >>> from datetime import datetime, UTC, timedelta
    >>> aware = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    >>> compute_deadline(DeadlineRule("awareness_at", within=timedelta(hours=72)), {"awareness_at": aware})
    datetime.datetime(2026, 3, 5, 9, 0, tzinfo=datetime.timezone.utc)
    """
    start = starts.get(rule.start)
    if start is None:
        due = None
    elif rule.within is not None:
        due = start + rule.within
    elif rule.months is not None:
        due = add_months(start, rule.months)
    elif rule.business_days is not None:
        due = business_day_deadline(
            start, rule.business_days, CALENDARS[rule.calendar], rule.timezone, rule.cutoff
        )
    else:
        year_end = datetime(start.year, 12, 31, 23, 59, 59, tzinfo=UTC)
        due = year_end + (rule.after_year_end or timedelta(0))
    if rule.no_later_than is not None:
        cap = compute_deadline(rule.no_later_than, starts)
        if cap is not None:
            due = cap if due is None else min(due, cap)
    return due.astimezone(UTC) if due is not None else None


_START_NAMES = {
    "materiality_determined_at": "the materiality determination",
    "major_classified_at": "classification as major",
}


def describe_start(name: str) -> str:
    """``awareness_at`` -> ``awareness``; ``phase:initial`` -> ``the initial submission``."""
    if name.startswith(PHASE_PREFIX):
        return f"the {name[len(PHASE_PREFIX) :]} submission"
    return _START_NAMES.get(name, name.removesuffix("_at").replace("_", " "))


def _span(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds % 86400 == 0 and seconds >= 4 * 86400:
        return f"{seconds // 86400} days"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds // 60} min"


def describe_rule(rule: DeadlineRule) -> str:
    """The rule in words, e.g. ``72 h after awareness`` or ``4 business days (us-federal) after ...``."""
    if rule.within is not None:
        amount = _span(rule.within)
    elif rule.months is not None:
        amount = f"{rule.months} month" + ("s" if rule.months != 1 else "")
    elif rule.business_days is not None:
        amount = (
            f"{rule.business_days} business days ({rule.calendar}, by {rule.cutoff:%H:%M} {rule.timezone})"
        )
    else:
        amount = f"{_span(rule.after_year_end or timedelta(0))} after the end of the calendar year of"
        text = f"{amount} {describe_start(rule.start)}"
        return _with_cap(rule, text)
    text = f"{amount} after {describe_start(rule.start)}"
    if rule.timing == "without_undue_delay":
        text = f"without undue delay (target: {text})"
    elif rule.timing == "immediately":
        text = f"immediately (at the latest {text})"
    return _with_cap(rule, text)


def _with_cap(rule: DeadlineRule, text: str) -> str:
    if rule.no_later_than is None:
        return text
    return f"{text}, no later than {describe_rule(rule.no_later_than)}"
