"""A playbook run's actions go one after another; a failure is handled as its step says.

``on_failure``: ``stop`` cancels the run's remaining actions, ``manual`` adds a task so a person
does the step by hand, ``continue`` goes on with the next action.
"""

from __future__ import annotations

from sqlalchemy import select

from ironwatch.incidents import schemas as incident_schemas
from ironwatch.incidents import service as incidents
from ironwatch.plan.models import Plan
from ironwatch.respond.admission import admit
from ironwatch.respond.states import UNSETTLED, ActionState
from ironwatch.store.tables import ActionRequestRow, IncidentRow
from ironwatch.store.uow import UnitOfWork

S = ActionState
FAILED = frozenset({S.FAILED.value, S.REJECTED.value, S.REFUSED.value})


def advance_run(uow: UnitOfWork, plan: Plan, run_id: str) -> None:
    """Let the next waiting action of a run through the guard rails once the earlier ones settled."""
    rows = list(
        uow.session.scalars(
            select(ActionRequestRow)
            .where(ActionRequestRow.run_id == run_id)
            .order_by(ActionRequestRow.position)
        ).all()
    )
    if any(r.status in UNSETTLED for r in rows):
        return
    now = uow.clock.now()
    for row in rows:
        if row.status != S.REQUESTED.value:
            continue
        uow.set_action("action.request")
        admit(plan, row, now)
        uow.flush()
        if row.status != S.REFUSED.value:
            return
        settle_failure(uow, row)
        if row.on_failure == "stop":
            return


def settle_failure(uow: UnitOfWork, row: ActionRequestRow) -> None:
    """What a failed, rejected or refused action leaves behind, as its step's ``on_failure`` says."""
    if row.status not in FAILED:
        return
    reason = f"{row.status}: {row.error or row.decision_note or 'no reason given'}"
    if row.on_failure == "stop" and row.run_id is not None:
        waiting = uow.session.scalars(
            select(ActionRequestRow).where(
                ActionRequestRow.run_id == row.run_id, ActionRequestRow.status == S.REQUESTED.value
            )
        ).all()
        uow.set_action("action.cancel")
        for later in waiting:
            later.status, later.finished_at = S.CANCELLED.value, uow.clock.now()
            later.error = f"cancelled: the earlier action {row.title!r} {reason}"
        uow.flush()
    elif row.on_failure == "manual":
        ref = uow.session.get_one(IncidentRow, row.incident_id).ref
        title = f"Do by hand: {row.title} (the automated action {reason})"
        incidents.add_task(uow, ref, incident_schemas.TaskCreate(title=title[:300]))
    uow.set_action(None)
