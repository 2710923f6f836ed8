"""Suricata EVE and Zeek (TSV and JSON)."""

from __future__ import annotations

from datetime import UTC, datetime

from .conftest import events_of, failures_of, parse_fixture


def test_suricata_alert() -> None:
    alert = events_of(parse_fixture("eve.json", "suricata.eve"))[0]
    fields = alert.fields
    assert alert.dataset == "suricata.eve"
    assert alert.timestamp == datetime(2024, 1, 5, 10, 0, 0, 123456, tzinfo=UTC)
    assert fields["rule.name"] == "ET POLICY curl User-Agent Outbound"
    assert fields["rule.id"] == 2024897
    assert fields["event.kind"] == "alert"
    assert fields["event.action"] == "allow"
    assert (fields["source.ip"], fields["destination.port"]) == ("10.0.0.5", 80)
    assert fields["network.transport"] == "tcp"
    assert fields["url.full"] == "http://evil.example/payload.sh"
    assert fields["alert.signature_id"] == 2024897  # EVE's own key kept


def test_suricata_dns_both_eve_versions() -> None:
    events = events_of(parse_fixture("eve.json", "suricata.eve"))
    assert events[1].fields["dns.question.name"] == "evil.example"
    assert events[2].fields["dns.question.name"] == "c2.example"
    assert events[2].fields["dns.question.type"] == "TXT"


def test_suricata_tls_and_flow() -> None:
    events = events_of(parse_fixture("eve.json", "suricata.eve"))
    assert events[3].fields["tls.client.server_name"] == "c2.example"
    assert events[3].fields["tls.client.ja3"] == "e7d705a3286e19ea42f587b344ee6865"
    assert events[4].fields["network.bytes"] == 1620


def test_truncated_eve_line_is_a_failure() -> None:
    failures = failures_of(parse_fixture("eve.json", "suricata.eve"))
    assert len(failures) == 1
    assert failures[0].reason.startswith("invalid JSON")
    assert failures[0].position == 6


def test_zeek_tsv_conn_log_uses_the_header() -> None:
    results = parse_fixture("conn.log", "zeek")
    events = events_of(results)
    assert len(events) == 2
    conn = events[0]
    assert conn.dataset == "zeek.conn"
    assert conn.timestamp == datetime(2024, 1, 5, 10, 0, 0, 123456, tzinfo=UTC)
    assert conn.fields["id.orig_h"] == "10.0.0.5"
    assert conn.fields["source.ip"] == "10.0.0.5"
    assert conn.fields["destination.port"] == 80
    assert conn.fields["network.transport"] == "tcp"
    assert conn.fields["network.bytes"] == 1620
    assert conn.fields["local_orig"] is True
    assert conn.fields["tunnel_parents"] == []
    assert "tunnel_parents" not in events[1].fields  # '-' is unset: no key at all


def test_zeek_tsv_short_row_is_a_failure_with_column_counts() -> None:
    failures = failures_of(parse_fixture("conn.log", "zeek"))
    assert len(failures) == 1
    assert "4 columns" in failures[0].reason and "16" in failures[0].reason


def test_zeek_json_logs_are_recognised_by_content() -> None:
    events = events_of(parse_fixture("zeek_dns.json", "zeek"))
    assert [event.dataset for event in events] == ["zeek.dns", "zeek.ssl", "zeek.notice"]
    assert events[0].fields["dns.question.name"] == "evil.example"
    assert events[1].timestamp == datetime(2024, 1, 5, 10, 0, 3, tzinfo=UTC)
    assert events[1].fields["tls.client.server_name"] == "c2.example"
    assert events[2].fields["rule.name"] == "SSH::Password_Guessing"
    assert events[2].fields["event.kind"] == "alert"
