"""Timestamps as logs write them, turned into aware UTC datetimes.

Functions raise ``ValueError`` with a readable reason for impossible values; parsers catch it, fall back
to the receive time and record the reason in ``Event.notes``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

MONTHS = {
    "Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6,
    "Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}  # fmt: skip

_EPOCH_MAX = 253402300799  # 9999-12-31T23:59:59Z


def parse_iso(text: str, tz: tzinfo) -> datetime:
    """An ISO 8601 / RFC 3339 time; a value without a zone is read in ``tz``.

    >>> parse_iso("2024-01-05T10:00:00.5+01:00", UTC).isoformat()
    '2024-01-05T09:00:00.500000+00:00'
    """
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"timestamp {text[:64]!r} is not a valid ISO 8601 time: {exc}") from None
    if value.tzinfo is UTC:  # "...Z": already what we want (skips astimezone on the hot path)
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"timestamp {text[:64]!r} is out of range") from None


def from_epoch(value: float | int | str) -> datetime:
    """Seconds since 1970 (an int, float or numeric string, as Zeek and Suricata write them)."""
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"timestamp {str(value)[:64]!r} is not a number of seconds since 1970") from None
    if not 0 <= seconds <= _EPOCH_MAX:
        raise ValueError(f"timestamp {seconds!r} seconds since 1970 is out of range")
    return datetime.fromtimestamp(seconds, UTC)


def from_epoch_millis(value: float | int | str) -> datetime:
    """Milliseconds since 1970 (CEF ``rt``, many JSON shippers)."""
    try:
        millis = float(value)
    except ValueError:
        raise ValueError(f"timestamp {str(value)[:64]!r} is not a number of milliseconds") from None
    return from_epoch(millis / 1000.0)


#: how far in the future of its receipt a year-less RFC 3164 time may lie (senders' clocks run fast)
RFC3164_FUTURE_SLACK = timedelta(days=2)


def rfc3164_time(
    month: str, day: int, hour: int, minute: int, second: int, *, received_at: datetime, tz: tzinfo
) -> datetime:
    """An RFC 3164 ``Mmm dd hh:mm:ss`` time, which has no year and no zone.

    The zone is the source's configured ``tz``. Logs describe the past, so the year is the latest one
    that does not put the time more than :data:`RFC3164_FUTURE_SLACK` after receipt (clock skew): a
    ``Dec 31`` line received on 1 January belongs to the previous year, a ``Jan 5`` line imported in
    November to the current one, and ``Feb 29`` to the last leap year.
    """
    number = MONTHS.get(month)
    if number is None:
        raise ValueError(f"month {month!r} is not an RFC 3164 month abbreviation (Jan..Dec)")
    local_year = received_at.astimezone(tz).year
    latest = received_at + RFC3164_FUTURE_SLACK
    reason = ""
    for year in range(local_year + 1, local_year - 8, -1):
        try:
            candidate = datetime(year, number, day, hour, minute, second, tzinfo=tz).astimezone(UTC)
        except ValueError as exc:
            reason = str(exc)
            continue
        if candidate <= latest:
            return candidate
    raise ValueError(f"timestamp {month} {day} {hour:02d}:{minute:02d}:{second:02d} is impossible: {reason}")
