"""Users, API tokens and login attempts (access control)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ironwatch.store.tables.base import Base
from ironwatch.store.types import JSONDoc, UTCDateTime


class UserRow(Base):
    __tablename__ = "users"
    __audit_type__ = "user"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(30), nullable=False)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(nullable=False, default=False)
    failed_logins: Mapped[int] = mapped_column(nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class TokenRow(Base):
    """An API token; only the SHA-256 of its secret is kept (the secret is 256 random bits)."""

    __tablename__ = "api_tokens"
    __audit_type__ = "token"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    #: ``api`` for tokens people create, ``session`` for browser logins (cookie)
    kind: Mapped[str] = mapped_column(String(10), nullable=False, default="api")
    prefix: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    scopes: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class TokenUseRow(Base):
    """Last use of each token, kept apart so that using a token is not an audited write."""

    __tablename__ = "api_token_use"

    token_id: Mapped[str] = mapped_column(ForeignKey("api_tokens.id"), primary_key=True)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_used_ip: Mapped[str | None] = mapped_column(String(45))


class LoginAttemptRow(Base):
    """Failed and successful logins by source address, for throttling and investigation."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_ip_at", "source_ip", "at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), nullable=False)
    source_ip: Mapped[str] = mapped_column(String(45), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    success: Mapped[bool] = mapped_column(nullable=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
