"""Validated input types for connectors: what may be passed to a command as one argument.

Every value that ends up on a command line or in a ruleset is checked against a strict pattern here,
so no input can become an option (``-rf``), a second command or a ruleset fragment. Commands are
argument lists anyway; the patterns are the second wall.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, Field

from ironwatch.core.errors import ValidationError
from ironwatch.core.observables import normalise_observable
from ironwatch.respond.connectors.base import Target


def _network(value: str) -> str:
    text = value.strip()
    try:
        if "/" in text:
            return ipaddress.ip_network(text, strict=False).compressed
        return ipaddress.ip_address(text).compressed
    except ValueError:
        raise ValueError(
            f"{value!r} is not an IP address or network: use e.g. 203.0.113.7, 2001:db8::1 or 203.0.113.0/24"
        ) from None


def _hostname(value: str) -> str:
    try:
        return normalise_observable("hostname", value).value
    except ValidationError:
        raise ValueError(f"{value!r} is not a host name: use e.g. web01 or web01.example.org") from None


def _host(value: str) -> str:
    """An IP address or a host name (what SSH and nmap accept as a single target)."""
    try:
        return ipaddress.ip_address(value.strip()).compressed
    except ValueError:
        return _hostname(value)


def _domain(value: str) -> str:
    try:
        return normalise_observable("domain", value).value
    except ValidationError:
        raise ValueError(f"{value!r} is not a domain: use e.g. evil.example.com") from None


_ACCOUNT = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}\$?$", re.IGNORECASE)


def _account(value: str) -> str:
    if not _ACCOUNT.match(value):
        raise ValueError(
            f"{value!r} is not an account name: 1-32 letters, digits, '.', '_' or '-', not starting with "
            "a digit or '-' (e.g. jdoe)"
        )
    return value


_PATH = re.compile(r"^/[A-Za-z0-9._/@+=:, -]{0,4095}$")


def _absolute_path(value: str) -> str:
    if not _PATH.match(value) or "/../" in f"{value}/" or "//" in value:
        raise ValueError(
            f"{value!r} is not a plain absolute path: start with '/', no '..', no special characters"
        )
    return value


_PROCESS = re.compile(r"^[A-Za-z0-9._+-]{1,15}$")


def _process_name(value: str) -> str:
    if not _PROCESS.match(value) or value.startswith("-"):
        raise ValueError(f"{value!r} is not a process name: 1-15 letters, digits, '.', '_', '+' or '-'")
    return value


_PORTS = re.compile(r"^[0-9]{1,5}(?:-[0-9]{1,5})?(?:,[0-9]{1,5}(?:-[0-9]{1,5})?)*$")


def _ports(value: str) -> str:
    if not _PORTS.match(value) or any(int(p) > 65535 for p in re.split(r"[,-]", value)):
        raise ValueError(f"{value!r} is not a port list: use e.g. 22,80,443 or 1-1024")
    return value


_ARGUMENT = re.compile(r"^[A-Za-z0-9._:/@+=,][A-Za-z0-9._:/@+=, -]{0,255}$")


def _argument(value: str) -> str:
    if not _ARGUMENT.match(value):
        raise ValueError(
            f"{value!r} is not a safe argument: letters, digits and . _ : / @ + = , - only, "
            "not starting with '-'"
        )
    return value


Network = Annotated[str, AfterValidator(_network)]
"""An IP address or CIDR network in normal form."""
Hostname = Annotated[str, AfterValidator(_hostname)]
Host = Annotated[str, AfterValidator(_host)]
"""An IP address or a host name."""
Domain = Annotated[str, AfterValidator(_domain)]
AccountName = Annotated[str, AfterValidator(_account)]
AbsolutePath = Annotated[str, AfterValidator(_absolute_path)]
ProcessName = Annotated[str, AfterValidator(_process_name)]
Ports = Annotated[str, AfterValidator(_ports)]
SafeArgument = Annotated[str, AfterValidator(_argument)]
"""A value passed to an operator-defined command as one argument of its own."""
Pid = Annotated[int, Field(ge=2, le=4_194_304)]

_NETNS = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def check_netns(value: str) -> str:
    """A network namespace name (for ``ip netns exec``)."""
    if not _NETNS.match(value) or value.startswith("-"):
        raise ValueError(f"{value!r} is not a network namespace name")
    return value


NetnsName = Annotated[str, AfterValidator(check_netns)]


def host_target(value: str) -> Target:
    """A host input as a guard-rail target: an address when it is one, else a host name."""
    try:
        return Target("address", ipaddress.ip_address(value).compressed)
    except ValueError:
        return Target("hostname", value)
