"""``ironwatch notify ...``: the notification log, sending by hand, acknowledging, testing channels."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ironwatch.cli.context import console, emit_json, err_console, handle_errors, state, table, uow, when
from ironwatch.notify import acks, service
from ironwatch.notify import schemas as s
from ironwatch.notify.dispatch import deliver_due
from ironwatch.notify.escalation import escalate_due

app = typer.Typer(
    help="Notifications: the log per incident, sending by hand, acknowledging, testing channels.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


@app.command("log")
@handle_errors
def log(
    ref: Annotated[str, typer.Argument(help="incident reference, e.g. IR-2026-0001")],
    json: JsonOpt = False,
    csv: Annotated[
        bool, typer.Option("--csv", help="print CSV (for the incident file or an auditor)")
    ] = False,
) -> None:
    """Who was told what (content SHA-256), when, over which channel, delivery and acknowledgement.

    Example: ironwatch notify log IR-2026-0001 --csv > notifications.csv
    """
    with uow() as unit:
        rows = service.notification_log(unit, ref)
        items = [s.NotificationOut.model_validate(r) for r in rows]
        text = service.log_as_csv(rows) if csv else ""
    if csv:
        sys.stdout.write(text)
        return
    if json:
        emit_json(items)
        return
    table(
        f"Notifications for {ref.upper()} ({len(items)}); content hashes: --json or --csv",
        ["Id", "Created", "Rule", "To", "Via", "Status", "Tries", "Acknowledged"],
        [
            [
                i.id,
                when(i.created_at),
                i.rule + (f" L{i.escalation_level}" if i.escalation_level else ""),
                f"{i.audience}: {i.recipient}",
                i.channel,
                i.status + (f" ({i.last_error})" if i.last_error and i.status != "sent" else ""),
                i.attempts,
                f"{when(i.acknowledged_at)} {i.acknowledged_by or ''}".strip()
                or (f"due {when(i.ack_due_at)}" if i.ack_due_at else ""),
            ]
            for i in items
        ],
    )


@app.command("send")
@handle_errors
def send(
    ref: Annotated[str, typer.Argument(help="incident reference")],
    audience: Annotated[str, typer.Option(help="an audience id of the plan's communication section")],
    template: Annotated[
        str | None, typer.Option(help="technical, executive, external or a plan template")
    ] = None,
    message: Annotated[str, typer.Option(help="a note to add to the message")] = "",
    acknowledge_within: Annotated[
        str | None, typer.Option(help="e.g. 30m: escalate to the team's next level if unanswered")
    ] = None,
    deliver: Annotated[
        bool, typer.Option(help="deliver at once from here instead of leaving it to serve")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Notify an audience about an incident by hand (needs notify:send).

    Example: ironwatch notify send IR-2026-0001 --audience management --message "Call at 10:00"
    """
    data = s.NotificationSend.model_validate(
        {
            "audience": audience,
            "template": template,
            "message": message,
            "acknowledge_within": acknowledge_within,
        }
    )
    with uow(write=True) as unit:
        items = [s.NotificationOut.model_validate(r) for r in service.send_notification(unit, ref, data)]
        unit.commit()
    if deliver:
        deliver_due(state.runtime)
    if json:
        emit_json(items)
        return
    for item in items:
        console.print(f"{item.status}: {item.recipient} over {item.channel} ({item.id})", highlight=False)
    if not deliver:
        console.print("serve delivers queued notifications; see `ironwatch notify log` for the outcome")


@app.command("ack")
@handle_errors
def ack(
    token_or_id: Annotated[
        str, typer.Argument(help="the token from the link (iwa_...) or a notification id")
    ],
    json: JsonOpt = False,
) -> None:
    """Acknowledge a notification, which stops its escalation. Example: ironwatch notify ack iwa_3kq..."""
    with uow(write=True) as unit:
        out = s.AckResult.model_validate(acks.acknowledge_any(unit, token_or_id))
        unit.commit()
    if json:
        emit_json(out)
    else:
        console.print(f"acknowledged {out.id} as {out.acknowledged_by}", highlight=False)


@app.command("test")
@handle_errors
def test(
    channel: Annotated[str, typer.Argument(help="a channel id of the plan's communication section")],
    to: Annotated[str | None, typer.Option(help="address for an e-mail channel")] = None,
    json: JsonOpt = False,
) -> None:
    """Send a test message over a channel now (needs notify:send).

    Example: ironwatch notify test email --to me@example.org
    """
    with uow(write=True) as unit:
        result = service.test_channel(unit, channel, to=to)
        unit.commit()
    if json:
        emit_json(result)
    elif result.delivered:
        console.print(f"sent a test message over {result.channel} to {result.recipient}", highlight=False)
    else:
        err_console.print(f"[bold red]error:[/] {result.error}", highlight=False, markup=True)
    if not result.delivered:
        raise typer.Exit(10)


@app.command("deliver")
@handle_errors
def deliver(json: JsonOpt = False) -> None:
    """Run the dispatcher and the escalation check once (serve does this continuously)."""
    sent = deliver_due(state.runtime)
    escalated = escalate_due(state.runtime)
    if json:
        emit_json({"handled": sent, "escalated": escalated})
    else:
        console.print(f"handled {sent} queued notification(s); escalated {escalated} batch(es)")
