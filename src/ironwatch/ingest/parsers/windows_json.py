"""Windows events shipped as JSON: Winlogbeat (``winlog.event_data.*``), NXLog (flat) and EVTX exports
(``{"Event": {"System": ...}}``). All three end as the same flat Windows fields as EVTX files.
"""

from __future__ import annotations

from datetime import datetime

from ironwatch.ingest.event import Event
from ironwatch.ingest.parsers.base import ParseContext, new_event
from ironwatch.ingest.parsers.json_safe import flatten, json_timestamp
from ironwatch.ingest.parsers.windows_evtx import windows_event
from ironwatch.ingest.parsers.windows_fields import event_id, map_windows

DATASET = "windows.json"
_WINLOGBEAT = {
    "winlog.channel": "Channel",
    "winlog.provider_name": "Provider_Name",
    "winlog.provider_guid": "Provider_Guid",
    "winlog.computer_name": "Computer",
    "winlog.record_id": "EventRecordID",
    "winlog.process.pid": "Execution_ProcessID",
    "winlog.process.thread.id": "Execution_ThreadID",
    "winlog.user.identifier": "Security_UserID",
    "winlog.task": "Task",
    "winlog.opcode": "Opcode",
    "winlog.version": "Version",
}
_NXLOG = {
    "SourceName": "Provider_Name",
    "ProviderName": "Provider_Name",
    "ProviderGuid": "Provider_Guid",
    "Hostname": "Computer",
    "RecordNumber": "EventRecordID",
    "ExecutionProcessID": "Execution_ProcessID",
    "ExecutionThreadID": "Execution_ThreadID",
    "UserID": "Security_UserID",
}
_NXLOG_OUTCOME = {"AUDIT_SUCCESS": "success", "AUDIT_FAILURE": "failure"}
_DATA_PREFIXES = ("winlog.event_data.", "winlog.user_data.")


def looks_like_windows(document: dict[str, object]) -> bool:
    """Whether a decoded JSON object is a Windows event in one of the supported shapes."""
    if isinstance(document.get("Event"), dict) or isinstance(document.get("winlog"), dict):
        return True
    return "EventID" in document and any(key in document for key in ("SourceName", "ProviderName", "Channel"))


def windows_json_event(
    document: dict[str, object], *, original: str, received_at: datetime, context: ParseContext
) -> Event:
    """The event for a decoded Windows JSON document (any supported shape)."""
    if isinstance(document.get("Event"), dict):
        return windows_event(
            document, original=original, received_at=received_at, context=context, dataset=DATASET
        )
    fields = flatten(document, context.limits)
    if any(key.startswith("winlog.") for key in fields):
        _from_winlogbeat(fields)
    else:
        _from_nxlog(fields)
    map_windows(fields)
    notes: tuple[str, ...] = ()
    try:
        timestamp = json_timestamp(fields, context.tz, ("@timestamp", "EventTime", "TimeCreated_SystemTime"))
    except ValueError as exc:
        timestamp, notes = received_at, (f"timestamp replaced by receive time: {exc}",)
    return new_event(
        context=context,
        dataset=DATASET,
        fields=fields,
        original=original,
        received_at=received_at,
        timestamp=timestamp,
        notes=notes,
    )


def _from_winlogbeat(fields: dict[str, object]) -> None:
    promoted: dict[str, object] = {}
    for key, value in fields.items():
        for prefix in _DATA_PREFIXES:
            if key.startswith(prefix):
                promoted[key[len(prefix) :]] = value
    for name, value in promoted.items():
        fields.setdefault(name, value)
    for key, target in _WINLOGBEAT.items():
        if key in fields:
            fields[target] = fields[key]
    code = event_id(fields.get("winlog.event_id", fields.get("event.code")))
    if code is not None:
        fields["EventID"] = code
    keywords = fields.get("winlog.keywords")
    if isinstance(keywords, list) and "event.outcome" not in fields:
        if "Audit Failure" in keywords:
            fields["event.outcome"] = "failure"
        elif "Audit Success" in keywords:
            fields["event.outcome"] = "success"


def _from_nxlog(fields: dict[str, object]) -> None:
    for key, target in _NXLOG.items():
        if key in fields and target not in fields:
            fields[target] = fields[key]
    code = event_id(fields.get("EventID"))
    if code is not None:
        fields["EventID"] = code
    outcome = _NXLOG_OUTCOME.get(str(fields.get("EventType", "")))
    if outcome is not None:
        fields["event.outcome"] = outcome
