"""Run an operator-defined command: an argument list from the plan, the action's inputs appended.

The plan names each command and its fixed argument list; an action picks one by name and may add
arguments, each validated (``SafeArgument``: no leading '-', no shell characters) and passed as one
argument of its own. Nothing from an action ever becomes part of another argument or a shell line.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from ironwatch.plan.fieldtypes import Duration, Identifier
from ironwatch.respond.connectors.base import (
    ActionConnector,
    ActionContext,
    ActionFailed,
    ActionOutcome,
    ConnectorModel,
    Target,
)
from ironwatch.respond.connectors.targets import SafeArgument
from ironwatch.respond.connectors.transport import Remote, full_argv, run_command, where

MAX_ARGS = 16


class OperatorCommand(ConnectorModel):
    argv: tuple[str, ...] = Field(
        min_length=1, description="the fixed command, e.g. [/usr/local/bin/rotate-keys]"
    )
    max_args: int = Field(default=0, ge=0, le=MAX_ARGS, description="how many arguments an action may add")
    destructive: bool = Field(default=True, description="needs a second person's approval")
    undo_argv: tuple[str, ...] | None = Field(default=None, description="the command that takes it back")
    timeout: Duration | None = None
    description: str = ""


class CommandConfig(ConnectorModel):
    remote: Remote = Remote()
    commands: dict[Identifier, OperatorCommand] = Field(default_factory=dict)


class CommandInputs(ConnectorModel):
    command: Identifier = Field(description="the name of a command in the plan")
    args: tuple[SafeArgument, ...] = Field(default=(), max_length=MAX_ARGS, description="extra arguments")


class RunCommand(ActionConnector[CommandInputs, CommandConfig]):
    """Run one of the commands the plan defines, with the action's arguments appended."""

    name = "run_command"
    title = "Run an operator-defined command"
    destructive = True
    undoable = True
    inputs_model = CommandInputs
    config_model = CommandConfig

    def _command(self, inputs: CommandInputs) -> OperatorCommand:
        command = self.config.commands.get(inputs.command)
        if command is None:
            known = ", ".join(self.config.commands) or "none configured"
            raise ActionFailed(
                f"no command {inputs.command!r} in settings.actions.connectors.run_command.config.commands "
                f"(known: {known})"
            )
        if len(inputs.args) > command.max_args:
            raise ActionFailed(f"command {inputs.command!r} takes at most {command.max_args} argument(s)")
        return command

    def is_destructive(self, inputs: CommandInputs) -> bool:
        command = self.config.commands.get(inputs.command)
        return True if command is None else command.destructive

    def targets(self, inputs: CommandInputs) -> list[Target]:
        del inputs
        return []

    def timeout_for(self, inputs: CommandInputs) -> timedelta | None:
        command = self.config.commands.get(inputs.command)
        return command.timeout if command else None

    def dry_run(self, inputs: CommandInputs, context: ActionContext) -> ActionOutcome:
        del context
        argv = [*self._command(inputs).argv, *inputs.args]
        return ActionOutcome(
            f"would run {inputs.command} {where(self.config.remote)}",
            {"argv": full_argv(self.config.remote, argv)},
        )

    def execute(self, inputs: CommandInputs, context: ActionContext) -> ActionOutcome:
        argv = [*self._command(inputs).argv, *inputs.args]
        done = run_command(self.config.remote, argv, timeout=context.timeout).check(inputs.command)
        return ActionOutcome(
            f"ran {inputs.command} {where(self.config.remote)}",
            {"argv": full_argv(self.config.remote, argv), "stdout": done.stdout, "stderr": done.stderr},
        )

    def undo(self, inputs: CommandInputs, context: ActionContext) -> ActionOutcome:
        command = self._command(inputs)
        if command.undo_argv is None:
            raise ActionFailed(f"command {inputs.command!r} has no undo_argv in the plan")
        argv = [*command.undo_argv, *inputs.args]
        done = run_command(self.config.remote, argv, timeout=context.timeout).check(f"undo {inputs.command}")
        return ActionOutcome(
            f"undid {inputs.command}", {"argv": full_argv(self.config.remote, argv), "stdout": done.stdout}
        )
