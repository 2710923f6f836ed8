"""Scan an event's text once for many literals: Hyperscan when available, Aho-Corasick otherwise."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from types import ModuleType
from typing import Protocol

import ahocorasick

from ironwatch.core.errors import ConfigurationError
from ironwatch.detect.sigma.database_cache import DatabaseCache, database_key
from ironwatch.detect.speedups import native

hyperscan: ModuleType | None
try:
    import hyperscan
except ImportError:  # pragma: no cover - depends on the platform's wheels
    hyperscan = None


class LiteralScanner(Protocol):
    def found(self, text: str) -> set[int]:
        """Indices of the (lowercase) literals that occur in ``text`` lowercased (any case given)."""
        ...


_FLAGS = 0 if hyperscan is None else hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_CASELESS


@functools.cache
def hyperscan_build() -> bytes:
    """Hyperscan's own version, platform features and mode as it reports them (part of cache keys).

    Read from a one-literal database compiled once per process (~1 ms).
    """
    if hyperscan is None:
        return b""
    probe = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    probe.compile(expressions=[b"ironwatch"], ids=[0], elements=1, flags=_FLAGS, literal=True)
    version: str = hyperscan.__version__
    info: bytes = probe.info()
    return version.encode() + b"\0" + info


class HyperscanScanner:
    """A block-mode Hyperscan literal database; each literal reported at most once per scan.

    The literals are compiled caseless, so ASCII text is scanned as given, without ``lower()``.
    Hyperscan's caseless covers ASCII letters only, and Python lowercases
    some non-ASCII characters to ASCII ones (the Kelvin sign to ``k``) or to other non-ASCII ones
    (``É`` to ``é``), so text that is not pure ASCII is lowercased first, as before: the hits are
    exactly those of the lowercase literals in the lowercased text either way.
    """

    def __init__(self, literals: Sequence[str], cache: DatabaseCache | None = None) -> None:
        if hyperscan is None:
            raise ConfigurationError("Hyperscan is not installed", hint="use AhoCorasickScanner instead")
        self.loaded = False  # whether the database came from ``cache``
        key = database_key(literals, flags=_FLAGS, mode=hyperscan.HS_MODE_BLOCK, build=hyperscan_build())
        payload = cache.read(key) if cache is not None else None
        if payload is not None and cache is not None:
            try:
                self._db = hyperscan.loadb(payload, hyperscan.HS_MODE_BLOCK)
                self._db.scratch = hyperscan.Scratch(self._db)
                self.loaded = True
                return
            except hyperscan.error as exc:
                cache.reject(key, f"Hyperscan refused it: {exc}")
        self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self._db.compile(
            expressions=[literal.encode() for literal in literals],
            ids=list(range(len(literals))),
            elements=len(literals),
            flags=_FLAGS,
            literal=True,
        )
        if cache is not None:
            cache.write(key, hyperscan.dumpb(self._db))

    def found(self, text: str) -> set[int]:
        hits: set[int] = set()
        # positional arguments: the binding parses keywords ~0.3 us slower per call
        self._db.scan(scan_bytes(text), _COLLECT, 0, hits)
        return hits


# What ``str.lower()`` does to the characters U+0000-U+00FF: A-Z and the Latin-1 capitals
# U+00C0-U+00DE (but the multiplication sign U+00D7) gain 0x20; every other one stays.
_LATIN1_LOWER = bytes(
    code + 0x20 if 0x41 <= code <= 0x5A or (0xC0 <= code <= 0xDE and code != 0xD7) else code
    for code in range(256)
)


def scan_bytes_python(text: str) -> bytes:
    """``text`` as the caseless scan sees it: UTF-8 of ``text.lower()``, or of ``text`` if ASCII.

    Hyperscan's caseless flag folds ASCII letters itself, so ASCII text is not lowercased. Text
    that is not ASCII but fits Latin-1 (a ``®`` in most Windows process events) is lowercased
    through a byte table: ``str.lower()`` walks such a string character by character with full
    Unicode case mapping, several times slower. Anything wider takes ``lower()``.
    """
    if text.isascii():
        return text.encode()
    try:
        latin = text.encode("latin-1")
    except UnicodeEncodeError:
        return text.lower().encode()
    return latin.translate(_LATIN1_LOWER).decode("latin-1").encode()


def _collect(index: int, start: int, end: int, flags: int, hits: set[int]) -> None:
    """Hyperscan match callback: record the literal (module level, so no closure per scan)."""
    hits.add(index)


# The C twins when built: once per scanned event, and once per literal hit (tens per process event).
scan_bytes = scan_bytes_python if native is None else native.scan_bytes
_COLLECT = _collect if native is None else native.collect


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


def build_scanner(
    literals: Sequence[str], *, prefer_hyperscan: bool = True, cache: DatabaseCache | None = None
) -> LiteralScanner:
    """The fastest scanner available for ``literals`` (lowercase; events are lowercased too).

    ``cache`` keeps compiled Hyperscan databases on disk across processes (see database_cache).
    """
    if not literals:
        return EmptyScanner()
    if prefer_hyperscan and hyperscan is not None:
        return HyperscanScanner(literals, cache)
    return AhoCorasickScanner(literals)
