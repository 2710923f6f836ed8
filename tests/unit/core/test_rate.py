from datetime import timedelta

import pytest

from ironwatch.core.errors import ValidationError
from ironwatch.core.rate import Rate, parse_rate
from ironwatch.settings import Settings


@pytest.mark.parametrize(
    ("text", "count", "seconds"),
    [
        ("5/hour", 5, 3600),
        ("20/day", 20, 86400),
        ("3/10m", 3, 600),
        (" 1 / 30 seconds ", 1, 30),
        ("2/H", 2, 3600),
    ],
)
def test_rates_read_as_count_per_period(text: str, count: int, seconds: int) -> None:
    assert parse_rate(text) == Rate(count, timedelta(seconds=seconds))


@pytest.mark.parametrize("text", ["", "5", "0/hour", "5/0h", "5/fortnight", "five/hour", "-1/hour"])
def test_a_malformed_rate_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_rate(text)
    assert "5/hour" in (caught.value.hint or "")


def test_settings_refuse_a_malformed_public_report_rate() -> None:
    with pytest.raises(ValueError, match="not a rate"):
        Settings(public_report_rate="lots")
    assert Settings(public_report_rate="7/day").public_report_limit == Rate(7, timedelta(days=1))
