"""Playbook services: load versions, list and show them, and start one on an incident.

The playbooks in force are the starter library with every playbook loaded into the database laid
over it by id (the highest stored version wins). Starting a playbook records a run, adds the manual
steps as tasks on the incident and the automated steps as action requests, which then go one after
another through the guard rails (``respond.actions``) and the runner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ironwatch.core.canonical import sha256_hex
from ironwatch.core.errors import ConflictError, NotFoundError, ValidationError
from ironwatch.core.ids import new_id
from ironwatch.core.permissions import Permission
from ironwatch.incidents import schemas as incident_schemas
from ironwatch.incidents import service as incidents
from ironwatch.plan import service as plans
from ironwatch.plan.models import Plan
from ironwatch.respond import actions, guards
from ironwatch.respond import schemas as s
from ironwatch.respond.connectors.registry import connectors
from ironwatch.respond.library import built_in_playbooks
from ironwatch.respond.playbook import Playbook, Step
from ironwatch.respond.playbook_loader import PlaybookError, parse_playbook
from ironwatch.respond.runs import advance_run
from ironwatch.respond.states import ActionState
from ironwatch.respond.templating import (
    TemplateProblem,
    evaluate,
    incident_context,
    items_of,
    render_value,
    require_valid,
)
from ironwatch.store.tables import (
    ActionRequestRow,
    IncidentRow,
    ObservableRow,
    PlaybookRunRow,
    PlaybookVersionRow,
)
from ironwatch.store.uow import UnitOfWork

S = ActionState


@dataclass(frozen=True)
class PlaybookInForce:
    """A playbook as it is in force: parsed, with its text, version (0: built in) and origin."""

    playbook: Playbook
    text: str
    sha256: str
    version: int
    source: str


def _stored(uow: UnitOfWork) -> dict[str, PlaybookVersionRow]:
    latest = (
        select(PlaybookVersionRow.playbook_id, func.max(PlaybookVersionRow.version).label("version"))
        .group_by(PlaybookVersionRow.playbook_id)
        .subquery()
    )
    rows = uow.session.scalars(
        select(PlaybookVersionRow).join(
            latest,
            (PlaybookVersionRow.playbook_id == latest.c.playbook_id)
            & (PlaybookVersionRow.version == latest.c.version),
        )
    ).all()
    return {row.playbook_id: row for row in rows}


def playbooks_in_force(uow: UnitOfWork) -> dict[str, PlaybookInForce]:
    """Every playbook in force by id: built in, or the latest loaded version. Needs ``plan:read``."""
    uow.principal.require(Permission.PLAN_READ)
    found = {
        pid: PlaybookInForce(b.playbook, b.text, b.sha256, 0, b.source)
        for pid, b in built_in_playbooks().items()
    }
    for pid, row in _stored(uow).items():
        found[pid] = PlaybookInForce(
            parse_playbook(row.text, source=row.source), row.text, row.sha256, row.version, row.source
        )
    return dict(sorted(found.items()))


def get_playbook(uow: UnitOfWork, playbook_id: str) -> PlaybookInForce:
    found = playbooks_in_force(uow).get(playbook_id.strip())
    if found is None:
        raise NotFoundError(f"no playbook {playbook_id!r}", hint="list them with `ironwatch playbook list`")
    return found


def load_playbook(uow: UnitOfWork, text: str, *, source: str) -> tuple[PlaybookVersionRow, Playbook]:
    """Validate playbook YAML and store it as the next version of its id. Needs ``plan:write``.

    Loading the text already in force is refused (``ConflictError``): it would only blur the history.
    """
    uow.principal.require(Permission.PLAN_WRITE)
    source = source.strip()[:300] or "playbook.yaml"
    playbook = parse_playbook(text, source=source)
    digest = sha256_hex(text.encode())
    current = playbooks_in_force(uow).get(playbook.id)
    if current is not None and current.sha256 == digest:
        raise ConflictError(
            f"playbook {playbook.id} is already in force with this text (version {current.version})",
            hint="edit the file first",
        )
    latest = uow.session.scalar(
        select(func.max(PlaybookVersionRow.version)).where(PlaybookVersionRow.playbook_id == playbook.id)
    )
    row = PlaybookVersionRow(
        id=new_id(),
        playbook_id=playbook.id,
        version=(latest or 0) + 1,
        text=text,
        sha256=digest,
        source=source,
        loaded_by=uow.principal.name,
        loaded_at=uow.clock.now(),
    )
    uow.set_action("playbook.load")
    uow.session.add(row)
    uow.flush()
    uow.set_action(None)
    return row, playbook


def playbook_history(uow: UnitOfWork, playbook_id: str) -> list[PlaybookVersionRow]:
    uow.principal.require(Permission.PLAN_READ)
    return list(
        uow.session.scalars(
            select(PlaybookVersionRow)
            .where(PlaybookVersionRow.playbook_id == playbook_id)
            .order_by(PlaybookVersionRow.version.desc())
        ).all()
    )


def playbook_for_incident(
    plan: Plan, found: dict[str, PlaybookInForce], incident: IncidentRow
) -> PlaybookInForce:
    """The plan's playbook for the incident's category, else one that lists the category or its class."""
    category = incident.category
    if not category:
        raise ValidationError(
            f"{incident.ref} has no category, so no playbook can be chosen",
            hint="set the category (incident update --category) or name the playbook (--playbook ID)",
        )
    wanted = plan.classification.playbook_for(category)
    if wanted and wanted in found:
        return found[wanted]
    entry = plan.classification.category(category)
    chain = [category, *([entry.parent] if entry and entry.parent else [])]
    for cid in chain:
        for candidate in found.values():
            if cid in candidate.playbook.categories:
                return candidate
    raise NotFoundError(
        f"no playbook handles category {category!r}" + (f" (the plan names {wanted!r})" if wanted else ""),
        hint="name one with --playbook, or load a playbook listing the category",
    )


def _context(uow: UnitOfWork, incident: IncidentRow) -> dict[str, Any]:
    fields = {
        name: getattr(incident, name)
        for name in (
            "id",
            "ref",
            "title",
            "summary",
            "status",
            "category",
            "severity",
            "priority",
            "tlp",
            "assignee",
        )
    }
    fields["tags"] = list(incident.tags)
    fields["affected_assets"] = list(incident.affected_assets)
    observed = uow.session.execute(
        select(ObservableRow.type, ObservableRow.value)
        .where(ObservableRow.incident_id == incident.id)
        .order_by(ObservableRow.created_at, ObservableRow.value)
    ).all()
    return incident_context(fields, [(t, v) for t, v in observed])


def start_playbook(
    uow: UnitOfWork, incident_key: str, *, playbook_id: str | None = None, dry_run: bool = False
) -> PlaybookRunRow:
    """Start a playbook on an incident: tasks for manual steps, action requests for automated ones.

    Without ``playbook_id`` the plan's playbook for the incident's category is used. Steps whose
    ``when`` is false, and automated steps whose ``for_each`` gives no values, are recorded as skipped.
    Needs ``playbook:run``.
    """
    uow.principal.require(Permission.PLAYBOOK_RUN)
    incident = incidents.find_incident(uow, incident_key)
    plan = plans.current_plan(uow)
    found = playbooks_in_force(uow)
    if playbook_id is not None:
        chosen = found.get(playbook_id)
        if chosen is None:
            raise NotFoundError(
                f"no playbook {playbook_id!r}", hint="list them with `ironwatch playbook list`"
            )
    else:
        chosen = playbook_for_incident(plan, found, incident)
    now = uow.clock.now()
    run = PlaybookRunRow(
        id=new_id(),
        incident_id=incident.id,
        playbook_id=chosen.playbook.id,
        playbook_version=chosen.version,
        playbook_sha256=chosen.sha256,
        dry_run=dry_run,
        started_by=uow.principal.name,
        started_at=now,
        steps=[],
    )
    uow.set_action("playbook.run")
    uow.session.add(run)
    uow.flush()
    context = _context(uow, incident)
    records: list[dict[str, Any]] = []
    position = 0
    for phase, step in chosen.playbook.phases.ordered():
        record: dict[str, Any] = {"phase": phase.value, "step": step.id, "title": step.title}
        try:
            if step.when is not None and not evaluate(step.when, context):
                records.append({**record, "kind": "skipped", "reason": f"when: {step.when} is false"})
                continue
            if step.action is None:
                task = _add_task(uow, incident.ref, step, f"[{phase.value}] {step.title}", now)
                records.append({**record, "kind": "task", "task_id": task})
                continue
            items = items_of(step.for_each, context) if step.for_each else [None]
        except TemplateProblem as exc:
            raise require_valid(exc, f"playbook {chosen.playbook.id}, step {step.id}") from None
        if not items:
            records.append(
                {**record, "kind": "skipped", "reason": f"for_each: {step.for_each} gives no values"}
            )
            continue
        ids = []
        for item in items:
            try:
                inputs = render_value(step.inputs, {**context, "item": item})
            except TemplateProblem as exc:
                raise require_valid(exc, f"playbook {chosen.playbook.id}, step {step.id}") from None
            position += 1
            row = actions.new_request(
                uow,
                plan,
                incident,
                connector=step.action,
                inputs=inputs,
                title=f"[{phase.value}] {step.title}" + (f" ({item})" if item is not None else ""),
                dry_run=dry_run,
                run_id=run.id,
                position=position,
                step_id=step.id,
                on_failure=step.on_failure,
            )
            uow.session.add(row)
            ids.append(row.id)
        records.append({**record, "kind": "action", "action_ids": ids})
    run.steps = records
    uow.flush()
    advance_run(uow, plan, run.id)
    uow.set_action(None)
    return run


def _add_task(uow: UnitOfWork, ref: str, step: Step, title: str, start: datetime) -> str:
    data = incident_schemas.TaskCreate(
        title=title[:300], owner=step.owner, due_at=start + step.due if step.due else None
    )
    return incidents.add_task(uow, ref, data).id


def list_runs(uow: UnitOfWork, incident_key: str) -> list[PlaybookRunRow]:
    uow.principal.require(Permission.INCIDENT_READ)
    incident = incidents.find_incident(uow, incident_key)
    return list(
        uow.session.scalars(
            select(PlaybookRunRow)
            .where(PlaybookRunRow.incident_id == incident.id)
            .order_by(PlaybookRunRow.started_at.desc())
        ).all()
    )


def run_actions(uow: UnitOfWork, run_id: str) -> list[ActionRequestRow]:
    return list(
        uow.session.scalars(
            select(ActionRequestRow)
            .where(ActionRequestRow.run_id == run_id)
            .order_by(ActionRequestRow.position)
        ).all()
    )


def summarise(found: PlaybookInForce) -> s.PlaybookSummary:
    steps = found.playbook.phases.ordered()
    return s.PlaybookSummary(
        id=found.playbook.id,
        name=found.playbook.name,
        categories=list(found.playbook.categories),
        version=found.version,
        source=found.source,
        sha256=found.sha256,
        steps=len(steps),
        actions=sum(1 for _, step in steps if step.is_action),
    )


def describe(found: PlaybookInForce) -> s.PlaybookDetail:
    return s.PlaybookDetail(
        **summarise(found).model_dump(),
        description=found.playbook.description,
        text=found.text,
        phases=found.playbook.phases.model_dump(mode="json", exclude_defaults=True),
    )


def validate_text(text: str, *, source: str) -> s.ValidationOut:
    """Check playbook YAML without storing it: every problem located (no permission: pure)."""
    try:
        playbook = parse_playbook(text, source=source)
    except PlaybookError as exc:
        return s.ValidationOut(valid=False, problems=[p.as_dict() for p in exc.problems])
    return s.ValidationOut(valid=True, id=playbook.id)


def run_detail(uow: UnitOfWork, run: PlaybookRunRow) -> s.PlaybookRunDetail:
    return s.PlaybookRunDetail(
        **s.PlaybookRunOut.model_validate(run).model_dump(),
        actions=[s.ActionOut.model_validate(a) for a in run_actions(uow, run.id)],
    )


def connector_catalogue(uow: UnitOfWork) -> list[s.ConnectorOut]:
    """Every installed connector: what it takes, whether the plan lets it act for real."""
    uow.principal.require(Permission.INCIDENT_READ)
    try:
        plan: Plan | None = plans.current_plan(uow)
    except NotFoundError:
        plan = None
    out = []
    for name, cls in sorted(connectors().items()):
        out.append(
            s.ConnectorOut(
                name=name,
                title=cls.title,
                destructive=cls.destructive,
                undoable=cls.undoable,
                enabled=plan is not None and guards.acts_for_real(plan, name),
                inputs=cls.inputs_model.model_json_schema(),
                config=cls.config_model.model_json_schema(),
            )
        )
    return out
