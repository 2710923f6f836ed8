"""Rules compiled to one generated function: same verdicts as the closure tree, no rule text run as code."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ironwatch.detect.evtx_fields import iter_evtx_events
from ironwatch.detect.sigma import Engine, codegen, load_rules
from ironwatch.detect.sigma.codegen import compiled_rule_matcher, rule_source
from ironwatch.detect.sigma.event_view import EventView
from ironwatch.detect.sigma.logsource import route_admits
from ironwatch.detect.sigma.matchers import rule_matcher
from ironwatch.detect.sigma.routing import routing_key

from .rule_text import PROCESS, rule_yaml

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"
HOSTILE = "'); raise SystemExit('escaped') #\n\\\"{x}"


def _both(ruleset, event: dict[str, object]) -> tuple[bool, bool]:
    (rule,) = ruleset.rules
    view = EventView({**PROCESS, **event})
    generated = compiled_rule_matcher(rule.detections, rule.conditions)
    return generated(view), rule_matcher(rule.detections, rule.conditions)(EventView({**PROCESS, **event}))


def test_rule_values_and_field_names_are_data_not_code(load_yaml) -> None:
    detection = (
        "sel:\n"
        "  CommandLine|contains: \"'); raise SystemExit('escaped') #\"\n"
        "  \"Odd'Field\": 'x'\n"
        "condition: sel"
    )
    ruleset = load_yaml(rule_yaml(detection))
    (rule,) = ruleset.rules
    text, _ = rule_source(rule.detections, rule.conditions)
    assert "raise systemexit('escaped')" in text  # lowercased, only inside a string literal
    engine = Engine(ruleset)
    hit = {**PROCESS, "CommandLine": f"run {HOSTILE}", "Odd'Field": "X"}
    assert len(engine.evaluate(hit)) == 1
    assert engine.evaluate({**hit, "Odd'Field": "y"}) == []


def test_long_value_lists_match_like_the_closures(load_yaml) -> None:
    names = [f"'\\\\tool{n}.exe'" for n in range(40)]
    detection = "sel:\n  Image|endswith:\n" + "".join(f"    - {name}\n" for name in names) + "condition: sel"
    ruleset = load_yaml(rule_yaml(detection))
    for image, expected in (("C:\\x\\TOOL39.exe", True), ("C:\\x\\tool40.exe", False), ("tool1.exe", False)):
        assert _both(ruleset, {"Image": image}) == (expected, expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(["a.exe", "C:\\x\\cmd.exe"], True), (["a.exe", None], False), ([], False), (None, False)],
)
def test_list_and_null_values_take_the_same_path(load_yaml, value: object, expected: bool) -> None:
    ruleset = load_yaml(rule_yaml("sel:\n  Image|endswith: '\\cmd.exe'\ncondition: sel"))
    assert _both(ruleset, {"Image": value}) == (expected, expected)


def test_rule_too_large_for_one_function_keeps_its_closures(load_yaml, monkeypatch) -> None:
    ruleset = load_yaml(rule_yaml("sel:\n  Image|endswith: '\\cmd.exe'\ncondition: sel"))
    (rule,) = ruleset.rules
    monkeypatch.setattr(codegen, "MAX_SOURCE_CHARS", 10)
    matcher = compiled_rule_matcher(rule.detections, rule.conditions)
    assert matcher.__code__.co_filename != "<sigma rule>"
    assert matcher(EventView({**PROCESS, "Image": "c:\\cmd.exe"})) is True
    monkeypatch.undo()
    assert compiled_rule_matcher(rule.detections, rule.conditions).__code__.co_filename == "<sigma rule>"


@pytest.mark.slow
@pytest.mark.skipif(not (CORPUS / "evtx").is_dir(), reason=f"public corpus not found at {CORPUS}")
def test_generated_functions_agree_with_closures_on_corpus_sample(tmp_path: Path) -> None:
    ruleset = load_rules(paths=[CORPUS / "sigma" / "rules" / "windows"], cache_dir=tmp_path)
    pairs = [
        (
            rule,
            compiled_rule_matcher(rule.detections, rule.conditions),
            rule_matcher(rule.detections, rule.conditions),
        )
        for rule in ruleset.rules
    ]
    files = random.Random(11).sample(sorted((CORPUS / "evtx").rglob("*.evtx")), 40)
    compared = matched = 0
    for path in files:
        for event in iter_evtx_events(path):
            key = routing_key(event)
            for rule, generated, closures in pairs:
                if not route_admits(rule.route, *key):
                    continue
                verdict = generated(EventView(event))
                assert verdict == closures(EventView(event)), (
                    f"{rule.title}: {path} {event.get('EventRecordID')}"
                )
                compared += 1
                matched += verdict
    assert compared > 50_000 and matched > 10
