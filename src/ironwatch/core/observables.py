"""Observables: typed, validated and normalised indicators attached to incidents.

Normalisation makes equal things compare equal (``Example.COM.`` and ``example.com``),
so observables deduplicate per incident and match across incidents.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

from ironwatch.core.errors import ValidationError


class ObservableType(StrEnum):
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    CIDR = "cidr"
    DOMAIN = "domain"
    URL = "url"
    EMAIL = "email"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    ACCOUNT = "account"
    HOSTNAME = "hostname"
    FILE_PATH = "file_path"
    REGISTRY_KEY = "registry_key"


MAX_VALUE_LENGTH = 2048
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_HEX = {ObservableType.MD5: 32, ObservableType.SHA1: 40, ObservableType.SHA256: 64}
_REGISTRY_HIVES = (
    "HKEY_LOCAL_MACHINE",
    "HKEY_CURRENT_USER",
    "HKEY_CLASSES_ROOT",
    "HKEY_USERS",
    "HKEY_CURRENT_CONFIG",
    "HKLM",
    "HKCU",
    "HKCR",
    "HKU",
    "HKCC",
)


@dataclass(frozen=True)
class Observable:
    type: ObservableType
    value: str


def _invalid(kind: str, value: str, hint: str) -> ValidationError:
    shown = value if len(value) <= 80 else value[:77] + "..."
    return ValidationError(f"{shown!r} is not a valid {kind}", hint=hint)


def _domain(value: str, kind: str = "domain") -> str:
    text = value.strip().rstrip(".").lower()
    try:
        text = text.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise _invalid(kind, value, "use a name such as example.com") from exc
    labels = text.split(".")
    if len(text) > 253 or not all(_LABEL.match(label) for label in labels):
        raise _invalid(kind, value, "use a name such as example.com")
    if kind == "domain" and len(labels) < 2:
        raise _invalid(kind, value, "a domain needs at least two labels, such as example.com")
    return text


def _ip(value: str, version: int) -> str:
    kind = f"IPv{version} address"
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError as exc:
        example = "192.0.2.10" if version == 4 else "2001:db8::1"
        raise _invalid(kind, value, f"use a form such as {example}") from exc
    if address.version != version:
        other = "ipv6" if version == 4 else "ipv4"
        raise _invalid(kind, value, f"this is an IPv{address.version} address; use type {other!r}")
    return address.compressed


def _url(value: str) -> str:
    text = value.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https", "ftp", "ftps", "ws", "wss", "smb"} or not parts.hostname:
        raise _invalid("URL", value, "give a full URL with scheme and host, such as https://example.com/path")
    # Lower-case only what is case-insensitive: the scheme and the host name.
    userinfo, _, hostport = parts.netloc.rpartition("@")
    host_at = hostport.lower().find(parts.hostname)
    hostport = hostport[:host_at] + parts.hostname + hostport[host_at + len(parts.hostname) :]
    netloc = f"{userinfo}@{hostport}" if userinfo else hostport
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _email(value: str) -> str:
    text = value.strip()
    local, sep, domain = text.rpartition("@")
    if not sep or not local or len(local) > 64 or any(c.isspace() for c in local):
        raise _invalid("email address", value, "use a form such as analyst@example.com")
    return f"{local}@{_domain(domain)}"


def _hash(kind: ObservableType, value: str) -> str:
    text = value.strip().lower()
    length = _HEX[kind]
    if len(text) != length or any(c not in "0123456789abcdef" for c in text):
        raise _invalid(f"{kind.value} hash", value, f"give {length} hexadecimal digits")
    return text


def _cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError as exc:
        raise _invalid("CIDR network", value, "use a form such as 192.0.2.0/24 or 2001:db8::/32") from exc
    return network.compressed


def _registry_key(value: str) -> str:
    text = value.strip().replace("/", "\\")
    if not text.upper().startswith(_REGISTRY_HIVES):
        raise _invalid("registry key", value, "start with a hive such as HKLM\\ or HKEY_CURRENT_USER\\")
    return text


def _plain(kind: str, value: str, *, lower: bool = False) -> str:
    text = value.strip()
    if not text or any(ord(c) < 32 for c in text):
        raise _invalid(kind, value, "give a non-empty value without control characters")
    return text.lower() if lower else text


def normalise_observable(kind: str | ObservableType, value: str) -> Observable:
    """Validate ``value`` as an observable of type ``kind`` and return its normal form.

    >>> normalise_observable("domain", "WWW.Example.COM.").value
    'www.example.com'
    """
    try:
        obs_type = ObservableType(kind)
    except ValueError as exc:
        allowed = ", ".join(t.value for t in ObservableType)
        raise ValidationError(f"unknown observable type {kind!r}", hint=f"use one of: {allowed}") from exc
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"the {obs_type.value} observable has no value", hint="give a value")
    if len(value) > MAX_VALUE_LENGTH:
        raise ValidationError(
            f"the {obs_type.value} observable is {len(value)} characters long",
            hint=f"observables are limited to {MAX_VALUE_LENGTH} characters",
        )
    match obs_type:
        case ObservableType.IPV4:
            normal = _ip(value, 4)
        case ObservableType.IPV6:
            normal = _ip(value, 6)
        case ObservableType.CIDR:
            normal = _cidr(value)
        case ObservableType.DOMAIN:
            normal = _domain(value)
        case ObservableType.HOSTNAME:
            normal = _domain(value, "hostname")
        case ObservableType.URL:
            normal = _url(value)
        case ObservableType.EMAIL:
            normal = _email(value)
        case ObservableType.MD5 | ObservableType.SHA1 | ObservableType.SHA256:
            normal = _hash(obs_type, value)
        case ObservableType.REGISTRY_KEY:
            normal = _registry_key(value)
        case ObservableType.ACCOUNT:
            normal = _plain("account", value)
        case ObservableType.FILE_PATH:
            normal = _plain("file path", value)
    return Observable(obs_type, normal)
