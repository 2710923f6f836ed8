"""Disable or lock an account: on Linux hosts over SSH (``usermod -L``, ``chage -E 0``) or in LDAP.

LDAP speaks two dialects: Active Directory (set the ACCOUNTDISABLE bit of ``userAccountControl``,
remembering the previous value for undo) and OpenLDAP's password policy overlay (``ppolicy``): an
administrator lock is ``pwdAccountLockedTime: 000001010000Z``, which slapd enforces on every bind until
the attribute is removed. The user's password is left alone, so undo restores exactly what was there
(replacing ``userPassword`` would destroy it). The overlay must be loaded on the user's database, or
slapd refuses the attribute and the action fails saying so.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Literal

from pydantic import Field

from ironwatch.respond.connectors.base import (
    ActionConnector,
    ActionContext,
    ActionFailed,
    ActionOutcome,
    ConnectorModel,
    Target,
)
from ironwatch.respond.connectors.http import Secret
from ironwatch.respond.connectors.targets import AccountName, Host, host_target
from ironwatch.respond.connectors.transport import Remote, full_argv, run_command, where

AD_DISABLED = 0x2
OPENLDAP_LOCKED = "000001010000Z"  # "locked until an administrator unlocks it" in the ppolicy overlay


def _ldap3() -> Any:
    """The ldap3 module, imported on first use like every optional protocol client.

    ldap3 2.9 imports names that pyasn1 >= 0.6.1 deprecated; the warning says nothing to an operator
    (and the test suite turns warnings into errors), so it is silenced for this import only.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pyasn1\.")
        warnings.filterwarnings(
            "ignore", category=DeprecationWarning, message=r".* is deprecated\. Please use"
        )
        import ldap3
        import ldap3.utils.conv

    return ldap3


class Ldap(ConnectorModel):
    url: str = Field(pattern=r"^ldaps?://[A-Za-z0-9.:\[\]-]+(?::\d+)?/?$")
    bind_dn: str = Field(min_length=1)
    password: Secret
    base_dn: str = Field(min_length=1)
    dialect: Literal["active_directory", "openldap"] = "active_directory"
    user_attribute: str = Field(default="sAMAccountName", pattern=r"^[A-Za-z][A-Za-z0-9-]{0,63}$")


class AccountConfig(ConnectorModel):
    mode: Literal["ssh", "ldap"] = "ssh"
    remote: Remote = Remote(mode="ssh")
    ldap: Ldap | None = None


class AccountInputs(ConnectorModel):
    account: AccountName = Field(description="the user name to lock")
    host: Host | None = Field(default=None, description="ssh: the host the account is on")


class DisableAccount(ActionConnector[AccountInputs, AccountConfig]):
    """Lock a compromised account so nobody can sign in with it; undo unlocks it."""

    name = "disable_account"
    title = "Disable or lock an account (Linux over SSH, or LDAP)"
    destructive = True
    undoable = True
    inputs_model = AccountInputs
    config_model = AccountConfig

    def targets(self, inputs: AccountInputs) -> list[Target]:
        found = [Target("account", inputs.account)]
        if inputs.host:
            found.append(host_target(inputs.host))
        return found

    def _lock_argv(self, account: str) -> list[list[str]]:
        return [["usermod", "-L", "--", account], ["chage", "-E", "0", "--", account]]

    def _unlock_argv(self, account: str) -> list[list[str]]:
        return [["usermod", "-U", "--", account], ["chage", "-E", "-1", "--", account]]

    def dry_run(self, inputs: AccountInputs, context: ActionContext) -> ActionOutcome:
        del context
        if self.config.mode == "ldap":
            ldap = self._ldap()
            return ActionOutcome(
                f"would lock {inputs.account} in {ldap.url} ({ldap.dialect})",
                {"ldap": ldap.url, "base_dn": ldap.base_dn},
            )
        remote = self.config.remote
        commands = [full_argv(remote, argv) for argv in self._lock_argv(inputs.account)]
        return ActionOutcome(
            f"would lock {inputs.account} {where(remote, inputs.host)}", {"commands": commands}
        )

    def execute(self, inputs: AccountInputs, context: ActionContext) -> ActionOutcome:
        if self.config.mode == "ldap":
            return self._ldap_lock(inputs, context)
        remote = self.config.remote
        for argv in self._lock_argv(inputs.account):
            run_command(remote, argv, timeout=context.timeout, host=inputs.host).check(argv[0])
        return ActionOutcome(
            f"locked {inputs.account} {where(remote, inputs.host)}",
            {"commands": [full_argv(remote, a) for a in self._lock_argv(inputs.account)]},
        )

    def verify(self, inputs: AccountInputs, context: ActionContext) -> bool | None:
        if self.config.mode == "ldap":
            return self._ldap_locked(inputs, context)
        done = run_command(
            self.config.remote,
            ["passwd", "-S", "--", inputs.account],
            timeout=context.timeout,
            host=inputs.host,
        )
        fields = done.stdout.split()
        return done.returncode == 0 and len(fields) > 1 and fields[1] in {"L", "LK"}

    def undo(self, inputs: AccountInputs, context: ActionContext) -> ActionOutcome:
        if self.config.mode == "ldap":
            return self._ldap_unlock(inputs, context)
        remote = self.config.remote
        for argv in self._unlock_argv(inputs.account):
            run_command(remote, argv, timeout=context.timeout, host=inputs.host).check(argv[0])
        return ActionOutcome(f"unlocked {inputs.account} {where(remote, inputs.host)}", {})

    def _ldap(self) -> Ldap:
        if self.config.ldap is None:
            raise ActionFailed("mode is ldap but the connector's config has no ldap section")
        return self.config.ldap

    def _connect(self, context: ActionContext) -> tuple[Any, Ldap]:
        ldap3 = _ldap3()
        ldap = self._ldap()
        server = ldap3.Server(ldap.url, connect_timeout=context.timeout)
        try:
            conn = ldap3.Connection(
                server,
                user=ldap.bind_dn,
                password=ldap.password.read().decode(),
                auto_bind=True,
                # whole seconds: ldap3 packs it into SO_RCVTIMEO with struct, which refuses a float
                receive_timeout=max(1, math.ceil(context.timeout)),
            )
        except ldap3.core.exceptions.LDAPException as exc:
            raise ActionFailed(f"cannot bind to {ldap.url} as {ldap.bind_dn}: {exc}") from None
        return conn, ldap

    def _find(self, conn: Any, ldap: Ldap, account: str) -> tuple[str, dict[str, Any]]:
        escape_filter_chars = _ldap3().utils.conv.escape_filter_chars
        query = f"({ldap.user_attribute}={escape_filter_chars(account)})"
        # ask only for the dialect's attribute: a server whose schema lacks the other one refuses it
        wanted = "userAccountControl" if ldap.dialect == "active_directory" else "pwdAccountLockedTime"
        conn.search(ldap.base_dn, query, attributes=[wanted])
        if len(conn.entries) != 1:
            raise ActionFailed(
                f"{len(conn.entries)} entries match {query} under {ldap.base_dn}; expected one"
            )
        entry = conn.entries[0]
        return entry.entry_dn, entry.entry_attributes_as_dict

    def _ldap_lock(self, inputs: AccountInputs, context: ActionContext) -> ActionOutcome:
        ldap3 = _ldap3()
        conn, ldap = self._connect(context)
        with conn:
            dn, attributes = self._find(conn, ldap, inputs.account)
            details: dict[str, Any] = {"dn": dn}
            if ldap.dialect == "active_directory":
                before = int((attributes.get("userAccountControl") or [512])[0])
                details["previous_uac"] = before
                change = {"userAccountControl": [(ldap3.MODIFY_REPLACE, [str(before | AD_DISABLED)])]}
            else:
                change = {"pwdAccountLockedTime": [(ldap3.MODIFY_REPLACE, [OPENLDAP_LOCKED])]}
            if not conn.modify(dn, change):
                said = conn.result.get("description")
                if ldap.dialect == "openldap":
                    said = f"{said} (is the ppolicy overlay loaded on this database?)"
                raise ActionFailed(f"LDAP refused to lock {dn}: {said}")
        return ActionOutcome(f"locked {dn} in {ldap.url}", details)

    def _ldap_locked(self, inputs: AccountInputs, context: ActionContext) -> bool:
        conn, ldap = self._connect(context)
        with conn:
            _, attributes = self._find(conn, ldap, inputs.account)
        if ldap.dialect == "active_directory":
            return bool(int((attributes.get("userAccountControl") or [0])[0]) & AD_DISABLED)
        return bool(attributes.get("pwdAccountLockedTime"))

    def _ldap_unlock(self, inputs: AccountInputs, context: ActionContext) -> ActionOutcome:
        ldap3 = _ldap3()
        conn, ldap = self._connect(context)
        with conn:
            dn, attributes = self._find(conn, ldap, inputs.account)
            if ldap.dialect == "active_directory":
                now = int((attributes.get("userAccountControl") or [512])[0])
                previous = int(context.previous.get("previous_uac", now & ~AD_DISABLED))
                change = {"userAccountControl": [(ldap3.MODIFY_REPLACE, [str(previous)])]}
            elif not attributes.get("pwdAccountLockedTime"):
                return ActionOutcome(f"{dn} in {ldap.url} was not locked", {"dn": dn})
            else:
                change = {"pwdAccountLockedTime": [(ldap3.MODIFY_DELETE, [])]}
            if not conn.modify(dn, change):
                raise ActionFailed(f"LDAP refused to unlock {dn}: {conn.result.get('description')}")
        return ActionOutcome(f"unlocked {dn} in {ldap.url}", {"dn": dn})
