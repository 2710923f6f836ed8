"""Finding connectors: every entry point in the group ``ironwatch.actions`` names one class.

Built-in connectors are declared in ironwatch's own pyproject.toml, so a third-party package adds
one the same way::

    [project.entry-points."ironwatch.actions"]
    my_firewall = "my_package.firewall:MyFirewall"
"""

from __future__ import annotations

import logging
import threading
from importlib.metadata import entry_points
from typing import Any

from ironwatch.core.errors import NotFoundError
from ironwatch.respond.connectors.base import ActionConnector

GROUP = "ironwatch.actions"
log = logging.getLogger("ironwatch.respond")

AnyConnector = ActionConnector[Any, Any]
ConnectorClass = type[AnyConnector]

#: the built-ins by name, so a source checkout that is not installed (tests, PYTHONPATH=src) has them
BUILT_IN = {
    "block_address": "ironwatch.respond.connectors.nftables:BlockAddress",
    "block_domain": "ironwatch.respond.connectors.nftables:BlockDomain",
    "isolate_host": "ironwatch.respond.connectors.nftables:IsolateHost",
    "firewall_rest": "ironwatch.respond.connectors.rest:FirewallRest",
    "webhook": "ironwatch.respond.connectors.rest:Webhook",
    "disable_account": "ironwatch.respond.connectors.account:DisableAccount",
    "kill_process": "ironwatch.respond.connectors.process:KillProcess",
    "collect_file": "ironwatch.respond.connectors.evidence:CollectFile",
    "capture_image": "ironwatch.respond.connectors.evidence:CaptureImage",
    "nmap_scan": "ironwatch.respond.connectors.nmap:NmapScan",
    "run_command": "ironwatch.respond.connectors.command:RunCommand",
    "distribute_report": "ironwatch.respond.connectors.report:DistributeReport",
}

_lock = threading.Lock()
_loaded: dict[str, ConnectorClass] | None = None


def _load(target: str) -> ConnectorClass:
    module_name, _, attribute = target.partition(":")
    module = __import__(module_name, fromlist=[attribute])
    found: ConnectorClass = getattr(module, attribute)
    return found


def connectors() -> dict[str, ConnectorClass]:
    """Every connector class by name: the built-ins, then the installed entry points."""
    global _loaded
    with _lock:
        if _loaded is None:
            found = {name: _load(target) for name, target in BUILT_IN.items()}
            for point in entry_points(group=GROUP):
                if point.name in found and point.value == BUILT_IN.get(point.name):
                    continue
                try:
                    cls = point.load()
                except Exception:
                    log.exception(
                        "action connector %s (%s) cannot be loaded; skipped", point.name, point.value
                    )
                    continue
                if not (isinstance(cls, type) and issubclass(cls, ActionConnector)):
                    log.error("entry point %s does not name an ActionConnector class; skipped", point.value)
                    continue
                found[point.name] = cls
            _loaded = found
        return dict(_loaded)


def connector_class(name: str) -> ConnectorClass:
    """The connector class called ``name``, or a ``NotFoundError`` listing the known ones."""
    found = connectors().get(name)
    if found is None:
        raise NotFoundError(
            f"no action connector {name!r}",
            hint=f"use one of: {', '.join(sorted(connectors()))}",
        )
    return found
