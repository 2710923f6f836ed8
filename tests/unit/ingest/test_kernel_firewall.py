from __future__ import annotations

from .conftest import events_of, failures_of, parse_fixture


def test_ufw_block_is_a_deny_with_endpoints() -> None:
    event = events_of(parse_fixture("ufw.log", "firewall.iptables"))[0]
    fields = event.fields
    assert event.dataset == "firewall.iptables"
    assert fields["event.action"] == "deny"
    assert (fields["source.ip"], fields["source.port"]) == ("198.51.100.7", 4444)
    assert (fields["destination.ip"], fields["destination.port"]) == ("10.0.0.2", 22)
    assert fields["network.transport"] == "tcp"
    assert fields["observer.ingress.interface.name"] == "eth0"
    assert "observer.egress.interface.name" not in fields
    assert fields["network.bytes"] == 60
    assert fields["rule.name"] == "[UFW BLOCK]"
    assert fields["observer.vendor"] == "ufw"
    assert fields["SRC"] == "198.51.100.7"
    assert "SYN" in fields["FLAGS"]  # type: ignore[operator]


def test_actions_come_from_the_log_prefix() -> None:
    actions = [
        event.fields.get("event.action") for event in events_of(parse_fixture("ufw.log", "firewall.iptables"))
    ]
    assert actions == ["deny", "allow", "deny", "allow", None, "deny"]


def test_icmp_and_nftables_prefixes() -> None:
    events = events_of(parse_fixture("ufw.log", "firewall.iptables"))
    assert events[2].fields["network.transport"] == "icmp"
    assert events[2].fields["rule.name"] == "IPTABLES-DROP"
    assert events[3].fields["observer.vendor"] == "netfilter"
    assert events[3].fields["destination.port"] == 53


def test_other_kernel_lines_stay_syslog_and_bare_lines_parse() -> None:
    results = parse_fixture("ufw.log", "firewall.iptables")
    events = events_of(results)
    assert events[4].dataset == "syslog"
    assert events[5].dataset == "firewall.iptables"
    assert events[5].timestamp is None
    assert not failures_of(results)
