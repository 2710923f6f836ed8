"""ironwatch's rule pack on real log lines: each attack raises its alert, benign traffic stays quiet.

The lines in tests/fixtures/logs/pack go through the real parsers, the Sigma engine, the
correlator and the beacon detector, as the detection sink runs them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.core.principal import system_principal
from ironwatch.detect.alerts import record_alerts
from ironwatch.detect.beacon import RULE_ID as BEACON
from ironwatch.detect.beacon import BeaconDetector
from ironwatch.detect.correlation import Correlator
from ironwatch.detect.rule_pack import PACK_DIR
from ironwatch.detect.sigma import Engine, Match, RuleSet, load_rules
from ironwatch.ingest.event import Event
from ironwatch.ingest.parsers import read_log_file

LOGS = Path(__file__).parents[1] / "fixtures" / "logs"
PACK_LOGS = LOGS / "pack"
RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pack() -> RuleSet:
    return load_rules(paths=[PACK_DIR])


@dataclass
class Detection:
    """What the sink would record for a file, and the names of the rules behind it."""

    alerts: list[Match]
    names: dict[str, str] = field(default_factory=dict)

    def fired(self) -> Counter[str]:
        return Counter(self.names.get(alert.rule_id, alert.rule_id) for alert in self.alerts)

    def by(self, name: str) -> list[Match]:
        return [alert for alert in self.alerts if self.names.get(alert.rule_id) == name]

    def about(self, value: str) -> list[Match]:
        return [alert for alert in self.alerts if value in alert.entities.values()]


def events_of(path: Path) -> list[Event]:
    parsed = list(read_log_file(path, clock=FrozenClock(RECEIVED), deterministic_ids=True))
    events = [item for item in parsed if isinstance(item, Event)]
    assert len(events) == len(parsed), "every fixture line parses"
    return events


def detect(pack: RuleSet, *paths: Path) -> Detection:
    engine, correlator, beacon = Engine(pack), Correlator.from_ruleset(pack), BeaconDetector()
    alerts: list[Match] = []
    for path in paths:
        for event in events_of(path):
            sigma = engine.evaluate(event.fields)
            alerts += correlator.alertable(sigma)
            alerts += correlator.observe(event, sigma)
            alerts += beacon.observe(event, sigma)
    later = RECEIVED + timedelta(days=1)
    alerts += correlator.tick(later) + beacon.tick(later)
    names = {rule.id: rule.name or rule.id for rule in pack.rules}
    names.update({spec.id: spec.name or spec.id for spec in pack.correlations})
    names[BEACON] = "beacon"
    return Detection(alerts, names)


def test_the_pack_loads_cleanly_and_every_rule_is_documented(pack: RuleSet) -> None:
    assert not pack.report.failed, [str(failure) for failure in pack.report.failed]
    assert not pack.report.notes
    assert not Correlator.from_ruleset(pack).failures
    docs = (Path(__file__).parents[2] / "docs" / "detection.md").read_text(encoding="utf-8")
    identities = [(r.id, r.title, r.tags) for r in pack.rules]
    identities += [(c.id, c.title, c.tags) for c in pack.correlations]
    for rule_id, title, tags in identities:
        assert rule_id in docs, f"{title} is missing from docs/detection.md"
        assert any(tag.startswith("attack.t") for tag in tags), f"{title} has no ATT&CK technique"


def test_ssh_brute_force_then_success_and_spraying(pack: RuleSet) -> None:
    found = detect(pack, PACK_LOGS / "ssh_auth.log")
    assert found.fired() == Counter(
        {
            "ironwatch_ssh_brute_force": 1,
            "ironwatch_ssh_brute_force_success": 1,
            "ironwatch_password_spraying": 1,
        }
    )
    (brute,) = found.by("ironwatch_ssh_brute_force")
    assert brute.level == "medium" and brute.entities == {"source_address": "203.0.113.50"}
    assert brute.count == 10 and brute.details["condition"] == "gte 10"
    (success,) = found.by("ironwatch_ssh_brute_force_success")
    assert success.level == "high" and success.entities == {"source_address": "203.0.113.50"}
    (spray,) = found.by("ironwatch_password_spraying")
    assert spray.entities == {"source_address": "198.51.100.31"} and len(spray.details["values"]) == 6  # type: ignore[arg-type]


def test_a_user_who_mistyped_three_times_raises_nothing(pack: RuleSet) -> None:
    assert detect(pack, PACK_LOGS / "ssh_auth.log").about("192.0.2.10") == []


def test_rdp_brute_force_new_admin_log_clearing_and_defender(pack: RuleSet) -> None:
    found = detect(pack, PACK_LOGS / "windows_security.json")
    assert found.fired() == Counter(
        {
            "ironwatch_rdp_brute_force": 1,
            "ironwatch_rdp_brute_force_success": 1,
            "ironwatch_windows_user_created": 2,
            "ironwatch_windows_added_to_admin_group": 1,
            "ironwatch_windows_new_admin_account": 1,
            "ironwatch_windows_log_cleared": 2,
            "ironwatch_defender_malware_detected": 1,
        }
    )
    (success,) = found.by("ironwatch_rdp_brute_force_success")
    assert success.level == "high" and success.entities == {"source_address": "198.51.100.23"}
    (admin,) = found.by("ironwatch_windows_new_admin_account")
    assert admin.level == "high"
    assert admin.details["group"] == {"host.name": "dc01.corp.example", "account_sid": "S-1-5-21-1-2-3-1337"}
    assert found.about("10.1.2.3") == [], "two mistyped SMB logons then a success are not an attack"


def test_web_login_brute_force_and_ids_alerts(pack: RuleSet) -> None:
    found = detect(pack, PACK_LOGS / "suricata_eve.json", PACK_LOGS / "notice.log")
    assert found.fired() == Counter(
        {
            "ironwatch_web_login_brute_force": 1,
            "ironwatch_suricata_high_severity": 1,
            "ironwatch_zeek_notice": 1,
        }
    )
    (web,) = found.by("ironwatch_web_login_brute_force")
    assert web.entities == {"source_address": "203.0.113.77"} and web.count == 20
    (ids,) = found.by("ironwatch_suricata_high_severity")
    assert ids.level == "high" and ids.fields["alert.severity"] == 1
    assert found.about("192.0.2.44") == []


def test_port_scan_and_host_sweep_from_firewall_drops(pack: RuleSet) -> None:
    found = detect(pack, PACK_LOGS / "firewall.log")
    assert found.fired() == Counter({"ironwatch_port_scan": 1, "ironwatch_host_sweep": 1})
    (scan,) = found.by("ironwatch_port_scan")
    assert (
        scan.entities == {"source_address": "198.51.100.99"} and scan.details["field"] == "destination.port"
    )
    (sweep,) = found.by("ironwatch_host_sweep")
    assert sweep.entities == {"source_address": "10.0.0.66"}
    assert found.about("192.0.2.50") == [], "repeated drops to two ports are not a scan"


def test_beaconing_is_found_and_irregular_browsing_is_not(pack: RuleSet) -> None:
    found = detect(pack, PACK_LOGS / "beacon_firewall.log")
    (beacon,) = found.alerts
    assert beacon.rule_id == BEACON
    assert beacon.entities["source_address"] == "10.0.0.12"
    assert beacon.entities["destination_address"] == "203.0.113.200"
    assert 58 <= float(str(beacon.details["median_interval_seconds"])) <= 62


def test_new_linux_admin_account_and_log_clearing(pack: RuleSet) -> None:
    found = detect(pack, PACK_LOGS / "linux_accounts.log")
    assert found.fired() == Counter(
        {
            "ironwatch_linux_user_created": 2,
            "ironwatch_linux_user_added_to_admin_group": 2,  # usermod logs group and gshadow
            "ironwatch_linux_new_admin_account": 1,
            "ironwatch_linux_log_cleared": 2,
        }
    )
    (admin,) = found.by("ironwatch_linux_new_admin_account")
    assert admin.level == "high" and admin.details["group"] == {"host.name": "web01", "user.name": "sysupd"}
    assert {alert.fields["process.command_line"] for alert in found.by("ironwatch_linux_log_cleared")} == {
        "/usr/bin/journalctl --vacuum-time=1s",
        "/usr/bin/rm -f /var/log/auth.log.1",
    }


def test_malware_found_by_clamav_and_a_generic_antivirus(pack: RuleSet) -> None:
    found = detect(pack, LOGS / "clamav.log", LOGS / "antivirus_generic.log")
    assert found.fired() == Counter({"ironwatch_antivirus_malware_detected": 5})  # 4 FOUND, 1 generic
    assert all(alert.level == "high" for alert in found.alerts)


def test_replaying_a_log_raises_no_new_alert(pack: RuleSet, runtime: Runtime) -> None:
    detection = system_principal("detection")
    for attempt in range(2):
        alerts = detect(pack, PACK_LOGS / "ssh_auth.log").alerts
        with runtime.uow(detection, write=True) as uow:
            recorded = record_alerts(uow, alerts)
            uow.commit()
        assert [r.new for r in recorded] == [attempt == 0] * len(alerts)
