"""Settings from the environment (``IRONWATCH_*``) and an optional ``ironwatch.toml`` in the home."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
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
    # log server (each listener is off unless given as HOST:PORT)
    syslog_udp: str | None = Field(default=None, description="UDP syslog listener, e.g. 0.0.0.0:514")
    syslog_tcp: str | None = Field(
        default=None, description="TCP syslog listener (RFC 6587), e.g. 0.0.0.0:514"
    )
    syslog_tls: str | None = Field(default=None, description="syslog over TLS (RFC 5425), e.g. 0.0.0.0:6514")
    relp: str | None = Field(default=None, description="RELP listener, e.g. 0.0.0.0:2514")
    tls_cert: Path | None = Field(default=None, description="PEM certificate for the TLS listeners")
    tls_key: Path | None = Field(default=None, description="PEM key for tls_cert")
    tls_ca: Path | None = Field(default=None, description="CA that signs client certificates")
    tls_require_client_cert: bool = False
    follow: list[Path] = Field(default_factory=list, description="log files to follow like tail -F")
    rule_paths: list[Path] = Field(
        default_factory=list,
        description="Sigma rule files or directories serve loads at start, besides the built-in rules",
    )
    source_timezone: str = Field(default="UTC", description="zone of source timestamps that carry none")
    max_frame_bytes: int = Field(default=1 << 20, description="largest log message accepted")
    spool_max_bytes: int = Field(default=1 << 30, description="disk the spool may use before backpressure")
    event_retention_days: int = Field(default=90, ge=1, description="events older than this are pruned")
    event_max_rows: int = Field(
        default=50_000_000, ge=1000, description="oldest events beyond this are pruned"
    )
    public_reports: bool = Field(
        default=False, description="accept reports without credentials at POST /api/v1/reports/public"
    )
    public_report_rate: str = Field(
        default="5/hour",
        description="public reports accepted per source address: COUNT/PERIOD, e.g. 5/hour, 20/day, 3/10m",
    )
    public_url: str | None = Field(
        default=None,
        description="where people reach ironwatch, for links in notifications, e.g. https://ir.example.org",
    )
    report_max_attachment_bytes: int = Field(
        default=10 * 1024 * 1024, gt=0, description="largest single attachment to a report"
    )
    report_max_attachments: int = Field(default=5, ge=0, description="most attachments on one report")
    report_max_total_attachment_bytes: int = Field(
        default=25 * 1024 * 1024, gt=0, description="largest sum of a report's attachments"
    )

    # traffic-spike anomalies (docs/detection.md#anomalies)
    anomaly_interval_seconds: int = Field(
        default=300, ge=60, le=86400, description="length of the intervals traffic is counted in"
    )
    anomaly_threshold: float = Field(
        default=6.0, gt=0, description="robust standard deviations above the baseline for a spike"
    )
    anomaly_min_ratio: float = Field(
        default=3.0, ge=1, description="a spike is at least this many times the baseline"
    )
    anomaly_min_events: int = Field(default=100, ge=1, description="fewest events in an interval for a spike")
    anomaly_min_bytes: int = Field(
        default=10_000_000, ge=1, description="fewest bytes in an interval for a spike"
    )
    anomaly_min_history: int = Field(
        default=24, ge=1, description="intervals of history a key needs before it can raise a spike"
    )
    anomaly_cooldown_seconds: int = Field(
        default=3600, ge=0, description="quiet time after a spike alert for the same key and metric"
    )
    anomaly_max_keys: int = Field(
        default=5000, ge=10, description="baselines kept per dimension (host, interface, source)"
    )

    # evidence locker (docs/evidence.md): local under home unless a bucket is given
    evidence_max_bytes: int = Field(
        default=100 * 1024**3, gt=0, description="largest item of evidence (disk images are large)"
    )
    evidence_max_upload_bytes: int = Field(
        default=1024**3, gt=0, description="largest item of evidence uploaded through the API"
    )
    evidence_s3_bucket: str | None = Field(
        default=None, description="keep evidence in this S3-compatible bucket instead of under home"
    )
    evidence_s3_endpoint: str | None = Field(
        default=None, description="the S3 endpoint URL (MinIO, Ceph, ...); AWS when unset"
    )
    evidence_s3_region: str | None = Field(default=None, description="the bucket's region")
    evidence_s3_prefix: str = Field(default="", description="object key prefix, e.g. ironwatch/evidence/")
    evidence_s3_access_key_id: str | None = Field(
        default=None, description="access key; unset: the AWS_* variables, profile or instance role"
    )
    evidence_s3_secret_access_key: SecretStr | None = Field(
        default=None, repr=False, description="secret key for evidence_s3_access_key_id"
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
    def effective_public_url(self) -> str:
        """The base of links in notifications: ``public_url``, else this server's own address."""
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'ironwatch.db'}"
