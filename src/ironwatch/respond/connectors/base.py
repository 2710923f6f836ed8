"""The connector interface: a name, an input schema, dry run, execute, verify and (where possible) undo.

A connector never decides whether it may act: guard rails (enablement, deny lists, approvals) are
checked by the service and the runner before it is called. It receives validated inputs and an
:class:`ActionContext`, talks to the outside world within ``context.timeout`` seconds, and reports an
:class:`ActionOutcome`; the runner records the outcome on the incident (observables, comment,
evidence). Raising :class:`ActionFailed` (or any error) fails this try; the runner retries within the
plan's bounds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from ironwatch.core.errors import ConfigurationError, ValidationError

TargetKind = Literal["address", "hostname", "account", "path", "url"]


class ConnectorModel(BaseModel):
    """Base of connector inputs and configurations: immutable, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class NoConfig(ConnectorModel):
    """For connectors that need no configuration."""


InputsT = TypeVar("InputsT", bound=ConnectorModel)
ConfigT = TypeVar("ConfigT", bound=ConnectorModel)


@dataclass(frozen=True)
class Target:
    """Something an action touches, checked against the allow and deny lists before it runs."""

    kind: TargetKind
    value: str


@dataclass(frozen=True)
class EvidenceFile:
    """A file an action produced that belongs in the evidence locker (hashed and registered there)."""

    path: Path
    filename: str
    description: str
    source: str


@dataclass(frozen=True)
class FoundObservable:
    """An observable an action found (an nmap host), added to the incident."""

    type: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class ReportRequest:
    """An incident report to send to one audience of the plan's communication section."""

    audience: str
    template: str | None
    message: str


@dataclass
class ActionOutcome:
    """What one call did: a one-line summary, JSON details, and what to record on the incident."""

    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    observables: list[FoundObservable] = field(default_factory=list)
    evidence: list[EvidenceFile] = field(default_factory=list)
    comment: str | None = None
    reports: list[ReportRequest] = field(default_factory=list)


@dataclass(frozen=True)
class ActionContext:
    """What a connector knows about the run it is in.

    ``workdir`` is a private directory for files the action produces (removed after the run);
    ``management_addresses`` come from the plan (an isolated host stays reachable from them).
    """

    action_id: str
    incident_ref: str
    idempotency_key: str
    timeout: float
    workdir: Path
    management_addresses: tuple[str, ...] = ()
    #: the details the successful execute reported (for verify and undo)
    previous: dict[str, Any] = field(default_factory=dict)


class ActionFailed(Exception):
    """The action could not be carried out; the message says why (shown on the incident)."""


class ActionConnector(ABC, Generic[InputsT, ConfigT]):
    """Base class of every connector. Subclasses set the class attributes and the four methods.

    ``inputs_model`` validates what a playbook step or a person gives; ``config_model`` validates the
    plan's ``settings.actions.connectors.<name>.config``.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    #: destructive actions change or cut off systems and need a second person's approval
    destructive: ClassVar[bool] = False
    #: whether ``undo`` can take the action back (a block can; a kill cannot)
    undoable: ClassVar[bool] = False
    inputs_model: ClassVar[type[ConnectorModel]]
    config_model: ClassVar[type[ConnectorModel]] = NoConfig

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        try:
            self.config: ConfigT = self.config_model.model_validate(config or {})  # type: ignore[assignment]
        except PydanticValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "config"
            raise ConfigurationError(
                f"connector {self.name}: settings.actions.connectors.{self.name}.config.{where}: "
                f"{first['msg']}",
                hint=f"fix the plan; `ironwatch action connectors` lists the keys {self.name} takes",
            ) from None

    @classmethod
    def parse_inputs(cls, data: dict[str, Any]) -> InputsT:
        """Validate inputs; a bad one is a ``ValidationError`` naming the field and the connector."""
        try:
            return cls.inputs_model.model_validate(data)  # type: ignore[return-value]
        except PydanticValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'inputs'}: {e['msg'].removeprefix('Value error, ')}"
                for e in exc.errors(include_url=False)
            )
            raise ValidationError(
                f"bad inputs for {cls.name}: {problems}",
                hint=f"see `ironwatch action connectors` for what {cls.name} takes",
            ) from None

    def is_destructive(self, inputs: InputsT) -> bool:
        """Whether this call needs a second person's approval (an operator command may say so itself)."""
        del inputs
        return self.destructive

    def timeout_for(self, inputs: InputsT) -> timedelta | None:
        """A time limit this call needs beyond the plan's (an operator command may set its own)."""
        del inputs
        return None

    @abstractmethod
    def targets(self, inputs: InputsT) -> list[Target]:
        """What the action touches, for the guard rails (addresses, hosts, accounts)."""

    @abstractmethod
    def dry_run(self, inputs: InputsT, context: ActionContext) -> ActionOutcome:
        """Describe exactly what ``execute`` would do (commands, ruleset, request), without doing it."""

    @abstractmethod
    def execute(self, inputs: InputsT, context: ActionContext) -> ActionOutcome:
        """Do it; raise ``ActionFailed`` with a clear reason when it cannot be done."""

    def verify(self, inputs: InputsT, context: ActionContext) -> bool | None:
        """Check that the effect is in place (None: this connector cannot tell)."""
        del inputs, context
        return None

    def undo(self, inputs: InputsT, context: ActionContext) -> ActionOutcome:
        """Take the action back; ``context.previous`` holds what ``execute`` reported."""
        del inputs, context
        raise ActionFailed(f"{self.name} cannot be undone")
