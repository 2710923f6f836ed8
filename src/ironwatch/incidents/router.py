"""REST routes for incidents: parse input, call a service, render output."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import FileResponse

from ironwatch.api.deps import Permit, RuntimeDep
from ironwatch.core.permissions import Permission as P
from ironwatch.core.principal import Principal
from ironwatch.incidents import attachments, service
from ironwatch.incidents import export as exporting
from ironwatch.incidents import schemas as s

router = APIRouter(prefix="/incidents", tags=["incidents"])


Reader = Annotated[Principal, Depends(Permit(P.INCIDENT_READ))]
Creator = Annotated[Principal, Depends(Permit(P.INCIDENT_CREATE))]
Updater = Annotated[Principal, Depends(Permit(P.INCIDENT_UPDATE))]
Mover = Annotated[Principal, Depends(Permit(P.INCIDENT_TRANSITION))]
Commenter = Annotated[Principal, Depends(Permit(P.INCIDENT_COMMENT))]
Tasker = Annotated[Principal, Depends(Permit(P.INCIDENT_TASK))]
Restricter = Annotated[Principal, Depends(Permit(P.INCIDENT_RESTRICT))]
Auditor = Annotated[Principal, Depends(Permit(P.AUDIT_READ))]
Exporter = Annotated[Principal, Depends(Permit(P.INCIDENT_EXPORT))]


@router.post("", status_code=201, response_model=s.IncidentOut, summary="Open an incident")
def create_incident(data: s.IncidentCreate, principal: Creator, rt: RuntimeDep) -> s.IncidentOut:
    with rt.uow(principal, write=True) as uow:
        out = s.IncidentOut.model_validate(service.create_incident(uow, data))
        uow.commit()
    return out


@router.get("", response_model=s.IncidentPage, summary="List incidents (filters and pagination)")
def list_incidents(
    principal: Reader,
    rt: RuntimeDep,
    status: Annotated[list[str] | None, Query(description="state, repeatable")] = None,
    severity: Annotated[list[s.Severity] | None, Query()] = None,
    priority: Annotated[list[s.Priority] | None, Query()] = None,
    assignee: str | None = None,
    tag: str | None = None,
    text: Annotated[str | None, Query(max_length=200)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> s.IncidentPage:
    flt = s.IncidentFilter(
        status=status,
        severity=severity,
        priority=priority,
        assignee=assignee,
        tag=tag,
        text=text,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    with rt.uow(principal) as uow:
        total, rows = service.list_incidents(uow, flt)
        items = [s.IncidentOut.model_validate(r) for r in rows]
    return s.IncidentPage(total=total, limit=limit, offset=offset, items=items)


@router.get("/export", summary="Export incidents as JSON or CSV (need-to-know and TLP applied; audited)")
def export(
    principal: Exporter,
    rt: RuntimeDep,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
    status: Annotated[list[str] | None, Query()] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> Response:
    flt = s.IncidentFilter(status=status, since=since, until=until, limit=limit)
    with rt.uow(principal, write=True) as uow:
        records = exporting.export_incidents(uow, flt)
        uow.commit()
    if format == "csv":
        return Response(
            exporting.to_csv(records),
            media_type="text/csv",
            headers={"content-disposition": 'attachment; filename="incidents.csv"'},
        )
    return Response(orjson.dumps(records), media_type="application/json")


@router.get("/{key}", response_model=s.IncidentDetail, summary="One incident with its history")
def get_incident(key: str, principal: Reader, rt: RuntimeDep) -> s.IncidentDetail:
    with rt.uow(principal) as uow:
        return service.incident_detail(uow, key)


@router.patch("/{key}", response_model=s.IncidentOut, summary="Change fields of an incident")
def update_incident(key: str, data: s.IncidentUpdate, principal: Updater, rt: RuntimeDep) -> s.IncidentOut:
    with rt.uow(principal, write=True) as uow:
        out = s.IncidentOut.model_validate(service.update_incident(uow, key, data))
        uow.commit()
    return out


@router.post("/{key}/transition", response_model=s.IncidentOut, summary="Move an incident to another state")
def transition_incident(
    key: str, data: s.TransitionRequest, principal: Mover, rt: RuntimeDep
) -> s.IncidentOut:
    with rt.uow(principal, write=True) as uow:
        out = s.IncidentOut.model_validate(service.transition_incident(uow, key, data.to, data.note))
        uow.commit()
    return out


@router.post(
    "/{key}/comments", status_code=201, response_model=s.CommentOut, summary="Comment on an incident"
)
def add_comment(key: str, data: s.CommentCreate, principal: Commenter, rt: RuntimeDep) -> s.CommentOut:
    with rt.uow(principal, write=True) as uow:
        out = s.CommentOut.model_validate(service.add_comment(uow, key, data))
        uow.commit()
    return out


@router.post("/{key}/tasks", status_code=201, response_model=s.TaskOut, summary="Add a task")
def add_task(key: str, data: s.TaskCreate, principal: Tasker, rt: RuntimeDep) -> s.TaskOut:
    with rt.uow(principal, write=True) as uow:
        out = s.TaskOut.model_validate(service.add_task(uow, key, data))
        uow.commit()
    return out


@router.patch("/{key}/tasks/{task_id}", response_model=s.TaskOut, summary="Update a task")
def update_task(key: str, task_id: str, data: s.TaskUpdate, principal: Tasker, rt: RuntimeDep) -> s.TaskOut:
    with rt.uow(principal, write=True) as uow:
        out = s.TaskOut.model_validate(service.update_task(uow, key, task_id, data))
        uow.commit()
    return out


@router.post(
    "/{key}/observables", response_model=s.ObservableOut, summary="Attach an observable (deduplicated)"
)
def add_observable(
    key: str, data: s.ObservableCreate, principal: Tasker, rt: RuntimeDep, response: Response
) -> s.ObservableOut:
    with rt.uow(principal, write=True) as uow:
        row, created = service.add_observable(uow, key, data)
        out = s.ObservableOut.model_validate(row)
        uow.commit()
    response.status_code = 201 if created else 200
    return out


@router.post("/{key}/members", status_code=201, summary="Name a member of a (restricted) incident")
def add_member(key: str, data: s.MemberAdd, principal: Restricter, rt: RuntimeDep) -> dict[str, str]:
    with rt.uow(principal, write=True) as uow:
        row = service.add_member(uow, key, data)
        uow.commit()
    return {"username": row.username}


@router.get("/{key}/audit", response_model=list[s.AuditEntryOut], summary="The incident's audit trail")
def incident_audit(key: str, principal: Auditor, rt: RuntimeDep) -> list[s.AuditEntryOut]:
    with rt.uow(principal) as uow:
        return [s.AuditEntryOut.model_validate(e) for e in service.incident_audit(uow, key)]


@router.get(
    "/{key}/attachments", response_model=list[s.AttachmentOut], summary="The files attached to an incident"
)
def list_attachments(key: str, principal: Reader, rt: RuntimeDep) -> list[s.AttachmentOut]:
    with rt.uow(principal) as uow:
        return [s.AttachmentOut.model_validate(a) for a in attachments.list_attachments(uow, key)]


@router.get(
    "/{key}/attachments/{attachment_id}",
    response_class=FileResponse,
    summary="Download an attachment (always as a download, never shown inline)",
)
def download_attachment(key: str, attachment_id: str, principal: Reader, rt: RuntimeDep) -> FileResponse:
    with rt.uow(principal) as uow:
        row, path = attachments.attachment_file(uow, key, attachment_id, rt.attachments)
    return FileResponse(
        path,
        media_type=attachments.download_content_type(row.content_type),
        headers={
            "Content-Disposition": content_disposition(row.filename),
            "X-Content-Type-Options": "nosniff",
            "X-Content-SHA256": row.sha256,
        },
    )


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact name in UTF-8 (RFC 6266, RFC 8187)."""
    fallback = "".join(ch if ch.isascii() and (ch.isalnum() or ch in " ._-()") else "_" for ch in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
