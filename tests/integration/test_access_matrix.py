"""Every API route, for every role and for anonymous callers, against the one permission table."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute

from ironwatch.api.app import API_ROUTERS, create_app
from ironwatch.api.deps import Permit
from ironwatch.bootstrap import Runtime
from ironwatch.core.permissions import ROLE_PERMISSIONS, Permission, Role
from tests.support.api import client
from tests.support.people import token_for

PUBLIC = {
    ("GET", "/healthz"),
    ("POST", "/api/v1/auth/login"),
    # people without an account report here; off unless IRONWATCH_PUBLIC_REPORTS=true (then 404),
    # rate limited per source address when on (tests/integration/test_reports.py)
    ("POST", "/api/v1/reports/public"),
    # acknowledgement links in notifications: the single-use token is the credential
    # (tests/integration/notify/test_communication_plan.py)
    ("GET", "/api/v1/notifications/ack"),
    ("POST", "/api/v1/notifications/ack"),
}
SIGNED_IN_ONLY = {("GET", "/api/v1/auth/me"), ("POST", "/api/v1/auth/logout"), ("GET", "/openapi.json")}


def _permission(route: APIRoute) -> Permission | None:
    pending = list(route.dependant.dependencies)
    while pending:
        dep = pending.pop()
        if isinstance(dep.call, Permit):
            return dep.call.permission
        pending.extend(dep.dependencies)
    return None


def _routes(runtime: Runtime) -> list[tuple[str, str, Permission | None]]:
    app = create_app(runtime)
    mounted = [("", route) for route in app.routes if isinstance(route, APIRoute)]
    mounted += [(prefix, route) for prefix, router in API_ROUTERS for route in router.routes]
    found = []
    for prefix, route in mounted:
        assert isinstance(route, APIRoute)
        for method in sorted(route.methods - {"HEAD"}):
            found.append((method, prefix + route.path, _permission(route)))
    return found


def test_every_api_route_declares_a_permission_or_is_listed_as_public(sqlite_runtime: Runtime) -> None:
    for method, path, permission in _routes(sqlite_runtime):
        if (method, path) in PUBLIC | SIGNED_IN_ONLY:
            continue
        assert permission is not None, f"{method} {path} declares no permission"


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "IR-2026-0001", path)


def test_each_role_gets_exactly_what_the_table_allows(sqlite_runtime: Runtime) -> None:
    runtime = sqlite_runtime
    token_for(runtime, "root", "admin")  # an admin exists, so anonymous calls are plain 401s
    tokens = {role: token_for(runtime, f"user-{role.value}", role.value) for role in Role}
    # one app for all calls (building the app per request made this test slow as routes grew)
    anonymous_client = client(runtime)
    clients = {}
    for role, token in tokens.items():
        clients[role] = client(runtime)
        clients[role].headers["Authorization"] = f"Bearer {token}"
    checked = 0
    for method, path, permission in _routes(runtime):
        if (method, path) in PUBLIC:
            continue
        url = _concrete(path)
        body: Any = {} if method in {"POST", "PATCH", "PUT"} else None
        anonymous = anonymous_client.request(method, url, json=body)
        assert anonymous.status_code == 401, f"anonymous {method} {path}: {anonymous.status_code}"
        for role in tokens:
            status = clients[role].request(method, url, json=body).status_code
            allowed = permission is None or permission in ROLE_PERMISSIONS[role]
            if allowed:
                assert status not in (401, 403), f"{role} {method} {path} should pass, got {status}"
            else:
                assert status == 403, f"{role} {method} {path} should be denied, got {status}"
            checked += 1
    assert checked >= 7 * 15


@pytest.mark.parametrize("role", list(Role))
def test_auth_me_reports_the_role_permissions(sqlite_runtime: Runtime, role: Role) -> None:
    me = (
        client(sqlite_runtime, token_for(sqlite_runtime, "someone", role.value)).get("/api/v1/auth/me").json()
    )
    assert set(me["permissions"]) == {p.value for p in ROLE_PERMISSIONS[role]}
