"""REST routes for signing in, users and API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ironwatch.access import service
from ironwatch.access.service import LoginPolicy
from ironwatch.api.deps import SESSION_COOKIE, Authenticated, Permit, RuntimeDep, anonymous
from ironwatch.core.permissions import Permission as P
from ironwatch.core.principal import Principal

router = APIRouter(tags=["access"])
Admin = Annotated[Principal, Depends(Permit(P.USER_ADMIN))]
TokenOwner = Annotated[Principal, Depends(Permit(P.TOKEN_OWN))]
Anonymous = Annotated[Principal, Depends(anonymous)]


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1024)


class LoginResponse(BaseModel):
    username: str
    role: str
    csrf_token: str
    expires_at: datetime | None


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=100)
    role: str
    password: str | None = Field(default=None, max_length=1024)
    display_name: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=320)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    username: str
    display_name: str
    email: str | None
    role: str
    disabled: bool
    locked_until: datetime | None
    created_at: datetime


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str | None = Field(default=None, description="whose token; yourself when left out")
    name: str = Field(default="", max_length=100)
    expires: str | None = Field(default=None, description="lifetime such as 30d, 12h; none for no expiry")
    scopes: list[str] = Field(default_factory=list, description="narrow the token to these permissions")


class TokenOut(BaseModel):
    id: str
    prefix: str
    username: str
    name: str
    scopes: list[str]
    expires_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime
    last_used_at: datetime | None = None


class TokenCreated(TokenOut):
    token: str = Field(description="shown once; store it now")


@router.post("/auth/login", response_model=LoginResponse, summary="Sign in with a password (browser session)")
def login(
    data: LoginRequest, request: Request, response: Response, principal: Anonymous, rt: RuntimeDep
) -> LoginResponse:
    policy = LoginPolicy(
        max_failures=rt.settings.login_max_failures,
        lockout=timedelta(seconds=rt.settings.login_lockout_seconds),
    )
    with rt.uow(principal, write=True) as uow:
        secret, row = service.login(
            uow,
            username=data.username,
            password=data.password,
            source_ip=principal.source_ip or "unknown",
            policy=policy,
        )
        role = uow.principal.role.value
        uow.commit()
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        secure=rt.settings.secure_cookies,
        samesite="strict",
        max_age=int(service.SESSION_LIFETIME.total_seconds()),
        path="/",
    )
    return LoginResponse(
        username=data.username.strip().lower(),
        role=role,
        csrf_token=service.csrf_token_for(secret),
        expires_at=row.expires_at,
    )


@router.post("/auth/logout", status_code=204, summary="End the browser session")
def logout(request: Request, response: Response, principal: Authenticated, rt: RuntimeDep) -> None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        with rt.uow(principal, write=True) as uow:
            service.logout(uow, cookie)
            uow.commit()
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/auth/me", summary="Who am I, and what may I do")
def me(principal: Authenticated) -> dict[str, object]:
    return {
        "username": principal.name,
        "role": principal.role.value,
        "permissions": sorted(principal.permissions),
    }


@router.get("/users", response_model=list[UserOut], summary="List users")
def list_users(principal: Admin, rt: RuntimeDep) -> list[UserOut]:
    with rt.uow(principal) as uow:
        return [UserOut.model_validate(u) for u in service.list_users(uow)]


@router.post("/users", status_code=201, response_model=UserOut, summary="Create a user")
def create_user(data: UserCreate, principal: Admin, rt: RuntimeDep) -> UserOut:
    with rt.uow(principal, write=True) as uow:
        row = service.create_user(
            uow,
            username=data.username,
            role=data.role,
            password=data.password,
            display_name=data.display_name,
            email=data.email,
        )
        out = UserOut.model_validate(row)
        uow.commit()
    return out


@router.post(
    "/tokens", status_code=201, response_model=TokenCreated, summary="Create an API token (shown once)"
)
def create_token(data: TokenCreate, principal: TokenOwner, rt: RuntimeDep) -> TokenCreated:
    with rt.uow(principal, write=True) as uow:
        secret, row = service.create_token(
            uow,
            username=data.username or principal.name,
            name=data.name,
            expires_in=service.parse_expiry(data.expires) if data.expires else None,
            scopes=data.scopes,
        )
        out = TokenCreated(
            id=row.id,
            prefix=row.prefix,
            username=data.username or principal.name,
            name=row.name,
            scopes=row.scopes,
            expires_at=row.expires_at,
            revoked_at=None,
            created_at=row.created_at,
            token=secret,
        )
        uow.commit()
    return out


@router.get("/tokens", response_model=list[TokenOut], summary="List API tokens (yours, or all for admins)")
def list_tokens(principal: TokenOwner, rt: RuntimeDep) -> list[TokenOut]:
    with rt.uow(principal) as uow:
        return [
            TokenOut(
                id=t.id,
                prefix=t.prefix,
                username=u.username,
                name=t.name,
                scopes=t.scopes,
                expires_at=t.expires_at,
                revoked_at=t.revoked_at,
                created_at=t.created_at,
                last_used_at=use.last_used_at if use else None,
            )
            for t, u, use in service.list_tokens(uow)
        ]


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke an API token")
def revoke_token(token_id: str, principal: TokenOwner, rt: RuntimeDep) -> None:
    with rt.uow(principal, write=True) as uow:
        service.revoke_token(uow, token_id)
        uow.commit()
