"""Exports leaving the organisation: RSIT JSON, a valid STIX 2.1 bundle, regulator skeletons; TLP applied."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import stix2

from ironwatch.bootstrap import Runtime
from ironwatch.core.principal import system_principal
from ironwatch.incidents import schemas as s
from ironwatch.incidents import service as incidents
from tests.integration.conftest import Run
from tests.support.api import client
from tests.support.breach import apply_plan, by_duty, open_incident, set_facts
from tests.support.people import token_for

AWARE = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
SECRET = "Attacker used the CFO's VPN account"


def _incident(runtime: Runtime, tlp: str) -> str:
    ref = open_incident(
        runtime, title=f"Exfiltration via VPN ({tlp})", summary=SECRET, tlp=tlp, category="data-leak"
    )
    with runtime.uow(system_principal("test"), write=True) as uow:
        for kind, value, mark in (
            ("ipv4", "203.0.113.7", None),
            ("domain", "exfil.example.net", None),
            ("sha256", "a" * 64, None),
            ("url", "https://exfil.example.net/up?id='1'", None),
            ("email", "insider-contact@example.com", "red"),
        ):
            incidents.add_observable(
                uow, ref, s.ObservableCreate.model_validate({"type": kind, "value": value, "tlp": mark})
            )
        uow.commit()
    set_facts(
        runtime,
        ref,
        personal_data="yes",
        records=10000,
        subject_jurisdictions="EU",
        awareness_at=AWARE.isoformat(),
    )
    return ref


def test_enisa_summary_carries_the_rsit_classification(runtime: Runtime) -> None:
    apply_plan(runtime)
    ref = _incident(runtime, "amber")
    api = client(runtime, token_for(runtime, "ana", "analyst"))
    summary = api.get(f"/api/v1/incidents/{ref}/external/enisa").json()
    assert summary["classification"]["rsit"] == "information-content-security/data-leak"
    assert summary["classification"]["taxonomy"] == "ENISA Reference Security Incident Taxonomy"
    assert summary["incident"]["summary"] == SECRET
    assert summary["impact"]["records"] == 10000
    values = {o["value"] for o in summary["observables"]}
    assert "203.0.113.7" in values and "insider-contact@example.com" not in values  # TLP:RED observable


def test_stix_bundle_parses_and_links_indicators_to_the_incident(runtime: Runtime) -> None:
    apply_plan(runtime)
    ref = _incident(runtime, "green")
    api = client(runtime, token_for(runtime, "ana", "analyst"))
    response = api.get(f"/api/v1/incidents/{ref}/external/stix")
    assert response.headers["content-type"].startswith("application/stix+json")
    bundle = stix2.parse(response.text, allow_custom=False)
    kinds = [o.type for o in bundle.objects]
    assert kinds.count("indicator") == 4 and kinds.count("relationship") == 4
    assert {"identity", "incident", "report", "marking-definition"} <= set(kinds)
    incident = next(o for o in bundle.objects if o.type == "incident")
    assert incident.object_marking_refs == [stix2.v21.TLP_GREEN.id]
    assert incident.external_references[0].external_id == ref
    patterns = {o.pattern for o in bundle.objects if o.type == "indicator"}
    assert "[file:hashes.'SHA-256' = '" + "a" * 64 + "']" in patterns
    assert "[url:value = 'https://exfil.example.net/up?id=\\'1\\'']" in patterns
    assert all(r.target_ref == incident.id for r in bundle.objects if r.type == "relationship")
    again = stix2.parse(api.get(f"/api/v1/incidents/{ref}/external/stix").text)
    assert next(o for o in again.objects if o.type == "incident").id == incident.id  # stable ids
    assert "insider-contact" not in response.text


def test_tlp_red_content_never_leaves_in_any_external_export(
    runtime: Runtime, cli: Run, tmp_path: Path
) -> None:
    apply_plan(runtime)
    ref = _incident(runtime, "red")
    api = client(runtime, token_for(runtime, "ana", "analyst"))
    enisa = api.get(f"/api/v1/incidents/{ref}/external/enisa")
    stix = api.get(f"/api/v1/incidents/{ref}/external/stix")
    art33 = by_duty(runtime, ref)["gdpr-art33"].id
    md = api.get(f"/api/v1/obligations/{art33}/report")
    html = api.get(f"/api/v1/obligations/{art33}/report", params={"format": "html"})
    for text in (enisa.text, stix.text, md.text, html.text):
        assert SECRET.split("'")[0] not in text and "VPN" not in text
        assert "203.0.113.7" not in text and "10000" not in text
    assert enisa.json()["withheld"] is True
    assert "withheld: TLP:RED" in md.text
    stix2.parse(stix.text)
    out = tmp_path / "ir.json"
    cli("incident", "export-external", ref, "--format", "stix", "--output", str(out))
    assert "VPN" not in out.read_text() and stix2.parse(out.read_text())
    regulator = cli("incident", "export-external", ref, "--format", "regulator").stdout
    assert "Personal data breach notification" in regulator and "VPN" not in regulator


def test_regulator_skeleton_has_the_required_headings_prefilled(runtime: Runtime, cli: Run) -> None:
    apply_plan(runtime)
    ref = _incident(runtime, "amber")
    art33 = by_duty(runtime, ref)["gdpr-art33"].id
    md = cli("incident", "export-external", ref, "--format", "regulator", "--obligation", art33).stdout
    assert md.startswith("# Personal data breach notification to the supervisory authority")
    assert "## Notification of the personal data breach" in md
    assert "### Nature of the breach, categories and approximate number of data subjects and records" in md
    assert "About how many records (or people) are affected? 10000" in md
    assert "Deadline: 2026-03-05 08:30 UTC (72 h after awareness)" in md
    assert "breaches@dpa.example.org" in md  # the plan's data protection authority contact
    html = cli(
        "incident", "export-external", ref, "--format", "regulator", "--obligation", art33, "--html"
    ).stdout
    assert "<h3>Likely consequences of the breach</h3>" in html
    enisa = orjson.loads(cli("incident", "export-external", ref, "--format", "enisa").stdout)
    assert enisa["incident"]["reference"] == ref
    audit = client(runtime, token_for(runtime, "aud", "auditor")).get(f"/api/v1/incidents/{ref}/audit").json()
    formats = [e["changes"].get("format") for e in audit if e["action"] == "incident.export_external"]
    assert {"regulator-md", "regulator-html", "enisa"} <= set(formats)
