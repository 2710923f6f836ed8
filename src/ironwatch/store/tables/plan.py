"""The incident response plan's versions: every plan ever applied, exactly as applied."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ironwatch.store.tables.base import Base
from ironwatch.store.types import JSONDoc, UTCDateTime


class PlanVersionRow(Base):
    """One applied version of the plan; the highest ``version`` is the plan in force.

    Rows are only ever added: history is kept, and each row is audited (``plan_version``), so
    ``audit verify`` proves that no stored plan was edited after it was applied.
    """

    __tablename__ = "plan_versions"
    __audit_type__ = "plan_version"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    #: the YAML text byte for byte as it was applied (comments included)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    #: SHA-256 of the UTF-8 text, hex
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    #: where the text came from: a file name, ``api``, ``starter``, a CSV import
    source: Mapped[str] = mapped_column(String(300), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    applied_by: Mapped[str] = mapped_column(String(200), nullable=False)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: what changed from the previous version: counts and changed paths (see plan.service)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
