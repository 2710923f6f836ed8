from __future__ import annotations

from datetime import UTC, datetime

from .conftest import events_of, failures_of, parse_fixture


def test_clamscan_detection() -> None:
    event = events_of(parse_fixture("clamav.log", "antivirus.clamav"))[0]
    assert event.dataset == "antivirus.clamav"
    assert event.fields["file.path"] == "/home/bob/Downloads/eicar.com"
    assert event.fields["rule.name"] == "Win.Test.EICAR_HDB-1"
    assert event.fields["event.category"] == "malware"


def test_clean_file_is_not_a_detection() -> None:
    event = events_of(parse_fixture("clamav.log", "antivirus.clamav"))[1]
    assert event.fields["event.action"] == "scanned_clean"
    assert event.fields["event.category"] == "file"


def test_clamd_log_line_has_its_time_and_hash() -> None:
    events = events_of(parse_fixture("clamav.log", "antivirus.clamav"))
    assert events[2].timestamp == datetime(2024, 1, 5, 10, 0, tzinfo=UTC)
    assert events[2].fields["file.path"] == "/srv/upload/invoice.doc"
    assert events[3].fields["rule.name"] == "Eicar-Signature"
    assert events[3].fields["file.hash.md5"] == "44d88612fea8a8f36de82e1278abb02f"


def test_clamd_over_syslog() -> None:
    event = events_of(parse_fixture("clamav.log", "antivirus.clamav"))[4]
    assert event.fields["process.name"] == "clamd"
    assert event.fields["rule.name"] == "Email.Phishing.Generic-1"
    assert not failures_of(parse_fixture("clamav.log", "antivirus.clamav"))


def test_generic_detection_line() -> None:
    event = events_of(parse_fixture("antivirus_generic.log", "antivirus.generic"))[0]
    assert event.dataset == "antivirus.generic"
    assert event.fields["rule.name"] == "Mal/Generic-S"
    assert event.fields["file.path"] == "C:\\Temp\\drop per.exe"
    assert event.fields["event.action"] == "quarantined"
    assert event.fields["observer.product"] == "Intercept X"
    assert event.timestamp == datetime(2024, 1, 5, 10, 0, 3, tzinfo=UTC)
