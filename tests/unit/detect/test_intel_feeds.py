"""Reading indicator feeds: every supported entry becomes a normalised indicator, every other one
is counted with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from ironwatch.core.errors import ValidationError
from ironwatch.detect.intel.importers import detect_format, parse_feed, parse_feed_file
from ironwatch.detect.intel.indicator import check_indicator, infer_type, normalise

FEEDS = Path(__file__).parents[2] / "fixtures" / "intel"


def values(feed_path: Path, fmt: str = "auto") -> set[tuple[str, str]]:
    feed, _ = parse_feed_file(feed_path, fmt)
    return {(i.type, i.value) for i in feed.indicators}


def test_stix_bundle_splits_ors_takes_file_hashes_and_reports_what_it_cannot_match() -> None:
    feed, data = parse_feed_file(FEEDS / "bundle.stix.json")
    assert feed.format == "stix" and data.startswith(b"{")
    assert {(i.type, i.value) for i in feed.indicators} == {
        ("ipv4", "203.0.113.66"),
        ("domain", "evil.example"),
        ("domain", "login-micros0ft.example"),
        ("url", "http://bad.example/payload.exe"),
        ("cidr", "198.51.100.0/24"),
        ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("email", "ceo@phish.example"),
        ("ipv6", "2001:db8::1"),
        ("md5", "d41d8cd98f00b204e9800998ecf8427e"),
        ("domain", "c2.evil.example"),
    }
    c2 = next(i for i in feed.indicators if i.value == "203.0.113.66")
    assert (c2.confidence, c2.tlp, c2.description) == (90, "amber", "Emotet C2")
    assert c2.external_id == "indicator--00000000-0000-4000-8000-000000000001"
    assert next(i for i in feed.indicators if i.value == "evil.example").tlp == "green"
    assert sum(feed.skipped.values()) == 4
    reasons = " | ".join(feed.skipped)
    assert "LikeComparison" in reasons and "process:name" in reasons
    assert "'snort'" in reasons and "revoked" in reasons


def test_misp_event_takes_to_ids_attributes_with_their_tlp() -> None:
    feed, _ = parse_feed_file(FEEDS / "misp_event.json")
    found = {(i.type, i.value): i for i in feed.indicators}
    assert set(found) == {
        ("ipv4", "203.0.113.99"),
        ("domain", "phish.example"),
        ("ipv4", "198.51.100.77"),
        ("sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
        ("email", "billing@phish.example"),
        ("url", "https://phish.example/login"),
    }
    assert found[("ipv4", "203.0.113.99")].tlp == "green"
    assert found[("email", "billing@phish.example")].tlp == "amber"
    assert found[("ipv4", "203.0.113.99")].confidence == 85  # MISP threat level 1 (high)
    assert feed.skipped["to_ids is off (not meant for detection)"] == 2
    assert feed.skipped["MISP type 'regkey' is not matched in the stream"] == 1


def test_misp_feed_directory_reads_every_event_in_the_manifest() -> None:
    feed, _ = parse_feed_file(FEEDS / "misp_feed")
    assert {(i.type, i.value) for i in feed.indicators} == {
        ("ipv4", "203.0.113.150"),
        ("domain", "cnc.botnet.example"),
    }
    assert feed.skipped["event listed in manifest.json but its file is missing"] == 1


def test_csv_infers_missing_types_and_refuses_bad_rows_with_reasons() -> None:
    feed, _ = parse_feed_file(FEEDS / "indicators.csv")
    found = {(i.type, i.value): i for i in feed.indicators}
    assert set(found) == {
        ("ipv4", "203.0.113.5"),
        ("cidr", "10.66.0.0/16"),
        ("domain", "evil-update.example"),
        ("md5", "5d41402abc4b2a76b9719d911017c592"),
    }
    scanner = found[("ipv4", "203.0.113.5")]
    assert (scanner.confidence, scanner.tlp, str(scanner.valid_until)) == (
        80,
        "amber",
        "2036-06-30 00:00:00+00:00",
    )
    assert sum(feed.skipped.values()) == 2
    assert any("confidence '150'" in reason for reason in feed.skipped)


def test_plain_list_refangs_strips_comments_and_counts_lines_it_cannot_read() -> None:
    assert values(FEEDS / "blocklist.txt") == {
        ("ipv4", "203.0.113.200"),
        ("cidr", "198.51.100.0/25"),
        ("url", "http://malware.example/get.php?id=1"),
        ("domain", "bad-domain.example"),
        ("cidr", "2001:db8:dead::/48"),
    }
    feed, _ = parse_feed_file(FEEDS / "blocklist.txt")
    assert sum(feed.skipped.values()) == 1 and "line 8" in feed.examples[0]


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ('{"type": "bundle", "id": "bundle--x", "objects": []}', "", "stix"),
        ('{"Event": {"Attribute": []}}', "", "misp"),
        ("value,type\n1.2.3.4,ipv4\n", "", "csv"),
        ("1.2.3.4\n", "feed.csv", "csv"),
        ("1.2.3.4\nevil.example\n", "", "list"),
    ],
)
def test_the_format_is_recognised_from_the_content(text: str, name: str, expected: str) -> None:
    assert detect_format(text, name) == expected


def test_json_that_is_no_feed_is_refused_with_a_hint() -> None:
    with pytest.raises(ValidationError, match="neither a STIX bundle nor a MISP event"):
        parse_feed('{"hello": 1}')


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("203.0.113.1", "ipv4"),
        ("2001:db8::1", "ipv6"),
        ("203.0.113.0/24", "cidr"),
        ("Evil.Example", "domain"),
        ("hxxp://evil[.]example/x", "url"),
        ("D41D8CD98F00B204E9800998ECF8427E", "md5"),
        ("a" * 40, "sha1"),
        ("user@evil.example", "email"),
        ("not a thing", None),
    ],
)
def test_types_are_inferred_from_values(value: str, kind: str | None) -> None:
    assert infer_type(value) == kind


def test_values_are_normalised_so_feeds_and_events_meet() -> None:
    assert normalise("url", "HTTPS://Evil.Example:443/A?b=C#frag") == ("url", "https://evil.example/A?b=C")
    assert normalise("cidr", "203.0.113.7/32") == ("ipv4", "203.0.113.7")
    assert normalise("cidr", "203.0.113.7/24") == ("cidr", "203.0.113.0/24")
    assert normalise("ipv6", "2001:DB8:0::1") == ("ipv6", "2001:db8::1")
    assert normalise("domain", "Bücher.Example.") == ("domain", "xn--bcher-kva.example")
    with pytest.raises(ValueError, match="not a md5"):
        normalise("md5", "xyz")
    with pytest.raises(ValidationError, match="cannot tell"):
        check_indicator(None, "what is this")
