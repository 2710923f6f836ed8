"""check_readiness finds each kind of gap in a plan built to have it, and scores as documented."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conftest import replace_once
from ironwatch.core.errors import ValidationError
from ironwatch.plan.loader import parse_plan
from ironwatch.plan.readiness import WEIGHTS, GapSeverity, check_readiness
from ironwatch.plan.starter import init_plan_text

NOW = datetime(2026, 2, 1, 12, tzinfo=UTC)
PLAYBOOK_FOR_ALL = (
    "classification:\n  base: none\n  categories:\n"
    "    - {id: bad, name: Bad, description: Bad things., playbook: general}\n"
    "    - {id: data-leak, parent: bad, name: Data leak, description: Leaked data.}\n"
)


def gaps(text: str, *, now: datetime = NOW, check: str | None = None):
    readiness = check_readiness(parse_plan(text), now=now)
    return [g for g in readiness.gaps if check is None or g.check == check]


COMMUNICATION = (
    "communication:\n  enabled: true\n  channels:\n"
    "    - {id: mail, kind: email, host: mail.example, port: 587, username: iw, secret: SMTP_PASSWORD,\n"
    "       from_address: ironwatch@example.org}\n"
    "  audiences:\n    - {id: on-call, kind: on_call, channel: mail, on_call: [incident_manager]}\n"
    "  rules:\n    - {id: major, when: [created], priorities: [P1], audiences: [on-call]}\n"
)
BOB_TRAINED = "    - {person: bob, course: ir-basics, completed_on: 2025-03-01}\n"
ANN_TRAINED = "    - {person: ann, course: ir-basics, completed_on: 2026-01-10}\n"


@pytest.fixture
def ready_text(minimal_text: str) -> str:
    """The minimal plan with a playbook for every category, everyone trained and P1s announced: no gaps."""
    return (
        replace_once(minimal_text, ANN_TRAINED, ANN_TRAINED + BOB_TRAINED) + PLAYBOOK_FOR_ALL + COMMUNICATION
    )


def test_a_complete_plan_scores_100_with_no_gaps(ready_text):
    readiness = check_readiness(parse_plan(ready_text), now=NOW)
    assert readiness.gaps == ()
    assert readiness.score == 100


def test_role_without_member_is_critical_and_without_deputy_medium(ready_text):
    text = replace_once(ready_text, "      member: bob\n      deputies: [ann]\n", "")
    text = replace_once(text, "      member: ann\n      deputies: [bob]\n", "      member: ann\n")
    found = gaps(text, check="staffing")
    assert [(g.severity, g.message) for g in found] == [
        (GapSeverity.CRITICAL, "role 'analyst' has nobody assigned"),
        (GapSeverity.MEDIUM, "role 'incident_manager' has no deputy"),
    ]
    readiness = check_readiness(parse_plan(text), now=NOW)
    assert readiness.score == round(100 * (100 - 25 * (1 - 0.25)) / 100)


def test_nobody_on_call_in_the_next_days_is_critical(ready_text):
    found = gaps(ready_text, now=datetime(2025, 12, 1, tzinfo=UTC), check="on_call")
    assert len(found) == 1
    assert found[0].severity == GapSeverity.CRITICAL
    assert found[0].message == "nobody is on call for 'incident_manager' in the next 7 days"


def test_partial_on_call_cover_names_the_first_uncovered_period(ready_text):
    found = gaps(ready_text, now=datetime(2026, 1, 1, tzinfo=UTC), check="on_call")
    assert [g.severity for g in found] == [GapSeverity.HIGH]
    assert "from 2026-01-01T00:00:00+00:00 to 2026-01-05T08:00:00+00:00" in found[0].message


def test_no_role_marked_on_call_is_a_gap(ready_text):
    text = replace_once(ready_text, "      on_call: true\n", "")
    found = gaps(text, check="on_call")
    assert [g.message for g in found] == ["no role is marked on_call"]
    assert check_readiness(parse_plan(text), now=NOW).score == 80


def test_categories_without_playbook_are_listed(minimal_text):
    text = replace_once(minimal_text, ANN_TRAINED, ANN_TRAINED + BOB_TRAINED)
    found = gaps(text, check="playbooks")
    leaves = 50 - 11  # ENISA types; the classes all have types
    assert len(found) == leaves
    violence = next(g for g in found if "'violence'" in g.message)
    assert violence.severity == GapSeverity.HIGH  # special handling without a procedure
    assert {g.severity for g in found if g is not violence} == {GapSeverity.MEDIUM}
    readiness = check_readiness(parse_plan(text), now=NOW)
    assert readiness.score == 85  # everything else is ready: 100 - 15


def test_contacts_missing_phone_or_email(ready_text):
    text = replace_once(ready_text, "      phone: +1 555 0100 101\n", "")
    text = replace_once(text, ", email: breach@dpa.example, phone: +1 555 0100 200}", "}")
    found = gaps(text, check="contacts")
    assert [(g.severity, g.message) for g in found] == [
        (GapSeverity.MEDIUM, "contact 'Breach desk' of stakeholder 'regulator' has neither email nor phone"),
        (GapSeverity.LOW, "team member 'bob' has no phone"),
    ]
    assert [g.message for g in gaps(text, check="stakeholders")] == ["stakeholder 'regulator' has no contact"]


def test_stakeholder_without_contact_is_high(ready_text):
    text = replace_once(
        ready_text,
        "    contacts:\n      - {name: Breach desk, email: breach@dpa.example, phone: +1 555 0100 200}\n",
        "",
    )
    [gap] = gaps(text, check="stakeholders")
    assert gap.severity == GapSeverity.HIGH
    assert gap.path == "stakeholders[0]"


def test_training_never_completed_and_expired(minimal_text):
    text = replace_once(minimal_text, ANN_TRAINED, ANN_TRAINED.replace("2026-01-10", "2025-01-10"))
    found = gaps(text + PLAYBOOK_FOR_ALL, check="training")
    assert {(g.severity, g.message) for g in found} == {
        (GapSeverity.MEDIUM, "'bob' has never completed 'ir-basics'"),
        (GapSeverity.LOW, "'ann' is overdue for 'ir-basics' (expired 2026-01-10)"),
    }


def test_completion_stays_current_for_the_course_frequency(ready_text):
    # bob completed on 2025-03-01 and the course's frequency is 365 days.
    assert gaps(ready_text, now=datetime(2026, 3, 1, 23, tzinfo=UTC), check="training") == []
    [expired] = gaps(ready_text, now=datetime(2026, 3, 2, tzinfo=UTC), check="training")
    assert expired.message == "'bob' is overdue for 'ir-basics' (expired 2026-03-01)"


def test_exercise_overdue_or_never_held(ready_text):
    [overdue] = gaps(ready_text, now=datetime(2026, 9, 1, tzinfo=UTC), check="exercises")
    assert overdue.message == "the last exercise was on 2026-01-20, more than 180 days ago"
    text = replace_once(ready_text, "    - {held_on: 2026-01-20, kind: tabletop, scenario: Ransomware}\n", "")
    text = replace_once(text, "  exercises:\n", "  exercises: []\n")
    [never] = gaps(text, check="exercises")
    assert never.message == "no exercise has been recorded"
    assert never.severity == GapSeverity.HIGH


def test_starter_plan_scores_as_documented():
    # The starter plan staffs every role with a deputy, covers on-call with rotations, gives every
    # category a playbook and every contact both email and phone; it has no training completions and
    # no exercises yet, so those two checks score 0.
    plan = parse_plan(init_plan_text("Example Ltd"))
    readiness = check_readiness(plan, now=datetime(2026, 6, 15, 9, tzinfo=UTC))
    ratios = {c.check: c.ratio for c in readiness.checks}
    assert ratios == {
        "staffing": 1.0,
        "on_call": 1.0,
        "playbooks": 1.0,
        "contacts": 1.0,
        "stakeholders": 1.0,
        "training": 0.0,
        "exercises": 0.0,
    }
    expected = round(100 * sum(WEIGHTS[c] * r for c, r in ratios.items()) / sum(WEIGHTS.values()))
    assert readiness.score == expected == 80
    # communication is off in the starter plan: listed as a gap, not weighed in the score
    assert {g.check for g in readiness.gaps} == {"training", "exercises", "communication"}
    assert readiness.gaps[0].severity == GapSeverity.HIGH  # most severe first


def test_disabled_communication_is_a_gap_with_a_hint_but_not_scored(ready_text):
    text = replace_once(ready_text, "  enabled: true\n", "")
    [gap] = gaps(text, check="communication")
    assert gap.message == "communication is disabled: nobody is notified automatically of an incident"
    assert "enabled: true" in gap.hint and gap.path == "communication.enabled"
    assert check_readiness(parse_plan(text), now=NOW).score == 100


def test_no_audience_for_the_creation_of_a_p1_is_a_gap(ready_text):
    text = replace_once(ready_text, "priorities: [P1], audiences", "priorities: [P2], audiences")
    [gap] = gaps(text, check="communication")
    assert (gap.severity, gap.message) == (
        GapSeverity.HIGH,
        "no audience is told when a P1 incident is created",
    )
    assert "when: [created]" in gap.hint
    unfiltered = replace_once(ready_text, "priorities: [P1], audiences", "audiences")
    assert gaps(unfiltered, check="communication") == [], "a rule for every priority covers P1"


def test_an_audience_that_reaches_nobody_is_a_gap(ready_text):
    text = replace_once(ready_text, ", on_call: [incident_manager]}", "}")
    [gap] = gaps(text, check="communication")
    assert gap.message == "audience 'on-call' reaches nobody"
    assert gap.path == "communication.audiences[0]"


def test_a_rule_sending_over_a_channel_without_its_secret_is_critical(ready_text):
    plan = parse_plan(ready_text)
    missing = check_readiness(plan, now=NOW, secret_problem=lambda name: f"the secret {name} is not set")
    [gap] = missing.gaps
    assert gap.severity == GapSeverity.CRITICAL
    assert gap.message == "rule 'major' sends over channel 'mail', but the secret SMTP_PASSWORD is not set"
    assert "IRONWATCH_SECRET_SMTP_PASSWORD" in gap.hint and gap.path == "communication.channels[0]"
    assert check_readiness(plan, now=NOW, secret_problem=lambda name: None).gaps == ()
    assert check_readiness(plan, now=NOW).gaps == (), "without a way to look, secrets are not judged"


def test_naive_now_is_refused(minimal_plan):
    with pytest.raises(ValidationError, match="no time zone"):
        check_readiness(minimal_plan, now=datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match="horizon_days"):
        check_readiness(minimal_plan, now=NOW, horizon_days=0)
