"""Incident response metrics from lifecycle timestamps: pure functions, no I/O, a ``now`` passed in.

Definitions (docs/review.md has them with examples):

* the **start of response** of an incident is ``detected_at``, or ``reported_at`` when nobody
  recorded a detection time (a person's report is then the detection);
* **MTTD** occurred -> start of response; **MTTA** start -> acknowledged; **MTTC** start ->
  contained; **MTTR** start -> recovered, and start -> closed;
* a duration counts only when both ends are known. An incident still open that has not reached the
  end is counted as ``open`` (it is not a duration yet); a finished incident that never reached it
  (a false positive is never contained) is ``not_reached``. Neither is in the mean or percentiles;
* percentiles interpolate linearly between the closest ranks (like ``numpy.percentile`` and Excel's
  ``PERCENTILE.INC``): the p-th percentile of sorted ``x[0..n-1]`` is at rank ``(n - 1) * p / 100``;
* **SLA compliance** of a priority's target (acknowledge, contain, resolve, measured from
  ``created_at`` like the SLA clocks) = met / (met + missed). Met: the milestone came within the
  target. Missed: it came later, or the incident is still open and the target has passed. Still open
  within the target: ``pending``. False positives are not measured (their clocks are cancelled).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ironwatch.core.lifecycle import OPEN_STATES, IncidentState

HOUR = 3600.0
PERCENTILES = (50, 90, 95)


@dataclass(frozen=True)
class IncidentTimes:
    """What the metrics need of one incident."""

    ref: str
    status: str
    created_at: datetime
    reported_at: datetime
    occurred_at: datetime | None = None
    detected_at: datetime | None = None
    acknowledged_at: datetime | None = None
    contained_at: datetime | None = None
    recovered_at: datetime | None = None
    closed_at: datetime | None = None
    priority: str | None = None
    category: str | None = None
    severity: str | None = None
    #: how it came in: ``manual``, ``report`` or ``alert:<rule id>``
    source: str = "manual"

    @property
    def is_open(self) -> bool:
        return IncidentState(self.status) in OPEN_STATES

    @property
    def response_start(self) -> datetime:
        return self.detected_at or self.reported_at


@dataclass(frozen=True)
class DurationStats:
    """One MTT* figure: how many durations, how many pending, and their distribution in hours."""

    name: str
    label: str
    count: int
    open: int
    not_reached: int
    mean_hours: float | None
    p50_hours: float | None
    p90_hours: float | None
    p95_hours: float | None


@dataclass(frozen=True)
class OpenAge:
    """The incidents still open and how long they have been (from the start of response to now)."""

    count: int
    mean_hours: float | None
    p50_hours: float | None
    max_hours: float | None


@dataclass(frozen=True)
class SlaCompliance:
    priority: str
    target: str
    target_hours: float
    met: int
    missed: int
    pending: int

    @property
    def compliance(self) -> float | None:
        """met / (met + missed), or None when nothing was decided yet."""
        decided = self.met + self.missed
        return self.met / decided if decided else None


@dataclass(frozen=True)
class RuleFalsePositives:
    rule_id: str
    false_positive: int
    decided: int

    @property
    def rate(self) -> float | None:
        return self.false_positive / self.decided if self.decided else None


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0..100) of ``values`` by linear interpolation between closest ranks.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
    2.5
    """
    if not values:
        raise ValueError("no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} is outside 0..100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / HOUR


def _stats(name: str, label: str, hours: list[float], open_: int, not_reached: int) -> DurationStats:
    if not hours:
        return DurationStats(name, label, 0, open_, not_reached, None, None, None, None)
    return DurationStats(
        name,
        label,
        len(hours),
        open_,
        not_reached,
        sum(hours) / len(hours),
        *(percentile(hours, p) for p in PERCENTILES),
    )


Endpoint = Callable[[IncidentTimes], datetime | None]

#: name, label, start, end of each duration metric
DURATIONS: tuple[tuple[str, str, Endpoint, Endpoint], ...] = (
    ("mttd", "occurred -> detected", lambda i: i.occurred_at, lambda i: i.response_start),
    ("mtta", "detected -> acknowledged", lambda i: i.response_start, lambda i: i.acknowledged_at),
    ("mttc", "detected -> contained", lambda i: i.response_start, lambda i: i.contained_at),
    ("mttr_recovered", "detected -> recovered", lambda i: i.response_start, lambda i: i.recovered_at),
    ("mttr_closed", "detected -> closed", lambda i: i.response_start, lambda i: i.closed_at),
)


def duration_stats(incidents: Iterable[IncidentTimes]) -> list[DurationStats]:
    """MTTD, MTTA, MTTC and MTTR (recovered, closed) over ``incidents``; see the module docstring.

    An incident without a start (no ``occurred_at`` for MTTD) is left out of that figure entirely.
    """
    items = list(incidents)
    result = []
    for name, label, start_of, end_of in DURATIONS:
        hours: list[float] = []
        open_ = not_reached = 0
        for incident in items:
            start = start_of(incident)
            if start is None:
                continue
            end = end_of(incident)
            if end is not None:
                hours.append(_hours(end - start))
            elif incident.is_open:
                open_ += 1
            else:
                not_reached += 1
        result.append(_stats(name, label, hours, open_, not_reached))
    return result


def open_age(incidents: Iterable[IncidentTimes], now: datetime) -> OpenAge:
    """How long the still-open incidents have been open at ``now``."""
    ages = [_hours(now - i.response_start) for i in incidents if i.is_open]
    if not ages:
        return OpenAge(0, None, None, None)
    return OpenAge(len(ages), sum(ages) / len(ages), percentile(ages, 50), max(ages))


_MILESTONE = {"acknowledge": "acknowledged_at", "contain": "contained_at", "resolve": "closed_at"}


def sla_compliance(
    incidents: Iterable[IncidentTimes],
    targets: Mapping[str, Mapping[str, timedelta]],
    now: datetime,
) -> list[SlaCompliance]:
    """Per priority (in ``targets`` order) and target: met, missed, pending; see the module docstring.

    ``targets`` maps priority id -> {"acknowledge"|"contain"|"resolve": duration} (from the plan).
    """
    items = [i for i in incidents if i.priority and i.status != IncidentState.FALSE_POSITIVE.value]
    result = []
    for priority, limits in targets.items():
        mine = [i for i in items if i.priority == priority]
        for target, limit in limits.items():
            met = missed = pending = 0
            for incident in mine:
                due = incident.created_at + limit
                reached: datetime | None = getattr(incident, _MILESTONE[target])
                if reached is not None:
                    if reached <= due:
                        met += 1
                    else:
                        missed += 1
                elif not incident.is_open or now > due:
                    # finished without the milestone (closed straight from containment): not met in time
                    missed += 1
                else:
                    pending += 1
            result.append(SlaCompliance(priority, target, _hours(limit), met, missed, pending))
    return result


def volume(incidents: Iterable[IncidentTimes], by: str) -> dict[str, int]:
    """How many incidents per ``by``: category, severity, priority, source, status or month (created).

    Missing values count under ``"unset"``; the result is sorted by key (months in order).
    """
    keys: dict[str, Callable[[IncidentTimes], str | None]] = {
        "category": lambda i: i.category,
        "severity": lambda i: i.severity,
        "priority": lambda i: i.priority,
        "source": lambda i: i.source,
        "status": lambda i: i.status,
        "month": lambda i: f"{i.created_at:%Y-%m}",
    }
    if by not in keys:
        raise ValueError(f"cannot count by {by!r}; use one of {', '.join(keys)}")
    key = keys[by]
    counts = Counter(key(i) or "unset" for i in incidents)
    return dict(sorted(counts.items()))


def months_between(since: datetime, until: datetime) -> list[str]:
    """Every month ``YYYY-MM`` from ``since``'s to the one holding the instant before ``until``."""
    months: list[str] = []
    year, month = since.year, since.month
    last = until - timedelta(microseconds=1)
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def false_positive_rates(alerts: Iterable[tuple[str, str]]) -> list[RuleFalsePositives]:
    """Per rule, from ``(rule_id, status)`` pairs: alerts dismissed as false positive / alerts decided.

    Decided means triage linked the alert to an incident (``incident``) or dismissed it
    (``false_positive``); new and suppressed alerts are not decisions. Sorted by rate, then volume.
    """
    fp: Counter[str] = Counter()
    decided: Counter[str] = Counter()
    for rule_id, status in alerts:
        if status == "false_positive":
            fp[rule_id] += 1
            decided[rule_id] += 1
        elif status == "incident":
            decided[rule_id] += 1
    rows = [RuleFalsePositives(rule, fp[rule], decided[rule]) for rule in decided]
    return sorted(rows, key=lambda r: (-(r.rate or 0.0), -r.decided, r.rule_id))


def top_counts(values: Iterable[str | None], limit: int = 10) -> list[tuple[str, int]]:
    """The most frequent values (ties by name), leaving out missing ones."""
    counts = Counter(v for v in values if v)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
