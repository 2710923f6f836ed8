"""Notification duties in the plan: the organisation's profile, reminders, deadline overrides, contracts.

The legal duties themselves (GDPR, NIS2, DORA, HIPAA, SEC, PCI DSS) ship with ironwatch as data
files; this section says which of them can concern the organisation (its profile), when people
are reminded, where a contract sets a shorter deadline than the default (card brands), and adds
the duties the organisation's own contracts impose (customers' data processing agreements,
insurers). Every field is optional, so a plan without the section stays valid.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, field_validator

from ironwatch.core.breach_facts import FACTS
from ironwatch.core.fact_conditions import parse_condition
from ironwatch.plan.fieldtypes import Duration, Identifier, Jurisdiction, PlanModel


class OrganisationProfile(PlanModel):
    """Facts about the organisation that decide which duties can apply to any of its incidents."""

    jurisdictions: tuple[Jurisdiction, ...] = Field(
        default=(), description="where the organisation is established, besides organisation.country"
    )
    nis2_entity: Literal["essential", "important", "none"] = Field(
        default="none", description="NIS2 Art. 3: essential or important entity, or neither"
    )
    financial_entity: bool = Field(default=False, description="a financial entity under DORA")
    hipaa_entity: bool = Field(default=False, description="a HIPAA covered entity or business associate")
    sec_registrant: bool = Field(default=False, description="files reports with the SEC (US public company)")
    card_brands: tuple[Identifier, ...] = Field(
        default=(), description="payment brands whose cards are accepted, e.g. [visa, mastercard]"
    )


class DeadlineOverride(PlanModel):
    """A shorter (or contractually agreed) deadline for one phase of a built-in duty."""

    duty: Identifier
    phase: Identifier
    within: Duration


class ContractualDuty(PlanModel):
    """A notification duty the organisation's contracts impose (a customer DPA, an insurance policy)."""

    id: Identifier
    title: str = Field(min_length=1)
    counterparty: str = Field(min_length=1, description="who the contract is with")
    citation: str = Field(min_length=1, description="contract and clause, e.g. 'MSA 2024-17, clause 12.3'")
    url: str | None = None
    applies_when: dict[str, Any] = Field(
        default_factory=lambda: {"personal_data": True},
        description="condition on the incident's facts (see docs/obligations.md)",
    )
    clock: Literal["awareness_at", "discovery_at"] = "awareness_at"
    within: Duration
    recipient: Identifier | None = Field(default=None, description="stakeholder id to notify")
    content: tuple[str, ...] = Field(default=(), description="what the notice must contain")

    @field_validator("applies_when")
    @classmethod
    def _condition_parses(cls, value: dict[str, Any]) -> dict[str, Any]:
        parse_condition(value, FACTS)
        return value


class Obligations(PlanModel):
    """The ``obligations`` section; see the module docstring."""

    organisation: OrganisationProfile = OrganisationProfile()
    reminders: tuple[Duration, ...] = Field(
        default=(timedelta(hours=24), timedelta(hours=4), timedelta(hours=1)),
        description="remind this long before each deadline",
    )
    deadlines: tuple[DeadlineOverride, ...] = ()
    contractual: tuple[ContractualDuty, ...] = ()
