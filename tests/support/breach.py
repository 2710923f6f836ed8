"""Plans with an organisation profile, incidents and breach facts, through the real services."""

from __future__ import annotations

from typing import Any

from ironwatch.bootstrap import Runtime
from ironwatch.core.principal import system_principal
from ironwatch.incidents import schemas as s
from ironwatch.incidents import service as incidents
from ironwatch.obligations import service as obligations
from ironwatch.plan import service as plans
from ironwatch.plan.starter import init_plan_text

ADMIN = system_principal("test")


def plan_text(**profile: Any) -> str:
    """The starter plan with ``obligations.organisation`` fields replaced (e.g. ``sec_registrant=True``)."""
    text = init_plan_text("Test Org")
    head, marker, section = text.partition("\nobligations:\n")
    defaults = {
        "jurisdictions": "[GB]",
        "nis2_entity": "none",
        "financial_entity": "false",
        "hipaa_entity": "false",
        "sec_registrant": "false",
        "card_brands": "[]",
    }
    for key, value in profile.items():
        rendered = str(value).lower() if isinstance(value, bool) else value
        if isinstance(value, list):
            rendered = "[" + ", ".join(value) + "]"
        old = f"    {key}: {defaults[key]}"
        assert old in section, old
        section = section.replace(old, f"    {key}: {rendered}", 1)
    return head + marker + section


def apply_plan(runtime: Runtime, **profile: Any) -> None:
    with runtime.uow(ADMIN, write=True) as uow:
        plans.apply_plan(uow, plan_text(**profile), source="test", note="test plan")
        uow.commit()


def open_incident(runtime: Runtime, title: str = "Customer database copied", **fields: Any) -> str:
    with runtime.uow(ADMIN, write=True) as uow:
        row = incidents.create_incident(uow, s.IncidentCreate.model_validate({"title": title, **fields}))
        uow.commit()
        return row.ref


def set_facts(runtime: Runtime, ref: str, **facts: Any) -> None:
    with runtime.uow(ADMIN, write=True) as uow:
        obligations.set_facts(uow, ref, facts)
        uow.commit()


def by_duty(runtime: Runtime, ref: str) -> dict[str, Any]:
    with runtime.uow(ADMIN) as uow:
        _, rows = obligations.incident_obligations(uow, ref)
        return {row.duty_id: row for row in rows}
