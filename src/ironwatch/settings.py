"""Settings from the environment (``IRONWATCH_*``) and an optional ``ironwatch.toml`` in the home."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    return Path.home() / ".local" / "share" / "ironwatch"


class Settings(BaseSettings):
    """Everything an operator may set. Each field is ``IRONWATCH_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="IRONWATCH_", extra="ignore")

    home: Path = Field(default_factory=default_home, description="where ironwatch keeps its data")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default SQLite under home, e.g. postgresql+psycopg://user@host/db",
    )
    host: str = "127.0.0.1"
    port: int = 8400
    max_body_bytes: int = Field(default=10 * 1024 * 1024, description="largest accepted request body")
    admin_password: str | None = Field(
        default=None, repr=False, description="creates the first admin on serve"
    )
    org_name: str = Field(
        default="Example Organisation",
        description="the organisation named in the starter plan that the first serve applies",
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="origins allowed by CORS; none by default"
    )
    secure_cookies: bool = True
    login_max_failures: int = 5
    login_lockout_seconds: int = 900
    public_reports: bool = False

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'ironwatch.db'}"
