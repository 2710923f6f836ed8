"""Pure triage rules: tag mapping, severity, impact, urgency, assignment, business-hours SLA arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from ironwatch.core.sla import WorkingTime, due_at
from ironwatch.plan.loader import parse_plan
from ironwatch.plan.models import Plan
from ironwatch.plan.starter import init_plan_text
from ironwatch.triage.assess import AlertFacts, GroupFacts, alert_severity, assess, matching_assets
from ironwatch.triage.assign import choose_assignee, role_people
from ironwatch.triage.classify import classify, tag_matches

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return parse_plan(init_plan_text("Test Org"), source="starter")


def _plan_with(old: str, new: str) -> Plan:
    text = init_plan_text("Test Org")
    assert old in text
    return parse_plan(text.replace(old, new), source="changed")


def test_a_technique_covers_its_sub_techniques_and_a_star_a_prefix() -> None:
    assert tag_matches("attack.t1110", "attack.t1110.001")
    assert tag_matches("attack.t1110", "ATTACK.T1110")
    assert not tag_matches("attack.t1110", "attack.t11100")
    assert tag_matches("attack.*", "attack.initial_access")


def test_success_outranks_the_attempt_and_unknown_tags_stay_undetermined(plan: Plan) -> None:
    assert classify(plan, ["attack.credential_access", "attack.t1110.001"]).category == "brute-force"
    assert classify(plan, ["attack.t1110", "attack.initial_access", "attack.t1078"]).category == (
        "unprivileged-account-compromise"
    )
    unknown = classify(plan, ["car.something"])
    assert unknown.category == "undetermined" and "no tag mapping" in unknown.reason


def test_the_plan_extends_and_overrides_the_shipped_mapping(plan: Plan) -> None:
    assert classify(plan, ["attack.t1566.001"]).category == "phishing"  # the starter plan's own entry
    changed = _plan_with(
        "    - {tag: attack.t1566, category: phishing, rank: 60}",
        "    - {tag: attack.t1110, category: scanner, rank: 40}\n    - {tag: sigma.custom, category: spam}",
    )
    assert classify(changed, ["attack.t1110"]).category == "scanner"
    assert classify(changed, ["sigma.custom"]).category == "spam"


def test_a_mapping_to_a_category_the_taxonomy_lacks_is_refused() -> None:
    with pytest.raises(Exception, match="nosuch"):
        _plan_with("category: phishing, rank: 60}", "category: nosuch, rank: 60}")


def test_indicator_confidence_moves_severity_one_step() -> None:
    assert alert_severity("medium", None)[0] == "medium"
    assert alert_severity("medium", 90)[0] == "high"
    assert alert_severity("medium", "low")[0] == "low"
    assert alert_severity("critical", 95)[0] == "critical"


def test_assets_match_by_name_address_network_and_short_host_name(plan: Plan) -> None:
    def names(values: list[str]) -> list[str]:
        return sorted(a.name for a in matching_assets(plan, values))

    assert names(["files.example.org"]) == ["fileserver"]
    assert names(["files"]) == ["fileserver"]
    assert names(["192.0.2.77"]) == ["office-network"]
    assert names(["192.0.2.10"]) == ["fileserver", "office-network"]
    assert names(["203.0.113.1", "unknown-host"]) == []


def _facts(level: str, host: str, *, minutes_ago: int = 1, users: tuple[str, ...] = ("root",)) -> GroupFacts:
    alert = AlertFacts(level=level, tags=("attack.t1110",), entities={"host": host})
    return GroupFacts(
        alerts=(alert,),
        entities={"host": [host], "user": list(users)},
        last_seen=NOW - timedelta(minutes=minutes_ago),
    )


def test_impact_comes_from_assets_and_their_data_urgency_from_activity(plan: Plan) -> None:
    on_files = assess(
        plan, _facts("medium", "files.example.org"), now=NOW, ongoing_within=timedelta(minutes=15)
    )
    assert (on_files.impact, on_files.urgency, on_files.priority) == ("high", "medium", "P2")
    assert on_files.special_handling == ("personal_data",)
    elsewhere = assess(
        plan, _facts("medium", "kiosk", minutes_ago=60), now=NOW, ongoing_within=timedelta(minutes=15)
    )
    assert (elsewhere.impact, elsewhere.urgency, elsewhere.priority) == ("low", "low", "P4")
    assert "no asset" in elsewhere.reasons["impact"] and "quiet for 60 min" in elsewhere.reasons["urgency"]
    spread = assess(
        plan, _facts("medium", "kiosk", users=("a", "b", "c")), now=NOW, ongoing_within=timedelta(minutes=15)
    )
    assert spread.urgency == "high"


def test_on_call_first_then_least_loaded_or_round_robin(plan: Plan) -> None:
    on_call = choose_assignee(plan, "brute-force", NOW, load={}, turns_taken=0)
    assert (on_call.role, on_call.person) == ("analyst", "sam")
    no_rota = _plan_with(
        "      - role: analyst\n        rotation: weekly",
        "      - role: communications\n        rotation: weekly",
    )
    assert role_people(no_rota, "analyst") == ["sam", "jordan"]
    least = choose_assignee(no_rota, None, NOW, load={"sam": 3, "jordan": 1}, turns_taken=0)
    assert least.person == "jordan" and "fewest open incidents" in least.reason
    robin_no_rota = parse_plan(
        init_plan_text("Test Org")
        .replace("strategy: least_loaded", "strategy: round_robin")
        .replace(
            "      - role: analyst\n        rotation: weekly",
            "      - role: communications\n        rotation: weekly",
        ),
        source="robin",
    )
    assert [choose_assignee(robin_no_rota, None, NOW, load={}, turns_taken=t).person for t in range(3)] == [
        "sam",
        "jordan",
        "sam",
    ]
    leak = choose_assignee(plan, "data-leak", NOW, load={}, turns_taken=0)
    assert (leak.role, leak.person) == ("data_protection_officer", "riley")


def test_business_hours_arithmetic() -> None:
    hours = WorkingTime.of(("mon", "tue", "wed", "thu", "fri"), time(9), time(17), "Europe/Berlin")
    friday_evening = datetime(2026, 3, 6, 18, 0, tzinfo=UTC)  # 19:00 in Berlin, after closing
    assert due_at(friday_evening, timedelta(hours=1), hours) == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    assert due_at(friday_evening, timedelta(hours=1)) == datetime(2026, 3, 6, 19, 0, tzinfo=UTC)
    closed = WorkingTime.of(("mon",), time(9), time(17), "UTC", (datetime(2026, 3, 9).date(),))
    assert due_at(datetime(2026, 3, 9, 10, tzinfo=UTC), timedelta(hours=1), closed) == datetime(
        2026, 3, 16, 9, 0, tzinfo=UTC
    ) + timedelta(hours=1)
