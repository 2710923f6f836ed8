"""The background expiry pass ``serve`` runs: indicators past their ``valid_until`` are marked expired."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ironwatch.core.principal import system_principal
from ironwatch.detect.intel import service

if TYPE_CHECKING:
    from ironwatch.bootstrap import Runtime

EXPIRY_INTERVAL_SECONDS = 300.0
EXPIRY = system_principal("intel-expiry")


def expire_tick(runtime: Runtime) -> int:
    """One expiry pass (audited when it expires anything); how many indicators it expired."""
    with runtime.uow(EXPIRY, write=True) as uow:
        expired = service.expire_past(uow)
        if expired:
            uow.commit()
    return expired
