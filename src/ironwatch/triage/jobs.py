"""Triage's background work in ``serve``: the SLA clock scheduler."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ironwatch.core.errors import NotFoundError
from ironwatch.core.principal import system_principal
from ironwatch.plan import service as plans
from ironwatch.triage.sla import Breach, check_breaches

if TYPE_CHECKING:
    from ironwatch.bootstrap import Runtime

log = logging.getLogger("ironwatch.triage")
#: how often ``serve`` looks for missed targets; P1's shortest target is minutes, so well below that
SLA_CHECK_SECONDS = 30.0


def sla_tick(runtime: Runtime) -> list[Breach]:
    """Detect SLA breaches now, record them, publish them and escalate; one transaction."""
    with runtime.uow(system_principal("sla"), write=True) as uow:
        try:
            plan = plans.current_plan(uow)
        except NotFoundError:
            return []
        breaches = check_breaches(uow, plan)
        uow.commit()
    for breach in breaches:
        log.warning(
            "%s missed its %s target (%s, due %s)", breach.ref, breach.target, breach.priority, breach.due
        )
    return breaches
