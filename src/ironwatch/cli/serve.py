"""``ironwatch serve``: the API (and, as they land, listeners and workers) in one process."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from ironwatch.api.app import create_app
from ironwatch.bootstrap import build_runtime, ensure_first_admin, ensure_starter_plan
from ironwatch.cli.context import console, handle_errors
from ironwatch.settings import Settings


@handle_errors
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on (IRONWATCH_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (IRONWATCH_PORT)")] = None,
) -> None:
    """Run ironwatch. Example: ironwatch serve --host 0.0.0.0 --port 8400"""
    settings = Settings()
    runtime = build_runtime(settings)
    created = ensure_first_admin(runtime)
    if created:
        console.print(f"created the first administrator [bold]{created}[/] from IRONWATCH_ADMIN_PASSWORD")
    if ensure_starter_plan(runtime) is not None:
        console.print(
            f"applied the starter plan for [bold]{settings.org_name}[/] as plan version 1; "
            "adapt it: ironwatch plan show --yaml > plan.yaml, edit, ironwatch plan apply plan.yaml"
        )
    app = create_app(runtime)
    bind_host = host or settings.host
    bind_port = port or settings.port
    console.print(f"ironwatch listening on http://{bind_host}:{bind_port} (data in {settings.home})")
    uvicorn.run(app, host=bind_host, port=bind_port, log_level="info", proxy_headers=False)
