"""One event as the matchers see it: values lowercased once per event and cached.

Events are flat ``Mapping[str, object]``. Strings compare case-insensitively (Sigma), so the
lowercased text of a field is computed on first use and shared by every rule evaluated on
the same event.
"""

from __future__ import annotations

from collections.abc import Mapping

_MISSING = object()


def text_of(value: object) -> str:
    """How a non-null scalar reads as text in a rule: booleans as ``true``/``false``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def is_enrichment_key(key: str) -> bool:
    """ironwatch's own fields (``host.name``, ``@timestamp``): not part of keyword search."""
    return "." in key or key.startswith("@")


class EventView:
    """Cached, lowercased access to one event's fields."""

    __slots__ = ("_keywords", "_lower", "event")

    def __init__(self, event: Mapping[str, object]) -> None:
        self.event = event
        self._lower: dict[str, str | tuple[str, ...] | None] = {}
        self._keywords: tuple[str, ...] | None = None

    def low(self, field: str) -> str | tuple[str, ...] | None:
        """The field's text lowercased; a tuple for list values; None when absent or null."""
        cached = self._lower.get(field, _MISSING)
        if cached is not _MISSING:
            return cached  # type: ignore[return-value]
        raw = self.event.get(field)
        result: str | tuple[str, ...] | None
        if raw is None:
            result = None
        elif isinstance(raw, str):
            result = raw.lower()
        elif isinstance(raw, list | tuple):
            result = tuple(text_of(item).lower() for item in raw if item is not None)
        else:
            result = text_of(raw).lower()
        self._lower[field] = result
        return result

    def keyword_texts(self) -> tuple[str, ...]:
        """Lowercased text of every source value (enrichment keys excluded), for keyword search."""
        if self._keywords is None:
            texts: list[str] = []
            for key, raw in self.event.items():
                if raw is None or is_enrichment_key(key):
                    continue
                if isinstance(raw, list | tuple):
                    texts.extend(text_of(item).lower() for item in raw if item is not None)
                else:
                    texts.append(text_of(raw).lower())
            self._keywords = tuple(texts)
        return self._keywords

    def keyword_raw_texts(self) -> tuple[str, ...]:
        """Original-case text of every source value, for regex and cased keyword search."""
        texts: list[str] = []
        for key, raw in self.event.items():
            if raw is None or is_enrichment_key(key):
                continue
            items = raw if isinstance(raw, list | tuple) else (raw,)
            texts.extend(text_of(item) for item in items if item is not None)
        return tuple(texts)
