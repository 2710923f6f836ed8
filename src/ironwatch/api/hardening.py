"""HTTP hardening: security headers on every response and a limit on request bodies."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cache-control", b"no-store"),
]
_HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in _HEADERS if h[0] not in present)
                if tls:
                    headers.append(_HSTS)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass(frozen=True)
class PathLimit:
    """Another body limit for one path (uploads), with the hint a refused sender gets."""

    max_bytes: int
    hint: str


class BodyLimit:
    """Refuse bodies over ``max_bytes`` with 413, by Content-Length or while streaming.

    ``path_limits`` gives exact paths a limit of their own (a report with attachments);
    ``pattern_limits`` does so for paths matching a pattern (evidence uploads to any incident).
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        path_limits: Mapping[str, PathLimit] | None = None,
        pattern_limits: Sequence[tuple[re.Pattern[str], PathLimit]] = (),
    ) -> None:
        self.app = app
        self.default = PathLimit(
            max_bytes, "send less at once (split batches) or raise IRONWATCH_MAX_BODY_BYTES"
        )
        self.path_limits = dict(path_limits or {})
        self.pattern_limits = list(pattern_limits)

    def _limit_for(self, path: str) -> PathLimit:
        if path in self.path_limits:
            return self.path_limits[path]
        for pattern, limit in self.pattern_limits:
            if pattern.fullmatch(path):
                return limit
        return self.default

    async def _reject(self, send: Send, limit: PathLimit) -> None:
        body = orjson.dumps(
            {
                "type": "about:blank",
                "title": "Request too large",
                "status": 413,
                "detail": f"the request body is larger than {limit.max_bytes} bytes",
                "hint": limit.hint,
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > limit.max_bytes
                except ValueError:
                    too_big = True
                if too_big:
                    await self._reject(send, limit)
                    return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(send, limit)


class _TooLarge(Exception):
    pass
