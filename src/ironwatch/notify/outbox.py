"""Writing notifications into the outbox: recipients resolved, content rendered under TLP, rows queued.

Nothing is sent here: the rows commit with the change that caused them and the dispatcher
delivers them later. TLP decides what each audience may see: content marked above an audience's
clearance is replaced by the withheld notice, and a TLP:RED or TLP:AMBER+STRICT (or restricted)
incident never goes to an audience outside the organisation: such a row is kept with status
``withheld`` so the log shows who was deliberately not told.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ironwatch.core.ids import new_id
from ironwatch.core.tlp import above_clearance, withheld_from_outsiders, withheld_notice
from ironwatch.notify.audiences import Recipient, Unreachable, resolve
from ironwatch.notify.rendering import ACK_URL_MARK, Rendered, TemplateError, render_message
from ironwatch.plan.communication import Audience
from ironwatch.plan.models import Plan
from ironwatch.store.tables import IncidentRow, NotificationRow
from ironwatch.store.uow import UnitOfWork

WITHHELD_SUBJECT = "[withheld] notification not sent to an external audience"


@dataclass(frozen=True)
class Occasion:
    """What a message is about: what happened (``headline``), its details, who caused it."""

    trigger: str
    headline: str
    details: Mapping[str, str] = field(default_factory=dict)
    rule: str = "manual"
    message: str = ""
    sender: str = ""
    #: set on escalations: level, since, previous recipients
    escalation: Mapping[str, Any] | None = None


def _incident_view(incident: IncidentRow | None, *, withheld: bool) -> dict[str, Any]:
    if incident is None:
        return {
            "ref": "-",
            "title": "",
            "summary": "",
            "status": "",
            "priority": None,
            "severity": None,
            "category": None,
            "tlp": "clear",
            "created_at": "",
        }
    notice = withheld_notice(incident.tlp)
    return {
        "ref": incident.ref,
        "title": notice if withheld else incident.title,
        "summary": notice if withheld else incident.summary,
        "status": incident.status,
        "priority": incident.priority,
        "severity": incident.severity,
        "category": None if withheld else incident.category,
        "tlp": incident.tlp,
        "created_at": incident.created_at.strftime("%Y-%m-%d %H:%M UTC"),
    }


def exposure(incident: IncidentRow | None, audience: Audience) -> tuple[bool, bool]:
    """``(blocked, withheld)``: never send at all / send with the content replaced by a notice."""
    if incident is None:
        return False, False
    if audience.is_external and (withheld_from_outsiders(incident.tlp) or incident.restricted):
        return True, True
    restricted = incident.restricted and audience.clearance != "red"
    return False, restricted or above_clearance(incident.tlp, audience.clearance)


def queue_for_audience(
    uow: UnitOfWork,
    plan: Plan,
    audience: Audience,
    *,
    incident: IncidentRow | None,
    occasion: Occasion,
    batch: str,
    template: str | None = None,
    acknowledge_within: timedelta | None = None,
    escalation_level: int = 0,
    recipients: list[Recipient] | None = None,
) -> list[NotificationRow]:
    """Queue one notification per recipient of ``audience`` (or the given ``recipients``)."""
    channel = plan.communication.channel(audience.channel)
    if channel is None:  # the plan's own validation makes this unreachable
        return []
    now = uow.clock.now()
    missing: list[Unreachable] = []
    if recipients is None:
        recipients, missing = resolve(plan, audience, channel_kind=channel.kind, at=now)
    blocked, withheld = exposure(incident, audience)
    name = template or audience.template
    details = {} if withheld else dict(occasion.details)
    rows: list[NotificationRow] = []

    def add(recipient: str, person: str | None, rendered: Rendered, status: str, error: str | None) -> None:
        needs_ack = acknowledge_within is not None and status == "queued"
        row = NotificationRow(
            id=new_id(),
            incident_id=incident.id if incident else None,
            batch=batch,
            rule=occasion.rule,
            trigger=occasion.trigger,
            audience=audience.id,
            recipient=recipient[:320],
            person=person,
            channel=channel.id,
            channel_kind=channel.kind,
            template=name,
            tlp=incident.tlp if incident else "clear",
            withheld=withheld,
            subject=rendered.subject,
            body_text=rendered.text,
            body_html=rendered.html,
            content_sha256=rendered.sha256,
            status=status,
            attempts=0,
            next_attempt_at=now if status == "queued" else None,
            last_error=error,
            escalation_level=escalation_level,
            ack_due_at=now + acknowledge_within if needs_ack and acknowledge_within else None,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(row)
        rows.append(row)

    for recipient in recipients:
        if blocked:
            notice = withheld_notice(incident.tlp if incident else "red")
            reason = (
                f"TLP:{(incident.tlp if incident else 'red').upper()}"
                f"{' and restricted' if incident and incident.restricted else ''} content never goes to "
                f"the external audience {audience.id}"
            )
            add(
                recipient.address,
                recipient.person,
                Rendered(WITHHELD_SUBJECT, notice, None),
                "withheld",
                reason,
            )
            continue
        context = {
            "org": plan.organisation.name,
            "incident": _incident_view(incident, withheld=withheld),
            "headline": occasion.headline,
            "details": details,
            "trigger": occasion.trigger,
            "audience": {"id": audience.id, "kind": audience.kind.value, "external": audience.is_external},
            "recipient_name": recipient.name,
            "message": occasion.message,
            "sender": occasion.sender,
            "escalation": occasion.escalation,
            "withheld": withheld,
            "ack_url": ACK_URL_MARK if acknowledge_within is not None else None,
            "ack_deadline": (now + acknowledge_within).strftime("%Y-%m-%d %H:%M UTC")
            if acknowledge_within is not None
            else None,
        }
        try:
            rendered = render_message(plan.communication.templates, name, context)
        except TemplateError as exc:
            add(recipient.address, recipient.person, Rendered("(not rendered)", "", None), "failed", str(exc))
            continue
        add(recipient.address, recipient.person, rendered, "queued", None)
    for gap in missing:
        error = f"{gap.name} {gap.reason}; fix the plan's team or stakeholders"
        add(gap.person or gap.name, gap.person, Rendered("(not sent)", "", None), "failed", error)
    uow.flush()
    return rows
