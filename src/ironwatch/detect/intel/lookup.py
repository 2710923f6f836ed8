"""Looking one value up among the stored indicators, the way the stream matcher would match it."""

from __future__ import annotations

from sqlalchemy import select

from ironwatch.core.permissions import Permission
from ironwatch.detect.intel import schemas as s
from ironwatch.detect.intel.index import IndicatorIndex, IndicatorRecord
from ironwatch.detect.intel.indicator import check_indicator
from ironwatch.detect.intel.service import RECORD_FIELDS, view
from ironwatch.store.tables import IndicatorRow
from ironwatch.store.uow import UnitOfWork


def _suffixes(name: str) -> list[str]:
    labels = name.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def lookup_value(uow: UnitOfWork, value: str, *, type: str | None = None) -> s.LookupResult:
    """Every stored indicator (active or not) that ``value`` would match in an event.

    An address matches equal addresses and the networks containing it; a domain matches itself
    and its parents; a URL matches itself and its host's domains; hashes and mailboxes exactly.
    """
    uow.principal.require(Permission.INTEL_READ)
    kind, normalised = check_indicator(type, value)
    rows = IndicatorRow.__table__.c
    if kind in ("ipv4", "ipv6"):
        query = select(IndicatorRow).where(
            ((rows.type == kind) & (rows.value == normalised)) | (rows.type == "cidr")
        )
    elif kind == "domain":
        query = select(IndicatorRow).where(rows.type == "domain", rows.value.in_(_suffixes(normalised)))
    elif kind == "url":
        host = normalised.split("/", 3)[2].rsplit(":", 1)[0]
        query = select(IndicatorRow).where(
            ((rows.type == "url") & (rows.value == normalised))
            | ((rows.type == "domain") & rows.value.in_(_suffixes(host)))
        )
    else:
        query = select(IndicatorRow).where(rows.type == kind, rows.value == normalised)
    candidates = {row.id: row for row in uow.session.scalars(query)}
    index = IndicatorIndex(
        IndicatorRecord(*(getattr(row, n) for n in RECORD_FIELDS)) for row in candidates.values()
    )
    if kind in ("ipv4", "ipv6"):
        found = index.match_address(normalised)
    elif kind == "domain":
        found = index.match_domain(normalised)
    else:
        found = [r for bucket in index.exact.values() for records in bucket.values() for r in records]
    now = uow.clock.now()
    ordered = sorted({r.id for r in found})
    return s.LookupResult(
        value=value, type=kind, normalised=normalised, matches=[view(candidates[i], now) for i in ordered]
    )
