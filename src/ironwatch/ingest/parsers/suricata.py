"""Suricata EVE JSON (``alert``, ``flow``, ``dns``, ``http``, ``tls``, ``fileinfo`` and any other type).

EVE keys stay as Suricata wrote them, flattened (``alert.signature``, ``src_ip``); ECS keys are added.
"""

from __future__ import annotations

DATASET = "suricata.eve"

_COMMON = {
    "src_ip": "source.ip",
    "src_port": "source.port",
    "dest_ip": "destination.ip",
    "dest_port": "destination.port",
    "app_proto": "network.protocol",
    "community_id": "network.community_id",
    "in_iface": "observer.ingress.interface.name",
    "alert.signature": "rule.name",
    "alert.signature_id": "rule.id",
    "alert.category": "rule.category",
    "alert.severity": "event.severity",
    "http.hostname": "url.domain",
    "http.url": "url.original",
    "http.http_method": "http.request.method",
    "http.status": "http.response.status_code",
    "http.http_user_agent": "user_agent.original",
    "tls.sni": "tls.client.server_name",
    "tls.version": "tls.version",
    "tls.ja3.hash": "tls.client.ja3",
    "tls.subject": "tls.server.x509.subject.distinguished_name",
    "fileinfo.filename": "file.name",
    "fileinfo.sha256": "file.hash.sha256",
    "fileinfo.size": "file.size",
    "flow.pkts_toserver": "source.packets",
    "flow.pkts_toclient": "destination.packets",
    "flow.bytes_toserver": "source.bytes",
    "flow.bytes_toclient": "destination.bytes",
}
_CATEGORY = {
    "alert": "intrusion_detection",
    "http": "web",
    "fileinfo": "file",
    "anomaly": "intrusion_detection",
}


def looks_like_eve(document: dict[str, object]) -> bool:
    """Whether a flattened JSON object is a Suricata EVE record."""
    return "event_type" in document and (
        "src_ip" in document or "flow_id" in document or "timestamp" in document
    )


def map_eve(fields: dict[str, object]) -> str:
    """Add ECS keys to a flattened EVE record in place; returns the dataset."""
    for key, target in _COMMON.items():
        value = fields.get(key)
        if value is not None:
            fields[target] = value
    proto = fields.get("proto")
    if isinstance(proto, str):
        fields["network.transport"] = proto.lower()
    event_type = str(fields.get("event_type", ""))
    fields["event.kind"] = "alert" if event_type == "alert" else "event"
    fields["event.category"] = _CATEGORY.get(event_type, "network")
    fields["event.type"] = event_type
    fields["observer.vendor"] = "OISF"
    fields["observer.product"] = "Suricata"
    action = fields.get("alert.action")
    if isinstance(action, str):
        fields["event.action"] = {"allowed": "allow", "blocked": "deny"}.get(action, action)
    _dns(fields)
    if isinstance(fields.get("url.domain"), str) and isinstance(fields.get("url.original"), str):
        scheme = "https" if fields.get("dest_port") == 443 else "http"
        fields["url.full"] = f"{scheme}://{fields['url.domain']}{fields['url.original']}"
    to_server, to_client = fields.get("source.bytes"), fields.get("destination.bytes")
    if isinstance(to_server, int) and isinstance(to_client, int):
        fields["network.bytes"] = to_server + to_client
    return DATASET


def _dns(fields: dict[str, object]) -> None:
    name = fields.get("dns.rrname")
    rrtype = fields.get("dns.rrtype")
    queries = fields.get("dns.queries")
    if name is None and isinstance(queries, list) and queries and isinstance(queries[0], dict):
        name, rrtype = queries[0].get("rrname"), queries[0].get("rrtype")
    if name is not None:
        fields["dns.question.name"] = name
    if rrtype is not None:
        fields["dns.question.type"] = rrtype
    rcode = fields.get("dns.rcode")
    if rcode is not None:
        fields["dns.response_code"] = rcode
