"""Where detectors are registered: every detector ``serve`` runs beside the Sigma engine.

Two kinds, each slice adds its line to one of the functions:

- :func:`standing_detectors` are built once when detection starts and keep their state for the
  life of the process (beaconing, traffic-spike baselines, threat intelligence): they do not
  depend on the Sigma rules.
- :func:`rule_detectors` are rebuilt whenever the rule set in force changes (a rule loaded,
  enabled or disabled), with the compiled rules: the correlator, whose correlations are rules.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ironwatch.core.principal import system_principal
from ironwatch.detect.anomaly.build import stored_spike_detector
from ironwatch.detect.beacon import BeaconDetector
from ironwatch.detect.correlation import Correlator
from ironwatch.detect.detector import Detector
from ironwatch.detect.intel.stream import stored_intel_matcher
from ironwatch.detect.sigma.loader import RuleSet

if TYPE_CHECKING:
    from ironwatch.bootstrap import Runtime

log = logging.getLogger("ironwatch.detect")
DETECTION = system_principal("detection")


def standing_detectors(runtime: Runtime) -> list[Detector]:
    """Detectors built once per process (each slice adds its line here)."""
    return [
        BeaconDetector(),
        stored_spike_detector(runtime.settings, lambda: runtime.uow(DETECTION, write=True)),
        stored_intel_matcher(lambda: runtime.uow(DETECTION)),
    ]


def rule_detectors(runtime: Runtime, ruleset: RuleSet) -> list[Detector]:
    """Detectors built per rule set (each slice adds its line here)."""
    del runtime
    detectors: list[Detector] = []
    if ruleset.correlations:
        correlator = Correlator.from_ruleset(ruleset)
        for failure in correlator.failures:
            log.warning("correlation rule left out: %s", failure)
        detectors.append(correlator)
    return detectors


def build_detectors(runtime: Runtime, ruleset: RuleSet) -> list[Detector]:
    """Every extra detector for this rule set: the standing ones (new) and the rule ones."""
    return [*standing_detectors(runtime), *rule_detectors(runtime, ruleset)]
