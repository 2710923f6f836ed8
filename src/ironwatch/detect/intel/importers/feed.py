"""What an importer returns: the indicators it understood and an account of what it could not use."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ironwatch.detect.intel.indicator import ParsedIndicator, infer_type, normalise

MAX_EXAMPLES = 20
TLP_NAMES = {"white": "clear", "clear": "clear", "green": "green", "amber": "amber", "red": "red"}


@dataclass
class ParsedFeed:
    """Indicators read from one feed file; nothing unsupported is dropped without a count and reason."""

    format: str
    indicators: list[ParsedIndicator] = field(default_factory=list)
    #: reason -> how many entries were left out for it
    skipped: Counter[str] = field(default_factory=Counter)
    #: the first few left-out entries with their reasons, to show the user
    examples: list[str] = field(default_factory=list)

    def skip(self, reason: str, what: str = "") -> None:
        self.skipped[reason] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(f"{what[:200]}: {reason}" if what else reason)

    def add(self, kind: str, value: str, *, what: str = "", **extra: object) -> bool:
        """Normalise and keep one indicator, or count it as skipped with the reason; whether kept.

        ``kind`` ``auto`` infers the type from the value.
        """
        if kind == "auto":
            inferred = infer_type(value)
            if inferred is None:
                self.skip("not an address, network, domain, URL, hash or e-mail address", what or value)
                return False
            kind = inferred
        try:
            kind, value = normalise(kind, value)
        except ValueError as exc:
            self.skip(f"invalid {kind}: {exc}", what or value)
            return False
        self.indicators.append(ParsedIndicator(kind, value, **extra))  # type: ignore[arg-type]
        return True


def tlp_name(text: str) -> str | None:
    """``TLP:AMBER``, ``tlp:amber+strict``, ``white`` -> the TLP 2.0 name; ``None`` if not a TLP."""
    value = text.strip().lower().removeprefix("tlp:").strip()
    if value == "amber+strict":
        return value
    return TLP_NAMES.get(value)
