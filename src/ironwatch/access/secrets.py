"""Password hashing (argon2id) and API token secrets (random, stored only as SHA-256)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ironwatch.core.errors import ValidationError

TOKEN_PREFIX = "iw_"  # noqa: S105 (a marker that makes leaked tokens easy to scan for)
MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@cache
def _dummy_hash() -> str:
    """Verified against when a user does not exist, so timing does not reveal which names exist.

    Computed on the first password check rather than at import (an argon2 hash costs ~0.1-0.2 s,
    which every command paid at start-up).
    """
    return _hasher.hash(secrets.token_urlsafe(16))


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"the password is {len(password)} characters long",
            hint=f"use at least {MIN_PASSWORD_LENGTH} characters; a passphrase of several words is best",
        )
    if len(password) > 1024:
        raise ValidationError("the password is longer than 1024 characters", hint="use a shorter passphrase")


def hash_password(password: str) -> str:
    check_password_strength(password)
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant-time check; always does the same work whether or not a hash exists."""
    # fetched before the branch on purpose: the first check of a process pays for computing it
    # whether or not the user exists, so that first check's timing reveals nothing either
    dummy = _dummy_hash()
    try:
        return _hasher.verify(stored_hash or dummy, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token_secret() -> tuple[str, str, str]:
    """A fresh token: ``(token, prefix, sha256)``. Only the prefix and hash are stored."""
    body = secrets.token_urlsafe(32)
    token = f"{TOKEN_PREFIX}{body}"
    return token, token[:10], token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
