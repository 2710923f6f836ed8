from __future__ import annotations

from pathlib import Path

import pytest

from ironwatch.core.errors import ValidationError
from ironwatch.ingest import Event, ParseFailure, deterministic_id
from ironwatch.ingest.parsers import detect_format, parse_frame, parse_stream, parser_for, read_log_file

from .conftest import FIXTURES, RECEIVED, FixedClock


def frame(payload: bytes, transport: str = "udp") -> Event | ParseFailure:
    return parse_frame(payload, source="10.0.0.9:514", transport=transport, received_at=RECEIVED)


def test_syslog_frame_with_auth_body() -> None:
    event = frame(
        b"<38>Jan  5 10:00:00 web01 sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2\n"
    )
    assert isinstance(event, Event)
    assert event.dataset == "linux.auth"
    assert event.source == "10.0.0.9:514"
    assert event.received_at == RECEIVED
    assert event.fields["event.outcome"] == "failure"


def test_http_frame_is_json() -> None:
    event = frame(b'{"event_type":"alert","src_ip":"10.0.0.5","timestamp":"2024-01-05T10:00:00Z"}', "http")
    assert isinstance(event, Event) and event.dataset == "suricata.eve"
    failure = frame(b"not json", "http")
    assert isinstance(failure, ParseFailure) and "invalid JSON" in failure.reason


def test_non_syslog_text_frame_is_kept_as_text_with_a_note() -> None:
    event = frame(b"plain words from a device")
    assert isinstance(event, Event) and event.dataset == "text"
    assert event.notes and "not syslog" in event.notes[0]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [(b"", "empty"), (b"\x00\x01\x02\x03\x04", "binary"), (b"<13>" + b"x" * (2 * 1024 * 1024), "limit")],
)
def test_bad_frames_are_failures_with_capped_raw(payload: bytes, reason: str) -> None:
    failure = frame(payload)
    assert isinstance(failure, ParseFailure)
    assert reason in failure.reason
    assert failure.raw == payload[: 64 * 1024]


def test_unknown_transport_is_a_caller_error() -> None:
    with pytest.raises(ValidationError, match="transport"):
        frame(b"x", "carrier-pigeon")


def test_unknown_format_names_the_choices() -> None:
    with pytest.raises(ValidationError) as error:
        parser_for("nope")
    assert "syslog" in str(error.value) and "windows.evtx" in str(error.value)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("auth.log", "linux.auth"),
        ("ufw.log", "firewall.iptables"),
        ("eve.json", "suricata.eve"),
        ("conn.log", "zeek"),
        ("zeek_dns.json", "zeek"),
        ("cef.log", "cef"),
        ("clamav.log", "antivirus.clamav"),
        ("antivirus_generic.log", "antivirus.generic"),
        ("winlogbeat.json", "windows.json"),
        ("nxlog.json", "windows.json"),
        ("syslog5424.log", "syslog"),
        ("malformed.jsonl", "json"),
    ],
)
def test_detect_format(name: str, expected: str) -> None:
    assert detect_format((FIXTURES / name).read_bytes().splitlines()[:20]) == expected


def test_detect_evtx_by_magic_and_text_by_default() -> None:
    assert detect_format([b"ElfFile\x00rest"]) == "windows.evtx"
    assert detect_format(["just words", "more words"]) == "text"
    assert detect_format([]) == "text"


def test_auto_format_parses_a_whole_file() -> None:
    results = list(read_log_file(FIXTURES / "eve.json", clock=FixedClock()))
    assert sum(isinstance(item, Event) and item.dataset == "suricata.eve" for item in results) == 5


def test_decoded_records_are_accepted() -> None:
    results = list(parse_stream([{"@timestamp": "2024-01-05T10:00:00Z", "user": {"name": "bob"}}]))
    assert isinstance(results[0], Event) and results[0].fields["user.name"] == "bob"


def test_deterministic_ids_are_stable_and_distinct(tmp_path: Path) -> None:
    lines = ["same", "same", "other"]
    first = [item.id for item in parse_stream(lines, format="text", source="f", deterministic_ids=True)]
    again = [item.id for item in parse_stream(lines, format="text", source="f", deterministic_ids=True)]
    assert first == again and len(set(first)) == 3
    assert first[0] == deterministic_id("f", 1, "same")
    assert first[0][14] == "8"  # UUIDv8


def test_random_ids_are_unique() -> None:
    ids = [item.id for item in parse_stream(["a"] * 100, format="text")]
    assert len(set(ids)) == 100


def test_unreadable_file_is_a_failure(tmp_path: Path) -> None:
    results = list(read_log_file(tmp_path / "absent.log"))
    assert len(results) == 1 and isinstance(results[0], ParseFailure)
