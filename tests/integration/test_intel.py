"""Threat-intel feeds on a real database (SQLite and PostgreSQL): import, re-import, expiry, lookup,
audit, and the stream matcher following the stored indicators into alerts."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.core.principal import system_principal
from ironwatch.detect.alerts import record_alerts
from ironwatch.detect.intel import jobs, service
from ironwatch.detect.intel import schemas as s
from ironwatch.detect.intel.importers import parse_feed_file
from ironwatch.detect.intel.lookup import lookup_value
from ironwatch.detect.intel.stream import stored_intel_matcher
from ironwatch.ingest.event import Event
from ironwatch.store.tables import AlertRow, AuditEntryRow, IndicatorSourceRow
from tests.integration.conftest import Run
from tests.support.api import client
from tests.support.people import token_for

FEEDS = Path(__file__).parents[1] / "fixtures" / "intel"
ANALYST = system_principal("test-analyst")
DETECTION = system_principal("detection")


def _import(runtime: Runtime, path: Path, source: str, expires: timedelta | None = None) -> s.ImportSummary:
    feed, data = parse_feed_file(path)
    with runtime.uow(ANALYST, write=True) as uow:
        summary = service.import_feed(
            uow, feed, options=s.ImportOptions(source=source, confidence=60), expires=expires, content=data
        )
        uow.commit()
    return summary


def _audit(runtime: Runtime, action: str) -> list[AuditEntryRow]:
    with runtime.uow(ANALYST) as uow:
        return list(uow.session.scalars(select(AuditEntryRow).where(AuditEntryRow.action == action)))


def test_reimporting_a_feed_updates_instead_of_duplicating_and_each_import_is_audited(
    runtime: Runtime, clock: FrozenClock
) -> None:
    first = _import(runtime, FEEDS / "bundle.stix.json", "stix-feed")
    clock.advance(timedelta(hours=1))
    again = _import(runtime, FEEDS / "bundle.stix.json", "stix-feed")
    assert (first.read, first.added, first.updated, first.skipped) == (10, 10, 0, 4)
    assert (again.added, again.updated) == (0, 10)
    with runtime.uow(ANALYST) as uow:
        assert len(service.list_indicators(uow, source="stix-feed", limit=1000)) == 10
        feed = uow.session.get(IndicatorSourceRow, "stix-feed")
        assert feed is not None and feed.revision == 2
    audited = _audit(runtime, "intel.import")
    assert len(audited) == 2 and audited[0].actor == "system:test-analyst"
    assert audited[0].changes["file_sha256"] == first.file_sha256 and audited[0].changes["added"] == 10


def test_lookup_finds_networks_and_parent_domains_and_expiry_stops_matching_until_reimport(
    runtime: Runtime,
) -> None:
    _import(runtime, FEEDS / "bundle.stix.json", "stix-feed")
    _import(runtime, FEEDS / "blocklist.txt", "blocklist")
    with runtime.uow(ANALYST) as uow:
        hit = lookup_value(uow, "198.51.100.9")
        sub = lookup_value(uow, "https://Deep.Sub.Evil.Example/x")
    assert {(m.value, m.source) for m in hit.matches} == {
        ("198.51.100.0/24", "stix-feed"),
        ("198.51.100.0/25", "blocklist"),
    }
    assert [m.value for m in sub.matches] == ["evil.example"]
    with runtime.uow(ANALYST, write=True) as uow:
        expired = service.expire_indicators(uow, source="blocklist")
        uow.commit()
    assert expired.expired == 5 and expired.sources == ["blocklist"]
    with runtime.uow(ANALYST) as uow:
        after = lookup_value(uow, "198.51.100.9")
        active = {m.source for m in after.matches if m.active}
    assert active == {"stix-feed"}
    assert _audit(runtime, "intel.expire")[0].changes["expired"] == 5
    revived = _import(runtime, FEEDS / "blocklist.txt", "blocklist")
    assert revived.revived == 5


def test_the_expiry_job_expires_indicators_past_their_end_and_is_silent_when_there_are_none(
    runtime: Runtime, clock: FrozenClock
) -> None:
    _import(runtime, FEEDS / "blocklist.txt", "short-lived", expires=timedelta(days=1))
    assert jobs.expire_tick(runtime) == 0
    clock.advance(timedelta(days=1, seconds=1))
    assert jobs.expire_tick(runtime) == 5
    assert jobs.expire_tick(runtime) == 0
    assert len(_audit(runtime, "intel.expire")) == 1


def _event(fields: dict[str, object], clock: FrozenClock, ident: str) -> Event:
    now = clock.now()
    return Event(id=ident, timestamp=now, received_at=now, dataset="zeek.dns", fields=fields, original="")


def test_the_stream_matcher_follows_imports_and_expiries_and_its_matches_become_intel_alerts(
    runtime: Runtime, clock: FrozenClock
) -> None:
    matcher = stored_intel_matcher(lambda: runtime.uow(DETECTION), refresh_seconds=0)
    query: dict[str, object] = {
        "dns.question.name": "www.evil.example",
        "source.ip": "10.1.2.3",
        "host.name": "dns1",
    }
    assert matcher.observe(_event(query, clock, "e0"), ()) == []
    _import(runtime, FEEDS / "bundle.stix.json", "stix-feed")
    matcher.tick(clock.now())
    matches = matcher.observe(_event(query, clock, "e1"), ())
    assert [m.details["indicator"] for m in matches] == ["evil.example"]
    with runtime.uow(DETECTION, write=True) as uow:
        record_alerts(uow, matches)
        uow.commit()
    with runtime.uow(ANALYST) as uow:
        alert = uow.session.scalars(select(AlertRow)).one()
    assert (alert.kind, alert.rule_id, alert.level, alert.event_ids) == (
        "intel",
        "intel:domain",
        "medium",
        ["e1"],
    )
    assert alert.details["source"] == "stix-feed" and alert.details["matched_field"] == "dns.question.name"
    with runtime.uow(ANALYST, write=True) as uow:
        service.expire_indicators(uow, source="stix-feed")
        uow.commit()
    matcher.tick(clock.now())
    assert matcher.observe(_event(query, clock, "e2"), ()) == []


def test_intel_from_the_command_line(cli: Run) -> None:
    imported = json.loads(
        cli("intel", "import", str(FEEDS / "indicators.csv"), "--source", "isac", "--json").stdout
    )
    assert (imported["added"], imported["skipped"], imported["format"]) == (4, 2, "csv")
    plain = cli("intel", "import", str(FEEDS / "misp_feed"), "--source", "misp-osint", "--expires", "30d")
    assert "2 added" in plain.stdout and "missing" in plain.stdout
    listed = json.loads(cli("intel", "list", "--type", "domain", "--json").stdout)
    assert {row["value"] for row in listed} == {"evil-update.example", "cnc.botnet.example"}
    assert all(row["valid_until"] for row in listed if row["source"] == "misp-osint")
    found = cli("intel", "match", "10.66.1.1")
    assert "10.66.0.0/16" in found.stdout and "isac" in found.stdout
    cli("intel", "match", "192.0.2.55", expect=1)
    assert "2 indicators expired (misp-osint)" in cli("intel", "expire", "--source", "misp-osint").stdout
    cli("intel", "match", "cnc.botnet.example", expect=1)
    sources = json.loads(cli("intel", "sources", "--json").stdout)
    assert {(x["name"], x["active"], x["total"]) for x in sources} == {("isac", 4, 4), ("misp-osint", 0, 2)}
    refused = cli("intel", "expire", expect=2)
    assert "say which indicators" in refused.stderr


def test_intel_over_the_api(runtime: Runtime) -> None:
    writer = client(runtime, token_for(runtime, "ana", "analyst"))
    text = (FEEDS / "blocklist.txt").read_bytes()
    form = writer.post(
        "/api/v1/intel/import",
        data={"source": "blocklist", "confidence": "90", "expires": "7d"},
        files={"file": ("blocklist.txt", text, "text/plain")},
    )
    assert form.status_code == 200, form.text
    assert form.json()["added"] == 5
    body = {"source": "inline", "content": "evil.example\n", "tlp": "red"}
    assert writer.post("/api/v1/intel/import", json=body).json()["added"] == 1
    bad = writer.post("/api/v1/intel/import", json={"source": "x", "content": "{}", "format": "stix"})
    assert bad.status_code == 422 and "hint" in bad.json()
    hit = writer.get("/api/v1/intel/lookup", params={"value": "hxxp://malware[.]example/get.php?id=1"}).json()
    assert [m["confidence"] for m in hit["matches"]] == [90]
    listed = writer.get("/api/v1/intel", params={"source": "inline"}).json()
    assert [(i["value"], i["tlp"], i["active"]) for i in listed] == [("evil.example", "red", True)]
    assert writer.post("/api/v1/intel/expire", json={"source": "inline"}).json()["expired"] == 1
    # a date without a zone is UTC; every blocklist indicator was imported after it, so none is stale
    stale = writer.post("/api/v1/intel/expire", json={"source": "blocklist", "before": "2026-01-01"})
    assert stale.status_code == 200 and stale.json()["expired"] == 0
    reader = client(runtime, token_for(runtime, "resp", "responder"))
    assert reader.post("/api/v1/intel/expire", json={"all_past": True}).status_code == 403
