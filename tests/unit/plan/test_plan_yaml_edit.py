"""replace_value: one section of a plan's YAML rewritten, every other byte (comments too) kept."""

from __future__ import annotations

import yaml

from ironwatch.plan.loader import parse_plan
from ironwatch.plan.starter import init_plan_text
from ironwatch.plan.yaml_edit import replace_value


def test_replacing_a_block_section_keeps_the_text_around_it() -> None:
    text = "a: 1  # one\nlist:\n  - x: 1\n    y: [1, 2]\n\n# banner\nz: 2\n"
    result = replace_value(text, ("list",), [{"x": 3}])
    assert result == "a: 1  # one\nlist:\n  - x: 3\n\n# banner\nz: 2\n"


def test_a_missing_key_is_added_at_the_end_of_its_mapping() -> None:
    text = "a: 1\ntraining:\n  courses: []\n\n# tail\nz: 2\n"
    result = replace_value(text, ("training", "completions"), [{"person": "ann"}])
    assert result == "a: 1\ntraining:\n  courses: []\n  completions:\n    - person: ann\n\n# tail\nz: 2\n"


def test_missing_parents_are_created_and_flow_mappings_rewritten() -> None:
    assert yaml.safe_load(replace_value("a: 1\n", ("t", "c"), [1, 2])) == {"a": 1, "t": {"c": [1, 2]}}
    text = "a: 1\ntraining: {exercise_interval: 180d}\n# tail\n"
    result = replace_value(text, ("training", "completions"), [{"person": "ann"}])
    assert yaml.safe_load(result) == {
        "a": 1,
        "training": {"exercise_interval": "180d", "completions": [{"person": "ann"}]},
    }
    assert result.endswith("# tail\n")


def test_a_literal_block_scalar_at_the_end_of_a_section_is_replaced_cleanly() -> None:
    text = "notes:\n  - |\n    line one\n    line two\nnext: 1\n"
    assert replace_value(text, ("notes",), ["x"]) == "notes: [x]\nnext: 1\n"


def test_the_starter_plan_with_new_completions_still_parses_and_keeps_its_comments() -> None:
    text = init_plan_text("Acme Ltd")
    record = {"person": "alex", "course": "incident-handling", "completed_on": "2026-01-10"}
    result = replace_value(text, ("training", "completions"), [record])
    plan = parse_plan(result)
    assert plan.training.completions[0].person == "alex"
    removed = [line for line in text.splitlines() if line not in result.splitlines()]
    assert removed == ["  completions: []"]
