"""The incident report (for management and the record) and the periodic management report.

Both gather what the principal may see through the services (need-to-know applies; evidence only
with ``evidence:read``) and render it with ``review.report_render``. The incident report is marked
with the incident's TLP; the management report with the TLP the caller chooses (AMBER by default).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ironwatch.core.errors import NotFoundError
from ironwatch.core.permissions import Permission
from ironwatch.evidence.schemas import EvidenceView
from ironwatch.evidence.service import list_evidence
from ironwatch.incidents.schemas import TLP
from ironwatch.incidents.service import incident_detail
from ironwatch.plan.service import current_plan
from ironwatch.review import charts
from ironwatch.review.metrics import MetricsOut, compute_metrics
from ironwatch.review.report_render import ReportFormat, render_report
from ironwatch.review.schemas import ReviewOut, TimelineEntryOut
from ironwatch.review.service import list_action_items, review_detail
from ironwatch.review.timeline import incident_timeline
from ironwatch.store.uow import UnitOfWork

#: the incident report lists this many timeline steps; the export has them all
MAX_TIMELINE_ROWS = 400
_MILESTONES = (
    ("Occurred", "occurred_at"),
    ("Detected", "detected_at"),
    ("Reported", "reported_at"),
    ("Opened", "created_at"),
    ("Acknowledged", "acknowledged_at"),
    ("Confirmed", "confirmed_at"),
    ("Contained", "contained_at"),
    ("Recovered", "recovered_at"),
    ("Closed", "closed_at"),
    ("Reviewed", "reviewed_at"),
)


def _org(uow: UnitOfWork) -> str:
    try:
        return current_plan(uow).organisation.name
    except NotFoundError:
        return ""


def _phases(incident: Any) -> list[tuple[str, float, float]]:
    """(phase, start, end) in hours from the incident's first known time, for the phases chart."""
    start = incident.detected_at or incident.reported_at
    origin = incident.occurred_at or start
    steps = [
        ("Undetected", incident.occurred_at, start),
        ("To acknowledge", start, incident.acknowledged_at),
        ("To contain", incident.acknowledged_at or start, incident.contained_at),
        ("To recover", incident.contained_at, incident.recovered_at),
        ("To close", incident.recovered_at, incident.closed_at),
    ]
    return [
        (name, (a - origin).total_seconds() / 3600, (b - origin).total_seconds() / 3600)
        for name, a, b in steps
        if a is not None and b is not None
    ]


def _review_or_none(uow: UnitOfWork, key: str) -> ReviewOut | None:
    try:
        return review_detail(uow, key)
    except NotFoundError:
        return None


def incident_report(uow: UnitOfWork, key: str, fmt: ReportFormat) -> tuple[str, bytes]:
    """The incident's report; returns its reference and the HTML or PDF bytes. Needs ``incident:read``."""
    uow.principal.require(Permission.INCIDENT_READ)
    incident = incident_detail(uow, key)
    timeline = incident_timeline(uow, key)
    evidence = None
    if uow.principal.can(Permission.EVIDENCE_READ):
        evidence = [EvidenceView.of(row, inc) for row, inc in list_evidence(uow, key)]
    phases = _phases(incident)
    steps: list[TimelineEntryOut] = timeline[:MAX_TIMELINE_ROWS]
    context = {
        "title": f"Incident report {incident.ref}",
        "org": _org(uow),
        "generated": uow.clock.now(),
        "generated_by": uow.principal.name,
        "incident": incident,
        "milestones": [(label, getattr(incident, f)) for label, f in _MILESTONES if getattr(incident, f)],
        "phases_svg": charts.phases_chart(phases, title="Response phases (hours)") if phases else "",
        "timeline": steps,
        "timeline_cut": len(timeline) - len(steps),
        "actions": [e for e in timeline if e.kind == "action"],
        "tasks": incident.tasks,
        "notifications": [e for e in timeline if e.kind == "notification"],
        "evidence": evidence,
        "review": _review_or_none(uow, key),
    }
    return incident.ref, render_report("incident_report.html.j2", context, fmt, tlp=incident.tlp)


def _period_charts(mt: MetricsOut) -> dict[str, str]:
    months = mt.volumes["month"]
    out = {
        "months": charts.bar_chart(
            [c.key for c in months], [c.count for c in months], title="Incidents opened per month"
        ),
        "durations": charts.grouped_bars(
            [d.name.upper().replace("_", " ") for d in mt.durations],
            {
                "p50": [d.p50_hours for d in mt.durations],
                "p90": [d.p90_hours for d in mt.durations],
                "p95": [d.p95_hours for d in mt.durations],
            },
            title="Response times (hours)",
            ylabel="hours",
        ),
    }
    priorities = list(dict.fromkeys(c.priority for c in mt.sla))
    targets = list(dict.fromkeys(c.target for c in mt.sla))
    rate = {(c.priority, c.target): c.compliance for c in mt.sla}
    out["sla"] = charts.grouped_bars(
        priorities,
        {
            t: [None if rate.get((p, t)) is None else 100 * (rate[(p, t)] or 0.0) for p in priorities]
            for t in targets
        },
        title="SLA compliance per priority (%)",
        ylabel="% met",
    )
    top = sorted(mt.volumes["category"], key=lambda c: (-c.count, c.key))[:8]
    out["categories"] = (
        charts.horizontal_bars([c.key for c in top], [c.count for c in top], title="Top categories")
        if top
        else ""
    )
    causes = mt.root_causes[:8]
    out["root_causes"] = (
        charts.horizontal_bars([c.key for c in causes], [c.count for c in causes], title="Top root causes")
        if causes
        else ""
    )
    return out


def period_report(
    uow: UnitOfWork,
    *,
    since: datetime | None,
    until: datetime | None,
    fmt: ReportFormat,
    tlp: TLP = TLP.AMBER,
) -> tuple[MetricsOut, bytes]:
    """The management report for a period (default: the last 90 days). Needs ``metrics:read``."""
    mt = compute_metrics(uow, since=since, until=until, by="month")
    last_day = mt.until - timedelta(seconds=1)
    context = {
        "title": f"Incident management report {mt.since:%Y-%m-%d} to {last_day:%Y-%m-%d}",
        "org": _org(uow),
        "generated": uow.clock.now(),
        "generated_by": uow.principal.name,
        "metrics": mt,
        "last_day": last_day,
        "charts": _period_charts(mt),
        "action_items": list_action_items(uow, open_only=True),
    }
    return mt, render_report("period_report.html.j2", context, fmt, tlp=tlp.value)
