"""Timelines, post-incident reviews, action items and training needs, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from ironwatch.plan import service as plans
from ironwatch.review import schemas as s
from ironwatch.review import service
from ironwatch.review.timeline import incident_timeline, timeline_csv
from ironwatch.store.tables import AuditEntryRow
from tests.support.lessons import OPERATOR, closed_incident
from tests.support.people import add_user, principal


def test_timeline_merges_every_source_in_time_order(runtime: Runtime, clock: FrozenClock) -> None:
    ref = closed_incident(runtime, clock)
    with runtime.uow(OPERATOR) as uow:
        entries = incident_timeline(uow, ref)
    kinds = [e.kind for e in entries]
    assert {"milestone", "alert", "event", "state", "task", "comment", "observable", "manual"} <= set(kinds)
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    # the first steps are what the attacker did, before anyone noticed
    assert entries[0].text == "the incident occurred"
    assert entries[1].kind == "manual" and entries[1].confidence == "likely"
    assert entries[1].techniques == ["T1566.002"] and entries[1].source == "interview with jdoe"
    event = next(e for e in entries if e.kind == "event")
    assert event.techniques == ["T1078"] and "Accepted password for jdoe" in event.text
    states = [e.text for e in entries if e.kind == "state"]
    assert states[0] == "reported -> triage: to triage" and states[-1] == "recovery -> closed: to closed"


def test_timeline_filters_by_kind_and_time(runtime: Runtime, clock: FrozenClock) -> None:
    start = clock.now()
    ref = closed_incident(runtime, clock)
    with runtime.uow(OPERATOR) as uow:
        only = incident_timeline(uow, ref, kinds=["alert", "manual"])
        later = incident_timeline(uow, ref, kinds=["state"], since=start + timedelta(hours=2.5))
        with pytest.raises(ValidationError, match="unknown timeline kind"):
            incident_timeline(uow, ref, kinds=["gossip"])
    assert [e.kind for e in only] == ["manual", "alert"]
    # transitions at +0.5 h, +1, +2, +3, +5 and +8 h
    assert [e.text.split(":")[0] for e in later] == [
        "containment -> eradication",
        "eradication -> recovery",
        "recovery -> closed",
    ]


def test_timeline_hides_events_from_those_who_may_not_search_them(
    runtime: Runtime, clock: FrozenClock
) -> None:
    ref = closed_incident(runtime, clock)
    add_user(runtime, "rory", "reporter")
    add_user(runtime, "ria", "responder")
    with runtime.uow(principal(runtime, "ria")) as uow:
        assert any(e.kind == "event" for e in incident_timeline(uow, ref))
    with runtime.uow(principal(runtime, "rory")) as uow, pytest.raises(PermissionDeniedError):
        incident_timeline(uow, ref)


def test_timeline_csv_has_a_row_per_step_and_no_formulas(runtime: Runtime, clock: FrozenClock) -> None:
    ref = closed_incident(runtime, clock)
    with runtime.uow(OPERATOR, write=True) as uow:
        from ironwatch.review.timeline import add_timeline_entry

        add_timeline_entry(uow, ref, s.ManualEntryCreate(at=clock.now(), text="=HYPERLINK(evil)"))
        uow.commit()
    with runtime.uow(OPERATOR) as uow:
        entries = incident_timeline(uow, ref)
    rows = list(csv.DictReader(io.StringIO(timeline_csv(entries))))
    assert len(rows) == len(entries)
    assert rows[-1]["text"] == "'=HYPERLINK(evil)"
    assert any(r["techniques"] == "T1078" and r["kind"] == "alert" for r in rows)


def _write_review(runtime: Runtime, ref: str, needs: list[dict[str, object]]) -> None:
    with runtime.uow(OPERATOR, write=True) as uow:
        review = service.start_review(uow, ref)
        assert review.techniques == ["T1078", "T1566.002"]  # from the alert and the manual entry
        service.update_review(
            uow,
            ref,
            s.ReviewFields.model_validate(
                {
                    "root_cause": "The VPN accepted a password alone; no second factor.",
                    "root_cause_category": "weak-authentication",
                    "went_well": ["Containment within three hours"],
                    "to_improve": ["Detect logins from new countries sooner"],
                    "hours_spent": 14.5,
                    "records_affected": 1200,
                    "cost": 8000,
                    "detection_gaps": [
                        {
                            "step": "password entered on the phishing page",
                            "technique": "T1566.002",
                            "started_at": "2026-03-02T03:00:00Z",
                            "detected_at": "2026-03-02T05:00:00Z",
                        }
                    ],
                    "training_needs": needs,
                }
            ),
        )
        uow.commit()


def test_completing_a_review_adds_the_training_to_the_plan_and_marks_the_incident_reviewed(
    runtime: Runtime, clock: FrozenClock
) -> None:
    ref = closed_incident(runtime, clock)
    needs: list[dict[str, object]] = [
        {
            "course": "phishing-spotting",
            "title": "Spotting credential phishing",
            "roles": ["analyst"],
            "people": ["sam"],
            "frequency_days": 180,
            "reason": "jdoe's password was phished",
        },
        {"course": "incident-handling", "people": ["riley"]},
    ]
    _write_review(runtime, ref, needs)
    with runtime.uow(OPERATOR) as uow:
        before = plans.latest_version(uow)
    assert before is not None
    with runtime.uow(OPERATOR, write=True) as uow:
        _, version = service.complete_review(uow, ref)
        uow.commit()
    assert version == before.version + 1
    with runtime.uow(OPERATOR) as uow:
        current = plans.get_version(uow)
        review = service.review_detail(uow, ref)
        actions = uow.session.scalars(select(AuditEntryRow.action).order_by(AuditEntryRow.seq)).all()
    courses = {c.id: c for c in current.plan.training.courses}
    new = courses["phishing-spotting"]
    assert (new.title, new.audience, new.people, new.frequency) == (
        "Spotting credential phishing",
        ("analyst",),
        ("sam",),
        timedelta(days=180),
    )
    assert "review of " + ref in (new.description or "")
    assert courses["incident-handling"].people == ("riley",)
    assert "# Settings other parts of ironwatch read." in current.text  # the rest of the file, comments kept
    assert current.info.source == f"review of {ref}"
    assert review.status == "completed" and review.incident_status == "reviewed"
    assert review.plan_version == version
    assert review.detection_gaps[0].undetected_hours == 2.0
    assert "review.complete" in actions and "incident.transition" in actions


def test_a_review_is_completed_only_when_the_incident_is_closed_and_the_review_written(
    runtime: Runtime, clock: FrozenClock
) -> None:
    ref = closed_incident(runtime, clock)
    with runtime.uow(OPERATOR, write=True) as uow:
        service.start_review(uow, ref)
        with pytest.raises(ValidationError, match="no root cause"):
            service.complete_review(uow, ref)
    with runtime.uow(OPERATOR, write=True) as uow:
        service.start_review(uow, ref)
        service.update_review(uow, ref, s.ReviewFields(root_cause="x"))
        from ironwatch.incidents.service import transition_incident

        transition_incident(uow, ref, "triage", note="reopened")
        with pytest.raises(ConflictError, match="once the incident is closed"):
            service.complete_review(uow, ref)


def test_an_analyst_cannot_push_training_needs_into_the_plan(runtime: Runtime, clock: FrozenClock) -> None:
    ref = closed_incident(runtime, clock)
    _write_review(runtime, ref, [{"course": "incident-handling", "people": ["riley"]}])
    add_user(runtime, "ana", "analyst")
    with (
        runtime.uow(principal(runtime, "ana"), write=True) as uow,
        pytest.raises(PermissionDeniedError, match="training needs"),
    ):
        service.complete_review(uow, ref)


def test_training_needs_must_name_what_the_plan_has(runtime: Runtime, clock: FrozenClock) -> None:
    ref = closed_incident(runtime, clock)
    with runtime.uow(OPERATOR, write=True) as uow:
        service.start_review(uow, ref)
        bad = s.ReviewFields.model_validate({"training_needs": [{"course": "new-one", "roles": ["wizard"]}]})
        with pytest.raises(ValidationError, match="give a title") as caught:
            service.update_review(uow, ref, bad)
    assert "no role 'wizard'" in caught.value.message


def test_action_items_are_tracked_to_closure_across_incidents(runtime: Runtime, clock: FrozenClock) -> None:
    ref = closed_incident(runtime, clock)
    _write_review(runtime, ref, [])
    with runtime.uow(OPERATOR, write=True) as uow:
        service.add_action_item(
            uow,
            ref,
            s.ActionItemCreate(
                title="Enforce MFA on the VPN", owner="alex", due_at=clock.now() + timedelta(days=14)
            ),
        )
        service.add_action_item(
            uow,
            ref,
            s.ActionItemCreate(
                title="Alert on new countries", owner="sam", due_at=clock.now() + timedelta(days=1)
            ),
        )
        service.complete_review(uow, ref)
        uow.commit()
    clock.advance(timedelta(days=2))
    with runtime.uow(OPERATOR) as uow:
        listed = service.list_action_items(uow, open_only=True)
    assert [(i.label, i.overdue) for i in listed] == [(f"{ref}-A2", True), (f"{ref}-A1", False)]
    with runtime.uow(OPERATOR, write=True) as uow:
        with pytest.raises(ValidationError, match="why"):
            service.update_action_item(uow, ref, 2, s.ActionItemClose(status=s.ActionItemStatus.WONT_DO))
        service.update_action_item(uow, ref, 2, s.ActionItemClose(resolution="Sigma rule deployed"))
        uow.commit()
    with runtime.uow(OPERATOR, write=True) as uow:
        assert [i.label for i in service.list_action_items(uow, open_only=True)] == [f"{ref}-A1"]
        done = service.list_action_items(uow)[0]
        assert (done.status, done.closed_by, done.resolution) == (
            "done",
            OPERATOR.name,
            "Sigma rule deployed",
        )
        with pytest.raises(ConflictError, match="already done"):
            service.update_action_item(uow, ref, 2, s.ActionItemClose())
        with pytest.raises(NotFoundError):
            service.update_action_item(uow, ref, 9, s.ActionItemClose())


def test_participants_give_feedback_once_each(runtime: Runtime, clock: FrozenClock) -> None:
    ref = closed_incident(runtime, clock)
    add_user(runtime, "ria", "responder")
    with runtime.uow(OPERATOR, write=True) as uow:
        service.start_review(uow, ref)
        uow.commit()
    ria = principal(runtime, "ria")
    for rating in (3, 4):
        with runtime.uow(ria, write=True) as uow:
            service.give_feedback(uow, ref, s.FeedbackCreate(rating=rating, to_improve="outdated runbook"))
            uow.commit()
    with runtime.uow(ria, write=True) as uow:
        with pytest.raises(PermissionDeniedError):
            service.update_review(uow, ref, s.ReviewFields(summary="mine now"))
        feedback = service.review_detail(uow, ref).feedback
    assert [(f.participant, f.rating, f.to_improve) for f in feedback] == [("ria", 4, "outdated runbook")]
