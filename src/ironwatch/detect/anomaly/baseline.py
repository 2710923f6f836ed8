"""Robust baselines: an EWMA of the value and of its absolute deviation, with outliers clipped.

A key's baseline per metric has a *recent* part (every interval, about ``1/alpha`` intervals of
memory) and 48 *seasonal* slots (hour of day x weekday/weekend, UTC), each learning only from its
own hour. A slot with enough samples is what an interval is compared with, so a peak that comes
every weekday at 09:00 is expected once a few days have shown it; until then the recent
baseline decides. While a baseline is young it takes a plain running mean (so it learns what is
normal from the first days, peaks included); once mature, each new value is clipped to ``clip``
deviations before it teaches the baseline, so a spike barely moves it.
"""

from __future__ import annotations

import math
from array import array
from datetime import UTC, datetime

SLOTS = 48
#: mean absolute deviation to standard deviation for a normal distribution
MAD_TO_SIGMA = 1.2533


def slot_of(start: float) -> int:
    """The seasonal slot of an interval starting at ``start`` (epoch seconds): hour, +24 at weekends."""
    when = datetime.fromtimestamp(start, UTC)
    return when.hour + (24 if when.weekday() >= 5 else 0)


def scale(mean: float, deviation: float, *, counts: bool) -> float:
    """The spread to measure a deviation against; never below Poisson noise for counts, 10% for bytes."""
    floor = math.sqrt(max(mean, 1.0)) if counts else max(0.1 * mean, 1.0)
    return max(MAD_TO_SIGMA * deviation, floor)


class Ewma:
    """Running (mean, absolute deviation, samples) triples in one flat array: ``[m, d, n] * size``."""

    __slots__ = ("values",)

    def __init__(self, size: int, values: list[float] | None = None) -> None:
        self.values = array("d", values if values is not None else [0.0] * (3 * size))

    def get(self, i: int) -> tuple[float, float, int]:
        v = self.values
        return v[3 * i], v[3 * i + 1], int(v[3 * i + 2])

    def update(self, i: int, x: float, *, alpha: float, mature: int, clip: float, counts: bool) -> None:
        """Teach slot ``i`` the value ``x``: a running mean while young, a clipped EWMA once mature."""
        v = self.values
        m, d, n = v[3 * i], v[3 * i + 1], v[3 * i + 2]
        if n < mature:
            a = 1.0 / (n + 1.0)
        else:
            a = alpha
            limit = clip * scale(m, d, counts=counts)
            x = min(max(x, m - limit), m + limit)
        deviation = abs(x - m)
        v[3 * i] = m + a * (x - m)
        v[3 * i + 1] = d + a * (deviation - d) if n > 0 else 0.0
        v[3 * i + 2] = n + 1.0

    def dump(self) -> list[float]:
        return [round(x, 3) for x in self.values]
