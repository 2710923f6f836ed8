"""One exception hierarchy for the whole product.

The API maps these to RFC 9457 problem documents and the CLI to exit codes, each once.
Messages say what is wrong and what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLocation:
    """Where in a user's file a problem sits (1-based line and column)."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class IronwatchError(Exception):
    """Base of every error ironwatch raises on purpose."""

    status = 500
    exit_code = 1
    title = "Internal error"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        location: SourceLocation | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.location = location
        self.details = details or {}

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class ValidationError(IronwatchError):
    """Input that cannot be accepted as given."""

    status = 422
    exit_code = 2
    title = "Invalid input"


class NotFoundError(IronwatchError):
    status = 404
    exit_code = 3
    title = "Not found"


class TooLargeError(IronwatchError):
    """Content over a configured size limit (an attachment, a request body)."""

    status = 413
    exit_code = 2
    title = "Request too large"


class ConflictError(IronwatchError):
    """The request clashes with the current state (a forbidden transition, a duplicate)."""

    status = 409
    exit_code = 4
    title = "Conflict"


class AuthenticationError(IronwatchError):
    status = 401
    exit_code = 5
    title = "Authentication required"


class PermissionDeniedError(IronwatchError):
    status = 403
    exit_code = 6
    title = "Permission denied"


class RateLimitedError(IronwatchError):
    status = 429
    exit_code = 7
    title = "Too many requests"

    def __init__(self, message: str, *, retry_after: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint, details={"retry_after": retry_after})
        self.retry_after = retry_after


class UnavailableError(IronwatchError):
    """A part of the system needed for the request is not running or is overloaded."""

    status = 503
    exit_code = 10
    title = "Service unavailable"


class ConfigurationError(IronwatchError):
    """The installation or a configuration file is not usable as it stands."""

    status = 500
    exit_code = 8
    title = "Configuration error"


class IntegrityError(IronwatchError):
    """Stored data no longer matches what was recorded (audit chain, evidence hashes)."""

    status = 500
    exit_code = 9
    title = "Integrity check failed"


class UnsupportedMediaTypeError(ValidationError):
    """A request body in a form the endpoint does not take."""

    status = 415
    title = "Unsupported media type"
