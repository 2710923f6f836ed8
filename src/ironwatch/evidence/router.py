"""REST routes of the evidence locker: parse the request, call the evidence services, render."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Annotated, Any, BinaryIO, cast

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from ironwatch.api.deps import Permit, RuntimeDep
from ironwatch.bootstrap import Runtime
from ironwatch.core.errors import IntegrityError, ValidationError
from ironwatch.core.permissions import Permission as P
from ironwatch.core.principal import Principal
from ironwatch.evidence import schemas as s
from ironwatch.evidence import service
from ironwatch.evidence.custody import custody_log
from ironwatch.evidence.export import export_evidence
from ironwatch.evidence.verify import verify_evidence
from ironwatch.incidents.attachments import download_content_type
from ironwatch.store.blobs import CHUNK
from ironwatch.store.evidence_store import ContentMissingError
from ironwatch.store.tables import EvidenceRow, IncidentRow
from ironwatch.store.uow import UnitOfWork

router = APIRouter(tags=["evidence"])

Reader = Annotated[Principal, Depends(Permit(P.EVIDENCE_READ))]
Writer = Annotated[Principal, Depends(Permit(P.EVIDENCE_WRITE))]

MAX_FILES_PER_UPLOAD = 20
FILE_FIELD = "file"
TEXT_FIELDS = ("description", "purpose", "location")
_FORM_HINT = "send multipart/form-data with file (repeatable), purpose, description, location, tags"
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "purpose"],
                    "properties": {
                        "file": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        "purpose": {"type": "string"},
                        "description": {"type": "string"},
                        "location": {"type": "string"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                    },
                }
            }
        },
    }
}


def _detail(uow: UnitOfWork, row: EvidenceRow, incident: IncidentRow) -> s.EvidenceDetail:
    return s.EvidenceDetail(
        **s.EvidenceView.of(row, incident).model_dump(),
        custody=[s.CustodyEntryView.of(e) for e in custody_log(uow, row.id)],
    )


async def _upload_form(request: Request) -> FormData:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "multipart/form-data":
        raise ValidationError(
            f"evidence is uploaded as a form, not {media or 'without a type'}", hint=_FORM_HINT
        )
    try:
        return await request.form(max_files=MAX_FILES_PER_UPLOAD, max_fields=50)
    except HTTPException as exc:
        raise ValidationError(f"the form could not be read: {exc.detail}", hint=_FORM_HINT) from None


def _text(form: FormData, key: str) -> str:
    values = form.getlist(key)
    if len(values) > 1 or any(not isinstance(v, str) for v in values):
        raise ValidationError(f"the form field {key} must be given once, as text", hint=_FORM_HINT)
    return str(values[0]) if values else ""


def _add(rt: Runtime, principal: Principal, key: str, form: FormData) -> list[s.EvidenceView]:
    unknown = sorted(set(form.keys()) - {FILE_FIELD, "tags", *TEXT_FIELDS})
    if unknown:
        raise ValidationError(f"unknown form field {', '.join(unknown)}", hint=_FORM_HINT)
    files = [f for f in form.getlist(FILE_FIELD) if isinstance(f, UploadFile)]
    if not files or len(files) != len(form.getlist(FILE_FIELD)):
        raise ValidationError("no file given", hint=_FORM_HINT)
    tags = [t for t in form.getlist("tags") if isinstance(t, str)]
    with rt.uow(principal, write=True) as uow:
        views = []
        for upload in files:
            row = service.add_evidence(
                uow,
                key,
                upload.file,
                filename=upload.filename,
                description=_text(form, "description"),
                purpose=_text(form, "purpose"),
                location=_text(form, "location"),
                source="upload",
                content_type=upload.content_type,
                tags=tags,
            )
            views.append(s.EvidenceView.of(row, service.find_evidence(uow, row.id)[1]))
        uow.commit()
    return views


@router.post(
    "/incidents/{key}/evidence",
    status_code=201,
    response_model=list[s.EvidenceView],
    summary="Take files into the evidence locker (multipart: file, purpose, description, location, tags)",
    openapi_extra=_UPLOAD_BODY,
)
async def upload_evidence(
    key: str, request: Request, principal: Writer, rt: RuntimeDep
) -> list[s.EvidenceView]:
    form = await _upload_form(request)
    try:
        return await run_in_threadpool(_add, rt, principal, key, form)
    finally:
        await form.close()


@router.get(
    "/incidents/{key}/evidence", response_model=list[s.EvidenceView], summary="An incident's evidence"
)
def list_incident_evidence(key: str, principal: Reader, rt: RuntimeDep) -> list[s.EvidenceView]:
    with rt.uow(principal) as uow:
        return [s.EvidenceView.of(e, i) for e, i in service.list_evidence(uow, key)]


@router.get(
    "/evidence/{evidence_id}", response_model=s.EvidenceDetail, summary="One item with its custody log"
)
def show_evidence(evidence_id: str, principal: Reader, rt: RuntimeDep) -> s.EvidenceDetail:
    with rt.uow(principal) as uow:
        return _detail(uow, *service.find_evidence(uow, evidence_id))


@router.get(
    "/evidence/{evidence_id}/custody",
    response_model=list[s.CustodyEntryView],
    summary="An item's chain of custody, oldest first",
)
def evidence_custody(evidence_id: str, principal: Reader, rt: RuntimeDep) -> list[s.CustodyEntryView]:
    with rt.uow(principal) as uow:
        row, _ = service.find_evidence(uow, evidence_id)
        return [s.CustodyEntryView.of(e) for e in custody_log(uow, row.id)]


@router.post(
    "/evidence/{evidence_id}/custody",
    response_model=s.EvidenceDetail,
    summary="Record a handling: transferred (to a holder), analysed, released or destroyed",
)
def handle_evidence(
    evidence_id: str, data: s.Handling, principal: Writer, rt: RuntimeDep
) -> s.EvidenceDetail:
    with rt.uow(principal, write=True) as uow:
        row = service.handle_evidence(
            uow,
            evidence_id,
            data.action,
            purpose=data.purpose,
            holder=data.to,
            location=data.location,
            note=data.note,
        )
        detail = _detail(uow, *service.find_evidence(uow, row.id))
        uow.commit()
    return detail


@router.post(
    "/evidence/{evidence_id}/verify",
    response_model=s.VerifyView,
    summary="Re-hash the stored content and check the custody chain (recorded as 'verified')",
)
def verify(evidence_id: str, principal: Reader, rt: RuntimeDep) -> s.VerifyView:
    with rt.uow(principal, write=True) as uow:
        result = verify_evidence(uow, evidence_id)
        uow.commit()
    return result


def _stream(stack: ExitStack, source: BinaryIO) -> Iterator[bytes]:
    with stack:
        while chunk := source.read(CHUNK):
            yield chunk


@router.get(
    "/evidence/{evidence_id}/content",
    summary="Download an item's content (recorded as 'accessed' with ?purpose=)",
    response_class=StreamingResponse,
)
def download_evidence(
    evidence_id: str,
    principal: Reader,
    rt: RuntimeDep,
    purpose: Annotated[str, Query(max_length=2000, description="why the content is taken")] = "download",
) -> StreamingResponse:
    with rt.uow(principal, write=True) as uow:
        row, incident = service.record_access(uow, evidence_id, purpose=purpose)
        name = service.label(incident.ref, row.number)
        stack = ExitStack()
        try:
            source = stack.enter_context(uow.evidence_store.open(row.storage_key))
        except ContentMissingError as exc:
            raise IntegrityError(
                f"{name}: the stored content is missing ({exc.where})",
                hint=f"run `ironwatch evidence verify {name}` to record it",
            ) from None
        uow.commit()
    headers = {
        "content-disposition": f'attachment; filename="{name}.bin"',
        "x-content-sha256": row.sha256,
        "content-length": str(row.size),
    }
    return StreamingResponse(
        _stream(stack, source), media_type=download_content_type(row.content_type), headers=headers
    )


def _export(rt: Runtime, principal: Principal, key: str, purpose: str, whole_incident: bool) -> BinaryIO:
    archive = cast(BinaryIO, tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024))  # noqa: SIM115
    try:
        with rt.uow(principal, write=True) as uow:
            export_evidence(uow, key, archive, purpose=purpose, whole_incident=whole_incident)
            uow.commit()
    except BaseException:
        archive.close()
        raise
    archive.seek(0)
    return archive


def _zip_response(archive: BinaryIO, name: str) -> StreamingResponse:
    stack = ExitStack()
    stack.enter_context(archive)
    return StreamingResponse(
        _stream(stack, archive),
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{name}-evidence.zip"'},
    )


@router.post(
    "/incidents/{key}/evidence/export",
    response_class=StreamingResponse,
    summary="A zip of the incident's evidence with manifest, SHA256SUMS and custody log",
)
async def export_incident_evidence(
    key: str, data: s.ExportRequest, principal: Writer, rt: RuntimeDep
) -> StreamingResponse:
    archive = await run_in_threadpool(_export, rt, principal, key, data.purpose, True)
    return _zip_response(archive, key.strip().upper())


@router.post(
    "/evidence/{evidence_id}/export",
    response_class=StreamingResponse,
    summary="A zip of one item with manifest, SHA256SUMS and custody log",
)
async def export_one(
    evidence_id: str, data: s.ExportRequest, principal: Writer, rt: RuntimeDep
) -> StreamingResponse:
    archive = await run_in_threadpool(_export, rt, principal, evidence_id, data.purpose, False)
    return _zip_response(archive, "item")
