"""Users, API tokens, password logins with throttling and lockout."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ironwatch.access import secrets as sec
from ironwatch.core.clock import Clock
from ironwatch.core.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    ValidationError,
)
from ironwatch.core.ids import new_id
from ironwatch.core.permissions import Permission, Role, parse_permission, parse_role
from ironwatch.core.principal import Principal
from ironwatch.store.audit import AuditContext, append_event
from ironwatch.store.db import Database
from ironwatch.store.tables import LoginAttemptRow, TokenRow, TokenUseRow, UserRow
from ironwatch.store.uow import UnitOfWork

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-@")
SESSION_LIFETIME = timedelta(hours=12)
IP_FAILURE_WINDOW = timedelta(minutes=15)
IP_FAILURE_LIMIT = 20


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)


def _check_username(username: str) -> str:
    name = username.strip().lower()
    if not name or len(name) > 100 or not set(name) <= USERNAME_CHARS:
        raise ValidationError(
            f"{username!r} is not a valid user name",
            hint="use 1-100 characters: lower-case letters, digits, '.', '_', '-', '@'",
        )
    return name


def find_user(uow: UnitOfWork, username: str) -> UserRow:
    row = uow.session.scalars(
        select(UserRow).where(UserRow.username == username.strip().lower())
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"no user {username!r}", hint="list users with `ironwatch user list`")
    return row


def count_admins(uow: UnitOfWork) -> int:
    query = (
        select(func.count())
        .select_from(UserRow)
        .where(UserRow.role == Role.ADMIN.value, UserRow.disabled.is_(False))
    )
    return int(uow.session.scalar(query) or 0)


def create_user(
    uow: UnitOfWork,
    *,
    username: str,
    role: str,
    password: str | None,
    display_name: str = "",
    email: str | None = None,
) -> UserRow:
    uow.principal.require(Permission.USER_ADMIN)
    name = _check_username(username)
    if uow.session.scalars(select(UserRow).where(UserRow.username == name)).one_or_none() is not None:
        raise ConflictError(
            f"user {name!r} already exists", hint="choose another name or change the existing user"
        )
    now = uow.clock.now()
    row = UserRow(
        id=new_id(),
        username=name,
        display_name=display_name,
        email=email,
        role=parse_role(role).value,
        password_hash=sec.hash_password(password) if password is not None else None,
        disabled=False,
        failed_logins=0,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(row)
    uow.flush()
    return row


def list_users(uow: UnitOfWork) -> list[UserRow]:
    uow.principal.require(Permission.USER_ADMIN)
    return list(uow.session.scalars(select(UserRow).order_by(UserRow.username)).all())


def set_disabled(uow: UnitOfWork, username: str, disabled: bool) -> UserRow:
    uow.principal.require(Permission.USER_ADMIN)
    row = find_user(uow, username)
    if disabled and row.role == Role.ADMIN.value and not row.disabled and count_admins(uow) <= 1:
        raise ConflictError("this is the last active administrator", hint="create another admin first")
    row.disabled = disabled
    row.updated_at = uow.clock.now()
    uow.flush()
    return row


def set_password(uow: UnitOfWork, username: str, password: str) -> UserRow:
    row = find_user(uow, username)
    if uow.principal.user_id != row.id:
        uow.principal.require(Permission.USER_ADMIN)
    row.password_hash = sec.hash_password(password)
    row.failed_logins = 0
    row.locked_until = None
    row.updated_at = uow.clock.now()
    uow.flush()
    return row


def set_role(uow: UnitOfWork, username: str, role: str) -> UserRow:
    uow.principal.require(Permission.USER_ADMIN)
    row = find_user(uow, username)
    new_role = parse_role(role)
    if row.role == Role.ADMIN.value and new_role != Role.ADMIN and count_admins(uow) <= 1:
        raise ConflictError("this is the last active administrator", hint="make another user admin first")
    row.role = new_role.value
    row.updated_at = uow.clock.now()
    uow.flush()
    return row


def principal_for(
    user: UserRow, *, source_ip: str | None, scopes: frozenset[Permission] | None = None
) -> Principal:
    return Principal(
        name=user.username, role=Role(user.role), user_id=user.id, source_ip=source_ip, scopes=scopes
    )


def parse_expiry(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m`` or ``2w`` as a duration."""
    units = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
    value = text.strip().lower()
    if len(value) < 2 or value[-1] not in units or not value[:-1].isdigit() or int(value[:-1]) <= 0:
        raise ValidationError(
            f"{text!r} is not a duration", hint="use a number and a unit: 90m, 12h, 30d or 2w"
        )
    return timedelta(seconds=int(value[:-1]) * units[value[-1]])


def create_token(
    uow: UnitOfWork,
    *,
    username: str,
    name: str = "",
    expires_in: timedelta | None = None,
    scopes: list[str] | None = None,
    kind: str = "api",
) -> tuple[str, TokenRow]:
    """Create a token and return ``(secret, row)``; the secret is shown once and never stored."""
    user = find_user(uow, username)
    if uow.principal.user_id != user.id:
        uow.principal.require(Permission.USER_ADMIN)
    elif kind == "api":
        uow.principal.require(Permission.TOKEN_OWN)
    if user.disabled:
        raise ConflictError(f"user {user.username!r} is disabled", hint="enable the user first")
    parsed = sorted({parse_permission(p).value for p in scopes or []})
    role_permissions = principal_for(user, source_ip=None).permissions
    beyond = [p for p in parsed if Permission(p) not in role_permissions]
    if beyond:
        raise ValidationError(
            f"the role {user.role!r} does not have {', '.join(beyond)}",
            hint="a token's scopes can only narrow its user's permissions",
        )
    secret, prefix, digest = sec.new_token_secret()
    now = uow.clock.now()
    row = TokenRow(
        id=new_id(),
        user_id=user.id,
        name=name,
        kind=kind,
        prefix=prefix,
        secret_hash=digest,
        scopes=parsed,
        expires_at=now + expires_in if expires_in else None,
        created_at=now,
    )
    uow.session.add(row)
    uow.flush()
    return secret, row


def list_tokens(
    uow: UnitOfWork, username: str | None = None
) -> list[tuple[TokenRow, UserRow, TokenUseRow | None]]:
    query = (
        select(TokenRow, UserRow, TokenUseRow)
        .join(UserRow, UserRow.id == TokenRow.user_id)
        .outerjoin(TokenUseRow, TokenUseRow.token_id == TokenRow.id)
        .where(TokenRow.kind == "api")
        .order_by(TokenRow.created_at)
    )
    if not uow.principal.can(Permission.USER_ADMIN):
        uow.principal.require(Permission.TOKEN_OWN)
        query = query.where(TokenRow.user_id == uow.principal.user_id)
    if username:
        query = query.where(UserRow.username == username.strip().lower())
    return [(t, u, use) for t, u, use in uow.session.execute(query).all()]


def revoke_token(uow: UnitOfWork, token_id: str) -> TokenRow:
    row = uow.session.scalars(
        select(TokenRow).where((TokenRow.id == token_id) | (TokenRow.prefix == token_id))
    ).first()
    if row is None:
        raise NotFoundError(f"no token {token_id!r}", hint="list tokens with `ironwatch token list`")
    if row.user_id != uow.principal.user_id:
        uow.principal.require(Permission.USER_ADMIN)
    if row.revoked_at is None:
        row.revoked_at = uow.clock.now()
        uow.flush()
    return row


def authenticate_token(db: Database, clock: Clock, token: str, *, source_ip: str | None) -> Principal:
    """The principal a bearer token stands for; failures are audited with the source address."""
    now = clock.now()
    digest = sec.token_hash(token)
    with db.session(write=True) as session:
        found = session.execute(
            select(TokenRow, UserRow)
            .join(UserRow, UserRow.id == TokenRow.user_id)
            .where(TokenRow.secret_hash == digest)
        ).first()
        reason = None
        if found is None:
            reason = "unknown token"
        else:
            row, user = found
            if not sec.same(row.secret_hash, digest):
                reason = "unknown token"
            elif row.revoked_at is not None:
                reason = "token revoked"
            elif row.expires_at is not None and row.expires_at <= now:
                reason = "token expired"
            elif user.disabled:
                reason = "user disabled"
        if reason is not None:
            context = AuditContext(actor="anonymous", source_ip=source_ip)
            append_event(
                session,
                context,
                action="auth.token_rejected",
                object_type="auth",
                object_id=token[:10] if token.startswith(sec.TOKEN_PREFIX) else "malformed",
                details={"reason": reason},
            )
            session.commit()
            raise AuthenticationError(
                f"the token was not accepted ({reason})",
                hint="create a new one with `ironwatch token create`",
            )
        row, user = found  # type: ignore[misc]
        use = session.get(TokenUseRow, row.id)
        if use is None:
            session.add(TokenUseRow(token_id=row.id, last_used_at=now, last_used_ip=source_ip))
        else:
            use.last_used_at, use.last_used_ip = now, source_ip
        session.commit()
        scopes = frozenset(Permission(p) for p in row.scopes) if row.scopes else None
        return principal_for(user, source_ip=source_ip, scopes=scopes)


def _recent_ip_failures(uow: UnitOfWork, source_ip: str, now: datetime) -> int:
    query = (
        select(func.count())
        .select_from(LoginAttemptRow)
        .where(
            LoginAttemptRow.source_ip == source_ip,
            LoginAttemptRow.success.is_(False),
            LoginAttemptRow.at >= now - IP_FAILURE_WINDOW,
        )
    )
    return int(uow.session.scalar(query) or 0)


def login(
    uow: UnitOfWork, *, username: str, password: str, source_ip: str, policy: LoginPolicy
) -> tuple[str, TokenRow]:
    """Check a password and open a browser session; throttled per address, locked per account.

    Returns the session secret (for the cookie) and its row. Every failure is audited with
    the source address; the message never says whether the user exists.
    """
    now = uow.clock.now()
    name = username.strip().lower()
    if _recent_ip_failures(uow, source_ip, now) >= IP_FAILURE_LIMIT:
        _record_login(uow, name, source_ip, success=False, reason="throttled")
        uow.commit()
        raise RateLimitedError(
            "too many failed logins from this address", retry_after=int(IP_FAILURE_WINDOW.total_seconds())
        )
    user = uow.session.scalars(select(UserRow).where(UserRow.username == name)).one_or_none()
    password_ok = sec.verify_password(user.password_hash if user else None, password)
    reason = None
    if user is None:
        reason = "unknown user"
    elif user.locked_until is not None and user.locked_until > now:
        reason = "account locked"
    elif user.disabled:
        reason = "user disabled"
    elif not password_ok:
        reason = "wrong password"
        user.failed_logins += 1
        if user.failed_logins >= policy.max_failures:
            user.locked_until = now + policy.lockout
            user.failed_logins = 0
            reason = "wrong password; account locked"
        user.updated_at = now
    if reason is not None:
        _record_login(uow, name, source_ip, success=False, reason=reason)
        uow.commit()
        if user is not None and user.locked_until is not None and user.locked_until > now:
            raise AuthenticationError(
                "the account is locked after repeated failures",
                hint="try again later or ask an administrator",
            )
        raise AuthenticationError("user name or password is wrong")
    if user is None:  # unreachable: a missing user always has a reason above
        raise AuthenticationError("user name or password is wrong")
    if user.failed_logins or user.locked_until:
        user.failed_logins, user.locked_until, user.updated_at = 0, None, now
    _record_login(uow, name, source_ip, success=True, reason="ok")
    uow.act_as(principal_for(user, source_ip=source_ip))
    return create_token(
        uow, username=name, name="browser session", expires_in=SESSION_LIFETIME, kind="session"
    )


def _record_login(uow: UnitOfWork, username: str, source_ip: str, *, success: bool, reason: str) -> None:
    uow.session.add(
        LoginAttemptRow(
            id=new_id(),
            username=username,
            source_ip=source_ip,
            at=uow.clock.now(),
            success=success,
            detail={"reason": reason},
        )
    )
    append_event(
        uow.session,
        AuditContext(actor=username or "anonymous", source_ip=source_ip),
        action="auth.login" if success else "auth.login_failed",
        object_type="auth",
        object_id=username or "anonymous",
        details={"reason": reason},
    )


def csrf_token_for(session_secret: str) -> str:
    """The CSRF token that goes with a browser session: derived, so nothing more is stored."""
    return hashlib.sha256(b"ironwatch-csrf:" + session_secret.encode()).hexdigest()


def logout(uow: UnitOfWork, session_secret: str) -> None:
    row = uow.session.scalars(
        select(TokenRow).where(TokenRow.secret_hash == sec.token_hash(session_secret))
    ).one_or_none()
    if row is not None and row.revoked_at is None:
        row.revoked_at = uow.clock.now()
        uow.flush()


NO_ADMIN_HINT = (
    "create one with `ironwatch user add NAME --role admin`, or start `ironwatch serve` "
    "with IRONWATCH_ADMIN_PASSWORD set"
)
