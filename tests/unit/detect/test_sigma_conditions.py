"""Condition forms: and/or/not, parentheses, quantifiers with patterns, `them`."""

from __future__ import annotations

import pytest

from .rule_text import rule_yaml

DETECTIONS = """
sel_a:
  Image|endswith: '\\a.exe'
sel_b:
  User: 'bob'
filter_x:
  CommandLine|contains: 'safe'
"""

CASES = [
    ("sel_a and sel_b", {"Image": "c:\\a.exe", "User": "bob"}, True),
    ("sel_a and sel_b", {"Image": "c:\\a.exe", "User": "eve"}, False),
    ("sel_a or sel_b", {"Image": "z", "User": "bob"}, True),
    ("sel_a and not filter_x", {"Image": "c:\\a.exe", "CommandLine": "a safe run"}, False),
    ("sel_a and not filter_x", {"Image": "c:\\a.exe"}, True),  # absent field: the filter is false
    ("not sel_a", {"Image": "c:\\b.exe"}, True),
    ("(sel_a or sel_b) and not filter_x", {"User": "bob", "CommandLine": "x"}, True),
    ("sel_a or sel_b and filter_x", {"Image": "c:\\a.exe"}, True),  # and binds tighter than or
    ("(sel_a or sel_b) and filter_x", {"Image": "c:\\a.exe"}, False),
    ("1 of sel_*", {"User": "bob"}, True),
    ("all of sel_*", {"User": "bob"}, False),
    ("all of sel_*", {"User": "bob", "Image": "x\\a.exe"}, True),
    ("1 of them", {"CommandLine": "safe"}, True),
    ("all of them", {"User": "bob", "Image": "x\\a.exe"}, False),
    ("all of them", {"User": "bob", "Image": "x\\a.exe", "CommandLine": "safe"}, True),
    ("1 of sel_* and not 1 of filter_*", {"User": "bob", "CommandLine": "safe"}, False),
    ("any of sel_*", {"Image": "x\\a.exe"}, True),
]


@pytest.mark.parametrize(("condition", "fields", "expected"), CASES, ids=[f"{c[0]}|{c[1]}" for c in CASES])
def test_condition_forms(matches, condition: str, fields: dict[str, object], expected: bool) -> None:
    assert matches(DETECTIONS + f"condition: {condition}\n", fields) is expected


def test_several_conditions_are_or_linked(matches) -> None:
    detection = DETECTIONS + "condition:\n  - sel_a\n  - sel_b\n"
    assert matches(detection, {"User": "bob"}) is True
    assert matches(detection, {"User": "eve"}) is False


def test_condition_naming_unknown_detection_fails_with_reason(load_yaml) -> None:
    report = load_yaml(rule_yaml(DETECTIONS + "condition: sel_a and nothere\n")).report
    assert report.loaded == 0
    assert "nothere" in report.failed[0].reason


def test_quantifier_matching_nothing_fails_with_reason(load_yaml) -> None:
    report = load_yaml(rule_yaml(DETECTIONS + "condition: 1 of zzz_*\n")).report
    assert report.loaded == 0
    assert "zzz_*" in report.failed[0].reason
