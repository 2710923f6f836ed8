"""parse_plan/load_plan: every problem at once, each at its line and column, with a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import line_of, problems_of, replace_once
from ironwatch.core.errors import ValidationError
from ironwatch.plan.loader import load_plan, parse_plan
from ironwatch.plan.problems import PlanError


def test_minimal_plan_loads_with_typed_values(minimal_plan):
    assert minimal_plan.organisation.name == "Tiny Co"
    assert minimal_plan.priority.priorities[0].acknowledge.total_seconds() == 15 * 60
    assert minimal_plan.assets[0].addresses == ("mail.tiny.example", "192.0.2.7")
    assert minimal_plan.classification.base == "enisa-rsit"


def test_plan_error_is_a_validation_error_with_problem_details(minimal_text):
    with pytest.raises(ValidationError) as caught:
        parse_plan(replace_once(minimal_text, "records: 500", "records: many"), source="x.yaml")
    assert isinstance(caught.value, PlanError)
    assert caught.value.details["problems"][0]["path"] == "data_types[0].records"
    assert "x.yaml:" in str(caught.value)


def test_yaml_syntax_error_points_at_the_line(minimal_text):
    text = replace_once(minimal_text, "    - id: bob\n", "    - id: bob\n   name: [unclosed\n")
    [problem] = problems_of(text)
    assert "YAML syntax error" in problem.message
    assert problem.location.line is not None
    assert abs(problem.location.line - line_of(text, "name: [unclosed")) <= 1


def test_wrong_type_names_path_and_line(minimal_text):
    text = replace_once(minimal_text, "records: 500", "records: many")
    [problem] = problems_of(text)
    assert problem.path == "data_types[0].records"
    assert problem.location.line == line_of(text, "records: many")
    assert problem.location.column == len("    records: ") + 1
    assert "integer" in problem.message


def test_missing_required_section_is_reported(minimal_text):
    start = minimal_text.index("priority:\n")
    end = minimal_text.index("assets:\n")
    [problem] = problems_of(minimal_text[:start] + minimal_text[end:])
    assert "required key 'priority' is missing" in problem.message
    assert problem.hint == "add 'priority:' to the plan"


def test_unknown_key_suggests_the_closest_name(minimal_text):
    text = replace_once(minimal_text, "      email: ann@tiny.example", "      emial: ann@tiny.example")
    [problem] = problems_of(text)
    assert problem.message == "team.people[0]: unknown key 'emial'"
    assert problem.hint is not None and problem.hint.startswith("did you mean 'email'?")
    assert problem.location.line == line_of(text, "emial:")
    assert problem.location.column == 7


def test_unknown_top_level_section_suggests_the_section(minimal_text):
    text = minimal_text.replace("stakeholders:\n", "stakeholder:\n")
    [problem] = problems_of(text)
    assert "unknown key 'stakeholder'" in problem.message
    assert "did you mean 'stakeholders'" in (problem.hint or "")


def test_duplicate_person_id_points_at_the_second_entry(minimal_text):
    text = replace_once(minimal_text, "    - id: bob\n", "    - id: ann\n")
    problems = problems_of(text)
    duplicate = [p for p in problems if "duplicate person id 'ann'" in p.message]
    assert len(duplicate) == 1
    assert duplicate[0].path == "team.people[1]"
    assert duplicate[0].location.line == line_of(text, "- id: ann", occurrence=2)


def test_role_referencing_unknown_person_lists_known_people(minimal_text):
    text = replace_once(minimal_text, "      member: bob\n", "      member: carol\n")
    [problem] = problems_of(text)
    assert problem.message == "unknown person 'carol'"
    assert problem.hint == "use one of: ann, bob"
    assert problem.path == "team.roles[1].member"
    assert problem.location.line == line_of(text, "member: carol")


def test_rota_referencing_unknown_person_is_reported(minimal_text):
    text = replace_once(minimal_text, "        people: [ann, bob]", "        people: [ann, zed]")
    [problem] = problems_of(text)
    assert problem.path == "team.on_call.rotations[0].people[1]"
    assert problem.message == "unknown person 'zed'"


def test_incomplete_priority_matrix_names_the_missing_cell(minimal_text):
    text = replace_once(minimal_text, "    low: {high: P3, low: P4}", "    low: {high: P3}")
    [problem] = problems_of(text)
    assert problem.message == "priority matrix row 'low' has no priority for urgency low"
    assert problem.location.line == line_of(text, "low: {high: P3}")


def test_missing_matrix_row_is_reported(minimal_text):
    text = replace_once(minimal_text, "    low: {high: P3, low: P4}\n", "")
    [problem] = problems_of(text)
    assert "no row for impact 'low'" in problem.message


def test_invalid_email_is_reported_with_an_example(minimal_text):
    text = replace_once(minimal_text, "email: bob@tiny.example", "email: bob-at-tiny")
    [problem] = problems_of(text)
    assert problem.path == "team.people[1].email"
    assert "'bob-at-tiny' is not a valid email address" in problem.message
    assert problem.location.line == line_of(text, "bob-at-tiny")


def test_naive_datetime_in_rota_asks_for_an_offset(minimal_text):
    text = replace_once(minimal_text, "start: 2026-03-02T09:00:00+01:00", "start: 2026-03-02T09:00:00")
    [problem] = problems_of(text)
    assert problem.path == "team.on_call.shifts[0].start"
    assert "timezone" in problem.message
    assert "UTC offset" in (problem.hint or "")


def test_non_ascending_sla_targets_are_refused(minimal_text):
    text = replace_once(
        minimal_text,
        "{id: P3, name: Medium, acknowledge: 4h, contain: 1d, resolve: 7d}",
        "{id: P3, name: Medium, acknowledge: 30m, contain: 1d, resolve: 7d}",
    )
    [problem] = problems_of(text)
    assert problem.message == "P3's acknowledge target is shorter than P2's"
    assert problem.path == "priority.priorities[2].acknowledge"
    assert problem.location.line == line_of(text, "id: P3")


def test_unknown_taxonomy_parent_lists_classes(minimal_text):
    extra = (
        "classification:\n  categories:\n    - id: deepfake\n      name: Deepfake\n"
        "      description: Synthetic media.\n      parent: frauds\n"
    )
    text = minimal_text + extra
    [problem] = problems_of(text)
    assert problem.message == "unknown parent class 'frauds'"
    assert "fraud" in (problem.hint or "")
    assert problem.location.line == line_of(text, "parent: frauds")


def test_playbook_id_must_be_a_string_id(minimal_text):
    extra = "classification:\n  categories:\n    - {id: spam, name: Spam, description: B., playbook: 42}\n"
    [problem] = problems_of(minimal_text + extra)
    assert problem.path == "classification.categories[0].playbook"
    assert "string" in problem.message


def test_duplicate_yaml_key_is_reported(minimal_text):
    text = replace_once(minimal_text, "  name: Tiny Co\n", "  name: Tiny Co\n  name: Other Co\n")
    [problem] = problems_of(text)
    assert "duplicate key 'name'" in problem.message
    assert problem.location.line == line_of(text, "name: Other Co")


def test_unquoted_date_in_a_text_field_hints_to_quote(minimal_text):
    text = replace_once(minimal_text, 'version: "1.0"', "version: 2026-01-01")
    [problem] = problems_of(text)
    assert problem.hint == "YAML read this as a date; put the value in quotes"


def test_bad_duration_explains_the_format(minimal_text):
    text = replace_once(minimal_text, "after: 30m", "after: 30 minutes")
    [problem] = problems_of(text)
    assert "is not a duration" in problem.message
    assert "15m" in problem.message


def test_every_problem_is_reported_at_once_in_file_order(minimal_text):
    # One breakage per section: a section's reference checks run once its own fields are valid.
    text = replace_once(minimal_text, "email: bob@tiny.example", "email: nope")
    text = replace_once(text, "course: ir-basics", "course: ir-advanced")
    text = replace_once(text, "    low: {high: P3, low: P4}", "    low: {high: P3}")
    text = replace_once(text, "records: 500", "records: many")
    text = replace_once(text, "  owner: Ann\n", "  owner: Ann\n  colour: blue\n")
    problems = problems_of(text)
    assert len(problems) == 5
    assert any(p.message == "unknown course 'ir-advanced'" for p in problems)
    lines = [p.location.line or 0 for p in problems]
    assert lines == sorted(lines)


def test_empty_file_and_non_mapping_root_are_explained():
    [empty] = problems_of("# nothing here\n")
    assert "empty" in empty.message
    [scalar] = problems_of("just text\n")
    assert "mapping of sections" in scalar.message


def test_recursive_alias_is_refused_without_recursing_forever(minimal_text):
    [problem] = problems_of("a: &loop\n  - *loop\n")
    assert "aliases" in (problem.hint or "")


def test_load_plan_reads_a_file_and_reports_a_missing_one(tmp_path: Path, minimal_text):
    path = tmp_path / "plan.yaml"
    path.write_text(minimal_text, encoding="utf-8")
    assert load_plan(path).organisation.name == "Tiny Co"
    with pytest.raises(PlanError) as caught:
        load_plan(tmp_path / "absent.yaml")
    assert caught.value.problems[0].message == "the plan file does not exist"
    assert caught.value.problems[0].location.file.endswith("absent.yaml")
