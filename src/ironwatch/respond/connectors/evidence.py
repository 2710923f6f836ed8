"""Actions that produce evidence: collect a file, or take a disk or memory image or a backup snapshot.

The file lands in the action's private work directory; the runner hashes it and registers it in the
evidence locker with its first custody entry ("collected"). The image command is an argument list
from the plan; only the whole-argument placeholders ``{output}`` (the file to write) and ``{target}``
(the action's validated target) are replaced, so an input is always one argument of its own.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path, PurePosixPath
from typing import Literal, Self

from pydantic import Field, model_validator

from ironwatch.plan.fieldtypes import Identifier
from ironwatch.respond.connectors.base import (
    ActionConnector,
    ActionContext,
    ActionFailed,
    ActionOutcome,
    ConnectorModel,
    EvidenceFile,
    Target,
)
from ironwatch.respond.connectors.targets import AbsolutePath, Host, SafeArgument, host_target
from ironwatch.respond.connectors.transport import Remote, fetch_file, where

OUTPUT = "{output}"
TARGET = "{target}"


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class CollectConfig(ConnectorModel):
    remote: Remote = Remote()
    allowed_paths: tuple[AbsolutePath, ...] = Field(
        default=(), description="directories files may be collected from; none: nothing may be collected"
    )


class CollectInputs(ConnectorModel):
    path: AbsolutePath = Field(description="the file to collect")
    host: Host | None = Field(default=None, description="ssh: the host holding it")
    description: str = Field(default="", max_length=2000)


class CollectFile(ActionConnector[CollectInputs, CollectConfig]):
    """Copy a file (a suspicious binary, a log) into the evidence locker."""

    name = "collect_file"
    title = "Collect a file as evidence"
    inputs_model = CollectInputs
    config_model = CollectConfig

    def targets(self, inputs: CollectInputs) -> list[Target]:
        return [Target("path", inputs.path), *([host_target(inputs.host)] if inputs.host else [])]

    def _check_allowed(self, path: str) -> None:
        wanted = PurePosixPath(path)
        if not any(wanted.is_relative_to(PurePosixPath(a)) for a in self.config.allowed_paths):
            allowed = ", ".join(self.config.allowed_paths) or "none configured"
            raise ActionFailed(
                f"{path} is outside the directories files may be collected from ({allowed}); "
                "add its directory to settings.actions.connectors.collect_file.config.allowed_paths"
            )

    def dry_run(self, inputs: CollectInputs, context: ActionContext) -> ActionOutcome:
        del context
        self._check_allowed(inputs.path)
        return ActionOutcome(f"would collect {inputs.path} {where(self.config.remote, inputs.host)}", {})

    def execute(self, inputs: CollectInputs, context: ActionContext) -> ActionOutcome:
        self._check_allowed(inputs.path)
        name = PurePosixPath(inputs.path).name or "file"
        destination = context.workdir / name
        fetch_file(self.config.remote, inputs.path, destination, timeout=context.timeout, host=inputs.host)
        sha256, size = file_digest(destination)
        source = f"{inputs.host or 'ironwatch server'}:{inputs.path}"
        return ActionOutcome(
            f"collected {inputs.path} ({size} bytes, SHA-256 {sha256[:12]}...)",
            {"sha256": sha256, "size": size, "source": source},
            evidence=[EvidenceFile(destination, name, inputs.description or f"collected {source}", source)],
        )


class ImageProfile(ConnectorModel):
    argv: tuple[str, ...] = Field(min_length=1, description="the command; {output} and {target} are replaced")
    output: Literal["file", "stdout"] = Field(
        default="file", description="file: the command writes {output}; stdout: its output is the image"
    )
    description: str = ""

    @model_validator(mode="after")
    def _placeholders(self) -> Self:
        if self.output == "file" and OUTPUT not in self.argv:
            raise ValueError("output is 'file' but no argument is exactly {output}")
        for arg in self.argv:
            if arg not in (OUTPUT, TARGET) and ("{output}" in arg or "{target}" in arg):
                raise ValueError(f"{arg!r}: {{output}} and {{target}} must be whole arguments")
        return self


class ImageConfig(ConnectorModel):
    profiles: dict[Identifier, ImageProfile] = Field(default_factory=dict)


class ImageInputs(ConnectorModel):
    profile: Identifier = Field(description="which configured command: disk, memory, backup...")
    target: SafeArgument | None = Field(default=None, description="what to image, if the command takes it")


class CaptureImage(ActionConnector[ImageInputs, ImageConfig]):
    """Take a disk or memory image or a backup snapshot with a configured command; keep it as evidence."""

    name = "capture_image"
    title = "Take a disk or memory image or a backup snapshot"
    inputs_model = ImageInputs
    config_model = ImageConfig

    def targets(self, inputs: ImageInputs) -> list[Target]:
        del inputs
        return []

    def _profile(self, inputs: ImageInputs) -> ImageProfile:
        profile = self.config.profiles.get(inputs.profile)
        if profile is None:
            known = ", ".join(self.config.profiles) or "none configured"
            raise ActionFailed(
                f"no image profile {inputs.profile!r} (known: {known}); add it to "
                "settings.actions.connectors.capture_image.config.profiles"
            )
        if TARGET in profile.argv and inputs.target is None:
            raise ActionFailed(f"profile {inputs.profile!r} needs a target")
        return profile

    def _argv(self, profile: ImageProfile, inputs: ImageInputs, output: Path) -> list[str]:
        replace = {OUTPUT: str(output), TARGET: inputs.target or ""}
        return [replace.get(arg, arg) for arg in profile.argv]

    def dry_run(self, inputs: ImageInputs, context: ActionContext) -> ActionOutcome:
        profile = self._profile(inputs)
        argv = self._argv(profile, inputs, context.workdir / f"{inputs.profile}.img")
        return ActionOutcome(f"would run {' '.join(argv)}", {"argv": argv, "output": profile.output})

    def execute(self, inputs: ImageInputs, context: ActionContext) -> ActionOutcome:
        profile = self._profile(inputs)
        filename = f"{inputs.profile}-{context.incident_ref}-{context.action_id[:8]}.img"
        output = context.workdir / filename
        argv = self._argv(profile, inputs, output)
        try:
            with output.open("wb") as sink:
                done = subprocess.run(  # noqa: S603 (an argument list from the plan)
                    argv,
                    stdout=sink if profile.output == "stdout" else subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    timeout=context.timeout,
                    check=False,
                )
        except FileNotFoundError:
            raise ActionFailed(f"{argv[0]!r} is not installed on this server") from None
        except subprocess.TimeoutExpired:
            raise ActionFailed(f"{argv[0]} did not finish within {context.timeout:.0f} s") from None
        if done.returncode != 0:
            said = done.stderr.decode("utf-8", "replace").strip()[:500]
            raise ActionFailed(f"{argv[0]} failed (exit {done.returncode}): {said or 'no output'}")
        sha256, size = file_digest(output)
        if size == 0:
            raise ActionFailed(f"{argv[0]} wrote nothing to the image")
        source = f"{inputs.profile} image of {inputs.target or 'the configured source'}"
        return ActionOutcome(
            f"took a {inputs.profile} image ({size} bytes, SHA-256 {sha256[:12]}...)",
            {"argv": argv, "sha256": sha256, "size": size, "filename": filename},
            evidence=[EvidenceFile(output, filename, profile.description or source, source)],
        )
