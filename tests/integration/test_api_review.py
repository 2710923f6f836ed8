"""The lessons-learned API: timeline (JSON, CSV, manual entries), review flow, action items, metrics."""

from __future__ import annotations

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from tests.support.api import client
from tests.support.lessons import closed_incident
from tests.support.people import token_for


def test_timeline_api_lists_filters_exports_and_takes_manual_entries(
    runtime: Runtime, clock: FrozenClock
) -> None:
    ref = closed_incident(runtime, clock)
    with client(runtime, token_for(runtime, "ana", "analyst")) as c:
        added = c.post(
            f"/api/v1/incidents/{ref}/timeline",
            json={
                "at": "2026-03-02T04:00:00Z",
                "text": "Phishing page taken down",
                "source": "hoster",
                "confidence": "confirmed",
                "technique": "t1566.002",
            },
        )
        assert added.status_code == 201, added.text
        assert added.json()["techniques"] == ["T1566.002"]
        bad = c.post(
            f"/api/v1/incidents/{ref}/timeline",
            json={"at": "2026-03-02T04:00:00Z", "text": "x", "technique": "phishing"},
        )
        assert bad.status_code == 422
        manual = c.get(f"/api/v1/incidents/{ref}/timeline", params={"kind": "manual"}).json()
        assert [e["text"] for e in manual] == [
            "jdoe entered the password on the phishing page",
            "Phishing page taken down",
        ]
        exported = c.get(f"/api/v1/incidents/{ref}/timeline", params={"format": "csv", "kind": "alert"})
        assert exported.headers["content-type"].startswith("text/csv")
        assert exported.text.splitlines()[1].split(",")[1:3] == [
            "alert",
            "alert [high] VPN login from a new country",
        ]
        unknown = c.get(f"/api/v1/incidents/{ref}/timeline", params={"kind": "rumour"})
        assert unknown.status_code == 422 and "use any of" in unknown.json()["hint"]


def test_review_flow_over_the_api(runtime: Runtime, clock: FrozenClock) -> None:
    ref = closed_incident(runtime, clock)
    manager = token_for(runtime, "mia", "incident_manager")
    with client(runtime, manager) as c:
        assert c.post(f"/api/v1/incidents/{ref}/review").status_code == 201
        assert c.post(f"/api/v1/incidents/{ref}/review").status_code == 409
        patched = c.patch(
            f"/api/v1/incidents/{ref}/review",
            json={
                "root_cause": "Password-only VPN",
                "summary": "Phished VPN password",
                "training_needs": [{"course": "incident-handling", "roles": ["legal"]}],
            },
        )
        assert patched.status_code == 200, patched.text
        item = c.post(f"/api/v1/incidents/{ref}/review/items", json={"title": "Enforce MFA", "owner": "alex"})
        assert item.status_code == 201 and item.json()["label"] == f"{ref}-A1"
        done = c.post(f"/api/v1/incidents/{ref}/review/complete")
        assert done.status_code == 200, done.text
        assert done.json()["incident_status"] == "reviewed" and done.json()["plan_version"] == 2
        assert c.patch(f"/api/v1/incidents/{ref}/review", json={"summary": "later"}).status_code == 409
        assert [i["label"] for i in c.get("/api/v1/action-items", params={"open": "true"}).json()] == [
            f"{ref}-A1"
        ]
        closed = c.patch(
            f"/api/v1/incidents/{ref}/review/items/1", json={"status": "done", "resolution": "on"}
        )
        assert closed.json()["status"] == "done"
        assert c.get("/api/v1/action-items", params={"open": "true"}).json() == []
        plan = c.get("/api/v1/plan").json()
    course = next(x for x in plan["plan"]["training"]["courses"] if x["id"] == "incident-handling")
    assert "legal" in course["audience"]


def test_metrics_and_reports_over_the_api(runtime: Runtime, clock: FrozenClock) -> None:
    ref = closed_incident(runtime, clock)
    with client(runtime, token_for(runtime, "aud", "auditor")) as c:
        metrics = c.get("/api/v1/metrics", params={"since": "2026-03-01T00:00:00Z", "by": "source"})
        assert metrics.status_code == 200, metrics.text
        body = metrics.json()
        assert body["incidents"] == 1
        assert body["volume"] == [{"key": "alert:vpn-login-new-country", "count": 1}]
        mttc = next(d for d in body["durations"] if d["name"] == "mttc")
        assert (mttc["count"], mttc["p50_hours"]) == (1, 7.0)  # detected 05:00, contained 12:00
        assert c.get("/api/v1/metrics", params={"by": "colour"}).status_code == 422
        assert c.get("/api/v1/metrics", params={"since": "2026-03-01T00:00:00"}).status_code == 422
        html = c.get(f"/api/v1/incidents/{ref}/report", params={"format": "html"})
        assert html.headers["content-type"].startswith("text/html") and ref in html.text
        pdf = c.get("/api/v1/management-reports/period", params={"since": "2026-03-01T00:00:00Z"})
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    with client(runtime, token_for(runtime, "rita", "reporter")) as c:
        assert c.get("/api/v1/metrics").status_code == 403
        assert c.get(f"/api/v1/incidents/{ref}/report").status_code == 403
