"""The obligations engine, pure: which duties apply to the facts, their deadlines, what to ask.

No database here: the service hands in the duties in force, the incident's effective facts,
fallback times for clocks nobody has started explicitly, and the phases already submitted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ironwatch.core.breach_facts import FACTS, fact_time
from ironwatch.core.deadlines import PHASE_PREFIX, compute_deadline, describe_rule
from ironwatch.core.fact_conditions import Verdict, evaluate
from ironwatch.obligations.duties import Duty
from ironwatch.plan.assets import DataKind
from ironwatch.plan.models import Plan

PERSONAL_KINDS = frozenset({DataKind.PERSONAL, DataKind.HEALTH, DataKind.SPECIAL_CATEGORY})


@dataclass(frozen=True)
class PhaseDeadline:
    id: str
    title: str
    required: bool
    deadline: datetime | None
    rule: str | None
    submitted_at: datetime | None


@dataclass(frozen=True)
class Assessment:
    duty: Duty
    verdict: Verdict
    clock_started_at: datetime | None
    clock_assumed: bool
    phases: tuple[PhaseDeadline, ...]


@dataclass(frozen=True)
class Question:
    fact: str
    question: str
    hint: str
    duties: tuple[str, ...]
    why: str


def effective_facts(plan: Plan | None, given: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The facts the duties are judged on, and where each came from (``incident``, ``plan``, ``data types``).

    Organisation facts come from the plan unless the incident overrides them; facts the plan's
    data types imply (personal data, card data, the subjects' jurisdictions) fill gaps.
    """
    facts: dict[str, Any] = {}
    sources: dict[str, str] = {}
    if plan is not None:
        profile = plan.obligations.organisation
        country = [plan.organisation.country.upper()] if plan.organisation.country else []
        organisation: dict[str, Any] = {
            "org_jurisdictions": sorted(set(country) | set(profile.jurisdictions)),
            "org_sector": plan.organisation.sector,
            "nis2_entity": profile.nis2_entity,
            "financial_entity": profile.financial_entity,
            "hipaa_entity": profile.hipaa_entity,
            "sec_registrant": profile.sec_registrant,
            "card_brands": sorted(profile.card_brands),
        }
        for name, value in organisation.items():
            if value is not None:
                facts[name], sources[name] = value, "plan"
    for name, value in given.items():
        if value is not None:
            facts[name], sources[name] = value, "incident"
    if plan is not None and facts.get("data_types"):
        catalogue = {d.id: d for d in plan.data_types}
        chosen = [catalogue[i] for i in facts["data_types"] if i in catalogue]
        implied: dict[str, Any] = {
            "personal_data": any(d.kind in PERSONAL_KINDS for d in chosen),
            "cardholder_data": any(d.kind is DataKind.PAYMENT_CARD for d in chosen),
            "subject_jurisdictions": sorted({j for d in chosen for j in d.jurisdictions}),
        }
        for name, value in implied.items():
            if name not in facts and value:
                facts[name], sources[name] = value, "data types"
    return facts, sources


def _starts(
    facts: Mapping[str, Any], fallbacks: Mapping[str, datetime]
) -> tuple[dict[str, datetime], set[str]]:
    starts: dict[str, datetime] = {}
    assumed: set[str] = set()
    for name, spec in FACTS.items():
        if spec.kind.value != "time":
            continue
        value = fact_time(facts.get(name))
        if value is None and name in fallbacks:
            value = fallbacks[name]
            assumed.add(name)
        if value is not None:
            starts[name] = value
    return starts, assumed


def phase_deadlines(
    duty: Duty, starts: Mapping[str, datetime], submitted: Mapping[str, datetime]
) -> tuple[PhaseDeadline, ...]:
    """Each phase's deadline; a phase counting from an earlier one uses its submission, else its deadline."""
    known: dict[str, datetime] = dict(starts)
    out: list[PhaseDeadline] = []
    for phase in duty.phases:
        deadline = compute_deadline(phase.deadline.rule(), known) if phase.deadline else None
        done = submitted.get(phase.id)
        out.append(
            PhaseDeadline(
                id=phase.id,
                title=phase.title,
                required=phase.required,
                deadline=deadline,
                rule=describe_rule(phase.deadline.rule()) if phase.deadline else None,
                submitted_at=done,
            )
        )
        anchor = done or deadline
        if anchor is not None:
            known[PHASE_PREFIX + phase.id] = anchor
    return tuple(out)


def assess(
    duties: Sequence[Duty],
    facts: Mapping[str, Any],
    *,
    fallbacks: Mapping[str, datetime],
    submitted: Mapping[str, Mapping[str, datetime]],
) -> list[Assessment]:
    """Every duty judged on ``facts``; ``submitted[duty_id][phase_id]`` are the submissions so far."""
    starts, assumed = _starts(facts, fallbacks)
    results = []
    for duty in duties:
        verdict = evaluate(duty.condition, facts)
        phases = phase_deadlines(duty, starts, submitted.get(duty.id, {}))
        results.append(
            Assessment(
                duty=duty,
                verdict=verdict,
                clock_started_at=starts.get(duty.clock),
                clock_assumed=duty.clock in assumed,
                phases=phases,
            )
        )
    return results


def questions(assessments: Sequence[Assessment], facts: Mapping[str, Any]) -> list[Question]:
    """What to ask: facts that decide whether a duty applies, and clock starts nobody has given."""
    asked: dict[str, tuple[list[str], str]] = {}
    for a in assessments:
        if a.verdict.value is None:
            for fact in a.verdict.missing:
                asked.setdefault(fact, ([], "decides whether it applies"))[0].append(a.duty.id)
        elif a.verdict.value:
            needed = {a.duty.clock} | {
                s for p in a.duty.phases if p.deadline for s in p.deadline.rule().starts()
            }
            for fact in sorted(needed):
                if not fact.startswith(PHASE_PREFIX) and facts.get(fact) is None:
                    why = "starts its clock" + (
                        " (assumed from the incident until answered)" if a.clock_assumed else ""
                    )
                    asked.setdefault(fact, ([], why))[0].append(a.duty.id)
    order = list(FACTS)
    return [
        Question(
            fact=fact,
            question=FACTS[fact].question,
            hint=FACTS[fact].hint,
            duties=tuple(dict.fromkeys(duties)),
            why=why,
        )
        for fact, (duties, why) in sorted(asked.items(), key=lambda item: order.index(item[0]))
    ]
