"""The life of an action request, as a state machine.

::

    requested ──► awaiting_approval ──► approved ──► running ──► succeeded ──► undone | expired
        │               │                  ▲  │          │
        │               └──► rejected      │  │          ├──► failed
        ├──► refused (guard rails)         │  │          └──► interrupted (the runner died) ─┐
        └──► cancelled (an earlier step    │  └──► (retry after a failed try)             │
             failed with on_failure: stop) └──────────────────────────── retry ◄─────────┘

``requested``: waiting for the earlier actions of its playbook run (they run one after another).
"""

from __future__ import annotations

from enum import StrEnum

from ironwatch.core.errors import ConflictError


class ActionState(StrEnum):
    REQUESTED = "requested"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REJECTED = "rejected"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    UNDONE = "undone"
    EXPIRED = "expired"


S = ActionState
ALLOWED: dict[ActionState, frozenset[ActionState]] = {
    S.REQUESTED: frozenset({S.AWAITING_APPROVAL, S.APPROVED, S.REFUSED, S.CANCELLED}),
    S.AWAITING_APPROVAL: frozenset({S.APPROVED, S.REJECTED, S.CANCELLED}),
    S.APPROVED: frozenset({S.RUNNING, S.CANCELLED, S.REFUSED}),
    S.RUNNING: frozenset({S.SUCCEEDED, S.FAILED, S.APPROVED, S.INTERRUPTED}),
    S.SUCCEEDED: frozenset({S.UNDONE, S.EXPIRED}),
    S.FAILED: frozenset({S.APPROVED}),
    S.INTERRUPTED: frozenset({S.APPROVED, S.FAILED}),
    S.REJECTED: frozenset(),
    S.REFUSED: frozenset(),
    S.CANCELLED: frozenset(),
    S.UNDONE: frozenset(),
    S.EXPIRED: frozenset(),
}
#: a run's later actions wait while one of its actions is in one of these
UNSETTLED = frozenset({S.AWAITING_APPROVAL, S.APPROVED, S.RUNNING, S.INTERRUPTED})


def check_move(current: str, target: ActionState) -> None:
    """Refuse a move the state machine does not allow, saying what the current state permits."""
    state = ActionState(current)
    if target not in ALLOWED[state]:
        allowed = ", ".join(sorted(s.value for s in ALLOWED[state])) or "nothing (it is final)"
        raise ConflictError(
            f"an action that is {state.value} cannot become {target.value}",
            hint=f"from {state.value} it can become: {allowed}",
        )
