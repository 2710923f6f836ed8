"""One step of an incident's timeline, and the shape of a source of steps."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from ironwatch.review.schemas import TimelineEntryOut
from ironwatch.store.tables import IncidentRow
from ironwatch.store.uow import UnitOfWork

Entry = TimelineEntryOut
#: a source of timeline steps: reads what its slice keeps about the incident
Source = Callable[[UnitOfWork, IncidentRow], Iterable[Entry]]


def new_entry(
    at: datetime,
    kind: str,
    text: str,
    *,
    actor: str = "",
    source: str = "",
    confidence: str = "recorded",
    techniques: Iterable[str] = (),
    object_id: str = "",
) -> Entry:
    return Entry(
        at=at,
        kind=kind,
        text=text,
        actor=actor,
        source=source,
        confidence=confidence,
        techniques=sorted(set(techniques)),
        object_id=object_id,
    )
