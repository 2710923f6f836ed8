"""Opening, refreshing and withdrawing an incident's obligations from its facts (inside a unit of work).

Called whenever the facts or the special-handling flags change. An obligation once opened is
never deleted: when a fact it depended on is withdrawn it becomes ``not_applicable`` with the
reason, and it opens again if the facts come back. Obligations a person closed or set aside by
hand are left alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.errors import NotFoundError
from ironwatch.core.ids import new_id
from ironwatch.obligations.duties import Duty, duties_for
from ironwatch.obligations.engine import Assessment, PhaseDeadline, assess, effective_facts
from ironwatch.plan import service as plans
from ironwatch.plan.models import Plan
from ironwatch.store.tables import IncidentFactsRow, IncidentRow, ObligationRow
from ironwatch.store.uow import UnitOfWork

OPEN, SUBMITTED, CLOSED, NOT_APPLICABLE = "open", "submitted", "closed", "not_applicable"
ACTIVE = (OPEN, SUBMITTED)
#: reasons the engine writes start with this; only those are reopened automatically
FACTS_CHANGED = "facts changed: "


def plan_or_none(uow: UnitOfWork) -> Plan | None:
    """The plan in force, or None on an installation that has not applied one yet."""
    try:
        return plans.current_plan(uow)
    except NotFoundError:
        return None


def facts_row(uow: UnitOfWork, incident_id: str) -> IncidentFactsRow | None:
    return uow.session.scalars(
        select(IncidentFactsRow).where(IncidentFactsRow.incident_id == incident_id)
    ).one_or_none()


def obligations_of(uow: UnitOfWork, incident_id: str) -> list[ObligationRow]:
    return list(
        uow.session.scalars(
            select(ObligationRow)
            .where(ObligationRow.incident_id == incident_id)
            .order_by(ObligationRow.opened_at, ObligationRow.duty_id)
        ).all()
    )


def fallback_times(incident: IncidentRow, facts: IncidentFactsRow | None) -> dict[str, datetime]:
    """Clock starts assumed until someone answers: when triage flagged it, else detected, else reported."""
    aware = (facts.flagged_at if facts else None) or incident.detected_at or incident.reported_at
    return {"awareness_at": aware, "discovery_at": aware}


def _submitted(row: ObligationRow) -> dict[str, datetime]:
    return {p["id"]: datetime.fromisoformat(p["submitted_at"]) for p in row.phases if p.get("submitted_at")}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _phase_records(duty: Duty, phases: tuple[PhaseDeadline, ...]) -> list[dict[str, Any]]:
    records = []
    for computed in phases:
        spec = duty.phase(computed.id)
        records.append(
            {
                "id": computed.id,
                "title": computed.title,
                "required": computed.required,
                "deadline": _iso(computed.deadline),
                "rule": computed.rule,
                "submitted_at": _iso(computed.submitted_at),
                "content": [c.model_dump() for c in spec.content] if spec else [],
            }
        )
    return records


def next_due(phases: list[dict[str, Any]]) -> tuple[str | None, datetime | None]:
    """The earliest deadline among required phases not yet submitted."""
    pending = [p for p in phases if p["required"] and not p.get("submitted_at") and p.get("deadline")]
    if not pending:
        return None, None
    first = min(pending, key=lambda p: p["deadline"])
    return first["id"], datetime.fromisoformat(first["deadline"])


def status_of(phases: list[dict[str, Any]]) -> str:
    required = [p for p in phases if p["required"]]
    done = [p for p in required if p.get("submitted_at")]
    if required and len(done) == len(required):
        return CLOSED
    return SUBMITTED if any(p.get("submitted_at") for p in phases) else OPEN


def event_data(row: ObligationRow, ref: str) -> dict[str, Any]:
    """What every obligation.* domain event carries."""
    return {
        "ref": ref,
        "obligation_id": row.id,
        "duty_id": row.duty_id,
        "title": row.title,
        "recipient": row.recipient.get("name"),
        "citation": row.citation,
        "deadline": _iso(row.next_deadline),
        "phase": row.next_phase,
    }


def evaluate_incident(uow: UnitOfWork, incident: IncidentRow) -> list[ObligationRow]:
    """Bring the incident's obligations in line with its facts; returns the rows opened or changed."""
    plan = plan_or_none(uow)
    duties = duties_for(plan)
    stored = facts_row(uow, incident.id)
    facts, _ = effective_facts(plan, stored.values if stored else {})
    existing = {row.duty_id: row for row in obligations_of(uow, incident.id)}
    results = assess(
        duties,
        facts,
        fallbacks=fallback_times(incident, stored),
        submitted={duty_id: _submitted(row) for duty_id, row in existing.items()},
    )
    now = uow.clock.now()
    touched: list[ObligationRow] = []
    uow.set_action("obligation.evaluate")
    for result in results:
        row = existing.get(result.duty.id)
        if result.verdict.value is True:
            if row is None:
                row = _open(uow, incident, result, now)
                touched.append(row)
                uow.publish(DomainEvent("obligation.opened", incident.id, event_data(row, incident.ref)))
            elif row.status == NOT_APPLICABLE and row.status_reason.startswith(FACTS_CHANGED):
                _refresh(row, result, now)
                row.status, row.status_reason = status_of(row.phases), ""
                touched.append(row)
                uow.publish(DomainEvent("obligation.opened", incident.id, event_data(row, incident.ref)))
            elif row.status in ACTIVE and _refresh(row, result, now):
                touched.append(row)
        elif result.verdict.value is False and row is not None and row.status in ACTIVE:
            row.status = NOT_APPLICABLE
            row.status_reason = FACTS_CHANGED + "; ".join(result.verdict.reasons)
            row.updated_at = now
            touched.append(row)
        # unknown: an opened obligation stays as it is until the facts decide
    uow.flush()
    uow.set_action(None)
    return touched


def _open(uow: UnitOfWork, incident: IncidentRow, result: Assessment, now: datetime) -> ObligationRow:
    duty = result.duty
    phases = _phase_records(duty, result.phases)
    next_phase, next_deadline = next_due(phases)
    row = ObligationRow(
        id=new_id(),
        incident_id=incident.id,
        duty_id=duty.id,
        kind=duty.kind,
        regime=duty.regime,
        title=duty.title,
        citation=duty.citation.article,
        citation_url=duty.citation.url,
        recipient=duty.recipient.model_dump(),
        clock_fact=duty.clock,
        clock_started_at=result.clock_started_at,
        clock_assumed=result.clock_assumed,
        phases=phases,
        next_phase=next_phase,
        next_deadline=next_deadline,
        status=OPEN,
        status_reason="",
        reminders_sent=[],
        opened_at=now,
        updated_at=now,
    )
    uow.session.add(row)
    return row


def _refresh(row: ObligationRow, result: Assessment, now: datetime) -> bool:
    """New deadlines after a clock start was given or corrected; reminders of moved phases re-armed."""
    phases = _phase_records(result.duty, result.phases)
    old = {p["id"]: p.get("deadline") for p in row.phases}
    moved = {p["id"] for p in phases if old.get(p["id"]) != p["deadline"]}
    next_phase, next_deadline = next_due(phases)
    changed = (
        phases != row.phases
        or row.clock_started_at != result.clock_started_at
        or row.clock_assumed != result.clock_assumed
    )
    if not changed:
        return False
    row.phases = phases
    row.clock_started_at = result.clock_started_at
    row.clock_assumed = result.clock_assumed
    row.next_phase, row.next_deadline = next_phase, next_deadline
    row.reminders_sent = [m for m in row.reminders_sent if m.split(":", 1)[0] not in moved]
    row.updated_at = now
    return True
