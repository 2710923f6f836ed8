"""Holiday calendars for deadlines counted in business days.

The SEC counts "business days" as days other than Saturdays, Sundays and federal holidays
(17 CFR 240.0-3 and Form 8-K General Instruction B.1), so the 8-K clock needs the US federal
holidays of 5 U.S.C. 6103 with their *observed* dates: a holiday on a Saturday is observed on the
Friday before, one on a Sunday on the Monday after. New Year's Day on a Saturday is therefore
observed on 31 December of the year before, which is why :meth:`USFederalHolidays.is_holiday`
looks at the next year's holidays too.
"""

from __future__ import annotations

import calendar
import functools
from datetime import date, timedelta
from typing import Protocol


class HolidayCalendar(Protocol):
    """Which dates are public holidays (weekends are handled by the business-day arithmetic)."""

    name: str

    def is_holiday(self, day: date) -> bool: ...


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th ``weekday`` (0 = Monday) of a month; ``n = -1`` is the last one."""
    if n > 0:
        first = date(year, month, 1)
        offset = (weekday - first.weekday()) % 7
        return first + timedelta(days=offset + 7 * (n - 1))
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def observed(day: date) -> date:
    """Where a fixed-date federal holiday is observed: Saturday -> Friday, Sunday -> Monday."""
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


MONDAY, THURSDAY = 0, 3


@functools.cache
def us_federal_holidays(year: int) -> dict[date, str]:
    """The US federal holidays (5 U.S.C. 6103) of ``year`` on their observed dates.

    New Year's Day of ``year`` may be observed on 31 December of the year before; it is listed
    under ``year`` (its own date), so callers checking a date look at that year and the next.
    """
    days = {
        observed(date(year, 1, 1)): "New Year's Day",
        nth_weekday(year, 1, MONDAY, 3): "Birthday of Martin Luther King, Jr.",
        nth_weekday(year, 2, MONDAY, 3): "Washington's Birthday",
        nth_weekday(year, 5, MONDAY, -1): "Memorial Day",
        observed(date(year, 7, 4)): "Independence Day",
        nth_weekday(year, 9, MONDAY, 1): "Labor Day",
        nth_weekday(year, 10, MONDAY, 2): "Columbus Day",
        observed(date(year, 11, 11)): "Veterans Day",
        nth_weekday(year, 11, THURSDAY, 4): "Thanksgiving Day",
        observed(date(year, 12, 25)): "Christmas Day",
    }
    if year >= 2021:  # Juneteenth National Independence Day Act, 17 June 2021
        days[observed(date(year, 6, 19))] = "Juneteenth National Independence Day"
    return days


class USFederalHolidays:
    """The US federal holiday calendar, observed dates included."""

    name = "us-federal"

    def is_holiday(self, day: date) -> bool:
        return day in us_federal_holidays(day.year) or day in us_federal_holidays(day.year + 1)

    def holiday_name(self, day: date) -> str | None:
        return us_federal_holidays(day.year).get(day) or us_federal_holidays(day.year + 1).get(day)


class NoHolidays:
    """Weekends only: for business-day rules whose jurisdiction's holidays are not modelled."""

    name = "weekends-only"

    def is_holiday(self, day: date) -> bool:
        del day
        return False


CALENDARS: dict[str, HolidayCalendar] = {"us-federal": USFederalHolidays(), "weekends-only": NoHolidays()}
"""The holiday calendars a deadline rule may name."""
