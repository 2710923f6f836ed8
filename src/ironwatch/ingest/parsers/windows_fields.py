"""ECS keys for Windows events, from the flat Windows field names (System + EventData) that every Windows
source (EVTX, Winlogbeat, NXLog) is first brought to. The Windows names stay; ECS keys are added.
"""

from __future__ import annotations

SYSMON = "Microsoft-Windows-Sysmon"
SECURITY = "Microsoft-Windows-Security-Auditing"
DEFENDER = "Microsoft-Windows-Windows Defender"
_AUDIT_SUCCESS = 0x0020000000000000
_AUDIT_FAILURE = 0x0010000000000000

# (category, type, action) per provider and event id.
_SYSMON: dict[int, tuple[str, str, str]] = {
    1: ("process", "start", "process_created"),
    2: ("file", "change", "file_creation_time_changed"),
    3: ("network", "connection", "network_connection"),
    5: ("process", "end", "process_terminated"),
    6: ("driver", "info", "driver_loaded"),
    7: ("library", "info", "image_loaded"),
    8: ("process", "change", "create_remote_thread"),
    10: ("process", "access", "process_accessed"),
    11: ("file", "creation", "file_created"),
    12: ("registry", "change", "registry_object_added_or_deleted"),
    13: ("registry", "change", "registry_value_set"),
    14: ("registry", "change", "registry_object_renamed"),
    15: ("file", "creation", "file_stream_created"),
    17: ("process", "info", "pipe_created"),
    18: ("process", "info", "pipe_connected"),
    22: ("network", "protocol", "dns_query"),
    23: ("file", "deletion", "file_deleted"),
    26: ("file", "deletion", "file_deleted"),
}
_SECURITY: dict[int, tuple[str, str, str]] = {
    1102: ("configuration", "deletion", "audit_log_cleared"),
    4624: ("authentication", "start", "logged_in"),
    4625: ("authentication", "start", "logon_failed"),
    4634: ("session", "end", "logged_out"),
    4647: ("session", "end", "logged_out"),
    4648: ("authentication", "start", "logged_in_explicit"),
    4672: ("iam", "admin", "special_privileges_assigned"),
    4688: ("process", "start", "process_created"),
    4689: ("process", "end", "process_terminated"),
    4697: ("configuration", "creation", "service_installed"),
    4698: ("configuration", "creation", "scheduled_task_created"),
    4720: ("iam", "creation", "user_created"),
    4722: ("iam", "change", "user_enabled"),
    4724: ("iam", "change", "password_reset"),
    4726: ("iam", "deletion", "user_deleted"),
    4728: ("iam", "change", "user_added_to_group"),
    4732: ("iam", "change", "user_added_to_group"),
    4738: ("iam", "change", "user_modified"),
    4756: ("iam", "change", "user_added_to_group"),
    4768: ("authentication", "start", "kerberos_tgt_requested"),
    4769: ("authentication", "start", "kerberos_service_ticket_requested"),
    4776: ("authentication", "start", "credential_validated"),
    5140: ("file", "access", "network_share_accessed"),
    5145: ("file", "access", "network_share_object_checked"),
}
_DEFENDER: dict[int, tuple[str, str, str]] = {
    1116: ("malware", "info", "malware_detected"),
    1117: ("malware", "info", "malware_action_taken"),
}
_COPY = (
    ("Computer", "host.name"),
    ("Provider_Name", "event.provider"),
    ("CommandLine", "process.command_line"),
    ("ParentImage", "process.parent.executable"),
    ("ParentProcessName", "process.parent.executable"),
    ("ParentCommandLine", "process.parent.command_line"),
    ("TargetFilename", "file.path"),
    ("ImageLoaded", "dll.path"),
    ("QueryName", "dns.question.name"),
    ("TargetObject", "registry.path"),
    ("Details", "registry.data.strings"),
    ("DestinationHostname", "destination.domain"),
    ("TargetDomainName", "user.domain"),
    ("ServiceName", "service.name"),
    ("url", "url.full"),
)
_NO_VALUE = frozenset({"", "-", "::1", "127.0.0.1"})


def event_id(value: object) -> int | None:
    """A Windows EventID as an int, from an int, a numeric string or ``{"#text": 4625, ...}``."""
    if isinstance(value, dict):
        value = value.get("#text")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text, 16) if text.lower().startswith("0x") else int(text)
        except ValueError:
            return None
    return None


def _basename(path: str) -> str:
    return path.replace("/", "\\").rsplit("\\", 1)[-1]


def map_windows(fields: dict[str, object]) -> None:
    """Add ECS keys to a flat Windows event in place (Windows names must already be top-level)."""
    fields["observer.vendor"] = "Microsoft"
    for key, target in _COPY:
        value = fields.get(key)
        if value is not None and value != "":
            fields[target] = value
    code = fields.get("EventID")
    if isinstance(code, int):
        fields["event.code"] = str(code)
    _process(fields)
    _user(fields)
    _network(fields)
    _hashes(fields)
    _classify(fields, code if isinstance(code, int) else None)


def _process(fields: dict[str, object]) -> None:
    image = fields.get("Image") or fields.get("NewProcessName")
    if isinstance(image, str) and image:
        fields["process.executable"] = image
        fields["process.name"] = _basename(image)
    pid = _int(fields.get("ProcessId") if "Image" in fields else fields.get("NewProcessId"))
    if pid is not None:
        fields["process.pid"] = pid


def _user(fields: dict[str, object]) -> None:
    for key in ("TargetUserName", "User", "Detection User", "SubjectUserName"):
        value = fields.get(key)
        if isinstance(value, str) and value not in _NO_VALUE:
            domain, sep, name = value.rpartition("\\")
            fields["user.name"] = name if sep else value
            if sep:
                fields["user.domain"] = domain
            return


def _network(fields: dict[str, object]) -> None:
    for key, target in (
        ("IpAddress", "source.ip"),
        ("SourceIp", "source.ip"),
        ("DestinationIp", "destination.ip"),
    ):
        value = fields.get(key)
        if isinstance(value, str) and value not in ("", "-"):
            fields[target] = value
    for key, target in (
        ("IpPort", "source.port"),
        ("SourcePort", "source.port"),
        ("DestinationPort", "destination.port"),
    ):
        port = _int(fields.get(key))
        if port:
            fields[target] = port
    protocol = fields.get("Protocol")
    if isinstance(protocol, str) and protocol.isalpha():
        fields["network.transport"] = protocol.lower()


def _hashes(fields: dict[str, object]) -> None:
    hashes = fields.get("Hashes") or fields.get("Hash")
    if not isinstance(hashes, str):
        return
    for part in hashes.split(","):
        algorithm, sep, digest = part.partition("=")
        name = algorithm.strip().lower()
        if sep and name in ("md5", "sha1", "sha256", "imphash"):
            fields[f"file.hash.{name}"] = digest.strip().lower()
            if fields.get("EventID") == 1:
                fields[f"process.hash.{name}"] = digest.strip().lower()


def _classify(fields: dict[str, object], code: int | None) -> None:
    provider = fields.get("Provider_Name")
    table = {SYSMON: _SYSMON, SECURITY: _SECURITY, DEFENDER: _DEFENDER}.get(
        provider if isinstance(provider, str) else ""
    )
    if code is not None and table is not None and code in table:
        category, kind, action = table[code]
        fields["event.category"] = category
        fields["event.type"] = kind
        fields["event.action"] = action
    if provider == DEFENDER:
        threat = fields.get("Threat Name")
        if isinstance(threat, str):
            fields["rule.name"] = threat
        path = fields.get("Path")
        if isinstance(path, str) and path:
            fields["file.path"] = path.split(";")[0].removeprefix("file:_")
    if code in (104, 1102):
        fields["event.category"] = "configuration"
        fields["event.action"] = "audit_log_cleared"
    keywords = _int(fields.get("Keywords"))
    if keywords is not None and keywords & _AUDIT_FAILURE:
        fields["event.outcome"] = "failure"
    elif keywords is not None and keywords & _AUDIT_SUCCESS:
        fields["event.outcome"] = "success"
    elif code == 4625:
        fields["event.outcome"] = "failure"
