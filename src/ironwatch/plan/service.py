"""Plan services: apply a plan as a new version, read the plan in force, compare, score and print it.

``current_plan(uow)`` is THE way every stage (triage, respond, notify, review) gets the plan: it
returns the parsed ``Plan`` of the highest applied version. Each call costs one indexed query for the
latest version's number and hash; the parsed plan is cached by that hash, so the YAML is parsed once
per version and process, and a version applied by another process (the CLI while ``serve`` runs) is
in force on the next call.

Every version is kept exactly as applied (text, SHA-256, who, when, note, what changed) and audited
as ``plan.apply``. Reading needs ``plan:read``, applying ``plan:write``.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import load_only

from ironwatch.core.canonical import sha256_hex
from ironwatch.core.errors import (
    ConfigurationError,
    ConflictError,
    IntegrityError,
    NotFoundError,
    ValidationError,
)
from ironwatch.core.ids import new_id
from ironwatch.core.permissions import Permission
from ironwatch.notify.secrets import Secrets
from ironwatch.plan.diff import PlanChange, diff_plans
from ironwatch.plan.loader import parse_plan
from ironwatch.plan.models import Plan
from ironwatch.plan.problems import PlanError
from ironwatch.plan.readiness import Readiness, check_readiness
from ironwatch.plan.render import Format, render_plan
from ironwatch.store.tables import PlanVersionRow
from ironwatch.store.uow import UnitOfWork

MAX_NOTE_CHARS = 2000
MAX_SOURCE_CHARS = 300
#: how many changed paths a version's summary (and its audit entry) lists; the rest are counted
MAX_SUMMARY_PATHS = 100
NO_PLAN_HINT = (
    "apply one with `ironwatch plan apply FILE` (start from `ironwatch plan init`), "
    "or start `ironwatch serve`, which applies the starter plan on a fresh install"
)


@dataclass(frozen=True)
class VersionInfo:
    """One applied version without its text: number, hash, origin, note, who and when, what changed.

    ``summary`` is ``{"previous": N|None, "added": n, "removed": n, "changed": n,
    "paths": [{"kind": ..., "path": ...}, ...], "more": n}`` (``more`` counts paths not listed).
    """

    version: int
    sha256: str
    source: str
    note: str
    applied_by: str
    applied_at: datetime
    summary: dict[str, Any]


@dataclass(frozen=True)
class PlanVersion:
    """An applied version with its YAML text exactly as applied and the parsed plan."""

    info: VersionInfo
    text: str
    plan: Plan


class _ParsedPlans:
    """Parsed plans by the SHA-256 of their text: parsing is pure, so a hash names one plan everywhere."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._plans: OrderedDict[str, Plan] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str) -> Plan | None:
        with self._lock:
            plan = self._plans.get(digest)
            if plan is not None:
                self._plans.move_to_end(digest)
            return plan

    def put(self, digest: str, plan: Plan) -> None:
        with self._lock:
            self._plans[digest] = plan
            self._plans.move_to_end(digest)
            while len(self._plans) > self._size:
                self._plans.popitem(last=False)


_PARSED = _ParsedPlans(size=8)


def text_sha256(text: str) -> str:
    """The SHA-256 (hex) of a plan's UTF-8 text, as stored with each version."""
    return sha256_hex(text.encode("utf-8"))


def _info(row: PlanVersionRow) -> VersionInfo:
    return VersionInfo(
        version=row.version,
        sha256=row.sha256,
        source=row.source,
        note=row.note,
        applied_by=row.applied_by,
        applied_at=row.applied_at,
        summary=row.summary,
    )


def _stored_plan(version: int, digest: str, text: str) -> Plan:
    """The parsed plan of a stored version, from the cache or parsed (and checked) now."""
    cached = _PARSED.get(digest)
    if cached is not None:
        return cached
    if text_sha256(text) != digest:
        raise IntegrityError(
            f"the stored text of plan version {version} does not match its SHA-256",
            hint="it was changed behind ironwatch's back; run `ironwatch audit verify` and apply a good plan",
        )
    try:
        plan = parse_plan(text, source=f"plan version {version}")
    except PlanError as exc:
        raise ConfigurationError(
            f"plan version {version} no longer validates: {exc.problems[0]}",
            hint="export it with `ironwatch plan show --yaml`, fix it with `ironwatch plan validate` "
            "and apply it again",
        ) from exc
    _PARSED.put(digest, plan)
    return plan


def _latest_row(uow: UnitOfWork) -> PlanVersionRow | None:
    return uow.session.scalars(
        select(PlanVersionRow).order_by(PlanVersionRow.version.desc()).limit(1)
    ).one_or_none()


def _row(uow: UnitOfWork, version: int | None) -> PlanVersionRow:
    if version is None:
        row = _latest_row(uow)
        if row is None:
            raise NotFoundError("no plan has been applied yet", hint=NO_PLAN_HINT)
        return row
    row = uow.session.scalars(select(PlanVersionRow).where(PlanVersionRow.version == version)).one_or_none()
    if row is None:
        raise NotFoundError(
            f"there is no plan version {version}",
            hint="versions are numbered from 1; list them with `ironwatch plan history`",
        )
    return row


def _summary(previous: int | None, changes: list[PlanChange]) -> dict[str, Any]:
    counts = Counter(change.kind for change in changes)
    listed = changes[:MAX_SUMMARY_PATHS]
    return {
        "previous": previous,
        "added": counts["added"],
        "removed": counts["removed"],
        "changed": counts["changed"],
        "paths": [{"kind": c.kind, "path": c.path} for c in listed],
        "more": len(changes) - len(listed),
    }


def _plain_text(value: str, what: str, limit: int, *, lines: bool) -> str:
    text = value.strip()
    if len(text) > limit:
        raise ValidationError(
            f"the {what} is {len(text)} characters long", hint=f"use at most {limit} characters"
        )
    allowed = "\n\t" if lines else ""
    if any((ord(c) < 32 and c not in allowed) or ord(c) == 127 for c in text):
        raise ValidationError(
            f"the {what} contains control characters", hint="use plain text" if lines else "use one line"
        )
    return text


def apply_plan(
    uow: UnitOfWork, text: str, *, source: str, note: str = ""
) -> tuple[VersionInfo, list[PlanChange]]:
    """Validate plan YAML ``text`` and store it as the next version; return it and what it changed.

    A broken plan raises ``PlanError`` listing every problem at ``source:line:column``; the same text as
    the plan in force is refused (``ConflictError``), since a version that changes nothing would only
    blur the history. The text is stored exactly as given; the change is audited as ``plan.apply`` with
    the summary of changes. Needs ``plan:write``.

    Example: ``info, changes = apply_plan(uow, Path("plan.yaml").read_text(), source="plan.yaml")``
    """
    uow.principal.require(Permission.PLAN_WRITE)
    source = _plain_text(source, "source name", MAX_SOURCE_CHARS, lines=False) or "plan.yaml"
    note = _plain_text(note, "note", MAX_NOTE_CHARS, lines=True)
    plan = parse_plan(text, source=source)
    digest = text_sha256(text)
    latest = _latest_row(uow)
    if latest is not None and latest.sha256 == digest:
        raise ConflictError(
            f"this plan is already in force as version {latest.version} "
            f"(applied {latest.applied_at:%Y-%m-%d %H:%M} UTC by {latest.applied_by}); nothing was changed",
            hint="edit the plan first; `ironwatch plan history` lists the versions",
        )
    changes = (
        diff_plans(_stored_plan(latest.version, latest.sha256, latest.text), plan)
        if latest is not None
        else []
    )
    row = PlanVersionRow(
        id=new_id(),
        version=latest.version + 1 if latest is not None else 1,
        text=text,
        sha256=digest,
        source=source,
        note=note,
        applied_by=uow.principal.name,
        applied_at=uow.clock.now(),
        summary=_summary(latest.version if latest is not None else None, changes),
    )
    uow.set_action("plan.apply")
    uow.session.add(row)
    uow.flush()
    uow.set_action(None)
    _PARSED.put(digest, plan)
    return _info(row), changes


def current_plan(uow: UnitOfWork) -> Plan:
    """The plan in force (the highest applied version), parsed; THE way every stage reads the plan.

    Cheap to call per event or request: one indexed query, then the parsed plan cached by its hash.
    Raises ``NotFoundError`` when no plan has been applied. Needs ``plan:read``.
    """
    uow.principal.require(Permission.PLAN_READ)
    head = uow.session.execute(
        select(PlanVersionRow.version, PlanVersionRow.sha256).order_by(PlanVersionRow.version.desc()).limit(1)
    ).first()
    if head is None:
        raise NotFoundError("no plan has been applied yet", hint=NO_PLAN_HINT)
    version, digest = head
    cached = _PARSED.get(digest)
    if cached is not None:
        return cached
    text = uow.session.scalars(select(PlanVersionRow.text).where(PlanVersionRow.version == version)).one()
    return _stored_plan(version, digest, text)


def latest_version(uow: UnitOfWork) -> VersionInfo | None:
    """The version in force, or None before any plan was applied. Needs ``plan:read``."""
    uow.principal.require(Permission.PLAN_READ)
    row = _latest_row(uow)
    return _info(row) if row is not None else None


def get_version(uow: UnitOfWork, version: int | None = None) -> PlanVersion:
    """Version ``version`` (default: the one in force) with its text and parsed plan. Needs ``plan:read``."""
    uow.principal.require(Permission.PLAN_READ)
    row = _row(uow, version)
    return PlanVersion(_info(row), row.text, _stored_plan(row.version, row.sha256, row.text))


def list_versions(uow: UnitOfWork) -> list[VersionInfo]:
    """Every applied version, newest first, without their texts. Needs ``plan:read``."""
    uow.principal.require(Permission.PLAN_READ)
    columns = (
        PlanVersionRow.id,
        PlanVersionRow.version,
        PlanVersionRow.sha256,
        PlanVersionRow.source,
        PlanVersionRow.note,
        PlanVersionRow.applied_by,
        PlanVersionRow.applied_at,
        PlanVersionRow.summary,
    )
    rows = uow.session.scalars(
        select(PlanVersionRow).options(load_only(*columns)).order_by(PlanVersionRow.version.desc())
    ).all()
    return [_info(row) for row in rows]


def diff_versions(uow: UnitOfWork, old: int, new: int) -> list[PlanChange]:
    """What changes from version ``old`` to version ``new`` (either order). Needs ``plan:read``."""
    return diff_plans(get_version(uow, old).plan, get_version(uow, new).plan)


def readiness(uow: UnitOfWork, *, horizon_days: int = 7) -> tuple[VersionInfo, Readiness]:
    """The plan in force scored now (the unit of work's clock), with the version scored.

    See ``ironwatch.plan.readiness`` for the checks and the score. Needs ``plan:read``.
    """
    current = get_version(uow)
    result = check_readiness(
        current.plan, now=uow.clock.now(), horizon_days=horizon_days, secret_problem=secret_problem
    )
    return current.info, result


def secret_problem(name: str) -> str | None:
    """Why the secret ``name`` cannot be read by this process (None when it can); never its value."""
    try:
        Secrets().get(name)
    except ConfigurationError as exc:
        return exc.message
    return None


def render_document(uow: UnitOfWork, fmt: Format, *, version: int | None = None) -> bytes:
    """The policy document of version ``version`` (default: in force) as Markdown, HTML or PDF bytes."""
    return render_plan(get_version(uow, version).plan, fmt)
