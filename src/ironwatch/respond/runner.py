"""The action runner: claims due action requests from the database and carries them out.

In ``serve`` a background job ticks every few seconds: it marks actions whose runner died as
``interrupted``, claims as many due actions as the plan's ``max_concurrent`` allows (a lease:
``running``, who holds it and until when), and hands them to a bounded thread pool. Each worker
calls the connector outside any transaction, then records the outcome in a new one. A crash between
the two leaves the action ``running`` with a lease that lapses; the next tick (of this or another
server) then shows it as ``interrupted``, to be retried by a person: never silently lost, never
silently repeated. Undo (by a person, or when a temporary action expires) goes the same way.

``run_pending`` does one synchronous pass for the CLI (``ironwatch action run-pending``) and tests.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import and_, or_, select

from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.errors import IronwatchError, NotFoundError
from ironwatch.core.principal import system_principal
from ironwatch.plan import service as plans
from ironwatch.plan.fieldtypes import parse_duration
from ironwatch.plan.models import Plan
from ironwatch.respond import guards
from ironwatch.respond.admission import build_connector
from ironwatch.respond.connectors.base import ActionContext, ActionFailed, ActionOutcome
from ironwatch.respond.connectors.registry import connector_class
from ironwatch.respond.recording import record_outcome
from ironwatch.respond.runs import advance_run, settle_failure
from ironwatch.respond.states import ActionState
from ironwatch.store.tables import ActionRequestRow, IncidentRow
from ironwatch.store.uow import UnitOfWork

if TYPE_CHECKING:
    from ironwatch.bootstrap import Runtime

log = logging.getLogger("ironwatch.respond")
S = ActionState
RUNNER = system_principal("action-runner")
LEASE_GRACE = timedelta(seconds=60)
MAX_DETAIL_CHARS = 64 * 1024
MAX_POOL = 16


@dataclass(frozen=True)
class Claim:
    """One action this runner holds the lease of, with everything the worker needs outside the database."""

    action_id: str
    kind: Literal["run", "undo"]
    connector: str
    config: dict[str, Any]
    inputs: dict[str, Any]
    dry_run: bool
    idempotency_key: str
    incident_ref: str
    timeout: float
    lease_owner: str
    management_addresses: tuple[str, ...] = ()
    previous: dict[str, Any] = field(default_factory=dict)
    expiring: bool = False


@dataclass
class Finished:
    claim: Claim
    outcome: ActionOutcome | None = None
    error: str = ""
    verified: bool | None = None


def lease_owner() -> str:
    """Who holds a lease: host, process and a random part (two runners in one process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _plan(uow: UnitOfWork) -> Plan | None:
    try:
        return plans.current_plan(uow)
    except NotFoundError:
        return None


def recover_interrupted(runtime: Runtime) -> int:
    """Mark running actions whose lease lapsed ``interrupted``; free lapsed undo leases; return how many."""
    with runtime.uow(RUNNER, write=True) as uow:
        now = uow.clock.now()
        lapsed = uow.session.scalars(
            select(ActionRequestRow)
            .where(ActionRequestRow.lease_expires_at < now, ActionRequestRow.lease_owner.is_not(None))
            .with_for_update(skip_locked=True)
        ).all()
        count = 0
        for row in lapsed:
            if row.status == S.RUNNING.value:
                uow.set_action("action.interrupt")
                row.status = S.INTERRUPTED.value
                row.error = (
                    f"the runner {row.lease_owner} stopped while this action ran (lease lapsed at "
                    f"{row.lease_expires_at:%Y-%m-%d %H:%M:%S} UTC); check its effect, then retry it"
                )
                count += 1
            else:
                uow.set_action("action.lease_lapsed")
            row.lease_owner = row.lease_expires_at = None
        uow.flush()
        uow.set_action(None)
        uow.commit()
    return count


def _timeout(plan: Plan, row: ActionRequestRow) -> float:
    configured = guards.connector_settings(plan, row.connector).timeout
    if configured is None:
        instance = build_connector(plan, row.connector)
        configured = instance.timeout_for(instance.parse_inputs(row.inputs))
    return (configured or plan.settings.actions.timeout).total_seconds()


def claim_due(runtime: Runtime, *, owner: str, limit: int) -> list[Claim]:
    """Take the lease of up to ``limit`` due actions (runs first, then undos and expiries)."""
    if limit <= 0:
        return []
    with runtime.uow(RUNNER, write=True) as uow:
        plan = _plan(uow)
        if plan is None:
            return []
        now = uow.clock.now()
        due_runs = uow.session.scalars(
            select(ActionRequestRow)
            .where(ActionRequestRow.status == S.APPROVED.value, ActionRequestRow.next_attempt_at <= now)
            .order_by(ActionRequestRow.next_attempt_at, ActionRequestRow.position)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        due_undos = uow.session.scalars(
            select(ActionRequestRow)
            .where(
                ActionRequestRow.status == S.SUCCEEDED.value,
                ActionRequestRow.lease_owner.is_(None),
                or_(ActionRequestRow.undo_requested_by.is_not(None), ActionRequestRow.expires_at <= now),
                or_(ActionRequestRow.next_attempt_at.is_(None), ActionRequestRow.next_attempt_at <= now),
            )
            .order_by(ActionRequestRow.expires_at)
            .limit(max(0, limit - len(due_runs)))
            .with_for_update(skip_locked=True)
        ).all()
        claims: list[Claim] = []
        refs = dict(
            uow.session.execute(
                select(IncidentRow.id, IncidentRow.ref).where(
                    IncidentRow.id.in_([r.incident_id for r in [*due_runs, *due_undos]])
                )
            ).all()
        )
        for row in [*due_runs, *due_undos]:
            kind: Literal["run", "undo"] = "run" if row.status == S.APPROVED.value else "undo"
            try:
                timeout = _timeout(plan, row)
            except IronwatchError as exc:
                _fail_now(uow, plan, row, f"cannot run: {exc}")
                continue
            uow.set_action("action.start" if kind == "run" else "action.undo_start")
            if kind == "run":
                row.status = S.RUNNING.value
                row.attempts += 1
                row.started_at = now
            row.lease_owner = owner
            row.lease_expires_at = now + timedelta(seconds=timeout) + LEASE_GRACE
            claims.append(
                Claim(
                    action_id=row.id,
                    kind=kind,
                    connector=row.connector,
                    config=guards.connector_settings(plan, row.connector).config,
                    inputs=dict(row.inputs),
                    dry_run=row.dry_run,
                    idempotency_key=row.idempotency_key,
                    incident_ref=refs[row.incident_id],
                    timeout=timeout,
                    lease_owner=owner,
                    management_addresses=plan.settings.actions.management_addresses,
                    previous=dict(row.result.get("details", {})),
                    expiring=kind == "undo" and row.undo_requested_by is None,
                )
            )
        uow.flush()
        uow.set_action(None)
        uow.commit()
    return claims


def _fail_now(uow: UnitOfWork, plan: Plan, row: ActionRequestRow, error: str) -> None:
    uow.set_action("action.fail")
    row.status, row.error, row.finished_at = S.FAILED.value, error, uow.clock.now()
    uow.flush()
    settle_failure(uow, row)
    if row.run_id:
        advance_run(uow, plan, row.run_id)


def workdir_for(home: Path, action_id: str) -> Path:
    return home / "actions" / action_id


def carry_out(home: Path, claim: Claim) -> Finished:
    """Call the connector for a claim (no database); every failure becomes the result's ``error``."""
    workdir = workdir_for(home, claim.action_id)
    workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    context = ActionContext(
        action_id=claim.action_id,
        incident_ref=claim.incident_ref,
        idempotency_key=claim.idempotency_key,
        timeout=claim.timeout,
        workdir=workdir,
        management_addresses=claim.management_addresses,
        previous=claim.previous,
    )
    finished = Finished(claim)
    try:
        connector = connector_class(claim.connector)(claim.config)
        inputs = connector.parse_inputs(claim.inputs)
        if claim.kind == "undo":
            finished.outcome = connector.undo(inputs, context)
        elif claim.dry_run:
            finished.outcome = connector.dry_run(inputs, context)
        else:
            finished.outcome = connector.execute(inputs, context)
            checked = ActionContext(**{**context.__dict__, "previous": finished.outcome.details})
            finished.verified = connector.verify(inputs, checked)
            if finished.verified is False:
                finished.error = "the action reported success but its effect could not be verified"
    except ActionFailed as exc:
        finished.error = str(exc)
    except IronwatchError as exc:
        finished.error = exc.message + (f" ({exc.hint})" if exc.hint else "")
    except Exception as exc:  # a connector's bug must not take the runner down
        log.exception("action %s (%s) raised", claim.action_id, claim.connector)
        finished.error = f"{type(exc).__name__}: {exc}"
    return finished


def _bounded(details: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in details.items():
        if isinstance(value, str) and len(value) > MAX_DETAIL_CHARS:
            value = value[:MAX_DETAIL_CHARS] + f"\n... ({len(value) - MAX_DETAIL_CHARS} more characters)"
        out[key] = value
    return out


def record(runtime: Runtime, finished: Finished) -> str:
    """Write a finished claim's outcome; returns the action's new state ('' if the lease was lost)."""
    claim = finished.claim
    keep_workdir = False
    with runtime.uow(RUNNER, write=True) as uow:
        row = uow.session.get(ActionRequestRow, claim.action_id, with_for_update=True)
        if row is None or row.lease_owner != claim.lease_owner:
            log.warning("action %s: the lease was lost before its outcome was recorded", claim.action_id)
            return ""
        plan = _plan(uow)
        row.lease_owner = row.lease_expires_at = None
        if claim.kind == "undo":
            _record_undo(uow, row, finished, plan)
        elif finished.error or finished.outcome is None:
            _record_failure(uow, row, finished, plan)
        else:
            keep_workdir = _record_success(uow, row, finished, plan)
        final = row.status in {S.SUCCEEDED, S.FAILED, S.UNDONE, S.EXPIRED} and not (
            claim.kind == "undo" and row.status == S.SUCCEEDED
        )
        if final:
            uow.publish(
                DomainEvent(
                    "action.finished",
                    row.incident_id,
                    {
                        "ref": claim.incident_ref,
                        "action_id": row.id,
                        "connector": row.connector,
                        "status": row.status,
                        "destructive": row.destructive,
                        "dry_run": row.dry_run,
                    },
                )
            )
        uow.set_action(None)
        uow.commit()
        state = row.status
    if not keep_workdir:
        shutil.rmtree(workdir_for(runtime.settings.home, claim.action_id), ignore_errors=True)
    return state


def _record_success(uow: UnitOfWork, row: ActionRequestRow, finished: Finished, plan: Plan | None) -> bool:
    outcome = finished.outcome
    assert outcome is not None  # noqa: S101 (checked by the caller)
    now = uow.clock.now()
    result: dict[str, Any] = {
        "summary": outcome.summary,
        "details": _bounded(outcome.details),
        "verified": finished.verified,
        "dry_run": row.dry_run,
    }
    keep = False
    if not row.dry_run:
        try:
            result["recorded"] = record_outcome(
                uow, finished.claim.incident_ref, row.id, row.connector, outcome
            )
        except IronwatchError as exc:
            keep = True
            result["record_error"] = exc.message
            row.error = f"done, but its output could not be recorded: {exc.message}"
    uow.set_action("action.succeed")
    row.status, row.finished_at, row.result = S.SUCCEEDED.value, now, result
    row.next_attempt_at = None
    duration = row.inputs.get("duration")
    if duration and not row.dry_run:
        row.expires_at = now + parse_duration(duration)
    uow.flush()
    if row.run_id and plan is not None:
        advance_run(uow, plan, row.run_id)
    return keep


def _record_failure(uow: UnitOfWork, row: ActionRequestRow, finished: Finished, plan: Plan | None) -> None:
    now = uow.clock.now()
    row.error = finished.error or "the connector reported nothing"
    if finished.outcome is not None:
        row.result = {"summary": finished.outcome.summary, "details": _bounded(finished.outcome.details)}
    if row.attempts < row.max_attempts:
        delay = plan.settings.actions.retry_delay if plan else timedelta(minutes=1)
        uow.set_action("action.retry_later")
        row.status, row.next_attempt_at = S.APPROVED.value, now + delay
        uow.flush()
        return
    uow.set_action("action.fail")
    row.status, row.finished_at = S.FAILED.value, now
    uow.flush()
    settle_failure(uow, row)
    if row.run_id and plan is not None:
        advance_run(uow, plan, row.run_id)


def _record_undo(uow: UnitOfWork, row: ActionRequestRow, finished: Finished, plan: Plan | None) -> None:
    now = uow.clock.now()
    if finished.error or finished.outcome is None:
        delay = plan.settings.actions.retry_delay if plan else timedelta(minutes=1)
        uow.set_action("action.undo_failed")
        row.error = f"undo failed: {finished.error}"
        row.next_attempt_at = now + delay
        uow.flush()
        return
    expired = finished.claim.expiring
    uow.set_action("action.expire" if expired else "action.undo")
    row.status = S.EXPIRED.value if expired else S.UNDONE.value
    row.undone_at, row.error = now, ""
    row.result = {
        **row.result,
        "undo": finished.outcome.summary,
        "undo_details": _bounded(finished.outcome.details),
    }
    uow.flush()


def _pending_once(runtime: Runtime, owner: str, limit: int) -> int:
    claims = claim_due(runtime, owner=owner, limit=limit)
    if not claims:
        return 0
    with ThreadPoolExecutor(max_workers=len(claims), thread_name_prefix="iw-action") as pool:
        done = list(pool.map(lambda c: carry_out(runtime.settings.home, c), claims))
    for finished in done:
        record(runtime, finished)
    return len(claims)


def run_pending(runtime: Runtime, *, rounds: int = 50) -> int:
    """Recover, then claim and carry out due actions until none are left (bounded); returns how many ran."""
    recover_interrupted(runtime)
    with runtime.uow(RUNNER) as uow:
        plan = _plan(uow)
    limit = plan.settings.actions.max_concurrent if plan else 1
    owner = lease_owner()
    total = 0
    for _ in range(rounds):
        ran = _pending_once(runtime, owner, limit)
        total += ran
        if ran == 0:
            break
    return total


def anything_to_do(runtime: Runtime) -> bool:
    """One read: is any action queued, running, or succeeded with an undo or expiry pending?

    Lets the idle tick of ``serve`` skip the write transactions (SQLite's write lock) of a full pass.
    """
    with runtime.uow(RUNNER) as uow:
        found = uow.session.scalar(
            select(ActionRequestRow.id)
            .where(
                or_(
                    ActionRequestRow.status.in_([S.APPROVED.value, S.RUNNING.value]),
                    and_(
                        ActionRequestRow.status == S.SUCCEEDED.value,
                        or_(
                            ActionRequestRow.undo_requested_by.is_not(None),
                            ActionRequestRow.expires_at.is_not(None),
                        ),
                    ),
                )
            )
            .limit(1)
        )
    return found is not None


class ActionRunner:
    """The runner in ``serve``: a bounded pool fed by a periodic tick, never more than the plan allows."""

    def __init__(self) -> None:
        self.owner = lease_owner()
        self._pool = ThreadPoolExecutor(max_workers=MAX_POOL, thread_name_prefix="iw-action")
        self._lock = threading.Lock()
        self._in_flight = 0

    def tick(self, runtime: Runtime) -> None:
        if not anything_to_do(runtime):
            return
        recover_interrupted(runtime)
        with runtime.uow(RUNNER) as uow:
            plan = _plan(uow)
        if plan is None:
            return
        with self._lock:
            free = min(plan.settings.actions.max_concurrent, MAX_POOL) - self._in_flight
        for claim in claim_due(runtime, owner=self.owner, limit=free):
            with self._lock:
                self._in_flight += 1
            self._pool.submit(self._work, runtime, claim)

    def close(self, *, wait: bool = True) -> None:
        """Stop taking work; with ``wait``, let the running actions finish and be recorded first."""
        self._pool.shutdown(wait=wait)

    def _work(self, runtime: Runtime, claim: Claim) -> None:
        try:
            record(runtime, carry_out(runtime.settings.home, claim))
        except Exception:
            log.exception(
                "recording action %s failed; its lease will lapse and show it interrupted", claim.action_id
            )
        finally:
            with self._lock:
                self._in_flight -= 1
