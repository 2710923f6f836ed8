"""Locking an account in a real OpenLDAP directory (a throwaway slapd this test starts) and unlocking it.

The proof is the directory's own behaviour: the user can bind with her password before, cannot while
locked (the ppolicy overlay refuses the bind), and can again after undo; her password is untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ironwatch.bootstrap import Runtime
from ironwatch.respond import actions
from ironwatch.respond.runner import run_pending
from ironwatch.respond.schemas import ActionRequestIn
from ironwatch.store.tables import ActionRequestRow
from tests.fixtures.slapd import (
    ADMIN_DN,
    ADMIN_PASSWORD,
    BASE_DN,
    USER,
    USER_DN,
    USER_PASSWORD,
    LdapServer,
    can_bind,
    ldap_server,
    locked_time,
    slapd_available,
)
from tests.support.people import add_user, principal
from tests.support.respond import apply_plan_with_actions, open_incident

pytestmark = pytest.mark.skipif(
    not slapd_available(), reason="needs slapd and ldap-utils (apt-get install slapd ldap-utils)"
)


@pytest.fixture
def slapd(tmp_path: Path) -> Iterator[LdapServer]:
    yield from ldap_server(tmp_path / "slapd")


@pytest.fixture
def directory(sqlite_runtime: Runtime, slapd: LdapServer, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.setenv("IRONWATCH_TEST_LDAP_PASSWORD", ADMIN_PASSWORD)
    add_user(sqlite_runtime, "ann", "analyst")
    add_user(sqlite_runtime, "bob", "incident_manager")
    ldap = {
        "url": slapd.url,
        "bind_dn": ADMIN_DN,
        "password": {"env": "IRONWATCH_TEST_LDAP_PASSWORD"},
        "base_dn": BASE_DN,
        "dialect": "openldap",
        "user_attribute": "uid",
    }
    apply_plan_with_actions(
        sqlite_runtime,
        connectors={"disable_account": {"enabled": True, "config": {"mode": "ldap", "ldap": ldap}}},
    )
    return sqlite_runtime


def _action(runtime: Runtime, action_id: str) -> ActionRequestRow:
    with runtime.uow(principal(runtime, "ann")) as uow:
        return actions.find_action(uow, action_id)[0]


def _lock(runtime: Runtime, account: str) -> ActionRequestRow:
    ref = open_incident(runtime, category="compromised-account")
    with runtime.uow(principal(runtime, "ann"), write=True) as uow:
        row, _ = actions.request_action(
            uow, ref, ActionRequestIn(connector="disable_account", inputs={"account": account})
        )
        uow.commit()
    with runtime.uow(principal(runtime, "bob"), write=True) as uow:
        actions.approve_action(uow, row.id)
        uow.commit()
    run_pending(runtime)
    return _action(runtime, row.id)


def test_an_ldap_account_is_locked_by_password_policy_and_unlocked_by_undo(
    directory: Runtime, slapd: LdapServer
) -> None:
    assert can_bind(slapd, USER_DN, USER_PASSWORD)

    row = _lock(directory, USER)
    assert row.status == "succeeded", row.error
    assert row.result["verified"] is True and row.result["details"]["dn"] == USER_DN
    assert locked_time(slapd, USER_DN) == "000001010000Z"
    assert not can_bind(slapd, USER_DN, USER_PASSWORD), "slapd refuses the locked account"

    with directory.uow(principal(directory, "ann"), write=True) as uow:
        actions.request_undo(uow, row.id)
        uow.commit()
    run_pending(directory)
    assert _action(directory, row.id).status == "undone"
    assert locked_time(slapd, USER_DN) is None
    assert can_bind(slapd, USER_DN, USER_PASSWORD), "the same password works again"


def test_an_unknown_ldap_account_fails_with_the_search_that_found_nothing(directory: Runtime) -> None:
    row = _lock(directory, "nobody")
    assert row.status == "approved" and row.attempts == 1, "failed, to be retried within the bounds"
    assert "0 entries match (uid=nobody)" in row.error
