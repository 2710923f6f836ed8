"""Detection rules as data: every loaded rule file's rules, their compile result and who enabled what.

``serve`` and the CLI read one rule set from here, so a rule loaded, enabled or disabled with the
CLI is in force in a running server within seconds (``detect.rule_catalog.active_rules``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ironwatch.store.tables.base import Base
from ironwatch.store.types import JSONDoc, UTCDateTime


class DetectionRuleRow(Base):
    """One Sigma rule (detection or correlation) as loaded, including rules that failed to compile.

    ``text`` is the whole file the rule came from (a file may hold several rules, e.g. a correlation
    and the rules it counts), so it can be recompiled exactly; ``sha256`` is the hash of that text.
    """

    __tablename__ = "detection_rules"
    __audit_type__ = "detection_rule"
    __table_args__ = (Index("ix_detection_rules_source_path", "source_path"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    #: the Sigma ``id`` (or a stable ``path:...`` id for rules that have none or could not be read)
    rule_id: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    #: ``detection`` or ``correlation``
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    level: Mapped[str] = mapped_column(String(15), nullable=False)
    #: the rule's Sigma ``status`` (stable, test, experimental, deprecated, unsupported, unknown)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    #: compile result: ``compiled``, ``failed``, ``deprecated`` or ``unsupported``
    state: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    #: why it failed ("" when it compiled)
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: things the rule's author should know (an unmapped log source...)
    notes: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    tags: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    #: ``product/category/service`` with ``*`` for what the rule leaves open
    logsource: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    #: where it came from: ``builtin``, ``path`` (a configured or given directory) or ``upload``
    origin: Mapped[str] = mapped_column(String(20), nullable=False)
    source_path: Mapped[str] = mapped_column(String(1000), nullable=False)
    line: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    #: who last enabled or disabled the rule, when, and why (None until someone does)
    changed_by: Mapped[str | None] = mapped_column(String(200))
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    change_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    loaded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class CompiledRuleRow(Base):
    """The compiled form of a rule (RuleIR or CorrelationSpec as plain JSON), so ``serve`` need not re-parse.

    Derived data: it is recomputed from ``detection_rules.text`` whenever the compiler version
    differs, so it is not audited (the rule row it belongs to is).
    """

    __tablename__ = "detection_rules_compiled"

    rule_row_id: Mapped[str] = mapped_column(
        ForeignKey("detection_rules.id", ondelete="CASCADE"), primary_key=True
    )
    compiler_version: Mapped[str] = mapped_column(String(20), nullable=False)
    compiled: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)


class RuleSetVersionRow(Base):
    """One row: the rule set's version, raised by every rule write, and a digest of what is in force.

    Readers compare the digest with the one their compiled engine was built from (one query).
    """

    __tablename__ = "detection_rule_set"
    __audit_type__ = "detection_rule_set"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
