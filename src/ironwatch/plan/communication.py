"""The communication plan: channels, audiences and the rules saying who is told what, when.

Channels name their secrets by reference only (``secret: SMTP_PASSWORD``); the value comes from
the environment (``IRONWATCH_SECRET_SMTP_PASSWORD``) or the secrets file when a message is sent,
so the plan, which is stored, versioned and shown to plan readers, never holds a credential. A
plan that writes a password, token or key in clear is refused with a hint saying how to name it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

import jinja2
from pydantic import AfterValidator, Field, model_validator

from ironwatch.plan.fieldtypes import Duration, Email, Identifier, PlanModel
from ironwatch.plan.inconsistency import Inconsistency, duplicates, raise_if_any, unknown_reference

_SECRET_NAME = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")
#: keys that would hold a credential in clear; refused with a hint instead of "unknown key"
CLEAR_SECRET_KEYS = frozenset(
    {"password", "passwd", "pass", "token", "api_key", "apikey", "key", "secret_value", "auth", "credentials"}
)


def _check_secret_name(value: str) -> str:
    if not _SECRET_NAME.match(value):
        raise ValueError(
            "secret names a secret, it does not hold one: write an upper-case name such as SMTP_PASSWORD "
            "and set IRONWATCH_SECRET_SMTP_PASSWORD in the environment or the secrets file"
        )
    return value


SecretName = Annotated[str, AfterValidator(_check_secret_name)]
"""The name of a secret (``SMTP_PASSWORD``), never its value."""


def _refuse_clear_secrets(data: Any) -> Any:
    if isinstance(data, dict):
        found = sorted(k for k in data if isinstance(k, str) and k.lower() in CLEAR_SECRET_KEYS)
        if found:
            raise ValueError(
                f"{found[0]!r} would store a credential in the plan, which is kept and shown to its readers; "
                "write 'secret: NAME' instead and set IRONWATCH_SECRET_NAME in the environment or "
                "in the file IRONWATCH_SECRETS_FILE (mode 0600)"
            )
    return data


class _Channel(PlanModel):
    id: Identifier

    @model_validator(mode="before")
    @classmethod
    def _no_clear_secret(cls, data: Any) -> Any:
        return _refuse_clear_secrets(data)


class EmailChannel(_Channel):
    """Mail over SMTP: ``starttls`` (port 587), ``tls`` (implicit TLS, port 465) or ``none`` (local relay).

    With ``starttls`` or ``tls`` the server's certificate is always verified, against the system's
    CAs or, when set, only the CA certificates in ``ca_file`` (a private CA); there is deliberately
    no switch to turn verification off, and a server that does not offer STARTTLS is refused
    rather than spoken to in plain text.
    """

    kind: Literal["email"]
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    secret: SecretName | None = Field(default=None, description="name of the SMTP password secret")
    from_address: Email
    reply_to: Email | None = None
    timeout: Duration = timedelta(seconds=30)
    ca_file: str | None = Field(
        default=None,
        min_length=1,
        description="PEM file of the CA(s) to trust for the server's certificate instead of the system's",
    )

    @model_validator(mode="after")
    def _ca_file_needs_tls(self) -> Self:
        if self.ca_file is not None and self.security == "none":
            raise ValueError(
                "ca_file is only used to verify a TLS server; set security: starttls (or tls) or drop ca_file"
            )
        return self


class WebhookChannel(_Channel):
    """A JSON POST signed with HMAC-SHA256 (``X-Ironwatch-Signature``) under the key named by ``secret``."""

    kind: Literal["webhook"]
    url: str = Field(min_length=1)
    secret: SecretName = Field(description="name of the HMAC signing key secret")
    timeout: Duration = timedelta(seconds=10)

    @model_validator(mode="after")
    def _plain_https_url(self) -> Self:
        parts = urlsplit(self.url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"{self.url!r} is not an http(s) URL, e.g. https://hooks.example.org/ironwatch")
        if parts.username or parts.password:
            raise ValueError("the webhook URL carries credentials; put them in a secret, not in the plan")
        return self


class AppriseChannel(_Channel):
    """Chat and paging through apprise (Slack, Teams, Matrix, Mattermost, ntfy...).

    The apprise URLs carry the services' tokens, so they live in the secret, one per line.
    """

    kind: Literal["apprise"]
    secret: SecretName = Field(description="name of the secret holding the apprise URL(s)")


Channel = Annotated[EmailChannel | WebhookChannel | AppriseChannel, Field(discriminator="kind")]


class AudienceKind(StrEnum):
    """Who an audience is; the last three are outside the organisation."""

    RESPONDERS = "responders"
    ON_CALL = "on_call"
    MANAGEMENT = "management"
    LEGAL = "legal"
    COMMUNICATIONS = "communications"
    AFFECTED_USERS = "affected_users"
    PARTNERS = "partners"
    REGULATORS = "regulators"


EXTERNAL_KINDS = frozenset({AudienceKind.AFFECTED_USERS, AudienceKind.PARTNERS, AudienceKind.REGULATORS})
TLP = Literal["clear", "green", "amber", "amber+strict", "red"]


class Audience(PlanModel):
    """A group told the same thing over one channel, with what it may see (``clearance``)."""

    id: Identifier
    kind: AudienceKind
    channel: Identifier
    template: Identifier = Field(
        default="technical", description="technical, executive, external, or a template of this plan"
    )
    clearance: TLP = Field(default="amber", description="highest TLP marking whose content it may see")
    external: bool | None = Field(
        default=None,
        description="outside the organisation; default by kind (affected users, partners, regulators)",
    )
    roles: tuple[Identifier, ...] = Field(default=(), description="role ids: the role's holder")
    on_call: tuple[Identifier, ...] = Field(default=(), description="role ids: whoever is on call for it")
    people: tuple[Identifier, ...] = ()
    stakeholders: tuple[Identifier, ...] = Field(default=(), description="stakeholder ids: their contacts")
    addresses: tuple[Email, ...] = ()

    @property
    def is_external(self) -> bool:
        return self.external if self.external is not None else self.kind in EXTERNAL_KINDS


class Trigger(StrEnum):
    """What a rule reacts to; each maps to a domain event kind."""

    CREATED = "created"
    PRIORITY_CHANGED = "priority_changed"
    TRANSITIONED = "transitioned"
    SLA_BREACHED = "sla_breached"
    ESCALATED = "escalated"
    SPECIAL_HANDLING = "special_handling"
    OBLIGATION_OPENED = "obligation_opened"
    OBLIGATION_DUE_SOON = "obligation_due_soon"
    OBLIGATION_OVERDUE = "obligation_overdue"


class Rule(PlanModel):
    """When one of ``when`` happens (and the filters match), tell ``audiences``."""

    id: Identifier
    when: tuple[Trigger, ...] = Field(min_length=1, description="what triggers it")
    priorities: tuple[str, ...] = Field(default=(), description="only incidents of these priorities")
    states: tuple[str, ...] = Field(default=(), description="transitions: only into these states")
    audiences: tuple[Identifier, ...] = Field(min_length=1)
    acknowledge_within: Duration | None = Field(
        default=None, description="escalate to the team's next escalation level when not acknowledged"
    )


class MessageTemplate(PlanModel):
    """A template of the plan's own (Jinja2, sandboxed), used instead of or beside the shipped ones."""

    subject: str = Field(min_length=1)
    text: str = Field(min_length=1)
    html: str | None = None


class Delivery(PlanModel):
    """How hard the dispatcher tries: attempts, then doubling waits from ``backoff`` (at most 1 h)."""

    max_attempts: int = Field(default=5, ge=1, le=50)
    backoff: Duration = timedelta(seconds=30)


class Communication(PlanModel):
    """Channels, audiences, rules and templates; off until ``enabled`` (the safe default)."""

    enabled: bool = Field(default=False, description="send notifications (set once the channels are yours)")
    channels: tuple[Channel, ...] = ()
    audiences: tuple[Audience, ...] = ()
    rules: tuple[Rule, ...] = ()
    templates: dict[Identifier, MessageTemplate] = Field(default_factory=dict)
    delivery: Delivery = Delivery()
    escalation_channel: Identifier | None = Field(
        default=None,
        description="channel that calls the team's escalation levels; default: the first e-mail one",
    )

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        found = duplicates(self.channels, lambda c: c.id, at=("channels",), what="channel id")
        found += duplicates(self.audiences, lambda a: a.id, at=("audiences",), what="audience id")
        found += duplicates(self.rules, lambda r: r.id, at=("rules",), what="rule id")
        channels = {c.id for c in self.channels}
        audiences = {a.id for a in self.audiences}
        templates = {"technical", "executive", "external", *self.templates}
        for i, audience in enumerate(self.audiences):
            if audience.channel not in channels:
                found.append(
                    unknown_reference(("audiences", i, "channel"), audience.channel, "channel", channels)
                )
            if audience.template not in templates:
                found.append(
                    unknown_reference(("audiences", i, "template"), audience.template, "template", templates)
                )
        for i, rule in enumerate(self.rules):
            for j, audience_id in enumerate(rule.audiences):
                if audience_id not in audiences:
                    found.append(
                        unknown_reference(("rules", i, "audiences", j), audience_id, "audience", audiences)
                    )
        if self.escalation_channel is not None and self.escalation_channel not in channels:
            at = ("escalation_channel",)
            found.append(unknown_reference(at, self.escalation_channel, "channel", channels))
        found += _template_problems(self.templates)
        raise_if_any(found)
        return self

    def channel(self, channel_id: str) -> EmailChannel | WebhookChannel | AppriseChannel | None:
        return next((c for c in self.channels if c.id == channel_id), None)

    def audience(self, audience_id: str) -> Audience | None:
        return next((a for a in self.audiences if a.id == audience_id), None)


def reference_problems(
    communication: Communication, *, roles: set[str], people: set[str], stakeholders: set[str]
) -> list[Inconsistency]:
    """References from audiences into the team and the stakeholders (checked by the plan root)."""
    found: list[Inconsistency] = []
    for i, audience in enumerate(communication.audiences):
        at = ("communication", "audiences", i)
        for field, known, what in (
            ("roles", roles, "role"),
            ("on_call", roles, "role"),
            ("people", people, "person"),
            ("stakeholders", stakeholders, "stakeholder"),
        ):
            for j, value in enumerate(getattr(audience, field)):
                if value not in known:
                    found.append(unknown_reference((*at, field, j), value, what, known))
    return found


def _template_problems(templates: dict[str, MessageTemplate]) -> list[Inconsistency]:
    found: list[Inconsistency] = []
    env = jinja2.Environment(autoescape=True)
    for name, template in templates.items():
        for part in ("subject", "text", "html"):
            source = getattr(template, part)
            if source is None:
                continue
            try:
                env.parse(source)
            except jinja2.TemplateSyntaxError as exc:
                found.append(
                    Inconsistency(
                        ("templates", name, part),
                        f"template {name!r} ({part}), line {exc.lineno}: {exc.message}",
                        "fix the Jinja2 syntax, e.g. {{ incident.ref }} and {% if ... %}...{% endif %}",
                    )
                )
    return found
