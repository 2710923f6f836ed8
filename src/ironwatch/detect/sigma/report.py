"""What loading a rule set did: every file and rule accounted for, none dropped silently."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ironwatch.core.errors import SourceLocation


@dataclass(frozen=True)
class RuleFailure:
    """A rule (or a whole file) that could not be compiled, with the reason."""

    location: SourceLocation
    reason: str
    rule_id: str | None = None
    title: str | None = None

    def __str__(self) -> str:
        named = f" ({self.title})" if self.title else ""
        return f"{self.location}{named}: {self.reason}"


@dataclass(frozen=True)
class RuleNote:
    """A rule that loaded, with something its author should know (e.g. an unmapped log source)."""

    location: SourceLocation
    rule_id: str
    note: str


@dataclass(frozen=True)
class LoadReport:
    """Counts and reasons from one load: loaded, failed, and rules set aside by status or kind."""

    files: int
    loaded: int
    failed: tuple[RuleFailure, ...]
    deprecated: tuple[SourceLocation, ...]
    unsupported: tuple[SourceLocation, ...]
    correlations: int
    by_status: dict[str, int] = field(default_factory=dict)
    notes: tuple[RuleNote, ...] = ()
    cached_files: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for a CLI: ``2300 loaded, 12 failed, 40 deprecated, ...``."""
        statuses = ", ".join(f"{name} {count}" for name, count in sorted(self.by_status.items()))
        return (
            f"{self.files} files: {self.loaded} loaded ({statuses}), {len(self.failed)} failed, "
            f"{len(self.deprecated)} deprecated, {len(self.unsupported)} unsupported, "
            f"{self.correlations} correlation rules, {len(self.notes)} notes, {self.seconds:.2f}s"
        )


def count_statuses(statuses: list[str]) -> dict[str, int]:
    """Counts per rule status, for :attr:`LoadReport.by_status`."""
    return dict(Counter(statuses))
