"""Obligation services: breach facts, questions, obligations, and closing them with evidence.

Every rule about notification duties lives here and in ``evaluation``/``engine``; the API and the
CLI call these functions with a unit of work whose principal is the actor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from ironwatch.core.breach_facts import parse_fact
from ironwatch.core.domain_events import DomainEvent, Subscribers
from ironwatch.core.errors import ConflictError, NotFoundError, ValidationError
from ironwatch.core.ids import new_id
from ironwatch.core.permissions import Permission
from ironwatch.incidents.service import find_incident, visible_to
from ironwatch.obligations import evaluation as ev
from ironwatch.obligations.duties import duties_for
from ironwatch.obligations.engine import Question, assess, effective_facts, questions
from ironwatch.store.tables import (
    IncidentAttachmentRow,
    IncidentFactsRow,
    IncidentRow,
    ObligationRow,
    ObligationSubmissionRow,
)
from ironwatch.store.uow import UnitOfWork

#: how far in the future a submission time may lie (clocks of the people recording it drift)
SUBMISSION_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class FactsView:
    ref: str
    given: dict[str, Any]
    effective: dict[str, Any]
    sources: dict[str, str]
    flags: list[str]
    flagged_at: datetime | None


def incident_facts(uow: UnitOfWork, key: str) -> FactsView:
    """The facts given for an incident and the effective ones (with the plan's and derived facts)."""
    uow.principal.require(Permission.OBLIGATIONS_READ)
    incident = find_incident(uow, key)
    return _view(uow, incident)


def _view(uow: UnitOfWork, incident: IncidentRow) -> FactsView:
    row = ev.facts_row(uow, incident.id)
    given = dict(row.values) if row else {}
    effective, sources = effective_facts(ev.plan_or_none(uow), given)
    return FactsView(
        ref=incident.ref,
        given=given,
        effective=effective,
        sources=sources,
        flags=list(row.flags) if row else [],
        flagged_at=row.flagged_at if row else None,
    )


def _ensure_facts_row(uow: UnitOfWork, incident: IncidentRow) -> IncidentFactsRow:
    row = ev.facts_row(uow, incident.id)
    if row is None:
        now = uow.clock.now()
        row = IncidentFactsRow(
            id=new_id(),
            incident_id=incident.id,
            values={},
            flags=[],
            updated_by=uow.principal.name,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(row)
    return row


def set_facts(uow: UnitOfWork, key: str, changes: Mapping[str, Any]) -> tuple[FactsView, list[ObligationRow]]:
    """Record facts (None unsets one) and re-evaluate the obligations; returns the obligations touched.

    A materiality decision (``material=yes``) or a DORA classification (``major_ict_incident=yes``)
    given without its time is stamped with now and the person recording it.
    """
    uow.principal.require(Permission.OBLIGATIONS_MANAGE)
    incident = find_incident(uow, key)
    if not changes:
        raise ValidationError("no facts given", hint="e.g. personal_data=yes records=10000")
    parsed = {name: parse_fact(name, value) for name, value in changes.items()}
    _check_data_types(uow, parsed.get("data_types"))
    row = _ensure_facts_row(uow, incident)
    values = dict(row.values)
    now = uow.clock.now()
    for name, value in parsed.items():
        if value is None:
            values.pop(name, None)
        else:
            values[name] = value
    if values.get("material") is True and "materiality_determined_at" not in values:
        values["materiality_determined_at"] = now.isoformat()
        values.setdefault("materiality_determined_by", uow.principal.name)
    if values.get("major_ict_incident") is True and "major_classified_at" not in values:
        values["major_classified_at"] = now.isoformat()
    uow.set_action("incident_facts.set")
    row.values = values
    row.updated_by = uow.principal.name
    row.updated_at = now
    uow.flush()
    uow.set_action(None)
    touched = ev.evaluate_incident(uow, incident)
    return _view(uow, incident), touched


def _check_data_types(uow: UnitOfWork, chosen: list[str] | None) -> None:
    plan = ev.plan_or_none(uow)
    if not chosen or plan is None:
        return
    known = {d.id for d in plan.data_types}
    unknown = [d for d in chosen if d not in known]
    if unknown:
        raise ValidationError(
            f"unknown data types: {', '.join(unknown)}",
            hint=f"use ids from the plan's data_types: {', '.join(sorted(known)) or '(none defined)'}",
        )


def incident_questions(uow: UnitOfWork, key: str) -> list[Question]:
    """The facts still needed to decide the incident's duties or start their clocks."""
    uow.principal.require(Permission.OBLIGATIONS_READ)
    incident = find_incident(uow, key)
    plan = ev.plan_or_none(uow)
    stored = ev.facts_row(uow, incident.id)
    facts, _ = effective_facts(plan, stored.values if stored else {})
    results = assess(duties_for(plan), facts, fallbacks=ev.fallback_times(incident, stored), submitted={})
    return questions(results, facts)


def incident_obligations(uow: UnitOfWork, key: str) -> tuple[IncidentRow, list[ObligationRow]]:
    uow.principal.require(Permission.OBLIGATIONS_READ)
    incident = find_incident(uow, key)
    return incident, ev.obligations_of(uow, incident.id)


def list_obligations(
    uow: UnitOfWork,
    *,
    due_within: timedelta | None = None,
    incident: str | None = None,
    include_inactive: bool = False,
) -> list[tuple[ObligationRow, str]]:
    """Obligations with their incident reference, the most urgent first (need-to-know applies).

    ``due_within``: only those whose next deadline falls before now + that span (overdue included).
    """
    uow.principal.require(Permission.OBLIGATIONS_READ)
    query = (
        select(ObligationRow, IncidentRow.ref)
        .join(IncidentRow, IncidentRow.id == ObligationRow.incident_id)
        .where(visible_to(uow.principal))
    )
    if not include_inactive:
        query = query.where(ObligationRow.status.in_(ev.ACTIVE))
    if due_within is not None:
        query = query.where(ObligationRow.next_deadline <= uow.clock.now() + due_within)
    if incident is not None:
        query = query.where(IncidentRow.id == find_incident(uow, incident).id)
    rows = uow.session.execute(
        query.order_by(ObligationRow.next_deadline.is_(None), ObligationRow.next_deadline, ObligationRow.id)
    ).all()
    return [(row, ref) for row, ref in rows]


def find_obligation(uow: UnitOfWork, obligation_id: str) -> tuple[ObligationRow, IncidentRow]:
    """One obligation, if the principal may see its incident."""
    uow.principal.require(Permission.OBLIGATIONS_READ)
    found = uow.session.execute(
        select(ObligationRow, IncidentRow)
        .join(IncidentRow, IncidentRow.id == ObligationRow.incident_id)
        .where(ObligationRow.id == obligation_id.strip(), visible_to(uow.principal))
    ).one_or_none()
    if found is None:
        raise NotFoundError(
            f"no obligation {obligation_id!r}", hint="list them with `ironwatch obligations list`"
        )
    return found[0], found[1]


def submissions_of(uow: UnitOfWork, obligation_id: str) -> list[ObligationSubmissionRow]:
    find_obligation(uow, obligation_id)
    return list(
        uow.session.scalars(
            select(ObligationSubmissionRow)
            .where(ObligationSubmissionRow.obligation_id == obligation_id)
            .order_by(ObligationSubmissionRow.submitted_at)
        ).all()
    )


def record_submission(
    uow: UnitOfWork,
    obligation_id: str,
    *,
    submitted_at: datetime,
    to: str,
    reference: str,
    summary: str = "",
    phase: str | None = None,
    attachment_id: str | None = None,
) -> tuple[ObligationRow, ObligationSubmissionRow]:
    """Evidence that a phase was submitted; the last required phase closes the obligation."""
    uow.principal.require(Permission.OBLIGATIONS_MANAGE)
    row, incident = find_obligation(uow, obligation_id)
    if row.status == ev.NOT_APPLICABLE:
        raise ConflictError(
            f"obligation {row.id} is not applicable ({row.status_reason})",
            hint="check the incident's facts (`obligations facts REF`); it reopens when they apply again",
        )
    target = _target_phase(row, phase)
    if submitted_at > uow.clock.now() + SUBMISSION_SKEW:
        raise ValidationError(
            "the submission time lies in the future", hint="give when it was sent, with zone"
        )
    if attachment_id is not None:
        attachment = uow.session.get(IncidentAttachmentRow, attachment_id)
        if attachment is None or attachment.incident_id != incident.id:
            raise NotFoundError(
                f"incident {incident.ref} has no attachment {attachment_id!r}",
                hint="attach the file to the incident first, or leave the attachment out",
            )
    now = uow.clock.now()
    uow.set_action("obligation.submit")
    evidence = ObligationSubmissionRow(
        id=new_id(),
        obligation_id=row.id,
        incident_id=incident.id,
        phase=target["id"],
        submitted_at=submitted_at,
        submitted_to=to,
        reference=reference,
        summary=summary,
        attachment_id=attachment_id,
        recorded_by=uow.principal.name,
        recorded_at=now,
    )
    uow.session.add(evidence)
    row.phases = [
        {**p, "submitted_at": submitted_at.isoformat()} if p["id"] == target["id"] else p for p in row.phases
    ]
    row.status = ev.status_of(row.phases)
    row.next_phase, row.next_deadline = ev.next_due(row.phases)
    row.closed_at = now if row.status == ev.CLOSED else None
    row.updated_at = now
    uow.flush()
    uow.set_action(None)
    ev.evaluate_incident(uow, incident)  # later phases counting from this submission get their deadlines
    return row, evidence


def _target_phase(row: ObligationRow, phase: str | None) -> dict[str, Any]:
    if phase is None:
        pending = [p for p in row.phases if p["required"] and not p.get("submitted_at")]
        if not pending:
            optional = ", ".join(p["id"] for p in row.phases if not p["required"]) or "none"
            raise ConflictError(
                f"every required phase of obligation {row.id} is submitted",
                hint=f"name an optional phase to record further information (optional phases: {optional})",
            )
        return pending[0]
    chosen = next((p for p in row.phases if p["id"] == phase), None)
    if chosen is None:
        raise ValidationError(
            f"obligation {row.id} has no phase {phase!r}",
            hint=f"use one of: {', '.join(p['id'] for p in row.phases)}",
        )
    if chosen.get("submitted_at"):
        raise ConflictError(f"phase {phase!r} was already submitted at {chosen['submitted_at']}")
    return chosen


def mark_not_applicable(uow: UnitOfWork, obligation_id: str, reason: str) -> ObligationRow:
    """A person decides a duty does not apply (e.g. a breach unlikely to result in a risk): audited, kept."""
    uow.principal.require(Permission.OBLIGATIONS_MANAGE)
    row, _ = find_obligation(uow, obligation_id)
    if not reason.strip():
        raise ValidationError(
            "a reason is required", hint="say why the duty does not apply; it is kept on record"
        )
    if row.status not in ev.ACTIVE:
        raise ConflictError(f"obligation {row.id} is already {row.status}")
    uow.set_action("obligation.not_applicable")
    row.status = ev.NOT_APPLICABLE
    row.status_reason = f"decided by {uow.principal.name}: {reason.strip()}"
    row.updated_at = uow.clock.now()
    uow.flush()
    uow.set_action(None)
    return row


def on_special_handling(uow: UnitOfWork, event: DomainEvent) -> None:
    """Triage flagged the incident (e.g. personal data): keep the flags and ask for the breach facts.

    The flag's time becomes the assumed awareness time until someone gives the real one.
    """
    incident = uow.session.get(IncidentRow, event.subject_id)
    if incident is None:
        return
    row = _ensure_facts_row(uow, incident)
    flags = sorted(set(row.flags) | {str(f) for f in event.data.get("flags", ())})
    uow.set_action("incident_facts.flag")
    row.flags = flags
    row.flagged_at = row.flagged_at or uow.clock.now()
    row.updated_at = uow.clock.now()
    uow.flush()
    uow.set_action(None)
    ev.evaluate_incident(uow, incident)


def subscribe(subscribers: Subscribers) -> None:
    """The obligations slice listens for special handling (triage's breach flags)."""
    subscribers.subscribe("incident.special_handling", on_special_handling)
