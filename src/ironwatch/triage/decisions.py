"""Triage decisions on alerts: confirm, dismiss as a false positive, merge into an incident, escalate.

One alert or many (bulk, by filter); each decision is recorded on the alerts and audited as
``alert.<decision>``. A false positive may create a suppression so that its repeats are counted
instead of raised again; an incident triage opened by itself whose alerts all turn out false
positives is closed as ``false_positive``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ironwatch.core.errors import ValidationError
from ironwatch.core.lifecycle import IncidentState
from ironwatch.core.permissions import Permission
from ironwatch.incidents import service as incidents
from ironwatch.plan import service as plans
from ironwatch.plan.models import Plan
from ironwatch.store.tables import AlertGroupRow, AlertRow, IncidentRow
from ironwatch.store.uow import UnitOfWork
from ironwatch.triage import grouping
from ironwatch.triage import schemas as s
from ironwatch.triage.escalation import escalate_to
from ironwatch.triage.handlers import assess_group
from ironwatch.triage.opening import link_alerts, open_incident
from ironwatch.triage.queue import filtered, find_alert, queue_order
from ironwatch.triage.record import triage_record
from ironwatch.triage.suppression import create_suppression

MAX_BULK = 1000
_ADVANCE = {IncidentState.REPORTED, IncidentState.TRIAGE}


def decide(uow: UnitOfWork, alert_ids: Sequence[str], request: s.DecisionRequest) -> s.DecisionResult:
    """Apply ``request`` to the alerts. Needs ``alerts:triage`` (and what the decision does to incidents)."""
    uow.principal.require(Permission.ALERTS_TRIAGE)
    alerts = [find_alert(uow, i) for i in dict.fromkeys(alert_ids)]
    if not alerts:
        raise ValidationError("no alerts to decide on", hint="give alert ids, or a filter that matches some")
    plan = plans.current_plan(uow)
    uow.set_action(f"alert.{request.decision.value}")
    try:
        if request.decision == s.Decision.DISMISS:
            return _dismiss(uow, alerts, request)
        if request.decision == s.Decision.MERGE:
            return _merge(uow, alerts, request)
        return _confirm_or_escalate(uow, plan, alerts, request)
    finally:
        uow.set_action(None)


def bulk_decide(uow: UnitOfWork, request: s.BulkRequest) -> s.DecisionResult:
    """Apply a decision to every alert ``request.filter`` selects (at most 1000; ``dry_run`` only lists)."""
    uow.principal.require(Permission.ALERTS_TRIAGE)
    query = filtered(uow, request.filter)
    rows = list(uow.session.scalars(queue_order(query).limit(MAX_BULK + 1)).all())
    if len(rows) > MAX_BULK:
        raise ValidationError(
            f"the filter selects more than {MAX_BULK} alerts", hint="narrow it (rule, entity, since, level)"
        )
    if request.dry_run or not rows:
        return s.DecisionResult(
            decision=request.decision.value,
            alerts=[r.id for r in rows],
            incidents=[],
            suppressions=[],
            dry_run=True,
        )
    single = s.DecisionRequest.model_validate(request.model_dump(exclude={"filter", "dry_run"}))
    return decide(uow, [r.id for r in rows], single)


def _record(uow: UnitOfWork, alert: AlertRow, decision: str, reason: str) -> None:
    alert.decision, alert.decided_by, alert.decided_at = decision, uow.principal.name, uow.clock.now()
    alert.decision_reason = reason or None


def _dismiss(uow: UnitOfWork, alerts: list[AlertRow], request: s.DecisionRequest) -> s.DecisionResult:
    if not request.reason:
        raise ValidationError("a false positive needs a reason", hint="say why, e.g. 'authorised scan'")
    suppressions: dict[tuple[str | None, tuple[tuple[str, str], ...]], str] = {}
    for alert in alerts:
        alert.status = "false_positive"
        _record(uow, alert, "dismiss", request.reason)
        if request.suppress is None:
            continue
        entities = grouping.canonical_entities(alert.entities)
        scope = {k: entities[k] for k in request.suppress.scope if k in entities}
        rule = None if request.suppress.any_rule else alert.rule_id
        key = (rule, tuple(sorted(scope.items())))
        if key not in suppressions:
            row = create_suppression(
                uow,
                rule_id=rule,
                entities=scope,
                reason=request.reason,
                expires_at=uow.clock.now() + request.suppress.duration(),
                source_alert_id=alert.id,
            )
            suppressions[key] = row.id
        alert.suppression_id = suppressions[key]
    uow.flush()
    closed = _close_false_incidents(uow, alerts, request.reason)
    return s.DecisionResult(
        decision="dismiss",
        alerts=[a.id for a in alerts],
        incidents=closed,
        suppressions=list(suppressions.values()),
    )


def _close_false_incidents(uow: UnitOfWork, alerts: list[AlertRow], reason: str) -> list[str]:
    """Incidents triage opened itself whose alerts are all dismissed or suppressed become false positives."""
    closed: list[str] = []
    for incident_id in sorted({a.incident_id for a in alerts if a.incident_id}):
        incident = uow.session.get(IncidentRow, incident_id)
        if incident is None or IncidentState(incident.status) not in _ADVANCE:
            continue
        if (
            not grouping.live_alerts_of_incident(uow, incident_id)
            and triage_record(uow, incident_id).auto_opened
        ):
            incidents.transition_incident(uow, incident.ref, IncidentState.FALSE_POSITIVE.value, note=reason)
            closed.append(incident.ref)
    return closed


def _merge(uow: UnitOfWork, alerts: list[AlertRow], request: s.DecisionRequest) -> s.DecisionResult:
    if not request.incident:
        raise ValidationError(
            "merge needs the incident to merge into", hint="give incident, e.g. IR-2026-0007"
        )
    incident = incidents.find_incident(uow, request.incident)
    link_alerts(uow, incident, alerts, decision="merge", reason=request.reason)
    for group_id in {a.group_id for a in alerts if a.group_id}:
        group = uow.session.get(AlertGroupRow, group_id)
        if group is not None and group.incident_id is None:
            group.incident_id = incident.id
    uow.flush()
    return s.DecisionResult(
        decision="merge", alerts=[a.id for a in alerts], incidents=[incident.ref], suppressions=[]
    )


def _confirm_or_escalate(
    uow: UnitOfWork, plan: Plan, alerts: list[AlertRow], request: s.DecisionRequest
) -> s.DecisionResult:
    decision = request.decision.value
    by_group: dict[str, list[AlertRow]] = {}
    for alert in alerts:
        if alert.status in ("false_positive", "suppressed"):
            alert.status = "new"  # a person overrules the earlier dismissal
        if alert.group_id is None:
            grouping.join_group(uow, alert, grouping.find_group(uow, plan, alert))
            uow.flush()
        by_group.setdefault(str(alert.group_id), []).append(alert)
    refs: list[str] = []
    for group_id, chosen in by_group.items():
        group = uow.session.get_one(AlertGroupRow, group_id)
        incident = uow.session.get(IncidentRow, group.incident_id) if group.incident_id else None
        if incident is not None and IncidentState(incident.status) in (
            IncidentState.CLOSED,
            IncidentState.FALSE_POSITIVE,
            IncidentState.REVIEWED,
        ):
            incident = None
        if incident is None:
            assessment = assess_group(uow, plan, group)
            status = IncidentState.CONFIRMED if decision == "confirm" else IncidentState.TRIAGE
            incident = open_incident(
                uow, plan, group, chosen, assessment, status=status, decision=decision, reason=request.reason
            )
        else:
            link_alerts(uow, incident, chosen, decision=decision, reason=request.reason)
            if decision == "confirm" and IncidentState(incident.status) in _ADVANCE:
                incidents.transition_incident(
                    uow, incident.ref, IncidentState.CONFIRMED.value, note=request.reason
                )
        for alert in chosen:
            _record(uow, alert, decision, request.reason)
        if decision == "escalate":
            level = triage_record(uow, incident.id).escalation_level + 1
            escalate_to(
                uow,
                plan,
                incident,
                level,
                reason=f"escalated by {uow.principal.name}: {request.reason}".rstrip(": "),
            )
        refs.append(incident.ref)
    uow.flush()
    return s.DecisionResult(decision=decision, alerts=[a.id for a in alerts], incidents=refs, suppressions=[])
