"""Settings from the environment (``IRONWATCH_*``) and an optional ``ironwatch.toml`` in the home."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ironwatch.core.errors import ValidationError
from ironwatch.core.rate import Rate, parse_rate


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
    cors_origins: list[str] = Field(
        default_factory=list, description="origins allowed by CORS; none by default"
    )
    secure_cookies: bool = True
    login_max_failures: int = 5
    login_lockout_seconds: int = 900
    public_reports: bool = Field(
        default=False, description="accept reports without credentials at POST /api/v1/reports/public"
    )
    public_report_rate: str = Field(
        default="5/hour",
        description="public reports accepted per source address: COUNT/PERIOD, e.g. 5/hour, 20/day, 3/10m",
    )
    report_max_attachment_bytes: int = Field(
        default=10 * 1024 * 1024, gt=0, description="largest single attachment to a report"
    )
    report_max_attachments: int = Field(default=5, ge=0, description="most attachments on one report")
    report_max_total_attachment_bytes: int = Field(
        default=25 * 1024 * 1024, gt=0, description="largest sum of a report's attachments"
    )

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("public_report_rate", mode="after")
    @classmethod
    def _check_rate(cls, value: str) -> str:
        try:
            parse_rate(value)
        except ValidationError as exc:
            raise ValueError(str(exc)) from None
        return value

    @property
    def public_report_limit(self) -> Rate:
        """``public_report_rate`` as a count per period."""
        return parse_rate(self.public_report_rate)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'ironwatch.db'}"
