"""Deadline arithmetic: spans, months, US federal business days, year ends, caps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ironwatch.core.deadlines import DeadlineRule, add_months, compute_deadline, describe_rule
from ironwatch.core.holidays import USFederalHolidays, us_federal_holidays

EIGHT_K = DeadlineRule("materiality_determined_at", business_days=4)


def _due(determined: datetime) -> datetime | None:
    return compute_deadline(EIGHT_K, {"materiality_determined_at": determined})


def test_observed_holidays_move_off_weekends() -> None:
    holidays = USFederalHolidays()
    assert holidays.is_holiday(date(2027, 12, 24))  # Christmas 2027 is a Saturday
    assert holidays.is_holiday(date(2022, 12, 26))  # Christmas 2022 is a Sunday
    assert holidays.is_holiday(date(2027, 12, 31))  # New Year's Day 2028 is a Saturday
    assert holidays.is_holiday(date(2027, 6, 18))  # Juneteenth 2027 is a Saturday
    assert not holidays.is_holiday(date(2020, 6, 19))  # before the 2021 Act
    assert us_federal_holidays(2026)[date(2026, 11, 26)] == "Thanksgiving Day"
    assert holidays.holiday_name(date(2026, 5, 25)) == "Memorial Day"
    assert len(us_federal_holidays(2026)) == 11


def test_8k_four_business_days_skip_a_weekend() -> None:
    # Friday 6 March 2026, 16:00 New York; due Thursday 12 March 17:30 EDT (DST began 8 March)
    assert _due(datetime(2026, 3, 6, 21, 0, tzinfo=UTC)) == datetime(2026, 3, 12, 21, 30, tzinfo=UTC)


def test_8k_counts_from_the_new_york_date_not_the_utc_date() -> None:
    # 03:00 UTC on 3 March is still 2 March in New York: due Friday 6 March 17:30 EST
    assert _due(datetime(2026, 3, 3, 3, 0, tzinfo=UTC)) == datetime(2026, 3, 6, 22, 30, tzinfo=UTC)


def test_8k_across_thanksgiving() -> None:
    # Tuesday 24 Nov 2026: Wed (1), Thanksgiving, Fri (2), Mon (3), Tue 1 Dec (4)
    assert _due(datetime(2026, 11, 24, 15, 0, tzinfo=UTC)) == datetime(2026, 12, 1, 22, 30, tzinfo=UTC)


def test_8k_across_juneteenth() -> None:
    # Tuesday 16 June 2026: Wed (1), Thu (2), Juneteenth Fri, Mon (3), Tue 23 June (4)
    assert _due(datetime(2026, 6, 16, 14, 0, tzinfo=UTC)) == datetime(2026, 6, 23, 21, 30, tzinfo=UTC)


def test_8k_across_christmas_on_a_saturday_and_new_year_observed_on_31_december() -> None:
    # Wed 22 Dec 2027: Thu 23 (1), Fri 24 observed Christmas, Mon 27 (2), Tue 28 (3), Wed 29 (4)
    assert _due(datetime(2027, 12, 22, 15, 0, tzinfo=UTC)) == datetime(2027, 12, 29, 22, 30, tzinfo=UTC)
    # Wed 29 Dec 2027: Thu 30 (1), Fri 31 observed New Year, Mon 3 Jan (2), Tue 4 (3), Wed 5 Jan (4)
    assert _due(datetime(2027, 12, 29, 15, 0, tzinfo=UTC)) == datetime(2028, 1, 5, 22, 30, tzinfo=UTC)


def test_determination_on_a_holiday_counts_from_the_next_business_day() -> None:
    # Thanksgiving itself: Fri 27 (1), Mon 30 (2), Tue 1 (3), Wed 2 Dec (4)
    assert _due(datetime(2026, 11, 26, 15, 0, tzinfo=UTC)) == datetime(2026, 12, 2, 22, 30, tzinfo=UTC)


def test_spans_months_and_missing_starts() -> None:
    aware = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
    assert compute_deadline(
        DeadlineRule("awareness_at", within=timedelta(hours=72)), {"awareness_at": aware}
    ) == (aware + timedelta(hours=72))
    assert add_months(aware, 1) == datetime(2026, 2, 28, 10, 0, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 30, tzinfo=UTC), 3) == datetime(2027, 2, 28, tzinfo=UTC)
    assert compute_deadline(DeadlineRule("awareness_at", months=1), {}) is None


def test_hipaa_annual_log_is_due_60_days_after_the_year_ends() -> None:
    rule = DeadlineRule("discovery_at", after_year_end=timedelta(days=60))
    due = compute_deadline(rule, {"discovery_at": datetime(2026, 5, 4, tzinfo=UTC)})
    assert due == datetime(2027, 3, 1, 23, 59, 59, tzinfo=UTC)


def test_dora_initial_report_is_capped_by_awareness() -> None:
    rule = DeadlineRule(
        "major_classified_at",
        within=timedelta(hours=4),
        no_later_than=DeadlineRule("awareness_at", within=timedelta(hours=24)),
    )
    aware = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    early = {"awareness_at": aware, "major_classified_at": aware + timedelta(hours=2)}
    late = {"awareness_at": aware, "major_classified_at": aware + timedelta(hours=22)}
    assert compute_deadline(rule, early) == aware + timedelta(hours=6)
    assert compute_deadline(rule, late) == aware + timedelta(hours=24)
    assert compute_deadline(rule, {"awareness_at": aware}) == aware + timedelta(hours=24)
    assert "no later than 24 h after awareness" in describe_rule(rule)


def test_rules_describe_themselves() -> None:
    assert describe_rule(EIGHT_K).startswith("4 business days (us-federal")
    undue = DeadlineRule("awareness_at", within=timedelta(hours=72), timing="without_undue_delay")
    assert describe_rule(undue) == "without undue delay (target: 72 h after awareness)"
    assert (
        describe_rule(DeadlineRule("phase:notification", months=1))
        == "1 month after the notification submission"
    )


def test_a_rule_needs_exactly_one_span() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        DeadlineRule("awareness_at")
    with pytest.raises(ValueError, match="calendar"):
        DeadlineRule("awareness_at", business_days=2, calendar="mars")
