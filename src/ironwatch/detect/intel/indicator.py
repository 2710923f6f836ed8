"""Indicator values: the supported types, normalisation, type inference and defanging.

Every value is stored and looked up in one canonical form, so a feed's ``Evil.Example.`` and an
event's ``evil.example`` meet: hashes and domains lower-case, addresses in Python's canonical
text, networks as ``network/prefix`` (a /32 or /128 is an address), URLs with scheme and host
lower-cased, default port and fragment dropped. Feeds often publish defanged values
(``hxxp://evil[.]example``); they are refanged first.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from ironwatch.core.errors import ValidationError

TYPES = ("ipv4", "ipv6", "cidr", "domain", "url", "sha256", "sha1", "md5", "email")
HASH_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256"}
_HEX = frozenset("0123456789abcdef")
_DOMAIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}
MAX_VALUE = 2048


@dataclass(frozen=True)
class ParsedIndicator:
    """One indicator as a feed describes it, before it is stored; ``None`` means the feed is silent."""

    type: str
    value: str
    confidence: int | None = None
    tlp: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    description: str = ""
    external_id: str | None = None


def refang(value: str) -> str:
    """Undo the usual defanging: ``hxxp``, ``[.]``, ``(.)``, ``[:]``, ``[@]``."""
    text = value.strip()
    for old, new in (("[.]", "."), ("(.)", "."), ("{.}", "."), ("[:]", ":"), ("[@]", "@"), ("[at]", "@")):
        text = text.replace(old, new)
    lowered = text[:6].lower()
    if lowered.startswith("hxxp"):
        text = "http" + text[4:]
    elif lowered.startswith("fxp"):
        text = "ftp" + text[3:]
    return text


def infer_type(value: str) -> str | None:
    """The indicator type a bare value looks like, or ``None`` when it looks like none of them."""
    text = refang(value)
    if not text:
        return None
    lowered = text.lower()
    if len(lowered) in HASH_LENGTHS and set(lowered) <= _HEX:
        return HASH_LENGTHS[len(lowered)]
    if "://" in text:
        return "url"
    if "/" in text:
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            return None
        return "cidr"
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        return "ipv4" if address.version == 4 else "ipv6"
    if "@" in text:
        local, _, domain = text.rpartition("@")
        return "email" if local and _is_domain(domain.lower()) else None
    return "domain" if _is_domain(lowered) else None


def _is_domain(text: str) -> bool:
    name = text.rstrip(".")
    if "." not in name or not name or len(name) > 253:
        return False
    try:
        ascii_name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        return False
    return set(ascii_name) <= _DOMAIN_CHARS and all(0 < len(label) <= 63 for label in ascii_name.split("."))


def normalise_domain(value: str) -> str:
    name = value.strip().rstrip(".").lower()
    if not name.isascii():
        name = name.encode("idna").decode("ascii")
    return name


def normalise_url(value: str) -> str:
    """Scheme and host lower-case, default port and fragment dropped, an empty path as ``/``."""
    parts = urlsplit(value.strip())
    if not parts.scheme or not parts.netloc:
        raise ValueError("a URL needs a scheme and a host, e.g. http://host/path")
    scheme = parts.scheme.lower()
    host = normalise_domain(parts.hostname or "")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError("the URL's port is not a number") from exc
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def normalise(kind: str, value: str) -> tuple[str, str]:
    """``(type, value)`` in canonical form; a network of one address becomes that address.

    Raises ``ValueError`` saying why when the value is not of that type.
    """
    text = refang(value)
    if not text:
        raise ValueError("the value is empty")
    if len(text) > MAX_VALUE:
        raise ValueError(f"the value is longer than {MAX_VALUE} characters")
    if kind in ("sha256", "sha1", "md5"):
        lowered = text.lower()
        if HASH_LENGTHS.get(len(lowered)) != kind or not set(lowered) <= _HEX:
            raise ValueError(f"not a {kind} hash (hex digits of the right length)")
        return kind, lowered
    if kind in ("ipv4", "ipv6", "cidr"):
        return _normalise_address(kind, text)
    if kind == "domain":
        if not _is_domain(text.lower()):
            raise ValueError("not a domain name")
        return kind, normalise_domain(text)
    if kind == "url":
        return kind, normalise_url(text)
    if kind == "email":
        local, at, domain = text.rpartition("@")
        if not at or not local or not _is_domain(domain.lower()):
            raise ValueError("not an e-mail address")
        return kind, f"{local.lower()}@{normalise_domain(domain)}"
    raise ValueError(f"unknown indicator type {kind!r}; known: {', '.join(TYPES)}")


def _normalise_address(kind: str, text: str) -> tuple[str, str]:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise ValueError(f"not an IP address or network: {exc}") from None
    if network.num_addresses == 1:
        single = f"ipv{network.version}"
        if kind not in (single, "cidr"):
            raise ValueError(f"an IPv{network.version} address given as {kind}")
        return single, str(network.network_address)
    if kind != "cidr" and "/" not in text:
        raise ValueError("not a single address")
    return "cidr", str(network)


def check_indicator(kind: str | None, value: str) -> tuple[str, str]:
    """``normalise`` with the type inferred when not given, for people's input: a clear error."""
    chosen = kind or infer_type(value)
    if chosen is None:
        raise ValidationError(
            f"cannot tell what kind of indicator {value!r} is",
            hint=f"give the type explicitly, one of: {', '.join(TYPES)}",
        )
    try:
        return normalise(chosen, value)
    except ValueError as exc:
        raise ValidationError(f"{value!r}: {exc}", hint=f"indicator types: {', '.join(TYPES)}") from None
