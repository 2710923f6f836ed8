"""Loading rule files: every rule is compiled or reported with a reason; nothing is dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from ironwatch.core.errors import ValidationError
from ironwatch.detect.sigma import Engine, load_rules

from .rule_text import rule_yaml

CORPUS_RULES = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "sigma" / "rules"

SIMPLE = "sel:\n  Image|endswith: '\\cmd.exe'\ncondition: sel"


def test_backreference_regex_is_refused_with_the_re2_reason(load_yaml) -> None:
    report = load_yaml(rule_yaml("sel:\n  CommandLine|re: '(a)\\1'\ncondition: sel")).report
    assert report.loaded == 0
    (failure,) = report.failed
    assert "RE2" in failure.reason
    assert "\\1" in failure.reason
    assert failure.location.file.endswith("rule0.yml")


def test_lookahead_regex_is_refused(load_yaml) -> None:
    report = load_yaml(rule_yaml("sel:\n  CommandLine|re: 'a(?=b)'\ncondition: sel")).report
    assert report.loaded == 0 and "RE2" in report.failed[0].reason


def test_unresolved_placeholder_is_reported(load_yaml) -> None:
    report = load_yaml(rule_yaml("sel:\n  User|expand: '%admins%'\ncondition: sel")).report
    assert report.loaded == 0
    assert "%admins%" in report.failed[0].reason


def test_placeholder_values_come_from_the_mapping(load_yaml) -> None:
    ruleset = load_yaml(
        rule_yaml("sel:\n  User|expand: '%admins%'\ncondition: sel"),
        placeholders={"admins": ["alice", "bo*"]},
    )
    engine = Engine(ruleset)
    base = {"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1}
    assert engine.evaluate({**base, "User": "ALICE"})
    assert engine.evaluate({**base, "User": "bobby"})
    assert not engine.evaluate({**base, "User": "eve"})


def test_statuses_and_kinds_are_sorted_into_buckets(load_yaml) -> None:
    deprecated = rule_yaml(SIMPLE, rule_id="00000000-0000-0000-0000-000000000002").replace(
        "status: test", "status: deprecated"
    )
    unsupported = rule_yaml(SIMPLE, rule_id="00000000-0000-0000-0000-000000000003").replace(
        "status: test", "status: unsupported"
    )
    correlation = """title: Many shells
id: 00000000-0000-0000-0000-0000000000c1
name: many_shells
status: test
correlation:
    type: event_count
    rules: [00000000-0000-0000-0000-000000000001]
    group-by: [Computer]
    timespan: 5m
    condition: {gte: 3}
level: high
"""
    report = load_yaml(rule_yaml(SIMPLE), deprecated, unsupported, correlation).report
    assert report.loaded == 1
    assert len(report.deprecated) == 1 and len(report.unsupported) == 1
    assert report.correlations == 1
    assert report.by_status == {"test": 1}
    assert not report.failed


def test_broken_yaml_is_reported_with_its_line(load_yaml) -> None:
    report = load_yaml("title: x\ndetection:\n  sel: [unclosed\n").report
    (failure,) = report.failed
    assert "cannot parse" in failure.reason
    assert failure.location.line is not None


def test_rule_missing_condition_is_reported(load_yaml) -> None:
    report = load_yaml(rule_yaml("sel:\n  Image: x")).report
    assert report.loaded == 0 and report.failed


def test_unmapped_log_source_loads_with_a_note(load_yaml) -> None:
    text = rule_yaml(SIMPLE).replace("category: process_creation", "service: no-such-service")
    report = load_yaml(text).report
    assert report.loaded == 1
    assert "no-such-service" in report.notes[0].note


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        load_rules(paths=[tmp_path / "nope"])


def test_compile_cache_gives_the_same_rules(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "a.yml").write_text(
        rule_yaml(
            "sel:\n  CommandLine|re|i: 'net\\s+user'\n  User|cidr: '10.0.0.0/8'\n"
            "condition: sel and not 1 of filter*\nfilter1:\n  X: null"
        )
    )
    first = load_rules(paths=[folder], cache_dir=tmp_path / "cache")
    second = load_rules(paths=[folder], cache_dir=tmp_path / "cache")
    assert second.report.cached_files == 1
    assert second.rules == first.rules


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS_RULES.is_dir(), reason=f"SigmaHQ corpus not found at {CORPUS_RULES}")
def test_full_sigmahq_corpus_loads_and_accounts_for_every_rule() -> None:
    ruleset = load_rules(paths=[CORPUS_RULES])
    report = ruleset.report
    print("\n" + report.summary())
    for failure in report.failed:
        print("FAILED", failure)
    accounted = report.loaded + len(report.failed) + len(report.deprecated) + len(report.unsupported)
    assert accounted + report.correlations >= report.files
    assert report.loaded >= 3000
    assert len(report.failed) <= 30
