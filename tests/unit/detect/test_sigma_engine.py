"""The engine: matches carry what triage needs; routing and prefilter never change the verdict."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from ironwatch.core.errors import NotFoundError
from ironwatch.detect.evtx_fields import iter_evtx_events
from ironwatch.detect.sigma import Engine, load_rules
from ironwatch.detect.sigma.prefilter import SCANNER_KINDS, ScannerKind, hyperscan
from ironwatch.detect.speedups import native

from .rule_text import PROCESS, SYSMON, rule_yaml

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"

SHELL = "sel:\n  Image|endswith: '\\cmd.exe'\nfilter:\n  User: 'SYSTEM'\ncondition: sel and not filter"
RULE_ID = "00000000-0000-0000-0000-000000000001"


@pytest.fixture
def engine(load_yaml) -> Engine:
    return Engine(load_yaml(rule_yaml(SHELL, title="Shell started")))


def test_match_carries_rule_identity_fields_and_entities(engine: Engine) -> None:
    event = {
        **PROCESS,
        "Image": "C:\\Windows\\cmd.exe",
        "User": "CORP\\alice",
        "host.name": "ws1",
        "source.ip": "10.0.0.5",
        "@timestamp": "2024-01-01T00:00:00Z",
    }
    (match,) = engine.evaluate(event)
    assert (match.rule_id, match.title, match.level) == (RULE_ID, "Shell started", "high")
    assert match.tags == ("attack.execution", "attack.t1059.001")
    assert match.attack_techniques == ("T1059.001",)
    assert match.fields == {"Image": "C:\\Windows\\cmd.exe", "User": "CORP\\alice"}
    assert match.entities == {"host": "ws1", "user": "CORP\\alice", "source_address": "10.0.0.5"}
    assert match.timestamp == "2024-01-01T00:00:00Z"


def test_dedup_key_depends_on_rule_and_entities_only(engine: Engine) -> None:
    base = {**PROCESS, "Image": "c:\\cmd.exe", "host.name": "ws1"}
    first = engine.evaluate({**base, "CommandLine": "a"})[0]
    second = engine.evaluate({**base, "CommandLine": "b"})[0]
    other_host = engine.evaluate({**base, "host.name": "ws2"})[0]
    assert first.dedup_key == second.dedup_key
    assert first.dedup_key != other_host.dedup_key


def test_rules_only_see_events_of_their_log_source(engine: Engine) -> None:
    event = {"Channel": "Security", "EventID": 4688, "Image": "c:\\cmd.exe"}
    assert engine.evaluate(event) == []
    assert engine.evaluate({**event, "Channel": SYSMON, "EventID": 1})


def test_disabled_rule_does_not_match_and_can_be_enabled_again(engine: Engine) -> None:
    event = {**PROCESS, "Image": "c:\\cmd.exe"}
    engine.set_enabled(RULE_ID, False)
    assert engine.evaluate(event) == [] and not engine.is_enabled(RULE_ID)
    engine.set_enabled(RULE_ID, True)
    assert len(engine.evaluate(event)) == 1


def test_unknown_rule_id_is_not_found(engine: Engine) -> None:
    with pytest.raises(NotFoundError):
        engine.set_enabled("nope", False)


def test_explain_says_which_selection_failed_and_why(engine: Engine) -> None:
    event = {**PROCESS, "Image": "c:\\cmd.exe", "User": "system"}
    tree = engine.explain(RULE_ID, event)
    assert tree.matched is False
    text = tree.render()
    assert "[x] sel" in text
    assert "[x] filter" in text
    assert "[ ] not" in text
    assert "User = 'system'" in text


def test_explain_agrees_with_evaluate_when_matching(engine: Engine) -> None:
    event = {**PROCESS, "Image": "c:\\cmd.exe"}
    assert engine.explain(RULE_ID, event).matched is True
    assert "field User is absent" in engine.explain(RULE_ID, event).render()


def test_budget_overrun_is_counted_and_skipped_rules_reported(load_yaml) -> None:
    rules = [
        rule_yaml(
            "sel:\n  Image|contains: 'a'\ncondition: sel", rule_id=f"00000000-0000-0000-0000-00000000010{n}"
        )
        for n in range(3)
    ]
    engine = Engine(load_yaml(*rules), budget_seconds=0.0)
    matches = engine.evaluate({**PROCESS, "Image": "a"})
    assert len(matches) == 1
    assert engine.stats.budget_overruns == 1
    assert sum(engine.stats.skipped_by_budget.values()) == 2


@pytest.mark.parametrize("kind", SCANNER_KINDS)
def test_every_literal_scanner_gives_the_same_matches(load_yaml, kind: ScannerKind) -> None:
    ruleset = load_yaml(
        rule_yaml(SHELL),
        rule_yaml(
            "sel:\n  CommandLine|re: 'whoami\\s+/all'\ncondition: sel",
            rule_id="00000000-0000-0000-0000-000000000009",
        ),
    )
    if (kind == "native" and native is None) or (kind == "hyperscan" and hyperscan is None):
        pytest.skip(f"{kind} is not installed here")
    fast, fallback = Engine(ruleset), Engine(ruleset, literal_scanner=kind)
    assert fallback.literal_scanner == kind
    for event in (
        {**PROCESS, "CommandLine": "WHOAMI /all"},
        {**PROCESS, "CommandLine": "whoami   /all"},
        {**PROCESS, "Image": "x\\cmd.exe"},
    ):
        assert [m.rule_id for m in fast.evaluate(event)] == [m.rule_id for m in fallback.evaluate(event)]
        assert [m.rule_id for m in fast.evaluate(event)] == fast.evaluate_all(event)


@pytest.mark.slow
@pytest.mark.skipif(not (CORPUS / "evtx").is_dir(), reason=f"public corpus not found at {CORPUS}")
def test_literal_prefilter_finds_the_same_rules_as_brute_force_on_corpus_sample(tmp_path: Path) -> None:
    engine = Engine(load_rules(paths=[CORPUS / "sigma" / "rules" / "windows"], cache_dir=tmp_path))
    files = sorted((CORPUS / "evtx").rglob("*.evtx"))
    sample = random.Random(7).sample(files, 40)
    checked = matched = 0
    for path in sample:
        for event in iter_evtx_events(path):
            found = [m.rule_id for m in engine.evaluate(event)]
            assert found == engine.evaluate_all(event), f"{path}: {event.get('EventRecordID')}"
            checked += 1
            matched += bool(found)
    assert checked > 500 and matched > 10


def test_matchers_are_built_and_generated_outside_the_budget(load_yaml, monkeypatch) -> None:
    from ironwatch.detect.sigma import engine as engine_module

    rules = [
        rule_yaml(
            "sel:\n  Image|contains: 'a'\ncondition: sel", rule_id=f"00000000-0000-0000-0000-00000000020{n}"
        )
        for n in range(3)
    ]
    engine = Engine(load_yaml(*rules), budget_seconds=0.01)
    assert engine._matchers == [None, None, None]
    closures, generate = engine_module.rule_matcher, engine_module.build_matcher

    def slowly(build):
        def slow(*args):
            time.sleep(0.02)  # longer than the whole budget
            return build(*args)

        return slow

    monkeypatch.setattr(engine_module, "rule_matcher", slowly(closures))
    monkeypatch.setattr(engine_module, "build_matcher", slowly(generate))
    event = {**PROCESS, "Image": "a"}
    for _ in range(engine_module.WARM_EVALUATIONS - 1):
        assert len(engine.evaluate(event)) == 3
    assert not any(getattr(m, "__code__", None) for m in engine._matchers)  # still the closure trees
    assert len(engine.evaluate(event)) == 3
    assert all(m.__code__.co_filename == "<sigma rule>" for m in engine._matchers)  # generated now
    assert len(engine.evaluate(event)) == 3
    assert engine.evaluate({**PROCESS, "Image": "b"}) == []
    assert engine.stats.budget_overruns == 0


def test_remembered_candidates_are_bounded_and_equal_to_fresh_ones(load_yaml, monkeypatch) -> None:
    from ironwatch.detect.sigma import engine as engine_module

    words = ["alpha", "bravo", "charlie", "delta"]
    rules = [
        rule_yaml(
            f"sel:\n  CommandLine|contains: '{word}'\ncondition: sel",
            rule_id=f"00000000-0000-0000-0000-00000000030{n}",
        )
        for n, word in enumerate(words)
    ]
    ruleset = load_yaml(*rules)
    monkeypatch.setattr(engine_module, "MAX_REMEMBERED_HITS", 2)
    engine = Engine(ruleset)
    events = [{**PROCESS, "CommandLine": " ".join(words[:n] + words[n + 1 :][:n])} for n in range(4)] * 3
    for event in events:
        expected = sorted(index for index, word in enumerate(words) if word in str(event["CommandLine"]))
        assert engine.candidates(event) == expected
        assert [m.rule_id for m in engine.evaluate(event)] == engine.evaluate_all(event)
    (plan,) = engine._plans.values()
    assert 0 < len(plan.remembered) <= 2


def test_matches_of_one_event_share_entities_by_value_not_by_object(load_yaml) -> None:
    rules = [
        rule_yaml(
            "sel:\n  Image|contains: 'a'\ncondition: sel", rule_id=f"00000000-0000-0000-0000-00000000040{n}"
        )
        for n in range(2)
    ]
    first, second = Engine(load_yaml(*rules)).evaluate({**PROCESS, "Image": "a", "host.name": "ws1"})
    assert first.entities == second.entities == {"host": "ws1"}
    first.entities["user"] = "changed"
    assert second.entities == {"host": "ws1"}


def test_dedup_keys_are_the_stored_ones_whether_remembered_or_not() -> None:
    from ironwatch.core.canonical import canonical_json, sha256_hex
    from ironwatch.detect.sigma.match import dedup_key

    entities = {"host": "ws1", "user": "CORP\\alice"}
    stored = sha256_hex(canonical_json({"rule": "r1", "entities": entities}))[:32]
    assert dedup_key("r1", entities) == dedup_key("r1", dict(reversed(entities.items()))) == stored
    assert dedup_key("r1", entities) == stored  # the remembered answer is the same
    group = {"source_address": ["10.0.0.1", "10.0.0.2"]}  # unhashable: computed every time
    assert dedup_key("c1", group) == sha256_hex(canonical_json({"rule": "c1", "entities": group}))[:32]  # type: ignore[arg-type]


def test_remembered_candidates_are_bounded_over_all_plans(load_yaml, monkeypatch) -> None:
    from ironwatch.detect.sigma import engine as engine_module

    ruleset = load_yaml(
        rule_yaml("sel:\n  CommandLine|contains: 'alpha'\ncondition: sel"),
        rule_yaml("sel:\n  CommandLine|contains: 'bravo'\ncondition: sel", rule_id=RULE_ID[:-1] + "2"),
    )
    monkeypatch.setattr(engine_module, "MAX_REMEMBERED_TOTAL", 3)
    engine = Engine(ruleset)
    texts = ["alpha", "bravo", "alpha bravo"]
    for provider in ("Microsoft-Windows-Sysmon", "Sysmon-Test"):  # two route plans, each scanning
        for text in texts:
            event = {**PROCESS, "Provider_Name": provider, "CommandLine": text}
            assert [m.rule_id for m in engine.evaluate(event)] == engine.evaluate_all(event)
    assert len(engine._plans) == 2
    assert all(plan.scanner is not None for plan in engine._plans.values())
    remembered = sum(len(plan.remembered) for plan in engine._plans.values())
    assert 0 < remembered <= 3  # six hit sets seen, three at most kept
    assert engine._remembered == remembered
    engine.set_enabled(RULE_ID, False)
    assert engine._remembered == 0
