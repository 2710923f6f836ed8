import itertools

import pytest

from ironwatch.core.errors import ConflictError, ValidationError
from ironwatch.core.lifecycle import IncidentState as S
from ironwatch.core.lifecycle import allowed_transitions, check_transition, milestones_reached, parse_state

MAIN = [S.REPORTED, S.TRIAGE, S.CONFIRMED, S.CONTAINMENT, S.ERADICATION, S.RECOVERY, S.CLOSED, S.REVIEWED]


def test_the_main_path_is_allowed_step_by_step() -> None:
    for current, target in itertools.pairwise(MAIN):
        check_transition(current, target)


def test_reopen_from_closed_and_false_positive_goes_back_to_triage() -> None:
    check_transition(S.CLOSED, S.TRIAGE)
    check_transition(S.FALSE_POSITIVE, S.TRIAGE)


def test_a_forbidden_transition_names_the_allowed_ones() -> None:
    with pytest.raises(ConflictError) as err:
        check_transition(S.REPORTED, S.CLOSED)
    assert "confirmed, false_positive, triage" in str(err.value)


def test_reviewed_is_final() -> None:
    assert allowed_transitions(S.REVIEWED) == frozenset()
    with pytest.raises(ConflictError, match="final state"):
        check_transition(S.REVIEWED, S.TRIAGE)


def test_staying_in_the_same_state_is_refused() -> None:
    with pytest.raises(ConflictError, match="already"):
        check_transition(S.TRIAGE, S.TRIAGE)


def test_unknown_state_lists_the_states() -> None:
    with pytest.raises(ValidationError) as err:
        parse_state("solved")
    assert "containment" in (err.value.hint or "")


@pytest.mark.parametrize(
    ("current", "target", "reached"),
    [
        (S.REPORTED, S.TRIAGE, ["acknowledged_at"]),
        (S.REPORTED, S.CONFIRMED, ["acknowledged_at", "confirmed_at"]),
        (S.CONTAINMENT, S.ERADICATION, ["contained_at"]),
        (S.CONTAINMENT, S.RECOVERY, ["contained_at"]),
        (S.RECOVERY, S.CLOSED, ["recovered_at", "closed_at"]),
        (S.CLOSED, S.REVIEWED, ["reviewed_at"]),
        (S.TRIAGE, S.FALSE_POSITIVE, []),
    ],
)
def test_transitions_reach_the_milestones_metrics_use(current: S, target: S, reached: list[str]) -> None:
    assert milestones_reached(current, target) == reached
