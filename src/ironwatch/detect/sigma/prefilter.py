"""Scan an event's text once for many literals: Hyperscan when available, Aho-Corasick otherwise."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Protocol

import ahocorasick

from ironwatch.core.errors import ConfigurationError

hyperscan: ModuleType | None
try:
    import hyperscan
except ImportError:  # pragma: no cover - depends on the platform's wheels
    hyperscan = None


class LiteralScanner(Protocol):
    def found(self, text: str) -> set[int]:
        """Indices of the (lowercase) literals that occur in ``text`` lowercased (any case given)."""
        ...


class HyperscanScanner:
    """A block-mode Hyperscan literal database; each literal reported at most once per scan.

    The literals are compiled caseless, so ASCII text is scanned as given, without ``lower()``.
    Hyperscan's caseless covers ASCII letters only, and Python lowercases
    some non-ASCII characters to ASCII ones (the Kelvin sign to ``k``) or to other non-ASCII ones
    (``É`` to ``é``), so text that is not pure ASCII is lowercased first, as before: the hits are
    exactly those of the lowercase literals in the lowercased text either way.
    """

    def __init__(self, literals: Sequence[str]) -> None:
        if hyperscan is None:
            raise ConfigurationError("Hyperscan is not installed", hint="use AhoCorasickScanner instead")
        self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self._db.compile(
            expressions=[literal.encode() for literal in literals],
            ids=list(range(len(literals))),
            elements=len(literals),
            flags=hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_CASELESS,
            literal=True,
        )

    def found(self, text: str) -> set[int]:
        hits: set[int] = set()
        data = text.encode() if text.isascii() else text.lower().encode()
        self._db.scan(data, match_event_handler=_collect, context=hits)
        return hits


def _collect(index: int, start: int, end: int, flags: int, hits: set[int]) -> None:
    """Hyperscan match callback: record the literal (module level, so no closure per scan)."""
    hits.add(index)


class AhoCorasickScanner:
    """pyahocorasick automaton over the same literals, for platforms without Hyperscan."""

    def __init__(self, literals: Sequence[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for index, literal in enumerate(literals):
            self._automaton.add_word(literal, index)
        self._automaton.make_automaton()

    def found(self, text: str) -> set[int]:
        return {index for _end, index in self._automaton.iter(text.lower())}


class EmptyScanner:
    def found(self, text: str) -> set[int]:
        return set()


def build_scanner(literals: Sequence[str], *, prefer_hyperscan: bool = True) -> LiteralScanner:
    """The fastest scanner available for ``literals`` (lowercase; events are lowercased too)."""
    if not literals:
        return EmptyScanner()
    if prefer_hyperscan and hyperscan is not None:
        return HyperscanScanner(literals)
    return AhoCorasickScanner(literals)
