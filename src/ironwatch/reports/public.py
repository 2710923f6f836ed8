"""The public intake: reports without credentials, when switched on, rate limited per address."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Self

from sqlalchemy import select

from ironwatch.core.errors import NotFoundError, RateLimitedError
from ironwatch.core.rate import Rate
from ironwatch.settings import Settings
from ironwatch.store.tables import ReportRow
from ironwatch.store.uow import UnitOfWork

DISABLED_HINT = (
    "sign in and report with POST /api/v1/reports (or `ironwatch report submit`); an administrator "
    "can accept reports without sign-in by setting IRONWATCH_PUBLIC_REPORTS=true"
)


@dataclass(frozen=True)
class PublicIntake:
    """Whether reports without credentials are accepted, and how many per source address."""

    enabled: bool
    rate: Rate

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(enabled=settings.public_reports, rate=settings.public_report_limit)


def check_public_intake(uow: UnitOfWork, intake: PublicIntake) -> None:
    """Refuse a public report before its body is read: 404 when switched off, 429 over the rate.

    The rate counts the public reports accepted from the caller's address in the last period
    (a sliding window kept in the database, so it holds across restarts and workers). In a
    writing unit of work the count and the following write are one turn among writers.
    """
    if not intake.enabled:
        raise NotFoundError("reporting without signing in is not enabled here", hint=DISABLED_HINT)
    if uow.write:
        uow.take_turn()  # two reports from one address at the same instant cannot both slip through
    source = uow.principal.source_ip or "unknown"
    now = uow.clock.now()
    recent = list(
        uow.session.scalars(
            select(ReportRow.submitted_at)
            .where(
                ReportRow.anonymous.is_(True),
                ReportRow.source_ip == source,
                ReportRow.submitted_at > now - intake.rate.period,
            )
            .order_by(ReportRow.submitted_at)
        ).all()
    )
    if len(recent) >= intake.rate.count:
        # the window frees a slot when enough of the oldest submissions have aged out of it
        frees_at = recent[len(recent) - intake.rate.count] + intake.rate.period
        retry_after = max(1, math.ceil((frees_at - now).total_seconds()))
        raise RateLimitedError(
            f"too many reports from this address: at most {intake.rate.count} per "
            f"{_period(intake.rate)} without signing in",
            retry_after=retry_after,
            hint=f"try again in {retry_after} seconds, or sign in to report",
        )


def _period(rate: Rate) -> str:
    seconds = int(rate.period.total_seconds())
    for unit, length in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % length == 0:
            count = seconds // length
            return unit if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"
