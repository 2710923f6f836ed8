"""Stakeholders and partners the team communicates with, and how closely."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from ironwatch.plan.fieldtypes import Duration, Email, Identifier, Phone, PlanModel


class StakeholderKind(StrEnum):
    """Who a stakeholder is to the organisation."""

    LEGAL_COUNSEL = "legal_counsel"
    PUBLIC_RELATIONS = "public_relations"
    LAW_ENFORCEMENT = "law_enforcement"
    NATIONAL_CSIRT = "national_csirt"
    REGULATOR = "regulator"
    DATA_PROTECTION_AUTHORITY = "data_protection_authority"
    INSURER = "insurer"
    VENDOR = "vendor"
    CUSTOMER = "customer"
    MANAGEMENT = "management"
    STAFF = "staff"
    OTHER = "other"


class Engagement(StrEnum):
    """How closely a stakeholder is engaged during an incident, from least to most."""

    INFORM = "inform"  # told what happened, no input expected
    CONSULT = "consult"  # asked for advice or a decision
    INVOLVE = "involve"  # takes part in the response
    COLLABORATE = "collaborate"  # a partner in the response (e.g. retained IR firm)


class Contact(PlanModel):
    """A way to reach someone at a stakeholder."""

    name: str = Field(min_length=1)
    title: str | None = None
    email: Email | None = None
    phone: Phone | None = None
    hours: str | None = Field(default=None, description="when reachable, e.g. 24/7 or Mon-Fri 9-17 CET")


class Stakeholder(PlanModel):
    """A party outside the response team: who, when to engage them, and how."""

    id: Identifier
    name: str = Field(min_length=1)
    kind: StakeholderKind
    engagement: Engagement
    when: str = Field(min_length=1, description="the circumstances in which they are engaged")
    notify_within: Duration | None = Field(default=None, description="deadline once the circumstances apply")
    contacts: tuple[Contact, ...] = ()
    reference: str | None = Field(default=None, description="contract, policy or customer number to quote")
