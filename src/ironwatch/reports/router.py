"""REST routes of the reporting intake: parse the request, call the reports service, render."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from ironwatch.api.deps import Permit, PermitOrLookupToken, RuntimeDep, anonymous
from ironwatch.bootstrap import Runtime
from ironwatch.core.permissions import Permission as P
from ironwatch.core.principal import Principal
from ironwatch.reports import schemas as s
from ironwatch.reports import service
from ironwatch.reports.form import submission_from
from ironwatch.reports.intake import AttachmentLimits, IncomingFile
from ironwatch.reports.public import PublicIntake, check_public_intake

router = APIRouter(prefix="/reports", tags=["reports"])

Submitter = Annotated[Principal, Depends(Permit(P.REPORT_SUBMIT))]
OwnReader = Annotated[Principal, Depends(Permit(P.REPORT_READ_OWN))]
OwnReaderOrToken = Annotated[Principal, Depends(PermitOrLookupToken(P.REPORT_READ_OWN))]
Anonymous = Annotated[Principal, Depends(anonymous)]

#: the request body documented in OpenAPI: the same report as JSON or as a form with files
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": s.ReportSubmission.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["title", "description"],
                    "properties": {
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "kind": {"type": "string", "enum": [k.value for k in s.ReportKind]},
                        "occurred_at": {"type": "string", "format": "date-time"},
                        "location": {"type": "string"},
                        "systems": {"type": "array", "items": {"type": "string"}},
                        "reporter_name": {"type": "string"},
                        "reporter_email": {"type": "string", "format": "email"},
                        "reporter_phone": {"type": "string"},
                        "reporter_unit": {"type": "string"},
                        "attachments": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                }
            },
        },
    }
}


def _submit(
    rt: Runtime,
    principal: Principal,
    data: s.ReportSubmission,
    files: Sequence[IncomingFile],
    public: PublicIntake | None,
) -> s.ReportReceipt:
    limits = AttachmentLimits.from_settings(rt.settings)
    with rt.uow(principal, write=True) as uow:
        if public is None:
            receipt = service.submit_report(uow, data, files=files, blobs=rt.attachments, limits=limits)
        else:
            receipt = service.submit_public_report(
                uow, data, files=files, blobs=rt.attachments, limits=limits, intake=public
            )
        uow.commit()
    return receipt


@router.post(
    "",
    status_code=201,
    response_model=s.ReportReceipt,
    summary="Report a suspected incident, failure or weakness (JSON, or a form with attachments)",
    openapi_extra=_BODY,
)
async def submit_report(request: Request, principal: Submitter, rt: RuntimeDep) -> s.ReportReceipt:
    async with submission_from(request, AttachmentLimits.from_settings(rt.settings)) as (data, files):
        return await run_in_threadpool(_submit, rt, principal, data, files, None)


def _check_public(rt: Runtime, principal: Principal, intake: PublicIntake) -> None:
    with rt.uow(principal) as uow:
        check_public_intake(uow, intake)


@router.post(
    "/public",
    status_code=201,
    response_model=s.ReportReceipt,
    summary="Report without signing in (only when enabled; rate limited per address)",
    openapi_extra=_BODY,
)
async def submit_public_report(request: Request, principal: Anonymous, rt: RuntimeDep) -> s.ReportReceipt:
    intake = PublicIntake.from_settings(rt.settings)
    # switched off or over the rate: answer before reading (and spooling) the body
    await run_in_threadpool(_check_public, rt, principal, intake)
    async with submission_from(request, AttachmentLimits.from_settings(rt.settings)) as (data, files):
        return await run_in_threadpool(_submit, rt, principal, data, files, intake)


@router.get("", response_model=list[s.ReportSummary], summary="Your own reports, newest first")
def list_own_reports(principal: OwnReader, rt: RuntimeDep) -> list[s.ReportSummary]:
    with rt.uow(principal) as uow:
        return service.list_own_reports(uow)


@router.get(
    "/{reference}",
    response_model=s.ReportView,
    summary="One of your reports, or any report with its lookup token (?token=, no sign-in needed)",
)
def get_report(
    reference: str,
    principal: OwnReaderOrToken,
    rt: RuntimeDep,
    token: Annotated[
        str | None, Query(max_length=200, description="the lookup token given when the report was filed")
    ] = None,
) -> s.ReportView:
    with rt.uow(principal) as uow:
        if token is not None:
            return service.report_by_token(uow, reference, token)
        return service.own_report(uow, reference)
