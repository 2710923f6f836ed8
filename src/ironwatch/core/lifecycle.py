"""The incident lifecycle as an explicit state machine (ISO/IEC 27035 phases).

Main path::

    reported -> triage -> confirmed -> containment -> eradication -> recovery -> closed -> reviewed
                       \\-> false_positive

Reopen: ``closed`` or ``false_positive`` -> ``triage``.

Documented shortcuts (each a real situation, not a convenience):

* ``reported -> confirmed``: the report itself is proof (ransom note on screen, a regulator's notice).
* ``reported -> false_positive``: the report is plainly not an incident (a known test, a duplicate).
* ``containment -> recovery``: nothing is left to eradicate (a volumetric DoS that stopped).
* ``confirmed -> eradication``: the threat was already contained when confirmed (a blocked phishing
  mail with no click).
"""

from __future__ import annotations

from enum import StrEnum

from ironwatch.core.errors import ConflictError, ValidationError


class IncidentState(StrEnum):
    REPORTED = "reported"
    TRIAGE = "triage"
    CONFIRMED = "confirmed"
    FALSE_POSITIVE = "false_positive"
    CONTAINMENT = "containment"
    ERADICATION = "eradication"
    RECOVERY = "recovery"
    CLOSED = "closed"
    REVIEWED = "reviewed"


S = IncidentState

MAIN_PATH: dict[IncidentState, frozenset[IncidentState]] = {
    S.REPORTED: frozenset({S.TRIAGE}),
    S.TRIAGE: frozenset({S.CONFIRMED, S.FALSE_POSITIVE}),
    S.CONFIRMED: frozenset({S.CONTAINMENT}),
    S.CONTAINMENT: frozenset({S.ERADICATION}),
    S.ERADICATION: frozenset({S.RECOVERY}),
    S.RECOVERY: frozenset({S.CLOSED}),
    S.CLOSED: frozenset({S.REVIEWED}),
    S.FALSE_POSITIVE: frozenset(),
    S.REVIEWED: frozenset(),
}
REOPEN: dict[IncidentState, frozenset[IncidentState]] = {
    S.CLOSED: frozenset({S.TRIAGE}),
    S.FALSE_POSITIVE: frozenset({S.TRIAGE}),
}
SHORTCUTS: dict[IncidentState, frozenset[IncidentState]] = {
    S.REPORTED: frozenset({S.CONFIRMED, S.FALSE_POSITIVE}),
    S.CONTAINMENT: frozenset({S.RECOVERY}),
    S.CONFIRMED: frozenset({S.ERADICATION}),
}

OPEN_STATES = frozenset({S.REPORTED, S.TRIAGE, S.CONFIRMED, S.CONTAINMENT, S.ERADICATION, S.RECOVERY})


def allowed_transitions(current: IncidentState) -> frozenset[IncidentState]:
    """Every state reachable from ``current`` in one step."""
    return MAIN_PATH[current] | REOPEN.get(current, frozenset()) | SHORTCUTS.get(current, frozenset())


def parse_state(value: str) -> IncidentState:
    try:
        return IncidentState(value.strip().lower())
    except ValueError as exc:
        allowed = ", ".join(s.value for s in IncidentState)
        raise ValidationError(f"unknown incident state {value!r}", hint=f"use one of: {allowed}") from exc


def check_transition(current: IncidentState, target: IncidentState) -> None:
    """Refuse a transition the lifecycle does not allow, naming the ones it does."""
    if target == current:
        raise ConflictError(f"the incident is already in {current.value!r}")
    allowed = allowed_transitions(current)
    if target not in allowed:
        names = ", ".join(sorted(s.value for s in allowed)) or "none (this is a final state)"
        raise ConflictError(
            f"cannot move an incident from {current.value!r} to {target.value!r}",
            hint=f"allowed from {current.value!r}: {names}",
            details={"allowed": sorted(s.value for s in allowed)},
        )


def milestones_reached(current: IncidentState, target: IncidentState) -> list[str]:
    """All milestone columns a transition reaches (a shortcut may reach several at once)."""
    reached: list[str] = []
    if current == S.REPORTED:
        reached.append("acknowledged_at")
    if target == S.CONFIRMED:
        reached.append("confirmed_at")
    if (current == S.CONTAINMENT and target in {S.ERADICATION, S.RECOVERY}) or (
        current == S.CONFIRMED and target == S.ERADICATION
    ):
        reached.append("contained_at")
    if current == S.RECOVERY and target == S.CLOSED:
        reached.append("recovered_at")
    if target == S.CLOSED:
        reached.append("closed_at")
    if target == S.REVIEWED:
        reached.append("reviewed_at")
    return reached
