"""The incident API end to end: lifecycle, children, filters, and clear 4xx errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ironwatch.bootstrap import Runtime
from tests.support.api import client
from tests.support.people import token_for

STEPS = ["triage", "confirmed", "containment", "eradication", "recovery", "closed", "reviewed"]


@pytest.fixture
def api(runtime: Runtime) -> TestClient:
    return client(runtime, token_for(runtime, "ana", "analyst"))


def _open(api: TestClient, **extra: object) -> dict:  # type: ignore[type-arg]
    response = api.post("/api/v1/incidents", json={"title": "Suspicious VPN logins", **extra})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_an_incident_goes_from_reported_to_reviewed_through_the_api(
    api: TestClient, runtime: Runtime
) -> None:
    incident = _open(
        api,
        severity="high",
        tags=["vpn"],
        reporter={"name": "Eve", "email": "eve@example.com", "phone": "+49 30 1234", "unit": "Finance"},
        occurred_at="2026-03-01T22:00:00+01:00",
    )
    ref = incident["ref"]
    assert incident["occurred_at"].startswith("2026-03-01T21:00:00")
    assert api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Looking"}).status_code == 201
    task = api.post(f"/api/v1/incidents/{ref}/tasks", json={"title": "Pull VPN logs", "owner": "ana"}).json()
    assert (
        api.patch(f"/api/v1/incidents/{ref}/tasks/{task['id']}", json={"status": "done"}).json()["status"]
        == "done"
    )
    first = api.post(f"/api/v1/incidents/{ref}/observables", json={"type": "ipv4", "value": "203.0.113.9"})
    again = api.post(f"/api/v1/incidents/{ref}/observables", json={"type": "ipv4", "value": " 203.0.113.9"})
    assert (first.status_code, again.status_code) == (201, 200)
    for step in STEPS:
        response = api.post(f"/api/v1/incidents/{ref}/transition", json={"to": step, "note": "ok"})
        assert response.status_code == 200, response.text
    detail = api.get(f"/api/v1/incidents/{ref}").json()
    assert detail["status"] == "reviewed"
    assert len(detail["transitions"]) == len(STEPS)
    assert detail["reporter"]["unit"] == "Finance"
    auditor = client(runtime, token_for(runtime, "aud", "auditor"))
    trail = auditor.get(f"/api/v1/incidents/{ref}/audit").json()
    assert trail[0]["action"] == "incident.create" and trail[0]["actor"] == "ana"


def test_update_changes_only_given_fields(api: TestClient) -> None:
    ref = _open(api, severity="low", tags=["a"])["ref"]
    updated = api.patch(f"/api/v1/incidents/{ref}", json={"priority": "P2", "tags": ["b", "a", "b"]}).json()
    assert (updated["priority"], updated["severity"], updated["tags"]) == ("P2", "low", ["a", "b"])


def test_list_filters_and_paginates(api: TestClient) -> None:
    for n in range(3):
        _open(api, severity="high" if n else "low")
    page = api.get("/api/v1/incidents", params={"severity": "high", "limit": 1}).json()
    assert (page["total"], len(page["items"])) == (2, 1)
    assert (
        api.get("/api/v1/incidents", params={"status": "reported", "offset": 2}).json()["items"][0][
            "severity"
        ]
        == "low"
    )


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "fragment"),
    [
        ("post", "/api/v1/incidents", {"title": "x" * 201}, 422, "title"),
        ("post", "/api/v1/incidents", {"title": ""}, 422, "title"),
        ("post", "/api/v1/incidents", {"title": 5}, 422, "title"),
        ("post", "/api/v1/incidents", {"title": "x", "severity": "huge"}, 422, "severity"),
        ("post", "/api/v1/incidents", {"title": "x", "tlp": "purple"}, 422, "tlp"),
        (
            "post",
            "/api/v1/incidents",
            {"title": "x", "occurred_at": "2026-01-01T10:00:00"},
            422,
            "no time zone",
        ),
        ("post", "/api/v1/incidents", {"title": "x", "colour": "red"}, 422, "colour"),
        ("post", "/api/v1/incidents", {"title": "x", "reporter": {"email": "nope"}}, 422, "reporter.email"),
        ("post", "/api/v1/incidents", [1, 2], 422, "(body)"),
        ("get", "/api/v1/incidents?limit=0", None, 422, "limit"),
        ("get", "/api/v1/incidents?status=solved", None, 422, "unknown incident state"),
        ("get", "/api/v1/incidents/IR-2026-9999", None, 404, "no incident"),
    ],
)
def test_bad_input_gets_a_problem_document_naming_what_to_fix(
    api: TestClient, method: str, path: str, body: object, status: int, fragment: str
) -> None:
    response = api.request(method.upper(), path, json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert fragment in response.text


def test_unknown_state_and_malformed_ip_are_clear_4xx(api: TestClient) -> None:
    ref = _open(api)["ref"]
    bad_state = api.post(f"/api/v1/incidents/{ref}/transition", json={"to": "done"})
    assert bad_state.status_code == 422 and "use one of" in bad_state.json()["hint"]
    forbidden = api.post(f"/api/v1/incidents/{ref}/transition", json={"to": "closed"})
    assert forbidden.status_code == 409 and forbidden.json()["allowed"] == [
        "confirmed",
        "false_positive",
        "triage",
    ]
    bad_ip = api.post(f"/api/v1/incidents/{ref}/observables", json={"type": "ipv4", "value": "1.2.3.999"})
    assert bad_ip.status_code == 422 and "192.0.2.10" in bad_ip.json()["hint"]


def test_malformed_json_is_a_4xx(api: TestClient) -> None:
    response = api.post(
        "/api/v1/incidents", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_openapi_needs_credentials_and_lists_the_routes(api: TestClient, runtime: Runtime) -> None:
    assert client(runtime).get("/openapi.json").status_code == 401
    spec = api.get("/openapi.json").json()
    assert "/api/v1/incidents/{key}/transition" in spec["paths"]


def test_healthz_answers_without_credentials_once_ready(runtime: Runtime) -> None:
    assert client(runtime).get("/healthz").status_code == 503  # lifespan not started: not ready
    with client(runtime) as started:
        assert started.get("/healthz").json()["status"] == "ok"
