"""Triage on an incident: its assessment with the reasons, human overrides, acknowledgement, assignment.

Every automatic value records why it was chosen; a person's override is audited
(``incident_triage.override``) and kept: later automatic reassessment leaves that field alone.
"""

from __future__ import annotations

from sqlalchemy import select

from ironwatch.core.errors import ConflictError, ValidationError
from ironwatch.core.permissions import Permission
from ironwatch.incidents import schemas as inc
from ironwatch.incidents import service as incidents
from ironwatch.plan import service as plans
from ironwatch.plan.assess import assess_priority
from ironwatch.store.tables import AlertRow, EscalationRow, IncidentTriageRow
from ironwatch.store.uow import UnitOfWork
from ironwatch.triage import schemas as s
from ironwatch.triage.assign import assign_for
from ironwatch.triage.record import triage_record
from ironwatch.triage.sla import clocks_of, record_milestones


def incident_assessment(uow: UnitOfWork, key: str) -> s.AssessmentOut:
    """The triage view of an incident: values with reasons, SLA clocks, escalations, alerts.

    Needs ``incident:read``.
    """
    incident = incidents.find_incident(uow, key)
    record = uow.session.get(IncidentTriageRow, incident.id)
    escalations = uow.session.scalars(
        select(EscalationRow)
        .where(EscalationRow.incident_id == incident.id)
        .order_by(EscalationRow.at, EscalationRow.level)
    ).all()
    alerts = uow.session.scalars(
        select(AlertRow).where(AlertRow.incident_id == incident.id).order_by(AlertRow.first_seen, AlertRow.id)
    ).all()
    return s.AssessmentOut(
        ref=incident.ref,
        category=incident.category,
        severity=incident.severity,
        impact=record.impact if record else None,
        urgency=record.urgency if record else None,
        priority=incident.priority,
        assignee=incident.assignee,
        playbook=record.playbook if record else None,
        special_handling=list(record.special_handling) if record else [],
        auto_opened=bool(record and record.auto_opened),
        reasons=dict(record.reasons) if record else {},
        overridden=list(record.overridden) if record else [],
        escalation_level=record.escalation_level if record else 0,
        sla=[s.SlaClockOut.model_validate(c) for c in clocks_of(uow, incident.id)],
        escalations=[s.EscalationOut.model_validate(e) for e in escalations],
        alerts=[s.AlertOut.model_validate(a) for a in alerts],
    )


def override_assessment(uow: UnitOfWork, key: str, data: s.AssessmentOverride) -> s.AssessmentOut:
    """Set assessment values by hand, with a reason; they stay as set. Needs ``incident:update``.

    Giving impact and urgency (without a priority) sets the priority from the plan's matrix.
    """
    uow.principal.require(Permission.INCIDENT_UPDATE)
    incident = incidents.find_incident(uow, key)
    plan = plans.current_plan(uow)
    given = data.model_dump(exclude_unset=True, exclude={"reason"}, exclude_none=True)
    if not given:
        raise ValidationError(
            "nothing to override", hint="give category, severity, impact, urgency, priority or playbook"
        )
    if "category" in given and plan.classification.category(given["category"]) is None:
        raise ValidationError(
            f"the plan's taxonomy has no category {given['category']!r}", hint="see `ironwatch plan show`"
        )
    record = triage_record(uow, incident.id)
    impact, urgency = given.get("impact", record.impact), given.get("urgency", record.urgency)
    if ("impact" in given or "urgency" in given) and "priority" not in given:
        if impact is None or urgency is None:
            raise ValidationError("the priority needs both impact and urgency", hint="give the other one too")
        given["priority"] = assess_priority(plan, impact, urgency)
    elif "impact" in given:
        assess_priority(plan, given["impact"], urgency or plan.priority.urgency_levels[0].id)
    elif "urgency" in given:
        assess_priority(plan, impact or plan.priority.impact_levels[0].id, given["urgency"])
    if "priority" in given and plan.priority.priority(given["priority"]) is None:
        raise ValidationError(
            f"the plan has no priority {given['priority']}", hint="use one of the plan's priorities"
        )
    changes = {k: v for k, v in given.items() if k in ("category", "severity", "priority")}
    if changes:
        incidents.update_incident(uow, incident.ref, inc.IncidentUpdate.model_validate(changes))
    uow.set_action("incident_triage.override")
    reason = f"set by {uow.principal.name}: {data.reason}"
    record.impact, record.urgency = impact, urgency
    if "playbook" in given:
        record.playbook = given["playbook"]
    record.reasons = {**record.reasons, **dict.fromkeys(given, reason)}
    record.overridden = sorted({*record.overridden, *given})
    record.updated_at = uow.clock.now()
    uow.flush()
    uow.set_action(None)
    return incident_assessment(uow, incident.ref)


def acknowledge(uow: UnitOfWork, key: str) -> s.AssessmentOut:
    """Someone has taken the incident in hand: the acknowledge clock stops. Needs ``incident:update``."""
    uow.principal.require(Permission.INCIDENT_UPDATE)
    incident = incidents.find_incident(uow, key)
    if incident.acknowledged_at is not None:
        raise ConflictError(f"{incident.ref} was acknowledged at {incident.acknowledged_at.isoformat()}")
    uow.set_action("incident.acknowledge")
    incident.acknowledged_at = uow.clock.now()
    incident.updated_at = uow.clock.now()
    uow.flush()
    uow.set_action(None)
    record_milestones(uow, incident)
    return incident_assessment(uow, incident.ref)


def assign(uow: UnitOfWork, key: str, data: s.AssignRequest) -> s.AssessmentOut:
    """Reassign (audited, published as ``incident.updated``); without an assignee, by the plan's rules."""
    uow.principal.require(Permission.INCIDENT_UPDATE)
    incident = incidents.find_incident(uow, key)
    record = triage_record(uow, incident.id)
    if data.assignee is None:
        choice = assign_for(uow, plans.current_plan(uow), incident.category)
        if choice.person is None:
            raise ConflictError(choice.reason, hint="name the assignee")
        person, why = choice.person, f"automatic: {choice.reason}"
        record.assigned_role = choice.role
    else:
        person, why = (
            data.assignee,
            f"set by {uow.principal.name}" + (f": {data.reason}" if data.reason else ""),
        )
    if person == incident.assignee:
        raise ConflictError(f"{incident.ref} is already assigned to {person}")
    incidents.update_incident(uow, incident.ref, inc.IncidentUpdate(assignee=person))
    uow.set_action("incident.assign")
    record.reasons = {**record.reasons, "assignee": why}
    record.updated_at = uow.clock.now()
    uow.flush()
    uow.set_action(None)
    return incident_assessment(uow, incident.ref)
