"""Opening and extending incidents from alert groups, and applying the automatic assessment to them."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.errors import ValidationError
from ironwatch.core.lifecycle import IncidentState
from ironwatch.core.observables import normalise_observable
from ironwatch.incidents import schemas as s
from ironwatch.incidents import service as incidents
from ironwatch.plan.models import Plan
from ironwatch.store.tables import AlertGroupRow, AlertRow, IncidentRow
from ironwatch.store.uow import UnitOfWork
from ironwatch.triage.assess import SEVERITIES, Assessment
from ironwatch.triage.assign import assign_for
from ironwatch.triage.grouping import canonical_entities
from ironwatch.triage.record import triage_record

AUTOMATIC_FIELDS = ("category", "severity", "impact", "urgency", "priority", "playbook")


def _title(alerts: Sequence[AlertRow]) -> str:
    top = max(alerts, key=lambda a: (SEVERITIES.index(_sev(a.level)), -alerts.index(a)))
    host = canonical_entities(top.entities).get("host")
    return (f"{top.title} on {host}" if host else top.title)[:200]


def _sev(level: str) -> str:
    return {"informational": "low"}.get(level, level if level in SEVERITIES else "medium")


def open_incident(
    uow: UnitOfWork,
    plan: Plan,
    group: AlertGroupRow,
    alerts: Sequence[AlertRow],
    assessment: Assessment,
    *,
    status: IncidentState,
    decision: str,
    reason: str | None = None,
) -> IncidentRow:
    """Open an incident for ``group`` in ``status``, assign it and link the alerts to it."""
    detected = max(group.first_seen, min(a.created_at for a in alerts))
    data = s.IncidentCreate(
        title=_title(alerts),
        summary=f"Opened by triage from {len(alerts)} alert(s): "
        + "; ".join(sorted({a.title for a in alerts}))[:2000],
        category=assessment.category,
        severity=s.Severity(assessment.severity),
        priority=s.Priority(assessment.priority) if assessment.priority in s.Priority.__members__ else None,
        tags=["alert"],
        affected_assets=list(assessment.affected_assets),
        occurred_at=group.first_seen,
        detected_at=detected,
    )
    incident = incidents.create_incident(uow, data, status=status, origin="triage")
    record = triage_record(uow, incident.id, auto_opened=decision == "auto_open")
    record.auto_opened = decision == "auto_open"
    group.incident_id = incident.id
    apply_assessment(uow, plan, incident, assessment)
    choice = assign_for(uow, plan, incident.category)
    record.assigned_role = choice.role
    record.reasons = {**record.reasons, "assignee": choice.reason}
    if choice.person and not incident.assignee:
        incidents.update_incident(uow, incident.ref, s.IncidentUpdate(assignee=choice.person))
    link_alerts(uow, incident, alerts, decision=decision, reason=reason)
    return incident


def link_alerts(
    uow: UnitOfWork,
    incident: IncidentRow,
    alerts: Sequence[AlertRow],
    *,
    decision: str,
    reason: str | None = None,
) -> None:
    """Link alerts to ``incident``: status ``incident``, the decision recorded, entities as observables."""
    now = uow.clock.now()
    added: set[tuple[str, str]] = set()  # alerts of one group repeat hosts and addresses: add each once
    observables: list[s.ObservableCreate] = []
    for alert in alerts:
        if alert.incident_id != incident.id:
            alert.incident_id = incident.id
            alert.decision, alert.decided_by, alert.decided_at = decision, uow.principal.name, now
            alert.decision_reason = reason
        alert.status = "incident"
        for kind, value in _observables(alert):
            if (kind, value) in added:
                continue
            added.add((kind, value))
            try:
                normalise_observable(kind, value)
            except ValidationError:
                continue  # a value detection saw but that is no valid observable (e.g. a placeholder)
            observables.append(s.ObservableCreate(type=kind, value=value, note=f"from alert {alert.rule_id}"))
    if observables:
        # one lookup and one flush for all of them: a storm's alerts each bring a new account
        incidents.add_observables(uow, incident.id, observables)
    uow.flush()


def _observables(alert: AlertRow) -> list[tuple[str, str]]:
    found = []
    for name, value in canonical_entities(alert.entities).items():
        if name == "user":
            found.append(("account", value))
            continue
        try:
            ip = ipaddress.ip_address(value)
        except ValueError:
            if name == "host":
                found.append(("hostname", value))
            continue
        found.append(("ipv4" if ip.version == 4 else "ipv6", value))
    return found


def apply_assessment(uow: UnitOfWork, plan: Plan, incident: IncidentRow, assessment: Assessment) -> None:
    """Write the automatic values a person has not overridden, with their reasons; flag special handling."""
    record = triage_record(uow, incident.id)
    kept = set(record.overridden)
    changes: dict[str, object] = {}
    if "category" not in kept and assessment.category != incident.category:
        changes["category"] = assessment.category
    if "severity" not in kept and assessment.severity != incident.severity:
        changes["severity"] = assessment.severity
    if (
        "priority" not in kept
        and assessment.priority != incident.priority
        and assessment.priority in s.Priority.__members__
    ):
        changes["priority"] = assessment.priority
    assets = sorted({*incident.affected_assets, *assessment.affected_assets})
    if assets != sorted(incident.affected_assets):
        changes["affected_assets"] = assets
    if changes:
        incidents.update_incident(uow, incident.ref, s.IncidentUpdate.model_validate(changes))
    reasons = dict(record.reasons)
    for field in AUTOMATIC_FIELDS:
        if field not in kept and field in assessment.reasons:
            reasons[field] = f"automatic: {assessment.reasons[field]}"
    if "impact" not in kept:
        record.impact = assessment.impact
    if "urgency" not in kept:
        record.urgency = assessment.urgency
    if "playbook" not in kept:
        record.playbook = assessment.playbook
    if reasons != record.reasons:
        record.reasons = reasons
    new_flags = sorted(set(assessment.special_handling) - set(record.special_handling))
    if new_flags:
        record.special_handling = sorted({*record.special_handling, *new_flags})
    record.updated_at = uow.clock.now() if uow.session.is_modified(record) else record.updated_at
    uow.flush()
    if new_flags:
        uow.publish(
            DomainEvent(
                "incident.special_handling",
                incident.id,
                {"ref": incident.ref, "flags": record.special_handling, "new": new_flags},
            )
        )
