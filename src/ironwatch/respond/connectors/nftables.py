"""Block addresses and domains, and quarantine hosts, with nftables rulesets rendered from templates.

The ruleset is a file of nft commands applied atomically with ``nft -f -`` (the text on standard
input, the command an argument list), here, inside a network namespace, or on a firewall host over
SSH. Blocked addresses are elements of the sets of ironwatch's own table (``inet ironwatch``), so a
block and its undo touch nothing else in the host's firewall.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from abc import abstractmethod
from pathlib import Path
from typing import Any

import jinja2
from pydantic import Field

from ironwatch.plan.fieldtypes import Duration
from ironwatch.respond.connectors.base import (
    ActionConnector,
    ActionContext,
    ActionFailed,
    ActionOutcome,
    ConnectorModel,
    Target,
)
from ironwatch.respond.connectors.targets import Domain, Host, Network, host_target
from ironwatch.respond.connectors.transport import Remote, full_argv, run_command, where

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=False,  # noqa: S701 (nft rulesets, not HTML; every value is a validated address)
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
TABLE = "ironwatch"
QUARANTINE_TABLE = "ironwatch_quarantine"


class FirewallConfig(ConnectorModel):
    """Where the firewall is: this server (optionally a namespace) or a host over SSH."""

    remote: Remote = Remote()
    table: str = Field(default=TABLE, pattern=r"^[a-z][a-z0-9_]{0,31}$")


def render(template: str, **values: Any) -> str:
    """A ruleset from one of the package's templates."""
    return _TEMPLATES.get_template(template).render(**values)


def split_families(addresses: list[str]) -> tuple[list[str], list[str]]:
    v4 = [a for a in addresses if ipaddress.ip_network(a, strict=False).version == 4]
    v6 = [a for a in addresses if ipaddress.ip_network(a, strict=False).version == 6]
    return v4, v6


def apply_ruleset(remote: Remote, ruleset: str, *, timeout: float, what: str) -> dict[str, Any]:
    """``nft -f -`` with the ruleset on standard input; the argv and ruleset for the record."""
    run_command(remote, ["nft", "-f", "-"], stdin=ruleset, timeout=timeout).check(what)
    return {"argv": full_argv(remote, ["nft", "-f", "-"]), "ruleset": ruleset}


def set_elements(remote: Remote, table: str, name: str, *, timeout: float) -> set[str]:
    """The elements of one of ironwatch's sets, normalised (empty when the table does not exist yet)."""
    done = run_command(remote, ["nft", "-j", "list", "set", "inet", table, name], timeout=timeout)
    if done.returncode != 0:
        return set()
    try:
        items = json.loads(done.stdout)["nftables"]
    except (ValueError, KeyError, TypeError):
        raise ActionFailed(f"nft listed set {name} in a form ironwatch does not understand") from None
    found: set[str] = set()
    for item in items:
        for element in item.get("set", {}).get("elem", []):
            found.add(_element(element))
    return found


def _element(element: Any) -> str:
    if isinstance(element, dict) and "elem" in element:  # an element with options (timeout, comment)
        element = element["elem"].get("val", element["elem"])
    if isinstance(element, dict) and "prefix" in element:
        prefix = element["prefix"]
        return ipaddress.ip_network(f"{prefix['addr']}/{prefix['len']}", strict=False).compressed
    if isinstance(element, dict) and "range" in element:
        low, high = element["range"]
        return f"{low}-{high}"
    return ipaddress.ip_address(str(element)).compressed


def _in_set(elements: set[str], address: str) -> bool:
    return ipaddress.ip_network(address, strict=False).compressed in elements or address in elements


class BlockInputs(ConnectorModel):
    address: Network = Field(description="the IP address or network to block (both directions)")
    duration: Duration | None = Field(default=None, description="undo automatically after this long")


class _Blocker(ActionConnector[Any, FirewallConfig]):
    destructive = True
    undoable = True
    config_model = FirewallConfig

    @abstractmethod
    def addresses(self, inputs: Any, context: ActionContext) -> list[str]:
        """The addresses this blocker's ruleset names (a block's target, or a host's own)."""

    def _ruleset(self, template: str, addresses: list[str], context: ActionContext) -> str:
        v4, v6 = split_families(addresses)
        return render(
            template,
            table=self.config.table,
            v4=v4,
            v6=v6,
            action_id=context.action_id,
            incident_ref=context.incident_ref,
        )

    def dry_run(self, inputs: Any, context: ActionContext) -> ActionOutcome:
        addresses = self.addresses(inputs, context)
        ruleset = self._ruleset("block.nft.j2", addresses, context)
        remote = self.config.remote
        return ActionOutcome(
            f"would block {', '.join(addresses)} {where(remote)} with nft",
            {"argv": full_argv(remote, ["nft", "-f", "-"]), "ruleset": ruleset, "addresses": addresses},
        )

    def execute(self, inputs: Any, context: ActionContext) -> ActionOutcome:
        addresses = self.addresses(inputs, context)
        ruleset = self._ruleset("block.nft.j2", addresses, context)
        details = apply_ruleset(self.config.remote, ruleset, timeout=context.timeout, what="nft block")
        details["addresses"] = addresses
        return ActionOutcome(f"blocked {', '.join(addresses)} {where(self.config.remote)}", details)

    def verify(self, inputs: Any, context: ActionContext) -> bool:
        addresses = context.previous.get("addresses") or self.addresses(inputs, context)
        v4, v6 = split_families(addresses)
        table, remote, timeout = self.config.table, self.config.remote, context.timeout
        listing4 = set_elements(remote, table, "blocked_v4", timeout=timeout) if v4 else set()
        listing6 = set_elements(remote, table, "blocked_v6", timeout=timeout) if v6 else set()
        return all(_in_set(listing4, a) for a in v4) and all(_in_set(listing6, a) for a in v6)

    def undo(self, inputs: Any, context: ActionContext) -> ActionOutcome:
        addresses = list(context.previous.get("addresses") or self.addresses(inputs, context))
        remote, timeout = self.config.remote, context.timeout
        v4, v6 = split_families(addresses)
        listing4 = set_elements(remote, self.config.table, "blocked_v4", timeout=timeout)
        listing6 = set_elements(remote, self.config.table, "blocked_v6", timeout=timeout)
        present = [a for a in v4 if _in_set(listing4, a)] + [a for a in v6 if _in_set(listing6, a)]
        if not present:
            return ActionOutcome(f"{', '.join(addresses)} no longer blocked; nothing to undo", {})
        ruleset = self._ruleset("unblock.nft.j2", present, context)
        details = apply_ruleset(remote, ruleset, timeout=timeout, what="nft unblock")
        return ActionOutcome(f"unblocked {', '.join(present)} {where(remote)}", details)


class BlockAddress(_Blocker):
    """Drop all traffic from and to an address or network on the firewall."""

    name = "block_address"
    title = "Block an IP address or network (nftables)"
    inputs_model = BlockInputs

    def targets(self, inputs: BlockInputs) -> list[Target]:
        return [Target("address", inputs.address)]

    def addresses(self, inputs: BlockInputs, context: ActionContext) -> list[str]:
        del context
        return [inputs.address]


class BlockDomainInputs(ConnectorModel):
    domain: Domain = Field(description="the domain whose current addresses are blocked")
    duration: Duration | None = Field(default=None, description="undo automatically after this long")


class BlockDomain(_Blocker):
    """Block the addresses a domain resolves to now (nftables cannot match names)."""

    name = "block_domain"
    title = "Block a domain's addresses (nftables)"
    inputs_model = BlockDomainInputs

    def targets(self, inputs: BlockDomainInputs) -> list[Target]:
        return [Target("hostname", inputs.domain)]

    def dry_run(self, inputs: BlockDomainInputs, context: ActionContext) -> ActionOutcome:
        ruleset = self._ruleset("block.nft.j2", ["192.0.2.0"], context).replace("192.0.2.0", "<address>")
        remote = self.config.remote
        return ActionOutcome(
            f"would resolve {inputs.domain} and block its addresses {where(remote)} with nft",
            {"argv": full_argv(remote, ["nft", "-f", "-"]), "ruleset": ruleset, "domain": inputs.domain},
        )

    def addresses(self, inputs: BlockDomainInputs, context: ActionContext) -> list[str]:
        if context.previous.get("addresses"):
            return list(context.previous["addresses"])
        try:
            found = socket.getaddrinfo(inputs.domain, None, proto=socket.IPPROTO_TCP)
        except socket.gaierror as exc:
            raise ActionFailed(f"cannot resolve {inputs.domain}: {exc.strerror}") from None
        return sorted({ipaddress.ip_address(info[4][0]).compressed for info in found})


class IsolateInputs(ConnectorModel):
    host: Host = Field(description="the host to quarantine (its own firewall, over SSH or locally)")
    duration: Duration | None = Field(default=None, description="lift the quarantine after this long")


class IsolateHost(ActionConnector[IsolateInputs, FirewallConfig]):
    """Quarantine a host: its firewall then admits only the plan's management addresses."""

    name = "isolate_host"
    title = "Isolate a host (quarantine ruleset)"
    destructive = True
    undoable = True
    inputs_model = IsolateInputs
    config_model = FirewallConfig

    def targets(self, inputs: IsolateInputs) -> list[Target]:
        return [host_target(inputs.host)]

    def _ruleset(self, context: ActionContext) -> str:
        if not context.management_addresses:
            raise ActionFailed(
                "no management addresses in the plan: isolating would lock administrators out too "
                "(set settings.actions.management_addresses)"
            )
        nets = [a for a in context.management_addresses if _is_network(a)]
        v4, v6 = split_families(nets)
        return render(
            "quarantine.nft.j2",
            table=QUARANTINE_TABLE,
            v4=v4,
            v6=v6,
            action_id=context.action_id,
            incident_ref=context.incident_ref,
        )

    def dry_run(self, inputs: IsolateInputs, context: ActionContext) -> ActionOutcome:
        remote = self.config.remote
        return ActionOutcome(
            f"would quarantine {inputs.host} {where(remote, inputs.host)}",
            {"argv": full_argv(remote, ["nft", "-f", "-"]), "ruleset": self._ruleset(context)},
        )

    def execute(self, inputs: IsolateInputs, context: ActionContext) -> ActionOutcome:
        ruleset = self._ruleset(context)
        remote = self.config.remote
        run_command(
            remote, ["nft", "-f", "-"], stdin=ruleset, timeout=context.timeout, host=inputs.host
        ).check("nft quarantine")
        return ActionOutcome(
            f"quarantined {inputs.host}: only {', '.join(context.management_addresses)} may reach it",
            {"argv": full_argv(remote, ["nft", "-f", "-"]), "ruleset": ruleset},
        )

    def verify(self, inputs: IsolateInputs, context: ActionContext) -> bool:
        argv = ["nft", "list", "table", "inet", QUARANTINE_TABLE]
        done = run_command(self.config.remote, argv, timeout=context.timeout, host=inputs.host)
        return done.returncode == 0

    def undo(self, inputs: IsolateInputs, context: ActionContext) -> ActionOutcome:
        argv = ["nft", "delete", "table", "inet", QUARANTINE_TABLE]
        done = run_command(self.config.remote, argv, timeout=context.timeout, host=inputs.host)
        if done.returncode != 0 and self.verify(inputs, context):
            done.check("nft delete quarantine")
        return ActionOutcome(f"lifted the quarantine of {inputs.host}", {"argv": argv})


def _is_network(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True
