"""Synthetic network traffic for the anomaly tests: Poisson counts per interval, seeded, with daily shapes."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from ironwatch.ingest.event import Event

#: a Monday, like the tests' frozen clock
START = datetime(2026, 3, 2, tzinfo=UTC)
INTERVAL = timedelta(minutes=5)

Rate = Callable[[datetime], float]


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw: Knuth's product method in chunks of 30, so large rates do not underflow."""
    total = 0
    while lam > 0:
        part = min(lam, 30.0)
        lam -= part
        limit, k, product = math.exp(-part), 0, rng.random()
        while product > limit:
            k += 1
            product *= rng.random()
        total += k
    return total


def daily(base: float, amplitude: float = 0.6) -> Rate:
    """Busy in the afternoon, quiet at night: ``base * (1 + amplitude * sin(...))`` peaking at 15:00 UTC."""
    return lambda t: base * (1 + amplitude * math.sin(2 * math.pi * (t.hour + t.minute / 60 - 9) / 24))


def traffic(
    rates: dict[str, Rate], *, days: float, seed: int, start: datetime = START
) -> Iterator[tuple[datetime, list[Event]]]:
    """For each interval (in time order): its start and its events, per source address ``rates[ip](t)``."""
    rng = random.Random(seed)
    t = start
    end = start + timedelta(days=days)
    serial = 0
    while t < end:
        events: list[Event] = []
        for ip, rate in rates.items():
            for _ in range(poisson(rng, rate(t))):
                when = t + timedelta(seconds=rng.uniform(0, INTERVAL.total_seconds() - 1))
                serial += 1
                events.append(
                    Event(
                        id=f"ev{serial}",
                        timestamp=when,
                        received_at=when,
                        dataset="firewall.iptables",
                        fields={"source.ip": ip, "network.bytes": rng.randint(60, 1500)},
                        original="",
                    )
                )
        events.sort(key=lambda e: e.effective_time)
        yield t, events
        t += INTERVAL
