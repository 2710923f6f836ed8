"""Where detectors are registered: ``build_detectors`` returns every detector ``serve`` runs.

Each detector slice (correlation, anomalies, threat intelligence) adds one line below. It is called
once when detection starts and again whenever the rule set in force changes (a rule loaded, enabled
or disabled), with the compiled rules, so correlations follow the rules; a detector whose state
must outlive rule changes keeps it outside the object it returns here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ironwatch.detect.detector import Detector
from ironwatch.detect.sigma.loader import RuleSet

if TYPE_CHECKING:
    from ironwatch.bootstrap import Runtime


def build_detectors(runtime: Runtime, ruleset: RuleSet) -> list[Detector]:
    """Every extra detector for this rule set (each slice adds its line here)."""
    del runtime, ruleset  # correlation, anomaly and intel detectors register here
    return []
