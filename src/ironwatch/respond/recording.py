"""Recording what an action produced on its incident: observables, a comment, evidence, reports.

Runs in the runner's transaction, as the runner's system principal, through the other slices'
services, so each addition is audited like one made by a person. An observable that does not
normalise is skipped and noted; it does not undo the action's record.
"""

from __future__ import annotations

import logging
from typing import Any

from ironwatch.core.errors import IronwatchError
from ironwatch.evidence import service as evidence
from ironwatch.incidents import schemas as incident_schemas
from ironwatch.incidents import service as incidents
from ironwatch.notify import service as notifications
from ironwatch.notify.schemas import NotificationSend
from ironwatch.respond.connectors.base import ActionOutcome, EvidenceFile, ReportRequest
from ironwatch.store.uow import UnitOfWork

log = logging.getLogger("ironwatch.respond")
MAX_OBSERVABLES = 500


def record_outcome(
    uow: UnitOfWork, ref: str, action_id: str, connector: str, outcome: ActionOutcome
) -> dict[str, Any]:
    """Add what ``outcome`` found to incident ``ref``; returns what was recorded, for the action's result."""
    recorded: dict[str, Any] = {}
    added, skipped = 0, []
    for found in outcome.observables[:MAX_OBSERVABLES]:
        try:
            _, created = incidents.add_observable(
                uow,
                ref,
                incident_schemas.ObservableCreate(
                    type=found.type, value=found.value, note=found.note[:10_000]
                ),
            )
            added += created
        except IronwatchError as exc:
            skipped.append(f"{found.type} {found.value}: {exc.message}")
    if outcome.observables:
        recorded["observables_added"] = added
        if skipped:
            recorded["observables_skipped"] = skipped[:20]
    if outcome.comment:
        body = f"{outcome.comment}\n\n(recorded by action {action_id}, {connector})"
        recorded["comment_id"] = incidents.add_comment(uow, ref, incident_schemas.CommentCreate(body=body)).id
    if outcome.evidence:
        recorded["evidence"] = [
            register_evidence(uow, ref, item, action_id, connector) for item in outcome.evidence
        ]
    if outcome.reports:
        recorded["notifications"] = [send_report(uow, ref, report) for report in outcome.reports]
    return recorded


def register_evidence(
    uow: UnitOfWork, ref: str, item: EvidenceFile, action_id: str, connector: str
) -> dict[str, Any]:
    """Put a file an action produced into the evidence locker (hashed, first custody entry "collected")."""
    row = evidence.register_file(
        uow,
        ref,
        item.path,
        filename=item.filename,
        description=item.description,
        purpose=f"response action {connector} ({action_id})",
        location="evidence store",
        source=f"action:{connector}"[:100],
    )
    return {
        "evidence_id": row.id,
        "label": evidence.label(ref, row.number),
        "sha256": row.sha256,
        "size": row.size,
    }


def send_report(uow: UnitOfWork, ref: str, report: ReportRequest) -> list[str]:
    """Queue an incident report to an audience through the notification service (delivered by notify)."""
    data = NotificationSend(audience=report.audience, template=report.template, message=report.message)
    return [row.id for row in notifications.send_notification(uow, ref, data)]
