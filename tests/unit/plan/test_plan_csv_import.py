"""CSV imports for the asset inventory and training completions, with errors located per row."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from conftest import FIXTURES
from ironwatch.plan.assets import AssetKind, Criticality
from ironwatch.plan.csv_import import (
    import_assets_csv,
    import_completions_csv,
    parse_assets_csv,
    parse_completions_csv,
)
from ironwatch.plan.problems import PlanError

HEADER = "name,kind,criticality,owner,addresses,data_types\n"


def csv_problems(text: str, **kwargs):
    with pytest.raises(PlanError) as caught:
        parse_assets_csv(text, source="assets.csv", **kwargs)
    return caught.value.problems


def test_assets_import_from_a_spreadsheet_export():
    assets = import_assets_csv(FIXTURES / "assets.csv", known_data_types={"customers"})
    assert [a.name for a in assets] == ["mail", "fileserver", "office-net", "laptops"]
    assert assets[0].kind == AssetKind.SAAS and assets[0].criticality == Criticality.CRITICAL
    assert assets[0].description == "Hosted mail, calendars"
    assert assets[1].addresses == ("192.0.2.10", "files.tiny.example")
    assert assets[2].addresses == ("192.0.2.0/24",)
    assert assets[3].addresses == () and assets[3].data_types == ()


def test_every_bad_row_is_reported_with_its_line_and_column():
    text = HEADER + "\n".join(
        [
            "mail,saas,critical,ann,mail.example,",  # line 2: fine
            "db,database,extreme,ann,,",  # line 3: bad criticality
            ",server,low,bob,,",  # line 4: empty name
            "web,server,low,bob,not an address!,",  # line 5: bad address
            "mail,saas,low,ann,,",  # line 6: duplicate
        ]
    )
    problems = csv_problems(text)
    assert [(p.location.line, p.path) for p in problems] == [
        (3, "criticality"),
        (4, "name"),
        (5, "addresses"),
        (6, "name"),
    ]
    assert "'low', 'medium', 'high' or 'critical'" in problems[0].message
    assert problems[1].message == "column 'name': the cell is empty"
    assert problems[3].message == "duplicate asset name 'mail'"


def test_unknown_data_type_is_reported_when_the_plan_is_known():
    [problem] = csv_problems(HEADER + "mail,saas,high,ann,,clients\n", known_data_types={"customers"})
    assert problem.message == "unknown data type 'clients'"
    assert problem.hint == "use one of: customers"


def test_header_problems_suggest_column_names():
    problems = csv_problems("name,kind,criticallity,owner\nmail,saas,high,ann\n")
    messages = [p.message for p in problems]
    assert messages == ["unknown column 'criticallity'", "required column 'criticality' is missing"]
    assert problems[0].hint.startswith("did you mean 'criticality'?")
    assert all(p.location.line == 1 for p in problems)


def test_row_with_too_many_cells_is_reported():
    [problem] = csv_problems(HEADER + "mail,saas,high,ann,192.0.2.1,customers,extra\n")
    assert problem.location.line == 2
    assert "7 cells but the header has 6" in problem.message


def test_line_numbers_count_multi_line_cells():
    text = "name,kind,criticality,owner,description\n" + 'a,saas,high,ann,"two\nlines"\nb,saas,urgent,ann,\n'
    [problem] = csv_problems(text)
    assert problem.location.line == 4


def test_empty_and_missing_files_are_explained(tmp_path: Path):
    assert csv_problems("")[0].message == "the file is empty"
    with pytest.raises(PlanError, match="problem") as caught:
        import_assets_csv(tmp_path / "absent.csv")
    assert caught.value.problems[0].message == "the file does not exist"


def test_completions_import_with_semicolons_and_checks_references():
    records = import_completions_csv(
        FIXTURES / "completions.csv", known_people={"ann", "bob"}, known_courses={"ir-basics"}
    )
    assert [(r.person, r.course, r.completed_on) for r in records] == [
        ("ann", "ir-basics", date(2026, 1, 10)),
        ("bob", "ir-basics", date(2025, 3, 1)),
    ]
    with pytest.raises(PlanError) as caught:
        parse_completions_csv(
            "person,course,completed_on\ncarl,ir-basics,2026-01-01\nann,ir-basics,10/01/2026\n",
            known_people={"ann", "bob"},
        )
    problems = caught.value.problems
    assert [(p.location.line, p.path) for p in problems] == [(2, "person"), (3, "completed_on")]
