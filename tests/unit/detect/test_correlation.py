"""The streaming correlation evaluator: every correlation type, windows, order, memory bounds."""

from __future__ import annotations

from datetime import timedelta

from ironwatch.detect.correlation import CorrelationLimits, Correlator
from ironwatch.detect.sigma import Engine

from .conftest import LoadYaml
from .correlation_support import FAILED, SUCCEEDED, T0, cid, correlation, login, run

BRUTE = correlation(
    """type: event_count
rules: [failed]
group-by: [source.ip]
timespan: 5m
condition: {gte: 5}"""
)


def build(
    load_yaml: LoadYaml, *texts: str, limits: CorrelationLimits | None = None
) -> tuple[Engine, Correlator]:
    ruleset = load_yaml(FAILED, SUCCEEDED, *texts)
    assert not ruleset.report.failed, [str(f) for f in ruleset.report.failed]
    correlator = Correlator.from_ruleset(ruleset, limits=limits)
    assert not correlator.failures, [str(f) for f in correlator.failures]
    return Engine(ruleset), correlator


def test_event_count_fires_at_the_threshold_with_group_entities_and_event_ids(load_yaml: LoadYaml) -> None:
    engine, correlator = build(load_yaml, BRUTE)
    events = [login(i * 10) for i in range(5)]
    assert run(engine, correlator, events[:4]) == []
    (match,) = run(engine, correlator, events[4:])
    assert match.kind == "correlation" and match.rule_id == cid("c0") and match.level == "medium"
    assert match.entities == {"source_address": "203.0.113.9"}
    assert match.event_ids == tuple(event.id for event in events)
    assert match.count == 5
    assert match.timestamp == T0 + timedelta(seconds=40)
    assert match.details["condition"] == "gte 5" and match.details["value"] == 5
    assert match.details["window_start"] == T0.isoformat()


def test_replaying_the_same_events_gives_the_same_dedup_key(load_yaml: LoadYaml) -> None:
    events = [login(i) for i in range(5)]
    first = run(*build(load_yaml, BRUTE), events)
    again = run(*build(load_yaml, BRUTE), events)
    assert [m.dedup_key for m in first] == [m.dedup_key for m in again] and len(first) == 1


def test_groups_are_counted_separately(load_yaml: LoadYaml) -> None:
    engine, correlator = build(load_yaml, BRUTE)
    events = [login(i, ip=f"198.51.100.{i % 2}") for i in range(8)]
    assert run(engine, correlator, events) == []


def test_a_firing_consumes_its_events(load_yaml: LoadYaml) -> None:
    engine, correlator = build(load_yaml, BRUTE)
    found = run(engine, correlator, [login(i) for i in range(14)])
    assert len(found) == 2  # events 1-5 and 6-10; 11-14 wait for a fifth


def test_events_exactly_one_timespan_apart_share_a_window(load_yaml: LoadYaml) -> None:
    engine, correlator = build(load_yaml, BRUTE)
    assert len(run(engine, correlator, [login(0), login(100), login(200), login(250), login(300)])) == 1


def test_events_just_over_one_timespan_apart_do_not(load_yaml: LoadYaml) -> None:
    engine, correlator = build(load_yaml, BRUTE)
    assert run(engine, correlator, [login(0), login(100), login(200), login(250), login(300.001)]) == []


def test_a_late_event_completes_an_earlier_window(load_yaml: LoadYaml) -> None:
    engine, correlator = build(load_yaml, BRUTE)
    events = [login(0), login(1), login(2), login(3), login(350)]
    assert run(engine, correlator, events) == []
    (match,) = run(engine, correlator, [login(4, received=351)])
    assert match.count == 5 and match.details["window_end"] == (T0 + timedelta(seconds=4)).isoformat()
    assert events[-1].id not in match.event_ids


def test_an_event_later_than_the_allowed_lateness_is_dropped_and_counted(load_yaml: LoadYaml) -> None:
    engine, correlator = build(load_yaml, BRUTE, limits=CorrelationLimits(lateness_seconds=10))
    run(engine, correlator, [login(1000)])
    assert run(engine, correlator, [login(i) for i in range(5)]) == []
    assert correlator.stats.late_dropped == 5


def test_value_count_counts_distinct_values(load_yaml: LoadYaml) -> None:
    spray = correlation(
        """type: value_count
rules: [failed]
group-by: [source.ip]
timespan: 10m
condition: {gte: 3, field: user.name}"""
    )
    engine, correlator = build(load_yaml, spray)
    same_user = [login(i, user="root") for i in range(10)]
    assert run(engine, correlator, same_user) == []
    (match,) = run(engine, correlator, [login(20, user="alice"), login(21, user="bob")])
    assert match.details["values"] == ["alice", "bob", "root"] and match.details["field"] == "user.name"


def test_temporal_needs_every_rule_in_any_order(load_yaml: LoadYaml) -> None:
    both = correlation(
        """type: temporal
rules: [failed, succeeded]
group-by: [source.ip]
timespan: 1m"""
    )
    engine, correlator = build(load_yaml, both)
    (match,) = run(engine, correlator, [login(0, outcome="success"), login(10)])
    assert match.details["rule_names"] == ["failed", "succeeded"]
    assert match.details["rules"] == [  # the referenced rules' ids, which triage groups by
        "10000000-0000-0000-0000-000000000001",
        "10000000-0000-0000-0000-000000000002",
    ]
    assert run(engine, correlator, [login(100, outcome="success"), login(200)]) == []  # 100 s apart


def test_temporal_ordered_needs_the_declared_order(load_yaml: LoadYaml) -> None:
    ordered = correlation(
        """type: temporal_ordered
rules: [failed, succeeded]
group-by: [source.ip]
timespan: 1m"""
    )
    engine, correlator = build(load_yaml, ordered)
    assert run(engine, correlator, [login(0, outcome="success"), login(10)]) == []
    assert len(run(engine, correlator, [login(20, outcome="success")])) == 1


def test_chained_failures_then_success_and_the_spec_silences_referenced_rules(load_yaml: LoadYaml) -> None:
    chain = correlation(
        """type: temporal_ordered
rules: [c0, succeeded]
group-by: [source.ip]
timespan: 10m""",
        rule_id="c1",
        level="high",
    )
    engine, correlator = build(load_yaml, BRUTE, chain)
    assert correlator.silent_rules == {
        "10000000-0000-0000-0000-000000000001",
        "10000000-0000-0000-0000-000000000002",
    }
    mistyped = [login(0), login(5), login(10), login(15, outcome="success")]
    assert run(engine, correlator, mistyped) == []
    attack = [login(100 + i, ip="192.0.2.66") for i in range(6)] + [
        login(120, ip="192.0.2.66", outcome="success")
    ]
    (match,) = run(engine, correlator, attack)  # c0 is silent: referenced without generate
    assert match.rule_id == cid("c1") and match.level == "high"
    assert match.entities == {"source_address": "192.0.2.66"}
    assert set(match.event_ids) == {event.id for event in attack[:5]} | {attack[-1].id}


def test_generate_true_keeps_referenced_rules_alerting(load_yaml: LoadYaml) -> None:
    chain = correlation(
        """type: temporal_ordered
generate: true
rules: [c0, succeeded]
group-by: [source.ip]
timespan: 10m""",
        rule_id="c1",
    )
    engine, correlator = build(load_yaml, BRUTE, chain)
    assert correlator.silent_rules == {"10000000-0000-0000-0000-000000000001"}
    found = run(engine, correlator, [*(login(i) for i in range(5)), login(6, outcome="success")])
    assert [m.rule_id for m in found] == [cid("c0"), cid("c1")]


def test_aliases_group_different_fields_together(load_yaml: LoadYaml) -> None:
    aliased = correlation(
        """type: temporal
rules: [failed, succeeded]
group-by: [account]
timespan: 1m
aliases:
    account:
        failed: user.name
        succeeded: source.ip"""
    )
    engine, correlator = build(load_yaml, aliased)
    (match,) = run(engine, correlator, [login(0, user="x"), login(1, outcome="success", ip="x")])
    assert match.details["group"] == {"account": "x"}


def test_events_without_a_group_by_field_are_not_counted(load_yaml: LoadYaml) -> None:
    engine, correlator = build(load_yaml, BRUTE)
    events = [login(i) for i in range(5)]
    for event in events:
        del event.fields["source.ip"]
    assert run(engine, correlator, events) == []
    assert correlator.stats.missing_group_values == 5


def test_an_upper_bound_is_decided_when_the_window_closes(load_yaml: LoadYaml) -> None:
    few = correlation(
        """type: event_count
rules: [failed]
group-by: [source.ip]
timespan: 1m
condition: {lt: 3}"""
    )
    engine, correlator = build(load_yaml, few)
    assert run(engine, correlator, [login(0), login(1)]) == []
    assert correlator.tick(T0 + timedelta(seconds=30)) == []  # window still open
    (match,) = correlator.tick(T0 + timedelta(seconds=200))
    assert match.count == 2 and match.details["condition"] == "lt 3"
    assert correlator.state_size() == (0, 0)


def test_an_upper_bound_window_closed_by_a_later_event(load_yaml: LoadYaml) -> None:
    exactly = correlation(
        """type: event_count
rules: [failed]
group-by: [source.ip]
timespan: 1m
condition: {eq: 2}"""
    )
    engine, correlator = build(load_yaml, exactly)
    (match,) = run(engine, correlator, [login(0), login(1), login(100)])
    assert match.count == 2


def test_a_range_condition_counts_between_its_bounds(load_yaml: LoadYaml) -> None:
    ranged = correlation(
        """type: event_count
rules: [failed]
group-by: [source.ip]
timespan: 1m
condition: {gt: 2, lte: 4}"""
    )
    ruleset = load_yaml(FAILED, ranged)
    assert ruleset.correlations[0].conditions == (("gt", 2.0), ("lte", 4.0))
    engine, correlator = Engine(ruleset), Correlator.from_ruleset(ruleset)
    assert run(engine, correlator, [login(i, ip="a") for i in range(5)] + [login(100, ip="a")]) == []
    (match,) = run(engine, correlator, [login(i, ip="b") for i in range(3)] + [login(100, ip="b")])
    assert match.details["condition"] == "gt 2 and lte 4"


def test_group_cap_evicts_the_least_recently_updated_group(load_yaml: LoadYaml) -> None:
    engine, correlator = build(load_yaml, BRUTE, limits=CorrelationLimits(max_groups=3))
    run(engine, correlator, [login(i, ip=f"192.0.2.{i}") for i in range(10)])
    assert correlator.state_size() == (3, 3)
    assert correlator.stats.evicted_groups == 7


def test_entry_cap_evicts_the_oldest_entries(load_yaml: LoadYaml) -> None:
    spray = correlation(
        """type: value_count
rules: [failed]
group-by: [source.ip]
timespan: 1h
condition: {gte: 100, field: user.name}"""
    )
    engine, correlator = build(load_yaml, spray, limits=CorrelationLimits(max_entries=50))
    run(engine, correlator, [login(i, user="root") for i in range(500)])
    assert correlator.state_size() == (1, 50)
    assert correlator.stats.evicted_entries == 450


def test_expired_entries_are_pruned_as_events_arrive(load_yaml: LoadYaml) -> None:
    engine, correlator = build(load_yaml, BRUTE, limits=CorrelationLimits(lateness_seconds=0))
    run(engine, correlator, [login(i * 400) for i in range(100)])  # each one window after the last
    assert correlator.state_size() == (1, 1)


def test_idle_groups_are_forgotten_on_tick(load_yaml: LoadYaml) -> None:
    engine, correlator = build(load_yaml, BRUTE)
    run(engine, correlator, [login(0, ip="a"), login(1, ip="b")])
    assert correlator.tick(T0 + timedelta(minutes=2)) == [] and correlator.state_size() == (2, 2)
    correlator.tick(T0 + timedelta(minutes=10))
    assert correlator.state_size() == (0, 0) and correlator.stats.expired_groups == 2


def test_unknown_references_and_cycles_are_reported_not_run(load_yaml: LoadYaml) -> None:
    unknown = correlation(
        "type: event_count\nrules: [nope]\ngroup-by: [source.ip]\ntimespan: 1m\ncondition: {gte: 1}"
    )
    loop_a = correlation(
        "type: temporal\nrules: [loop_b, failed]\ngroup-by: [source.ip]\ntimespan: 1m", rule_id="loop_a"
    )
    loop_b = correlation(
        "type: temporal\nrules: [loop_a, failed]\ngroup-by: [source.ip]\ntimespan: 1m", rule_id="loop_b"
    )
    ruleset = load_yaml(FAILED, unknown, loop_a, loop_b)
    correlator = Correlator.from_ruleset(ruleset)
    reasons = {failure.rule_id: failure.reason for failure in correlator.failures}
    assert "nope" in reasons[cid("c0")]
    assert "cycle" in reasons[cid("loop_a")] and "cycle" in reasons[cid("loop_b")]
    assert run(Engine(ruleset), correlator, [login(0)]) == []


def test_a_tick_past_the_window_in_event_time_closes_groups_of_a_finished_replay(
    load_yaml: LoadYaml,
) -> None:
    """Old events received now: the watermark (event time) passing the window ends the groups."""
    engine, correlator = build(load_yaml, BRUTE)
    received = 10 * 365 * 86400.0  # received ten years after the events happened
    run(engine, correlator, [login(0, received=received), login(1, received=received)])
    correlator.tick(T0 + timedelta(minutes=1))
    assert correlator.state_size() == (1, 2)
    correlator.tick(T0 + timedelta(minutes=7))
    assert correlator.state_size() == (0, 0)
