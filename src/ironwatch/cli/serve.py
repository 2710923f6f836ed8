"""``ironwatch serve``: the API, the log server and the workers in one process."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.markup import escape

from ironwatch.api.app import create_app
from ironwatch.bootstrap import build_runtime, ensure_detection_rules, ensure_first_admin, ensure_starter_plan
from ironwatch.cli.context import console, handle_errors
from ironwatch.process_memory import limit_malloc_arenas, space_young_collections
from ironwatch.settings import Settings

Address = Annotated[str | None, typer.Option(metavar="HOST:PORT")]


@handle_errors
def serve(
    host: Annotated[str | None, typer.Option(help="API address (IRONWATCH_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="API port (IRONWATCH_PORT)")] = None,
    syslog_udp: Address = None,
    syslog_tcp: Address = None,
    syslog_tls: Address = None,
    relp: Address = None,
    tls_cert: Annotated[Path | None, typer.Option(help="PEM certificate for --syslog-tls")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM key for --tls-cert")] = None,
    tls_ca: Annotated[
        Path | None, typer.Option(help="CA file; with it, TLS clients must present a certificate")
    ] = None,
    follow: Annotated[list[Path] | None, typer.Option(help="a log file to follow, repeatable")] = None,
    rules: Annotated[
        list[Path] | None,
        typer.Option(
            help="a Sigma rule file or directory to load at start, repeatable (IRONWATCH_RULE_PATHS)"
        ),
    ] = None,
) -> None:
    """Run ironwatch: the API and web endpoints, plus any log listeners you enable.

    Examples:
      ironwatch serve
      ironwatch serve --syslog-udp 0.0.0.0:514 --syslog-tcp 0.0.0.0:514 --relp 0.0.0.0:2514
      ironwatch serve --syslog-tcp 127.0.0.1:5514 --rules /etc/ironwatch/sigma
      ironwatch serve --syslog-tls 0.0.0.0:6514 --tls-cert server.pem --tls-key server.key
        --tls-ca clients-ca.pem
    Every option can also be set as IRONWATCH_<NAME> in the environment.
    """
    limit_malloc_arenas()  # before any thread starts: see ironwatch.process_memory
    space_young_collections()
    given = {
        "syslog_udp": syslog_udp,
        "syslog_tcp": syslog_tcp,
        "syslog_tls": syslog_tls,
        "relp": relp,
        "tls_cert": tls_cert,
        "tls_key": tls_key,
        "tls_ca": tls_ca,
        "tls_require_client_cert": True if tls_ca else None,
        "follow": follow,
        "rule_paths": rules,
    }
    settings = Settings().model_copy(update={k: v for k, v in given.items() if v})
    runtime = build_runtime(settings)
    created = ensure_first_admin(runtime)
    if created:
        console.print(f"created the first administrator [bold]{created}[/] from IRONWATCH_ADMIN_PASSWORD")
    if ensure_starter_plan(runtime) is not None:
        console.print(
            f"applied the starter plan for [bold]{settings.org_name}[/] as plan version 1; "
            "adapt it: ironwatch plan show --yaml > plan.yaml, edit, ironwatch plan apply plan.yaml"
        )
    for what, summary in ensure_detection_rules(runtime):
        if summary.files == summary.unchanged_files:
            continue
        console.print(
            f"detection rules from {what}: {summary.compiled} compiled, {summary.failed} failed, "
            f"{summary.set_aside} set aside (deprecated or unsupported)"
        )
        for problem in summary.problems[:20]:
            where = f"{problem.path}:{problem.line}" if problem.line else problem.path
            console.print(f"  [red]failed[/] {escape(where)}: {escape(problem.reason)}", highlight=False)
        if len(summary.problems) > 20:
            console.print(f"  ... {len(summary.problems) - 20} more: ironwatch rules list --state failed")
    app = create_app(runtime, freeze_gc=True)
    bind_host = host or settings.host
    bind_port = port or settings.port
    console.print(f"ironwatch API on http://{bind_host}:{bind_port} (data in {settings.home})")
    for name in ("syslog_udp", "syslog_tcp", "syslog_tls", "relp"):
        if getattr(settings, name):
            console.print(f"  {name.replace('_', ' ')} on {getattr(settings, name)}")
    uvicorn.run(app, host=bind_host, port=bind_port, log_level="info", proxy_headers=False)
