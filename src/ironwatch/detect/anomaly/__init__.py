"""Traffic-spike anomalies per host, interface and source address (``SpikeDetector``)."""

from __future__ import annotations

from ironwatch.detect.anomaly.detector import BaselineStore, SpikeDetector
from ironwatch.detect.anomaly.parameters import AnomalyParameters

__all__ = ["AnomalyParameters", "BaselineStore", "SpikeDetector"]
