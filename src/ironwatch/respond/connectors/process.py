"""Kill a process on a host over SSH (or here): by process id or by exact name."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from ironwatch.respond.connectors.base import (
    ActionConnector,
    ActionContext,
    ActionFailed,
    ActionOutcome,
    ConnectorModel,
    Target,
)
from ironwatch.respond.connectors.targets import Host, Pid, ProcessName, host_target
from ironwatch.respond.connectors.transport import Remote, full_argv, run_command, where


class ProcessConfig(ConnectorModel):
    remote: Remote = Remote(mode="ssh")


class KillInputs(ConnectorModel):
    host: Host | None = Field(default=None, description="where the process runs (ssh)")
    pid: Pid | None = Field(default=None, description="the process id")
    name: ProcessName | None = Field(default=None, description="or: every process with exactly this name")
    signal: Literal["TERM", "KILL"] = "KILL"

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.pid is None) == (self.name is None):
            raise ValueError("give the process id (pid) or the process name (name), one of them")
        return self


class KillProcess(ActionConnector[KillInputs, ProcessConfig]):
    """Stop a malicious process; it cannot be undone (collect evidence first)."""

    name = "kill_process"
    title = "Kill a process"
    destructive = True
    inputs_model = KillInputs
    config_model = ProcessConfig

    def targets(self, inputs: KillInputs) -> list[Target]:
        return [host_target(inputs.host)] if inputs.host else []

    def _argv(self, inputs: KillInputs) -> list[str]:
        if inputs.name is not None:
            return ["pkill", f"--signal={inputs.signal}", "-x", "--", inputs.name]
        return ["kill", "-s", inputs.signal, "--", str(inputs.pid)]

    def dry_run(self, inputs: KillInputs, context: ActionContext) -> ActionOutcome:
        del context
        remote = self.config.remote
        return ActionOutcome(
            f"would run {' '.join(self._argv(inputs))} {where(remote, inputs.host)}",
            {"argv": full_argv(remote, self._argv(inputs))},
        )

    def execute(self, inputs: KillInputs, context: ActionContext) -> ActionOutcome:
        remote = self.config.remote
        done = run_command(remote, self._argv(inputs), timeout=context.timeout, host=inputs.host)
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip()[:300]
            raise ActionFailed(
                f"no process stopped {where(remote, inputs.host)}: {said or 'no such process'}"
            )
        return ActionOutcome(
            f"sent {inputs.signal} to {inputs.pid or inputs.name} {where(remote, inputs.host)}",
            {"argv": full_argv(remote, self._argv(inputs))},
        )
