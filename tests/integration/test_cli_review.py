"""The command line: incident timeline, review start|update|item|feedback|complete, metrics, reports."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from tests.integration.conftest import Run
from tests.support.lessons import closed_incident
from tests.support.people import add_user


def test_incident_timeline_as_table_csv_and_json(runtime: Runtime, clock: FrozenClock, cli: Run) -> None:
    ref = closed_incident(runtime, clock)
    cli(
        "incident",
        "timeline-add",
        ref,
        "Mail reported by a colleague",
        "--at",
        "2026-03-02T04:30:00Z",
        "--source",
        "helpdesk ticket",
        "--confidence",
        "confirmed",
    )
    shown = cli("incident", "timeline", ref, "--kind", "manual")
    assert f"Timeline of {ref} (2 steps)" in shown.stdout
    manual = json.loads(cli("incident", "timeline", ref, "--kind", "manual", "--json").stdout)
    assert [(e["text"], e["source"]) for e in manual][1] == (
        "Mail reported by a colleague",
        "helpdesk ticket",
    )
    rows = list(csv.DictReader(io.StringIO(cli("incident", "timeline", ref, "--csv").stdout)))
    assert {"alert", "event", "state", "manual"} <= {r["kind"] for r in rows}
    entries = json.loads(cli("incident", "timeline", ref, "--json", "--since", "2026-03-02T17:00:00Z").stdout)
    assert [e["text"] for e in entries if e["kind"] == "state"] == ["recovery -> closed: to closed"]
    bad = cli("incident", "timeline", ref, "--since", "yesterday", expect=2)
    assert "ISO 8601" in bad.stderr


def test_review_from_start_to_completion_on_the_command_line(
    runtime: Runtime, clock: FrozenClock, cli: Run, tmp_path: Path
) -> None:
    ref = closed_incident(runtime, clock)
    add_user(runtime, "ria", "responder")
    cli("review", "start", ref)
    template = tmp_path / "review.yaml"
    template.write_text(
        "decisions:\n  - decision: Kill all VPN sessions\n    assessment: right, cost an hour of work\n"
        "training_needs:\n  - course: phishing-spotting\n    title: Spotting credential phishing\n"
        "    people: [riley]\n",
        encoding="utf-8",
    )
    cli(
        "review",
        "update",
        ref,
        "-f",
        str(template),
        "--root-cause",
        "Password-only VPN",
        "--root-cause-category",
        "Weak-Authentication",
        "--went-well",
        "Fast containment",
        "--hours",
        "12",
    )
    cli(
        "review",
        "item",
        "add",
        ref,
        "Enforce MFA on the VPN",
        "--owner",
        "alex",
        "--due",
        "2026-04-01T00:00Z",
    )
    cli("--as", "ria", "review", "feedback", ref, "--rating", "4", "--to-improve", "outdated runbook")
    shown = cli("review", "show", ref)
    assert "Kill all VPN sessions" in shown.stdout and "weak-authentication" in shown.stdout
    assert "outdated runbook" in shown.stdout
    done = cli("review", "complete", ref)
    assert "the incident is reviewed" in done.stdout and "version 2" in done.stdout
    assert f"{ref}-A1" in cli("action-items", "--open").stdout
    cli("review", "item", "close", ref, "1", "--resolution", "MFA enforced")
    assert f"{ref}-A1" not in cli("action-items", "--open").stdout
    assert "phishing-spotting" in cli("plan", "show", "--yaml").stdout
    cli("review", "update", ref, "--summary", "too late", expect=4)


def test_metrics_and_reports_on_the_command_line(
    runtime: Runtime, clock: FrozenClock, cli: Run, tmp_path: Path
) -> None:
    ref = closed_incident(runtime, clock)
    table = cli("metrics", "--since", "2026-03-01T00:00:00Z", "--by", "priority")
    assert "Response times" in table.stdout and "SLA compliance" in table.stdout and "P2" in table.stdout
    data = json.loads(cli("metrics", "--json", "--since", "2026-03-01T00:00:00Z").stdout)
    assert data["incidents"] == 1 and data["volume"] == [{"key": "phishing", "count": 1}]
    out = tmp_path / "incident.html"
    cli("report", "incident", ref, "--format", "html", "--output", str(out))
    assert ref in out.read_text(encoding="utf-8")
    pdf = tmp_path / "period.pdf"
    cli("report", "period", "--since", "2026-03-01T00:00:00Z", "--tlp", "red", "--output", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
