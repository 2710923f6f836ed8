"""Action requests: ask for an automated action, approve or reject it, undo or retry it, follow it.

The business rules of the guard rails live here: inputs are validated by the connector's schema,
destructive actions are checked against the deny and allow lists and wait for a second person's
approval, and everything runs as a dry run until the plan enables actions and the connector. The
runner (``respond.runner``) does the I/O later; this module only writes rows, each change audited
on the incident as ``action.<what>``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from ironwatch.core.ids import new_id
from ironwatch.core.permissions import Permission
from ironwatch.incidents import service as incidents
from ironwatch.incidents.service import visible_to
from ironwatch.plan import service as plans
from ironwatch.plan.models import Plan
from ironwatch.respond import guards
from ironwatch.respond.admission import admit, build_connector, check_guard_rails
from ironwatch.respond.runs import advance_run, settle_failure
from ironwatch.respond.schemas import ActionRequestIn
from ironwatch.respond.states import ActionState, check_move
from ironwatch.store.tables import ActionRequestRow, IncidentRow
from ironwatch.store.uow import UnitOfWork

S = ActionState


def _event(uow: UnitOfWork, kind: str, row: ActionRequestRow, ref: str) -> None:
    uow.publish(
        DomainEvent(
            kind,
            row.incident_id,
            {
                "ref": ref,
                "action_id": row.id,
                "connector": row.connector,
                "status": row.status,
                "destructive": row.destructive,
                "dry_run": row.dry_run,
            },
        )
    )


def new_request(
    uow: UnitOfWork,
    plan: Plan,
    incident: IncidentRow,
    *,
    connector: str,
    inputs: dict[str, Any],
    title: str,
    dry_run: bool,
    idempotency_key: str | None = None,
    run_id: str | None = None,
    position: int = 0,
    step_id: str | None = None,
    on_failure: str = "manual",
) -> ActionRequestRow:
    """A validated request row in state ``requested`` (not yet added); inputs stored normalised."""
    instance = build_connector(plan, connector)
    parsed = instance.parse_inputs(inputs)
    now = uow.clock.now()
    action_id = new_id()
    return ActionRequestRow(
        id=action_id,
        incident_id=incident.id,
        run_id=run_id,
        position=position,
        step_id=step_id,
        title=title[:300],
        connector=connector,
        inputs=parsed.model_dump(mode="json", exclude_none=True),
        destructive=instance.is_destructive(parsed),
        dry_run=dry_run or not guards.acts_for_real(plan, connector),
        on_failure=on_failure,
        status=S.REQUESTED.value,
        idempotency_key=idempotency_key or f"iw:{action_id}",
        requested_by=uow.principal.name,
        requested_at=now,
        attempts=0,
        max_attempts=plan.settings.actions.max_attempts,
        result={},
        error="",
    )


def request_action(
    uow: UnitOfWork, incident_key: str, data: ActionRequestIn
) -> tuple[ActionRequestRow, bool]:
    """Ask for one action on an incident; returns ``(row, created)``.

    A destructive action on a deny-listed target is refused with a ``ValidationError`` saying which
    rule refused it. With an ``idempotency_key`` that was used before, the earlier request is
    returned (``created`` False) if it is the same action on the same incident. Needs ``action:request``.
    """
    uow.principal.require(Permission.ACTION_REQUEST)
    incident = incidents.find_incident(uow, incident_key)
    if data.idempotency_key:
        earlier = uow.session.scalars(
            select(ActionRequestRow).where(ActionRequestRow.idempotency_key == data.idempotency_key)
        ).one_or_none()
        if earlier is not None:
            if earlier.incident_id != incident.id or earlier.connector != data.connector:
                raise ConflictError(
                    "this idempotency key was used for another action",
                    hint="use a new key for a new action",
                )
            return earlier, False
    plan = plans.current_plan(uow)
    row = new_request(
        uow,
        plan,
        incident,
        connector=data.connector,
        inputs=data.inputs,
        title=data.title or f"{data.connector} requested by {uow.principal.name}",
        dry_run=data.dry_run,
        idempotency_key=data.idempotency_key,
    )
    check_guard_rails(plan, row)
    admit(plan, row, uow.clock.now())
    uow.set_action("action.request")
    uow.session.add(row)
    uow.flush()
    uow.set_action(None)
    _event(uow, "action.requested", row, incident.ref)
    return row, True


def find_action(uow: UnitOfWork, action_id: str) -> tuple[ActionRequestRow, IncidentRow]:
    """An action and its incident, if the principal may see the incident (else: not found)."""
    uow.principal.require(Permission.INCIDENT_READ)
    found = uow.session.execute(
        select(ActionRequestRow, IncidentRow)
        .join(IncidentRow, IncidentRow.id == ActionRequestRow.incident_id)
        .where(ActionRequestRow.id == action_id.strip(), visible_to(uow.principal))
    ).one_or_none()
    if found is None:
        raise NotFoundError(f"no action {action_id!r}", hint="list actions with `ironwatch action list`")
    return found[0], found[1]


def list_actions(
    uow: UnitOfWork, incident_key: str | None = None, *, status: list[str] | None = None, limit: int = 200
) -> list[tuple[ActionRequestRow, IncidentRow]]:
    """Actions the principal may see, newest first; of one incident, or in some states."""
    uow.principal.require(Permission.INCIDENT_READ)
    query = (
        select(ActionRequestRow, IncidentRow)
        .join(IncidentRow, IncidentRow.id == ActionRequestRow.incident_id)
        .where(visible_to(uow.principal))
    )
    if incident_key is not None:
        query = query.where(ActionRequestRow.incident_id == incidents.find_incident(uow, incident_key).id)
    if status:
        states = []
        for value in status:
            try:
                states.append(ActionState(value.strip().lower()).value)
            except ValueError:
                raise ValidationError(
                    f"unknown action state {value!r}", hint=f"use one of: {', '.join(s.value for s in S)}"
                ) from None
        query = query.where(ActionRequestRow.status.in_(states))
    rows = uow.session.execute(
        query.order_by(ActionRequestRow.requested_at.desc(), ActionRequestRow.position.desc()).limit(limit)
    ).all()
    return [(a, i) for a, i in rows]


def approve_action(uow: UnitOfWork, action_id: str, *, note: str = "") -> ActionRequestRow:
    """Approve a waiting action; the requester cannot approve their own (two-person rule)."""
    uow.principal.require(Permission.ACTION_APPROVE)
    row, incident = find_action(uow, action_id)
    check_move(row.status, S.APPROVED)
    if row.status != S.AWAITING_APPROVAL.value:
        raise ConflictError(f"action {row.id} is {row.status}, not awaiting approval")
    if row.requested_by == uow.principal.name:
        raise PermissionDeniedError(
            f"{uow.principal.name} requested this action and cannot also approve it",
            hint="a second person with the permission 'action:approve' must approve it (two-person rule)",
        )
    check_guard_rails(plans.current_plan(uow), row)
    now = uow.clock.now()
    uow.set_action("action.approve")
    row.status = S.APPROVED.value
    row.decided_by, row.decided_at, row.decision_note = uow.principal.name, now, note
    row.next_attempt_at = now
    uow.flush()
    uow.set_action(None)
    _event(uow, "action.approved", row, incident.ref)
    return row


def reject_action(uow: UnitOfWork, action_id: str, *, note: str = "") -> ActionRequestRow:
    """Reject a waiting action; the rest of its playbook run goes on as its on_failure says."""
    uow.principal.require(Permission.ACTION_APPROVE)
    row, incident = find_action(uow, action_id)
    if row.status != S.AWAITING_APPROVAL.value:
        raise ConflictError(
            f"action {row.id} is {row.status}, not awaiting approval",
            hint="only waiting actions are rejected",
        )
    now = uow.clock.now()
    uow.set_action("action.reject")
    row.status = S.REJECTED.value
    row.decided_by, row.decided_at, row.decision_note = uow.principal.name, now, note
    row.finished_at = now
    uow.flush()
    uow.set_action(None)
    settle_failure(uow, row)
    if row.run_id is not None:
        advance_run(uow, plans.current_plan(uow), row.run_id)
    _event(uow, "action.finished", row, incident.ref)
    return row


def request_undo(uow: UnitOfWork, action_id: str) -> ActionRequestRow:
    """Ask the runner to take back a succeeded action (a dry run is marked undone at once)."""
    uow.principal.require(Permission.ACTION_REQUEST)
    row, incident = find_action(uow, action_id)
    check_move(row.status, S.UNDONE)
    if row.undo_requested_by is not None:
        raise ConflictError(f"undo of action {row.id} was already requested by {row.undo_requested_by}")
    plan = plans.current_plan(uow)
    if not row.dry_run and not build_connector(plan, row.connector).undoable:
        raise ConflictError(
            f"{row.connector} cannot be undone", hint="take it back by hand and note it on the incident"
        )
    uow.set_action("action.undo")
    row.undo_requested_by = uow.principal.name
    if row.dry_run:
        row.status, row.undone_at = S.UNDONE.value, uow.clock.now()
        row.result = {**row.result, "undo": "dry run: nothing was done, so nothing to undo"}
    uow.flush()
    uow.set_action(None)
    if row.dry_run:
        _event(uow, "action.finished", row, incident.ref)
    return row


def retry_action(uow: UnitOfWork, action_id: str) -> ActionRequestRow:
    """Queue a failed or interrupted action again (guard rails checked again, fresh tries)."""
    uow.principal.require(Permission.ACTION_REQUEST)
    row, _ = find_action(uow, action_id)
    check_move(row.status, S.APPROVED)
    if row.status not in {S.FAILED.value, S.INTERRUPTED.value}:
        raise ConflictError(
            f"action {row.id} is {row.status}; only failed or interrupted actions are retried"
        )
    plan = plans.current_plan(uow)
    check_guard_rails(plan, row)
    uow.set_action("action.retry")
    row.status = S.APPROVED.value
    row.max_attempts = row.attempts + plan.settings.actions.max_attempts
    row.next_attempt_at = uow.clock.now()
    row.lease_owner = row.lease_expires_at = None
    uow.flush()
    uow.set_action(None)
    return row
