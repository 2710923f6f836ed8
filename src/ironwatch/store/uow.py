"""The unit of work: the one place that commits."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Self

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from ironwatch.core.clock import Clock
from ironwatch.core.domain_events import DomainEvent, Subscribers
from ironwatch.core.errors import ConfigurationError, ConflictError
from ironwatch.core.principal import Principal
from ironwatch.store.audit import AuditContext, lock_chain
from ironwatch.store.db import Database
from ironwatch.store.evidence_store import EvidenceStore

log = logging.getLogger("ironwatch.store")


def _clash() -> ConflictError:
    return ConflictError(
        "the change clashes with data written at the same time or already present",
        hint="reload and try again",
    )


class UnitOfWork:
    """A transaction on behalf of one principal.

    ``with UnitOfWork(db, principal, clock, write=True) as uow: ...; uow.commit()``. Leaving
    the block without ``commit()`` rolls back. Every write flushed in it is audited with the
    principal as actor.
    """

    def __init__(
        self,
        db: Database,
        principal: Principal,
        clock: Clock,
        *,
        write: bool = False,
        subscribers: Subscribers | None = None,
        evidence_store: EvidenceStore | None = None,
    ) -> None:
        self.db = db
        self._evidence_store = evidence_store
        self.subscribers = subscribers or Subscribers()
        self.published: list[DomainEvent] = []
        self.principal = principal
        self.clock = clock
        self.write = write
        self._session: Session | None = None
        self._undo: list[Callable[[], None]] = []
        self._after_commit: list[Callable[[], None]] = []

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open; use it in a with-block")
        return self._session

    @property
    def evidence_store(self) -> EvidenceStore:
        """Where evidence content goes (configured by the runtime, like the clock)."""
        if self._evidence_store is None:
            raise ConfigurationError(
                "this unit of work has no evidence store",
                hint="open it with runtime.uow(...), which passes the configured store",
            )
        return self._evidence_store

    def __enter__(self) -> Self:
        self._session = self.db.session(write=self.write)
        self._session.info["audit"] = AuditContext(
            actor=self.principal.name, source_ip=self.principal.source_ip
        )
        self._undo = []
        self._after_commit = []
        return self

    def act_as(self, principal: Principal) -> None:
        """Continue as another principal (a login turning an anonymous request into a user's)."""
        self.principal = principal
        self.set_action(None)

    @contextmanager
    def acting_as(self, principal: Principal) -> Iterator[None]:
        """Act as ``principal`` inside the block, then go back to the previous actor *and* action name.

        For a domain-event handler that reacts as the system (``system:triage``) in the middle of
        someone else's change: what it writes is audited under its name, and what the caller writes
        afterwards keeps the caller's name and action (``report.submit_public``...).
        """
        saved_principal, saved_audit = self.principal, self.session.info.get("audit")
        self.act_as(principal)
        try:
            yield
        finally:
            self.principal = saved_principal
            self.session.info["audit"] = saved_audit

    def set_action(self, action: str | None) -> None:
        """Name the next audited changes (e.g. ``incident.transition``) instead of create/update."""
        self.session.info["audit"] = AuditContext(
            actor=self.principal.name, source_ip=self.principal.source_ip, action=action
        )

    def flush(self) -> None:
        """Send pending writes (and their audit entries) now; a clash is a ``ConflictError`` as on commit."""
        try:
            self.session.flush()
        except sa_exc.IntegrityError as exc:
            self.session.rollback()
            raise _clash() from exc

    def take_turn(self) -> None:
        """Wait for other writers now, not at the first flush, so that a check-then-write is exact.

        For checks such as a rate limit that count rows and then add one: until this
        transaction ends, no other writer can add rows between the count and the write.
        """
        if not self.write:
            raise RuntimeError("only a writing unit of work takes turns with other writers")
        lock_chain(self.session)

    def publish(self, event: DomainEvent) -> None:
        """Tell the subscribed slices, now and in this transaction (see ``core.domain_events``).

        A handler's failure fails the change that caused it: a notification or SLA clock that
        must follow an incident is never silently skipped.
        """
        if not self.write:
            raise RuntimeError("only a writing unit of work publishes domain events")
        self.published.append(event)
        for handler in self.subscribers.handlers_for(event.kind):
            handler(self, event)

    def on_rollback(self, undo: Callable[[], None]) -> None:
        """Run ``undo`` if this unit of work ends without committing.

        For side effects outside the database (a file written for a row in this transaction):
        they are taken back when the rows they belong to are not kept.
        """
        self._undo.append(undo)

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` once this unit of work has committed (and never if it does not).

        For side effects that must not happen unless the rows saying so are kept, such as
        deleting the stored content of destroyed evidence. A failing action is logged, not
        raised: the commit stands.
        """
        self._after_commit.append(action)

    def _run_undo(self) -> None:
        undo, self._undo = self._undo, []
        for action in reversed(undo):
            try:
                action()
            except Exception:
                log.exception("could not take back a side effect of a rolled-back unit of work")

    def commit(self) -> None:
        if not self.write:
            raise RuntimeError("this unit of work was opened read-only")
        try:
            self.session.commit()
        except sa_exc.IntegrityError as exc:
            self.session.rollback()
            self._run_undo()
            raise _clash() from exc
        except BaseException:
            self._run_undo()
            raise
        self._undo = []
        done, self._after_commit = self._after_commit, []
        for action in done:
            try:
                action()
            except Exception:
                log.exception("could not complete an after-commit step of a unit of work")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session = self._session
        self._session = None
        if session is not None:
            # close() alone releases the connection and detaches objects without expiring them,
            # so what a read returned stays usable; an unfinished write is rolled back first.
            if (
                self.write
                and session.in_transaction()
                and (session.new or session.dirty or session.deleted or exc)
            ):
                session.rollback()
            session.close()
        self._after_commit = []
        self._run_undo()
