"""REST routes for playbooks, playbook runs and action requests: parse, call a service, render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from ironwatch.api.deps import Permit, RuntimeDep
from ironwatch.core.permissions import Permission as P
from ironwatch.core.principal import Principal
from ironwatch.respond import actions, service
from ironwatch.respond import schemas as s

router = APIRouter(tags=["respond"])

PlanReader = Annotated[Principal, Depends(Permit(P.PLAN_READ))]
PlanWriter = Annotated[Principal, Depends(Permit(P.PLAN_WRITE))]
Reader = Annotated[Principal, Depends(Permit(P.INCIDENT_READ))]
Runner = Annotated[Principal, Depends(Permit(P.PLAYBOOK_RUN))]
Requester = Annotated[Principal, Depends(Permit(P.ACTION_REQUEST))]
Approver = Annotated[Principal, Depends(Permit(P.ACTION_APPROVE))]


@router.get("/playbooks", response_model=list[s.PlaybookSummary], summary="The playbooks in force")
def list_playbooks(principal: PlanReader, rt: RuntimeDep) -> list[s.PlaybookSummary]:
    with rt.uow(principal) as uow:
        return [service.summarise(p) for p in service.playbooks_in_force(uow).values()]


@router.post(
    "/playbooks", status_code=201, response_model=s.PlaybookDetail, summary="Load a playbook version"
)
def load_playbook(data: s.PlaybookLoadIn, principal: PlanWriter, rt: RuntimeDep) -> s.PlaybookDetail:
    with rt.uow(principal, write=True) as uow:
        _, playbook = service.load_playbook(uow, data.text, source=data.source)
        uow.commit()
    with rt.uow(principal) as uow:
        return service.describe(service.get_playbook(uow, playbook.id))


@router.post(
    "/playbooks/validate", response_model=s.ValidationOut, summary="Check a playbook without loading it"
)
def validate_playbook(data: s.PlaybookLoadIn, principal: PlanReader) -> s.ValidationOut:
    del principal
    return service.validate_text(data.text, source=data.source)


@router.get("/playbooks/{playbook_id}", response_model=s.PlaybookDetail, summary="One playbook with its text")
def get_playbook(playbook_id: str, principal: PlanReader, rt: RuntimeDep) -> s.PlaybookDetail:
    with rt.uow(principal) as uow:
        return service.describe(service.get_playbook(uow, playbook_id))


@router.get(
    "/incidents/{key}/playbook-runs", response_model=list[s.PlaybookRunDetail], summary="Playbooks run on it"
)
def list_runs(key: str, principal: Reader, rt: RuntimeDep) -> list[s.PlaybookRunDetail]:
    with rt.uow(principal) as uow:
        return [service.run_detail(uow, run) for run in service.list_runs(uow, key)]


@router.post(
    "/incidents/{key}/playbook-runs",
    status_code=201,
    response_model=s.PlaybookRunDetail,
    summary="Start a playbook: tasks for manual steps, action requests for automated ones",
)
def start_run(key: str, data: s.PlaybookRunIn, principal: Runner, rt: RuntimeDep) -> s.PlaybookRunDetail:
    with rt.uow(principal, write=True) as uow:
        run = service.start_playbook(uow, key, playbook_id=data.playbook, dry_run=data.dry_run)
        out = service.run_detail(uow, run)
        uow.commit()
    return out


@router.get("/incidents/{key}/actions", response_model=list[s.ActionOut], summary="The incident's actions")
def incident_actions(key: str, principal: Reader, rt: RuntimeDep) -> list[s.ActionOut]:
    with rt.uow(principal) as uow:
        return [s.ActionOut.model_validate(a) for a, _ in actions.list_actions(uow, key)]


@router.post("/incidents/{key}/actions", response_model=s.ActionOut, summary="Request an action")
def request_action(
    key: str, data: s.ActionRequestIn, principal: Requester, rt: RuntimeDep, response: Response
) -> s.ActionOut:
    with rt.uow(principal, write=True) as uow:
        row, created = actions.request_action(uow, key, data)
        out = s.ActionOut.model_validate(row)
        uow.commit()
    response.status_code = 201 if created else 200
    return out


@router.get("/actions", response_model=list[s.ActionOut], summary="Actions on incidents you may see")
def list_actions(
    principal: Reader,
    rt: RuntimeDep,
    status: Annotated[list[str] | None, Query(description="state, repeatable")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[s.ActionOut]:
    with rt.uow(principal) as uow:
        return [
            s.ActionOut.model_validate(a) for a, _ in actions.list_actions(uow, status=status, limit=limit)
        ]


@router.get("/actions/{action_id}", response_model=s.ActionOut, summary="One action and its outcome")
def get_action(action_id: str, principal: Reader, rt: RuntimeDep) -> s.ActionOut:
    with rt.uow(principal) as uow:
        return s.ActionOut.model_validate(actions.find_action(uow, action_id)[0])


@router.post("/actions/{action_id}/approve", response_model=s.ActionOut, summary="Approve (second person)")
def approve(action_id: str, data: s.DecisionIn, principal: Approver, rt: RuntimeDep) -> s.ActionOut:
    with rt.uow(principal, write=True) as uow:
        out = s.ActionOut.model_validate(actions.approve_action(uow, action_id, note=data.note))
        uow.commit()
    return out


@router.post("/actions/{action_id}/reject", response_model=s.ActionOut, summary="Reject a waiting action")
def reject(action_id: str, data: s.DecisionIn, principal: Approver, rt: RuntimeDep) -> s.ActionOut:
    with rt.uow(principal, write=True) as uow:
        out = s.ActionOut.model_validate(actions.reject_action(uow, action_id, note=data.note))
        uow.commit()
    return out


@router.post("/actions/{action_id}/undo", response_model=s.ActionOut, summary="Take a succeeded action back")
def undo(action_id: str, principal: Requester, rt: RuntimeDep) -> s.ActionOut:
    with rt.uow(principal, write=True) as uow:
        out = s.ActionOut.model_validate(actions.request_undo(uow, action_id))
        uow.commit()
    return out


@router.post(
    "/actions/{action_id}/retry", response_model=s.ActionOut, summary="Retry a failed or interrupted action"
)
def retry(action_id: str, principal: Requester, rt: RuntimeDep) -> s.ActionOut:
    with rt.uow(principal, write=True) as uow:
        out = s.ActionOut.model_validate(actions.retry_action(uow, action_id))
        uow.commit()
    return out


@router.get("/connectors", response_model=list[s.ConnectorOut], summary="Installed action connectors")
def list_connectors(principal: Reader, rt: RuntimeDep) -> list[s.ConnectorOut]:
    with rt.uow(principal) as uow:
        return service.connector_catalogue(uow)
