"""REST routes for the alert queue, triage decisions, suppressions and incident assessments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ironwatch.api.deps import Permit, RuntimeDep
from ironwatch.core.errors import ValidationError
from ironwatch.core.permissions import Permission as P
from ironwatch.core.principal import Principal
from ironwatch.plan.fieldtypes import parse_duration
from ironwatch.triage import decisions, queue, service, suppression
from ironwatch.triage import schemas as s

router = APIRouter(tags=["triage"])

Reader = Annotated[Principal, Depends(Permit(P.ALERTS_READ))]
Triager = Annotated[Principal, Depends(Permit(P.ALERTS_TRIAGE))]
IncidentReader = Annotated[Principal, Depends(Permit(P.INCIDENT_READ))]
IncidentUpdater = Annotated[Principal, Depends(Permit(P.INCIDENT_UPDATE))]


@router.get("/alerts", response_model=s.AlertPage, summary="The alert queue: by priority, then age")
def list_alerts(
    principal: Reader,
    rt: RuntimeDep,
    status: Annotated[
        list[str] | None, Query(description="new (default), incident, false_positive, suppressed, any")
    ] = None,
    level: Annotated[list[str] | None, Query(description="rule level, repeatable")] = None,
    rule: Annotated[str | None, Query(max_length=100)] = None,
    entity: Annotated[str | None, Query(max_length=300, description="a value, or name=value")] = None,
    since: datetime | None = None,
    incident: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> s.AlertPage:
    flt = s.AlertFilter(
        status=status,
        level=level,
        rule=rule,
        entity=entity,
        since=since,
        incident=incident,
        limit=limit,
        offset=offset,
    )
    with rt.uow(principal) as uow:
        total, rows = queue.list_alerts(uow, flt)
        items = [s.AlertOut.model_validate(r) for r in rows]
    return s.AlertPage(total=total, limit=limit, offset=offset, items=items)


@router.post(
    "/alerts/bulk",
    response_model=s.DecisionResult,
    summary="Apply a decision to every alert a filter selects",
)
def bulk(data: s.BulkRequest, principal: Triager, rt: RuntimeDep) -> s.DecisionResult:
    with rt.uow(principal, write=True) as uow:
        result = decisions.bulk_decide(uow, data)
        uow.commit()
    return result


@router.get("/alerts/{alert_id}", response_model=s.AlertDetail, summary="One alert with its matched events")
def get_alert(alert_id: str, principal: Reader, rt: RuntimeDep) -> s.AlertDetail:
    with rt.uow(principal) as uow:
        return queue.alert_detail(uow, alert_id)


@router.post(
    "/alerts/{alert_id}/decision",
    response_model=s.DecisionResult,
    summary="Confirm, dismiss, merge or escalate",
)
def decide(alert_id: str, data: s.DecisionRequest, principal: Triager, rt: RuntimeDep) -> s.DecisionResult:
    with rt.uow(principal, write=True) as uow:
        result = decisions.decide(uow, [alert_id], data)
        uow.commit()
    return result


@router.get("/suppressions", response_model=list[s.SuppressionOut], summary="Suppression rules")
def list_suppressions(principal: Reader, rt: RuntimeDep, all: bool = False) -> list[s.SuppressionOut]:
    with rt.uow(principal) as uow:
        return [
            s.SuppressionOut.model_validate(r)
            for r in suppression.list_suppressions(uow, active_only=not all)
        ]


@router.post(
    "/suppressions", status_code=201, response_model=s.SuppressionOut, summary="Suppress a rule on entities"
)
def create_suppression(data: s.SuppressionCreate, principal: Triager, rt: RuntimeDep) -> s.SuppressionOut:
    with rt.uow(principal, write=True) as uow:
        expires = data.expires_at or _expiry(uow.clock.now(), data.expires_in)
        row = suppression.create_suppression(
            uow,
            rule_id=data.rule_id,
            entities=data.entities,
            reason=data.reason,
            expires_at=expires,
            owner=data.owner,
        )
        out = s.SuppressionOut.model_validate(row)
        uow.commit()
    return out


def _expiry(now: datetime, expires_in: str | None) -> datetime:
    if not expires_in:
        raise ValidationError("a suppression needs an expiry", hint="give expires_at or expires_in, e.g. 30d")
    try:
        return now + parse_duration(expires_in)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


@router.post(
    "/suppressions/{suppression_id}/end", response_model=s.SuppressionOut, summary="End a suppression now"
)
def end_suppression(suppression_id: str, principal: Triager, rt: RuntimeDep) -> s.SuppressionOut:
    with rt.uow(principal, write=True) as uow:
        out = s.SuppressionOut.model_validate(suppression.end_suppression(uow, suppression_id))
        uow.commit()
    return out


@router.get(
    "/incidents/{key}/assessment",
    response_model=s.AssessmentOut,
    summary="Assessment with reasons, SLA, escalations",
)
def get_assessment(key: str, principal: IncidentReader, rt: RuntimeDep) -> s.AssessmentOut:
    with rt.uow(principal) as uow:
        return service.incident_assessment(uow, key)


@router.post(
    "/incidents/{key}/assessment", response_model=s.AssessmentOut, summary="Override assessment values"
)
def override(
    key: str, data: s.AssessmentOverride, principal: IncidentUpdater, rt: RuntimeDep
) -> s.AssessmentOut:
    with rt.uow(principal, write=True) as uow:
        out = service.override_assessment(uow, key, data)
        uow.commit()
    return out


@router.post(
    "/incidents/{key}/acknowledge",
    response_model=s.AssessmentOut,
    summary="Acknowledge (stops that SLA clock)",
)
def acknowledge(key: str, principal: IncidentUpdater, rt: RuntimeDep) -> s.AssessmentOut:
    with rt.uow(principal, write=True) as uow:
        out = service.acknowledge(uow, key)
        uow.commit()
    return out


@router.post(
    "/incidents/{key}/assign", response_model=s.AssessmentOut, summary="Reassign (by hand or by the plan)"
)
def assign(key: str, data: s.AssignRequest, principal: IncidentUpdater, rt: RuntimeDep) -> s.AssessmentOut:
    with rt.uow(principal, write=True) as uow:
        out = service.assign(uow, key, data)
        uow.commit()
    return out
