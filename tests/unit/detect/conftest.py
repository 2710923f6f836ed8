"""Build engines from hand-written Sigma YAML for the detection unit tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from ironwatch.detect.sigma import Engine, RuleSet, load_rules
from ironwatch.detect.sigma.codegen import compiled_rule_matcher
from ironwatch.detect.sigma.event_view import EventView
from ironwatch.detect.sigma.matchers import rule_matcher

from .rule_text import PROCESS, rule_yaml

LoadYaml = Callable[..., RuleSet]


@pytest.fixture
def load_yaml(tmp_path: Path) -> LoadYaml:
    """Write YAML documents to files and load them: ``load_yaml(text, ..., placeholders=...)``."""

    def load(*texts: str, placeholders: Mapping[str, Sequence[str]] | None = None) -> RuleSet:
        folder = tmp_path / f"rules{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        for number, text in enumerate(texts):
            (folder / f"rule{number}.yml").write_text(text, encoding="utf-8")
        return load_rules(paths=[folder], placeholders=placeholders)

    return load


@pytest.fixture
def matches(load_yaml: LoadYaml) -> Callable[[str, Mapping[str, object]], bool]:
    """``matches(detection, event_fields)``: does a one-rule engine match a process-creation event?"""

    def check(detection: str, fields: Mapping[str, object]) -> bool:
        ruleset = load_yaml(rule_yaml(detection))
        assert not ruleset.report.failed, [str(failure) for failure in ruleset.report.failed]
        engine = Engine(ruleset)
        event = {**PROCESS, **fields}
        found = bool(engine.evaluate(event))
        assert found == bool(engine.evaluate_all(event)), "prefilter and brute force disagree"
        (rule,) = ruleset.rules
        # the engine starts a rule on its closure tree and switches to the generated function once
        # the rule is warm: both must give the engine's verdict
        closures = rule_matcher(rule.detections, rule.conditions)
        generated = compiled_rule_matcher(rule.detections, rule.conditions)
        assert found == closures(EventView(event)), "closure tree disagrees with the engine"
        assert found == generated(EventView(event)), "generated function disagrees with the engine"
        return found

    return check
