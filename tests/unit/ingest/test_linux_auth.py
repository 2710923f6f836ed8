from __future__ import annotations

import pytest

from .conftest import events_of, parse_fixture


@pytest.fixture(scope="module")
def auth() -> dict[str, dict[str, object]]:
    events = events_of(parse_fixture("auth.log", "linux.auth"))
    return {str(event.fields["message"]): event.fields for event in events}


def by_start(auth: dict[str, dict[str, object]], start: str) -> dict[str, object]:
    matches = [fields for message, fields in auth.items() if message.lstrip().startswith(start)]
    assert len(matches) == 1, start
    return matches[0]


@pytest.mark.parametrize(
    ("start", "action", "outcome", "user", "ip"),
    [
        ("Accepted password for alice", "ssh_login", "success", "alice", "192.0.2.10"),
        ("Accepted publickey for deploy", "ssh_login", "success", "deploy", "192.0.2.11"),
        ("Failed password for root", "ssh_login", "failure", "root", "203.0.113.9"),
        ("Failed password for invalid user admin", "ssh_login", "failure", "admin", "203.0.113.9"),
        ("Invalid user oracle", "ssh_invalid_user", "failure", "oracle", "203.0.113.9"),
        ("Failed publickey for git", "ssh_login", "failure", "git", "203.0.113.9"),
        ("pam_unix(sshd:auth): authentication failure", "sshd_auth", "failure", "root", "203.0.113.9"),
    ],
)
def test_sshd_authentication(auth, start, action, outcome, user, ip) -> None:
    fields = by_start(auth, start)
    assert fields["event.dataset"] == "linux.auth"
    assert fields["event.category"] == "authentication"
    assert (fields["event.action"], fields["event.outcome"], fields["user.name"]) == (action, outcome, user)
    assert fields["source.ip"] == ip


def test_ssh_port_is_an_int(auth) -> None:
    assert by_start(auth, "Accepted password for alice")["source.port"] == 51234


def test_ssh_disconnect_is_a_session_event(auth) -> None:
    fields = by_start(auth, "Disconnected from authenticating user root")
    assert (fields["event.category"], fields["event.action"], fields["user.name"]) == (
        "session",
        "ssh_disconnect",
        "root",
    )
    assert by_start(auth, "Received disconnect from")["source.port"] == 4243


def test_sudo_command_records_who_ran_what_as_whom(auth) -> None:
    fields = by_start(auth, "alice : TTY=pts/0")
    assert fields["user.name"] == "alice"
    assert fields["user.effective.name"] == "root"
    assert fields["process.command_line"] == "/usr/bin/cat /etc/shadow"
    assert fields["event.outcome"] == "success"


def test_sudo_failure(auth) -> None:
    fields = by_start(auth, "bob : 3 incorrect password attempts")
    assert fields["event.outcome"] == "failure"
    assert fields["error.message"] == "3 incorrect password attempts"


def test_su_success_and_failure(auth) -> None:
    ok = by_start(auth, "(to root) alice")
    failed = by_start(auth, "FAILED SU (to root) bob")
    assert (ok["event.action"], ok["event.outcome"], ok["user.name"]) == ("su", "success", "alice")
    assert (failed["event.outcome"], failed["user.effective.name"]) == ("failure", "root")


@pytest.mark.parametrize(
    ("start", "action", "key", "value"),
    [
        ("new user: name=backdoor", "user_created", "user.name", "backdoor"),
        ("new group: name=devs", "group_created", "group.name", "devs"),
        ("add 'backdoor' to group 'sudo'", "user_added_to_group", "group.name", "sudo"),
        ("pam_unix(passwd:chauthtok)", "password_changed", "user.name", "backdoor"),
        ("delete user 'backdoor'", "user_deleted", "user.name", "backdoor"),
    ],
)
def test_account_management_is_iam(auth, start, action, key, value) -> None:
    fields = by_start(auth, start)
    assert fields["event.category"] == "iam"
    assert fields["event.action"] == action
    assert fields[key] == value


def test_other_programs_in_auth_log_stay_plain_syslog(auth) -> None:
    fields = by_start(auth, "pam_unix(cron:session)")
    assert fields["event.dataset"] == "syslog"
