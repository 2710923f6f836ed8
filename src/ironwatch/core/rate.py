"""Rates such as ``5/hour``: how many of something one source may do per period."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from ironwatch.core.errors import ValidationError

_UNITS = {
    **dict.fromkeys(("s", "second", "seconds"), 1),
    **dict.fromkeys(("m", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*$")


@dataclass(frozen=True)
class Rate:
    """At most ``count`` in any window of length ``period``."""

    count: int
    period: timedelta

    def __str__(self) -> str:
        return f"{self.count} per {int(self.period.total_seconds())} seconds"


def parse_rate(text: str) -> Rate:
    """``COUNT/PERIOD`` as a :class:`Rate`.

    The period is a unit (``second``, ``minute``, ``hour``, ``day`` or ``s``, ``m``, ``h``,
    ``d``), optionally with a number: ``5/hour``, ``20/day``, ``3/10m``.
    """
    match = _RATE.match(text.lower())
    unit = _UNITS.get(match.group(3)) if match else None
    count = int(match.group(1)) if match else 0
    multiple = int(match.group(2) or "1") if match else 0
    if unit is None or count < 1 or multiple < 1:
        raise ValidationError(
            f"{text!r} is not a rate",
            hint="write COUNT/PERIOD with a count and period of at least 1, e.g. 5/hour, 20/day or 3/10m",
        )
    return Rate(count=count, period=timedelta(seconds=unit * multiple))
