"""The ``IntelMatcher`` as ``serve`` runs it: reloading from the database when a feed changes."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from ironwatch.detect.intel import service
from ironwatch.detect.intel.index import IndicatorIndex
from ironwatch.detect.intel.matcher import IntelMatcher
from ironwatch.store.uow import UnitOfWork


def stored_intel_matcher(open_uow: Callable[[], UnitOfWork], *, refresh_seconds: float = 5.0) -> IntelMatcher:
    """An ``IntelMatcher`` over the stored indicators.

    ``open_uow`` opens a read unit of work as the detection principal, e.g.
    ``stored_intel_matcher(lambda: runtime.uow(system_principal("detection")))``. The indicators
    are loaded now and again whenever ``feed_version`` changes (checked from ``tick``).
    """

    def version() -> Hashable:
        with open_uow() as uow:
            return service.feed_version(uow)

    def load() -> IndicatorIndex:
        with open_uow() as uow:
            return service.load_index(uow)

    return IntelMatcher(version=version, load=load, refresh_seconds=refresh_seconds)
