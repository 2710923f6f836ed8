"""The incident response policy: the components NIST SP 800-61 (section 2.3.1) asks a policy to state."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from pydantic import Field

from ironwatch.plan.fieldtypes import Duration, Email, Identifier, Phone, PlanModel


class Organisation(PlanModel):
    """Who the plan belongs to."""

    name: str = Field(min_length=1, description="legal or trading name of the organisation")
    sector: str | None = Field(default=None, description="e.g. healthcare, retail, public administration")
    country: str | None = Field(default=None, description="ISO 3166 code of the main establishment, e.g. DE")


class DocumentControl(PlanModel):
    """Version and approval of the plan document itself."""

    version: str = Field(min_length=1, description="the plan's own version, e.g. 1.0")
    owner: str = Field(min_length=1, description="who maintains the plan (a person or function)")
    approved_by: str | None = Field(default=None, description="who approved this version")
    approved_on: date | None = None
    review_interval: Duration = Field(
        default=timedelta(days=365), description="how often the plan is reviewed"
    )


class Scope(PlanModel):
    """To whom and what the policy applies, and under what circumstances."""

    applies_to: tuple[str, ...] = Field(min_length=1, description="people, units and systems covered")
    circumstances: tuple[str, ...] = Field(min_length=1, description="when the policy applies")
    exclusions: tuple[str, ...] = Field(default=(), description="what is explicitly out of scope")


class SpecialHandling(PlanModel):
    """A kind of incident that needs special handling, and what that means in practice."""

    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    consequences: str = Field(min_length=1, description="what changes: who is involved, what is restricted")


class Definitions(PlanModel):
    """What the organisation means by event, incident and incidents requiring special handling."""

    security_event: str = Field(min_length=1)
    security_incident: str = Field(min_length=1)
    special_handling: tuple[SpecialHandling, ...] = ()


class Power(StrEnum):
    """Powers the policy grants to roles during an incident."""

    CONFISCATE_EQUIPMENT = "confiscate_equipment"
    DISCONNECT_EQUIPMENT = "disconnect_equipment"
    MONITOR_SUSPICIOUS_ACTIVITY = "monitor_suspicious_activity"
    DECLARE_INCIDENT = "declare_incident"
    ENGAGE_EXTERNAL_PARTIES = "engage_external_parties"
    NOTIFY_AUTHORITIES = "notify_authorities"
    COMMUNICATE_PUBLICLY = "communicate_publicly"
    APPROVE_SPENDING = "approve_spending"


class Authority(PlanModel):
    """A level of authority: which roles hold a power and under what conditions."""

    power: Power
    roles: tuple[Identifier, ...] = Field(min_length=1, description="role ids that hold the power")
    conditions: str | None = Field(default=None, description="limits, e.g. 'with the sponsor's consent'")


class ReportingRequirement(PlanModel):
    """A requirement to report certain incident types to someone within a time."""

    category: Identifier = Field(description="classification category id the requirement applies to")
    report_to: Identifier = Field(description="stakeholder id or role id that must be told")
    within: Duration
    description: str | None = None


class OrganisationalStructure(PlanModel):
    """How incident response is organised, the authorities granted and the reporting duties."""

    model: str = Field(min_length=1, description="e.g. central team, distributed, partially outsourced")
    description: str | None = None
    authorities: tuple[Authority, ...] = ()
    reporting_requirements: tuple[ReportingRequirement, ...] = ()


class PerformanceMeasure(PlanModel):
    """How the capability's performance is measured."""

    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    target: str | None = Field(default=None, description="e.g. '95% of P1 incidents acknowledged within 15m'")


class ReportingChannel(PlanModel):
    """A way for anyone to report a suspected incident."""

    kind: str = Field(min_length=1, description="e.g. email, phone, web form, chat")
    address: str = Field(min_length=1)
    available: str = Field(default="24/7", description="when the channel is answered")


class ReportingAndContact(PlanModel):
    """Reporting and contact resources for staff and outsiders."""

    how_to_report: str = Field(min_length=1)
    channels: tuple[ReportingChannel, ...] = Field(min_length=1)
    security_email: Email | None = None
    security_phone: Phone | None = None


class Policy(PlanModel):
    """The policy components; each becomes a section of the rendered policy document."""

    management_commitment: str = Field(min_length=1, description="statement of management commitment")
    purpose: str = Field(min_length=1)
    objectives: tuple[str, ...] = Field(min_length=1)
    scope: Scope
    definitions: Definitions
    organisation: OrganisationalStructure
    performance_measures: tuple[PerformanceMeasure, ...] = Field(min_length=1)
    reporting: ReportingAndContact
