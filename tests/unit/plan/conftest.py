"""Shared fixtures for the plan tests: a small valid plan and helpers to break it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ironwatch.plan.loader import parse_plan
from ironwatch.plan.models import Plan
from ironwatch.plan.problems import PlanError, PlanProblem

FIXTURES = Path(__file__).parents[2] / "fixtures" / "plan"


@pytest.fixture
def minimal_text() -> str:
    return (FIXTURES / "minimal_plan.yaml").read_text(encoding="utf-8")


@pytest.fixture
def minimal_plan(minimal_text: str) -> Plan:
    return parse_plan(minimal_text, source="minimal.yaml")


def problems_of(text: str) -> list[PlanProblem]:
    """The problems parse_plan reports for ``text``; fails the test if it parses."""
    with pytest.raises(PlanError) as caught:
        parse_plan(text, source="broken.yaml")
    return caught.value.problems


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the ``occurrence``-th line containing ``needle``."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in the fixture"
    return text.replace(old, new)
