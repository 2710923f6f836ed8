"""Readiness of the communication section: would the right people actually be told during a P1?

Listed as gaps of the ``communication`` check (not weighed in the score):

- communication is disabled, so nobody is notified automatically;
- no enabled rule tells any audience when an incident of the most urgent priority (the first one of
  ``priority.priorities``) is created;
- an e-mail audience reaches nobody (no roles, on-call roles, people, stakeholders or addresses);
- a channel that a rule uses needs a secret that cannot be read where notifications are sent (only
  when a ``secret_problem`` callback is given: the plan service checks the server's own environment).
"""

from __future__ import annotations

from collections.abc import Callable

from ironwatch.plan.communication import Trigger
from ironwatch.plan.gaps import Gap, GapSeverity
from ironwatch.plan.models import Plan

SecretCheck = Callable[[str], str | None]
"""Given a secret's name: None when it can be read, else why not (without the value, of course)."""

CHECK = "communication"


def communication_gaps(plan: Plan, *, secret_problem: SecretCheck | None = None) -> list[Gap]:
    """The communication section's gaps; see the module docstring."""
    comms = plan.communication
    if not comms.enabled:
        return [
            Gap(
                CHECK,
                GapSeverity.MEDIUM,
                "communication is disabled: nobody is notified automatically of an incident",
                "configure channels, audiences and rules under communication and set enabled: true "
                "(docs/notifications.md); test a channel with `ironwatch notify test CHANNEL`",
                "communication.enabled",
            )
        ]
    gaps: list[Gap] = []
    most_urgent = plan.priority.priorities[0].id
    announces = [
        r
        for r in comms.rules
        if Trigger.CREATED in r.when and (not r.priorities or most_urgent in r.priorities)
    ]
    if not announces:
        gaps.append(
            Gap(
                CHECK,
                GapSeverity.HIGH,
                f"no audience is told when a {most_urgent} incident is created",
                f"add a rule with when: [created] and priorities: [{most_urgent}] (or none) naming the "
                "on-call and management audiences",
                "communication.rules",
            )
        )
    for i, audience in enumerate(comms.audiences):
        channel = comms.channel(audience.channel)
        if channel is None or channel.kind != "email":
            continue  # a webhook or chat channel is itself the recipient
        if not (
            audience.roles
            or audience.on_call
            or audience.people
            or audience.stakeholders
            or audience.addresses
        ):
            gaps.append(
                Gap(
                    CHECK,
                    GapSeverity.MEDIUM,
                    f"audience {audience.id!r} reaches nobody",
                    "name roles, on_call roles, people, stakeholders or addresses for it",
                    f"communication.audiences[{i}]",
                )
            )
    if secret_problem is not None:
        gaps += _secret_gaps(plan, secret_problem)
    return gaps


def _secret_gaps(plan: Plan, secret_problem: SecretCheck) -> list[Gap]:
    comms = plan.communication
    gaps: list[Gap] = []
    for i, channel in enumerate(comms.channels):
        if channel.secret is None:
            continue
        rules = [
            rule.id
            for rule in comms.rules
            if any(
                (a := comms.audience(aid)) is not None and a.channel == channel.id for aid in rule.audiences
            )
        ]
        if not rules:
            continue
        problem = secret_problem(channel.secret)
        if problem is None:
            continue
        gaps.append(
            Gap(
                CHECK,
                GapSeverity.CRITICAL,
                f"{'rule' if len(rules) == 1 else 'rules'} {', '.join(map(repr, rules))} "
                f"{'sends' if len(rules) == 1 else 'send'} over channel {channel.id!r}, but {problem}",
                f"set IRONWATCH_SECRET_{channel.secret} in the environment of ironwatch serve, or a line "
                f"'{channel.secret}=...' in the file named by IRONWATCH_SECRETS_FILE (mode 0600)",
                f"communication.channels[{i}]",
            )
        )
    return gaps
