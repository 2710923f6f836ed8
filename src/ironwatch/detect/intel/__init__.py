"""Threat intelligence: indicator feeds (STIX 2.1, MISP, CSV, lists) and matching them in the stream.

``IntelMatcher`` is the detector (``detect.detector.Detector``); ``stored_intel_matcher`` builds one
that follows the indicators stored by ``ironwatch intel import``.
"""

from __future__ import annotations

from ironwatch.detect.intel.index import IndicatorIndex, IndicatorRecord
from ironwatch.detect.intel.matcher import IntelMatcher

__all__ = ["IndicatorIndex", "IndicatorRecord", "IntelMatcher"]
