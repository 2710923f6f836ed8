"""Readiness: what in the plan would fail the team during a real incident, and a 0-100 score.

The score is a weighted mean over seven checks, each scoring the share of its items that are ready::

    score = round(100 * sum(weight[c] * ratio[c] for c in checks) / sum(weight[c] for c in checks))

Each ratio is 1.0 when the check has nothing to check, except ``on_call``:

- ``staffing`` (25): per role, 1 with a member and a deputy, 0.5 with a member only, 0 with nobody.
- ``on_call`` (20): per role marked ``on_call``, the share of the horizon with someone on call;
  0 when no role is marked ``on_call``.
- ``playbooks`` (15): the share of categories without sub-types that have a playbook (own or class's).
- ``contacts`` (10): per team person and stakeholder contact, 1 with email and phone, 0.5 with one.
- ``stakeholders`` (10): the share of stakeholders with a contact that has an email or a phone.
- ``training`` (10): the share of (person, course) pairs, for people who may hold one of the course's
  audience roles (member, deputy or in a rotation) or whom the course names, whose last completion is
  still current.
- ``exercises`` (10): 1 if an exercise was held within ``training.exercise_interval``, else 0.

The ``communication`` check (``plan.communication_readiness``) lists gaps but is not weighed in the
score, so the scores of plan versions stay comparable with those computed before it existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ironwatch.core.clock import ensure_utc
from ironwatch.core.errors import ValidationError
from ironwatch.plan.communication_readiness import SecretCheck, communication_gaps
from ironwatch.plan.gaps import Gap, GapSeverity
from ironwatch.plan.models import Course, Plan
from ironwatch.plan.oncall import covered_fraction, uncovered_periods

__all__ = [
    "READINESS_FORMULA",
    "WEIGHTS",
    "CheckScore",
    "Gap",
    "GapSeverity",
    "Readiness",
    "check_readiness",
    "course_people",
    "role_holders",
]

READINESS_FORMULA = "score = round(100 * sum(weight[c] * ratio[c]) / sum(weight[c]))"
"""How the score is computed from the checks' weights and ratios (for people reading a score)."""

WEIGHTS = {
    "staffing": 25,
    "on_call": 20,
    "playbooks": 15,
    "contacts": 10,
    "stakeholders": 10,
    "training": 10,
    "exercises": 10,
}


@dataclass(frozen=True)
class CheckScore:
    """One check's share of ready items (0.0-1.0) and its weight in the score."""

    check: str
    weight: int
    ratio: float


@dataclass(frozen=True)
class Readiness:
    """The readiness score (0-100), its per-check parts and every gap found, most severe first."""

    score: int
    checks: tuple[CheckScore, ...]
    gaps: tuple[Gap, ...]

    def gaps_of(self, severity: GapSeverity) -> tuple[Gap, ...]:
        """The gaps of one severity."""
        return tuple(g for g in self.gaps if g.severity == severity)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 1.0


def _staffing(plan: Plan) -> tuple[float, list[Gap]]:
    gaps: list[Gap] = []
    ratios: list[float] = []
    for i, role in enumerate(plan.team.roles):
        path = f"team.roles[{i}]"
        if role.member is None:
            gaps.append(
                Gap(
                    "staffing",
                    GapSeverity.CRITICAL,
                    f"role {role.id!r} has nobody assigned",
                    "set the role's member to a person id",
                    path,
                )
            )
            ratios.append(0.0)
        elif not role.deputies:
            gaps.append(
                Gap(
                    "staffing",
                    GapSeverity.MEDIUM,
                    f"role {role.id!r} has no deputy",
                    "name at least one deputy for when the member is away",
                    path,
                )
            )
            ratios.append(0.5)
        else:
            ratios.append(1.0)
    return _mean(ratios), gaps


def _on_call(plan: Plan, now: datetime, horizon: timedelta) -> tuple[float, list[Gap]]:
    roles = [(i, r) for i, r in enumerate(plan.team.roles) if r.on_call]
    if not roles:
        return 0.0, [
            Gap(
                "on_call",
                GapSeverity.HIGH,
                "no role is marked on_call",
                "set on_call: true on the incident manager role and add a rotation",
                "team.roles",
            )
        ]
    gaps: list[Gap] = []
    ratios: list[float] = []
    end = now + horizon
    days = horizon.days
    for i, role in roles:
        fraction = covered_fraction(plan, role.id, now, end)
        ratios.append(fraction)
        hint = "add a rotation for the role under team.on_call.rotations, or a shift"
        if fraction == 0.0:
            gaps.append(
                Gap(
                    "on_call",
                    GapSeverity.CRITICAL,
                    f"nobody is on call for {role.id!r} in the next {days} days",
                    hint,
                    f"team.roles[{i}]",
                )
            )
        elif fraction < 1.0:
            first_start, first_end = uncovered_periods(plan, role.id, now, end)[0]
            message = (
                f"nobody is on call for {role.id!r} from {first_start.isoformat()} to {first_end.isoformat()}"
            )
            gaps.append(Gap("on_call", GapSeverity.HIGH, message, hint, f"team.roles[{i}]"))
    return _mean(ratios), gaps


def _playbooks(plan: Plan) -> tuple[float, list[Gap]]:
    scheme = plan.classification
    categories = scheme.effective_categories
    parents = {c.parent for c in categories if c.parent}
    leaves = [c for c in categories if c.id not in parents]
    gaps = [
        Gap(
            "playbooks",
            GapSeverity.HIGH if c.special_handling else GapSeverity.MEDIUM,
            f"category {c.id!r} has no playbook",
            "set a playbook id on the category or on its class",
            f"classification.categories[{c.id}]",
        )
        for c in leaves
        if scheme.playbook_for(c.id) is None
    ]
    return (1.0 - len(gaps) / len(leaves) if leaves else 1.0), gaps


def _contact_gap(who: str, email: str | None, phone: str | None, path: str) -> tuple[float, Gap | None]:
    if email and phone:
        return 1.0, None
    if email or phone:
        missing = "phone" if email else "email"
        return 0.5, Gap("contacts", GapSeverity.LOW, f"{who} has no {missing}", f"add a {missing}", path)
    return 0.0, Gap(
        "contacts",
        GapSeverity.MEDIUM,
        f"{who} has neither email nor phone",
        "add an email address and a phone number",
        path,
    )


def _contacts(plan: Plan) -> tuple[float, list[Gap]]:
    results = [
        _contact_gap(f"team member {p.id!r}", p.email, p.phone, f"team.people[{i}]")
        for i, p in enumerate(plan.team.people)
    ]
    for i, stakeholder in enumerate(plan.stakeholders):
        for j, contact in enumerate(stakeholder.contacts):
            who = f"contact {contact.name!r} of stakeholder {stakeholder.id!r}"
            results.append(
                _contact_gap(who, contact.email, contact.phone, f"stakeholders[{i}].contacts[{j}]")
            )
    return _mean([r for r, _ in results]), [g for _, g in results if g]


def _stakeholders(plan: Plan) -> tuple[float, list[Gap]]:
    gaps = [
        Gap(
            "stakeholders",
            GapSeverity.HIGH,
            f"stakeholder {s.id!r} has no contact",
            "add a contact with an email address or a phone number",
            f"stakeholders[{i}]",
        )
        for i, s in enumerate(plan.stakeholders)
        if not any(c.email or c.phone for c in s.contacts)
    ]
    return (1.0 - len(gaps) / len(plan.stakeholders) if plan.stakeholders else 1.0), gaps


def role_holders(plan: Plan, role_id: str) -> list[str]:
    """Person ids who may hold ``role_id``: member, deputies and rotation members, in that order."""
    holders: list[str] = []
    role = plan.team.role(role_id)
    if role is not None:
        holders.extend([role.member] if role.member else [])
        holders.extend(role.deputies)
    for rotation in plan.team.on_call.rotations:
        if rotation.role == role_id:
            holders.extend(rotation.people)
    return list(dict.fromkeys(holders))


def course_people(plan: Plan, course: Course) -> list[str]:
    """Person ids who must take ``course``: holders of its audience roles, then the people it names."""
    holders = [p for role in course.audience for p in role_holders(plan, role)]
    return list(dict.fromkeys([*holders, *course.people]))


def _training(plan: Plan, today: date) -> tuple[float, list[Gap]]:
    latest: dict[tuple[str, str], date] = {}
    for record in plan.training.completions:
        key = (record.person, record.course)
        if record.completed_on <= today and record.completed_on > latest.get(key, date.min):
            latest[key] = record.completed_on
    gaps: list[Gap] = []
    ratios: list[float] = []
    for i, course in enumerate(plan.training.courses):
        people = course_people(plan, course)
        for person in people:
            done = latest.get((person, course.id))
            path = f"training.courses[{i}]"
            if done is None:
                gaps.append(
                    Gap(
                        "training",
                        GapSeverity.MEDIUM,
                        f"{person!r} has never completed {course.id!r}",
                        "schedule the course and record the completion",
                        path,
                    )
                )
                ratios.append(0.0)
            elif done + course.frequency < today:
                expired = done + course.frequency
                gaps.append(
                    Gap(
                        "training",
                        GapSeverity.LOW,
                        f"{person!r} is overdue for {course.id!r} (expired {expired.isoformat()})",
                        "repeat the course and record the completion",
                        path,
                    )
                )
                ratios.append(0.0)
            else:
                ratios.append(1.0)
    return _mean(ratios), gaps


def _exercises(plan: Plan, today: date) -> tuple[float, list[Gap]]:
    held = [e.held_on for e in plan.training.exercises if e.held_on <= today]
    interval = plan.training.exercise_interval
    hint = "hold an exercise (a tabletop takes two hours) and record it under training.exercises"
    if not held:
        return 0.0, [
            Gap("exercises", GapSeverity.HIGH, "no exercise has been recorded", hint, "training.exercises")
        ]
    last = max(held)
    if last + interval < today:
        message = f"the last exercise was on {last.isoformat()}, more than {interval.days} days ago"
        return 0.0, [Gap("exercises", GapSeverity.HIGH, message, hint, "training.exercises")]
    return 1.0, []


_ORDER = {GapSeverity.CRITICAL: 0, GapSeverity.HIGH: 1, GapSeverity.MEDIUM: 2, GapSeverity.LOW: 3}


def check_readiness(
    plan: Plan, *, now: datetime, horizon_days: int = 7, secret_problem: SecretCheck | None = None
) -> Readiness:
    """Score the plan's readiness at ``now`` (timezone-aware) and list its gaps; see the module docstring.

    ``secret_problem`` says why a named secret cannot be read where notifications are sent (None when
    it can); without it, the secrets are not checked (a plan validated away from its server).
    """
    if horizon_days < 1:
        raise ValidationError(f"horizon_days is {horizon_days}", hint="look ahead at least one day")
    try:
        when = ensure_utc(now)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    today = when.date()
    results = {
        "staffing": _staffing(plan),
        "on_call": _on_call(plan, when, timedelta(days=horizon_days)),
        "playbooks": _playbooks(plan),
        "contacts": _contacts(plan),
        "stakeholders": _stakeholders(plan),
        "training": _training(plan, today),
        "exercises": _exercises(plan, today),
    }
    checks = tuple(CheckScore(name, WEIGHTS[name], ratio) for name, (ratio, _) in results.items())
    score = round(100 * sum(c.weight * c.ratio for c in checks) / sum(WEIGHTS.values()))
    found = [g for _, gaps_of_check in results.values() for g in gaps_of_check]
    found += communication_gaps(plan, secret_problem=secret_problem)
    gaps = sorted(found, key=lambda g: _ORDER[g.severity])
    return Readiness(score=score, checks=checks, gaps=tuple(gaps))
