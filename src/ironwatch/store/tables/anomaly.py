"""Traffic baselines of the spike detector, kept across restarts.

One row per baseline key (``host:web1``, ``source:203.0.113.9``...) with the detector's compact
state as JSON. Machine state rewritten every few minutes, so not audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ironwatch.store.tables.base import Base
from ironwatch.store.types import JSONDoc, UTCDateTime


class AnomalyBaselineRow(Base):
    __tablename__ = "anomaly_baselines"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
