"""Sigma correlation rules: the rule data (``spec``) and the streaming evaluator (``Correlator``).

``from ironwatch.detect.correlation import Correlator`` is the entry point the detection sink
uses: ``Correlator.from_ruleset(load_rules(...))`` is a detector (``observe``/``tick``).
"""

from ironwatch.detect.correlation.correlator import Correlator, CorrelatorStats
from ironwatch.detect.correlation.spec import CorrelationSpec
from ironwatch.detect.correlation.window import CorrelationLimits

__all__ = ["CorrelationLimits", "CorrelationSpec", "Correlator", "CorrelatorStats"]
