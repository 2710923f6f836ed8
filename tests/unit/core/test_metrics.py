"""The metrics on a fixed, hand-computed data set, including incidents still open.

B is 2026-02-01 00:00 UTC; NOW is 2026-03-02 09:00 UTC = B + 705 h. Every figure below was worked
out by hand from the table (hours after B):

=====  ======  ========  ========  ====  ======  ===  ===  ===  ===  ============  ===============
ref    prio    status    occurred  det.  report  ack  cont rec  clos category      source
=====  ======  ========  ========  ====  ======  ===  ===  ===  ===  ============  ===============
A      P1      closed    0         2     3       4    6    10   12   malware       manual
B      P1      reviewed  24        30    31      33   40   50   54   phishing      alert:rule-x
C      P2      contain.  -         -     48      49   -    -    -    phishing      report
D      P3      reported  590       -     600     -    -    -    -    malware       manual
E      -       false_p.  98        99    100     101  -    -    -    -             alert:rule-y
F      P3      triage    -         701   702     703  -    -    -    -             manual
=====  ======  ========  ========  ====  ======  ===  ===  ===  ===  ============  ===============

(created = reported for every incident.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ironwatch.core.metrics import (
    IncidentTimes,
    duration_stats,
    false_positive_rates,
    months_between,
    open_age,
    percentile,
    sla_compliance,
    top_counts,
    volume,
)

B = datetime(2026, 2, 1, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def h(hours: float | None) -> datetime | None:
    return None if hours is None else B + timedelta(hours=hours)


def incident(
    ref: str,
    priority: str | None,
    status: str,
    times: tuple[float | None, ...],
    category: str | None,
    source: str,
    severity: str | None = None,
) -> IncidentTimes:
    occurred, detected, reported, ack, contained, recovered, closed = times
    assert reported is not None
    return IncidentTimes(
        ref=ref,
        status=status,
        created_at=B + timedelta(hours=reported),
        reported_at=B + timedelta(hours=reported),
        occurred_at=h(occurred),
        detected_at=h(detected),
        acknowledged_at=h(ack),
        contained_at=h(contained),
        recovered_at=h(recovered),
        closed_at=h(closed),
        priority=priority,
        category=category,
        severity=severity,
        source=source,
    )


DATA = [
    incident("A", "P1", "closed", (0, 2, 3, 4, 6, 10, 12), "malware", "manual", "high"),
    incident("B", "P1", "reviewed", (24, 30, 31, 33, 40, 50, 54), "phishing", "alert:rule-x", "high"),
    incident("C", "P2", "containment", (None, None, 48, 49, None, None, None), "phishing", "report"),
    incident("D", "P3", "reported", (590, None, 600, None, None, None, None), "malware", "manual", "low"),
    incident("E", None, "false_positive", (98, 99, 100, 101, None, None, None), None, "alert:rule-y"),
    incident("F", "P3", "triage", (None, 701, 702, 703, None, None, None), None, "manual"),
]

TARGETS = {
    "P1": {"acknowledge": timedelta(hours=1), "contain": timedelta(hours=4), "resolve": timedelta(hours=24)},
    "P2": {"acknowledge": timedelta(hours=4), "contain": timedelta(hours=24), "resolve": timedelta(hours=72)},
    "P3": {
        "acknowledge": timedelta(hours=24),
        "contain": timedelta(hours=72),
        "resolve": timedelta(hours=168),
    },
}


def test_now_is_705_hours_after_the_base() -> None:
    assert timedelta(hours=705) == NOW - B


def test_percentiles_interpolate_between_closest_ranks() -> None:
    assert percentile([10.0, 1.0, 6.0, 2.0], 50) == 4.0
    assert percentile([1.0, 2.0, 6.0, 10.0], 90) == pytest.approx(8.8)
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def _by_name() -> dict[str, tuple[object, ...]]:
    return {
        s.name: (s.count, s.open, s.not_reached, s.mean_hours, s.p50_hours, s.p90_hours, s.p95_hours)
        for s in duration_stats(DATA)
    }


def test_mttd_uses_detection_or_the_report_and_skips_unknown_occurrence() -> None:
    # A 2, B 6, D 10 (occurred 590 -> reported 600), E 1; C and F have no occurred time
    count, open_, not_reached, mean, p50, p90, p95 = _by_name()["mttd"]
    assert (count, open_, not_reached) == (4, 0, 0)
    assert mean == pytest.approx(4.75)
    assert (p50, p90, p95) == pytest.approx((4.0, 8.8, 9.4))


def test_mtta_counts_the_unacknowledged_open_incident_as_open() -> None:
    # A 2, B 3, C 1, E 2, F 2; D is open and not acknowledged
    count, open_, not_reached, mean, p50, p90, p95 = _by_name()["mtta"]
    assert (count, open_, not_reached) == (5, 1, 0)
    assert mean == pytest.approx(2.0)
    assert (p50, p90, p95) == pytest.approx((2.0, 2.6, 2.8))


def test_mttc_leaves_out_open_incidents_and_the_false_positive() -> None:
    # A 4, B 10; C, D, F open; E a false positive, never contained
    count, open_, not_reached, mean, p50, p90, p95 = _by_name()["mttc"]
    assert (count, open_, not_reached) == (2, 3, 1)
    assert mean == pytest.approx(7.0)
    assert (p50, p90, p95) == pytest.approx((7.0, 9.4, 9.7))


def test_mttr_to_recovery_and_to_closure() -> None:
    stats = _by_name()
    # recovered: A 8, B 20; closed: A 10, B 24
    assert stats["mttr_recovered"][:3] == (2, 3, 1)
    assert stats["mttr_recovered"][3:] == pytest.approx((14.0, 14.0, 18.8, 19.4))
    assert stats["mttr_closed"][:3] == (2, 3, 1)
    assert stats["mttr_closed"][3:] == pytest.approx((17.0, 17.0, 22.6, 23.3))


def test_age_of_the_open_incidents() -> None:
    # C 705-48 = 657, D 705-600 = 105, F 705-701 = 4
    age = open_age(DATA, NOW)
    assert age.count == 3
    assert age.mean_hours == pytest.approx(766 / 3)
    assert age.p50_hours == pytest.approx(105.0)
    assert age.max_hours == pytest.approx(657.0)


def test_sla_compliance_per_priority_and_target() -> None:
    found = {(c.priority, c.target): (c.met, c.missed, c.pending) for c in sla_compliance(DATA, TARGETS, NOW)}
    assert found == {
        # A acknowledged 1 h after creation (met), B 2 h (missed); contained 3 h vs 9 h; closed 9 h, 23 h
        ("P1", "acknowledge"): (1, 1, 0),
        ("P1", "contain"): (1, 1, 0),
        ("P1", "resolve"): (2, 0, 0),
        # C: acknowledged after 1 h; contain (due 72) and resolve (due 120) passed while open
        ("P2", "acknowledge"): (1, 0, 0),
        ("P2", "contain"): (0, 1, 0),
        ("P2", "resolve"): (0, 1, 0),
        # D (created 600): ack due 624 and contain due 672 passed, resolve due 768 pending;
        # F (created 702): acknowledged after 1 h, contain and resolve pending
        ("P3", "acknowledge"): (1, 1, 0),
        ("P3", "contain"): (0, 1, 1),
        ("P3", "resolve"): (0, 0, 2),
    }
    rates = {(c.priority, c.target): c.compliance for c in sla_compliance(DATA, TARGETS, NOW)}
    assert rates[("P1", "acknowledge")] == 0.5
    assert rates[("P1", "resolve")] == 1.0
    assert rates[("P2", "contain")] == 0.0
    assert rates[("P3", "resolve")] is None


def test_volume_by_category_severity_source_priority_and_month() -> None:
    assert volume(DATA, "category") == {"malware": 2, "phishing": 2, "unset": 2}
    assert volume(DATA, "severity") == {"high": 2, "low": 1, "unset": 3}
    assert volume(DATA, "source") == {"alert:rule-x": 1, "alert:rule-y": 1, "manual": 3, "report": 1}
    assert volume(DATA, "priority") == {"P1": 2, "P2": 1, "P3": 2, "unset": 1}
    assert volume(DATA, "month") == {"2026-02": 5, "2026-03": 1}
    with pytest.raises(ValueError, match="use one of"):
        volume(DATA, "colour")


def test_months_between_covers_the_period() -> None:
    assert months_between(datetime(2025, 11, 15, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)) == [
        "2025-11",
        "2025-12",
        "2026-01",
    ]


def test_false_positive_rate_per_rule_counts_only_decided_alerts() -> None:
    alerts = [
        ("r1", "false_positive"),
        ("r1", "incident"),
        ("r1", "new"),
        ("r2", "false_positive"),
        ("r2", "false_positive"),
        ("r3", "incident"),
        ("r3", "suppressed"),
    ]
    rows = [(r.rule_id, r.false_positive, r.decided, r.rate) for r in false_positive_rates(alerts)]
    assert rows == [("r2", 2, 2, 1.0), ("r1", 1, 2, 0.5), ("r3", 0, 1, 0.0)]


def test_top_counts_orders_by_count_then_name() -> None:
    assert top_counts(["phishing", None, "patching", "phishing", "config"], 2) == [
        ("phishing", 2),
        ("config", 1),
    ]
