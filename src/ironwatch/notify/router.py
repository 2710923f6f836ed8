"""REST routes of notifications: an incident's log, sending by hand, acknowledgements."""

from __future__ import annotations

import html
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from ironwatch.api.deps import Permit, RuntimeDep, anonymous
from ironwatch.core.errors import IronwatchError
from ironwatch.core.permissions import Permission as P
from ironwatch.core.principal import Principal
from ironwatch.notify import acks, service
from ironwatch.notify import schemas as s

router = APIRouter(tags=["notifications"])

Reader = Annotated[Principal, Depends(Permit(P.INCIDENT_READ))]
Sender = Annotated[Principal, Depends(Permit(P.NOTIFY_SEND))]
Acknowledger = Annotated[Principal, Depends(Permit(P.NOTIFICATION_ACK))]
Anonymous = Annotated[Principal, Depends(anonymous)]
Token = Annotated[str, Query(min_length=1, max_length=200, description="the token from the link")]


@router.get(
    "/incidents/{key}/notifications",
    response_model=list[s.NotificationOut],
    summary="The incident's notification log: who was told what, when, how, delivery and acknowledgement",
)
def notification_log(
    key: str, principal: Reader, rt: RuntimeDep, format: Literal["json", "csv"] = "json"
) -> Response | list[s.NotificationOut]:
    with rt.uow(principal) as uow:
        rows = service.notification_log(uow, key)
        if format == "csv":
            return Response(
                service.log_as_csv(rows),
                media_type="text/csv; charset=utf-8",
                headers={"content-disposition": f'attachment; filename="{key}-notifications.csv"'},
            )
        return [s.NotificationOut.model_validate(r) for r in rows]


@router.post(
    "/incidents/{key}/notifications",
    status_code=201,
    response_model=list[s.NotificationOut],
    summary="Notify an audience of the plan about the incident (queued; serve delivers it)",
)
def send_notification(
    key: str, data: s.NotificationSend, principal: Sender, rt: RuntimeDep
) -> list[s.NotificationOut]:
    with rt.uow(principal, write=True) as uow:
        out = [s.NotificationOut.model_validate(r) for r in service.send_notification(uow, key, data)]
        uow.commit()
    return out


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status,
    )


@router.get(
    "/notifications/ack",
    response_class=HTMLResponse,
    summary="The page an acknowledgement link opens: confirms before acknowledging (no sign-in needed)",
)
def ack_page(token: Token, principal: Anonymous, rt: RuntimeDep) -> HTMLResponse:
    # Mail scanners open links in messages, so a GET never acknowledges: the page posts the form.
    try:
        with rt.uow(principal) as uow:
            row = acks.find_by_token(uow, token)
            subject = row.subject
    except IronwatchError as exc:
        return _page("Link not valid", f"<p>{html.escape(exc.message)}</p>", exc.status)
    form = (
        f"<p>{html.escape(subject)}</p>"
        f"<form method='post' action='?token={html.escape(token, quote=True)}'>"
        "<button type='submit'>Acknowledge</button></form>"
    )
    return _page("Acknowledge this notification", form)


@router.post(
    "/notifications/ack",
    response_model=s.AckResult,
    summary="Acknowledge with the token from a notification's link (no sign-in needed; single use)",
)
def ack_by_link(
    token: Token, request: Request, principal: Anonymous, rt: RuntimeDep
) -> Response | s.AckResult:
    with rt.uow(principal, write=True) as uow:
        out = s.AckResult.model_validate(acks.acknowledge_by_token(uow, token))
        uow.commit()
    if "text/html" in request.headers.get("accept", ""):
        return _page("Acknowledged", "<p>Thank you: the notification is acknowledged.</p>")
    return out


@router.post(
    "/notifications/{notification_id}/ack",
    response_model=s.AckResult,
    summary="Acknowledge a notification as the signed-in user",
)
def ack(notification_id: str, principal: Acknowledger, rt: RuntimeDep) -> s.AckResult:
    with rt.uow(principal, write=True) as uow:
        out = s.AckResult.model_validate(acks.acknowledge(uow, notification_id))
        uow.commit()
    return out
