"""The reporting intake through the API on both databases: reports, attachments, own lookups, tokens."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.store.audit import count_entries, verify_audit
from ironwatch.store.tables import IncidentAttachmentRow, IncidentRow, ReportRow
from tests.support.api import client
from tests.support.people import token_for

MAIL = b"From: ceo@examp1e.com\nSubject: gift cards\n\nPlease buy 10 gift cards today.\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
FORM = {
    "title": "Odd mail from the CEO",
    "description": "It asks me to buy gift cards and send the codes.",
    "kind": "suspected_incident",
    "occurred_at": "2026-03-02T08:15:00+01:00",
    "location": "Berlin office, 3rd floor",
    "systems": ["mail", "laptop-rita"],
    "reporter_phone": "+49 30 1234",
    "reporter_unit": "Finance",
}


def _files(*items: tuple[str, bytes, str]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("attachments", item) for item in items]


def _submit(api: TestClient, *files: tuple[str, bytes, str], **form: object) -> dict:  # type: ignore[type-arg]
    response = api.post("/api/v1/reports", data={**FORM, **form}, files=_files(*files) or None)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _stored_files(runtime: Runtime) -> list[Path]:
    root = runtime.settings.home / "attachments"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _count(runtime: Runtime, table: type) -> int:
    with runtime.db.session(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _audit_ok(runtime: Runtime) -> None:
    with runtime.db.session(write=False) as session:
        report = verify_audit(session)
    assert report.ok, report.problems


@pytest.fixture
def rita(runtime: Runtime) -> TestClient:
    return client(runtime, token_for(runtime, "rita", "reporter"))


def test_a_reporter_files_a_report_with_two_attachments_and_follows_it(
    runtime: Runtime, rita: TestClient
) -> None:
    receipt = _submit(rita, ("ceo mail.eml", MAIL, "message/rfc822"), ("screen.png", PNG, "image/png"))
    assert receipt["reference"] == "IR-2026-0001" and receipt["status"] == "reported"
    assert receipt["lookup_token"].startswith("rpt_") and len(receipt["lookup_token"]) > 40
    assert [(a["filename"], a["size"], a["sha256"]) for a in receipt["attachments"]] == [
        ("ceo mail.eml", len(MAIL), hashlib.sha256(MAIL).hexdigest()),
        ("screen.png", len(PNG), hashlib.sha256(PNG).hexdigest()),
    ]
    stored = _stored_files(runtime)
    assert [p.name for p in stored] == sorted(hashlib.sha256(c).hexdigest() for c in (MAIL, PNG))
    for path in stored:
        assert path.parent.name == path.name[:2]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name

    mine = rita.get("/api/v1/reports").json()
    assert [(r["reference"], r["title"], r["status"], r["kind"]) for r in mine] == [
        ("IR-2026-0001", FORM["title"], "reported", "suspected_incident")
    ]
    view = rita.get("/api/v1/reports/IR-2026-0001").json()
    assert view["status"] == "reported" and view["location"] == FORM["location"]
    assert view["systems"] == ["mail", "laptop-rita"]
    assert view["occurred_at"].startswith("2026-03-02T07:15:00")
    assert {a["sha256"] for a in view["attachments"]} == {p.name for p in stored}
    _audit_ok(runtime)


def test_another_reporter_cannot_see_it(runtime: Runtime, rita: TestClient) -> None:
    ref = _submit(rita)["reference"]
    other = client(runtime, token_for(runtime, "otto", "reporter"))
    response = other.get(f"/api/v1/reports/{ref}")
    assert response.status_code == 404 and "you have no report" in response.json()["detail"]
    assert other.get("/api/v1/reports").json() == []
    assert other.get(f"/api/v1/incidents/{ref}").status_code == 403


def test_an_analyst_sees_the_incident_with_the_reporter_contact_and_attachments(
    runtime: Runtime, rita: TestClient
) -> None:
    ref = _submit(rita, ("mail.eml", MAIL, "message/rfc822"), ("screen.png", PNG, "image/png"))["reference"]
    ana = client(runtime, token_for(runtime, "ana", "analyst"))
    incident = ana.get(f"/api/v1/incidents/{ref}").json()
    assert incident["status"] == "reported" and incident["created_by"] == "rita"
    assert incident["reporter"] == {"name": "rita", "email": None, "phone": "+49 30 1234", "unit": "Finance"}
    assert incident["tags"] == ["suspected_incident"]
    assert incident["affected_assets"] == ["laptop-rita", "mail"]
    assert incident["summary"] == FORM["description"]
    assert "Berlin office" in incident["observations"]
    listed = ana.get(f"/api/v1/incidents/{ref}/attachments").json()
    assert [a["filename"] for a in listed] == ["mail.eml", "screen.png"]
    assert [a["uploaded_by"] for a in listed] == ["rita", "rita"]
    assert incident["attachments"] == listed

    mail = ana.get(f"/api/v1/incidents/{ref}/attachments/{listed[0]['id']}")
    assert mail.status_code == 200 and mail.content == MAIL
    assert mail.headers["content-type"] == "application/octet-stream"
    assert mail.headers["content-disposition"].startswith('attachment; filename="mail.eml"')
    assert mail.headers["x-content-type-options"] == "nosniff"
    png = ana.get(f"/api/v1/incidents/{ref}/attachments/{listed[1]['id']}")
    assert (
        png.headers["content-type"] == "image/png"
        and hashlib.sha256(png.content).hexdigest() == (listed[1]["sha256"])
    )
    assert ana.get(f"/api/v1/incidents/{ref}/attachments/nope").status_code == 404


def test_the_reporter_sees_status_changes_but_nothing_internal(runtime: Runtime, rita: TestClient) -> None:
    ref = _submit(rita)["reference"]
    ana = client(runtime, token_for(runtime, "ana", "analyst"))
    ana.post(f"/api/v1/incidents/{ref}/comments", json={"body": "INTERNAL: looks like BEC"})
    ana.post(f"/api/v1/incidents/{ref}/observables", json={"type": "domain", "value": "examp1e.com"})
    ana.patch(f"/api/v1/incidents/{ref}", json={"title": "BEC attempt", "severity": "high"})
    ana.post(f"/api/v1/incidents/{ref}/transition", json={"to": "triage"})
    view = rita.get(f"/api/v1/reports/{ref}")
    assert view.json()["status"] == "triage" and view.json()["title"] == FORM["title"]
    for secret in ("INTERNAL", "examp1e", "BEC attempt", "high"):
        assert secret not in view.text
    assert rita.get(f"/api/v1/incidents/{ref}/attachments").status_code == 403


def test_a_json_report_takes_the_contact_from_the_account(runtime: Runtime, rita: TestClient) -> None:
    response = rita.post(
        "/api/v1/reports",
        json={"title": "Door to server room open", "description": "Propped open", "kind": "weakness"},
    )
    assert response.status_code == 201, response.text
    ana = client(runtime, token_for(runtime, "ana", "analyst"))
    incident = ana.get(f"/api/v1/incidents/{response.json()['reference']}").json()
    assert incident["reporter"]["name"] == "rita" and incident["tags"] == ["weakness"]
    assert response.json()["attachments"] == []


def test_an_analyst_follows_their_own_reports_too(runtime: Runtime, rita: TestClient) -> None:
    _submit(rita)
    ana = client(runtime, token_for(runtime, "ana", "analyst"))
    own = _submit(ana, title="My laptop is slow")["reference"]
    assert [r["reference"] for r in ana.get("/api/v1/reports").json()] == [own]
    assert ana.get("/api/v1/reports/IR-2026-0001").status_code == 404


def test_an_oversized_attachment_is_refused_and_nothing_is_stored(runtime: Runtime, rita: TestClient) -> None:
    runtime.settings.report_max_attachment_bytes = 1000
    before = count_entries_now(runtime)
    response = rita.post(
        "/api/v1/reports",
        data=FORM,
        files=_files(("small.txt", b"x" * 10, "text/plain"), ("big.bin", b"y" * 1001, "image/png")),
    )
    assert response.status_code == 413, response.text
    problem = response.json()
    assert "big.bin" in problem["detail"] and "1000 bytes" in problem["detail"]
    assert "nothing was stored" in problem["hint"]
    assert _stored_files(runtime) == []
    assert (
        _count(runtime, IncidentRow),
        _count(runtime, ReportRow),
        _count(runtime, IncidentAttachmentRow),
    ) == (
        0,
        0,
        0,
    )
    assert count_entries_now(runtime) == before
    _audit_ok(runtime)


def count_entries_now(runtime: Runtime) -> int:
    with runtime.db.session(write=False) as session:
        return count_entries(session)


def test_attachments_over_the_total_are_refused(runtime: Runtime, rita: TestClient) -> None:
    runtime.settings.report_max_total_attachment_bytes = 1500
    response = rita.post(
        "/api/v1/reports",
        data=FORM,
        files=_files(("a.txt", b"a" * 800, "text/plain"), ("b.txt", b"b" * 800, "text/plain")),
    )
    assert response.status_code == 413 and "together" in response.json()["detail"]
    assert _stored_files(runtime) == [] and _count(runtime, IncidentRow) == 0


def test_too_many_attachments_are_refused(runtime: Runtime, rita: TestClient) -> None:
    files = [(f"f{n}.txt", str(n).encode(), "text/plain") for n in range(6)]
    response = rita.post("/api/v1/reports", data=FORM, files=_files(*files))
    assert response.status_code == 422, response.text
    assert "6 attachments given" in response.json()["detail"] and "at most 5" in response.json()["detail"]
    many = [(f"f{n}.txt", str(n).encode(), "text/plain") for n in range(9)]
    response = rita.post("/api/v1/reports", data=FORM, files=_files(*many))
    assert response.status_code == 422 and "at most 5 attachments" in response.json()["hint"]
    assert _stored_files(runtime) == [] and _count(runtime, IncidentRow) == 0


def test_a_report_may_be_larger_than_the_general_body_limit(runtime: Runtime) -> None:
    runtime.settings.max_body_bytes = 64 * 1024
    ana = client(runtime, token_for(runtime, "ana", "analyst"))
    content = b"z" * (200 * 1024)
    receipt = _submit(ana, ("dump.txt", content, "text/plain"))
    assert receipt["attachments"][0]["size"] == len(content)
    too_big = ana.post("/api/v1/incidents", json={"title": "x", "summary": "s" * (100 * 1024)})
    assert too_big.status_code == 413 and "IRONWATCH_MAX_BODY_BYTES" in too_big.json()["hint"]


@pytest.mark.parametrize(
    ("form", "fragment"),
    [
        ({"title": ""}, "title"),
        ({"description": ""}, "description"),
        ({"kind": "rumour"}, "kind"),
        ({"occurred_at": "2026-03-01T10:00:00"}, "no time zone"),
        ({"occurred_at": "2026-03-09T10:00:00Z"}, "in the future"),
        ({"reporter_email": "not-an-address"}, "reporter.email"),
        ({"severity": "high"}, "unknown form field severity"),
    ],
)
def test_bad_report_fields_are_a_clear_422(rita: TestClient, form: dict[str, str], fragment: str) -> None:
    response = rita.post(
        "/api/v1/reports", data={**FORM, **form}, files=_files(("a.txt", b"a", "text/plain"))
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert fragment in response.text


def test_a_report_cannot_set_what_triage_decides(rita: TestClient) -> None:
    response = rita.post(
        "/api/v1/reports", json={"title": "x", "description": "y", "severity": "critical", "assignee": "me"}
    )
    assert response.status_code == 422 and "severity" in response.text


def test_a_report_in_another_format_is_refused_with_a_hint(rita: TestClient) -> None:
    response = rita.post("/api/v1/reports", content=b"title=x", headers={"content-type": "text/plain"})
    assert response.status_code == 422 and "multipart/form-data" in response.json()["hint"]


def test_file_names_are_cleaned_and_risky_types_download_as_octet_stream(
    runtime: Runtime, rita: TestClient
) -> None:
    html = b"<script>alert(1)</script>"
    ref = _submit(rita, ("../../etc/\u202egpj.html", html, "text/html"))["reference"]
    ana = client(runtime, token_for(runtime, "ana", "analyst"))
    [attachment] = ana.get(f"/api/v1/incidents/{ref}/attachments").json()
    assert attachment["filename"] == "gpj.html" and attachment["content_type"] == "text/html"
    download = ana.get(f"/api/v1/incidents/{ref}/attachments/{attachment['id']}")
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert not any(p.name.endswith(".html") for p in _stored_files(runtime))


def test_the_same_file_twice_is_stored_once(runtime: Runtime, rita: TestClient) -> None:
    _submit(rita, ("a.png", PNG, "image/png"))
    _submit(rita, ("b.png", PNG, "image/png"))
    assert len(_stored_files(runtime)) == 1
    assert _count(runtime, IncidentAttachmentRow) == 2


def test_lookup_by_token_works_without_signing_in(runtime: Runtime, rita: TestClient) -> None:
    first = _submit(rita)
    second = _submit(rita)
    anonymous = client(runtime)
    found = anonymous.get(f"/api/v1/reports/{first['reference']}", params={"token": first["lookup_token"]})
    assert found.status_code == 200 and found.json()["status"] == "reported"
    for ref, token in [
        (first["reference"], "rpt_wrong"),
        (first["reference"], second["lookup_token"]),
        ("IR-2026-0404", first["lookup_token"]),
        ("not-a-ref", first["lookup_token"]),
    ]:
        response = anonymous.get(f"/api/v1/reports/{ref}", params={"token": token})
        assert response.status_code == 404, (ref, response.text)
    assert anonymous.get(f"/api/v1/reports/{first['reference']}").status_code == 401
    with runtime.db.session(write=False) as session:
        hashes = set(session.scalars(select(ReportRow.lookup_token_hash)))
    assert first["lookup_token"] not in hashes
    assert hashlib.sha256(first["lookup_token"].encode()).hexdigest() in hashes


def test_anonymous_reporting_is_off_by_default(runtime: Runtime) -> None:
    token_for(runtime, "root", "admin")
    response = client(runtime).post("/api/v1/reports/public", json={"title": "x", "description": "y"})
    assert response.status_code == 404
    assert "IRONWATCH_PUBLIC_REPORTS=true" in response.json()["hint"]
    assert _count(runtime, IncidentRow) == 0


def test_anonymous_reporting_when_enabled_is_audited_and_rate_limited(
    runtime: Runtime, clock: FrozenClock
) -> None:
    runtime.settings.public_reports = True
    runtime.settings.public_report_rate = "2/hour"
    anonymous = client(runtime)
    refs = []
    for n in range(2):
        response = anonymous.post(
            "/api/v1/reports/public",
            data={"title": f"Phishing {n}", "description": "a mail", "reporter_name": "a visitor"},
            files=_files(("mail.eml", MAIL, "message/rfc822")),
        )
        assert response.status_code == 201, response.text
        refs.append(response.json())
        clock.advance(timedelta(minutes=10))
    limited = anonymous.post("/api/v1/reports/public", json={"title": "third", "description": "a mail"})
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == str(60 * 60 - 20 * 60)
    assert "at most 2 per hour" in limited.json()["detail"]

    analyst = client(runtime, token_for(runtime, "ana", "analyst"))
    incident = analyst.get(f"/api/v1/incidents/{refs[0]['reference']}").json()
    assert incident["created_by"] == "anonymous" and incident["reporter"]["name"] == "a visitor"
    trail = client(runtime, token_for(runtime, "aud", "auditor")).get(
        f"/api/v1/incidents/{refs[0]['reference']}/audit"
    )
    entries = trail.json()
    assert {e["action"] for e in entries} == {"report.submit_public"}
    assert {e["object_type"] for e in entries} == {"incident", "report", "attachment"}
    assert {(e["actor"], e["source_ip"]) for e in entries} == {("anonymous", "testclient")}
    found = anonymous.get(
        f"/api/v1/reports/{refs[1]['reference']}", params={"token": refs[1]["lookup_token"]}
    )
    assert found.json()["title"] == "Phishing 1"
    # anonymous reports are nobody's own, not even a user who happens to be called "anonymous"
    assert client(runtime, token_for(runtime, "anonymous", "reporter")).get("/api/v1/reports").json() == []

    clock.advance(timedelta(minutes=41))
    again = anonymous.post("/api/v1/reports/public", json={"title": "later", "description": "a mail"})
    assert again.status_code == 201, again.text
    _audit_ok(runtime)
