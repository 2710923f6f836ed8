"""REST routes for threat intelligence: list, look up, import and expire indicators."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from ironwatch.access.service import parse_expiry
from ironwatch.api.deps import Permit, RuntimeDep
from ironwatch.bootstrap import Runtime
from ironwatch.core.errors import ValidationError
from ironwatch.core.permissions import Permission as P
from ironwatch.core.principal import Principal
from ironwatch.detect.intel import schemas as s
from ironwatch.detect.intel import service
from ironwatch.detect.intel.importers import parse_feed
from ironwatch.detect.intel.lookup import lookup_value
from ironwatch.detect.intel.upload import import_from

router = APIRouter(prefix="/intel", tags=["threat intelligence"])

Reader = Annotated[Principal, Depends(Permit(P.INTEL_READ))]
Writer = Annotated[Principal, Depends(Permit(P.INTEL_WRITE))]

_IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": s.ImportRequest.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["source", "file"],
                    "properties": {
                        "source": {"type": "string"},
                        "format": {"type": "string", "enum": ["auto", "stix", "misp", "csv", "list"]},
                        "confidence": {"type": "integer", "minimum": 0, "maximum": 100},
                        "tlp": {"type": "string"},
                        "expires": {"type": "string", "example": "30d"},
                        "file": {"type": "string", "format": "binary"},
                    },
                }
            },
        },
    }
}


@router.get("", response_model=list[s.IndicatorView], summary="Indicators, newest import first")
def list_indicators(
    principal: Reader,
    rt: RuntimeDep,
    type: Annotated[s.IndicatorType | None, Query()] = None,
    source: Annotated[str | None, Query(max_length=100)] = None,
    active: Annotated[bool | None, Query(description="only active (true) or only inactive (false)")] = None,
    q: Annotated[str | None, Query(max_length=200, description="part of the value")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[s.IndicatorView]:
    with rt.uow(principal) as uow:
        return service.list_indicators(
            uow, type=type, source=source, active=active, search=q, limit=limit, offset=offset
        )


@router.get("/sources", response_model=list[s.SourceView], summary="Feeds with their indicator counts")
def list_sources(principal: Reader, rt: RuntimeDep) -> list[s.SourceView]:
    with rt.uow(principal) as uow:
        return service.list_sources(uow)


@router.get(
    "/lookup", response_model=s.LookupResult, summary="The indicators a value would match in an event"
)
def lookup(
    principal: Reader,
    rt: RuntimeDep,
    value: Annotated[str, Query(min_length=1, max_length=2048)],
    type: Annotated[s.IndicatorType | None, Query()] = None,
) -> s.LookupResult:
    with rt.uow(principal) as uow:
        return lookup_value(uow, value, type=type)


def _import(
    rt: Runtime, principal: Principal, options: s.ImportOptions, data: bytes, name: str
) -> s.ImportSummary:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("the feed is not UTF-8 text", hint="feeds are JSON, CSV or lists") from None
    expires: timedelta | None = parse_expiry(options.expires) if options.expires else None
    feed = parse_feed(text, options.format, name=name)
    with rt.uow(principal, write=True) as uow:
        summary = service.import_feed(uow, feed, options=options, expires=expires, content=data)
        uow.commit()
    return summary


@router.post(
    "/import",
    response_model=s.ImportSummary,
    summary="Import a feed (STIX 2.1, MISP, CSV or a list): JSON with the text, or a form with the file",
    openapi_extra=_IMPORT_BODY,
)
async def import_feed(request: Request, principal: Writer, rt: RuntimeDep) -> s.ImportSummary:
    options, data, name = await import_from(request)
    return await run_in_threadpool(_import, rt, principal, options, data, name)


@router.post("/expire", response_model=s.ExpireSummary, summary="Expire a feed's, stale or past indicators")
def expire(body: s.ExpireRequest, principal: Writer, rt: RuntimeDep) -> s.ExpireSummary:
    with rt.uow(principal, write=True) as uow:
        summary = service.expire_indicators(
            uow, source=body.source, before=body.before, all_past=body.all_past
        )
        uow.commit()
    return summary
