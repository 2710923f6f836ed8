from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ironwatch.ingest.parsers import ParseContext, ParseError, parser_for

from .conftest import RECEIVED, events_of, failures_of, parse_fixture

CTX = ParseContext(source="test")


def parse(line: str, *, received_at: datetime = RECEIVED, context: ParseContext = CTX):
    event = parser_for("syslog").parse(line, received_at=received_at, context=context)
    assert event is not None
    return event


def test_rfc3164_pri_is_split_into_facility_and_severity() -> None:
    event = parse("<38>Jan  5 10:00:00 web01 myapp[77]: hello")
    assert event.fields["log.syslog.facility.name"] == "auth"
    assert event.fields["log.syslog.severity.name"] == "informational"
    assert event.fields["host.name"] == "web01"
    assert event.fields["process.name"] == "myapp"
    assert event.fields["process.pid"] == 77
    assert event.fields["message"] == "hello"
    assert event.timestamp == datetime(2024, 1, 5, 10, 0, tzinfo=UTC)


def test_rfc3164_without_hostname_reads_the_tag() -> None:
    event = parse("<13>Jan  5 10:00:00 cron[12]: job done")
    assert "host.name" not in event.fields
    assert event.fields["process.name"] == "cron"
    assert event.fields["message"] == "job done"


def test_rfc3164_time_is_read_in_the_sources_zone() -> None:
    berlin = ParseContext(source="test", tz=ZoneInfo("Europe/Berlin"))
    event = parse("Jan  5 10:00:00 web01 app: x", context=berlin)
    assert event.timestamp == datetime(2024, 1, 5, 9, 0, tzinfo=UTC)


def test_rfc3164_year_is_inferred_across_new_year() -> None:
    event = parse("Dec 31 23:59:59 web01 app: x", received_at=datetime(2025, 1, 1, 0, 0, 5, tzinfo=UTC))
    assert event.timestamp == datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_impossible_timestamp_falls_back_to_receive_time_and_says_why() -> None:
    event = parse("<13>Feb 30 10:00:00 web01 app: x")
    assert event.timestamp == RECEIVED
    assert any("Feb 30" in note and "receive time" in note for note in event.notes)


def test_rfc5424_structured_data_and_bom() -> None:
    events = events_of(parse_fixture("syslog5424.log", "syslog"))
    first = events[0]
    assert first.fields["log.syslog.structured_data.exampleSDID@32473.eventID"] == "1011"
    assert first.fields["log.syslog.structured_data.examplePriority@32473.class"] == "high"
    assert first.fields["message"] == "An application event log entry..."
    assert first.fields["process.name"] == "evntslog"
    assert first.fields["log.syslog.msgid"] == "ID47"
    assert first.timestamp == datetime(2003, 10, 11, 22, 14, 15, 3000, tzinfo=UTC)


def test_rfc5424_offset_and_procid() -> None:
    third = events_of(parse_fixture("syslog5424.log", "syslog"))[2]
    assert third.timestamp == datetime(2003, 8, 24, 12, 14, 15, 3, tzinfo=UTC)
    assert third.fields["process.pid"] == 8710


def test_rfc5424_escaped_structured_data_and_nil_values() -> None:
    last = events_of(parse_fixture("syslog5424.log", "syslog"))[3]
    assert last.fields["log.syslog.structured_data.esc@1.q"] == 'a "quoted" ] \\ value'
    assert last.timestamp is None
    assert "host.name" not in last.fields
    assert last.fields["message"] == "body"


def test_pri_out_of_range_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match=r"0\.\.191"):
        parse("<999>Jan  5 10:00:00 web01 app: x")


def test_line_without_header_is_a_failure_with_a_reason() -> None:
    failures = failures_of(parse_fixture("auth.log", "syslog"))
    assert len(failures) == 1
    assert "not a syslog line" in failures[0].reason
    assert failures[0].raw == b"this line is not syslog at all"
    assert failures[0].position == 21


def test_cef_inside_syslog_is_recognised() -> None:
    event = parse("<134>Jan  5 10:00:02 siem01 CEF:0|V|P|1|42|name|5|src=10.0.0.5")
    assert event.dataset == "cef"
    assert event.fields["host.name"] == "siem01"
    assert event.fields["source.ip"] == "10.0.0.5"


def test_suricata_eve_inside_syslog_is_recognised() -> None:
    body = (
        '{"timestamp":"2024-01-05T10:00:00+0000","event_type":"alert",'
        '"src_ip":"10.0.0.5","alert":{"signature":"X"}}'
    )
    event = parse(f"<134>Jan  5 10:00:02 ids01 suricata[5]: {body}")
    assert event.dataset == "suricata.eve"
    assert event.fields["rule.name"] == "X"
    assert event.fields["process.name"] == "suricata"


def test_rfc3164_year_puts_old_lines_in_the_past() -> None:
    received = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert parse("Jan  5 10:00:00 web01 sshd[1]: x", received_at=received).timestamp == datetime(
        2026, 1, 5, 10, 0, tzinfo=UTC
    )
    assert parse("Nov 23 11:00:00 web01 app: x", received_at=received).timestamp == datetime(
        2026, 11, 23, 11, 0, tzinfo=UTC
    ), "a sender's clock running a little fast keeps the current year"
    assert parse("Dec 20 11:00:00 web01 app: x", received_at=received).timestamp == datetime(
        2025, 12, 20, 11, 0, tzinfo=UTC
    )
    assert parse("Feb 29 08:00:00 web01 app: x", received_at=received).timestamp == datetime(
        2024, 2, 29, 8, 0, tzinfo=UTC
    )
