"""Hand-written Sigma rule text for the detection unit tests."""

from __future__ import annotations

SYSMON = "Microsoft-Windows-Sysmon/Operational"
PROCESS = {"Channel": SYSMON, "EventID": 1, "event.dataset": "windows.evtx"}

RULE_HEAD = """title: {title}
id: {rule_id}
status: test
level: high
tags: [attack.execution, attack.t1059.001]
logsource:
    product: windows
    category: process_creation
detection:
"""


def rule_yaml(
    detection: str, *, title: str = "Test rule", rule_id: str = "00000000-0000-0000-0000-000000000001"
) -> str:
    """A whole rule around an indented ``detection:`` body."""
    body = "\n".join("    " + line if line.strip() else line for line in detection.strip("\n").splitlines())
    return RULE_HEAD.format(title=title, rule_id=rule_id) + body + "\n"
