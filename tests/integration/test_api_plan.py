"""The plan over HTTP: apply (YAML or JSON), read, compare, score and print, with permissions."""

from __future__ import annotations

import pytest

from ironwatch.bootstrap import Runtime, ensure_starter_plan
from ironwatch.plan.render import SECTION_HEADINGS
from ironwatch.plan.starter import init_plan_text
from tests.support.api import client
from tests.support.people import token_for

STARTER = init_plan_text("Example Organisation")
YAML = {"content-type": "application/yaml"}


@pytest.fixture
def admin(runtime: Runtime):  # type: ignore[no-untyped-def]
    ensure_starter_plan(runtime)
    return client(runtime, token_for(runtime, "root", "admin"))


def test_current_plan_and_its_version_as_json(admin) -> None:  # type: ignore[no-untyped-def]
    body = admin.get("/api/v1/plan").json()
    assert body["version"]["version"] == 1
    assert body["version"]["applied_by"] == "system:bootstrap"
    assert body["plan"]["organisation"]["name"] == "Example Organisation"
    assert body["plan"]["priority"]["priorities"][0]["acknowledge"] == "15m"


def test_posting_yaml_applies_a_new_version_and_returns_the_changes(admin) -> None:  # type: ignore[no-untyped-def]
    edited = STARTER.replace("phone: +44 20 7946 0101", "phone: +44 20 7946 0199")
    response = admin.post("/api/v1/plan?note=new%20phone", content=edited.encode(), headers=YAML)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["version"]["version"] == 2 and body["version"]["note"] == "new phone"
    assert body["changes"] == [
        {
            "kind": "changed",
            "path": "team.people[alex].phone",
            "before": "+44 20 7946 0101",
            "after": "+44 20 7946 0199",
        }
    ]
    assert [v["version"] for v in admin.get("/api/v1/plan/versions").json()] == [2, 1]
    assert admin.get("/api/v1/plan/versions/1").json()["yaml"] == STARTER
    assert admin.get("/api/v1/plan/versions/2").json()["yaml"] == edited
    diff = admin.get("/api/v1/plan/diff", params={"from": 1, "to": 2}).json()
    assert diff["from_version"] == 1 and [c["path"] for c in diff["changes"]] == ["team.people[alex].phone"]


def test_posting_json_with_a_note_applies_a_version(admin) -> None:  # type: ignore[no-untyped-def]
    edited = STARTER.replace('version: "0.1-draft"', 'version: "1.0"')
    response = admin.post("/api/v1/plan", json={"yaml": edited, "note": "approved"})
    assert response.status_code == 201, response.text
    assert response.json()["changes"][0]["path"] == "document.version"


def test_a_broken_plan_is_422_with_every_located_problem(admin) -> None:  # type: ignore[no-untyped-def]
    broken = STARTER.replace("email: alex@example.org", "emial: alex@example.org").replace(
        "review_interval: 365d", "review_interval: 365x"
    )
    response = admin.post("/api/v1/plan", json={"yaml": broken, "source": "plan.yaml"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"] == "plan.yaml has 2 problems"
    lines = STARTER.splitlines()
    assert [(p["file"], p["line"]) for p in problem["problems"]] == [
        ("plan.yaml", next(n for n, line in enumerate(lines, 1) if "review_interval: 365d" in line)),
        ("plan.yaml", next(n for n, line in enumerate(lines, 1) if "email: alex@example.org" in line)),
    ]
    assert problem["problems"][1]["hint"].startswith("did you mean 'email'?")
    assert all(p["column"] for p in problem["problems"])
    assert len(admin.get("/api/v1/plan/versions").json()) == 1


@pytest.mark.parametrize(
    ("content", "headers", "status", "detail"),
    [
        (b"organisation: [", YAML, 422, "has 1 problem"),
        (b"\xff\xfe", YAML, 422, "not UTF-8"),
        (b"{not json", {"content-type": "application/json"}, 422, "not valid JSON"),
        (b"[]", {"content-type": "application/json"}, 422, "must be a JSON object"),
        (b"plan", {"content-type": "text/plain"}, 415, "cannot read a plan sent as 'text/plain'"),
    ],
)
def test_unreadable_submissions_say_what_to_send(  # type: ignore[no-untyped-def]
    admin, content: bytes, headers: dict[str, str], status: int, detail: str
) -> None:
    response = admin.post("/api/v1/plan", content=content, headers=headers)
    assert response.status_code == status
    assert detail in response.json()["detail"]
    assert response.json()["hint"]


def test_reapplying_the_plan_in_force_is_409(admin) -> None:  # type: ignore[no-untyped-def]
    response = admin.post("/api/v1/plan", content=STARTER.encode(), headers=YAML)
    assert response.status_code == 409
    assert "already in force as version 1" in response.json()["detail"]


def test_readiness_lists_gaps_and_the_score(admin) -> None:  # type: ignore[no-untyped-def]
    body = admin.get("/api/v1/plan/readiness").json()
    assert body["version"] == 1 and body["score"] == 80
    assert body["formula"].startswith("score = round(100 * sum(weight[c] * ratio[c])")
    assert {c["check"]: c["weight"] for c in body["checks"]}["staffing"] == 25
    severities = [g["severity"] for g in body["gaps"]]
    assert "high" in severities and severities == sorted(
        severities, key=["critical", "high", "medium", "low"].index
    )
    exercises = next(g for g in body["gaps"] if g["check"] == "exercises")
    assert exercises["path"] == "training.exercises" and exercises["hint"]
    assert admin.get("/api/v1/plan/readiness?horizon_days=0").status_code == 422


@pytest.mark.parametrize(("fmt", "media_type"), [("md", "text/markdown"), ("html", "text/html")])
def test_the_policy_document_in_each_format(admin, fmt: str, media_type: str) -> None:  # type: ignore[no-untyped-def]
    response = admin.get(f"/api/v1/plan/document?format={fmt}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.headers["content-disposition"] == f'attachment; filename="plan-v1.{fmt}"'
    assert all(heading in response.text for heading in SECTION_HEADINGS)


def test_the_policy_document_as_pdf(admin) -> None:  # type: ignore[no-untyped-def]
    response = admin.get("/api/v1/plan/document", params={"format": "pdf", "version": 1})
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert admin.get("/api/v1/plan/document?format=docx").status_code == 422
    assert admin.get("/api/v1/plan/document?version=9").status_code == 404


def test_missing_versions_and_no_plan_are_404_with_a_hint(runtime: Runtime) -> None:
    api = client(runtime, token_for(runtime, "root", "admin"))
    response = api.get("/api/v1/plan")
    assert response.status_code == 404 and "ironwatch plan apply" in response.json()["hint"]
    ensure_starter_plan(runtime)
    assert api.get("/api/v1/plan/versions/2").status_code == 404
    assert api.get("/api/v1/plan/diff?from=1&to=2").status_code == 404


def test_auditor_reads_the_plan_but_analyst_and_auditor_cannot_apply(runtime: Runtime) -> None:
    ensure_starter_plan(runtime)
    edited = STARTER.replace("phone: +44 20 7946 0101", "phone: +44 20 7946 0199").encode()
    auditor = client(runtime, token_for(runtime, "audrey", "auditor"))
    analyst = client(runtime, token_for(runtime, "ana", "analyst"))
    manager = client(runtime, token_for(runtime, "max", "incident_manager"))
    for path in [
        "/api/v1/plan",
        "/api/v1/plan/versions",
        "/api/v1/plan/versions/1",
        "/api/v1/plan/readiness",
    ]:
        assert auditor.get(path).status_code == 200, path
    assert auditor.post("/api/v1/plan", content=edited, headers=YAML).status_code == 403
    denied = analyst.post("/api/v1/plan", content=edited, headers=YAML)
    assert denied.status_code == 403 and "plan:write" in denied.json()["hint"]
    assert client(runtime, token_for(runtime, "rita", "reporter")).get("/api/v1/plan").status_code == 403
    assert manager.post("/api/v1/plan", content=edited, headers=YAML).status_code == 201
