"""REST routes for breach facts, obligations, their evidence and the external exports."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query, Response

from ironwatch.api.deps import Permit, RuntimeDep
from ironwatch.core.permissions import Permission as P
from ironwatch.core.principal import Principal
from ironwatch.obligations import external, regulator, service
from ironwatch.obligations import schemas as s

incident_router = APIRouter(prefix="/incidents", tags=["obligations"])
router = APIRouter(prefix="/obligations", tags=["obligations"])

Reader = Annotated[Principal, Depends(Permit(P.OBLIGATIONS_READ))]
Manager = Annotated[Principal, Depends(Permit(P.OBLIGATIONS_MANAGE))]
Exporter = Annotated[Principal, Depends(Permit(P.INCIDENT_EXPORT))]


@incident_router.get("/{key}/facts", response_model=s.FactsOut, summary="The incident's breach facts")
def get_facts(key: str, principal: Reader, rt: RuntimeDep) -> s.FactsOut:
    with rt.uow(principal) as uow:
        return s.FactsOut.of(service.incident_facts(uow, key))


@incident_router.patch(
    "/{key}/facts", response_model=s.FactsResult, summary="Record breach facts; obligations follow them"
)
def set_facts(key: str, data: s.FactsUpdate, principal: Manager, rt: RuntimeDep) -> s.FactsResult:
    with rt.uow(principal, write=True) as uow:
        view, touched = service.set_facts(uow, key, data.facts)
        out = s.FactsResult(
            facts=s.FactsOut.of(view), obligations_changed=[s.ObligationOut.of(o, view.ref) for o in touched]
        )
        uow.commit()
    return out


@incident_router.get(
    "/{key}/questions", response_model=list[s.QuestionOut], summary="Facts still needed to decide duties"
)
def get_questions(key: str, principal: Reader, rt: RuntimeDep) -> list[s.QuestionOut]:
    with rt.uow(principal) as uow:
        return [s.QuestionOut.of(q) for q in service.incident_questions(uow, key)]


@incident_router.get(
    "/{key}/obligations", response_model=list[s.ObligationOut], summary="The incident's obligations"
)
def get_incident_obligations(key: str, principal: Reader, rt: RuntimeDep) -> list[s.ObligationOut]:
    with rt.uow(principal) as uow:
        incident, rows = service.incident_obligations(uow, key)
        return [s.ObligationOut.of(r, incident.ref) for r in rows]


@incident_router.get(
    "/{key}/external/enisa",
    summary="Incident summary for a CSIRT or partner (ENISA RSIT; TLP applied; audited)",
)
def export_enisa(key: str, principal: Exporter, rt: RuntimeDep) -> Response:
    with rt.uow(principal, write=True) as uow:
        body = external.enisa_summary(uow, key)
        uow.commit()
    return Response(orjson.dumps(body), media_type="application/json")


@incident_router.get(
    "/{key}/external/stix", summary="The incident as a STIX 2.1 bundle (TLP applied; audited)"
)
def export_stix(key: str, principal: Exporter, rt: RuntimeDep) -> Response:
    with rt.uow(principal, write=True) as uow:
        body = external.stix_bundle(uow, key)
        uow.commit()
    return Response(body, media_type="application/stix+json;version=2.1")


@router.get("", response_model=list[s.ObligationOut], summary="Obligations, most urgent first")
def list_obligations(
    principal: Reader,
    rt: RuntimeDep,
    due_within: Annotated[str | None, Query(description="e.g. 24h: next deadline before now + this")] = None,
    incident: Annotated[str | None, Query(description="an incident reference")] = None,
    all: Annotated[bool, Query(description="also closed and not applicable ones")] = False,
) -> list[s.ObligationOut]:
    span = s.parse_span(due_within) if due_within else None
    with rt.uow(principal) as uow:
        rows = service.list_obligations(uow, due_within=span, incident=incident, include_inactive=all)
        return [s.ObligationOut.of(r, ref) for r, ref in rows]


@router.get("/{obligation_id}", response_model=s.ObligationDetail, summary="One obligation and its evidence")
def get_obligation(obligation_id: str, principal: Reader, rt: RuntimeDep) -> s.ObligationDetail:
    with rt.uow(principal) as uow:
        row, incident = service.find_obligation(uow, obligation_id)
        out = s.ObligationOut.of(row, incident.ref)
        evidence = [s.SubmissionOut.of(e) for e in service.submissions_of(uow, obligation_id)]
    return s.ObligationDetail(**out.model_dump(), submissions=evidence)


@router.post(
    "/{obligation_id}/submissions",
    status_code=201,
    response_model=s.ObligationDetail,
    summary="Record the submission of a phase (evidence); the last required phase closes it",
)
def submit(
    obligation_id: str, data: s.SubmissionIn, principal: Manager, rt: RuntimeDep
) -> s.ObligationDetail:
    with rt.uow(principal, write=True) as uow:
        service.record_submission(
            uow,
            obligation_id,
            submitted_at=data.submitted_at,
            to=data.to,
            reference=data.reference,
            summary=data.summary,
            phase=data.phase,
            attachment_id=data.attachment_id,
        )
        row, incident = service.find_obligation(uow, obligation_id)
        out = s.ObligationDetail(
            **s.ObligationOut.of(row, incident.ref).model_dump(),
            submissions=[s.SubmissionOut.of(e) for e in service.submissions_of(uow, obligation_id)],
        )
        uow.commit()
    return out


@router.post(
    "/{obligation_id}/not-applicable",
    response_model=s.ObligationOut,
    summary="Set a duty aside, with the reason",
)
def not_applicable(
    obligation_id: str, data: s.NotApplicableIn, principal: Manager, rt: RuntimeDep
) -> s.ObligationOut:
    with rt.uow(principal, write=True) as uow:
        row = service.mark_not_applicable(uow, obligation_id, data.reason)
        _, incident = service.find_obligation(uow, obligation_id)
        out = s.ObligationOut.of(row, incident.ref)
        uow.commit()
    return out


@router.get("/{obligation_id}/report", summary="Regulator-ready report skeleton (md or html; TLP applied)")
def report(
    obligation_id: str,
    principal: Exporter,
    rt: RuntimeDep,
    format: Annotated[str, Query(pattern="^(md|html)$")] = "md",
) -> Response:
    with rt.uow(principal, write=True) as uow:
        text = regulator.regulator_report(uow, obligation_id, "html" if format == "html" else "md")
        uow.commit()
    media = "text/html; charset=utf-8" if format == "html" else "text/markdown; charset=utf-8"
    return Response(text, media_type=media)
