"""ECS keys for Windows events, from the flat Windows field names (System + EventData) that every Windows
source (EVTX, Winlogbeat, NXLog) is first brought to. The Windows names stay; ECS keys are added.
"""

from __future__ import annotations

from functools import lru_cache

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


#: position of each copied key in ``_COPY`` and its ECS target: ``map_windows`` visits only the keys
#: an event has, in ``_COPY`` order (a later key overwrites the same target, as before)
_COPY_INDEX = {key: index for index, (key, _) in enumerate(_COPY)}
_COPY_TARGET = dict(_COPY)
_CLASSIFICATION = {SYSMON: _SYSMON, SECURITY: _SECURITY, DEFENDER: _DEFENDER}
_USER_KEYS = ("TargetUserName", "User", "Detection User", "SubjectUserName")
_ADDRESS_KEYS = (("IpAddress", "source.ip"), ("SourceIp", "source.ip"), ("DestinationIp", "destination.ip"))
_PORT_KEYS = (
    ("IpPort", "source.port"),
    ("SourcePort", "source.port"),
    ("DestinationPort", "destination.port"),
)
_HASH_NAMES = frozenset({"md5", "sha1", "sha256", "imphash"})


@lru_cache(maxsize=256)
def _keywords(text: str) -> int | None:
    """``Keywords`` as an int; a file carries few distinct values, so each is converted once."""
    return _int(text)


def map_windows(fields: dict[str, object]) -> None:
    """Add ECS keys to a flat Windows event in place (Windows names must already be top-level)."""
    # one function with local lookups: this runs once per imported Windows event (hot path)
    fields["observer.vendor"] = "Microsoft"
    get = fields.get
    present = _COPY_INDEX.keys() & fields.keys()
    if present:
        for key in sorted(present, key=_COPY_INDEX.__getitem__) if len(present) > 1 else present:
            value = fields[key]
            if value is not None and value != "":
                fields[_COPY_TARGET[key]] = value
    code = get("EventID")
    if code.__class__ is not int:
        code = code if isinstance(code, int) else None
    if code is not None:
        fields["event.code"] = str(code)
    # process
    image = get("Image") or get("NewProcessName")
    if isinstance(image, str) and image:
        fields["process.executable"] = image
        fields["process.name"] = _basename(image)
    pid_value = get("ProcessId") if "Image" in fields else get("NewProcessId")
    if pid_value is not None:
        pid = _int(pid_value)
        if pid is not None:
            fields["process.pid"] = pid
    # user
    for key in _USER_KEYS:
        value = get(key)
        if isinstance(value, str) and value not in _NO_VALUE:
            domain, sep, name = value.rpartition("\\")
            fields["user.name"] = name if sep else value
            if sep:
                fields["user.domain"] = domain
            break
    # network
    for key, target in _ADDRESS_KEYS:
        value = get(key)
        if isinstance(value, str) and value not in ("", "-"):
            fields[target] = value
    for key, target in _PORT_KEYS:
        value = get(key)
        if value is not None:
            port = _int(value)
            if port:
                fields[target] = port
    protocol = get("Protocol")
    if isinstance(protocol, str) and protocol.isalpha():
        fields["network.transport"] = protocol.lower()
    _hashes(fields)
    _classify(fields, code)


def _hashes(fields: dict[str, object]) -> None:
    hashes = fields.get("Hashes") or fields.get("Hash")
    if not isinstance(hashes, str):
        return
    for part in hashes.split(","):
        algorithm, sep, digest = part.partition("=")
        name = algorithm.strip().lower()
        if sep and name in _HASH_NAMES:
            fields[f"file.hash.{name}"] = digest.strip().lower()
            if fields.get("EventID") == 1:
                fields[f"process.hash.{name}"] = digest.strip().lower()


def _classify(fields: dict[str, object], code: int | None) -> None:
    provider = fields.get("Provider_Name")
    table = _CLASSIFICATION.get(provider) if isinstance(provider, str) else None
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
    value = fields.get("Keywords")
    keywords = _keywords(value) if isinstance(value, str) else _int(value)
    if keywords is not None and keywords & _AUDIT_FAILURE:
        fields["event.outcome"] = "failure"
    elif keywords is not None and keywords & _AUDIT_SUCCESS:
        fields["event.outcome"] = "success"
    elif code == 4625:
        fields["event.outcome"] = "failure"
