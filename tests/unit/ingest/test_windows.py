"""Windows events as JSON (Winlogbeat, NXLog) and as EVTX files (public corpus)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from ironwatch.ingest import Event, ParseFailure
from ironwatch.ingest.parsers import read_evtx, read_log_file

from .conftest import FixedClock, events_of, parse_fixture


def test_winlogbeat_event_data_becomes_top_level() -> None:
    event = events_of(parse_fixture("winlogbeat.json", "windows.json"))[0]
    fields = event.fields
    assert event.dataset == "windows.json"
    assert fields["EventID"] == 4625
    assert fields["Channel"] == "Security"
    assert fields["Provider_Name"] == "Microsoft-Windows-Security-Auditing"
    assert fields["TargetUserName"] == "administrator"
    assert fields["LogonType"] == "3"
    assert fields["user.name"] == "administrator"
    assert fields["source.ip"] == "203.0.113.9"
    assert fields["source.port"] == 50123
    assert fields["event.outcome"] == "failure"
    assert fields["event.category"] == "authentication"
    assert fields["host.name"] == "dc01.corp.example"
    assert event.timestamp == datetime(2024, 1, 5, 10, 0, tzinfo=UTC)


def test_winlogbeat_sysmon_process_creation() -> None:
    fields = events_of(parse_fixture("winlogbeat.json", "windows.json"))[1].fields
    assert fields["EventID"] == 1
    assert fields["Image"].endswith("powershell.exe")  # type: ignore[union-attr]
    assert fields["process.name"] == "powershell.exe"
    assert fields["process.pid"] == 4242
    assert fields["process.command_line"] == "powershell.exe -nop -w hidden -enc SQBFAFgA"
    assert fields["file.hash.sha256"] == "de96a6e69944335375dc1ac238336066889d9ffc7d73628ef4fe1b1b160ab32c"
    assert (fields["user.domain"], fields["user.name"]) == ("CORP", "bob")


def test_nxlog_flat_event_and_local_time() -> None:
    event = events_of(parse_fixture("nxlog.json", "windows.json"))[0]
    fields = event.fields
    assert fields["EventID"] == 4688
    assert fields["Provider_Name"] == "Microsoft-Windows-Security-Auditing"
    assert fields["Computer"] == "ws02.corp.example"
    assert fields["process.executable"] == "C:\\Windows\\System32\\cmd.exe"
    assert fields["process.pid"] == 0x1A2B
    assert fields["event.outcome"] == "success"
    assert event.timestamp == datetime(2024, 1, 5, 11, 0, tzinfo=UTC)


def test_defender_detection_from_nxlog() -> None:
    fields = events_of(parse_fixture("nxlog.json", "windows.json"))[1].fields
    assert fields["EventID"] == 1116
    assert fields["event.category"] == "malware"
    assert fields["rule.name"] == "Virus:DOS/EICAR_Test_File"
    assert fields["file.path"] == "C:\\Users\\bob\\Downloads\\eicar.com"
    assert fields["user.name"] == "bob"


SYSMON_FILE = "Defense Evasion/evasion_codeinj_odzhan_conhost_sysmon_10_1.evtx"


def test_real_sysmon_evtx_record(corpus_evtx: Path) -> None:
    results = list(read_evtx(corpus_evtx / SYSMON_FILE, clock=FixedClock()))
    assert all(isinstance(item, Event) for item in results)
    first = results[0]
    assert isinstance(first, Event)
    fields = first.fields
    assert first.dataset == "windows.evtx"
    assert fields["EventID"] == 1
    assert fields["Channel"] == "Microsoft-Windows-Sysmon/Operational"
    assert fields["Provider_Name"] == "Microsoft-Windows-Sysmon"
    assert fields["Image"] == "C:\\Users\\Public\\tools\\evasion\\chost.exe"
    assert fields["CommandLine"] == "chost.exe  payload.bin"
    assert fields["ParentImage"] == "C:\\Windows\\System32\\cmd.exe"
    assert fields["process.name"] == "chost.exe"
    assert fields["event.category"] == "process"
    assert first.timestamp == datetime(2020, 7, 2, 18, 0, 29, 615842, tzinfo=UTC)
    assert any(isinstance(r, Event) and r.fields["EventID"] == 10 for r in results)


def test_userdata_does_not_shadow_the_system_channel(corpus_evtx: Path) -> None:
    event = next(iter(read_evtx(corpus_evtx / "Defense Evasion/DE_104_system_log_cleared.evtx")))
    assert isinstance(event, Event)
    assert event.fields["Channel"] == "System"
    assert event.fields["SubjectUserName"] == "user01"
    assert event.fields["event.action"] == "audit_log_cleared"


def test_truncated_evtx_yields_good_records_and_a_failure(corpus_evtx: Path, tmp_path: Path) -> None:
    original = corpus_evtx / "AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx"
    whole = [item for item in read_evtx(original) if isinstance(item, Event)]
    damaged = tmp_path / "cut.evtx"
    data = original.read_bytes()
    damaged.write_bytes(data[: 4096 + 2 * 65536 + 3000])

    results = list(read_evtx(damaged))

    events = [item for item in results if isinstance(item, Event)]
    failures = [item for item in results if isinstance(item, ParseFailure)]
    assert 0 < len(events) < len(whole)
    assert [e.fields["EventRecordID"] for e in events] == [
        e.fields["EventRecordID"] for e in whole[: len(events)]
    ]
    assert len(failures) == 1
    assert "truncated" in failures[0].reason
    assert failures[0].raw == data[4096 + 2 * 65536 : 4096 + 2 * 65536 + 3000]


def test_corrupted_chunk_is_skipped_not_fatal(corpus_evtx: Path, tmp_path: Path) -> None:
    original = corpus_evtx / "AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx"
    data = bytearray(original.read_bytes())
    data[4096 + 65536 + 1000 : 4096 + 65536 + 1400] = b"A" * 400
    damaged = tmp_path / "corrupt.evtx"
    damaged.write_bytes(bytes(data))

    results = list(read_log_file(damaged))

    assert sum(isinstance(item, Event) for item in results) > 100
    failures = [item for item in results if isinstance(item, ParseFailure)]
    assert failures and "damaged EVTX chunk" in failures[0].reason


def test_evtx_deterministic_ids_repeat(corpus_evtx: Path) -> None:
    path = corpus_evtx / SYSMON_FILE
    first = [item.id for item in read_evtx(path, deterministic_ids=True)]
    second = [item.id for item in read_evtx(path, deterministic_ids=True)]
    assert first == second and len(set(first)) == len(first)


def test_not_an_evtx_file_is_one_failure(tmp_path: Path) -> None:
    fake = tmp_path / "fake.evtx"
    fake.write_bytes(b"MZ" + b"\x00" * 5000)
    results = list(read_evtx(fake))
    assert len(results) == 1 and isinstance(results[0], ParseFailure)
    assert "not an EVTX file" in results[0].reason


def test_missing_file_is_a_failure_not_an_exception(tmp_path: Path) -> None:
    results = list(read_evtx(tmp_path / "missing.evtx"))
    assert len(results) == 1 and isinstance(results[0], ParseFailure)
    assert "cannot read" in results[0].reason


def test_header_only_copy(corpus_evtx: Path, tmp_path: Path) -> None:
    cut = tmp_path / "header.evtx"
    shutil.copyfile(corpus_evtx / SYSMON_FILE, cut)
    with cut.open("r+b") as handle:
        handle.truncate(4096)
    results = list(read_evtx(cut))
    assert [type(item).__name__ for item in results] == ["ParseFailure"]
    assert "truncated" in results[0].reason  # type: ignore[union-attr]
