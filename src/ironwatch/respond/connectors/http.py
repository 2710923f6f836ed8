"""Outgoing HTTP calls for connectors: JSON bodies, an idempotency key, optional HMAC signature.

The standard library's client is enough for one JSON request with a time limit; only http and
https URLs from the plan are called (never a URL from an action's inputs).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import AnyHttpUrl, Field, model_validator

from ironwatch.core.errors import ConfigurationError
from ironwatch.respond.connectors.base import ActionFailed, ConnectorModel

MAX_RESPONSE = 64 * 1024
SIGNATURE_HEADER = "X-Ironwatch-Signature"
TIMESTAMP_HEADER = "X-Ironwatch-Timestamp"


class Secret(ConnectorModel):
    """Where a secret is read from at the time of use: an environment variable or a file, never the plan."""

    env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]{0,127}$")
    file: str | None = Field(default=None, pattern=r"^/")

    @model_validator(mode="after")
    def _one(self) -> Secret:
        if (self.env is None) == (self.file is None):
            raise ValueError("give the secret's environment variable (env) or its file (file), one of them")
        return self

    def read(self) -> bytes:
        if self.env is not None:
            value = os.environ.get(self.env)
            if not value:
                raise ConfigurationError(
                    f"the environment variable {self.env} is not set", hint="set it for `ironwatch serve`"
                )
            return value.encode()
        try:
            return Path(str(self.file)).read_bytes().strip()
        except OSError as exc:
            raise ConfigurationError(
                f"cannot read the secret file {self.file}: {exc.strerror}", hint="check the path and mode"
            ) from None


class Endpoint(ConnectorModel):
    url: AnyHttpUrl
    #: a bearer token sent as Authorization (read at call time)
    token: Secret | None = None
    #: an HMAC-SHA256 key: the body is signed in X-Ironwatch-Signature
    signing_key: Secret | None = None
    headers: dict[str, str] = Field(default_factory=dict)


@dataclass(frozen=True)
class Response:
    status: int
    body: str


def sign(key: bytes, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``timestamp.body``, as receivers check it."""
    return "sha256=" + hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def post_json(
    endpoint: Endpoint,
    payload: dict[str, Any],
    *,
    idempotency_key: str,
    timeout: float,
    method: str = "POST",
    url: str | None = None,
) -> Response:
    """Send ``payload``; a non-2xx answer, a time-out or an unreachable host is ``ActionFailed``."""
    target = url or str(endpoint.url)
    if not target.startswith(("http://", "https://")):
        raise ActionFailed(f"{target!r} is not an http(s) URL")
    body = orjson.dumps(payload)
    # the time signed with the body lets a receiver refuse replays of an old request
    timestamp = str(int(time.time()))
    headers = {"content-type": "application/json", "idempotency-key": idempotency_key, **endpoint.headers}
    if endpoint.token is not None:
        headers["authorization"] = "Bearer " + endpoint.token.read().decode()
    if endpoint.signing_key is not None:
        headers[TIMESTAMP_HEADER] = timestamp
        headers[SIGNATURE_HEADER] = sign(endpoint.signing_key.read(), timestamp, body)
    request = urllib.request.Request(target, data=body, headers=headers, method=method)  # noqa: S310 (http(s) checked above)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (http(s) checked above)
            return Response(answer.status, answer.read(MAX_RESPONSE).decode("utf-8", "replace"))
    except urllib.error.HTTPError as exc:
        said = exc.read(2000).decode("utf-8", "replace")
        raise ActionFailed(f"{method} {target} answered {exc.code}: {said.strip() or exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ActionFailed(f"{method} {target} failed: {reason}") from None
