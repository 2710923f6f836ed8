"""Who is acting: a user (through a password session or an API token), the local operator, or the system."""

from __future__ import annotations

from dataclasses import dataclass, field

from ironwatch.core.errors import PermissionDeniedError
from ironwatch.core.permissions import ROLE_PERMISSIONS, Permission, Role


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    user_id: str | None = None
    source_ip: str | None = None
    #: a token may carry fewer permissions than its user's role (its scopes)
    scopes: frozenset[Permission] | None = None
    kind: str = "user"
    permissions: frozenset[Permission] = field(init=False)

    def __post_init__(self) -> None:
        granted = ROLE_PERMISSIONS[self.role]
        if self.scopes is not None:
            granted = granted & self.scopes
        object.__setattr__(self, "permissions", granted)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if permission not in self.permissions:
            raise PermissionDeniedError(
                f"{self.name} ({self.role.value}) may not {permission.description}",
                hint=f"this needs the permission {permission.value!r}; ask an administrator",
            )

    @property
    def sees_all_restricted(self) -> bool:
        return self.kind == "system" or Permission.INCIDENT_READ_RESTRICTED in self.permissions


def system_principal(name: str = "system") -> Principal:
    """The product acting on its own (scheduler, detection, first start)."""
    return Principal(name=f"system:{name}", role=Role.ADMIN, kind="system")


def anonymous_principal(source_ip: str | None = None) -> Principal:
    """Someone who has not signed in: no permissions at all."""
    return Principal(
        name="anonymous", role=Role.REPORTER, source_ip=source_ip, scopes=frozenset(), kind="anonymous"
    )


def local_principal(os_user: str) -> Principal:
    """The operator at the server's console, who can read the database file anyway."""
    return Principal(name=f"local:{os_user}", role=Role.ADMIN, kind="local")


def public_reporter_principal(source_ip: str | None) -> Principal:
    """Someone reporting without credentials through the public intake: may submit a report, nothing else."""
    return Principal(
        name="anonymous",
        role=Role.REPORTER,
        source_ip=source_ip,
        scopes=frozenset({Permission.REPORT_SUBMIT}),
        kind="anonymous",
    )
