"""Located problems in a plan file or an imported CSV file, reported all at once."""

from __future__ import annotations

from dataclasses import dataclass

from ironwatch.core.errors import SourceLocation, ValidationError


@dataclass(frozen=True)
class PlanProblem:
    """One problem: where it is, what is wrong, and what to do about it.

    ``path`` is the dotted place in the plan (``team.people[2].email``) or the CSV column.
    """

    location: SourceLocation
    message: str
    hint: str | None = None
    path: str = ""

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form for API problem documents."""
        return {
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "path": self.path,
            "message": self.message,
            "hint": self.hint,
        }


class PlanError(ValidationError):
    """A plan (or a file imported into it) has problems; ``problems`` lists every one, in file order."""

    title = "Invalid incident response plan"

    def __init__(self, problems: list[PlanProblem]) -> None:
        ordered = sorted(
            problems, key=lambda p: (p.location.file, p.location.line or 0, p.location.column or 0)
        )
        first = ordered[0].location if ordered else None
        count = len(ordered)
        source = first.file if first else "plan"
        super().__init__(
            f"{source} has {count} problem{'s' if count != 1 else ''}",
            hint="fix each problem listed and load the file again",
            location=first,
            details={"problems": [p.as_dict() for p in ordered]},
        )
        self.problems = ordered

    def __str__(self) -> str:
        return "\n".join([self.message, *(f"  {p}" for p in self.problems)])
