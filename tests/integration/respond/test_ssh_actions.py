"""Account locking and process killing over real SSH, against a throwaway sshd this test starts.

The connector logs in with a key generated for the test and checks the server's host key against a
known_hosts file holding exactly that key; a server presenting another key is refused.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ironwatch.bootstrap import Runtime
from ironwatch.respond import actions
from ironwatch.respond.runner import run_pending
from ironwatch.respond.schemas import ActionRequestIn
from ironwatch.store.tables import ActionRequestRow
from tests.fixtures.sshd import (
    SshServer,
    local_account,
    shadow_expiry_field,
    shadow_password_field,
    ssh_server,
    sshd_available,
)
from tests.support.people import add_user, principal
from tests.support.respond import apply_plan_with_actions, open_incident

pytestmark = pytest.mark.skipif(
    not sshd_available(), reason="needs root and openssh-server (apt-get install openssh-server)"
)


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[SshServer]:
    yield from ssh_server(tmp_path / "sshd")


@pytest.fixture
def account() -> Iterator[str]:
    yield from local_account()


def _configure(runtime: Runtime, remote: dict[str, Any]) -> None:
    add_user(runtime, "ann", "analyst")
    add_user(runtime, "bob", "incident_manager")
    apply_plan_with_actions(
        runtime,
        connectors={
            "disable_account": {"enabled": True, "config": {"mode": "ssh", "remote": remote}},
            "kill_process": {"enabled": True, "config": {"remote": remote}},
        },
    )


def _run_approved(runtime: Runtime, connector: str, **inputs: object) -> ActionRequestRow:
    ref = open_incident(runtime)
    with runtime.uow(principal(runtime, "ann"), write=True) as uow:
        row, _ = actions.request_action(uow, ref, ActionRequestIn(connector=connector, inputs=inputs))
        uow.commit()
    with runtime.uow(principal(runtime, "bob"), write=True) as uow:
        actions.approve_action(uow, row.id)
        uow.commit()
    run_pending(runtime)
    return _action(runtime, row.id)


def _action(runtime: Runtime, action_id: str) -> ActionRequestRow:
    with runtime.uow(principal(runtime, "ann")) as uow:
        return actions.find_action(uow, action_id)[0]


def _passwd_status(account: str) -> str:
    done = subprocess.run(["passwd", "-S", account], capture_output=True, text=True, check=True)
    return done.stdout.split()[1]


def test_an_account_is_locked_over_ssh_and_unlocked_by_undo(
    sqlite_runtime: Runtime, sshd: SshServer, account: str
) -> None:
    _configure(sqlite_runtime, sshd.remote())
    assert _passwd_status(account) == "P"

    row = _run_approved(sqlite_runtime, "disable_account", account=account, host="127.0.0.1")
    assert row.status == "succeeded", row.error
    assert row.result["verified"] is True
    assert _passwd_status(account) == "L"
    assert shadow_password_field(account).startswith("!")
    assert shadow_expiry_field(account) == "0", "the account is expired too (key logins stop)"

    with sqlite_runtime.uow(principal(sqlite_runtime, "ann"), write=True) as uow:
        actions.request_undo(uow, row.id)
        uow.commit()
    run_pending(sqlite_runtime)
    assert _action(sqlite_runtime, row.id).status == "undone"
    assert _passwd_status(account) == "P"
    assert not shadow_password_field(account).startswith("!")
    assert shadow_expiry_field(account) == ""


def test_a_process_is_killed_over_ssh(sqlite_runtime: Runtime, sshd: SshServer) -> None:
    _configure(sqlite_runtime, sshd.remote())
    victim = subprocess.Popen(["sleep", "300"])
    try:
        row = _run_approved(sqlite_runtime, "kill_process", host="127.0.0.1", pid=victim.pid)
        assert row.status == "succeeded", row.error
        assert victim.wait(timeout=10) == -9, "sleep died of SIGKILL"
    finally:
        victim.kill()
        victim.wait()


def test_a_server_with_an_unknown_host_key_is_refused(
    sqlite_runtime: Runtime, sshd: SshServer, account: str, tmp_path: Path
) -> None:
    impostor = tmp_path / "other_known_hosts"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")],
        check=True,
        capture_output=True,
    )
    key_type, key_data = (tmp_path / "other.pub").read_text().split()[:2]
    impostor.write_text(f"[127.0.0.1]:{sshd.port} {key_type} {key_data}\n")
    _configure(sqlite_runtime, {**sshd.remote(), "known_hosts": str(impostor)})

    row = _run_approved(sqlite_runtime, "disable_account", account=account, host="127.0.0.1")
    assert row.status == "approved" and row.attempts == 1, "failed, to be retried within the bounds"
    assert "host key" in row.error and str(impostor) in row.error, row.error
    assert _passwd_status(account) == "P", "nothing was done on a host we could not verify"
