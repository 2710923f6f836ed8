"""``ironwatch rules``: load with a summary of failures, list, show, switch, lint and test."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.conftest import Run

RULES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"
AUTH_LOG = Path(__file__).resolve().parent.parent / "fixtures" / "logs" / "auth.log"
FAILED_PASSWORD = "0b6a3c1e-3f55-4c1b-9a4e-2d7e0f1a9c01"


def test_load_reports_compiled_and_failed_rules_and_exits_1_on_failures(cli: Run) -> None:
    result = cli("rules", "load", str(RULES), "--json", expect=1)
    out = json.loads(result.stdout)
    assert (out["compiled"], out["failed"], out["added"]) == (2, 3, 5)
    assert {Path(p["path"]).name for p in out["problems"]} == {
        "bad_condition.yml",
        "backreference.yml",
        "not_yaml.yml",
    }
    text = cli("rules", "load", str(RULES / "sshd_failed_password.yml")).stdout
    assert "1 unchanged" in text


def test_list_show_disable_enable(cli: Run) -> None:
    cli("rules", "load", str(RULES), expect=1)
    failed = json.loads(cli("rules", "list", "--state", "failed", "--json").stdout)
    assert failed["total"] == 3 and all(item["error"] for item in failed["items"])
    shown = json.loads(cli("rules", "show", FAILED_PASSWORD, "--json").stdout)
    assert shown["title"] == "SSH login with a wrong password" and "Failed password" in shown["text"]
    refused = cli("rules", "disable", FAILED_PASSWORD, expect=2)
    assert "say why" in refused.stderr
    cli("rules", "disable", FAILED_PASSWORD, "--reason", "tuning")
    off = json.loads(cli("rules", "list", "--disabled", "--json").stdout)
    assert [item["rule_id"] for item in off["items"]] == [FAILED_PASSWORD]
    assert off["items"][0]["change_reason"] == "tuning"
    cli("rules", "enable", FAILED_PASSWORD)
    assert json.loads(cli("rules", "list", "--disabled", "--json").stdout)["total"] == 0
    missing = cli("rules", "show", "no-such-rule", expect=3)
    assert "rules list" in missing.stderr


def test_lint_checks_files_without_storing_them(cli: Run) -> None:
    out = json.loads(cli("rules", "lint", str(RULES), "--json", expect=1).stdout)
    assert (out["compiled"], out["failed"]) == (2, 3)
    assert json.loads(cli("rules", "list", "--json").stdout)["total"] == 0
    cli("rules", "lint", str(RULES / "sshd_failed_password.yml"))


def test_test_explains_per_event_why_a_rule_matched_or_not(cli: Run) -> None:
    cli("rules", "load", str(RULES / "sshd_failed_password.yml"))
    out = json.loads(cli("rules", "test", FAILED_PASSWORD, str(AUTH_LOG), "--json").stdout)
    assert out["events"] >= 5 and 0 < out["matched"] < out["events"]
    verdicts = out["verdicts"]
    hit = next(v for v in verdicts if v["matched"])
    miss = next(v for v in verdicts if not v["matched"])
    assert "Failed password" in hit["summary"]
    assert miss["explanation"]["reason"] == "condition false"
    text = cli("rules", "test", str(RULES / "sshd_failed_password.yml"), str(AUTH_LOG), "--matches").stdout
    assert "MATCH" in text and "no match" not in text


def test_test_reads_ndjson_of_flat_events(cli: Run, tmp_path: Path) -> None:
    cli("rules", "load", str(RULES / "sshd_root_accepted.yml"))
    events = tmp_path / "events.ndjson"
    lines = [
        {
            "event.dataset": "linux.auth",
            "event.action": "ssh_login",
            "event.outcome": "success",
            "user.name": "root",
        },
        {
            "event.dataset": "linux.auth",
            "event.action": "ssh_login",
            "event.outcome": "success",
            "user.name": "bob",
        },
    ]
    events.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    out = json.loads(
        cli("rules", "test", "7c0f2a9d-6b1e-4f3a-8d52-91e4b7a0c3d2", str(events), "--json").stdout
    )
    assert [v["matched"] for v in out["verdicts"]] == [True, False]
    assert out["verdicts"][1]["fields"]["user.name"] == "bob"
