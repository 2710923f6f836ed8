"""The triage record of an incident (``incident_triage``): created on first need, one per incident."""

from __future__ import annotations

from ironwatch.store.tables import IncidentTriageRow
from ironwatch.store.uow import UnitOfWork


def triage_record(uow: UnitOfWork, incident_id: str, *, auto_opened: bool = False) -> IncidentTriageRow:
    """The incident's triage record, added if it has none yet (incidents opened by hand get one too)."""
    row = uow.session.get(IncidentTriageRow, incident_id)
    if row is None:
        now = uow.clock.now()
        row = IncidentTriageRow(
            incident_id=incident_id,
            auto_opened=auto_opened,
            reasons={},
            overridden=[],
            special_handling=[],
            escalation_level=0,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(row)
        uow.flush()
    return row
