"""Secrets named in the plan (``secret: SMTP_PASSWORD``), read when a message is sent.

A secret ``NAME`` comes from the environment variable ``IRONWATCH_SECRET_NAME`` or, failing that,
from the file named by ``IRONWATCH_SECRETS_FILE``: ``NAME=value`` lines, ``#`` comments. That file
must be readable by its owner only (mode 0600); a file others can read is refused rather than used,
because whoever reads it can send as the organisation. Values are never logged or stored.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from ironwatch.core.errors import ConfigurationError

ENV_PREFIX = "IRONWATCH_SECRET_"
FILE_VARIABLE = "IRONWATCH_SECRETS_FILE"


class Secrets:
    """Where secrets are looked up: an environment (``os.environ`` by default) and its secrets file."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def get(self, name: str) -> str:
        """The value of secret ``name``; a missing secret or an unsafe file is a ``ConfigurationError``."""
        value = self.environ.get(ENV_PREFIX + name)
        if value:
            return value
        path = self.environ.get(FILE_VARIABLE)
        if path:
            found = _read_file(Path(path)).get(name)
            if found:
                return found
        raise ConfigurationError(
            f"the secret {name} is not set",
            hint=f"set {ENV_PREFIX}{name} in the environment of ironwatch, or a line '{name}=...' in the "
            f"file named by {FILE_VARIABLE} (mode 0600)",
        )


def _read_file(path: Path) -> dict[str, str]:
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the secrets file {path}: {exc.strerror}", hint=f"check {FILE_VARIABLE}"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"the secrets file {path} can be read by others (mode {stat.S_IMODE(mode):04o})",
            hint=f"chmod 600 {path}",
        )
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        values[name.strip()] = value.strip()
    return values
