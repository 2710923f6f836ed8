"""Metrics over a period: reads incidents, alerts, reviews and the plan, computes with ``core.metrics``.

The period holds the incidents *created* in ``[since, until)``; open figures (age, SLA pending) are at
the unit of work's clock. Need-to-know applies: a principal's metrics count only the incidents they
may see. Needs ``metrics:read``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import select

from ironwatch.core import metrics as m
from ironwatch.core.errors import ValidationError
from ironwatch.core.permissions import Permission
from ironwatch.incidents.service import visible_to
from ironwatch.plan.models import Plan
from ironwatch.plan.priority import TARGETS
from ironwatch.plan.readiness import course_people
from ironwatch.plan.service import current_plan
from ironwatch.review.schemas import ActionItemStatus, aware
from ironwatch.store.tables import ActionItemRow, AlertRow, IncidentRow, ReportRow, ReviewRow
from ironwatch.store.uow import UnitOfWork

BY = ("category", "severity", "priority", "source", "month")
DEFAULT_PERIOD = timedelta(days=90)


class DurationOut(BaseModel):
    name: str = Field(description="mttd, mtta, mttc, mttr_recovered, mttr_closed")
    label: str
    count: int = Field(description="incidents with both ends known (in the mean and percentiles)")
    open: int = Field(description="open incidents that have not reached the end yet")
    not_reached: int = Field(description="finished incidents that never reached the end")
    mean_hours: float | None
    p50_hours: float | None
    p90_hours: float | None
    p95_hours: float | None


class OpenAgeOut(BaseModel):
    count: int
    mean_hours: float | None
    p50_hours: float | None
    max_hours: float | None


class SlaOut(BaseModel):
    priority: str
    target: str
    target_hours: float
    met: int
    missed: int
    pending: int
    compliance: float | None = Field(description="met / (met + missed)")


class RuleFpOut(BaseModel):
    rule_id: str
    false_positive: int
    decided: int
    rate: float | None


class CountOut(BaseModel):
    key: str
    count: int


class ActionItemCounts(BaseModel):
    open: int
    overdue: int
    closed: int


class CourseOut(BaseModel):
    course: str
    title: str
    required: int = Field(description="people who must hold the course")
    current: int = Field(description="of them, whose last completion is still current")
    rate: float | None


class MetricsOut(BaseModel):
    since: datetime
    until: datetime
    at: datetime = Field(description="when open figures were measured")
    incidents: int
    open_incidents: int
    durations: list[DurationOut]
    open_age: OpenAgeOut
    sla: list[SlaOut]
    by: str
    volume: list[CountOut] = Field(description="incidents per value of `by`")
    volumes: dict[str, list[CountOut]] = Field(description="incidents by category, severity, priority...")
    false_positive_rates: list[RuleFpOut]
    root_causes: list[CountOut]
    action_items: ActionItemCounts
    training: list[CourseOut]
    training_rate: float | None = Field(description="current / required over every course")


def period(since: datetime | None, until: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """The period asked for; by default the 90 days up to now."""
    end = aware(until, "until") or now
    start = aware(since, "since") or end - DEFAULT_PERIOD
    if start >= end:
        raise ValidationError(
            "the period is empty: since is not before until", hint="swap or widen the dates"
        )
    return start, end


def _sources(uow: UnitOfWork, ids: list[str]) -> dict[str, str]:
    """``alert:<rule>`` for incidents opened from alerts (first alert's rule), ``report`` for reports."""
    found: dict[str, str] = {}
    if not ids:
        return found
    for incident_id in uow.session.scalars(
        select(ReportRow.incident_id).where(ReportRow.incident_id.in_(ids))
    ):
        found[incident_id] = "report"
    alerts = uow.session.execute(
        select(AlertRow.incident_id, AlertRow.rule_id)
        .where(AlertRow.incident_id.in_(ids))
        .order_by(AlertRow.first_seen.desc())
    ).all()
    for linked, rule_id in alerts:
        if linked is not None:
            found[linked] = f"alert:{rule_id}"
    return found


def _times(row: IncidentRow, source: str) -> m.IncidentTimes:
    return m.IncidentTimes(
        ref=row.ref,
        status=row.status,
        created_at=row.created_at,
        reported_at=row.reported_at,
        occurred_at=row.occurred_at,
        detected_at=row.detected_at,
        acknowledged_at=row.acknowledged_at,
        contained_at=row.contained_at,
        recovered_at=row.recovered_at,
        closed_at=row.closed_at,
        priority=row.priority,
        category=row.category,
        severity=row.severity,
        source=source,
    )


def incident_times(uow: UnitOfWork, since: datetime, until: datetime) -> list[m.IncidentTimes]:
    rows = uow.session.scalars(
        select(IncidentRow)
        .where(visible_to(uow.principal), IncidentRow.created_at >= since, IncidentRow.created_at < until)
        .order_by(IncidentRow.created_at)
    ).all()
    sources = _sources(uow, [r.id for r in rows])
    return [_times(r, sources.get(r.id, "manual")) for r in rows]


def training_completion(plan: Plan, today: date) -> list[CourseOut]:
    """Per course: people who must hold it and those whose last completion is still current."""
    latest: dict[tuple[str, str], date] = {}
    for record in plan.training.completions:
        key = (record.person, record.course)
        if record.completed_on <= today and record.completed_on > latest.get(key, date.min):
            latest[key] = record.completed_on
    out = []
    for course in plan.training.courses:
        people = course_people(plan, course)
        current = sum(
            1
            for p in people
            if (done := latest.get((p, course.id))) is not None and done + course.frequency >= today
        )
        rate = current / len(people) if people else None
        out.append(
            CourseOut(course=course.id, title=course.title, required=len(people), current=current, rate=rate)
        )
    return out


def _counts(values: dict[str, int]) -> list[CountOut]:
    return [CountOut(key=k, count=v) for k, v in values.items()]


def _action_items(uow: UnitOfWork, now: datetime) -> ActionItemCounts:
    closed_states = [ActionItemStatus.DONE.value, ActionItemStatus.WONT_DO.value]
    rows = uow.session.execute(
        select(ActionItemRow.status, ActionItemRow.due_at)
        .join(IncidentRow, IncidentRow.id == ActionItemRow.incident_id)
        .where(visible_to(uow.principal))
    ).all()
    open_ = [due for status, due in rows if status not in closed_states]
    return ActionItemCounts(
        open=len(open_),
        overdue=sum(1 for due in open_ if due is not None and due < now),
        closed=len(rows) - len(open_),
    )


def compute_metrics(
    uow: UnitOfWork, *, since: datetime | None = None, until: datetime | None = None, by: str = "category"
) -> MetricsOut:
    """Every figure for incidents created in the period; see ``core.metrics`` for the definitions."""
    uow.principal.require(Permission.METRICS_READ)
    if by not in BY:
        raise ValidationError(f"cannot group by {by!r}", hint=f"use one of: {', '.join(BY)}")
    now = uow.clock.now()
    start, end = period(since, until, now)
    plan = current_plan(uow)
    items = incident_times(uow, start, end)
    targets = {p.id: {t: getattr(p, t) for t in TARGETS} for p in plan.priority.priorities}
    volumes = {key: m.volume(items, key) for key in BY}
    volumes["month"] = {month: volumes["month"].get(month, 0) for month in m.months_between(start, end)}
    ids = select(IncidentRow.id).where(
        visible_to(uow.principal), IncidentRow.created_at >= start, IncidentRow.created_at < end
    )
    alerts = uow.session.execute(
        select(AlertRow.rule_id, AlertRow.status).where(
            AlertRow.created_at >= start, AlertRow.created_at < end
        )
    ).all()
    causes = uow.session.scalars(
        select(ReviewRow.root_cause_category).where(ReviewRow.incident_id.in_(ids))
    ).all()
    training = training_completion(plan, now.date())
    required = sum(c.required for c in training)
    age = m.open_age(items, now)
    return MetricsOut(
        since=start,
        until=end,
        at=now,
        incidents=len(items),
        open_incidents=age.count,
        durations=[DurationOut(**d.__dict__) for d in m.duration_stats(items)],
        open_age=OpenAgeOut(**age.__dict__),
        sla=[SlaOut(**c.__dict__, compliance=c.compliance) for c in m.sla_compliance(items, targets, now)],
        by=by,
        volume=_counts(volumes[by]),
        volumes={k: _counts(v) for k, v in volumes.items()},
        false_positive_rates=[
            RuleFpOut(rule_id=r.rule_id, false_positive=r.false_positive, decided=r.decided, rate=r.rate)
            for r in m.false_positive_rates((rule, status) for rule, status in alerts)
        ],
        root_causes=[CountOut(key=k, count=v) for k, v in m.top_counts(causes)],
        action_items=_action_items(uow, now),
        training=training,
        training_rate=sum(c.current for c in training) / required if required else None,
    )
