"""Secrets named in the plan: from the environment, or from a secrets file only its owner can read."""

from __future__ import annotations

from pathlib import Path

import pytest

from ironwatch.core.errors import ConfigurationError
from ironwatch.notify.secrets import Secrets


def _file(tmp_path: Path, mode: int) -> Path:
    path = tmp_path / "secrets"
    path.write_text("# ironwatch secrets\nSMTP_PASSWORD = from-the-file\nEMPTY=\n", encoding="utf-8")
    path.chmod(mode)
    return path


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = _file(tmp_path, 0o600)
    env = {"IRONWATCH_SECRET_SMTP_PASSWORD": "from-env", "IRONWATCH_SECRETS_FILE": str(path)}
    assert Secrets(env).get("SMTP_PASSWORD") == "from-env"
    assert Secrets({"IRONWATCH_SECRETS_FILE": str(path)}).get("SMTP_PASSWORD") == "from-the-file"


def test_a_secrets_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = _file(tmp_path, 0o644)
    with pytest.raises(ConfigurationError, match="can be read by others") as caught:
        Secrets({"IRONWATCH_SECRETS_FILE": str(path)}).get("SMTP_PASSWORD")
    assert caught.value.hint == f"chmod 600 {path}"


def test_a_missing_secret_says_where_to_put_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Secrets({"IRONWATCH_SECRETS_FILE": str(_file(tmp_path, 0o600))}).get("EMPTY")
    assert "IRONWATCH_SECRET_EMPTY" in (caught.value.hint or "")
