"""``ironwatch user ...`` and ``ironwatch token ...``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ironwatch.access import service
from ironwatch.cli.context import console, emit_json, err_console, handle_errors, table, uow, when
from ironwatch.core.errors import ValidationError

users = typer.Typer(help="Manage users: the first admin, roles, passwords.", no_args_is_help=True)
tokens = typer.Typer(help="Manage API tokens (shown once, stored only as a hash).", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


def _read_password(stdin: bool) -> str:
    if stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise ValidationError(
            "no password given", hint="type one at the prompt or pipe it with --password-stdin"
        )
    return password


@users.command("add")
@handle_errors
def add(
    username: str,
    role: Annotated[
        str, typer.Option(help="admin, incident_manager, analyst, responder, reporter, auditor, sensor")
    ],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from stdin")
    ] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="token-only account (e.g. a log sender)")
    ] = False,
    name: Annotated[str, typer.Option(help="display name")] = "",
    email: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create a user. The first admin: ``ironwatch user add alice --role admin`` (password prompted)."""
    password = None if no_password else _read_password(password_stdin)
    with uow(write=True) as unit:
        row = service.create_user(
            unit, username=username, role=role, password=password, display_name=name, email=email
        )
        unit.commit()
    console.print(f"created user [bold]{row.username}[/] ({row.role})")


@users.command("list")
@handle_errors
def list_(json: JsonOpt = False) -> None:
    """List users with their role and state."""
    with uow() as unit:
        rows = service.list_users(unit)
    if json:
        emit_json(
            [
                {
                    "username": r.username,
                    "role": r.role,
                    "disabled": r.disabled,
                    "locked_until": r.locked_until.isoformat() if r.locked_until else None,
                    "email": r.email,
                }
                for r in rows
            ]
        )
        return
    table(
        "Users",
        ["User", "Role", "State", "Email"],
        [
            [
                r.username,
                r.role,
                "disabled" if r.disabled else ("locked" if r.locked_until else "active"),
                r.email,
            ]
            for r in rows
        ],
    )


@users.command("disable")
@handle_errors
def disable(
    username: str, enable: Annotated[bool, typer.Option("--enable", help="enable again instead")] = False
) -> None:
    """Disable a user (their tokens stop working) or enable them again."""
    with uow(write=True) as unit:
        row = service.set_disabled(unit, username, not enable)
        unit.commit()
    console.print(f"{row.username} is {'disabled' if row.disabled else 'enabled'}")


@users.command("passwd")
@handle_errors
def passwd(
    username: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from stdin")
    ] = False,
) -> None:
    """Set a user's password (also clears a lockout)."""
    password = _read_password(password_stdin)
    with uow(write=True) as unit:
        service.set_password(unit, username, password)
        unit.commit()
    console.print(f"password of {username} changed")


@users.command("role")
@handle_errors
def role(username: str, new_role: Annotated[str, typer.Argument(metavar="ROLE")]) -> None:
    """Change a user's role. Example: ironwatch user role bob incident_manager"""
    with uow(write=True) as unit:
        row = service.set_role(unit, username, new_role)
        unit.commit()
    console.print(f"{row.username} is now {row.role}")


@tokens.command("create")
@handle_errors
def create(
    user: Annotated[str, typer.Option("--user", help="whose token")],
    expires: Annotated[str | None, typer.Option(help="lifetime: 90m, 12h, 30d, 2w; none = no expiry")] = None,
    scope: Annotated[
        list[str] | None, typer.Option(help="narrow to a permission, repeatable (e.g. events:ingest)")
    ] = None,
    name: Annotated[str, typer.Option(help="what the token is for")] = "",
    json: JsonOpt = False,
) -> None:
    """Create an API token and print it once. Example: ironwatch token create --user alice --expires 30d"""
    with uow(write=True) as unit:
        secret, row = service.create_token(
            unit,
            username=user,
            name=name,
            expires_in=service.parse_expiry(expires) if expires else None,
            scopes=scope,
        )
        unit.commit()
    if json:
        emit_json(
            {
                "id": row.id,
                "token": secret,
                "expires_at": row.expires_at.isoformat() if row.expires_at else None,
            }
        )
        return
    console.print(secret, highlight=False, soft_wrap=True)
    err_console.print(f"token {row.prefix}… for {user}; store it now: it is not shown again")


@tokens.command("list")
@handle_errors
def list_tokens(user: Annotated[str | None, typer.Option("--user")] = None) -> None:
    """List tokens (never their secrets)."""
    with uow() as unit:
        rows = service.list_tokens(unit, user)
    table(
        "API tokens",
        ["Id", "Prefix", "User", "Name", "Scopes", "Expires", "Revoked", "Last used"],
        [
            [
                t.id,
                t.prefix,
                u.username,
                t.name,
                ",".join(t.scopes) or "(role)",
                when(t.expires_at),
                when(t.revoked_at),
                when(use.last_used_at if use else None),
            ]
            for t, u, use in rows
        ],
    )


@tokens.command("revoke")
@handle_errors
def revoke(token_id: Annotated[str, typer.Argument(help="token id or prefix")]) -> None:
    """Revoke a token at once."""
    with uow(write=True) as unit:
        row = service.revoke_token(unit, token_id)
        unit.commit()
    console.print(f"token {row.prefix}… revoked")
