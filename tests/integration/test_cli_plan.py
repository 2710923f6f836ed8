"""`ironwatch plan ...` end to end on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ironwatch.bootstrap import Runtime
from ironwatch.plan.render import SECTION_HEADINGS
from ironwatch.plan.starter import init_plan_text
from tests.integration.conftest import Run


@pytest.fixture
def plan_file(cli: Run, tmp_path: Path) -> Path:
    path = tmp_path / "plan.yaml"
    cli("plan", "init", "--org", "Acme Ltd", "--output", str(path))
    return path


def test_init_writes_the_commented_starter_plan_and_will_not_overwrite(cli: Run, plan_file: Path) -> None:
    assert plan_file.read_text(encoding="utf-8") == init_plan_text("Acme Ltd")
    plan_file.write_text("# my edits\n", encoding="utf-8")
    refused = cli("plan", "init", "--output", str(plan_file), expect=4)
    assert "already exists" in refused.stderr and "--force" in refused.stderr
    assert plan_file.read_text(encoding="utf-8") == "# my edits\n"
    cli("plan", "init", "--org", "Beta GmbH", "--output", str(plan_file), "--force")
    assert 'name: "Beta GmbH"' in plan_file.read_text(encoding="utf-8")
    assert cli("plan", "init", "--org", "Gamma").stdout == init_plan_text("Gamma")


def test_validate_accepts_a_good_plan_with_a_summary(cli: Run, plan_file: Path) -> None:
    out = cli("plan", "validate", str(plan_file)).stdout
    assert f"{plan_file} is a valid plan" in out.replace("\n", "")
    assert "Acme Ltd" in out and "readiness score 80/100" in out


def test_validate_lists_every_problem_with_file_line_column_and_hint(
    cli: Run, plan_file: Path, tmp_path: Path
) -> None:
    text = plan_file.read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        text.replace("email: alex@example.org", "emial: alex@example.org").replace(
            "review_interval: 365d", "review_interval: 365x"
        ),
        encoding="utf-8",
    )
    err = cli("plan", "validate", str(broken), expect=2).stderr
    lines = text.splitlines()
    interval = next(n for n, line in enumerate(lines, 1) if "review_interval: 365d" in line)
    email = next(n for n, line in enumerate(lines, 1) if "email: alex@example.org" in line)
    assert f"{broken} has 2 problems" in err.replace("\n", "")
    assert re.search(rf"{re.escape(str(broken))}:{interval}:\d+: document.review_interval: '365x'", err)
    assert re.search(rf"{re.escape(str(broken))}:{email}:\d+: team.people\[0\]: unknown key 'emial'", err)
    assert "hint: did you mean 'email'?" in err


def test_apply_broken_plan_is_refused_with_located_problems(cli: Run, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("organisation:\n  name: x\n  sectr: y\n", encoding="utf-8")
    err = cli("plan", "apply", str(broken), expect=2).stderr
    assert f"{broken}:3:3: organisation: unknown key 'sectr'" in err
    assert "did you mean 'sector'?" in err
    assert "no plan has been applied" in cli("plan", "history").stdout


def test_apply_shows_the_diff_and_history_keeps_every_version(
    cli: Run, plan_file: Path, runtime: Runtime
) -> None:
    assert "as plan version 1 (the first)" in cli("plan", "apply", str(plan_file)).stdout
    plan_file.write_text(
        plan_file.read_text(encoding="utf-8").replace("+44 20 7946 0101", "+44 20 7946 0199"),
        encoding="utf-8",
    )
    out = cli("plan", "apply", str(plan_file), "--note", "new phone").stdout
    assert "team.people[alex].phone" in out and "+44 20 7946 0199" in out
    assert "as plan version 2 (+0 -0 ~1)" in out
    again = cli("plan", "apply", str(plan_file), expect=4)
    assert "already in force as version 2" in again.stderr
    history = json.loads(cli("plan", "history", "--json").stdout)
    assert [(v["version"], v["note"]) for v in history] == [(2, "new phone"), (1, "")]
    assert history[0]["applied_by"].startswith("local:")
    diff = json.loads(cli("plan", "diff", "1", "2", "--json").stdout)
    assert diff["changes"][0]["after"] == "+44 20 7946 0199"
    assert "team.people[alex].phone" in cli("plan", "diff", "2", "1").stdout
    assert cli("plan", "show", "--version", "1", "--yaml").stdout == init_plan_text("Acme Ltd")
    shown = json.loads(cli("plan", "show", "--json").stdout)
    assert shown["version"]["version"] == 2 and shown["plan"]["organisation"]["name"] == "Acme Ltd"
    assert "audit trail intact" in cli("audit", "verify").stdout


def test_show_diff_and_render_name_missing_versions(cli: Run, plan_file: Path, tmp_path: Path) -> None:
    assert "no plan has been applied" in cli("plan", "show", expect=3).stderr
    cli("plan", "apply", str(plan_file))
    assert "no plan version 5" in cli("plan", "diff", "1", "5", expect=3).stderr
    assert "no plan version 5" in cli("plan", "show", "--version", "5", expect=3).stderr
    assert "exclude each other" in cli("plan", "show", "--json", "--yaml", expect=2).stderr
    bad = cli("plan", "render", "--output", str(tmp_path / "plan.docx"), expect=2).stderr
    assert "unknown document format '.docx'" in bad


def test_check_shows_gaps_severities_and_how_the_score_is_computed(cli: Run, plan_file: Path) -> None:
    cli("plan", "apply", str(plan_file))
    out = cli("plan", "check").stdout
    assert "readiness score 80/100" in out
    assert "score = round(100 * sum(weight[c] * ratio[c]) / sum(weight[c]))" in out
    assert "exercises" in out and "high" in out and "staffing" in out
    body = json.loads(cli("plan", "check", "--json").stdout)
    assert body["score"] == 80 and body["version"] == 1
    assert {g["severity"] for g in body["gaps"]} <= {"critical", "high", "medium", "low"}
    assert sum(c["weight"] for c in body["checks"]) == 100


def test_analyst_cannot_apply_from_the_cli(cli: Run, plan_file: Path) -> None:
    cli("user", "add", "ana", "--role", "analyst", "--no-password")
    cli("plan", "apply", str(plan_file))
    assert (
        "may not change the incident response plan"
        in cli("--as", "ana", "plan", "apply", str(plan_file), expect=6).stderr
    )
    assert "Acme Ltd" in cli("--as", "ana", "plan", "show").stdout


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_render_writes_a_pdf_with_every_section_heading(cli: Run, plan_file: Path, tmp_path: Path) -> None:
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext (Debian package poppler-utils) is not installed")
    cli("plan", "apply", str(plan_file))
    output = tmp_path / "policy.pdf"
    assert (
        "wrote plan version 1 as pdf"
        in cli("plan", "render", "--format", "pdf", "--output", str(output)).stdout
    )
    assert output.read_bytes().startswith(b"%PDF-")
    result = subprocess.run(
        [pdftotext, str(output), "-"], capture_output=True, text=True, check=True, timeout=60
    )
    text = _words(result.stdout)
    missing = [h for n, h in enumerate(SECTION_HEADINGS, start=1) if f"{n}. {h}" not in text]
    assert missing == []
    assert "Acme Ltd" in text
    markdown = tmp_path / "policy.md"
    cli("plan", "render", "--output", str(markdown), "--version", "1")
    assert markdown.read_text(encoding="utf-8").startswith("# Incident response plan: Acme Ltd")


def test_import_assets_makes_a_new_version_and_keeps_the_rest_of_the_file(
    cli: Run, plan_file: Path, tmp_path: Path
) -> None:
    cli("plan", "apply", str(plan_file))
    inventory = tmp_path / "assets.csv"
    inventory.write_text(
        "name;kind;criticality;owner;addresses;data_types\n"
        "vpn;network_device;critical;sam;192.0.2.1, vpn.example.org;credentials\n"
        "website;application;high;jordan;www.example.org;\n",
        encoding="utf-8",
    )
    out = cli("plan", "import-assets", str(inventory), "--json").stdout
    applied = json.loads(out)
    assert applied["version"]["version"] == 2
    assert {c["path"] for c in applied["changes"]} == {"assets[website].criticality", "assets[vpn]"}
    plan = json.loads(cli("plan", "show", "--json").stdout)["plan"]
    vpn = next(a for a in plan["assets"] if a["name"] == "vpn")
    assert vpn["addresses"] == ["192.0.2.1", "vpn.example.org"] and vpn["data_types"] == ["credentials"]
    assert len(plan["assets"]) == 6
    before = plan_file.read_text(encoding="utf-8")
    after = cli("plan", "show", "--yaml").stdout
    assert before.split("\nassets:\n")[0] == after.split("\nassets:\n")[0]
    assert before.split("\ndata_types:\n")[1] == after.split("\ndata_types:\n")[1]
    assert "already in plan version 2" in cli("plan", "import-assets", str(inventory), expect=4).stderr
    assert "audit trail intact" in cli("audit", "verify").stdout


def test_import_training_adds_completions_and_reports_bad_rows(
    cli: Run, plan_file: Path, tmp_path: Path
) -> None:
    cli("plan", "apply", str(plan_file))
    records = tmp_path / "completions.csv"
    records.write_text(
        "person,course,completed_on\nalex,incident-handling,2026-01-10\nzed,incident-handling,2026-01-10\n",
        encoding="utf-8",
    )
    err = cli("plan", "import-training", str(records), expect=2).stderr
    assert f"{records}:3: unknown person 'zed'" in err
    records.write_text("person,course,completed_on\nalex,incident-handling,2026-01-10\n", encoding="utf-8")
    assert "as plan version 2" in _words(cli("plan", "import-training", str(records)).stdout)
    history = json.loads(cli("plan", "history", "--json").stdout)
    assert history[0]["note"] == f"imported 1 training completion from {records}"
    completions = json.loads(cli("plan", "show", "--json").stdout)["plan"]["training"]["completions"]
    assert completions == [{"person": "alex", "course": "incident-handling", "completed_on": "2026-01-10"}]
    assert "already in plan version 2" in cli("plan", "import-training", str(records), expect=4).stderr
