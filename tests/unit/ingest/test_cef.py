from __future__ import annotations

from datetime import UTC, datetime

from ironwatch.ingest.parsers.cef import parse_extension

from .conftest import events_of, failures_of, parse_fixture


def test_cef_header_and_extension() -> None:
    event = events_of(parse_fixture("cef.log", "cef"))[0]
    fields = event.fields
    assert fields["cef.device_vendor"] == "Security"
    assert fields["rule.name"] == "worm successfully stopped"
    assert fields["event.severity"] == 10
    assert (fields["source.ip"], fields["destination.port"]) == ("10.0.0.1", 445)
    assert fields["network.transport"] == "tcp"
    assert fields["event.action"] == "blocked"
    assert fields["msg"] == "Detected a threat. No action needed."
    assert event.timestamp == datetime(2024, 1, 5, 10, 0, tzinfo=UTC)


def test_cef_escapes_in_header_and_extension() -> None:
    fields = events_of(parse_fixture("cef.log", "cef"))[1].fields
    assert fields["cef.name"] == "Pipe | in name"
    assert fields["cs1"] == "a=b c\\d"
    assert fields["cef.label.filter"] == "a=b c\\d"
    assert fields["file.path"] == "C:\\Users\\bob\\eicar.com"
    assert fields["file.hash.sha256"].startswith("275a02")  # type: ignore[union-attr]


def test_cef_in_syslog_and_word_severity() -> None:
    event = events_of(parse_fixture("cef.log", "cef"))[2]
    assert event.fields["host.name"] == "siem01"
    assert event.fields["event.severity"] == 8
    assert event.fields["url.full"] == "http://evil.example/payload.sh"
    assert event.fields["user.name"] == "bob"


def test_incomplete_cef_header_is_a_failure() -> None:
    failures = failures_of(parse_fixture("cef.log", "cef"))
    assert len(failures) == 1
    assert "8 '|'-separated parts" in failures[0].reason


def test_extension_values_with_spaces_and_escaped_equals() -> None:
    assert parse_extension(r"msg=a b\=c d key2=v") == {"msg": "a b=c d", "key2": "v"}
