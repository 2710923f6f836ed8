"""Keeping the spike detector's baselines across restarts, in ``anomaly_baselines``.

A save rewrites the table in one transaction (delete, then one bulk insert): a few thousand small
rows every ``persist_seconds``, cheaper and simpler than tracking which keys changed, since every
key's baseline moves every interval.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, insert, select

from ironwatch.core.permissions import Permission
from ironwatch.store.tables import AnomalyBaselineRow
from ironwatch.store.uow import UnitOfWork

_CHUNK = 2000


def save_baselines(uow: UnitOfWork, states: dict[str, dict[str, Any]]) -> int:
    """Replace the stored baselines with ``states``; how many were written."""
    uow.principal.require(Permission.EVENTS_INGEST)
    now = uow.clock.now()
    uow.session.execute(delete(AnomalyBaselineRow))
    rows = [{"key": key[:300], "state": state, "updated_at": now} for key, state in states.items()]
    for start in range(0, len(rows), _CHUNK):
        uow.session.execute(insert(AnomalyBaselineRow), rows[start : start + _CHUNK])
    uow.flush()
    return len(rows)


def load_baselines(uow: UnitOfWork) -> dict[str, dict[str, Any]]:
    uow.principal.require(Permission.EVENTS_INGEST)
    rows = uow.session.execute(select(AnomalyBaselineRow.key, AnomalyBaselineRow.state))
    return {str(key): dict(state) for key, state in rows}


class StoredBaselines:
    """A ``BaselineStore`` in the database, e.g. ``StoredBaselines(lambda: runtime.uow(P, write=True))``."""

    def __init__(self, open_uow: Callable[[], UnitOfWork]) -> None:
        self.open_uow = open_uow

    def load(self) -> dict[str, dict[str, Any]]:
        with self.open_uow() as uow:
            return load_baselines(uow)

    def save(self, states: dict[str, dict[str, Any]]) -> None:
        with self.open_uow() as uow:
            save_baselines(uow, states)
            uow.commit()
