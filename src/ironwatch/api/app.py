"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from ironwatch import __version__
from ironwatch.access.router import router as access_router
from ironwatch.api import problems
from ironwatch.api.deps import Authenticated
from ironwatch.api.hardening import BodyLimit, PathLimit, SecurityHeaders
from ironwatch.bootstrap import Runtime
from ironwatch.detect.intel.router import router as intel_router
from ironwatch.detect.router import router as rules_router
from ironwatch.detect.service import DetectionService, detection_job
from ironwatch.evidence.router import router as evidence_router
from ironwatch.incidents.router import router as incidents_router
from ironwatch.ingest.router import metrics_router
from ironwatch.ingest.router import router as events_router
from ironwatch.ingest.service import IngestService
from ironwatch.jobs import JobRunner, background_jobs
from ironwatch.notify.router import router as notify_router
from ironwatch.obligations.router import incident_router as obligation_facts_router
from ironwatch.obligations.router import router as obligations_router
from ironwatch.plan.router import router as plan_router
from ironwatch.reports.router import router as reports_router
from ironwatch.respond.router import router as respond_router
from ironwatch.review.router import router as review_router
from ironwatch.triage.router import router as triage_router

#: every slice's router and where it is mounted; the permission-matrix test walks these
API_ROUTERS: list[tuple[str, APIRouter]] = [
    ("/api/v1", incidents_router),
    ("/api/v1", reports_router),
    ("/api/v1", access_router),
    ("/api/v1", events_router),
    ("", metrics_router),
    ("/api/v1", plan_router),
    ("/api/v1", respond_router),
    ("/api/v1", rules_router),
    ("/api/v1", obligation_facts_router),
    ("/api/v1", obligations_router),
    ("/api/v1", intel_router),
    ("/api/v1", notify_router),
    ("/api/v1", triage_router),
    ("/api/v1", evidence_router),
    ("/api/v1", review_router),
]
#: routes that take attachments: their bodies may be as large as the attachments allow, plus the form
REPORT_INTAKE_PATHS = ("/api/v1/reports", "/api/v1/reports/public")
FORM_ALLOWANCE = 1024 * 1024
#: evidence uploads: as large as IRONWATCH_EVIDENCE_MAX_UPLOAD_BYTES allows
EVIDENCE_UPLOAD_PATH = re.compile(r"/api/v1/incidents/[^/]+/evidence")


def create_app(runtime: Runtime, *, log_server: bool = True, freeze_gc: bool = False) -> FastAPI:
    """The API; with ``log_server`` its lifespan also runs the log server and the background jobs.

    ``freeze_gc`` (``serve`` only: it changes the process-wide collector) lets detection move its
    compiled rules out of the garbage collector's reach after each build; see DetectionService.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        detection = DetectionService(runtime, freeze_gc=freeze_gc) if log_server else None
        service = (
            IngestService(
                runtime.settings,
                runtime.db,
                runtime.clock,
                sinks=[detection],
                status_sections={"detection": detection.status},
            )
            if detection is not None
            else None
        )
        if service is not None:
            await service.start()
            app.state.ingest = service
            app.state.detection = detection
        extra = [detection_job(detection)] if detection is not None else []
        jobs = JobRunner(runtime, [*background_jobs(), *extra] if log_server else [])
        jobs.start()
        app.state.ready = True
        try:
            yield
        finally:
            app.state.ready = False
            await jobs.close()
            if service is not None:
                await service.stop()
            if detection is not None:
                await asyncio.to_thread(detection.close)

    app = FastAPI(
        lifespan=lifespan,
        title="ironwatch",
        version=__version__,
        summary="Security incident management API",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.ready = False
    app.state.ingest = None
    problems.install(app)
    for prefix, router in API_ROUTERS:
        app.include_router(router, prefix=prefix)

    @app.get(
        "/healthz", tags=["system"], summary="Readiness: 200 once serving, 503 while starting or stopping"
    )
    def healthz() -> JSONResponse:
        ready = bool(app.state.ready)
        body = {"status": "ok" if ready else "starting", "version": __version__}
        return JSONResponse(body, status_code=200 if ready else 503)

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
    settings = runtime.settings
    intake_limit = max(settings.max_body_bytes, settings.report_max_total_attachment_bytes + FORM_ALLOWANCE)
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        path_limits={
            path: PathLimit(
                intake_limit,
                "attach fewer or smaller files (see IRONWATCH_REPORT_MAX_TOTAL_ATTACHMENT_BYTES)",
            )
            for path in REPORT_INTAKE_PATHS
        },
        pattern_limits=[
            (
                EVIDENCE_UPLOAD_PATH,
                PathLimit(
                    max(settings.max_body_bytes, settings.evidence_max_upload_bytes + FORM_ALLOWANCE),
                    "upload larger items with `ironwatch evidence add` on the server, "
                    "or raise IRONWATCH_EVIDENCE_MAX_UPLOAD_BYTES",
                ),
            )
        ],
    )
    app.add_middleware(SecurityHeaders)
    return app
