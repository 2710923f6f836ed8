"""REST routes of the log server: the HTTP intake, event search, failures, status and metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse

from ironwatch.api.deps import Permit, RuntimeDep, client_ip
from ironwatch.core.errors import RateLimitedError, UnavailableError
from ironwatch.core.permissions import Permission as P
from ironwatch.core.principal import Principal
from ironwatch.ingest import search
from ironwatch.ingest.intake import frames_from_body
from ironwatch.ingest.metrics import prometheus_text
from ironwatch.ingest.service import IngestService
from ironwatch.ingest.spool import SpoolFull

router = APIRouter(tags=["events"])
metrics_router = APIRouter(tags=["system"])
Ingester = Annotated[Principal, Depends(Permit(P.EVENTS_INGEST))]
Reader = Annotated[Principal, Depends(Permit(P.EVENTS_READ))]
Watcher = Annotated[Principal, Depends(Permit(P.SYSTEM_STATUS))]


def _ingest(request: Request) -> IngestService:
    service: IngestService | None = getattr(request.app.state, "ingest", None)
    if service is None:
        raise UnavailableError(
            "the log server is not running in this process", hint="start it with `ironwatch serve`"
        )
    return service


@router.post(
    "/events",
    status_code=202,
    summary="Send events: a JSON object, a JSON array of objects, or NDJSON",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": {}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            }
        }
    },
)
async def post_events(request: Request, principal: Ingester, rt: RuntimeDep) -> dict[str, Any]:
    service = _ingest(request)
    body = await request.body()
    batch = frames_from_body(
        body, source=f"http:{principal.name}", peer=client_ip(request), received_at=rt.clock.now()
    )
    try:
        await service.submit(batch.frames)
    except SpoolFull as exc:
        raise RateLimitedError(
            "the log server is catching up and accepts no more events right now",
            retry_after=5,
            hint="retry after the number of seconds in Retry-After; nothing from this request was stored",
        ) from exc
    return {"accepted": len(batch.frames) - batch.failed, "failed": batch.failed, "errors": batch.errors}


@router.get("/events", response_model=search.EventPage, summary="Search stored events")
def get_events(
    principal: Reader,
    rt: RuntimeDep,
    since: datetime | None = None,
    until: datetime | None = None,
    host: str | None = None,
    user: str | None = None,
    address: Annotated[str | None, Query(description="source or destination IP")] = None,
    dataset: Annotated[str | None, Query(description="e.g. linux.auth, or a prefix such as zeek")] = None,
    text: Annotated[str | None, Query(description="substring of the original message")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> search.EventPage:
    query = search.EventQuery(
        since=since,
        until=until,
        host=host,
        user=user,
        address=address,
        dataset=dataset,
        text=text,
        limit=limit,
        offset=offset,
    )
    with rt.uow(principal) as uow:
        total, rows = search.search_events(uow, query)
        items = [search.EventOut.model_validate(r) for r in rows]
    return search.EventPage(total=total, limit=limit, offset=offset, items=items)


@router.get(
    "/events/failures", response_model=list[search.FailureOut], summary="Input that could not be parsed"
)
def get_failures(
    principal: Reader,
    rt: RuntimeDep,
    source: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[search.FailureOut]:
    with rt.uow(principal) as uow:
        return search.list_failures(uow, source=source, limit=limit)


@router.get("/events/{event_id}", response_model=search.EventOut, summary="One stored event")
def get_event(event_id: str, principal: Reader, rt: RuntimeDep) -> search.EventOut:
    with rt.uow(principal) as uow:
        return search.EventOut.model_validate(search.get_event(uow, event_id))


@router.get("/status", summary="Log server counters, spool depth and lag")
def get_status(request: Request, principal: Watcher, rt: RuntimeDep) -> dict[str, Any]:
    status = _ingest(request).status()
    with rt.uow(principal) as uow:
        status["stored"] = search.count_stored(uow)
    return status


@metrics_router.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
def get_metrics(request: Request, principal: Watcher, rt: RuntimeDep) -> str:
    status = _ingest(request).status()
    with rt.uow(principal) as uow:
        stored = search.count_stored(uow)
    return prometheus_text(status, stored)
