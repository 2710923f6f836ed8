"""Required-literal clauses: a rule is evaluated only when every clause has a literal in the event."""

from __future__ import annotations

import pytest

from ironwatch.detect.sigma import Engine, RuleIR
from ironwatch.detect.sigma.literals import rule_clauses

from .conftest import LoadYaml
from .rule_text import PROCESS, rule_yaml

SHELL_DELETE = (
    "sel_img:\n  Image|endswith: '\\cmd.exe'\n"
    "sel_cli:\n  CommandLine|contains: [' del ', ' rd ']\n"
    "filter:\n  User: 'SYSTEM'\n"
    "condition: sel_img and sel_cli and not filter"
)


def _rule(load_yaml: LoadYaml, detection: str) -> RuleIR:
    (rule,) = load_yaml(rule_yaml(detection)).rules
    return rule


def test_each_and_ed_selection_gives_a_clause_and_the_negated_filter_none(load_yaml: LoadYaml) -> None:
    clauses = rule_clauses(_rule(load_yaml, SHELL_DELETE))
    assert set(clauses) == {frozenset({"\\cmd.exe"}), frozenset({" del ", " rd "})}


def test_rule_is_not_evaluated_when_one_clause_misses(load_yaml: LoadYaml) -> None:
    engine = Engine(load_yaml(rule_yaml(SHELL_DELETE)))
    shell_only = {**PROCESS, "Image": "C:\\Windows\\cmd.exe", "CommandLine": "cmd /c dir"}
    assert engine.evaluate(shell_only) == []
    assert engine.stats.candidates == 0  # skipped by the literal scan, not rejected by the matcher

    deleting = {**PROCESS, "Image": "C:\\Windows\\cmd.exe", "CommandLine": "cmd /c DEL x.txt "}
    assert len(engine.evaluate(deleting)) == 1
    assert engine.stats.candidates == 1


def test_or_of_selections_is_distributed_into_clauses(load_yaml: LoadYaml) -> None:
    detection = (
        "a:\n  Image|endswith: '\\certutil.exe'\n  CommandLine|contains: 'urlcache'\n"
        "b:\n  Image|endswith: '\\bitsadmin.exe'\n  CommandLine|contains: 'transfer'\n"
        "condition: a or b"
    )
    clauses = set(rule_clauses(_rule(load_yaml, detection)))
    # (certutil and urlcache) or (bitsadmin and transfer): every clause takes one side of each
    assert frozenset({"\\certutil.exe", "\\bitsadmin.exe"}) in clauses
    assert frozenset({"urlcache", "transfer"}) in clauses


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        ("'whoami\\s+/all|net\\s+user'", frozenset({"whoami", "user"})),  # longest run per branch
        ("'\\w+`\\w+'", frozenset({"`"})),  # a rare single character is still worth a scan
    ],
)
def test_regex_literals(load_yaml: LoadYaml, regex: str, expected: frozenset[str]) -> None:
    clauses = rule_clauses(_rule(load_yaml, f"sel:\n  CommandLine|re: {regex}\ncondition: sel"))
    assert clauses == (expected,)


@pytest.mark.parametrize(
    "detection",
    [
        "sel:\n  CommandLine|re: 'a\\d+|x'\ncondition: sel",  # an alternative with no usable literal
        "filter:\n  Image|endswith: '.exe'\ncondition: not filter",  # negation only
    ],
)
def test_rules_without_a_required_literal_are_always_evaluated(load_yaml: LoadYaml, detection: str) -> None:
    rule = _rule(load_yaml, detection)
    assert rule_clauses(rule) == ()
    engine = Engine([rule])
    engine.evaluate({**PROCESS, "Image": "C:\\x\\y.dat", "CommandLine": "zzz"})
    assert engine.stats.candidates == 1


def test_a_clause_found_in_most_windows_events_is_not_kept_as_a_veto(load_yaml: LoadYaml) -> None:
    detection = (
        "sel_img:\n  Image|endswith: '.exe'\n"
        "sel_dir:\n  CurrentDirectory|contains: '\\windows\\'\n"
        "sel_cli:\n  CommandLine|contains: 'sekurlsa::'\n"
        "condition: all of sel_*"
    )
    rule = _rule(load_yaml, detection)
    assert rule_clauses(rule) == (frozenset({"sekurlsa::"}),)
    engine = Engine([rule])
    event = {
        **PROCESS,
        "Image": "C:\\x\\m.exe",
        "CurrentDirectory": "C:\\Windows\\",
        "CommandLine": "sekurlsa::x",
    }
    assert len(engine.evaluate(event)) == 1
    assert engine.evaluate({**event, "Image": "C:\\x\\m.com"}) == []  # the matcher still tests `.exe`


def test_a_common_literal_can_still_trigger_a_rule_that_has_nothing_rarer(load_yaml: LoadYaml) -> None:
    rule = _rule(load_yaml, "sel:\n  Image|endswith: '.exe'\ncondition: sel")
    assert rule_clauses(rule) == (frozenset({".exe"}),)


PING_HEX = (
    "sel_img:\n  Image|endswith: '\\ping.exe'\n"
    "sel_hex:\n  CommandLine|contains: '0x'\n"
    "sel_cli:\n  CommandLine|contains: ' -n '\n"
    "condition: sel_img and sel_hex and sel_cli"
)


def test_a_clause_of_very_short_literals_triggers_but_never_vetoes(load_yaml: LoadYaml) -> None:
    """`0x` is in most process events (logon ids): scanning for it as a veto costs a hit each time."""
    engine = Engine(load_yaml(rule_yaml(PING_HEX)))
    plain = {**PROCESS, "Image": "C:\\Windows\\ping.exe", "CommandLine": "ping -n 1 host"}
    assert engine.evaluate(plain) == []  # no 0x: the rule does not match...
    assert engine.stats.candidates == 1  # ...but the 2-byte clause did not keep it from evaluation
    (plan,) = engine._plans.values()
    assert "0x" not in plan.literals  # not scanned for at all
    assert {"\\ping.exe", " -n "} <= set(plan.literals)

    no_count = {**PROCESS, "Image": "C:\\Windows\\ping.exe", "CommandLine": "ping 0x7f000001"}
    assert engine.evaluate(no_count) == []
    assert engine.stats.candidates == 1  # the 4-byte clause ' -n ' still vetoes
    hexed = {**PROCESS, "Image": "C:\\Windows\\ping.exe", "CommandLine": "ping -n 1 0x7f000001"}
    assert len(engine.evaluate(hexed)) == 1
