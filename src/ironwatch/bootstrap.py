"""The composition root: builds the store and services for the API, the CLI and workers.

Nothing is built at import time; ``build_runtime`` is called once per process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ironwatch.access import service as access
from ironwatch.core.clock import Clock, SystemClock
from ironwatch.core.domain_events import Subscribers
from ironwatch.core.errors import ConflictError
from ironwatch.core.principal import Principal, system_principal
from ironwatch.detect import rule_loading
from ironwatch.notify import comms_plan as notify_comms_plan
from ironwatch.obligations import service as obligations
from ironwatch.plan import service as plans
from ironwatch.plan.starter import init_plan_text
from ironwatch.settings import Settings
from ironwatch.store import migrate
from ironwatch.store.audit import install_audit_hook
from ironwatch.store.blobs import BlobStore
from ironwatch.store.db import Database
from ironwatch.store.evidence_store import EvidenceStore, LocalEvidenceStore
from ironwatch.store.uow import UnitOfWork
from ironwatch.triage import handlers as triage

log = logging.getLogger("ironwatch")


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    #: the slices' domain-event handlers (``core.domain_events``), registered by ``build_runtime``
    subscribers: Subscribers = field(default_factory=Subscribers)

    @property
    def attachments(self) -> BlobStore:
        """Where attachment content is kept: ``IRONWATCH_HOME/attachments``, named by SHA-256."""
        return BlobStore(self.settings.home / "attachments")

    @property
    def rule_cache(self) -> Path:
        """Where compiled rule files are cached by content: ``IRONWATCH_HOME/rule-cache``."""
        return self.settings.home / "rule-cache"

    @cached_property
    def evidence_store(self) -> EvidenceStore:
        """Where evidence content is kept: ``IRONWATCH_HOME/evidence``, or the configured S3 bucket."""
        return evidence_store_for(self.settings)

    def uow(self, principal: Principal, *, write: bool = False) -> UnitOfWork:
        return UnitOfWork(
            self.db,
            principal,
            self.clock,
            write=write,
            subscribers=self.subscribers,
            evidence_store=self.evidence_store,
        )

    def close(self) -> None:
        self.db.dispose()


def evidence_store_for(settings: Settings) -> EvidenceStore:
    """The evidence store the settings name (S3 when a bucket is set, else local under the home).

    boto3 is imported only when a bucket is configured: it costs a third of a second at start
    and most installations keep evidence on local disk.
    """
    if not settings.evidence_s3_bucket:
        return LocalEvidenceStore(settings.home / "evidence", max_bytes=settings.evidence_max_bytes)
    from ironwatch.store.evidence_s3 import S3EvidenceStore

    secret = settings.evidence_s3_secret_access_key
    return S3EvidenceStore(
        staging_root=settings.home / "evidence",
        bucket=settings.evidence_s3_bucket,
        prefix=settings.evidence_s3_prefix,
        max_bytes=settings.evidence_max_bytes,
        endpoint_url=settings.evidence_s3_endpoint,
        region=settings.evidence_s3_region,
        access_key_id=settings.evidence_s3_access_key_id,
        secret_access_key=secret.get_secret_value() if secret else None,
    )


def build_runtime(
    settings: Settings | None = None, *, clock: Clock | None = None, upgrade: bool = True
) -> Runtime:
    """Open the database (migrating it to the current schema unless told not to)."""
    settings = settings or Settings()
    settings.home.mkdir(parents=True, exist_ok=True, mode=0o700)
    install_audit_hook()
    db = Database(settings.effective_database_url)
    if upgrade and migrate.current_revision(db) != migrate.head_revision():
        log.info("upgrading the database schema to %s", migrate.head_revision())
        migrate.upgrade(db)
    runtime = Runtime(settings=settings, db=db, clock=clock or SystemClock())
    subscribe_slices(runtime.subscribers)
    return runtime


def subscribe_slices(subscribers: Subscribers) -> None:
    """Register every slice's domain-event handlers (each slice adds its line here)."""
    triage.subscribe(subscribers)
    obligations.subscribe(subscribers)
    notify_comms_plan.subscribe(subscribers)


def ensure_first_admin(runtime: Runtime) -> str | None:
    """On first start, create the admin ``admin`` from IRONWATCH_ADMIN_PASSWORD if no admin exists."""
    password = runtime.settings.admin_password
    with runtime.uow(system_principal("bootstrap"), write=True) as uow:
        if access.count_admins(uow) > 0 or not password:
            return None
        access.create_user(
            uow, username="admin", role="admin", password=password, display_name="Administrator"
        )
        uow.commit()
    return "admin"


STARTER_SOURCE = "starter plan"


def ensure_starter_plan(runtime: Runtime) -> int | None:
    """On a fresh install, apply the starter plan for IRONWATCH_ORG_NAME as version 1, as the system.

    Returns the version applied, or None when a plan is already in force (every later start). Two
    processes starting at once apply it once: the loser's insert clashes and it leaves it at that.
    """
    try:
        with runtime.uow(system_principal("bootstrap"), write=True) as uow:
            if plans.latest_version(uow) is not None:
                return None
            info, _ = plans.apply_plan(
                uow,
                init_plan_text(runtime.settings.org_name),
                source=STARTER_SOURCE,
                note="starter plan applied on first start; adapt it with `ironwatch plan` and apply it",
            )
            uow.commit()
    except ConflictError:
        return None
    return info.version


def ensure_detection_rules(
    runtime: Runtime, paths: list[Path] | None = None
) -> list[tuple[str, rule_loading.LoadSummary]]:
    """On every start: load the built-in rules and the configured rule paths (unchanged files cost a hash).

    Then any other stored file whose compiled forms an older compiler wrote is compiled again.

    Returns ``(what, summary)`` per source so ``serve`` can report compiled and failed rules.
    """
    done: list[tuple[str, rule_loading.LoadSummary]] = []
    sources: list[tuple[str, list[Path] | None]] = [("built-in rules", None)]
    sources += [(str(path), [path]) for path in (paths if paths is not None else runtime.settings.rule_paths)]
    for what, given in sources:
        with runtime.uow(system_principal("rules"), write=True) as uow:
            if given is None:
                summary = rule_loading.load_builtin_rules(uow, cache_dir=runtime.rule_cache)
            else:
                summary = rule_loading.load_rule_paths(uow, given, cache_dir=runtime.rule_cache)
            uow.commit()
        done.append((what, summary))
    with runtime.uow(system_principal("rules"), write=True) as uow:
        stale = rule_loading.refresh_stale_rules(uow, cache_dir=runtime.rule_cache)
        uow.commit()
    if stale.files:
        done.append(("rules compiled by an older version", stale))
    return done
