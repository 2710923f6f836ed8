"""Playbook files: the starter library, located errors, the sandboxed expression language."""

from __future__ import annotations

import pytest

from ironwatch.plan.loader import parse_plan
from ironwatch.plan.starter import init_plan_text
from ironwatch.respond.library import built_in_playbooks
from ironwatch.respond.playbook_loader import PlaybookError, parse_playbook
from ironwatch.respond.templating import TemplateProblem, evaluate, render_value, sample_context

STARTER_IDS = {
    "malware-infection",
    "ransomware",
    "compromised-account",
    "brute-force",
    "phishing",
    "data-exfiltration",
    "web-application-attack",
    "denial-of-service",
    "insider-misuse",
    "lost-device",
}


def test_the_starter_library_has_the_ten_common_categories_and_they_validate() -> None:
    assert set(built_in_playbooks()) == STARTER_IDS


def test_each_starter_playbook_handles_categories_of_the_plan_taxonomy() -> None:
    plan = parse_plan(init_plan_text("Test"))
    categories = {c.id for c in plan.classification.effective_categories}
    for playbook_id, shipped in built_in_playbooks().items():
        assert shipped.playbook.categories, playbook_id
        assert set(shipped.playbook.categories) <= categories, playbook_id
        named = {plan.classification.playbook_for(c) for c in shipped.playbook.categories}
        assert playbook_id in named, f"the starter plan sends no category to {playbook_id}"


BAD = """\
id: bad
name: Bad
description: broken on purpose
phases:
  containment:
    - id: block
      title: Block
      action: block_adress
      inputs: {address: "{{ item }}"}
    - id: scan
      title: Scan
      action: nmap_scan
      inputs: {targte: "{{ incident.ref }}"}
    - id: typo
      title: Uses a field that does not exist
      action: block_address
      inputs: {address: "{{ incident.nope }}"}
"""


def test_problems_are_reported_together_with_file_line_and_hint() -> None:
    with pytest.raises(PlaybookError) as error:
        parse_playbook(BAD, source="bad.yaml")
    found = {(p.location.line, p.message) for p in error.value.problems}
    assert (8, "unknown action 'block_adress'") in found
    assert any(line == 13 and "takes no input 'targte'" in message for line, message in found)
    assert any(line == 13 and "needs the input 'target'" in message for line, message in found)
    assert any(line == 14 and "no attribute 'nope'" in message for line, message in found)
    hints = " ".join(p.hint or "" for p in error.value.problems)
    assert "block_address" in hints


def test_schema_errors_point_at_the_line_and_suggest_the_key() -> None:
    text = (
        "id: x\nname: X\ndescription: d\nphases:\n  containment:\n"
        "    - {id: a, title: A, due: soon}\n  recovry: []\n"
    )
    with pytest.raises(PlaybookError) as error:
        parse_playbook(text, source="x.yaml")
    messages = [str(p) for p in error.value.problems]
    assert any(m.startswith("x.yaml:6:") and "'soon' is not a duration" in m for m in messages)
    assert any(m.startswith("x.yaml:7:") and "did you mean 'recovery'" in m for m in messages)


def test_a_manual_step_cannot_carry_action_inputs() -> None:
    text = "id: x\nname: X\ndescription: d\nphases:\n  recovery:\n    - {id: a, title: A, inputs: {x: 1}}\n"
    with pytest.raises(PlaybookError, match="1 problem"):
        parse_playbook(text, source="x.yaml")


def test_expressions_read_the_incident_and_its_observables() -> None:
    context = sample_context()
    assert evaluate("incident.severity in ['high', 'critical']", context) is True
    assert evaluate("observables.ipv4 + observables.ipv6", context) == ["203.0.113.7"]
    assert render_value({"a": ["{{ incident.ref }}-x"]}, context) == {"a": ["IR-2026-0001-x"]}


@pytest.mark.parametrize(
    "expression",
    ["incident.__class__.__mro__", "''.__class__.__subclasses__()", "incident.update({'ref': 'x'})"],
)
def test_the_sandbox_refuses_python_internals_and_changes(expression: str) -> None:
    with pytest.raises(TemplateProblem):
        evaluate(expression, sample_context())
