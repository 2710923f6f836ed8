"""Create users and tokens for tests through the real services."""

from __future__ import annotations

from ironwatch.access import service as access
from ironwatch.bootstrap import Runtime
from ironwatch.core.principal import Principal, system_principal

PASSWORD = "correct horse battery staple"


def add_user(runtime: Runtime, username: str, role: str, *, password: str | None = PASSWORD) -> None:
    with runtime.uow(system_principal("test"), write=True) as uow:
        access.create_user(uow, username=username, role=role, password=password)
        uow.commit()


def token_for(runtime: Runtime, username: str, role: str | None = None, **kwargs: object) -> str:
    """A bearer token for ``username`` (created with ``role`` first if given)."""
    if role is not None:
        add_user(runtime, username, role)
    with runtime.uow(system_principal("test"), write=True) as uow:
        secret, _ = access.create_token(uow, username=username, **kwargs)  # type: ignore[arg-type]
        uow.commit()
    return secret


def principal(runtime: Runtime, username: str) -> Principal:
    with runtime.uow(system_principal("test")) as uow:
        return access.principal_for(access.find_user(uow, username), source_ip="127.0.0.1")
