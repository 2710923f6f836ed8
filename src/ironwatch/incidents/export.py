"""Exporting incidents (JSON and CSV) under need-to-know and TLP.

Restricted incidents the exporter may not see are not exported at all (the same query filter
as lists and counts). TLP:RED and TLP:AMBER+STRICT incidents are exported to people outside the
incident with their content withheld: reference, state and timestamps only.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select

from ironwatch.core.permissions import Permission
from ironwatch.core.tlp import withheld_from_outsiders, withheld_notice
from ironwatch.incidents import schemas as s
from ironwatch.incidents.service import list_incidents
from ironwatch.store.audit import append_event
from ironwatch.store.tables import IncidentMemberRow, IncidentRow, ObservableRow
from ironwatch.store.uow import UnitOfWork

CONTENT_FIELDS = ("title", "summary", "observations", "reporter", "affected_assets", "tags")
CSV_COLUMNS = (
    "ref",
    "status",
    "priority",
    "severity",
    "category",
    "tlp",
    "title",
    "assignee",
    "restricted",
    "occurred_at",
    "detected_at",
    "reported_at",
    "acknowledged_at",
    "contained_at",
    "closed_at",
    "observables",
)


def _inside(uow: UnitOfWork, row: IncidentRow) -> bool:
    if row.assignee == uow.principal.name:
        return True
    member = uow.session.scalar(
        select(IncidentMemberRow.id).where(
            IncidentMemberRow.incident_id == row.id, IncidentMemberRow.username == uow.principal.name
        )
    )
    return member is not None


def export_incidents(uow: UnitOfWork, flt: s.IncidentFilter) -> list[dict[str, Any]]:
    """Incidents as plain records, with content an outsider may not have withheld; the export is audited."""
    uow.principal.require(Permission.INCIDENT_EXPORT)
    _, rows = list_incidents(uow, flt)
    records: list[dict[str, Any]] = []
    withheld = 0
    for row in rows:
        record = s.IncidentOut.model_validate(row).model_dump(mode="json")
        observables = uow.session.scalars(
            select(ObservableRow).where(ObservableRow.incident_id == row.id)
        ).all()
        record["observables"] = [f"{o.type}:{o.value}" for o in observables]
        if withheld_from_outsiders(row.tlp) and not _inside(uow, row):
            withheld += 1
            notice = withheld_notice(row.tlp)
            for field in CONTENT_FIELDS:
                record[field] = notice if isinstance(record[field], str) else []
            record["reporter"] = {}
            record["observables"] = []
        records.append(record)
    append_event(
        uow.session,
        uow.session.info["audit"],
        action="incident.export",
        object_type="export",
        object_id=uow.principal.name,
        details={
            "count": len(records),
            "withheld": withheld,
            "filter": flt.model_dump(mode="json", exclude_none=True),
        },
    )
    return records


def to_csv(records: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for record in records:
        row = dict(record)
        row["observables"] = " ".join(record.get("observables", []))
        writer.writerow(row)
    return out.getvalue()
