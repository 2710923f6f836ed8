"""Where detectors are registered: ``build_detectors`` returns every detector ``serve`` runs.

Each detector slice (correlation, anomalies, threat intelligence) adds its line below. It is called
once when detection starts and again whenever the rule set in force changes (a rule loaded, enabled
or disabled), with the compiled rules, so correlations follow the rules; a detector whose state
must outlive rule changes keeps it outside the object it returns here.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ironwatch.detect.beacon import BeaconDetector
from ironwatch.detect.correlation import Correlator
from ironwatch.detect.detector import Detector
from ironwatch.detect.sigma.loader import RuleSet

if TYPE_CHECKING:
    from ironwatch.bootstrap import Runtime

log = logging.getLogger("ironwatch.detect")


def build_detectors(runtime: Runtime, ruleset: RuleSet) -> list[Detector]:
    """Every extra detector for this rule set (each slice adds its line here)."""
    del runtime
    detectors: list[Detector] = []
    if ruleset.correlations:
        correlator = Correlator.from_ruleset(ruleset)
        for failure in correlator.failures:
            log.warning("correlation rule left out: %s", failure)
        detectors.append(correlator)
    detectors.append(BeaconDetector())
    return detectors
