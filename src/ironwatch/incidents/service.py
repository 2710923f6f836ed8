"""Incident services: the only place incident business rules live.

The API, the CLI and the web UI call these functions with a unit of work whose principal is
the actor; every write is audited by the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, exists, false, func, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite

from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.errors import ConflictError, NotFoundError, ValidationError
from ironwatch.core.ids import format_reference, new_id, parse_reference
from ironwatch.core.lifecycle import IncidentState, check_transition, milestones_reached, parse_state
from ironwatch.core.observables import normalise_observable
from ironwatch.core.permissions import Permission
from ironwatch.core.principal import Principal
from ironwatch.incidents import schemas as s
from ironwatch.store.tables import (
    AuditEntryRow,
    CommentRow,
    IncidentAttachmentRow,
    IncidentMemberRow,
    IncidentRow,
    ObservableRow,
    ReferenceCounterRow,
    TaskRow,
    TransitionRow,
)
from ironwatch.store.uow import UnitOfWork


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """The need-to-know filter: restricted incidents only for their assignee, members and managers."""
    if principal.sees_all_restricted:
        return true()
    named = exists().where(
        IncidentMemberRow.incident_id == IncidentRow.id, IncidentMemberRow.username == principal.name
    )
    return or_(IncidentRow.restricted == false(), IncidentRow.assignee == principal.name, named)


def _next_reference(uow: UnitOfWork) -> str:
    year = uow.clock.now().year
    session = uow.session
    insert = postgresql.insert if uow.db.dialect == "postgresql" else sqlite.insert
    session.execute(insert(ReferenceCounterRow).values(year=year, last=0).on_conflict_do_nothing())
    number = session.execute(
        update(ReferenceCounterRow)
        .where(ReferenceCounterRow.year == year)
        .values(last=ReferenceCounterRow.last + 1)
        .returning(ReferenceCounterRow.last)
    ).scalar_one()
    return format_reference(year, number)


def find_incident(uow: UnitOfWork, key: str) -> IncidentRow:
    """An incident by id or reference, if the principal may see it (else: not found)."""
    uow.principal.require(Permission.INCIDENT_READ)
    key = key.strip()
    column = IncidentRow.ref if parse_reference(key) else IncidentRow.id
    value = key.upper() if parse_reference(key) else key
    row = uow.session.scalars(
        select(IncidentRow).where(column == value, visible_to(uow.principal))
    ).one_or_none()
    if row is None:
        raise NotFoundError(
            f"no incident {key!r}", hint="check the reference, e.g. IR-2026-0001; list with `incident list`"
        )
    return row


#: what only triage decides: a report through the intake may not set these
TRIAGE_FIELDS = ("category", "severity", "priority", "assignee", "restricted")


def create_incident(
    uow: UnitOfWork,
    data: s.IncidentCreate,
    *,
    status: IncidentState = IncidentState.REPORTED,
    via_report: bool = False,
    origin: str = "manual",
) -> IncidentRow:
    """Open an incident; the principal becomes ``created_by``.

    Needs ``incident:create``. With ``via_report=True`` (the reporting intake) it needs
    ``report:submit`` instead, and then opens only a ``reported`` incident without any of the
    fields triage decides (:data:`TRIAGE_FIELDS`), so reporters gain no say over them.
    ``origin`` says who opened it (``manual``, ``report``, ``triage``) in the ``incident.created``
    domain event the other slices (notifications, SLA clocks) react to.
    """
    principal = uow.principal
    if via_report:
        principal.require(Permission.REPORT_SUBMIT)
        _check_reportable(data, status)
    else:
        principal.require(Permission.INCIDENT_CREATE)
    if data.restricted:
        principal.require(Permission.INCIDENT_RESTRICT)
    now = uow.clock.now()
    row = IncidentRow(
        id=new_id(),
        ref=_next_reference(uow),
        title=data.title,
        summary=data.summary,
        observations=data.observations,
        status=status.value,
        category=data.category,
        severity=data.severity.value if data.severity else None,
        priority=data.priority.value if data.priority else None,
        tlp=data.tlp.value,
        tags=sorted(set(data.tags)),
        affected_assets=sorted(set(data.affected_assets)),
        reporter=data.reporter.model_dump(mode="json"),
        assignee=data.assignee,
        restricted=data.restricted,
        created_by=principal.name,
        occurred_at=data.occurred_at,
        detected_at=data.detected_at,
        reported_at=data.reported_at or now,
        created_at=now,
        updated_at=now,
    )
    _check_times(row)
    uow.session.add(row)
    uow.flush()
    uow.publish(
        DomainEvent(
            "incident.created",
            row.id,
            {
                "ref": row.ref,
                "status": row.status,
                "priority": row.priority,
                "severity": row.severity,
                "category": row.category,
                "origin": "report" if via_report else origin,
            },
        )
    )
    return row


def _check_reportable(data: s.IncidentCreate, status: IncidentState) -> None:
    given = [field for field in TRIAGE_FIELDS if getattr(data, field)]
    if given or status != IncidentState.REPORTED:
        raise ValidationError(
            f"a report cannot set {', '.join(given) or 'the state'}",
            hint="a report opens a 'reported' incident; triage sets these afterwards",
        )


def _check_times(row: IncidentRow) -> None:
    if row.occurred_at and row.detected_at and row.detected_at < row.occurred_at:
        raise ValidationError(
            "detected_at is earlier than occurred_at",
            hint="an incident is detected after it occurs; check both times",
        )


def update_incident(uow: UnitOfWork, key: str, data: s.IncidentUpdate) -> IncidentRow:
    uow.principal.require(Permission.INCIDENT_UPDATE)
    row = find_incident(uow, key)
    changes = data.model_dump(exclude_unset=True, mode="json")
    if "restricted" in changes:
        uow.principal.require(Permission.INCIDENT_RESTRICT)
    for field in (
        "title",
        "tlp",
        "tags",
        "affected_assets",
        "restricted",
        "summary",
        "observations",
        "reporter",
    ):
        if field in changes and changes[field] is None:
            raise ValidationError(
                f"{field} cannot be empty", hint=f"give a value for {field} or leave it out"
            )
    changed: dict[str, list[object]] = {}
    for field, value in changes.items():
        if field in {"occurred_at", "detected_at"}:
            value = getattr(data, field)
        elif field in {"tags", "affected_assets"}:
            value = sorted(set(value))
        before = getattr(row, field)
        if before != value:
            changed[field] = [_plain(before), _plain(value)]
        setattr(row, field, value)
    _check_times(row)
    if uow.session.is_modified(row):
        row.updated_at = uow.clock.now()
    uow.flush()
    if changed:
        uow.publish(DomainEvent("incident.updated", row.id, {"ref": row.ref, "changes": changed}))
    return row


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def transition_incident(uow: UnitOfWork, key: str, to: str, note: str = "") -> IncidentRow:
    uow.principal.require(Permission.INCIDENT_TRANSITION)
    row = find_incident(uow, key)
    current = IncidentState(row.status)
    target = parse_state(to)
    check_transition(current, target)
    now = uow.clock.now()
    uow.set_action("incident.transition")
    for milestone in milestones_reached(current, target):
        if getattr(row, milestone) is None:
            setattr(row, milestone, now)
    row.status = target.value
    row.updated_at = now
    uow.session.add(
        TransitionRow(
            id=new_id(),
            incident_id=row.id,
            from_state=current.value,
            to_state=target.value,
            note=note,
            actor=uow.principal.name,
            at=now,
        )
    )
    uow.flush()
    uow.set_action(None)
    uow.publish(
        DomainEvent(
            "incident.transitioned", row.id, {"ref": row.ref, "from": current.value, "to": target.value}
        )
    )
    return row


def add_comment(uow: UnitOfWork, key: str, data: s.CommentCreate) -> CommentRow:
    uow.principal.require(Permission.INCIDENT_COMMENT)
    incident = find_incident(uow, key)
    row = CommentRow(
        id=new_id(),
        incident_id=incident.id,
        author=uow.principal.name,
        body=data.body,
        created_at=uow.clock.now(),
    )
    uow.session.add(row)
    uow.flush()
    return row


def add_task(uow: UnitOfWork, key: str, data: s.TaskCreate) -> TaskRow:
    uow.principal.require(Permission.INCIDENT_TASK)
    incident = find_incident(uow, key)
    now = uow.clock.now()
    row = TaskRow(
        id=new_id(),
        incident_id=incident.id,
        title=data.title,
        owner=data.owner,
        due_at=data.due_at,
        status=s.TaskStatus.OPEN.value,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(row)
    uow.flush()
    return row


def update_task(uow: UnitOfWork, key: str, task_id: str, data: s.TaskUpdate) -> TaskRow:
    uow.principal.require(Permission.INCIDENT_TASK)
    incident = find_incident(uow, key)
    row = uow.session.get(TaskRow, task_id)
    if row is None or row.incident_id != incident.id:
        raise NotFoundError(
            f"incident {incident.ref} has no task {task_id!r}", hint="list its tasks with `incident show`"
        )
    changes = data.model_dump(exclude_unset=True, mode="json")
    for field, value in changes.items():
        if field in {"title", "status"} and value is None:
            raise ValidationError(
                f"{field} cannot be empty", hint=f"give a value for {field} or leave it out"
            )
        setattr(row, field, data.due_at if field == "due_at" else value)
    if uow.session.is_modified(row):
        row.updated_at = uow.clock.now()
    uow.flush()
    return row


def add_observable(uow: UnitOfWork, key: str, data: s.ObservableCreate) -> tuple[ObservableRow, bool]:
    """Attach an observable; returns ``(row, created)``: an equal one already there is returned as is."""
    return add_observables(uow, key, [data])[0]


#: observable values per lookup query in ``add_observables``
_OBSERVABLE_CHUNK = 500


def add_observables(
    uow: UnitOfWork, key: str, items: Sequence[s.ObservableCreate]
) -> list[tuple[ObservableRow, bool]]:
    """Attach many observables at once, as ``add_observable`` each in turn would (an equal one already
    there, or earlier in ``items``, is returned as is) but with one lookup per chunk and one flush.

    An item that is no valid observable raises ``ValidationError`` before anything is added; callers
    that skip such values validate with ``core.observables.normalise_observable`` first.
    """
    uow.principal.require(Permission.INCIDENT_TASK)
    incident = find_incident(uow, key)
    wanted = [(item, normalise_observable(item.type, item.value)) for item in items]
    values = sorted({o.value for _, o in wanted})
    known: dict[tuple[str, str], ObservableRow] = {}
    for start in range(0, len(values), _OBSERVABLE_CHUNK):
        rows = uow.session.scalars(
            select(ObservableRow).where(
                ObservableRow.incident_id == incident.id,
                ObservableRow.value.in_(values[start : start + _OBSERVABLE_CHUNK]),
            )
        ).all()
        known.update({(r.type, r.value): r for r in rows})
    results: list[tuple[ObservableRow, bool]] = []
    now = uow.clock.now()
    for item, observable in wanted:
        existing = known.get((observable.type.value, observable.value))
        if existing is not None:
            results.append((existing, False))
            continue
        row = ObservableRow(
            id=new_id(),
            incident_id=incident.id,
            type=observable.type.value,
            value=observable.value,
            note=item.note,
            tlp=item.tlp.value if item.tlp else None,
            created_at=now,
        )
        uow.session.add(row)
        known[(row.type, row.value)] = row
        results.append((row, True))
    uow.flush()
    return results


def add_member(uow: UnitOfWork, key: str, data: s.MemberAdd) -> IncidentMemberRow:
    uow.principal.require(Permission.INCIDENT_RESTRICT)
    incident = find_incident_for_membership(uow, key)
    existing = uow.session.scalars(
        select(IncidentMemberRow).where(
            IncidentMemberRow.incident_id == incident.id, IncidentMemberRow.username == data.username
        )
    ).one_or_none()
    if existing is not None:
        raise ConflictError(f"{data.username} is already a member of {incident.ref}")
    row = IncidentMemberRow(
        id=new_id(), incident_id=incident.id, username=data.username, added_at=uow.clock.now()
    )
    uow.session.add(row)
    uow.flush()
    return row


def find_incident_for_membership(uow: UnitOfWork, key: str) -> IncidentRow:
    """Whoever may restrict incidents may name members on any of them (an audited act)."""
    key = key.strip()
    ref = parse_reference(key)
    column = IncidentRow.ref if ref else IncidentRow.id
    row = uow.session.scalars(
        select(IncidentRow).where(column == (key.upper() if ref else key))
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"no incident {key!r}", hint="check the reference, e.g. IR-2026-0001")
    return row


def _filtered(principal: Principal, flt: s.IncidentFilter) -> Select[IncidentRow]:
    query = select(IncidentRow).where(visible_to(principal))
    if flt.status:
        states = [parse_state(v).value for v in flt.status]
        query = query.where(IncidentRow.status.in_(states))
    if flt.severity:
        query = query.where(IncidentRow.severity.in_([v.value for v in flt.severity]))
    if flt.priority:
        query = query.where(IncidentRow.priority.in_([v.value for v in flt.priority]))
    if flt.assignee:
        query = query.where(IncidentRow.assignee == flt.assignee)
    if flt.tag:
        # tags are stored sorted as a JSON list; match the quoted element text
        query = query.where(func.lower(func.cast(IncidentRow.tags, Text())).contains(f'"{flt.tag.lower()}"'))
    if flt.text:
        pattern = f"%{_escape_like(flt.text.lower())}%"
        query = query.where(
            or_(
                func.lower(IncidentRow.title).like(pattern, escape="\\"),
                func.lower(IncidentRow.summary).like(pattern, escape="\\"),
                func.lower(IncidentRow.observations).like(pattern, escape="\\"),
                IncidentRow.ref == flt.text.upper(),
            )
        )
    if flt.since:
        query = query.where(IncidentRow.created_at >= flt.since)
    if flt.until:
        query = query.where(IncidentRow.created_at < flt.until)
    return query


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_incidents(uow: UnitOfWork, flt: s.IncidentFilter) -> tuple[int, list[IncidentRow]]:
    """A page of incidents the principal may see, newest first, and the total that match."""
    uow.principal.require(Permission.INCIDENT_READ)
    query = _filtered(uow.principal, flt)
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = uow.session.scalars(
        query.order_by(IncidentRow.created_at.desc(), IncidentRow.id.desc())
        .limit(flt.limit)
        .offset(flt.offset)
    ).all()
    return int(total), list(rows)


def count_incidents(uow: UnitOfWork, flt: s.IncidentFilter) -> int:
    total, _ = list_incidents(uow, flt.model_copy(update={"limit": 1, "offset": 0}))
    return total


def incident_detail(uow: UnitOfWork, key: str) -> s.IncidentDetail:
    row = find_incident(uow, key)
    session = uow.session

    def children(model: Any, *order: Any) -> list[Any]:
        return list(session.scalars(select(model).where(model.incident_id == row.id).order_by(*order)).all())

    base = s.IncidentOut.model_validate(row).model_dump()
    return s.IncidentDetail(
        **base,
        members=[m.username for m in children(IncidentMemberRow, IncidentMemberRow.added_at)],
        transitions=[s.TransitionOut.model_validate(t) for t in children(TransitionRow, TransitionRow.at)],
        comments=[s.CommentOut.model_validate(c) for c in children(CommentRow, CommentRow.created_at)],
        tasks=[s.TaskOut.model_validate(t) for t in children(TaskRow, TaskRow.created_at)],
        observables=[
            s.ObservableOut.model_validate(o) for o in children(ObservableRow, ObservableRow.created_at)
        ],
        attachments=[
            s.AttachmentOut.model_validate(a)
            for a in children(
                IncidentAttachmentRow, IncidentAttachmentRow.uploaded_at, IncidentAttachmentRow.filename
            )
        ],
    )


def incident_audit(uow: UnitOfWork, key: str) -> list[AuditEntryRow]:
    uow.principal.require(Permission.AUDIT_READ)
    row = find_incident(uow, key)
    return list(
        uow.session.scalars(
            select(AuditEntryRow).where(AuditEntryRow.incident_id == row.id).order_by(AuditEntryRow.seq)
        ).all()
    )
