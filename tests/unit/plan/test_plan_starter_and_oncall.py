"""The starter plan validates as given, and on_call answers for any date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ironwatch.core.errors import ValidationError
from ironwatch.plan.assess import assess_priority
from ironwatch.plan.loader import parse_plan
from ironwatch.plan.oncall import covered_fraction, on_call, uncovered_periods
from ironwatch.plan.starter import init_plan_text

REQUIRED_PLAYBOOKS = {
    "malware-infection",
    "ransomware",
    "compromised-account",
    "brute-force",
    "phishing",
    "data-exfiltration",
    "web-application-attack",
    "denial-of-service",
    "insider-misuse",
    "lost-device",
}


@pytest.fixture(scope="module")
def starter():
    return parse_plan(init_plan_text("Example Ltd"), source="starter.yaml")


def test_starter_plan_validates_and_names_the_organisation(starter):
    assert starter.organisation.name == "Example Ltd"
    assert "Example Ltd is committed" in starter.policy.management_commitment


def test_starter_plan_writes_out_the_whole_enisa_taxonomy_with_playbooks(starter):
    scheme = starter.classification
    assert scheme.base == "none"
    assert len(scheme.effective_categories) == 50
    leaves = [c for c in scheme.effective_categories if c.parent is not None]
    assert all(scheme.playbook_for(c.id) for c in leaves)
    assert {scheme.playbook_for(c.id) for c in leaves} >= REQUIRED_PLAYBOOKS


def test_starter_plan_fills_every_section(starter):
    assert starter.team.people and starter.team.roles and starter.team.escalation
    assert {r.id for r in starter.team.roles} >= {
        "incident_manager",
        "analyst",
        "responder",
        "legal",
        "communications",
        "management_sponsor",
    }
    assert starter.assets and starter.data_types and starter.stakeholders and starter.training.courses
    assert starter.policy.organisation.authorities and starter.policy.organisation.reporting_requirements
    assert assess_priority(starter, "high", "high") == "P1"
    assert assess_priority(starter, "low", "low") == "P4"
    assert starter.settings.auto_open_level == "high"
    assert starter.settings.actions_enabled is False


@pytest.mark.parametrize("org", ['Acme: "Quotes" & Co #1', "Müller GmbH", "O'Brien - Ltd.", "{braces} [x]"])
def test_awkward_organisation_names_survive_yaml(org):
    assert parse_plan(init_plan_text(org)).organisation.name == org


@pytest.mark.parametrize("org", ["", "   ", "two\nlines", "x" * 201])
def test_unusable_organisation_names_are_refused(org):
    with pytest.raises(ValidationError):
        init_plan_text(org)


@pytest.mark.parametrize("year", [2025, 2027, 2031, 2040])
def test_starter_rota_never_goes_stale(starter, year):
    at = datetime(year, 6, 15, 12, tzinfo=UTC)
    assert on_call(starter, "incident_manager", at) is not None
    assert covered_fraction(starter, "responder", at, at.replace(month=7)) == 1.0


def test_weekly_rotation_hands_over_at_local_time(minimal_plan):
    # Rotation starts Monday 2026-01-05 09:00 Europe/Berlin (08:00 UTC): ann, then bob, then ann...
    def who(text: str) -> str | None:
        person = on_call(minimal_plan, "incident_manager", datetime.fromisoformat(text))
        return person.id if person else None

    assert who("2026-01-05T07:59:00+00:00") is None  # before the first handover
    assert who("2026-01-05T08:00:00+00:00") == "ann"
    assert who("2026-01-12T07:59:00+00:00") == "ann"
    assert who("2026-01-12T08:00:00+00:00") == "bob"
    assert who("2026-01-19T09:00:00+01:00") == "ann"
    # After the switch to summer time the handover is still 09:00 in Berlin, i.e. 07:00 UTC.
    assert who("2026-04-06T06:59:00+00:00") == "ann"
    assert who("2026-04-06T07:00:00+00:00") == "bob"


def test_one_off_shift_overrides_the_rotation(minimal_plan):
    during = datetime(2026, 3, 2, 12, tzinfo=UTC)  # a week when ann is on the rotation
    person = on_call(minimal_plan, "incident_manager", during)
    assert person is not None and person.id == "bob"
    after = datetime(2026, 3, 3, 12, tzinfo=UTC)
    person = on_call(minimal_plan, "incident_manager", after)
    assert person is not None and person.id == "ann"


def test_role_without_rota_has_nobody_on_call(minimal_plan):
    assert on_call(minimal_plan, "analyst", datetime(2026, 3, 2, tzinfo=UTC)) is None


def test_on_call_refuses_naive_time_and_unknown_role(minimal_plan):
    with pytest.raises(ValidationError, match="no time zone"):
        on_call(minimal_plan, "incident_manager", datetime(2026, 3, 2))
    with pytest.raises(ValidationError, match="no role 'ciso'"):
        on_call(minimal_plan, "ciso", datetime(2026, 3, 2, tzinfo=UTC))


def test_uncovered_periods_before_the_rotation_starts(minimal_plan):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = datetime(2026, 1, 8, tzinfo=UTC)
    assert uncovered_periods(minimal_plan, "incident_manager", start, end) == [
        (start, datetime(2026, 1, 5, 8, tzinfo=UTC))
    ]
    fraction = covered_fraction(minimal_plan, "incident_manager", start, end)
    assert fraction == pytest.approx(1 - (4 * 24 + 8) / (7 * 24))
