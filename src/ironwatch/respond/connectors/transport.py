"""Running a command here or on another host over SSH, always as an argument list with a time limit.

Locally the list goes to the kernel as is (no shell). Over SSH the remote side has to be given one
command line, so the list is quoted with ``shlex.join``; every element was validated by the
connector's input types first (``targets.py``), so quoting is the second wall, not the only one.
SSH uses key authentication and a known-hosts file; an unknown host key is refused.
"""

from __future__ import annotations

import asyncio
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field

from ironwatch.respond.connectors.base import ActionFailed, ConnectorModel
from ironwatch.respond.connectors.targets import AbsolutePath, AccountName, Host, NetnsName

MAX_OUTPUT = 64 * 1024


class Remote(ConnectorModel):
    """Where a connector's commands run: ``local`` (optionally in a network namespace) or ``ssh``."""

    mode: Literal["local", "ssh"] = "local"
    netns: NetnsName | None = Field(default=None, description="local: run inside this network namespace")
    host: Host | None = Field(default=None, description="ssh: the host, unless the action names one")
    port: int = Field(default=22, ge=1, le=65535)
    user: AccountName = "root"
    key_file: AbsolutePath | None = Field(default=None, description="ssh: private key file")
    known_hosts: AbsolutePath | None = Field(default=None, description="ssh: known_hosts file (required)")
    sudo: bool = Field(default=False, description="prefix commands with 'sudo -n'")


@dataclass(frozen=True)
class CommandResult:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str

    def check(self, what: str) -> CommandResult:
        """Raise ``ActionFailed`` with the command's own words when it did not succeed."""
        if self.returncode != 0:
            said = (self.stderr or self.stdout).strip()[:500]
            raise ActionFailed(f"{what} failed (exit {self.returncode}): {said or 'no output'}")
        return self


def where(remote: Remote, host: str | None = None) -> str:
    """A short description of where commands run, for summaries."""
    if remote.mode == "local":
        return f"locally in namespace {remote.netns}" if remote.netns else "locally"
    return f"on {remote.user}@{host or remote.host} over SSH"


def full_argv(remote: Remote, argv: list[str]) -> list[str]:
    """The argument list as it will run: with sudo and, locally, inside the namespace."""
    command = ["sudo", "-n", *argv] if remote.sudo else list(argv)
    if remote.mode == "local" and remote.netns:
        command = ["ip", "netns", "exec", remote.netns, *command]
    return command


def run_command(
    remote: Remote, argv: list[str], *, timeout: float, stdin: str | None = None, host: str | None = None
) -> CommandResult:
    """Run ``argv`` where ``remote`` says; a time-out or an unreachable host is ``ActionFailed``."""
    command = full_argv(remote, argv)
    if remote.mode == "local":
        return _run_local(command, timeout=timeout, stdin=stdin)
    target = host or remote.host
    if target is None:
        raise ActionFailed("no host to connect to: name one in the action or in the connector's config")
    return asyncio.run(_run_ssh(remote, target, command, seconds=timeout, stdin=stdin))


def _run_local(argv: list[str], *, timeout: float, stdin: str | None) -> CommandResult:
    try:
        done = subprocess.run(  # noqa: S603 (an argument list built from validated values)
            argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise ActionFailed(f"{argv[0]!r} is not installed on this server") from None
    except subprocess.TimeoutExpired:
        raise ActionFailed(f"{argv[0]} did not finish within {timeout:.0f} s") from None
    return CommandResult(argv, done.returncode, done.stdout[-MAX_OUTPUT:], done.stderr[-MAX_OUTPUT:])


async def _run_ssh(
    remote: Remote, host: str, argv: list[str], *, seconds: float, stdin: str | None
) -> CommandResult:
    # imported on the first SSH action: asyncssh takes a third of a second to import, which every
    # CLI command would pay otherwise (the same choice as WeasyPrint's in plan.render)
    import asyncssh

    if remote.known_hosts is None:
        raise ActionFailed("SSH needs a known_hosts file in the connector's config (host keys are checked)")
    try:
        async with asyncio.timeout(seconds):
            async with asyncssh.connect(
                host,
                port=remote.port,
                username=remote.user,
                client_keys=[remote.key_file] if remote.key_file else None,
                known_hosts=remote.known_hosts,
            ) as conn:
                done = await conn.run(shlex.join(argv), input=stdin, check=False)
    except TimeoutError:
        raise ActionFailed(f"SSH to {host} did not finish within {seconds:.0f} s") from None
    except asyncssh.HostKeyNotVerifiable as exc:
        raise ActionFailed(_untrusted(host, remote, exc)) from None
    except (OSError, asyncssh.Error) as exc:
        raise ActionFailed(f"SSH to {remote.user}@{host} failed: {exc}") from None
    out = done.stdout if isinstance(done.stdout, str) else ""
    err = done.stderr if isinstance(done.stderr, str) else ""
    status = done.exit_status if done.exit_status is not None else 255
    return CommandResult(argv, status, out[-MAX_OUTPUT:], err[-MAX_OUTPUT:])


def _untrusted(host: str, remote: Remote, exc: Exception) -> str:
    return (
        f"SSH to {host} refused: its host key is not the one in {remote.known_hosts} ({exc}); "
        "check the key's fingerprint on the host, then add it (ssh-keyscan -p PORT HOST)"
    )


def fetch_file(
    remote: Remote, path: str, destination: Path, *, timeout: float, host: str | None = None
) -> None:
    """Copy ``path`` from where ``remote`` says (locally or by SFTP) to ``destination``."""
    if remote.mode == "local":
        if remote.netns:
            raise ActionFailed("a network namespace has no files of its own; collect the file locally")
        try:
            shutil.copyfile(path, destination)
        except OSError as exc:
            raise ActionFailed(f"cannot copy {path}: {exc.strerror}") from None
        return
    target = host or remote.host
    if target is None:
        raise ActionFailed("no host to collect from: name one in the action or in the connector's config")
    asyncio.run(_fetch_ssh(remote, target, path, destination, seconds=timeout))


async def _fetch_ssh(remote: Remote, host: str, path: str, destination: Path, *, seconds: float) -> None:
    import asyncssh  # see _run_ssh

    if remote.known_hosts is None:
        raise ActionFailed("SSH needs a known_hosts file in the connector's config (host keys are checked)")
    try:
        async with asyncio.timeout(seconds):
            async with (
                asyncssh.connect(
                    host,
                    port=remote.port,
                    username=remote.user,
                    client_keys=[remote.key_file] if remote.key_file else None,
                    known_hosts=remote.known_hosts,
                ) as conn,
                conn.start_sftp_client() as sftp,
            ):
                await sftp.get(path, str(destination))
    except TimeoutError:
        raise ActionFailed(f"fetching {path} from {host} did not finish within {seconds:.0f} s") from None
    except asyncssh.HostKeyNotVerifiable as exc:
        raise ActionFailed(_untrusted(host, remote, exc)) from None
    except (OSError, asyncssh.Error) as exc:
        raise ActionFailed(f"fetching {path} from {remote.user}@{host} failed: {exc}") from None
