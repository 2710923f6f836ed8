"""Map Sigma log sources to the events they cover (Windows channel and event id, or ``event.dataset``).

Windows services map to event log channels (the table pySigma ships), generic Windows
categories to Sysmon event ids (as pysigma-pipeline-sysmon does) and PowerShell categories to
their channels and ids. Other products map to ironwatch's ``event.dataset`` values. The tables
are data: pass extra entries to :class:`LogsourceMap` to cover more sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sigma.pipelines.common import windows_logsource_mapping

from ironwatch.detect.sigma.ir import Route

SYSMON_CHANNEL = "Microsoft-Windows-Sysmon/Operational"
_POWERSHELL = frozenset({"Microsoft-Windows-PowerShell/Operational", "PowerShellCore/Operational"})
_CLASSIC = frozenset({"Windows PowerShell"})

SYSMON_CATEGORY_IDS: dict[str, tuple[int, ...]] = {
    "process_creation": (1,),
    "file_change": (2,),
    "network_connection": (3,),
    "sysmon_status": (4, 16),
    "process_termination": (5,),
    "driver_load": (6,),
    "image_load": (7,),
    "create_remote_thread": (8,),
    "raw_access_thread": (9,),
    "process_access": (10,),
    "file_event": (11,),
    "registry_add": (12,),
    "registry_delete": (12,),
    "registry_set": (13,),
    "registry_rename": (14,),
    "registry_event": (12, 13, 14),
    "create_stream_hash": (15,),
    "pipe_created": (17, 18),
    "wmi_event": (19, 20, 21),
    "dns_query": (22,),
    "file_delete": (23,),
    "clipboard_capture": (24,),
    "process_tampering": (25,),
    "file_delete_detected": (26,),
    "file_block_executable": (27,),
    "file_block_shredding": (28,),
    "file_executable_detected": (29,),
    "sysmon_error": (255,),
}

WINDOWS_CATEGORY_ROUTES: dict[str, Route] = {
    **{
        category: Route(channels=frozenset({SYSMON_CHANNEL}), event_ids=frozenset(ids), product="windows")
        for category, ids in SYSMON_CATEGORY_IDS.items()
    },
    "ps_module": Route(channels=_POWERSHELL, event_ids=frozenset({4103}), product="windows"),
    "ps_script": Route(channels=_POWERSHELL, event_ids=frozenset({4104}), product="windows"),
    "ps_classic_start": Route(channels=_CLASSIC, event_ids=frozenset({400}), product="windows"),
    "ps_classic_provider_start": Route(channels=_CLASSIC, event_ids=frozenset({600}), product="windows"),
    "ps_classic_script": Route(channels=_CLASSIC, event_ids=frozenset({800}), product="windows"),
}

# (product, category, service) -> event.dataset values; None is a wildcard in the key.
DATASET_ROUTES: dict[tuple[str | None, str | None, str | None], tuple[str, ...]] = {
    ("linux", None, "auth"): ("linux.auth",),
    ("linux", None, "sshd"): ("linux.auth",),
    ("linux", None, "sudo"): ("linux.auth",),
    ("linux", None, "su"): ("linux.auth",),
    ("linux", None, "syslog"): ("syslog", "linux.syslog"),
    ("linux", None, "cron"): ("syslog", "linux.syslog"),
    ("linux", None, "auditd"): ("linux.auditd",),
    ("linux", "process_creation", None): ("linux.process", "linux.auditd"),
    (None, "firewall", None): ("firewall.iptables", "cef"),
    (None, "antivirus", None): ("antivirus.clamav", "antivirus.generic"),
    (None, "dns", None): ("zeek.dns", "suricata.eve"),
    (None, "webserver", None): ("web.access",),
    (None, "proxy", None): ("web.proxy",),
    ("zeek", None, "conn"): ("zeek.conn",),
    ("zeek", None, "dns"): ("zeek.dns",),
    ("zeek", None, "http"): ("zeek.http",),
    ("zeek", None, "smb_files"): ("zeek.smb_files",),
    ("zeek", None, "dce_rpc"): ("zeek.dce_rpc",),
    ("zeek", None, "kerberos"): ("zeek.kerberos",),
    ("zeek", None, "rdp"): ("zeek.rdp",),
    ("zeek", None, "x509"): ("zeek.x509",),
    ("zeek", None, "notice"): ("zeek.notice",),
    ("suricata", None, None): ("suricata.eve",),
}


@dataclass(frozen=True)
class LogsourceMap:
    """Resolve a rule's log source to a :class:`Route`; ``extra`` entries win over the defaults."""

    extra_datasets: Mapping[tuple[str | None, str | None, str | None], tuple[str, ...]] = field(
        default_factory=dict
    )

    def resolve(
        self, product: str | None, category: str | None, service: str | None
    ) -> tuple[Route, str | None]:
        """Return the route and, when the source is not in any table, a note saying so."""
        datasets = self._datasets(product, category, service)
        if datasets is not None:
            return Route(datasets=frozenset(datasets), product=product), None
        if product == "windows":
            return self._windows(category, service)
        shown = "/".join(part or "*" for part in (product, category, service))
        if product is None:
            return Route(), f"log source {shown} is not mapped; the rule applies to every event"
        return Route(product=product), f"log source {shown} is not mapped; matching any '{product}' event"

    def _datasets(
        self, product: str | None, category: str | None, service: str | None
    ) -> tuple[str, ...] | None:
        for table in (self.extra_datasets, DATASET_ROUTES):
            for key in (
                (product, category, service),
                (product, None, service),
                (None, category, None),
                (product, category, None),
                (product, None, None),
            ):
                if key != (None, None, None) and key in table:
                    return table[key]
        return None

    def _windows(self, category: str | None, service: str | None) -> tuple[Route, str | None]:
        if service is not None:
            channels = windows_logsource_mapping.get(service)
            if channels is None:
                return Route(product="windows"), f"Windows service {service!r} has no known event log channel"
            names = frozenset([channels] if isinstance(channels, str) else channels)
            category_route = WINDOWS_CATEGORY_ROUTES.get(category or "")
            ids = category_route.event_ids if category_route else None
            return Route(channels=names, event_ids=ids, product="windows"), None
        if category is not None:
            route = WINDOWS_CATEGORY_ROUTES.get(category)
            if route is None:
                return Route(product="windows"), f"Windows category {category!r} has no known channel"
            return route, None
        return Route(product="windows"), None


def route_admits(route: Route, dataset: str | None, channel: str | None, event_id: object) -> bool:
    """Whether an event with these routing keys can match a rule with ``route``."""
    if route.product is not None and route.datasets is None:
        if route.product == "windows":
            if channel is None and not (dataset or "").startswith("windows"):
                return False
        elif dataset is None or not (dataset == route.product or dataset.startswith(route.product + ".")):
            return False
    if route.channels is not None and channel not in route.channels:
        return False
    if route.event_ids is not None and event_id not in route.event_ids:
        return False
    return route.datasets is None or dataset in route.datasets
