"""The facts that decide which notification duties apply to an incident, and how to ask for them.

Each fact has a kind (so ``--set records=10000`` is parsed and checked the same way in the CLI and
the API) and the question a person is asked when a duty needs the fact and nobody has given it.
Organisation facts (sector, jurisdictions, SEC registrant...) come from the plan's
``obligations.organisation`` section and may be overridden per incident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from ironwatch.core.errors import ValidationError


class FactKind(StrEnum):
    BOOL = "bool"
    INT = "int"
    TIME = "time"
    LIST = "list"
    CHOICE = "choice"
    TEXT = "text"


@dataclass(frozen=True)
class FactSpec:
    name: str
    kind: FactKind
    question: str
    hint: str
    organisation: bool = False
    choices: tuple[str, ...] = ()


def _fact(name: str, kind: FactKind, question: str, hint: str, **kw: Any) -> tuple[str, FactSpec]:
    return name, FactSpec(name, kind, question, hint, **kw)


B, N, T, L, C, X = FactKind.BOOL, FactKind.INT, FactKind.TIME, FactKind.LIST, FactKind.CHOICE, FactKind.TEXT

FACTS: dict[str, FactSpec] = dict(
    [
        _fact("personal_data", B, "Were personal data involved (accessed, disclosed, altered, lost or "
              "destroyed without authorisation)?", "personal_data=yes or personal_data=no"),
        _fact("data_types", L, "Which of the plan's data types were affected?",
              "data_types=customer-personal-data,employee-data (ids from the plan's data_types)"),
        _fact("records", N, "About how many records (or people) are affected?", "records=10000"),
        _fact("subject_jurisdictions", L, "Where do the affected people live? (e.g. were personal data of "
              "EU/EEA residents involved?)", "subject_jurisdictions=EU,US-CA (ISO 3166 codes, EU, EEA)"),
        _fact("high_risk", B, "Is the breach likely to result in a high risk to the rights and freedoms of "
              "the people affected (GDPR Art. 34)?", "high_risk=yes or high_risk=no"),
        _fact("phi", B, "Was unsecured protected health information (PHI) involved (HIPAA)?",
              "phi=yes or phi=no"),
        _fact("material", B, "Has the organisation determined that the incident is material "
              "(SEC Form 8-K Item 1.05)?", "material=yes (the time and person are recorded) or material=no"),
        _fact("materiality_determined_at", T, "When was the materiality determination made?",
              "materiality_determined_at=2026-03-02T15:00:00Z"),
        _fact("materiality_determined_by", X, "Who made the materiality determination?",
              "materiality_determined_by='Audit committee'"),
        _fact("awareness_at", T, "When did the organisation become aware of the incident or breach?",
              "awareness_at=2026-03-02T09:00:00Z"),
        _fact("discovery_at", T, "When was the breach discovered (or would it have been known with "
              "reasonable diligence)?", "discovery_at=2026-03-02T09:00:00Z"),
        _fact("significant_incident", B, "Is the incident significant under NIS2 Art. 23(3) (severe "
              "operational disruption or financial loss, or considerable damage to others)?",
              "significant_incident=yes or significant_incident=no"),
        _fact("major_ict_incident", B, "Has the ICT-related incident been classified as major under DORA "
              "(Regulation (EU) 2022/2554, Art. 18)?", "major_ict_incident=yes (the time is recorded)"),
        _fact("major_classified_at", T, "When was the incident classified as major (DORA)?",
              "major_classified_at=2026-03-02T12:00:00Z"),
        _fact("cardholder_data", B, "Were payment card (cardholder) data involved?",
              "cardholder_data=yes or cardholder_data=no"),
        _fact("org_jurisdictions", L, "Where is the organisation established?",
              "set obligations.organisation.jurisdictions in the plan, or org_jurisdictions=DE,US",
              organisation=True),
        _fact("org_sector", X, "Which sector does the organisation work in?",
              "set organisation.sector in the plan", organisation=True),
        _fact("nis2_entity", C, "Is the organisation an essential or important entity under NIS2?",
              "set obligations.organisation.nis2_entity in the plan (essential, important, none)",
              organisation=True, choices=("essential", "important", "none")),
        _fact("financial_entity", B, "Is the organisation a financial entity under DORA?",
              "set obligations.organisation.financial_entity in the plan", organisation=True),
        _fact("hipaa_entity", B, "Is the organisation a HIPAA covered entity or business associate?",
              "set obligations.organisation.hipaa_entity in the plan", organisation=True),
        _fact("sec_registrant", B, "Is the organisation an SEC registrant (a US public company)?",
              "set obligations.organisation.sec_registrant in the plan", organisation=True),
        _fact("card_brands", L, "Which payment brands' cards does the organisation accept?",
              "set obligations.organisation.card_brands in the plan, e.g. [visa, mastercard]",
              organisation=True),
    ]
)  # fmt: skip
"""Every fact by name."""

_TRUE = {"yes", "y", "true", "1", "on"}
_FALSE = {"no", "n", "false", "0", "off"}
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")


def fact_spec(name: str) -> FactSpec:
    spec = FACTS.get(name)
    if spec is None:
        raise ValidationError(f"unknown fact {name!r}", hint=f"use one of: {', '.join(sorted(FACTS))}")
    return spec


def parse_fact(name: str, value: Any) -> Any:
    """A fact's value from JSON or text (``yes``, ``10000``, ``EU,DE``, ISO 8601 times); None unsets it."""
    spec = fact_spec(name)
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    try:
        return _parse(spec, value)
    except (ValueError, TypeError) as exc:
        raise ValidationError(f"{name}: {exc}", hint=f"e.g. {spec.hint}") from exc


def _parse(spec: FactSpec, value: Any) -> Any:
    if spec.kind is FactKind.BOOL:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ValueError(f"{value!r} is not yes or no")
    if spec.kind is FactKind.INT:
        if isinstance(value, bool):
            raise ValueError("give a number")
        number = int(str(value).replace("_", "").replace(",", "").strip())
        if number < 0:
            raise ValueError("a count cannot be negative")
        return number
    if spec.kind is FactKind.TIME:
        if isinstance(value, datetime):
            moment = value
        else:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError(f"{value!r} has no time zone; add one, e.g. Z or +01:00")
        return moment.astimezone(UTC).isoformat()
    if spec.kind is FactKind.LIST:
        items = value if isinstance(value, list | tuple) else str(value).split(",")
        cleaned = [str(i).strip() for i in items if str(i).strip()]
        for item in cleaned:
            if not _CODE.match(item):
                raise ValueError(f"{item!r} is not a code (letters, digits, '-', '_')")
        return sorted(set(cleaned))
    if spec.kind is FactKind.CHOICE:
        text = str(value).strip().lower()
        if text not in spec.choices:
            raise ValueError(f"{value!r} is not one of {', '.join(spec.choices)}")
        return text
    text = str(value).strip()
    if len(text) > 300:
        raise ValueError("use at most 300 characters")
    return text


def fact_time(value: Any) -> datetime | None:
    """A stored time fact (ISO text) as an aware datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)
