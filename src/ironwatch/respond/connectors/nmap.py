"""A port or vulnerability scan with nmap; the XML report becomes observables and a comment.

``nmap -oX -`` writes its XML to standard output, parsed with defusedxml (no entity expansion, no
external references). Each host that is up becomes an observable (address and names) whose note
lists its open ports; the comment on the incident is the same as a table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException
from pydantic import Field

from ironwatch.respond.connectors.base import (
    ActionConnector,
    ActionContext,
    ActionFailed,
    ActionOutcome,
    ConnectorModel,
    FoundObservable,
    Target,
)
from ironwatch.respond.connectors.targets import Host, Network, Ports, host_target
from ironwatch.respond.connectors.transport import Remote, full_argv, run_command

MAX_HOSTS_REPORTED = 256


class NmapConfig(ConnectorModel):
    remote: Remote = Remote()
    version_detection: bool = Field(default=False, description="add -sV (slower, more detail)")


class NmapInputs(ConnectorModel):
    target: Network | Host = Field(description="an address, a network or a host name")
    ports: Ports | None = Field(default=None, description="e.g. 22,80,443 or 1-1024; default: top 100")


@dataclass
class ScannedHost:
    addresses: list[tuple[str, str]] = field(default_factory=list)  # (type, value)
    hostnames: list[str] = field(default_factory=list)
    ports: list[dict[str, str]] = field(default_factory=list)


def parse_nmap_xml(text: str) -> list[ScannedHost]:
    """The hosts that are up in an nmap XML report, with their open ports."""
    try:
        root = SafeElementTree.fromstring(text)
    except (SafeElementTree.ParseError, DefusedXmlException) as exc:
        raise ActionFailed(f"nmap's XML report cannot be read: {exc}") from None
    hosts: list[ScannedHost] = []
    for node in root.iter("host"):
        status = node.find("status")
        if status is not None and status.get("state") != "up":
            continue
        host = ScannedHost()
        for address in node.findall("address"):
            kind = address.get("addrtype")
            if kind in {"ipv4", "ipv6"} and address.get("addr"):
                host.addresses.append((kind, address.get("addr", "")))
        for name in node.iterfind("hostnames/hostname"):
            if name.get("name"):
                host.hostnames.append(name.get("name", ""))
        for port in node.iterfind("ports/port"):
            state = port.find("state")
            if state is None or state.get("state") != "open":
                continue
            service = port.find("service")
            host.ports.append(
                {
                    "protocol": port.get("protocol", ""),
                    "port": port.get("portid", ""),
                    "service": service.get("name", "") if service is not None else "",
                    "product": " ".join(filter(None, [service.get("product"), service.get("version")]))
                    if service is not None
                    else "",
                }
            )
        hosts.append(host)
    return hosts


def _ports_text(host: ScannedHost) -> str:
    if not host.ports:
        return "no open ports found"
    return "open: " + ", ".join(f"{p['port']}/{p['protocol']} {p['service']}".strip() for p in host.ports)


class NmapScan(ActionConnector[NmapInputs, NmapConfig]):
    """Scan a host or network for open ports (a TCP connect scan; no raw packets needed)."""

    name = "nmap_scan"
    title = "Scan ports with nmap"
    inputs_model = NmapInputs
    config_model = NmapConfig

    def targets(self, inputs: NmapInputs) -> list[Target]:
        return [host_target(inputs.target) if "/" not in inputs.target else Target("address", inputs.target)]

    def _argv(self, inputs: NmapInputs) -> list[str]:
        ports = ["-p", inputs.ports] if inputs.ports else ["--top-ports", "100"]
        version = ["-sV"] if self.config.version_detection else []
        return ["nmap", "-oX", "-", "-sT", "-Pn", *version, *ports, inputs.target]

    def dry_run(self, inputs: NmapInputs, context: ActionContext) -> ActionOutcome:
        del context
        argv = full_argv(self.config.remote, self._argv(inputs))
        return ActionOutcome(f"would scan {inputs.target}", {"argv": argv})

    def execute(self, inputs: NmapInputs, context: ActionContext) -> ActionOutcome:
        done = run_command(self.config.remote, self._argv(inputs), timeout=context.timeout).check("nmap")
        hosts = parse_nmap_xml(done.stdout)
        observables: list[FoundObservable] = []
        lines = [f"nmap scan of {inputs.target}: {len(hosts)} host(s) up", ""]
        for host in hosts[:MAX_HOSTS_REPORTED]:
            note = _ports_text(host)
            for kind, value in host.addresses:
                observables.append(FoundObservable(kind, value, f"nmap: {note}"))
            observables.extend(FoundObservable("hostname", n, f"nmap: {note}") for n in host.hostnames)
            names = ", ".join([v for _, v in host.addresses] + host.hostnames)
            lines.append(f"- {names}: {note}")
        summary = f"scanned {inputs.target}: {len(hosts)} host(s) up, " + (
            f"{sum(len(h.ports) for h in hosts)} open port(s)"
        )
        report = [
            {"addresses": [v for _, v in h.addresses], "hostnames": h.hostnames, "ports": h.ports}
            for h in hosts[:MAX_HOSTS_REPORTED]
        ]
        return ActionOutcome(
            summary,
            {"argv": full_argv(self.config.remote, self._argv(inputs)), "hosts": report, "xml": done.stdout},
            observables=observables,
            comment="\n".join(lines),
        )
