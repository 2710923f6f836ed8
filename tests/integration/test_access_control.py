"""Need-to-know, tokens, logins, sessions and HTTP hardening."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.store.tables import AuditEntryRow
from tests.support.api import client
from tests.support.people import PASSWORD, add_user, token_for


@pytest.fixture
def people(runtime: Runtime) -> dict[str, str]:
    token_for(runtime, "root", "admin")
    return {
        "manager": token_for(runtime, "mia", "incident_manager"),
        "assignee": token_for(runtime, "ana", "analyst"),
        "outsider": token_for(runtime, "bob", "analyst"),
        "auditor": token_for(runtime, "aud", "auditor"),
        "admin": token_for(runtime, "adm", "admin"),
    }


def test_restricted_incidents_do_not_leak_through_list_search_count_or_get(
    runtime: Runtime, people: dict[str, str]
) -> None:
    manager = client(runtime, people["manager"])
    secret = manager.post(
        "/api/v1/incidents", json={"title": "CFO mailbox compromise", "restricted": True, "assignee": "ana"}
    ).json()
    manager.post("/api/v1/incidents", json={"title": "Open phishing case"})
    for who in ("outsider", "auditor", "admin"):
        c = client(runtime, people[who])
        page = c.get("/api/v1/incidents").json()
        assert page["total"] == 1 and [i["title"] for i in page["items"]] == ["Open phishing case"], who
        assert c.get("/api/v1/incidents", params={"text": "CFO"}).json()["total"] == 0, who
        assert c.get(f"/api/v1/incidents/{secret['ref']}").status_code == 404, who
        assert c.get(f"/api/v1/incidents/{secret['id']}").status_code == 404, who
    for who in ("manager", "assignee"):
        c = client(runtime, people[who])
        assert c.get("/api/v1/incidents", params={"text": "CFO"}).json()["total"] == 1, who
    manager.post(f"/api/v1/incidents/{secret['ref']}/members", json={"username": "bob"})
    assert client(runtime, people["outsider"]).get(f"/api/v1/incidents/{secret['ref']}").status_code == 200


def test_only_restrict_permission_may_restrict(runtime: Runtime, people: dict[str, str]) -> None:
    response = client(runtime, people["assignee"]).post(
        "/api/v1/incidents", json={"title": "x", "restricted": True}
    )
    assert response.status_code == 403 and "incident:restrict" in response.json()["hint"]


def test_revoked_tokens_stop_working(runtime: Runtime, people: dict[str, str]) -> None:
    analyst = client(runtime, people["assignee"])
    mine = analyst.get("/api/v1/tokens").json()
    assert [t["username"] for t in mine] == ["ana"]
    assert analyst.delete(f"/api/v1/tokens/{mine[0]['id']}").status_code == 204
    response = analyst.get("/api/v1/incidents")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_tokens_expire(runtime: Runtime, clock: FrozenClock) -> None:
    token = token_for(runtime, "ana", "analyst", expires_in=timedelta(days=1))
    api = client(runtime, token)
    assert api.get("/api/v1/incidents").status_code == 200
    clock.advance(timedelta(days=1, seconds=1))
    assert "expired" in api.get("/api/v1/incidents").json()["detail"]


def test_token_scopes_narrow_the_role(runtime: Runtime) -> None:
    add_user(runtime, "ana", "analyst")
    token = token_for(runtime, "ana", scopes=["incident:read"])
    api = client(runtime, token)
    assert api.get("/api/v1/incidents").status_code == 200
    assert api.post("/api/v1/incidents", json={"title": "x"}).status_code == 403


def test_token_scopes_cannot_exceed_the_role(runtime: Runtime) -> None:
    add_user(runtime, "rep", "reporter")
    token = token_for(runtime, "rep")
    response = client(runtime, token).post("/api/v1/tokens", json={"scopes": ["audit:read"]})
    assert response.status_code == 422 and "narrow" in response.json()["hint"]


def test_tokens_are_stored_only_as_hashes_and_last_use_is_recorded(runtime: Runtime) -> None:
    token = token_for(runtime, "ana", "analyst")
    client(runtime, token).get("/api/v1/incidents")
    with runtime.db.engine.connect() as conn:
        dump = "\n".join(str(row) for row in conn.exec_driver_sql("SELECT * FROM api_tokens").all())
        used = conn.exec_driver_sql("SELECT last_used_ip FROM api_token_use").scalar_one()
    assert token not in dump and token[3:] not in dump
    assert used == "testclient"


def test_failed_token_is_audited_with_source_address(runtime: Runtime) -> None:
    token_for(runtime, "root", "admin")
    client(runtime, "iw_not-a-real-token").get("/api/v1/incidents")
    with runtime.db.session(write=False) as session:
        entry = session.scalars(
            select(AuditEntryRow).where(AuditEntryRow.action == "auth.token_rejected")
        ).one()
    assert entry.source_ip == "testclient" and entry.changes == {"reason": "unknown token"}


def test_brute_force_logins_lock_the_account_and_are_audited(runtime: Runtime) -> None:
    add_user(runtime, "ana", "analyst")
    api = client(runtime)
    for _ in range(5):
        response = api.post("/api/v1/auth/login", json={"username": "ana", "password": "guess-guess-guess"})
        assert response.status_code == 401
    locked = api.post("/api/v1/auth/login", json={"username": "ana", "password": PASSWORD})
    assert locked.status_code == 401 and "locked" in locked.json()["detail"]
    with runtime.db.session(write=False) as session:
        failures = session.scalars(
            select(AuditEntryRow).where(AuditEntryRow.action == "auth.login_failed")
        ).all()
    assert len(failures) == 6 and {f.source_ip for f in failures} == {"testclient"}


def test_lockout_ends_after_its_time(runtime: Runtime, clock: FrozenClock) -> None:
    add_user(runtime, "ana", "analyst")
    api = client(runtime)
    for _ in range(5):
        api.post("/api/v1/auth/login", json={"username": "ana", "password": "wrong-password-1"})
    clock.advance(timedelta(minutes=16))
    assert api.post("/api/v1/auth/login", json={"username": "ana", "password": PASSWORD}).status_code == 200


def test_one_address_trying_many_accounts_is_throttled(runtime: Runtime) -> None:
    api = client(runtime)
    statuses = [
        api.post("/api/v1/auth/login", json={"username": f"user{n}", "password": "x"}).status_code
        for n in range(21)
    ]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429
    last = api.post("/api/v1/auth/login", json={"username": "user0", "password": "x"})
    assert last.headers["retry-after"] == "900"


def test_browser_session_needs_the_csrf_token_for_writes(runtime: Runtime) -> None:
    add_user(runtime, "ana", "analyst")
    api = client(runtime)
    login = api.post("/api/v1/auth/login", json={"username": "ana", "password": PASSWORD})
    assert login.status_code == 200
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert api.get("/api/v1/incidents").status_code == 200
    refused = api.post("/api/v1/incidents", json={"title": "x"})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    accepted = api.post(
        "/api/v1/incidents", json={"title": "x"}, headers={"x-csrf-token": login.json()["csrf_token"]}
    )
    assert accepted.status_code == 201
    api.post("/api/v1/auth/logout", headers={"x-csrf-token": login.json()["csrf_token"]})
    assert api.get("/api/v1/incidents").status_code == 401


def test_secure_cookie_flag_is_on_by_default(runtime: Runtime) -> None:
    runtime.settings.secure_cookies = True
    add_user(runtime, "ana", "analyst")
    login = client(runtime).post("/api/v1/auth/login", json={"username": "ana", "password": PASSWORD})
    assert "secure" in login.headers["set-cookie"].lower()


def test_without_an_admin_the_server_says_how_to_create_one(runtime: Runtime) -> None:
    response = client(runtime).post("/api/v1/incidents", json={"title": "x"})
    assert response.status_code == 401
    assert "ironwatch user add" in response.json()["hint"]


def test_every_audit_entry_carries_the_authenticated_actor(runtime: Runtime, people: dict[str, str]) -> None:
    ref = client(runtime, people["assignee"]).post("/api/v1/incidents", json={"title": "x"}).json()["ref"]
    client(runtime, people["manager"]).post(f"/api/v1/incidents/{ref}/transition", json={"to": "triage"})
    trail = client(runtime, people["auditor"]).get(f"/api/v1/incidents/{ref}/audit").json()
    assert [(e["action"], e["actor"]) for e in trail][:2] == [
        ("incident.create", "ana"),
        ("incident.transition", "mia"),
    ]
    assert trail[0]["source_ip"] == "testclient"


def test_security_headers_are_on_every_response(sqlite_runtime: Runtime) -> None:
    response = client(sqlite_runtime).get("/api/v1/incidents")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "access-control-allow-origin" not in response.headers
    assert "strict-transport-security" not in response.headers
    tls = client(sqlite_runtime)
    tls.base_url = tls.base_url.copy_with(scheme="https")
    assert "max-age" in tls.get("/api/v1/incidents").headers["strict-transport-security"]


def test_cors_is_closed_by_default(sqlite_runtime: Runtime) -> None:
    response = client(sqlite_runtime).options(
        "/api/v1/incidents",
        headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
    )
    assert "access-control-allow-origin" not in response.headers


def test_oversized_bodies_are_refused_with_413(sqlite_runtime: Runtime) -> None:
    sqlite_runtime.settings.max_body_bytes = 1000
    token = token_for(sqlite_runtime, "ana", "analyst")
    response = client(sqlite_runtime, token).post(
        "/api/v1/incidents", json={"title": "x", "summary": "y" * 5000}
    )
    assert response.status_code == 413 and "IRONWATCH_MAX_BODY_BYTES" in response.json()["hint"]


def test_exports_hide_restricted_incidents_and_withhold_red_content_from_outsiders(
    runtime: Runtime, people: dict[str, str]
) -> None:
    manager = client(runtime, people["manager"])
    manager.post("/api/v1/incidents", json={"title": "CFO mailbox", "restricted": True, "assignee": "mia"})
    red = manager.post(
        "/api/v1/incidents",
        json={"title": "Merger leak", "summary": "Deal room copied", "tlp": "red", "assignee": "ana"},
    ).json()
    manager.post(
        f"/api/v1/incidents/{red['ref']}/observables", json={"type": "domain", "value": "dropbox.example"}
    )
    manager.post("/api/v1/incidents", json={"title": "Phishing wave", "tlp": "green"})

    outsider = client(runtime, people["outsider"]).get("/api/v1/incidents/export").json()
    assert sorted(r["ref"] for r in outsider) == sorted([red["ref"], "IR-2026-0003"])
    leaked = next(r for r in outsider if r["ref"] == red["ref"])
    assert (
        "Merger" not in str(leaked)
        and "dropbox" not in str(leaked)
        and "withheld: TLP:RED" in leaked["title"]
    )
    csv_text = (
        client(runtime, people["outsider"]).get("/api/v1/incidents/export", params={"format": "csv"}).text
    )
    assert "Merger" not in csv_text and "CFO" not in csv_text and "Phishing wave" in csv_text

    inside = client(runtime, people["assignee"]).get("/api/v1/incidents/export").json()
    assert next(r for r in inside if r["ref"] == red["ref"])["observables"] == ["domain:dropbox.example"]
    trail = client(runtime, people["auditor"]).get("/api/v1/incidents/export")
    assert trail.status_code == 200
    with runtime.db.session(write=False) as session:
        exports = session.scalars(
            select(AuditEntryRow).where(AuditEntryRow.action == "incident.export")
        ).all()
    assert {e.actor for e in exports} == {"bob", "ana", "aud"} and exports[0].changes["withheld"] == 1
