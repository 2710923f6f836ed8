"""Detections become alerts once per dedup key and window; each recording is a domain event."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func, select

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.principal import system_principal
from ironwatch.detect.alerts import MAX_EVENT_IDS, record_alerts
from ironwatch.detect.sigma.match import Match, build_match
from ironwatch.store.tables import AlertRow, AuditEntryRow

DETECTION = system_principal("detection")


def _match(user: str = "root", event_id: str = "e1") -> Match:
    m = build_match(
        rule_id="ssh-fail",
        title="SSH login failed",
        level="low",
        tags=("attack.t1110.001",),
        fields=("event.outcome",),
        event={"event.outcome": "failure", "user.name": user, "source.ip": "203.0.113.9"},
    )
    return replace(m, event_ids=(event_id,))


def test_repeat_within_window_counts_instead_of_opening(runtime: Runtime, clock: FrozenClock) -> None:
    seen: list[DomainEvent] = []
    runtime.subscribers.subscribe("alert.recorded", lambda _uow, event: seen.append(event))
    with runtime.uow(DETECTION, write=True) as uow:
        first = record_alerts(uow, [_match(event_id="e1"), _match(event_id="e2")])
        uow.commit()
    assert first[0].new and not first[1].new and first[0].alert.id == first[1].alert.id
    clock.advance(timedelta(minutes=30))
    with runtime.uow(DETECTION, write=True) as uow:
        again = record_alerts(uow, [_match(event_id="e3"), _match(user="admin", event_id="e4")])
        uow.commit()
    assert not again[0].new and again[1].new
    clock.advance(timedelta(hours=2))
    with runtime.uow(DETECTION, write=True) as uow:
        late = record_alerts(uow, [_match(event_id="e5")])
        uow.commit()
    assert late[0].new, "a repeat after the dedup window opens a new alert"
    with runtime.uow(DETECTION) as uow:
        rows = uow.session.scalars(select(AlertRow).order_by(AlertRow.created_at)).all()
        audited = uow.session.scalar(
            select(func.count()).select_from(AuditEntryRow).where(AuditEntryRow.object_type == "alert")
        )
    root = rows[0]
    assert (root.count, root.event_ids, root.entities["user"]) == (3, ["e1", "e2", "e3"], "root")
    assert root.attack_techniques == ["T1110.001"]
    assert len(rows) == 3 and audited and audited >= 4
    assert [(e.kind, e.data["new"], e.data["count"]) for e in seen] == [
        ("alert.recorded", True, 2),
        ("alert.recorded", False, 3),
        ("alert.recorded", True, 1),
        ("alert.recorded", True, 1),
    ]


def test_event_ids_are_capped_but_counted(runtime: Runtime) -> None:
    base = _match()
    many = [replace(base, event_ids=(f"e{i}",)) for i in range(MAX_EVENT_IDS + 20)]
    with runtime.uow(DETECTION, write=True) as uow:
        recorded = record_alerts(uow, many)
        uow.commit()
    assert recorded[0].alert.count == MAX_EVENT_IDS + 20
    assert len(recorded[0].alert.event_ids) == MAX_EVENT_IDS
