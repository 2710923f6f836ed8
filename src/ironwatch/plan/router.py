"""REST routes for the incident response plan: parse input, call a service, render output."""

from __future__ import annotations

from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from ironwatch.api.deps import Permit, RuntimeDep
from ironwatch.core.errors import UnsupportedMediaTypeError, ValidationError
from ironwatch.core.permissions import Permission as P
from ironwatch.core.principal import Principal
from ironwatch.plan import schemas as s
from ironwatch.plan import service

router = APIRouter(prefix="/plan", tags=["plan"])
Reader = Annotated[Principal, Depends(Permit(P.PLAN_READ))]
Writer = Annotated[Principal, Depends(Permit(P.PLAN_WRITE))]

YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


def _version_out(info: service.VersionInfo) -> s.VersionOut:
    return s.VersionOut.model_validate(info)


async def plan_submission(request: Request) -> s.PlanSubmission:
    """The posted plan: YAML text (``application/yaml``, note and source in the query) or JSON."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if media_type in YAML_TYPES:
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(
                "the plan is not UTF-8 text", hint="send the file encoded as UTF-8"
            ) from None
        return s.PlanSubmission.model_validate(
            {
                "yaml": text,
                "note": request.query_params.get("note", ""),
                "source": request.query_params.get("source", "api"),
            }
        )
    if media_type == "application/json":
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise ValidationError(
                "the body is not valid JSON", hint='send {"yaml": "...", "note": "..."}'
            ) from None
        if not isinstance(data, dict):
            raise ValidationError(
                "the body must be a JSON object", hint='send {"yaml": "...", "note": "..."}'
            )
        return s.PlanSubmission.model_validate(data)
    raise UnsupportedMediaTypeError(
        f"cannot read a plan sent as {media_type or 'no content type'!r}",
        hint='send the YAML file as application/yaml, or JSON {"yaml": "...", "note": "..."}',
    )


_SUBMISSION_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {"schema": s.PlanSubmission.model_json_schema()},
        },
    },
    "parameters": [
        {"name": "note", "in": "query", "required": False, "schema": {"type": "string"}},
        {"name": "source", "in": "query", "required": False, "schema": {"type": "string"}},
    ],
}


@router.get("", response_model=s.CurrentPlanOut, summary="The plan in force, as JSON")
def get_current_plan(principal: Reader, rt: RuntimeDep) -> s.CurrentPlanOut:
    with rt.uow(principal) as uow:
        current = service.get_version(uow)
    return s.CurrentPlanOut(version=_version_out(current.info), plan=current.plan.model_dump(mode="json"))


@router.post(
    "",
    status_code=201,
    response_model=s.AppliedOut,
    summary="Apply a new version of the plan (YAML, or JSON with the YAML text)",
    openapi_extra=_SUBMISSION_DOC,
)
def apply_plan(
    principal: Writer, submission: Annotated[s.PlanSubmission, Depends(plan_submission)], rt: RuntimeDep
) -> s.AppliedOut:
    with rt.uow(principal, write=True) as uow:
        info, changes = service.apply_plan(
            uow, submission.yaml, source=submission.source, note=submission.note
        )
        uow.commit()
    return s.AppliedOut(version=_version_out(info), changes=[s.ChangeOut.of(c) for c in changes])


@router.get("/versions", response_model=list[s.VersionOut], summary="Every applied version, newest first")
def list_versions(principal: Reader, rt: RuntimeDep) -> list[s.VersionOut]:
    with rt.uow(principal) as uow:
        return [_version_out(info) for info in service.list_versions(uow)]


@router.get("/versions/{number}", response_model=s.VersionDetailOut, summary="One version with its text")
def get_version(number: int, principal: Reader, rt: RuntimeDep) -> s.VersionDetailOut:
    with rt.uow(principal) as uow:
        found = service.get_version(uow, number)
    return s.VersionDetailOut(
        version=_version_out(found.info), plan=found.plan.model_dump(mode="json"), yaml=found.text
    )


@router.get("/diff", response_model=s.DiffOut, summary="What changed between two versions")
def diff_versions(
    principal: Reader,
    rt: RuntimeDep,
    from_version: Annotated[int, Query(alias="from", ge=1, description="the older version")],
    to_version: Annotated[int, Query(alias="to", ge=1, description="the newer version")],
) -> s.DiffOut:
    with rt.uow(principal) as uow:
        changes = service.diff_versions(uow, from_version, to_version)
    return s.DiffOut(
        from_version=from_version, to_version=to_version, changes=[s.ChangeOut.of(c) for c in changes]
    )


@router.get("/readiness", response_model=s.ReadinessOut, summary="Readiness gaps and score of the plan")
def readiness(
    principal: Reader,
    rt: RuntimeDep,
    horizon_days: Annotated[
        int, Query(ge=1, le=366, description="how far ahead on-call cover is checked")
    ] = 7,
) -> s.ReadinessOut:
    with rt.uow(principal) as uow:
        info, result = service.readiness(uow, horizon_days=horizon_days)
    return s.ReadinessOut.of(info, result)


@router.get(
    "/document",
    summary="The policy document (Markdown, HTML or PDF)",
    response_class=Response,
    responses={200: {"content": {t.split(";")[0]: {} for t in MEDIA_TYPES.values()}}},
)
def document(
    principal: Reader,
    rt: RuntimeDep,
    format: Annotated[Literal["md", "html", "pdf"], Query(description="md, html or pdf")] = "pdf",
    version: Annotated[int | None, Query(ge=1, description="default: the plan in force")] = None,
) -> Response:
    with rt.uow(principal) as uow:
        number = version if version is not None else service.get_version(uow).info.version
        content = service.render_document(uow, format, version=number)
    return Response(
        content,
        media_type=MEDIA_TYPES[format],
        headers={"content-disposition": f'attachment; filename="plan-v{number}.{format}"'},
    )
