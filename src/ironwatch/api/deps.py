"""Request dependencies: the runtime, the authenticated principal, and per-route permissions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ironwatch.access import service as access
from ironwatch.access.secrets import same
from ironwatch.bootstrap import Runtime
from ironwatch.core.errors import AuthenticationError, PermissionDeniedError
from ironwatch.core.permissions import Permission
from ironwatch.core.principal import Principal, anonymous_principal

SESSION_COOKIE = "iw_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def authenticate(request: Request, runtime: RuntimeDep) -> Principal:
    """A bearer token, or a browser session cookie with its CSRF token on unsafe methods."""
    ip = client_ip(request)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError(
                "the Authorization header is not a bearer token", hint="send 'Authorization: Bearer TOKEN'"
            )
        return access.authenticate_token(runtime.db, runtime.clock, token.strip(), source_ip=ip)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        principal = access.authenticate_token(runtime.db, runtime.clock, cookie, source_ip=ip)
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not same(sent, access.csrf_token_for(cookie)):
                raise PermissionDeniedError(
                    "the CSRF token is missing or wrong", hint=f"send the {CSRF_HEADER} header given at login"
                )
        return principal
    with runtime.uow(anonymous_principal(ip)) as uow:
        if access.count_admins(uow) == 0:
            raise AuthenticationError(
                "no administrator exists yet, so nobody can sign in and nothing can be changed",
                hint=access.NO_ADMIN_HINT,
            )
    raise AuthenticationError(
        "sign in first", hint="send 'Authorization: Bearer TOKEN'; create one with `ironwatch token create`"
    )


class Permit:
    """``Depends(Permit(Permission.X))``: the route needs permission X; yields the principal."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    def __call__(self, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        principal.require(self.permission)
        return principal


#: the query parameter carrying a report's lookup token (``GET /api/v1/reports/{ref}?token=``)
LOOKUP_TOKEN_PARAM = "token"  # noqa: S105 (a parameter name)


def authenticate_unless_lookup_token(request: Request, runtime: RuntimeDep) -> Principal:
    """The caller, or an anonymous principal when the request carries a lookup token.

    The token is then the credential; the service that answers checks it.
    """
    if LOOKUP_TOKEN_PARAM in request.query_params:
        return anonymous_principal(client_ip(request))
    return authenticate(request, runtime)


class PermitOrLookupToken(Permit):
    """Like :class:`Permit`, but a request with ``?token=`` passes without credentials.

    For lookups where a secret handed out earlier (a report's lookup token) stands in for a
    sign-in; without the token the route needs the permission as usual.
    """

    def __call__(
        self, principal: Annotated[Principal, Depends(authenticate_unless_lookup_token)]
    ) -> Principal:
        if principal.kind == "anonymous":
            return principal
        return super().__call__(principal)


def anonymous(request: Request) -> Principal:
    return anonymous_principal(client_ip(request))


Authenticated = Annotated[Principal, Depends(authenticate)]
