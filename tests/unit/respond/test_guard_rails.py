"""Guard rails and connector inputs: what may be touched, and what may reach a command line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ironwatch.core.errors import ValidationError
from ironwatch.plan.loader import parse_plan
from ironwatch.plan.models import Plan
from ironwatch.plan.starter import init_plan_text
from ironwatch.respond import guards
from ironwatch.respond.connectors.base import ActionContext, ActionFailed, Target
from ironwatch.respond.connectors.command import RunCommand
from ironwatch.respond.connectors.evidence import ImageProfile
from ironwatch.respond.connectors.nftables import BlockAddress, IsolateHost
from ironwatch.respond.connectors.nmap import NmapScan, parse_nmap_xml
from ironwatch.respond.connectors.process import KillProcess
from ironwatch.respond.connectors.registry import AnyConnector


def _plan(**actions: object) -> Plan:
    data = yaml.safe_load(init_plan_text("Test"))
    data["settings"]["actions"].update(actions)
    return parse_plan(yaml.safe_dump(data))


def test_critical_assets_management_addresses_and_protected_accounts_are_denied() -> None:
    plan = _plan(management_addresses=["198.51.100.0/28"], deny_targets=["203.0.113.50"])
    for target, reason in [
        (Target("hostname", "mail.example.org"), "critical asset 'mail'"),
        (Target("address", "198.51.100.3"), "management address"),
        (Target("address", "198.51.100.0/24"), "management address"),  # a wider block would cover it
        (Target("address", "203.0.113.50"), "deny list"),
        (Target("account", "Root"), "protected account"),
    ]:
        with pytest.raises(ValidationError, match=reason):
            guards.check_targets(plan, "block_address", [target])
    guards.check_targets(plan, "block_address", [Target("address", "203.0.113.51")])


def test_an_allow_list_bounds_what_may_be_touched() -> None:
    plan = _plan(allow_targets=["203.0.113.0/24"])
    guards.check_targets(plan, "block_address", [Target("address", "203.0.113.9")])
    with pytest.raises(ValidationError, match="not on the allow list"):
        guards.check_targets(plan, "block_address", [Target("address", "192.0.2.99")])


def test_actions_act_for_real_only_when_the_plan_and_the_connector_say_so() -> None:
    assert not guards.acts_for_real(_plan(), "block_address")
    data = yaml.safe_load(init_plan_text("Test"))
    data["settings"]["actions_enabled"] = True
    data["settings"]["actions"]["connectors"] = {"block_address": {"enabled": True}}
    plan = parse_plan(yaml.safe_dump(data))
    assert guards.acts_for_real(plan, "block_address")
    assert not guards.acts_for_real(plan, "isolate_host")
    assert guards.needs_approval(plan, destructive=True, dry_run=False)
    assert not guards.needs_approval(plan, destructive=True, dry_run=True)
    assert not guards.needs_approval(plan, destructive=False, dry_run=False)


@pytest.mark.parametrize(
    ("connector", "inputs"),
    [
        (BlockAddress, {"address": "-rf"}),
        (BlockAddress, {"address": "10.0.0.1; flush ruleset"}),
        (NmapScan, {"target": "--script=evil"}),
        (NmapScan, {"target": "127.0.0.1", "ports": "80 -oN /tmp/x"}),
        (KillProcess, {"pid": 1}),
        (KillProcess, {"name": "-9"}),
        (RunCommand, {"command": "rotate", "args": ["--force"]}),
        (RunCommand, {"command": "rotate", "args": ["a;b"]}),
    ],
)
def test_inputs_that_could_become_options_or_commands_are_refused(
    connector: type[AnyConnector], inputs: dict[str, object]
) -> None:
    with pytest.raises(ValidationError):
        connector.parse_inputs(inputs)


def test_image_placeholders_must_be_whole_arguments() -> None:
    with pytest.raises(ValueError, match="whole arguments"):
        ImageProfile.model_validate({"argv": ["dd", "if={target}", "{output}"]})


def test_a_quarantine_without_management_addresses_is_refused(tmp_path: Path) -> None:
    connector = IsolateHost({})
    context = ActionContext("a", "IR-2026-0001", "k", 5.0, tmp_path)
    with pytest.raises(ActionFailed, match="lock administrators out"):
        connector.dry_run(connector.parse_inputs({"host": "web01"}), context)
    managed = ActionContext("a", "IR-2026-0001", "k", 5.0, tmp_path, management_addresses=("10.0.0.0/8",))
    ruleset = connector.dry_run(connector.parse_inputs({"host": "web01"}), managed).details["ruleset"]
    assert "policy drop" in ruleset and "10.0.0.0/8" in ruleset


def test_nmap_xml_is_parsed_into_hosts_with_open_ports() -> None:
    xml = """<?xml version="1.0"?><nmaprun><host><status state="up"/>
      <address addr="192.0.2.5" addrtype="ipv4"/><hostnames><hostname name="web01.example.org"/></hostnames>
      <ports><port protocol="tcp" portid="22"><state state="open"/><service name="ssh"/></port>
      <port protocol="tcp" portid="23"><state state="closed"/></port></ports></host>
      <host><status state="down"/><address addr="192.0.2.6" addrtype="ipv4"/></host></nmaprun>"""
    [host] = parse_nmap_xml(xml)
    assert host.addresses == [("ipv4", "192.0.2.5")] and host.hostnames == ["web01.example.org"]
    assert host.ports == [{"protocol": "tcp", "port": "22", "service": "ssh", "product": ""}]


def test_nmap_xml_with_entities_is_refused() -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><nmaprun>&a;</nmaprun>'
    with pytest.raises(ActionFailed, match="cannot be read"):
        parse_nmap_xml(bomb)
