"""The ``SpikeDetector`` as ``serve`` runs it: parameters from the settings, baselines in the database."""

from __future__ import annotations

from collections.abc import Callable

from ironwatch.detect.anomaly.detector import SpikeDetector
from ironwatch.detect.anomaly.parameters import AnomalyParameters
from ironwatch.detect.anomaly.persistence import StoredBaselines
from ironwatch.settings import Settings
from ironwatch.store.uow import UnitOfWork


def stored_spike_detector(settings: Settings, open_uow: Callable[[], UnitOfWork]) -> SpikeDetector:
    """A ``SpikeDetector`` with ``IRONWATCH_ANOMALY_*`` parameters whose baselines survive restarts.

    ``open_uow`` opens a writing unit of work as the detection principal, e.g.
    ``stored_spike_detector(runtime.settings, lambda: runtime.uow(DETECTION, write=True))``. Call
    ``close()`` at stop to save the latest baselines.
    """
    return SpikeDetector(AnomalyParameters.from_settings(settings), store=StoredBaselines(open_uow))
