"""REST routes for lessons learned: timelines, reviews, action items, metrics and reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from ironwatch.api.deps import Permit, RuntimeDep
from ironwatch.core.permissions import Permission as P
from ironwatch.core.principal import Principal
from ironwatch.incidents.schemas import TLP
from ironwatch.review import reports, service, timeline
from ironwatch.review import schemas as s
from ironwatch.review.metrics import BY, MetricsOut, compute_metrics
from ironwatch.review.report_render import ReportFormat

router = APIRouter(tags=["lessons learned"])

Reader = Annotated[Principal, Depends(Permit(P.INCIDENT_READ))]
Tasker = Annotated[Principal, Depends(Permit(P.INCIDENT_TASK))]
Commenter = Annotated[Principal, Depends(Permit(P.INCIDENT_COMMENT))]
Reviewer = Annotated[Principal, Depends(Permit(P.REVIEW_WRITE))]
MetricsReader = Annotated[Principal, Depends(Permit(P.METRICS_READ))]

_MEDIA = {ReportFormat.HTML: "text/html; charset=utf-8", ReportFormat.PDF: "application/pdf"}


def _document(body: bytes, fmt: ReportFormat, name: str) -> Response:
    disposition = "inline" if fmt == ReportFormat.HTML else "attachment"
    return Response(
        body,
        media_type=_MEDIA[fmt],
        headers={"content-disposition": f'{disposition}; filename="{name}.{fmt.value}"'},
    )


@router.get(
    "/incidents/{key}/timeline",
    response_model=list[s.TimelineEntryOut],
    summary="The incident's timeline (JSON or CSV), ordered and filterable",
)
def get_timeline(
    key: str,
    principal: Reader,
    rt: RuntimeDep,
    kind: Annotated[list[str] | None, Query(description="kinds of entry, repeatable")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Response:
    with rt.uow(principal) as uow:
        entries = timeline.incident_timeline(uow, key, kinds=kind, since=since, until=until)
    if format == "csv":
        return Response(
            timeline.timeline_csv(entries),
            media_type="text/csv",
            headers={"content-disposition": 'attachment; filename="timeline.csv"'},
        )
    return Response(timeline.timeline_json(entries), media_type="application/json")


@router.post(
    "/incidents/{key}/timeline",
    status_code=201,
    response_model=s.TimelineEntryOut,
    summary="Add a manual timeline entry (source, confidence, ATT&CK technique)",
)
def add_timeline_entry(
    key: str, data: s.ManualEntryCreate, principal: Tasker, rt: RuntimeDep
) -> s.TimelineEntryOut:
    with rt.uow(principal, write=True) as uow:
        row = timeline.add_timeline_entry(uow, key, data)
        out = s.TimelineEntryOut(
            at=row.at,
            kind="manual",
            text=row.text,
            actor=row.author,
            source=row.source,
            confidence=row.confidence,
            techniques=[row.technique] if row.technique else [],
            object_id=row.id,
        )
        uow.commit()
    return out


@router.post(
    "/incidents/{key}/review", status_code=201, response_model=s.ReviewOut, summary="Start the review"
)
def start_review(key: str, principal: Reviewer, rt: RuntimeDep) -> s.ReviewOut:
    with rt.uow(principal, write=True) as uow:
        service.start_review(uow, key)
        out = service.review_detail(uow, key)
        uow.commit()
    return out


@router.get("/incidents/{key}/review", response_model=s.ReviewOut, summary="The post-incident review")
def get_review(key: str, principal: Reader, rt: RuntimeDep) -> s.ReviewOut:
    with rt.uow(principal) as uow:
        return service.review_detail(uow, key)


@router.patch("/incidents/{key}/review", response_model=s.ReviewOut, summary="Write parts of a draft review")
def update_review(key: str, data: s.ReviewFields, principal: Reviewer, rt: RuntimeDep) -> s.ReviewOut:
    with rt.uow(principal, write=True) as uow:
        service.update_review(uow, key, data)
        out = service.review_detail(uow, key)
        uow.commit()
    return out


@router.post(
    "/incidents/{key}/review/complete",
    response_model=s.ReviewOut,
    summary="Complete the review: training needs into the plan, the incident to reviewed",
)
def complete_review(key: str, principal: Reviewer, rt: RuntimeDep) -> s.ReviewOut:
    with rt.uow(principal, write=True) as uow:
        service.complete_review(uow, key)
        out = service.review_detail(uow, key)
        uow.commit()
    return out


@router.post(
    "/incidents/{key}/review/items",
    status_code=201,
    response_model=s.ActionItemOut,
    summary="Add an action item (owner, due date)",
)
def add_action_item(
    key: str, data: s.ActionItemCreate, principal: Reviewer, rt: RuntimeDep
) -> s.ActionItemOut:
    with rt.uow(principal, write=True) as uow:
        row, incident = service.add_action_item(uow, key, data)
        out = service.item_out(row, incident.ref, uow.clock.now())
        uow.commit()
    return out


@router.patch(
    "/incidents/{key}/review/items/{number}",
    response_model=s.ActionItemOut,
    summary="Move an action item on or close it (done, wont_do)",
)
def update_action_item(
    key: str, number: int, data: s.ActionItemClose, principal: Reviewer, rt: RuntimeDep
) -> s.ActionItemOut:
    with rt.uow(principal, write=True) as uow:
        row, incident = service.update_action_item(uow, key, number, data)
        out = service.item_out(row, incident.ref, uow.clock.now())
        uow.commit()
    return out


@router.post(
    "/incidents/{key}/review/feedback",
    status_code=201,
    response_model=s.FeedbackOut,
    summary="Give (or replace) your feedback as a participant",
)
def give_feedback(key: str, data: s.FeedbackCreate, principal: Commenter, rt: RuntimeDep) -> s.FeedbackOut:
    with rt.uow(principal, write=True) as uow:
        row = service.give_feedback(uow, key, data)
        out = s.FeedbackOut(
            participant=row.participant,
            rating=row.rating,
            went_well=row.went_well,
            to_improve=row.to_improve,
            submitted_at=row.submitted_at,
        )
        uow.commit()
    return out


@router.get(
    "/action-items", response_model=list[s.ActionItemOut], summary="Action items of all reviews, due first"
)
def list_action_items(
    principal: Reader,
    rt: RuntimeDep,
    open: Annotated[bool, Query(description="only items not yet done or dropped")] = False,
    owner: str | None = None,
) -> list[s.ActionItemOut]:
    with rt.uow(principal) as uow:
        return service.list_action_items(uow, open_only=open, owner=owner)


@router.get("/metrics", response_model=MetricsOut, summary="MTT* percentiles, SLA compliance, volumes...")
def get_metrics(
    principal: MetricsReader,
    rt: RuntimeDep,
    since: datetime | None = None,
    until: datetime | None = None,
    by: Annotated[str, Query(description=f"one of {', '.join(BY)}")] = "category",
) -> MetricsOut:
    with rt.uow(principal) as uow:
        return compute_metrics(uow, since=since, until=until, by=by)


@router.get("/incidents/{key}/report", summary="The incident report as HTML or PDF")
def incident_report(
    key: str,
    principal: Reader,
    rt: RuntimeDep,
    format: Annotated[ReportFormat, Query()] = ReportFormat.PDF,
) -> Response:
    with rt.uow(principal) as uow:
        ref, body = reports.incident_report(uow, key, format)
    return _document(body, format, f"{ref}-report")


@router.get("/management-reports/period", summary="The management report for a period as HTML or PDF")
def period_report(
    principal: MetricsReader,
    rt: RuntimeDep,
    since: datetime | None = None,
    until: datetime | None = None,
    format: Annotated[ReportFormat, Query()] = ReportFormat.PDF,
    tlp: Annotated[TLP, Query(description="marking on every page")] = TLP.AMBER,
) -> Response:
    with rt.uow(principal) as uow:
        mt, body = reports.period_report(uow, since=since, until=until, fmt=format, tlp=tlp)
    return _document(body, format, f"incident-report-{mt.since:%Y-%m-%d}-{mt.until:%Y-%m-%d}")
