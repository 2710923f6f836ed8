"""Plan model rules: references across sections, taxonomy merging, field formats."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import problems_of, replace_once
from ironwatch.core.errors import ValidationError
from ironwatch.plan.assess import assess_priority
from ironwatch.plan.enisa import RSIT
from ironwatch.plan.fieldtypes import format_duration, parse_duration
from ironwatch.plan.loader import parse_plan
from ironwatch.plan.models import ENISA_CATEGORIES, Plan


def test_default_classification_is_the_full_enisa_taxonomy(minimal_plan):
    categories = minimal_plan.classification.effective_categories
    classes = [c.id for c in categories if c.parent is None]
    assert classes == [
        "abusive-content",
        "malicious-code",
        "information-gathering",
        "intrusion-attempts",
        "intrusions",
        "availability",
        "information-content-security",
        "fraud",
        "vulnerable",
        "other",
        "test",
    ]
    assert len(categories) == len(RSIT) == 50
    assert all(c.description for c in categories)


def test_plan_categories_extend_and_replace_the_enisa_base(minimal_text):
    extra = (
        "classification:\n  categories:\n"
        "    - {id: deepfake, parent: fraud, name: Deepfake, description: Synthetic media.,\n"
        "       playbook: fraud-response}\n"
        "    - {id: phishing, parent: fraud, name: Phishing, description: Credential lures.,\n"
        "       playbook: phishing, special_handling: true}\n"
    )
    plan = parse_plan(minimal_text + extra)
    scheme = plan.classification
    assert len(scheme.effective_categories) == len(ENISA_CATEGORIES) + 1
    assert scheme.playbook_for("phishing") == "phishing"
    assert scheme.category("phishing").special_handling is True
    assert scheme.playbook_for("deepfake") == "fraud-response"


def test_type_inherits_its_class_playbook(minimal_text):
    extra = "classification:\n  categories:\n    - {id: fraud, name: F, description: M., playbook: fraud}\n"
    scheme = parse_plan(minimal_text + extra).classification
    assert scheme.playbook_for("masquerade") == "fraud"
    assert scheme.playbook_for("spam") is None


def test_base_none_without_categories_is_refused(minimal_text):
    [problem] = problems_of(minimal_text + "classification:\n  base: none\n")
    assert problem.message == "the classification has no categories"


def test_type_under_a_type_is_refused(minimal_text):
    extra = "classification:\n  categories:\n    - {id: x, parent: spam, name: X, description: X.}\n"
    [problem] = problems_of(minimal_text + extra)
    assert "is itself a type of 'abusive-content'" in problem.message


def test_cross_section_references_are_checked(minimal_text):
    text = replace_once(
        minimal_text, "      audience: [incident_manager, analyst]", "      audience: [analyst, ciso]"
    )
    text = replace_once(
        text, "        roles: [incident_manager]\n    reporting", "        roles: [boss]\n    reporting"
    )
    text = replace_once(text, "      - category: data-leak", "      - category: data-leakage")
    text = replace_once(text, "    data_types: [customers]", "    data_types: [clients]")
    problems = problems_of(text)
    messages = sorted(p.message for p in problems)
    assert messages == [
        "unknown category 'data-leakage'",
        "unknown data type 'clients'",
        "unknown role 'boss'",
        "unknown role 'ciso'",
    ]
    assert {p.path for p in problems} == {
        "training.courses[0].audience[1]",
        "policy.organisation.authorities[0].roles[0]",
        "policy.organisation.reporting_requirements[0].category",
        "assets[0].data_types[0]",
    }


def test_reporting_requirement_may_name_a_role_or_a_stakeholder(minimal_text):
    plan = parse_plan(replace_once(minimal_text, "report_to: regulator", "report_to: incident_manager"))
    assert plan.policy.organisation.reporting_requirements[0].report_to == "incident_manager"
    [problem] = problems_of(replace_once(minimal_text, "report_to: regulator", "report_to: press"))
    assert problem.message == "unknown stakeholder or role 'press'"


def test_deputy_cannot_be_the_member(minimal_text):
    [problem] = problems_of(replace_once(minimal_text, "      deputies: [ann]", "      deputies: [bob]"))
    assert problem.message == "'bob' is both member and deputy of role 'analyst'"


def test_escalation_levels_must_be_numbered_and_later(minimal_text):
    [problem] = problems_of(replace_once(minimal_text, "after: 2h", "after: 10m"))
    assert problem.path == "team.escalation[1].after"
    assert "no later than the level before" in problem.message


def test_shift_must_end_after_it_starts(minimal_text):
    [problem] = problems_of(
        replace_once(minimal_text, "end: 2026-03-03T09:00:00+01:00", "end: 2026-03-01T09:00:00+01:00")
    )
    assert problem.message == "the shift ends before it starts"
    assert problem.path == "team.on_call.shifts[0].end"


def test_unknown_time_zone_is_refused(minimal_text):
    [problem] = problems_of(replace_once(minimal_text, "timezone: Europe/Berlin", "timezone: Mars/Olympus"))
    assert "unknown time zone 'Mars/Olympus'" in problem.message


def test_priority_targets_must_run_acknowledge_contain_resolve(minimal_text):
    text = replace_once(
        minimal_text,
        "{id: P1, name: Critical, acknowledge: 15m, contain: 4h, resolve: 1d}",
        "{id: P1, name: Critical, acknowledge: 15m, contain: 2d, resolve: 1d}",
    )
    problems = problems_of(text)
    assert "P1's targets are out of order" in [p.message for p in problems]


def test_priorities_must_be_listed_in_order(minimal_text):
    text = replace_once(minimal_text, "{id: P2, name: High,", "{id: P5, name: High,")
    messages = [p.message for p in problems_of(text)]
    assert "priority 'P5' is entry 2" in messages


def test_matrix_naming_unknown_priority_is_refused(minimal_text):
    [problem] = problems_of(
        replace_once(minimal_text, "high: {high: P1, low: P2}", "high: {high: P0, low: P2}")
    )
    assert problem.message == "unknown priority 'P0'"
    assert problem.path == "priority.matrix.high.high"


def test_asset_addresses_are_validated_and_normalised(minimal_text):
    plan = parse_plan(
        replace_once(minimal_text, "[mail.tiny.example, 192.0.2.7]", "[Mail.Tiny.Example., 2001:DB8::1]")
    )
    assert plan.assets[0].addresses == ("mail.tiny.example", "2001:db8::1")
    [problem] = problems_of(replace_once(minimal_text, "[mail.tiny.example, 192.0.2.7]", "[not an address]"))
    assert "is not an address" in problem.message


def test_jurisdiction_codes_are_checked(minimal_text):
    [problem] = problems_of(replace_once(minimal_text, "[EU, US-CA]", "[EU, California]"))
    assert "'California' is not a jurisdiction" in problem.message


def test_plan_is_immutable(minimal_plan: Plan):
    with pytest.raises(Exception, match="frozen"):
        minimal_plan.organisation.name = "Other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("impact", "urgency", "expected"),
    [("high", "high", "P1"), ("high", "low", "P2"), ("low", "high", "P3"), ("low", "low", "P4")],
)
def test_assess_priority_reads_the_matrix(minimal_plan, impact, urgency, expected):
    assert assess_priority(minimal_plan, impact, urgency) == expected


def test_assess_priority_refuses_unknown_levels(minimal_plan):
    with pytest.raises(ValidationError, match="unknown impact level 'severe'") as caught:
        assess_priority(minimal_plan, "severe", "high")
    assert caught.value.hint == "use one of: high, low"
    with pytest.raises(ValidationError, match="unknown urgency level"):
        assess_priority(minimal_plan, "high", "now")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("1h30m", timedelta(minutes=90)),
        ("2w", timedelta(days=14)),
        ("1y", timedelta(days=365)),
        ("45s", timedelta(seconds=45)),
    ],
)
def test_durations_parse_compact_forms(text, expected):
    assert parse_duration(text) == expected


def test_durations_round_trip_through_their_compact_form():
    for text in ("15m", "72h", "30d", "1h30m", "5d6h", "45s"):
        assert format_duration(parse_duration(text)) == text


def test_unquoted_handover_time_is_read_as_hours_and_minutes(minimal_text):
    plan = parse_plan(replace_once(minimal_text, 'handover: "09:00"', "handover: 9:30"))
    assert plan.team.on_call.rotations[0].handover.isoformat() == "09:30:00"
    [problem] = problems_of(replace_once(minimal_text, 'handover: "09:00"', "handover: 25:00"))
    assert "25:00 is not a time of day" in problem.message


def test_bad_date_hints_at_the_format(minimal_text):
    [problem] = problems_of(replace_once(minimal_text, "held_on: 2026-01-20", "held_on: yesterday"))
    assert problem.path == "training.exercises[0].held_on"
    assert problem.hint == "write a date as YYYY-MM-DD, e.g. 2026-01-31"
