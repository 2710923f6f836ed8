"""Respond: playbook versions, playbook runs on incidents, and guarded action requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ironwatch.store.tables.base import Base
from ironwatch.store.types import JSONDoc, UTCDateTime


class PlaybookVersionRow(Base):
    """One loaded version of a playbook file; the highest ``version`` per ``playbook_id`` is in force.

    Rows are only ever added, like plan versions, and audited, so the text that ran is provable.
    """

    __tablename__ = "playbook_versions"
    __audit_type__ = "playbook_version"
    __table_args__ = (UniqueConstraint("playbook_id", "version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    playbook_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    #: the YAML text exactly as loaded
    text: Mapped[str] = mapped_column(Text, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    source: Mapped[str] = mapped_column(String(300), nullable=False)
    loaded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class PlaybookRunRow(Base):
    """A playbook started on an incident: which version, by whom, and what each step became."""

    __tablename__ = "playbook_runs"
    __audit_type__ = "playbook_run"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), nullable=False, index=True)
    playbook_id: Mapped[str] = mapped_column(String(64), nullable=False)
    #: 0 for the built-in library's text, else the stored version
    playbook_version: Mapped[int] = mapped_column(Integer, nullable=False)
    playbook_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    dry_run: Mapped[bool] = mapped_column(nullable=False)
    started_by: Mapped[str] = mapped_column(String(200), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: per step: {"phase", "step", "kind": task|action|skipped, "task_id"|"action_ids"|"reason"}
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, nullable=False)


class ActionRequestRow(Base):
    """One automated action on an incident and everything that happened to it.

    The status follows ``respond.states``; every change is an audited row update named
    ``action.<what>`` (request, approve, reject, start, succeed, fail, undo, expire, interrupt), so the
    incident's audit trail holds each request, approval, execution, output and undo.
    """

    __tablename__ = "action_requests"
    __audit_type__ = "action"
    __table_args__ = (
        Index("ix_action_requests_status_next", "status", "next_attempt_at"),
        Index("ix_action_requests_run_position", "run_id", "position"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), nullable=False, index=True)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("playbook_runs.id"))
    #: order within the run: a run's actions go one after another
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    step_id: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    connector: Mapped[str] = mapped_column(String(64), nullable=False)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
    destructive: Mapped[bool] = mapped_column(nullable=False)
    dry_run: Mapped[bool] = mapped_column(nullable=False)
    on_failure: Mapped[str] = mapped_column(String(12), nullable=False, default="manual")
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    #: passed to the connector on every try, so a retried call is recognised by the far side
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    requested_by: Mapped[str] = mapped_column(String(200), nullable=False)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: who holds it while running (host:pid) and until when; a lapsed lease means the runner died
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: a temporary action (a block with a duration) is undone at this time by the runner
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undo_requested_by: Mapped[str | None] = mapped_column(String(200))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the connector's report: summary, details (argv, ruleset...), verified, output (bounded)
    result: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")
