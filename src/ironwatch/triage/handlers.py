"""Triage's domain-event handlers: every recorded alert is suppressed, grouped, assessed and, at or
above the plan's auto-open level, made an incident; incidents' changes move their SLA clocks.

They run inside the transaction that published the event (see ``core.domain_events``) and only write
rows. Without an applied plan there is nothing to assess against: alerts then wait in the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ironwatch.core.domain_events import DomainEvent, Subscribers
from ironwatch.core.errors import NotFoundError
from ironwatch.core.lifecycle import IncidentState
from ironwatch.core.principal import system_principal
from ironwatch.plan import service as plans
from ironwatch.plan.models import Plan
from ironwatch.store.tables import AlertGroupRow, AlertRow, IncidentRow
from ironwatch.store.uow import UnitOfWork
from ironwatch.triage import grouping
from ironwatch.triage.assess import SEVERITIES, Assessment, assess
from ironwatch.triage.opening import apply_assessment, link_alerts, open_incident
from ironwatch.triage.placement import BatchPlacement
from ironwatch.triage.sla import record_milestones, sync_clocks
from ironwatch.triage.suppression import count_suppressed, matching_suppression

log = logging.getLogger("ironwatch.triage")


def subscribe(subscribers: Subscribers) -> None:
    """Register triage's handlers (called once from ``bootstrap.subscribe_slices``)."""
    subscribers.subscribe("alert.recorded", on_alert_recorded)
    subscribers.subscribe("alert.batch_recorded", on_alert_batch_recorded)
    subscribers.subscribe("incident.created", on_incident_changed)
    subscribers.subscribe("incident.updated", on_incident_updated)
    subscribers.subscribe("incident.transitioned", on_incident_changed)


@contextmanager
def as_triage(uow: UnitOfWork) -> Iterator[None]:
    """React as the system, whoever caused the event: a reporter's report still starts SLA clocks,
    and the audit trail names ``system:triage`` as the actor of what triage did on its own."""
    with uow.acting_as(system_principal("triage")):
        yield


def _plan(uow: UnitOfWork) -> Plan | None:
    try:
        return plans.current_plan(uow)
    except NotFoundError:
        return None


#: ``session.info`` key: ids of the alerts of the current ``record_alerts`` call, in recording order
PENDING_ALERTS = "triage.pending_alerts"


def on_alert_recorded(uow: Any, event: DomainEvent) -> None:
    """Place the alert in a group at once; a batched alert waits for ``alert.batch_recorded``."""
    if event.data.get("batch"):
        pending: list[str] = uow.session.info.setdefault(PENDING_ALERTS, [])
        pending.append(event.subject_id)
        return
    with as_triage(uow):
        plan = _plan(uow)
        alert = uow.session.get(AlertRow, event.subject_id)
        if plan is None or alert is None:
            if plan is None:
                log.warning("no plan applied: alert %s waits in the queue unassessed", event.subject_id)
            return
        handle_alert(uow, plan, alert)


def on_alert_batch_recorded(uow: Any, event: DomainEvent) -> None:
    """Place the batch's alerts (``placement.BatchPlacement``), then assess, link and (at the
    auto-open level) open once per group they joined.

    Per alert this would re-read and re-assess the whole group: the cost of an alert storm would
    grow with the size of the group (docs/benchmarks.md, "Alert storms").
    """
    pending: list[str] = uow.session.info.pop(PENDING_ALERTS, [])
    if not pending:
        return
    with as_triage(uow):
        plan = _plan(uow)
        if plan is None:
            for alert_id in pending:
                log.warning("no plan applied: alert %s waits in the queue unassessed", alert_id)
            return
        alerts = [a for a in (uow.session.get(AlertRow, i) for i in pending) if a is not None]
        placement = BatchPlacement(uow, plan, alerts)
        for alert in alerts:
            placement.place(alert)
        for group_id, growing in placement.finish().items():
            group = uow.session.get(AlertGroupRow, group_id)
            if group is not None:
                settle_group(uow, plan, group, growing=growing)


def handle_alert(uow: UnitOfWork, plan: Plan, alert: AlertRow) -> None:
    """Suppress, group, assess and (at the auto-open level) open or extend an incident for ``alert``."""
    placed = place_alert(uow, plan, alert)
    if placed is not None:
        settle_group(uow, plan, placed[0], growing=placed[1])


def place_alert(uow: UnitOfWork, plan: Plan, alert: AlertRow) -> tuple[AlertGroupRow, bool] | None:
    """Suppress ``alert`` or put it in its group; returns the group and whether it grew, or None."""
    new_matches = alert.count - alert.handled_count
    alert.handled_count = alert.count
    dismissed = alert.status in ("false_positive", "suppressed")
    if dismissed or (alert.status == "new" and alert.incident_id is None):
        suppression = matching_suppression(uow, alert)
        if suppression is not None:
            count_suppressed(uow, suppression, alert, new_matches)
            uow.flush()
            return None
    if dismissed:
        uow.flush()
        return None  # decided already: repeats of a dismissed alert stay dismissed
    group = uow.session.get(AlertGroupRow, alert.group_id) if alert.group_id else None
    if group is None:
        group = grouping.find_group(uow, plan, alert)
    group, growing = grouping.join_group(uow, alert, group)
    uow.flush()
    return group, growing


def settle_group(uow: UnitOfWork, plan: Plan, group: AlertGroupRow, *, growing: bool) -> None:
    """Assess ``group``; link its alerts to its incident, or open one at the auto-open level."""
    members = grouping.group_alerts(uow, group.id)
    assessment = assess_group(uow, plan, group, growing=growing, members=members)
    incident = uow.session.get(IncidentRow, group.incident_id) if group.incident_id else None
    if incident is not None:
        unlinked = [a for a in members if a.incident_id is None]
        if unlinked:
            link_alerts(uow, incident, unlinked, decision="grouped")
        apply_assessment(uow, plan, incident, assessment)
    elif reaches_auto_open(plan, members):
        open_incident(
            uow, plan, group, members, assessment, status=IncidentState.TRIAGE, decision="auto_open"
        )
    uow.flush()


def reaches_auto_open(plan: Plan, alerts: list[AlertRow]) -> bool:
    """Whether any alert's severity (from its rule level) is at or above the plan's auto-open level."""
    threshold = SEVERITIES.index(plan.settings.auto_open_level)
    levels = {"informational": "low"}
    return any(
        SEVERITIES.index(levels.get(a.level, a.level)) >= threshold
        for a in alerts
        if a.level in (*SEVERITIES, "informational")
    )


def assess_group(
    uow: UnitOfWork,
    plan: Plan,
    group: AlertGroupRow,
    *,
    growing: bool = False,
    members: list[AlertRow] | None = None,
) -> Assessment:
    """Assess the group's live alerts, store the result on the group and its alerts (the queue's order).

    ``members``: the group's live alerts when the caller has them already (one read per group).
    """
    if members is None:
        members = grouping.group_alerts(uow, group.id)
    facts = grouping.group_facts(group, members, growing=growing)
    result = assess(plan, facts, now=uow.clock.now(), ongoing_within=plan.settings.grouping.window)
    stored = {
        "category": result.category,
        "severity": result.severity,
        "impact": result.impact,
        "urgency": result.urgency,
        "priority": result.priority,
        "playbook": result.playbook,
        "affected_assets": list(result.affected_assets),
        "special_handling": list(result.special_handling),
        "reasons": result.reasons,
    }
    if group.assessment != stored:
        group.assessment = stored
    if group.priority != result.priority:
        group.priority = result.priority
    for alert in members:
        if alert.priority != result.priority:
            alert.priority = result.priority
    return result


def on_incident_changed(uow: Any, event: DomainEvent) -> None:
    """Start SLA clocks for a new incident; stop or cancel them as the lifecycle moves."""
    with as_triage(uow):
        incident = uow.session.get(IncidentRow, event.subject_id)
        plan = _plan(uow)
        if incident is None or plan is None:
            return
        if event.kind == "incident.created":
            sync_clocks(uow, plan, incident)
        else:
            record_milestones(uow, incident)


def on_incident_updated(uow: Any, event: DomainEvent) -> None:
    """A priority change moves the running clocks to the new priority's targets (still from creation)."""
    changes = event.data.get("changes", {})
    if "priority" not in changes:
        return
    with as_triage(uow):
        incident = uow.session.get(IncidentRow, event.subject_id)
        plan = _plan(uow)
        if incident is not None and plan is not None:
            sync_clocks(uow, plan, incident)
