"""The evidence API on both databases: upload, list, show, handle, verify, download, export, access."""

from __future__ import annotations

import hashlib
import io
import zipfile

import orjson
from fastapi.testclient import TestClient

from ironwatch.bootstrap import Runtime
from tests.integration.test_evidence_intake import open_incident
from tests.support.api import client
from tests.support.people import token_for

MAIL = b"From: ceo@examp1e.com\nSubject: gift cards\n\nbuy them\n"
FORM = {"purpose": "forensic analysis", "description": "the phishing mail", "location": "rita's inbox"}


def _upload(api: TestClient, ref: str = "IR-2026-0001", content: bytes = MAIL) -> list[dict]:  # type: ignore[type-arg]
    response = api.post(
        f"/api/v1/incidents/{ref}/evidence",
        data={**FORM, "tags": ["mail", "phishing"]},
        files=[("file", ("mail.eml", content, "message/rfc822"))],
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_an_analyst_uploads_handles_verifies_downloads_and_exports(runtime: Runtime) -> None:
    open_incident(runtime)
    ann = client(runtime, token_for(runtime, "ann", "analyst"))
    [item] = _upload(ann)
    assert item["label"] == "IR-2026-0001-E1" and item["collected_by"] == "ann"
    assert (item["sha256"], item["size"]) == (hashlib.sha256(MAIL).hexdigest(), len(MAIL))
    assert item["tags"] == ["mail", "phishing"] and item["status"] == "held"

    listed = ann.get("/api/v1/incidents/IR-2026-0001/evidence").json()
    assert [i["id"] for i in listed] == [item["id"]]

    handled = ann.post(
        f"/api/v1/evidence/{item['label']}/custody",
        json={"action": "transferred", "purpose": "analysis", "to": "Forensics lab"},
    )
    assert handled.status_code == 200, handled.text
    assert handled.json()["holder"] == "Forensics lab"

    verified = ann.post(f"/api/v1/evidence/{item['id']}/verify").json()
    assert verified["ok"] is True and verified["content"] == "ok"

    download = ann.get(f"/api/v1/evidence/{item['id']}/content", params={"purpose": "read the headers"})
    assert download.status_code == 200 and download.content == MAIL
    assert download.headers["x-content-sha256"] == item["sha256"]
    assert download.headers["content-type"].startswith("application/octet-stream")
    assert "attachment" in download.headers["content-disposition"]

    exported = ann.post("/api/v1/incidents/IR-2026-0001/evidence/export", json={"purpose": "to police"})
    assert exported.status_code == 200, exported.text
    archive = zipfile.ZipFile(io.BytesIO(exported.content))
    manifest = orjson.loads(archive.read("manifest.json"))
    assert archive.read(manifest["items"][0]["path"]) == MAIL

    custody = ann.get(f"/api/v1/evidence/{item['id']}/custody").json()
    assert [(c["action"], c["actor"]) for c in custody] == [
        ("collected", "ann"),
        ("transferred", "ann"),
        ("verified", "ann"),
        ("accessed", "ann"),
        ("exported", "ann"),
    ]
    assert custody[3]["purpose"] == "read the headers"
    shown = ann.get(f"/api/v1/evidence/{item['id']}").json()
    assert len(shown["custody"]) == 5

    trail = ann.get("/api/v1/incidents/IR-2026-0001/audit")
    if trail.status_code == 200:  # analysts may not read the audit trail; managers may
        assert any(e["object_type"] == "custody" for e in trail.json())


def test_readers_see_and_verify_but_cannot_add_handle_or_export(runtime: Runtime) -> None:
    open_incident(runtime)
    [item] = _upload(client(runtime, token_for(runtime, "ann", "analyst")))
    audrey = client(runtime, token_for(runtime, "audrey", "auditor"))
    assert audrey.get(f"/api/v1/evidence/{item['id']}").status_code == 200
    assert audrey.post(f"/api/v1/evidence/{item['id']}/verify").json()["ok"] is True
    denied = [
        audrey.post(
            "/api/v1/incidents/IR-2026-0001/evidence",
            data=FORM,
            files=[("file", ("x", b"x", "text/plain"))],
        ),
        audrey.post(f"/api/v1/evidence/{item['id']}/custody", json={"action": "analysed", "purpose": "p"}),
        audrey.post(f"/api/v1/evidence/{item['id']}/export", json={"purpose": "p"}),
    ]
    assert [r.status_code for r in denied] == [403, 403, 403]
    rita = client(runtime, token_for(runtime, "rita", "reporter"))
    assert rita.get(f"/api/v1/evidence/{item['id']}").status_code == 403


def test_evidence_of_a_restricted_incident_is_not_found_for_those_without_need_to_know(
    runtime: Runtime,
) -> None:
    open_incident(runtime, "Insider case", restricted=True)
    manager = client(runtime, token_for(runtime, "mia", "incident_manager"))
    [item] = _upload(manager)
    ann = client(runtime, token_for(runtime, "ann", "analyst"))
    for response in (
        ann.get(f"/api/v1/evidence/{item['id']}"),
        ann.get(f"/api/v1/evidence/{item['label']}/content"),
        ann.post(f"/api/v1/evidence/{item['id']}/verify"),
        ann.get("/api/v1/incidents/IR-2026-0001/evidence"),
    ):
        assert response.status_code == 404, response.text
    assert [c["action"] for c in manager.get(f"/api/v1/evidence/{item['id']}/custody").json()] == [
        "collected"
    ]


def test_uploads_need_a_form_with_a_file_and_a_purpose(runtime: Runtime) -> None:
    open_incident(runtime)
    ann = client(runtime, token_for(runtime, "ann", "analyst"))
    url = "/api/v1/incidents/IR-2026-0001/evidence"
    assert ann.post(url, json={"purpose": "p"}).status_code == 422
    assert ann.post(url, data=FORM).status_code == 422
    no_purpose = ann.post(url, data={"description": "d"}, files=[("file", ("x", b"x", "text/plain"))])
    assert no_purpose.status_code == 422 and no_purpose.json()["hint"]
    assert ann.get("/api/v1/incidents/IR-2026-0001/evidence").json() == []
