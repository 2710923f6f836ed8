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


PORTS = "sel:\n  DestinationPort:\n    - 443\n    - 8443\n    - 4444\ncondition: sel"
NETWORKS = (
    "sel:\n  DestinationIp|cidr:\n    - '10.0.0.0/8'\n    - '192.168.0.0/16'\n"
    "    - 'fd00::/8'\ncondition: sel"
)
REGEXES = (
    "sel:\n  - CommandLine|re: 'https?://0[0-9]{3,11}'\n  - CommandLine|re: ' [0-7]{7,13}'\n"
    "  - CommandLine|re|i: 'EVIL'\n  - Image|endswith: '\\\\ping.exe'\ncondition: sel"
)


@pytest.mark.parametrize(
    ("detection", "fields", "expected"),
    [
        (PORTS, {"DestinationPort": 4444}, True),
        (PORTS, {"DestinationPort": "8443"}, True),
        (PORTS, {"DestinationPort": 443.0}, True),
        (PORTS, {"DestinationPort": 80}, False),
        (PORTS, {"DestinationPort": True}, False),
        (PORTS, {"DestinationPort": [80, "443"]}, True),
        (NETWORKS, {"DestinationIp": "192.168.4.2"}, True),
        (NETWORKS, {"DestinationIp": "fd12::1"}, True),
        (NETWORKS, {"DestinationIp": "11.0.0.1"}, False),
        (NETWORKS, {"DestinationIp": "::ffff:10.0.0.1"}, False),  # an IPv6 address is not in 10/8
        (NETWORKS, {"DestinationIp": "not an address"}, False),
        (NETWORKS, {"DestinationIp": ["8.8.8.8", "10.1.2.3"]}, True),
        (REGEXES, {"CommandLine": "ping http://0123456"}, True),
        (REGEXES, {"CommandLine": "x 0123456"}, True),
        (REGEXES, {"CommandLine": "run evil now"}, True),  # its own flag survives the merge
        (REGEXES, {"CommandLine": "ping 8.8.8.8", "Image": "C:\\ping.exe"}, True),
        (REGEXES, {"CommandLine": "ping 8.8.8.8"}, False),
    ],
)
def test_grouped_numbers_networks_and_regexes(matches, detection: str, fields: dict, expected: bool) -> None:
    assert matches(detection, fields) is expected


def test_or_linked_lines_on_one_field_become_one_line() -> None:
    from ironwatch.detect.sigma.ir import FieldItem, RegexTest
    from ironwatch.detect.sigma.matchers import merge_alternatives

    first = FieldItem("CommandLine", (RegexTest("a"),), text="a")
    other = FieldItem("Image", (RegexTest("b"),), text="b")
    second = FieldItem("CommandLine", (RegexTest("c", "i"),), text="c")
    negated = FieldItem("CommandLine", (RegexTest("d"),), negated=True, text="d")
    merged = merge_alternatives([first, other, second, negated])
    assert merged == [
        FieldItem("CommandLine", (RegexTest("a"), RegexTest("c", "i")), text="a; c"),
        other,
        negated,
    ]
