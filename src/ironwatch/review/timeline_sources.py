"""Where the timeline's steps come from: one function per kind of record about an incident.

A slice that keeps something about incidents adds one function here and lists it in :data:`SOURCES`
under the kind of entry it yields.
Sources read rows only; what a principal may not read (events, evidence) is left out for them.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from ironwatch.core.permissions import Permission
from ironwatch.review.timeline_entry import Entry, Source, new_entry
from ironwatch.store.tables import (
    ActionRequestRow,
    AlertRow,
    CommentRow,
    CustodyEntryRow,
    EscalationRow,
    EventRow,
    EvidenceRow,
    IncidentAttachmentRow,
    IncidentRow,
    NotificationRow,
    ObligationRow,
    ObligationSubmissionRow,
    ObservableRow,
    PlaybookRunRow,
    SlaClockRow,
    TaskRow,
    TimelineEntryRow,
    TransitionRow,
)
from ironwatch.store.uow import UnitOfWork

#: at most this many matched events per alert on the timeline (the alert says how many there were)
MAX_EVENTS_PER_ALERT = 20
MAX_TEXT = 300


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MAX_TEXT else line[: MAX_TEXT - 1] + "\u2026"


def _milestones(uow: UnitOfWork, incident: IncidentRow) -> Iterator[Entry]:
    del uow
    if incident.occurred_at:
        yield new_entry(incident.occurred_at, "milestone", "the incident occurred", object_id=incident.id)
    if incident.detected_at:
        yield new_entry(incident.detected_at, "milestone", "the incident was detected", object_id=incident.id)
    reporter = incident.reporter.get("name") or incident.created_by
    yield new_entry(incident.reported_at, "milestone", "reported", actor=reporter, object_id=incident.id)
    yield new_entry(
        incident.created_at,
        "milestone",
        f"incident {incident.ref} opened: {incident.title}",
        actor=incident.created_by,
        object_id=incident.id,
    )


def _transitions(uow: UnitOfWork, incident: IncidentRow) -> Iterator[Entry]:
    rows = uow.session.scalars(select(TransitionRow).where(TransitionRow.incident_id == incident.id))
    for t in rows:
        note = f": {_short(t.note)}" if t.note else ""
        yield new_entry(t.at, "state", f"{t.from_state} -> {t.to_state}{note}", actor=t.actor, object_id=t.id)


def _alerts(uow: UnitOfWork, incident: IncidentRow) -> list[AlertRow]:
    return list(
        uow.session.scalars(
            select(AlertRow).where(AlertRow.incident_id == incident.id).order_by(AlertRow.first_seen)
        ).all()
    )


def _alert_entries(uow: UnitOfWork, incident: IncidentRow) -> Iterator[Entry]:
    for a in _alerts(uow, incident):
        seen = f" ({a.count} times until {a.last_seen:%Y-%m-%d %H:%M})" if a.count > 1 else ""
        yield new_entry(
            a.first_seen,
            "alert",
            f"alert [{a.level}] {a.title}{seen}",
            source=f"{a.kind}:{a.rule_id}",
            techniques=a.attack_techniques,
            object_id=a.id,
        )


def _matched_events(uow: UnitOfWork, incident: IncidentRow) -> Iterator[Entry]:
    """The events the incident's alerts matched, each with its alert's ATT&CK techniques."""
    if not uow.principal.can(Permission.EVENTS_READ):
        return
    techniques: dict[str, set[str]] = {}
    for a in _alerts(uow, incident):
        for event_id in a.event_ids[:MAX_EVENTS_PER_ALERT]:
            techniques.setdefault(event_id, set()).update(a.attack_techniques)
    if not techniques:
        return
    events = uow.session.scalars(select(EventRow).where(EventRow.id.in_(list(techniques))))
    for e in events:
        where = " ".join(v for v in (e.host, e.user_name, e.source_ip) if v)
        yield new_entry(
            e.event_time,
            "event",
            _short(e.message),
            actor=where,
            source=f"{e.dataset} from {e.source}",
            techniques=techniques[e.id],
            object_id=e.id,
        )


def _manual(uow: UnitOfWork, incident: IncidentRow) -> Iterator[Entry]:
    rows = uow.session.scalars(select(TimelineEntryRow).where(TimelineEntryRow.incident_id == incident.id))
    for m in rows:
        yield new_entry(
            m.at,
            "manual",
            m.text,
            actor=m.author,
            source=m.source,
            confidence=m.confidence,
            techniques=[m.technique] if m.technique else [],
            object_id=m.id,
        )


def _tasks(uow: UnitOfWork, incident: IncidentRow) -> Iterator[Entry]:
    for t in uow.session.scalars(select(TaskRow).where(TaskRow.incident_id == incident.id)):
        owner = f" (owner {t.owner})" if t.owner else ""
        yield new_entry(
            t.created_at, "task", f"task added: {t.title}{owner}", actor=t.owner or "", object_id=t.id
        )
        if t.status in ("done", "cancelled"):
            yield new_entry(t.updated_at, "task", f"task {t.status}: {t.title}", object_id=t.id)


def _comments(uow: UnitOfWork, incident: IncidentRow) -> Iterator[Entry]:
    for c in uow.session.scalars(select(CommentRow).where(CommentRow.incident_id == incident.id)):
        yield new_entry(c.created_at, "comment", _short(c.body), actor=c.author, object_id=c.id)


def _observables(uow: UnitOfWork, incident: IncidentRow) -> Iterator[Entry]:
    for o in uow.session.scalars(select(ObservableRow).where(ObservableRow.incident_id == incident.id)):
        note = f" ({_short(o.note)})" if o.note else ""
        yield new_entry(o.created_at, "observable", f"observable {o.type} {o.value}{note}", object_id=o.id)


def _attachments(uow: UnitOfWork, incident: IncidentRow) -> Iterator[Entry]:
    rows = uow.session.scalars(
        select(IncidentAttachmentRow).where(IncidentAttachmentRow.incident_id == incident.id)
    )
    for a in rows:
        yield new_entry(
            a.uploaded_at,
            "attachment",
            f"attached {a.filename} ({a.size} bytes)",
            actor=a.uploaded_by,
            object_id=a.id,
        )


def _custody(uow: UnitOfWork, incident: IncidentRow) -> Iterator[Entry]:
    """Every handling of the incident's evidence: collected, transferred, verified, released..."""
    if not uow.principal.can(Permission.EVIDENCE_READ):
        return
    rows = uow.session.execute(
        select(CustodyEntryRow, EvidenceRow)
        .join(EvidenceRow, EvidenceRow.id == CustodyEntryRow.evidence_id)
        .where(CustodyEntryRow.incident_id == incident.id)
    )
    for entry, item in rows:
        why = f": {_short(entry.purpose)}" if entry.purpose else ""
        yield new_entry(
            entry.at,
            "evidence",
            f"evidence {incident.ref}-E{item.number} {item.filename} {entry.action}{why}",
            actor=entry.actor,
            object_id=item.id,
        )


def _notifications(uow: UnitOfWork, incident: IncidentRow) -> Iterator[Entry]:
    """Each notification when queued, sent and acknowledged (subjects only, never bodies)."""
    rows = uow.session.scalars(select(NotificationRow).where(NotificationRow.incident_id == incident.id))
    for n in rows:
        to = f"{n.audience}: {n.recipient} ({n.channel})"
        what = f"notification {n.subject!r} ({n.trigger})"
        if n.withheld:
            yield new_entry(
                n.created_at,
                "notification",
                f"{what} withheld (TLP:{n.tlp.upper()})",
                actor=to,
                object_id=n.id,
            )
            continue
        yield new_entry(n.created_at, "notification", f"{what} queued", actor=to, object_id=n.id)
        if n.sent_at:
            yield new_entry(n.sent_at, "notification", f"{what} sent", actor=to, object_id=n.id)
        if n.acknowledged_at:
            who = n.acknowledged_by or n.recipient
            yield new_entry(
                n.acknowledged_at, "notification", f"{what} acknowledged by {who}", actor=to, object_id=n.id
            )


def _obligations(uow: UnitOfWork, incident: IncidentRow) -> Iterator[Entry]:
    """Legal and contractual notification duties: when each applied, was submitted and was closed."""
    if not uow.principal.can(Permission.OBLIGATIONS_READ):
        return
    duties = uow.session.scalars(select(ObligationRow).where(ObligationRow.incident_id == incident.id))
    titles: dict[str, str] = {}
    for o in duties:
        titles[o.id] = o.title
        yield new_entry(
            o.opened_at, "obligation", f"obligation applies: {o.title}", source=o.regime, object_id=o.id
        )
        if o.closed_at:
            yield new_entry(
                o.closed_at,
                "obligation",
                f"obligation {o.status}: {o.title}",
                source=o.regime,
                object_id=o.id,
            )
    submissions = uow.session.scalars(
        select(ObligationSubmissionRow).where(ObligationSubmissionRow.incident_id == incident.id)
    )
    for sub in submissions:
        title = titles.get(sub.obligation_id, "obligation")
        yield new_entry(
            sub.submitted_at,
            "obligation",
            f"{title}: {sub.phase} submitted to {sub.submitted_to} (ref {sub.reference})",
            actor=sub.recorded_by,
            object_id=sub.id,
        )


def _sla(uow: UnitOfWork, incident: IncidentRow) -> Iterator[Entry]:
    """SLA targets missed (triage's clocks) and the escalations they and people caused."""
    clocks = uow.session.scalars(select(SlaClockRow).where(SlaClockRow.incident_id == incident.id))
    for c in clocks:
        if c.breached_at:
            text = f"SLA missed: {c.target} target of {c.priority} (due {c.due_at:%Y-%m-%d %H:%M})"
            yield new_entry(c.breached_at, "sla", text, object_id=c.id)
    escalations = uow.session.scalars(select(EscalationRow).where(EscalationRow.incident_id == incident.id))
    for e in escalations:
        who = ", ".join([*e.roles, *e.people])
        yield new_entry(
            e.at,
            "sla",
            f"escalated to level {e.level} ({who}): {_short(e.reason)}",
            actor=e.actor,
            object_id=e.id,
        )


def _actions(uow: UnitOfWork, incident: IncidentRow) -> Iterator[Entry]:
    """Playbooks started and each response action's request, decision, run and undo."""
    runs = uow.session.scalars(select(PlaybookRunRow).where(PlaybookRunRow.incident_id == incident.id))
    for run in runs:
        mode = " (dry run)" if run.dry_run else ""
        text = f"playbook {run.playbook_id} v{run.playbook_version} started{mode}"
        yield new_entry(run.started_at, "action", text, actor=run.started_by, object_id=run.id)
    actions = uow.session.scalars(select(ActionRequestRow).where(ActionRequestRow.incident_id == incident.id))
    for a in actions:
        what = f"{a.connector}: {_short(a.title)}" + (" (dry run)" if a.dry_run else "")
        yield new_entry(a.requested_at, "action", f"requested {what}", actor=a.requested_by, object_id=a.id)
        if a.decided_at and a.decided_by:
            note = f": {_short(a.decision_note)}" if a.decision_note else ""
            verdict = "rejected" if a.status == "rejected" else "approved"
            text = f"{verdict} {what}{note}"
            yield new_entry(a.decided_at, "action", text, actor=a.decided_by, object_id=a.id)
        if a.finished_at:
            summary = str(a.result.get("summary") or a.error or a.status)
            text = f"{a.status} {what}: {_short(summary)}"
            yield new_entry(a.finished_at, "action", text, object_id=a.id)
        if a.undone_at:
            text = f"undone {what}"
            yield new_entry(a.undone_at, "action", text, actor=a.undo_requested_by or "", object_id=a.id)


#: kind of entry -> the function that yields them
SOURCES: dict[str, Source] = {
    "milestone": _milestones,
    "state": _transitions,
    "alert": _alert_entries,
    "event": _matched_events,
    "manual": _manual,
    "task": _tasks,
    "comment": _comments,
    "observable": _observables,
    "attachment": _attachments,
    "evidence": _custody,
    "notification": _notifications,
    "obligation": _obligations,
    "sla": _sla,
    "action": _actions,
}
