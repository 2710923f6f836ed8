"""diff_plans shows what a new plan version changes; plan_json_schema matches the loader and the docs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import replace_once
from ironwatch.plan.diff import diff_plans, plan_json_schema
from ironwatch.plan.loader import parse_plan
from ironwatch.plan.starter import init_plan_text

REPO = Path(__file__).parents[3]


def test_identical_plans_have_no_changes(minimal_plan):
    assert diff_plans(minimal_plan, minimal_plan) == []


def test_changed_field_is_reported_by_id_path(minimal_text, minimal_plan):
    new = parse_plan(replace_once(minimal_text, "phone: +1 555 0100 101", "phone: +1 555 0100 999"))
    [change] = diff_plans(minimal_plan, new)
    assert change.path == "team.people[bob].phone"
    assert (change.before, change.after, change.kind) == ("+1 555 0100 101", "+1 555 0100 999", "changed")


def test_reordering_people_is_not_a_change(minimal_text, minimal_plan):
    ann = minimal_text[minimal_text.index("    - id: ann\n") : minimal_text.index("    - id: bob\n")]
    bob = minimal_text[minimal_text.index("    - id: bob\n") : minimal_text.index("  roles:\n")]
    reordered = minimal_text.replace(ann + bob, bob + ann)
    assert reordered != minimal_text
    assert diff_plans(minimal_plan, parse_plan(reordered)) == []


def test_added_and_removed_entries(minimal_text, minimal_plan):
    text = replace_once(
        minimal_text,
        "  roles:\n",
        "    - id: cy\n      name: Cy Coder\n      email: cy@tiny.example\n  roles:\n",
    )
    text = replace_once(text, "    data_types: [customers]\n", "")
    text = replace_once(
        text,
        "data_types:\n  - id: customers\n    name: Customer records\n    kind: personal\n"
        "    jurisdictions: [EU, US-CA]\n    records: 500\n",
        "",
    )
    changes = {c.path: c for c in diff_plans(minimal_plan, parse_plan(text))}
    assert changes["team.people[cy]"].kind == "added"
    assert changes["team.people[cy]"].after["email"] == "cy@tiny.example"
    assert changes["data_types[customers]"].kind == "removed"
    assert changes["assets[mail].data_types"].before == ["customers"]


def test_durations_and_matrix_cells_diff_in_plan_form(minimal_text, minimal_plan):
    text = replace_once(minimal_text, "low: {high: P3, low: P4}", "low: {high: P2, low: P4}")
    text = replace_once(text, "acknowledge: 15m", "acknowledge: 10m")
    changes = [(c.path, c.before, c.after) for c in diff_plans(minimal_plan, parse_plan(text))]
    assert changes == [
        ("priority.priorities[P1].acknowledge", "15m", "10m"),
        ("priority.matrix.low.high", "P3", "P2"),
    ]


def _as_json(value):
    """YAML data as JSON would carry it: dates and times become ISO strings."""
    return json.loads(
        json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, dt.date | dt.time) else v)
    )


def test_starter_plan_validates_against_the_json_schema():
    data = _as_json(yaml.safe_load(init_plan_text("Example Ltd")))
    jsonschema.Draft202012Validator(plan_json_schema()).validate(data)


def test_json_schema_refuses_unknown_keys(minimal_text):
    data = _as_json(yaml.safe_load(minimal_text))
    data["team"]["people"][0]["emial"] = "x@example.org"
    with pytest.raises(jsonschema.ValidationError, match="emial"):
        jsonschema.Draft202012Validator(plan_json_schema()).validate(data)


def test_published_schema_in_docs_is_up_to_date():
    published = REPO / "docs" / "plan-schema.json"
    if not published.exists():
        pytest.fail("docs/plan-schema.json is missing; write it from plan_json_schema()")
    expected = json.dumps(plan_json_schema(), indent=2, sort_keys=True) + "\n"
    assert published.read_text(encoding="utf-8") == expected, "regenerate docs/plan-schema.json"
