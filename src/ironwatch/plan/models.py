"""The incident response plan: ``Plan`` is the root of a plan YAML file.

Each section lives in its own module; this module ties them together and checks the references
between sections (a course's audience names roles, an asset names data types...). Checks inside one
section run in that section's model, so a broken section does not hide problems in the others.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from ironwatch.plan.assets import Asset, AssetKind, Criticality, DataKind, DataType
from ironwatch.plan.communication import Communication, reference_problems
from ironwatch.plan.fieldtypes import PlanModel
from ironwatch.plan.inconsistency import Inconsistency, duplicates, raise_if_any, unknown_reference
from ironwatch.plan.obligations import ContractualDuty, DeadlineOverride, Obligations, OrganisationProfile
from ironwatch.plan.policy import (
    Authority,
    Definitions,
    DocumentControl,
    Organisation,
    OrganisationalStructure,
    PerformanceMeasure,
    Policy,
    Power,
    ReportingAndContact,
    ReportingChannel,
    ReportingRequirement,
    Scope,
    SpecialHandling,
)
from ironwatch.plan.priority import Level, Priority, PriorityScheme
from ironwatch.plan.settings import Assignment, Grouping, PlanSettings, SlaOptions
from ironwatch.plan.stakeholders import Contact, Engagement, Stakeholder, StakeholderKind
from ironwatch.plan.taxonomy import ENISA_CATEGORIES, Category, Classification, TagMapping
from ironwatch.plan.team import EscalationLevel, OnCall, Person, Role, RoleKind, Rotation, Shift, Team
from ironwatch.plan.training import Completion, Course, Exercise, ExerciseKind, Training

__all__ = [
    "ENISA_CATEGORIES",
    "Asset",
    "AssetKind",
    "Assignment",
    "Authority",
    "Category",
    "Classification",
    "Communication",
    "Completion",
    "Contact",
    "ContractualDuty",
    "Course",
    "Criticality",
    "DataKind",
    "DataType",
    "DeadlineOverride",
    "Definitions",
    "DocumentControl",
    "Engagement",
    "EscalationLevel",
    "Exercise",
    "ExerciseKind",
    "Grouping",
    "Level",
    "Obligations",
    "OnCall",
    "Organisation",
    "OrganisationProfile",
    "OrganisationalStructure",
    "PerformanceMeasure",
    "Person",
    "Plan",
    "PlanSettings",
    "Policy",
    "Power",
    "Priority",
    "PriorityScheme",
    "ReportingAndContact",
    "ReportingChannel",
    "ReportingRequirement",
    "Role",
    "RoleKind",
    "Rotation",
    "Scope",
    "Shift",
    "SlaOptions",
    "SpecialHandling",
    "Stakeholder",
    "StakeholderKind",
    "TagMapping",
    "Team",
    "Training",
]


class Plan(PlanModel):
    """An organisation's incident response plan: policy, team, classification, priorities and the rest."""

    organisation: Organisation
    document: DocumentControl
    policy: Policy
    team: Team
    classification: Classification = Classification()
    priority: PriorityScheme
    assets: tuple[Asset, ...] = ()
    data_types: tuple[DataType, ...] = ()
    stakeholders: tuple[Stakeholder, ...] = ()
    training: Training = Training()
    settings: PlanSettings = Field(default=PlanSettings())
    obligations: Obligations = Obligations()
    communication: Communication = Communication()

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        roles = {r.id for r in self.team.roles}
        people = {p.id for p in self.team.people}
        found = duplicates(self.assets, lambda a: a.name, at=("assets",), what="asset name")
        found += duplicates(self.data_types, lambda d: d.id, at=("data_types",), what="data type id")
        found += duplicates(self.stakeholders, lambda s: s.id, at=("stakeholders",), what="stakeholder id")
        found += self._policy_problems(roles)
        found += self._settings_problems(roles)
        found += self._obligation_problems()
        data_types = {d.id for d in self.data_types}
        for i, asset in enumerate(self.assets):
            for j, data_type in enumerate(asset.data_types):
                if data_type not in data_types:
                    found.append(
                        unknown_reference(("assets", i, "data_types", j), data_type, "data type", data_types)
                    )
        for i, course in enumerate(self.training.courses):
            for j, role in enumerate(course.audience):
                if role not in roles:
                    found.append(
                        unknown_reference(("training", "courses", i, "audience", j), role, "role", roles)
                    )
            for j, person in enumerate(course.people):
                if person not in people:
                    found.append(
                        unknown_reference(("training", "courses", i, "people", j), person, "person", people)
                    )
        for i, completion in enumerate(self.training.completions):
            if completion.person not in people:
                path = ("training", "completions", i, "person")
                found.append(unknown_reference(path, completion.person, "person", people))
        found += reference_problems(
            self.communication, roles=roles, people=people, stakeholders={s.id for s in self.stakeholders}
        )
        raise_if_any(found)
        return self

    def _settings_problems(self, roles: set[str]) -> list[Inconsistency]:
        found: list[Inconsistency] = []
        assignment = ("settings", "assignment")
        if self.settings.assignment.role not in roles:
            found.append(
                unknown_reference((*assignment, "role"), self.settings.assignment.role, "role", roles)
            )
        categories = {c.id for c in self.classification.effective_categories}
        for category, role in self.settings.assignment.by_category.items():
            if category not in categories:
                path = (*assignment, "by_category", category)
                found.append(unknown_reference(path, category, "category", categories))
            if role not in roles:
                found.append(unknown_reference((*assignment, "by_category", category), role, "role", roles))
        priorities = {p.id for p in self.priority.priorities}
        for i, priority in enumerate(self.settings.sla.business_hours_for):
            if priority not in priorities:
                at = ("settings", "sla", "business_hours_for", i)
                found.append(unknown_reference(at, priority, "priority", priorities))
        return found

    def _obligation_problems(self) -> list[Inconsistency]:
        at = ("obligations", "contractual")
        found = duplicates(self.obligations.contractual, lambda d: d.id, at=at, what="contractual duty id")
        stakeholders = {s.id for s in self.stakeholders}
        for i, duty in enumerate(self.obligations.contractual):
            if duty.recipient is not None and duty.recipient not in stakeholders:
                found.append(
                    unknown_reference((*at, i, "recipient"), duty.recipient, "stakeholder", stakeholders)
                )
        return found

    def _policy_problems(self, roles: set[str]) -> list[Inconsistency]:
        found: list[Inconsistency] = []
        structure = ("policy", "organisation")
        for i, authority in enumerate(self.policy.organisation.authorities):
            for j, role in enumerate(authority.roles):
                if role not in roles:
                    found.append(
                        unknown_reference((*structure, "authorities", i, "roles", j), role, "role", roles)
                    )
        categories = {c.id for c in self.classification.effective_categories}
        recipients = roles | {s.id for s in self.stakeholders}
        for i, requirement in enumerate(self.policy.organisation.reporting_requirements):
            at = (*structure, "reporting_requirements", i)
            if requirement.category not in categories:
                found.append(
                    unknown_reference((*at, "category"), requirement.category, "category", categories)
                )
            if requirement.report_to not in recipients:
                found.append(
                    unknown_reference(
                        (*at, "report_to"), requirement.report_to, "stakeholder or role", recipients
                    )
                )
        return found
