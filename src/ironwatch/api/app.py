"""The FastAPI application factory."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi

from ironwatch import __version__
from ironwatch.access.router import router as access_router
from ironwatch.api import problems
from ironwatch.api.deps import Authenticated
from ironwatch.api.hardening import BodyLimit, SecurityHeaders
from ironwatch.bootstrap import Runtime
from ironwatch.incidents.router import router as incidents_router
from ironwatch.plan.router import router as plan_router

#: every slice's router and where it is mounted; the permission-matrix test walks these
API_ROUTERS: list[tuple[str, APIRouter]] = [
    ("/api/v1", incidents_router),
    ("/api/v1", access_router),
    ("/api/v1", plan_router),
]


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="ironwatch",
        version=__version__,
        summary="Security incident management API",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.ready = True
    problems.install(app)
    for prefix, router in API_ROUTERS:
        app.include_router(router, prefix=prefix)

    @app.get("/healthz", tags=["system"], summary="Liveness and readiness (no credentials needed)")
    def healthz() -> dict[str, Any]:
        return {"status": "ok" if app.state.ready else "starting", "version": __version__}

    @app.get("/openapi.json", tags=["system"], include_in_schema=False)
    def openapi(_principal: Authenticated) -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        return app.openapi_schema

    if runtime.settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=runtime.settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["authorization", "content-type", "x-csrf-token"],
        )
    app.add_middleware(BodyLimit, max_bytes=runtime.settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    return app
