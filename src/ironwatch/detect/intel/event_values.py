"""Which event fields the intel matcher looks at, and how it reads values out of them.

ECS keys set by ironwatch's parsers come first, then the raw names common sources use (Windows
``IpAddress``, Zeek ``id.orig_h``, iptables ``SRC``, Suricata ``http.hostname``...). Hashes are
recognised by name wherever they sit (any key ending in ``.md5``/``.sha1``/``.sha256`` or named
so), plus Sysmon's ``Hashes`` list (``SHA256=...,MD5=...``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

ADDRESS_FIELDS = (
    "source.ip",
    "destination.ip",
    "client.ip",
    "server.ip",
    "host.ip",
    "related.ip",
    "source.nat.ip",
    "destination.nat.ip",
    "dns.resolved_ip",
    "IpAddress",
    "SourceIp",
    "DestinationIp",
    "SourceAddress",
    "DestAddress",
    "src_ip",
    "dest_ip",
    "dst_ip",
    "SRC",
    "DST",
    "id.orig_h",
    "id.resp_h",
)
DOMAIN_FIELDS = (
    "dns.question.name",
    "url.domain",
    "destination.domain",
    "server.domain",
    "tls.client.server_name",
    "tls.sni",
    "http.hostname",
    "dns.rrname",
    "QueryName",
    "query",
)
URL_FIELDS = ("url.full", "url.original", "http.url")
#: where a URL given as a path finds its host
URL_HOST_FIELDS = ("url.domain", "http.hostname", "destination.domain", "tls.client.server_name")
EMAIL_FIELDS = (
    "email.from.address",
    "email.sender.address",
    "email.to.address",
    "email.cc.address",
    "email.reply_to.address",
    "user.email",
    "source.user.email",
    "sender",
    "recipient",
)
HASH_NAMES = {"md5": "md5", "sha1": "sha1", "sha256": "sha256"}
SYSMON_HASHES = ("Hashes", "Hash")


def field_kind(name: str) -> str | None:
    """What the matcher looks for in a field: address, domain, url, email, a hash type, sysmon, or nothing."""
    if name in _BY_NAME:
        return _BY_NAME[name]
    return HASH_NAMES.get(name.rpartition(".")[2].lower())


_BY_NAME: dict[str, str] = {
    **dict.fromkeys(ADDRESS_FIELDS, "address"),
    **dict.fromkeys(DOMAIN_FIELDS, "domain"),
    **dict.fromkeys(URL_FIELDS, "url"),
    **dict.fromkeys(EMAIL_FIELDS, "email"),
    **dict.fromkeys(SYSMON_HASHES, "sysmon"),
}


def strings(value: object) -> Iterator[str]:
    """The non-empty strings in a field value (a string, or a list of them)."""
    if isinstance(value, str):
        if value and value != "-":
            yield value
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, str) and item and item != "-":
                yield item


def sysmon_hashes(listed: str) -> Iterator[tuple[str, str]]:
    """``(hash type, lower-case digest)`` from Sysmon's ``SHA256=...,MD5=...``."""
    for part in listed.split(","):
        name, sep, digest = part.partition("=")
        kind = HASH_NAMES.get(name.strip().lower())
        if sep and kind is not None:
            yield kind, digest.strip().lower()


def complete_url(text: str, fields: Mapping[str, object]) -> str | None:
    """A URL as given, or a path-only one (``/login``) completed with the event's host; None without one."""
    if not text.startswith("/"):
        return text
    host = next((h for k in URL_HOST_FIELDS for h in strings(fields.get(k))), None)
    return f"http://{host}{text}" if host is not None else None
