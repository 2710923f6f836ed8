"""The one permission table: roles, what each may do, and why.

docs/security.md renders this table; the API declares one of these permissions on every
route, and a table-driven test walks every route for every role against it.
"""

from __future__ import annotations

from enum import StrEnum

from ironwatch.core.errors import ValidationError


class Role(StrEnum):
    ADMIN = "admin"
    INCIDENT_MANAGER = "incident_manager"
    ANALYST = "analyst"
    RESPONDER = "responder"
    REPORTER = "reporter"
    AUDITOR = "auditor"
    SENSOR = "sensor"


class Permission(StrEnum):
    INCIDENT_READ = "incident:read"
    INCIDENT_READ_RESTRICTED = "incident:read_restricted"
    INCIDENT_CREATE = "incident:create"
    INCIDENT_UPDATE = "incident:update"
    INCIDENT_TRANSITION = "incident:transition"
    INCIDENT_RESTRICT = "incident:restrict"
    INCIDENT_COMMENT = "incident:comment"
    INCIDENT_TASK = "incident:task"
    INCIDENT_EXPORT = "incident:export"
    REPORT_SUBMIT = "report:submit"
    REPORT_READ_OWN = "report:read_own"
    AUDIT_READ = "audit:read"
    USER_ADMIN = "user:admin"
    TOKEN_OWN = "token:own"  # noqa: S105 (a permission name)
    PLAN_READ = "plan:read"
    PLAN_WRITE = "plan:write"
    EVENTS_INGEST = "events:ingest"
    EVENTS_READ = "events:read"
    ALERTS_READ = "alerts:read"
    ALERTS_TRIAGE = "alerts:triage"
    RULES_READ = "rules:read"
    RULES_WRITE = "rules:write"
    INTEL_READ = "intel:read"
    INTEL_WRITE = "intel:write"
    PLAYBOOK_RUN = "playbook:run"
    ACTION_REQUEST = "action:request"
    ACTION_APPROVE = "action:approve"
    EVIDENCE_READ = "evidence:read"
    EVIDENCE_WRITE = "evidence:write"
    NOTIFY_SEND = "notify:send"
    NOTIFICATION_ACK = "notification:ack"
    OBLIGATIONS_READ = "obligations:read"
    OBLIGATIONS_MANAGE = "obligations:manage"
    REVIEW_WRITE = "review:write"
    METRICS_READ = "metrics:read"
    SYSTEM_STATUS = "system:status"

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]


_DESCRIPTIONS: dict[Permission, str] = {
    Permission.INCIDENT_READ: "read incidents",
    Permission.INCIDENT_READ_RESTRICTED: "read restricted incidents they are not named on",
    Permission.INCIDENT_CREATE: "open incidents",
    Permission.INCIDENT_UPDATE: "change incidents",
    Permission.INCIDENT_TRANSITION: "move incidents through the lifecycle",
    Permission.INCIDENT_RESTRICT: "restrict incidents and name their members",
    Permission.INCIDENT_COMMENT: "comment on incidents",
    Permission.INCIDENT_TASK: "add and update incident tasks and observables",
    Permission.INCIDENT_EXPORT: "export incidents",
    Permission.REPORT_SUBMIT: "report suspected incidents",
    Permission.REPORT_READ_OWN: "look up their own reports",
    Permission.AUDIT_READ: "read the audit trail",
    Permission.USER_ADMIN: "manage users and their tokens",
    Permission.TOKEN_OWN: "manage their own API tokens",
    Permission.PLAN_READ: "read the incident response plan",
    Permission.PLAN_WRITE: "change the incident response plan",
    Permission.EVENTS_INGEST: "send events",
    Permission.EVENTS_READ: "search events",
    Permission.ALERTS_READ: "read alerts",
    Permission.ALERTS_TRIAGE: "triage alerts",
    Permission.RULES_READ: "read detection rules",
    Permission.RULES_WRITE: "change detection rules",
    Permission.INTEL_READ: "read threat-intelligence indicators",
    Permission.INTEL_WRITE: "import and expire threat-intelligence feeds",
    Permission.PLAYBOOK_RUN: "start a playbook on an incident",
    Permission.ACTION_REQUEST: "request automated response actions (block, isolate, scan...)",
    Permission.ACTION_APPROVE: "approve another person's destructive action (two-person rule)",
    Permission.EVIDENCE_READ: "read evidence and its chain of custody",
    Permission.EVIDENCE_WRITE: "add, handle and export evidence",
    Permission.NOTIFY_SEND: "send notifications and test channels",
    Permission.NOTIFICATION_ACK: "acknowledge notifications",
    Permission.OBLIGATIONS_READ: "read legal and contractual notification obligations",
    Permission.OBLIGATIONS_MANAGE: "record breach facts and close notification obligations",
    Permission.REVIEW_WRITE: "write post-incident reviews and their action items",
    Permission.METRICS_READ: "read metrics and reports",
    Permission.SYSTEM_STATUS: "read system status",
}

P = Permission
_READ_ALL = frozenset(
    {
        P.INCIDENT_READ,
        P.INCIDENT_EXPORT,
        P.PLAN_READ,
        P.EVENTS_READ,
        P.ALERTS_READ,
        P.RULES_READ,
        P.METRICS_READ,
        P.SYSTEM_STATUS,
        P.TOKEN_OWN,
        P.INTEL_READ,
        P.EVIDENCE_READ,
        P.OBLIGATIONS_READ,
    }
)
_WORK_INCIDENTS = frozenset(
    {P.INCIDENT_CREATE, P.INCIDENT_UPDATE, P.INCIDENT_TRANSITION, P.INCIDENT_COMMENT, P.INCIDENT_TASK}
)
# respond on an incident: run its playbook, request actions, handle evidence, acknowledge messages
_RESPOND = frozenset({P.PLAYBOOK_RUN, P.ACTION_REQUEST, P.EVIDENCE_WRITE, P.NOTIFICATION_ACK})

# report:read_own goes with incident:read: whoever reads incidents may also follow the reports
# they filed themselves through the reporters' view (one permission per route, no "either of")
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # runs the installation: users, plan, rules, everything; but need-to-know still applies, so
    # a restricted incident is hidden unless the admin is named on it (adding oneself is audited)
    Role.ADMIN: frozenset(Permission) - {P.INCIDENT_READ_RESTRICTED},
    # runs incidents: everything about them, sees restricted ones, changes the plan; no user admin
    Role.INCIDENT_MANAGER: _READ_ALL
    | _WORK_INCIDENTS
    | {
        P.INCIDENT_READ_RESTRICTED,
        P.INCIDENT_RESTRICT,
        P.AUDIT_READ,
        P.PLAN_WRITE,
        P.ALERTS_TRIAGE,
        P.RULES_WRITE,
        P.INTEL_WRITE,
        P.ACTION_APPROVE,
        P.NOTIFY_SEND,
        P.OBLIGATIONS_MANAGE,
        P.REVIEW_WRITE,
    }
    | _RESPOND
    | {P.REPORT_SUBMIT, P.REPORT_READ_OWN, P.EVENTS_INGEST},
    # investigates: triage, incidents, rules; not the plan, not the audit trail
    Role.ANALYST: _READ_ALL
    | _WORK_INCIDENTS
    | _RESPOND
    | {P.ALERTS_TRIAGE, P.RULES_WRITE, P.INTEL_WRITE, P.REVIEW_WRITE, P.REPORT_SUBMIT, P.REPORT_READ_OWN},
    # acts on incidents it works on: tasks, comments, lifecycle; cannot open or triage
    Role.RESPONDER: frozenset(
        {
            P.INCIDENT_READ,
            P.INCIDENT_TRANSITION,
            P.INCIDENT_COMMENT,
            P.INCIDENT_TASK,
            P.PLAN_READ,
            P.TOKEN_OWN,
        }
    )
    | _RESPOND
    | {P.REPORT_SUBMIT, P.REPORT_READ_OWN, P.EVENTS_READ, P.ALERTS_READ, P.EVIDENCE_READ},
    # any member of staff: reports suspected incidents and sees only their own reports
    Role.REPORTER: frozenset({P.REPORT_SUBMIT, P.REPORT_READ_OWN, P.TOKEN_OWN}),
    # read-only, including the audit trail; restricted incidents only where named on them
    Role.AUDITOR: _READ_ALL | {P.AUDIT_READ, P.REPORT_READ_OWN},
    # machines that send logs
    Role.SENSOR: frozenset({P.EVENTS_INGEST}),
}


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError as exc:
        raise ValidationError(
            f"unknown role {value!r}", hint=f"use one of: {', '.join(r.value for r in Role)}"
        ) from exc


def parse_permission(value: str) -> Permission:
    try:
        return Permission(value.strip().lower())
    except ValueError as exc:
        raise ValidationError(
            f"unknown permission {value!r}", hint=f"use one of: {', '.join(p.value for p in Permission)}"
        ) from exc


def permission_table_markdown() -> str:
    """The role x permission table as Markdown (docs/security.md embeds it; a test keeps it current)."""
    roles = list(Role)
    lines = [
        "| permission | what it allows | " + " | ".join(r.value for r in roles) + " |",
        "|---|---|" + "---|" * len(roles),
    ]
    for permission in Permission:
        marks = " | ".join("yes" if permission in ROLE_PERMISSIONS[r] else "" for r in roles)
        lines.append(f"| `{permission.value}` | {permission.description} | {marks} |")
    return "\n".join(lines)
