"""Post-incident reviews: start, write, collect feedback, track action items, complete.

A review is a draft until completed. Completing it applies its training needs to the plan (a new
plan version) and moves the incident from ``closed`` to ``reviewed``. Action items stay tracked after
completion until each is done or dropped. Writing needs ``review:write``; feedback needs only
``incident:comment``, so every participant can give theirs; reading needs ``incident:read``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select

from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from ironwatch.core.ids import new_id
from ironwatch.core.lifecycle import IncidentState
from ironwatch.core.permissions import Permission
from ironwatch.incidents.service import find_incident, transition_incident, visible_to
from ironwatch.plan.service import current_plan
from ironwatch.review import schemas as s
from ironwatch.review.training_needs import apply_training_needs, check_training_needs
from ironwatch.store.tables import (
    ActionItemRow,
    AlertRow,
    IncidentRow,
    ReviewFeedbackRow,
    ReviewRow,
    TimelineEntryRow,
)
from ironwatch.store.uow import UnitOfWork

_LIST_FIELDS = ("highlights", "contributing_factors", "went_well", "to_improve", "techniques")
_DOC_FIELDS = ("decisions", "detection_gaps", "training_needs")


def _review_of(uow: UnitOfWork, incident: IncidentRow) -> ReviewRow:
    row = uow.session.scalars(select(ReviewRow).where(ReviewRow.incident_id == incident.id)).one_or_none()
    if row is None:
        raise NotFoundError(
            f"{incident.ref} has no post-incident review yet",
            hint=f"start one: `ironwatch review start {incident.ref}`",
        )
    return row


def _draft(row: ReviewRow, incident: IncidentRow) -> None:
    if row.status != s.ReviewStatus.DRAFT.value:
        raise ConflictError(
            f"the review of {incident.ref} was completed on {row.completed_at:%Y-%m-%d}; "
            "it is the record now",
            hint="add action items or record their closure; the review itself no longer changes",
        )


def _observed_techniques(uow: UnitOfWork, incident: IncidentRow) -> list[str]:
    """ATT&CK techniques the incident's alerts and manual timeline entries name (a start for the review)."""
    found: set[str] = set()
    for techniques in uow.session.scalars(
        select(AlertRow.attack_techniques).where(AlertRow.incident_id == incident.id)
    ):
        found.update(techniques)
    manual = select(TimelineEntryRow.technique).where(
        TimelineEntryRow.incident_id == incident.id, TimelineEntryRow.technique.is_not(None)
    )
    found.update(t for t in uow.session.scalars(manual) if t)
    return sorted(found)


def start_review(uow: UnitOfWork, key: str) -> ReviewRow:
    """Open the incident's review as a draft, with the ATT&CK techniques already known filled in."""
    uow.principal.require(Permission.REVIEW_WRITE)
    incident = find_incident(uow, key)
    if incident.status == IncidentState.FALSE_POSITIVE.value:
        raise ConflictError(
            f"{incident.ref} is a false positive", hint="reopen it first if it was an incident after all"
        )
    exists = uow.session.scalar(select(func.count()).where(ReviewRow.incident_id == incident.id))
    if exists:
        raise ConflictError(
            f"{incident.ref} already has a review", hint=f"see it with `ironwatch review show {incident.ref}`"
        )
    now = uow.clock.now()
    row = ReviewRow(
        id=new_id(),
        incident_id=incident.id,
        status=s.ReviewStatus.DRAFT.value,
        summary=incident.summary,
        highlights=[],
        root_cause="",
        contributing_factors=[],
        went_well=[],
        to_improve=[],
        decisions=[],
        techniques=_observed_techniques(uow, incident),
        detection_gaps=[],
        training_needs=[],
        currency="EUR",
        started_by=uow.principal.name,
        started_at=now,
        updated_at=now,
    )
    uow.session.add(row)
    uow.flush()
    return row


def update_review(uow: UnitOfWork, key: str, data: s.ReviewFields) -> ReviewRow:
    """Set the given fields of a draft review (a list given replaces the list)."""
    uow.principal.require(Permission.REVIEW_WRITE)
    incident = find_incident(uow, key)
    row = _review_of(uow, incident)
    _draft(row, incident)
    given = data.model_dump(exclude_unset=True, mode="json")
    if data.training_needs:
        check_training_needs(current_plan(uow), data.training_needs)
    for field, value in given.items():
        if value is None and (
            field in _LIST_FIELDS or field in _DOC_FIELDS or field in ("summary", "root_cause")
        ):
            raise ValidationError(f"{field} cannot be empty", hint="send an empty list or text to clear it")
        if field == "techniques":
            value = sorted(set(value))
        setattr(row, field, value if field != "currency" or value else "EUR")
    if uow.session.is_modified(row):
        row.updated_at = uow.clock.now()
    uow.flush()
    return row


def complete_review(uow: UnitOfWork, key: str) -> tuple[ReviewRow, int | None]:
    """Complete the review: training needs into the plan, the incident to ``reviewed``.

    Returns the review and the plan version holding its training needs (None without any). Needs
    ``review:write`` and ``incident:transition``, and ``plan:write`` when there are training needs.
    """
    principal = uow.principal
    principal.require(Permission.REVIEW_WRITE)
    principal.require(Permission.INCIDENT_TRANSITION)
    incident = find_incident(uow, key)
    row = _review_of(uow, incident)
    _draft(row, incident)
    missing = [f for f in ("summary", "root_cause") if not getattr(row, f).strip()]
    if missing:
        raise ValidationError(
            f"the review of {incident.ref} has no {' and no '.join(m.replace('_', ' ') for m in missing)}",
            hint=f"write it first: `ironwatch review update {incident.ref} --root-cause ...`",
        )
    if incident.status not in (IncidentState.CLOSED.value, IncidentState.REVIEWED.value):
        raise ConflictError(
            f"{incident.ref} is {incident.status!r}; a review is completed once the incident is closed",
            hint=f"close it first: `ironwatch incident transition {incident.ref} closed`",
        )
    needs = [s.TrainingNeed.model_validate(n) for n in row.training_needs]
    version = None
    if needs:
        if not principal.can(Permission.PLAN_WRITE):
            raise PermissionDeniedError(
                "the review's training needs change the plan, which you may not change",
                hint="ask an incident manager to complete the review, or remove the training needs",
            )
        info = apply_training_needs(uow, needs, ref=incident.ref)
        version = info.version if info else None
    now = uow.clock.now()
    uow.set_action("review.complete")
    row.status = s.ReviewStatus.COMPLETED.value
    row.completed_by = principal.name
    row.completed_at = now
    row.updated_at = now
    row.plan_version = version
    uow.flush()
    uow.set_action(None)
    if incident.status == IncidentState.CLOSED.value:
        transition_incident(
            uow, incident.ref, IncidentState.REVIEWED.value, note="post-incident review completed"
        )
    uow.publish(
        DomainEvent(
            "review.completed",
            incident.id,
            {
                "ref": incident.ref,
                "root_cause_category": row.root_cause_category,
                "open_action_items": _open_items(uow, row.id),
                "plan_version": version,
            },
        )
    )
    return row, version


def _open_items(uow: UnitOfWork, review_id: str) -> int:
    closed = [st.value for st in s.CLOSED_ITEM_STATES]
    query = select(func.count()).where(
        ActionItemRow.review_id == review_id, ActionItemRow.status.not_in(closed)
    )
    return int(uow.session.scalar(query) or 0)


def add_action_item(uow: UnitOfWork, key: str, data: s.ActionItemCreate) -> tuple[ActionItemRow, IncidentRow]:
    """Add an action item (also after completion: lessons keep producing work)."""
    uow.principal.require(Permission.REVIEW_WRITE)
    incident = find_incident(uow, key)
    review = _review_of(uow, incident)
    last = uow.session.scalar(
        select(func.max(ActionItemRow.number)).where(ActionItemRow.review_id == review.id)
    )
    row = ActionItemRow(
        id=new_id(),
        review_id=review.id,
        incident_id=incident.id,
        number=(last or 0) + 1,
        title=data.title,
        owner=data.owner,
        due_at=data.due_at,
        status=s.ActionItemStatus.OPEN.value,
        created_at=uow.clock.now(),
    )
    uow.session.add(row)
    uow.flush()
    return row, incident


def _item(uow: UnitOfWork, incident: IncidentRow, number: int) -> ActionItemRow:
    row = uow.session.scalars(
        select(ActionItemRow).where(ActionItemRow.incident_id == incident.id, ActionItemRow.number == number)
    ).one_or_none()
    if row is None:
        raise NotFoundError(
            f"{incident.ref} has no action item {number}",
            hint=f"list them with `ironwatch review show {incident.ref}`",
        )
    return row


def update_action_item(
    uow: UnitOfWork, key: str, number: int, data: s.ActionItemClose
) -> tuple[ActionItemRow, IncidentRow]:
    """Move an action item on (``in_progress``) or close it (``done``, ``wont_do``) with a resolution."""
    uow.principal.require(Permission.REVIEW_WRITE)
    incident = find_incident(uow, key)
    row = _item(uow, incident, number)
    if s.ActionItemStatus(row.status) in s.CLOSED_ITEM_STATES:
        raise ConflictError(
            f"{incident.ref}-A{number} is already {row.status}", hint="add a new action item for further work"
        )
    if data.status == s.ActionItemStatus.WONT_DO and not data.resolution:
        raise ValidationError("say why the item will not be done", hint="give a resolution")
    row.status = data.status.value
    row.resolution = data.resolution or row.resolution
    if data.status in s.CLOSED_ITEM_STATES:
        row.closed_at = uow.clock.now()
        row.closed_by = uow.principal.name
    uow.flush()
    return row, incident


def give_feedback(uow: UnitOfWork, key: str, data: s.FeedbackCreate) -> ReviewFeedbackRow:
    """Record (or replace) the principal's own feedback on a draft review. Needs ``incident:comment``."""
    uow.principal.require(Permission.INCIDENT_COMMENT)
    incident = find_incident(uow, key)
    review = _review_of(uow, incident)
    _draft(review, incident)
    if data.rating is None and not data.went_well and not data.to_improve:
        raise ValidationError(
            "the feedback is empty", hint="give a rating, what went well or what to improve"
        )
    name = uow.principal.name
    row = uow.session.scalars(
        select(ReviewFeedbackRow).where(
            ReviewFeedbackRow.review_id == review.id, ReviewFeedbackRow.participant == name
        )
    ).one_or_none()
    if row is None:
        row = ReviewFeedbackRow(id=new_id(), review_id=review.id, incident_id=incident.id, participant=name)
        uow.session.add(row)
    row.rating, row.went_well, row.to_improve = data.rating, data.went_well, data.to_improve
    row.submitted_at = uow.clock.now()
    uow.flush()
    return row


def item_out(row: ActionItemRow, ref: str, now: datetime) -> s.ActionItemOut:
    open_ = s.ActionItemStatus(row.status) not in s.CLOSED_ITEM_STATES
    return s.ActionItemOut(
        id=row.id,
        label=f"{ref}-A{row.number}",
        incident=ref,
        number=row.number,
        title=row.title,
        owner=row.owner,
        due_at=row.due_at,
        status=row.status,
        resolution=row.resolution,
        created_at=row.created_at,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        overdue=open_ and row.due_at is not None and row.due_at < now,
    )


def review_detail(uow: UnitOfWork, key: str) -> s.ReviewOut:
    """The incident's review with its action items and feedback. Needs ``incident:read``."""
    incident = find_incident(uow, key)
    row = _review_of(uow, incident)
    now = uow.clock.now()
    items = uow.session.scalars(
        select(ActionItemRow).where(ActionItemRow.review_id == row.id).order_by(ActionItemRow.number)
    ).all()
    feedback = uow.session.scalars(
        select(ReviewFeedbackRow)
        .where(ReviewFeedbackRow.review_id == row.id)
        .order_by(ReviewFeedbackRow.submitted_at, ReviewFeedbackRow.participant)
    ).all()
    base: dict[str, Any] = {c: getattr(row, c) for c in s.ReviewOut.model_fields if hasattr(row, c)}
    base.pop("action_items", None)
    return s.ReviewOut(
        **{**base, "detection_gaps": [_gap_out(g) for g in row.detection_gaps]},
        incident=incident.ref,
        incident_status=incident.status,
        action_items=[item_out(i, incident.ref, now) for i in items],
        feedback=[
            s.FeedbackOut(
                participant=f.participant,
                rating=f.rating,
                went_well=f.went_well,
                to_improve=f.to_improve,
                submitted_at=f.submitted_at,
            )
            for f in feedback
        ],
    )


def _gap_out(gap: dict[str, Any]) -> s.DetectionGapOut:
    parsed = s.DetectionGap.model_validate(gap)
    hours = None
    if parsed.started_at and parsed.detected_at:
        hours = (parsed.detected_at - parsed.started_at).total_seconds() / 3600
    return s.DetectionGapOut(**parsed.model_dump(), undetected_hours=hours)


def _open_filter(open_only: bool) -> ColumnElement[bool]:
    closed = [st.value for st in s.CLOSED_ITEM_STATES]
    return ActionItemRow.status.not_in(closed) if open_only else ActionItemRow.status.is_not(None)


def list_action_items(
    uow: UnitOfWork, *, open_only: bool = False, owner: str | None = None
) -> list[s.ActionItemOut]:
    """Action items of every review on incidents the principal may see, oldest due first."""
    uow.principal.require(Permission.INCIDENT_READ)
    query = (
        select(ActionItemRow, IncidentRow.ref)
        .join(IncidentRow, IncidentRow.id == ActionItemRow.incident_id)
        .where(visible_to(uow.principal), _open_filter(open_only))
    )
    if owner:
        query = query.where(ActionItemRow.owner == owner)
    rows = uow.session.execute(query).all()
    now = uow.clock.now()
    out = [item_out(item, ref, now) for item, ref in rows]
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(out, key=lambda i: (i.due_at or far, i.incident, i.number))
