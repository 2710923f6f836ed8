"""Linux authentication and account-management messages (auth.log / secure), as carried in syslog.

Covers sshd logins and disconnects, sudo, su, PAM and the shadow-utils tools (useradd, usermod, userdel,
groupadd, groupdel, passwd, chpasswd). Recognised lines get ``event.category`` ``authentication``
or ``iam``, an ``event.action`` and, where the line says so, ``event.outcome``, ``user.name``,
``source.ip`` and ``source.port``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

DATASET = "linux.auth"
SSHD = frozenset({"sshd", "sshd-session", "sshd-auth"})
ACCOUNT_TOOLS = frozenset(
    {"useradd", "usermod", "userdel", "groupadd", "groupmod", "groupdel", "passwd", "chpasswd", "gpasswd"}
)
PROGRAMS = SSHD | ACCOUNT_TOOLS | {"sudo", "su", "login", "systemd-logind", "unix_chkpwd"}

Fields = dict[str, object]

_SSH_AUTH = re.compile(
    r"(?P<result>Accepted|Failed) (?P<method>\S+) for (?P<invalid>invalid user )?(?P<user>\S*) "
    r"from (?P<ip>\S+) port (?P<port>\d+)"
)
_SSH_INVALID = re.compile(r"Invalid user (?P<user>\S*) from (?P<ip>\S+)(?: port (?P<port>\d+))?")
_SSH_DISCONNECT = re.compile(
    r"(?:Disconnected from|Connection closed by|Received disconnect from|Connection reset by) "
    r"(?:(?:invalid|authenticating) user (?P<user>\S+) |user (?P<user2>\S+) )?(?P<ip>\S+) port (?P<port>\d+)"
)
_SSH_MAX_TRIES = re.compile(
    r"error: maximum authentication attempts exceeded for (?:invalid user )?(?P<user>\S+) "
    r"from (?P<ip>\S+) port (?P<port>\d+)"
)
_PAM_AUTH_FAILURE = re.compile(
    r"pam_unix\((?P<service>[^:)]+):auth\): authentication failure;"
    r".*?rhost=(?P<rhost>\S*)(?:\s+user=(?P<user>\S+))?"
)
_PAM_SESSION = re.compile(
    r"pam_unix\((?P<service>[^:)]+):session\): session (?P<state>opened|closed) for user (?P<user>[^\s(]+)"
    r"(?:\(uid=\d+\))?(?: by (?P<by>[^\s(]*))?"
)
_SUDO = re.compile(
    r"\s*(?P<user>\S+) : (?:(?P<error>[^;]*?) ; )?"
    r"TTY=(?P<tty>\S+) ; PWD=(?P<pwd>.*?) ; USER=(?P<target>\S+) ;"
    r"(?: GROUP=\S+ ;)?(?: TSID=\S+ ;)?(?: ENV=.*? ;)? COMMAND=(?P<command>.*)"
)
_SU_DEBIAN = re.compile(r"(?P<failed>FAILED SU )?\(to (?P<target>\S+)\) (?P<user>\S+) on (?P<tty>\S+)")
_SU_REDHAT = re.compile(r"(?P<result>Successful|FAILED) su for (?P<target>\S+) by (?P<user>\S+)")
_NEW_USER = re.compile(r"new user: name=(?P<user>[^,]+), UID=(?P<uid>\d+), GID=(?P<gid>\d+)")
_NEW_GROUP = re.compile(r"(?:new group|group added to \S+): name=(?P<group>[^,]+)(?:, GID=(?P<gid>\d+))?")
_ADD_TO_GROUP = re.compile(r"add '(?P<user>[^']+)' to (?:shadow )?group '(?P<group>[^']+)'")
_REMOVE_FROM_GROUP = re.compile(r"delete '(?P<user>[^']+)' from (?:shadow )?group '(?P<group>[^']+)'")
_DELETE_USER = re.compile(r"delete user '(?P<user>[^']+)'")
_DELETE_GROUP = re.compile(r"(?:removed group '(?P<group>[^']+)'|group '(?P<group2>[^']+)' removed)")
_USER_PASSWORD = re.compile(r"(?P<verb>change|lock|unlock) user '(?P<user>[^']+)' password")
_CHANGE_USER = re.compile(r"change user '(?P<user>[^']+)' (?P<what>shell|home|UID|GID|name|expiration)")
_PAM_PASSWORD = re.compile(r"pam_unix\((?:passwd|chpasswd):chauthtok\): password changed for (?P<user>\S+)")
_PASSWORD_CHANGED_BY = re.compile(r"password for '(?P<user>[^']+)' changed by '(?P<by>[^']+)'")


def _auth(fields: Fields, action: str, outcome: str, user: str | None) -> str:
    fields["event.category"] = "authentication"
    fields["event.action"] = action
    fields["event.outcome"] = outcome
    if user:
        fields["user.name"] = user
    return DATASET


def _iam(fields: Fields, action: str, kind: str, user: str | None = None, group: str | None = None) -> str:
    fields["event.category"] = "iam"
    fields["event.type"] = kind
    fields["event.action"] = action
    fields["event.outcome"] = "success"
    if user:
        fields["user.name"] = user
        fields["user.target.name"] = user
    if group:
        fields["group.name"] = group
    return DATASET


def _source(fields: Fields, ip: str | None, port: str | None) -> None:
    if ip:
        fields["source.ip"] = ip
    if port:
        fields["source.port"] = int(port)


def _sshd(message: str, fields: Fields) -> str | None:
    if match := _SSH_AUTH.match(message):  # by far the most frequent line: groups() in one call
        result, method, invalid, user, ip, port = match.groups()
        fields["ssh.method"] = method
        _source(fields, ip, port)
        if invalid:
            fields["user.invalid"] = True
        return _auth(fields, "ssh_login", "success" if result == "Accepted" else "failure", user)
    if match := _SSH_INVALID.match(message):
        _source(fields, match.group("ip"), match.group("port"))
        fields["user.invalid"] = True
        return _auth(fields, "ssh_invalid_user", "failure", match.group("user"))
    if match := _SSH_MAX_TRIES.match(message):
        _source(fields, match.group("ip"), match.group("port"))
        return _auth(fields, "ssh_max_attempts_exceeded", "failure", match.group("user"))
    if match := _SSH_DISCONNECT.match(message):
        _source(fields, match.group("ip"), match.group("port"))
        fields["event.category"] = "session"
        fields["event.action"] = "ssh_disconnect"
        user = match.group("user") or match.group("user2")
        if user:
            fields["user.name"] = user
        return DATASET
    return None


def _pam(message: str, fields: Fields) -> str | None:
    if match := _PAM_AUTH_FAILURE.search(message):
        rhost = match.group("rhost")
        if rhost:
            fields["source.address"] = rhost
            if rhost[0].isdigit() or ":" in rhost:
                fields["source.ip"] = rhost
        return _auth(fields, f"{match.group('service')}_auth", "failure", match.group("user"))
    if match := _PAM_SESSION.search(message):
        fields["event.category"] = "session"
        fields["event.type"] = "start" if match.group("state") == "opened" else "end"
        fields["event.action"] = f"{match.group('service')}_session_{match.group('state')}"
        fields["user.name"] = match.group("user")
        if match.group("by"):
            fields["user.effective.name"] = match.group("user")
            fields["user.name"] = match.group("by")
        return DATASET
    return None


def _sudo(message: str, fields: Fields) -> str | None:
    match = _SUDO.match(message)
    if match is None:
        return None
    fields["process.command_line"] = match.group("command")
    fields["process.working_directory"] = match.group("pwd")
    fields["process.tty.name"] = match.group("tty")
    fields["user.effective.name"] = match.group("target")
    error = match.group("error")
    if error:
        fields["error.message"] = error
    fields["event.category"] = "process"
    fields["event.action"] = "sudo_command"
    fields["event.outcome"] = "failure" if error else "success"
    fields["user.name"] = match.group("user")
    return DATASET


def _su(message: str, fields: Fields) -> str | None:
    if match := _SU_DEBIAN.match(message):
        fields["user.effective.name"] = match.group("target")
        fields["process.tty.name"] = match.group("tty")
        return _auth(fields, "su", "failure" if match.group("failed") else "success", match.group("user"))
    if match := _SU_REDHAT.match(message):
        fields["user.effective.name"] = match.group("target")
        outcome = "success" if match.group("result") == "Successful" else "failure"
        return _auth(fields, "su", outcome, match.group("user"))
    return None


def _accounts(message: str, fields: Fields) -> str | None:
    if match := _NEW_USER.match(message):
        fields["user.id"] = match.group("uid")
        fields["group.id"] = match.group("gid")
        return _iam(fields, "user_created", "creation", user=match.group("user"))
    if match := _NEW_GROUP.match(message):
        if match.group("gid"):
            fields["group.id"] = match.group("gid")
        return _iam(fields, "group_created", "creation", group=match.group("group"))
    if match := _ADD_TO_GROUP.match(message):
        return _iam(
            fields, "user_added_to_group", "change", user=match.group("user"), group=match.group("group")
        )
    if match := _REMOVE_FROM_GROUP.match(message):
        user, group = match.group("user"), match.group("group")
        return _iam(fields, "user_removed_from_group", "change", user=user, group=group)
    if match := _DELETE_USER.match(message):
        return _iam(fields, "user_deleted", "deletion", user=match.group("user"))
    if match := _DELETE_GROUP.match(message):
        return _iam(fields, "group_deleted", "deletion", group=match.group("group") or match.group("group2"))
    if match := _USER_PASSWORD.match(message):
        action = {"change": "password_changed", "lock": "user_locked", "unlock": "user_unlocked"}
        return _iam(fields, action[match.group("verb")], "change", user=match.group("user"))
    if match := _CHANGE_USER.match(message):
        fields["iam.changed_attribute"] = match.group("what")
        return _iam(fields, "user_modified", "change", user=match.group("user"))
    if match := _PASSWORD_CHANGED_BY.match(message):
        fields["user.changes.name"] = match.group("by")
        return _iam(fields, "password_changed", "change", user=match.group("user"))
    if match := _PAM_PASSWORD.search(message):
        return _iam(fields, "password_changed", "change", user=match.group("user"))
    return None


_BY_PROGRAM: dict[str, tuple[Callable[[str, Fields], str | None], ...]] = {
    **dict.fromkeys(SSHD, (_sshd, _pam)),
    **dict.fromkeys(ACCOUNT_TOOLS, (_accounts, _pam)),
    "sudo": (_sudo, _pam),
    "su": (_su, _pam),
    "login": (_pam,),
    "systemd-logind": (_pam,),
    "unix_chkpwd": (_pam,),
}


def parse_auth_message(program: str, message: str, fields: Fields) -> str | None:
    """Add the fields of a recognised auth message from ``program``; ``linux.auth`` or ``None``.

    >>> f: dict[str, object] = {}
    >>> parse_auth_message("sshd", "Failed password for root from 203.0.113.9 port 4242 ssh2", f)
    'linux.auth'
    >>> f["event.outcome"], f["user.name"], f["source.ip"]
    ('failure', 'root', '203.0.113.9')
    """
    for interpret in _BY_PROGRAM.get(program, ()):
        dataset = interpret(message, fields)
        if dataset is not None:
            return dataset
    return None
