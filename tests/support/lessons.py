"""An incident with a history (alert, matched event, tasks, comments, lifecycle) through the real services."""

from __future__ import annotations

from datetime import timedelta

from ironwatch.bootstrap import Runtime, ensure_starter_plan
from ironwatch.core.clock import FrozenClock
from ironwatch.core.ids import new_id
from ironwatch.core.principal import Principal, local_principal, system_principal
from ironwatch.incidents import schemas as inc
from ironwatch.incidents import service as incidents
from ironwatch.review import schemas as s
from ironwatch.review import timeline
from ironwatch.store.tables import AlertRow, EventRow

OPERATOR = local_principal("tester")


def _alert_with_event(runtime: Runtime, incident_id: str, clock: FrozenClock) -> None:
    """A Sigma rule's alert linked to the incident, with the event it matched (as detection leaves them)."""
    at = clock.now() - timedelta(hours=5)
    event_id = new_id()
    with runtime.uow(system_principal("detection"), write=True) as uow:
        uow.session.add(
            EventRow(
                id=event_id,
                event_time=at,
                received_at=at,
                source="vpn-gw",
                dataset="linux_auth",
                host="vpn-gw",
                user_name="jdoe",
                source_ip="203.0.113.9",
                message="Accepted password for jdoe from 203.0.113.9",
                fields={},
                notes=[],
                size=44,
            )
        )
        uow.session.add(
            AlertRow(
                id=new_id(),
                kind="sigma",
                rule_id="vpn-login-new-country",
                title="VPN login from a new country",
                level="high",
                tags=["attack.initial_access"],
                attack_techniques=["T1078"],
                entities={"user": "jdoe"},
                fields={},
                details={},
                event_ids=[event_id],
                dedup_key="k1",
                count=1,
                first_seen=at,
                last_seen=at,
                created_at=at,
                updated_at=at,
                status="incident",
                incident_id=incident_id,
            )
        )
        uow.commit()


def closed_incident(runtime: Runtime, clock: FrozenClock, *, principal: Principal = OPERATOR) -> str:
    """A P2 phishing incident taken from report to ``closed`` over a day; returns its reference.

    Times (clock starts at 2026-03-02 09:00Z): occurred 6 h and detected 4 h before it is opened;
    acknowledged +30 min, contained +3 h, recovered +8 h, closed +24 h after opening.
    """
    ensure_starter_plan(runtime)
    now = clock.now()
    with runtime.uow(principal, write=True) as uow:
        row = incidents.create_incident(
            uow,
            inc.IncidentCreate(
                title="Phishing mail led to a VPN login",
                summary="A credential phishing mail; the stolen password was used on the VPN.",
                category="phishing",
                severity=inc.Severity.HIGH,
                priority=inc.Priority.P2,
                occurred_at=now - timedelta(hours=6),
                detected_at=now - timedelta(hours=4),
            ),
        )
        ref, incident_id = row.ref, row.id
        uow.commit()
    _alert_with_event(runtime, incident_id, clock)
    steps = [
        (timedelta(minutes=30), "triage"),
        (timedelta(minutes=30), "confirmed"),
        (timedelta(hours=1), "containment"),
        (timedelta(hours=1), "eradication"),
        (timedelta(hours=2), "recovery"),
        (timedelta(hours=3), "closed"),
    ]
    for delay, state in steps:
        clock.advance(delay)
        with runtime.uow(principal, write=True) as uow:
            incidents.transition_incident(uow, ref, state, note=f"to {state}")
            if state == "containment":
                incidents.add_task(uow, ref, inc.TaskCreate(title="Reset jdoe's password", owner="alex"))
                incidents.add_comment(uow, ref, inc.CommentCreate(body="VPN session of jdoe killed"))
                incidents.add_observable(
                    uow, ref, inc.ObservableCreate(type="ipv4", value="203.0.113.9", note="login source")
                )
                timeline.add_timeline_entry(
                    uow,
                    ref,
                    s.ManualEntryCreate(
                        at=now - timedelta(hours=6),
                        text="jdoe entered the password on the phishing page",
                        source="interview with jdoe",
                        confidence=s.Confidence.LIKELY,
                        technique="T1566.002",
                    ),
                )
            uow.commit()
    return ref
