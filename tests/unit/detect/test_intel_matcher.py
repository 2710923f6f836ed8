"""Matching events against indicators in the stream: addresses in networks, domains by suffix,
URLs, hashes and mailboxes, only while the indicator is valid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from ironwatch.detect.intel import IndicatorIndex, IndicatorRecord, IntelMatcher
from ironwatch.ingest.event import Event

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
_ids = count(1)


def record(kind: str, value: str, **extra: object) -> IndicatorRecord:
    fields: dict[str, object] = {
        "id": next(_ids),
        "type": kind,
        "value": value,
        "source": "test-feed",
        "confidence": 70,
        "tlp": "amber",
        "valid_from": None,
        "valid_until": None,
        "description": "",
        "external_id": None,
    }
    fields.update(extra)
    return IndicatorRecord(**fields)  # type: ignore[arg-type]


def event(fields: dict[str, object], when: datetime = NOW) -> Event:
    return Event(
        id=f"ev-{next(_ids)}", timestamp=when, received_at=when, dataset="t", fields=fields, original=""
    )


def matched(matcher: IntelMatcher, fields: dict[str, object], when: datetime = NOW) -> set[str]:
    return {str(m.details["indicator"]) for m in matcher.observe(event(fields, when), ())}


INDEX = IndicatorIndex(
    [
        record("ipv4", "203.0.113.66", confidence=90),
        record("cidr", "198.51.100.0/24"),
        record("cidr", "10.0.0.0/8"),
        record("cidr", "2001:db8:dead::/48"),
        record("domain", "evil.example"),
        record("url", "http://bad.example/payload.exe"),
        record("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        record("md5", "d41d8cd98f00b204e9800998ecf8427e"),
        record("email", "ceo@phish.example"),
    ]
)


def test_addresses_match_exactly_and_inside_networks_of_any_prefix() -> None:
    matcher = IntelMatcher(INDEX)
    assert matched(matcher, {"source.ip": "203.0.113.66"}) == {"203.0.113.66"}
    assert matched(matcher, {"destination.ip": "198.51.100.200"}) == {"198.51.100.0/24"}
    assert matched(matcher, {"id.resp_h": "10.20.30.40", "SRC": "198.51.100.1"}) == {
        "10.0.0.0/8",
        "198.51.100.0/24",
    }
    assert matched(matcher, {"source.ip": "2001:db8:dead:beef::1"}) == {"2001:db8:dead::/48"}
    assert matched(matcher, {"source.ip": "::ffff:203.0.113.66"}) == {"203.0.113.66"}
    assert matched(matcher, {"source.ip": "198.51.101.1", "destination.ip": "not-an-ip"}) == set()


def test_domains_match_their_subdomains_but_not_lookalikes() -> None:
    matcher = IntelMatcher(INDEX)
    assert matched(matcher, {"dns.question.name": "a.b.Evil.Example."}) == {"evil.example"}
    assert matched(matcher, {"tls.client.server_name": "evil.example"}) == {"evil.example"}
    assert matched(matcher, {"dns.question.name": "notevil.example"}) == set()


def test_urls_match_normalised_and_path_only_urls_take_the_event_host() -> None:
    matcher = IntelMatcher(INDEX)
    assert matched(matcher, {"url.full": "HTTP://Bad.Example:80/payload.exe#x"}) == {
        "http://bad.example/payload.exe"
    }
    assert matched(matcher, {"url.original": "/payload.exe", "url.domain": "bad.example"}) == {
        "http://bad.example/payload.exe"
    }
    # a URL on a listed domain matches the domain
    assert matched(matcher, {"url.full": "https://cdn.evil.example/x.js"}) == {"evil.example"}


def test_hashes_match_in_ecs_fields_and_in_sysmon_hash_lists_and_mailboxes_in_email_fields() -> None:
    matcher = IntelMatcher(INDEX)
    sha = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
    assert matched(matcher, {"file.hash.sha256": sha}) == {sha.lower()}
    assert matched(matcher, {"Hashes": "MD5=D41D8CD98F00B204E9800998ECF8427E,IMPHASH=00"}) == {
        "d41d8cd98f00b204e9800998ecf8427e"
    }
    assert matched(matcher, {"email.from.address": "CEO@phish.example"}) == {"ceo@phish.example"}


def test_a_match_is_an_intel_alert_naming_indicator_feed_and_field() -> None:
    matcher = IntelMatcher(INDEX)
    fields: dict[str, object] = {
        "source.ip": "192.0.2.4",
        "destination.ip": "203.0.113.66",
        "host.name": "fw1",
    }
    first = matcher.observe(event(fields), ())
    again = matcher.observe(event(fields, NOW + timedelta(minutes=5)), ())
    (found,) = first
    assert (found.kind, found.rule_id, found.level) == ("intel", "intel:ipv4", "high")
    assert "203.0.113.66" in found.title and "test-feed" in found.title
    assert found.details["matched_field"] == "destination.ip" and found.details["tlp"] == "amber"
    assert found.entities["destination_address"] == "203.0.113.66" and found.event_ids
    assert found.dedup_key == again[0].dedup_key, "the same sighting folds into one alert"


def test_an_indicator_matches_only_within_its_validity_at_the_event_time() -> None:
    window = IndicatorIndex(
        [record("ipv4", "192.0.2.9", valid_from=NOW - timedelta(days=1), valid_until=NOW + timedelta(days=1))]
    )
    matcher = IntelMatcher(window)
    assert matched(matcher, {"source.ip": "192.0.2.9"}) == {"192.0.2.9"}
    assert matched(matcher, {"source.ip": "192.0.2.9"}, NOW + timedelta(days=2)) == set()
    assert matched(matcher, {"source.ip": "192.0.2.9"}, NOW - timedelta(days=2)) == set()


def test_the_matcher_reloads_when_the_feed_version_changes() -> None:
    feeds = {"version": 1, "records": [record("ipv4", "192.0.2.1")]}
    matcher = IntelMatcher(
        version=lambda: feeds["version"],
        load=lambda: IndicatorIndex(feeds["records"]),  # type: ignore[arg-type]
        refresh_seconds=5,
    )
    assert matched(matcher, {"source.ip": "192.0.2.1"}) == {"192.0.2.1"}
    feeds["records"] = [record("ipv4", "192.0.2.2")]
    matcher.tick(NOW)
    assert matched(matcher, {"source.ip": "192.0.2.2"}) == set(), "same version: no reload"
    feeds["version"] = 2
    matcher.tick(NOW + timedelta(seconds=1))
    assert matched(matcher, {"source.ip": "192.0.2.2"}) == set(), "checked at most every 5 s"
    matcher.tick(NOW + timedelta(seconds=6))
    assert matched(matcher, {"source.ip": "192.0.2.2"}) == {"192.0.2.2"} and matcher.reloads == 2
