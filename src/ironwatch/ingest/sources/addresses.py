"""``host:port`` strings as operators write them on the command line."""

from __future__ import annotations

from ironwatch.core.errors import ValidationError


def parse_host_port(text: str, *, option: str = "address") -> tuple[str, int]:
    """Split ``host:port`` (``[v6]:port`` for IPv6); port 0 asks the OS for a free port.

    >>> parse_host_port("[::1]:6514")
    ('::1', 6514)
    """
    value = text.strip()
    if value.startswith("["):
        host, sep, port = value[1:].partition("]:")
    else:
        host, sep, port = value.rpartition(":")
        if ":" in host:
            sep = ""
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValidationError(
            f"{option} {text!r} is not HOST:PORT",
            hint="write e.g. 127.0.0.1:514, 0.0.0.0:6514 or [::1]:2514 with a port from 0 to 65535",
        )
    return host, int(port)


def format_peer(address: object) -> str:
    """``host:port`` for a socket peer address tuple, ``[v6]:port`` for IPv6, ``unknown`` if absent."""
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = str(address[0]), address[1]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return "unknown" if address is None else str(address)
