"""Sigma detection: load and compile rules, evaluate them on flat events, explain verdicts."""

from ironwatch.detect.sigma.engine import Engine, EngineStats
from ironwatch.detect.sigma.explain import ExplainNode
from ironwatch.detect.sigma.ir import RuleIR
from ironwatch.detect.sigma.loader import RuleSet, load_rules
from ironwatch.detect.sigma.logsource import LogsourceMap
from ironwatch.detect.sigma.match import Match
from ironwatch.detect.sigma.report import LoadReport, RuleFailure, RuleNote

__all__ = [
    "Engine",
    "EngineStats",
    "ExplainNode",
    "LoadReport",
    "LogsourceMap",
    "Match",
    "RuleFailure",
    "RuleIR",
    "RuleNote",
    "RuleSet",
    "load_rules",
]
