"""Plans with response actions configured, applied through the real plan service."""

from __future__ import annotations

from typing import Any

import yaml

from ironwatch.bootstrap import Runtime
from ironwatch.core.principal import system_principal
from ironwatch.incidents import schemas as incident_schemas
from ironwatch.incidents import service as incidents
from ironwatch.plan import service as plans
from ironwatch.plan.starter import init_plan_text


def apply_plan_with_actions(runtime: Runtime, *, enabled: bool = True, **actions: Any) -> None:
    """Apply the starter plan with ``settings.actions_enabled`` and ``settings.actions`` replaced."""
    data = yaml.safe_load(init_plan_text("Test Org"))
    data["settings"]["actions_enabled"] = enabled
    data["settings"]["actions"] = {**data["settings"]["actions"], **actions}
    with runtime.uow(system_principal("test"), write=True) as uow:
        plans.apply_plan(uow, yaml.safe_dump(data, sort_keys=False), source="test plan")
        uow.commit()


def open_incident(
    runtime: Runtime, *, category: str = "infected-system", observables: dict[str, list[str]] | None = None
) -> str:
    """A confirmed-looking incident with observables; returns its reference."""
    with runtime.uow(system_principal("test"), write=True) as uow:
        row = incidents.create_incident(
            uow,
            incident_schemas.IncidentCreate.model_validate(
                {"title": "Sample incident", "category": category, "severity": "high"}
            ),
        )
        for kind, values in (observables or {}).items():
            for value in values:
                incidents.add_observable(
                    uow, row.ref, incident_schemas.ObservableCreate(type=kind, value=value)
                )
        ref = row.ref
        uow.commit()
    return ref
