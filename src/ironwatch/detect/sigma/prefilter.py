"""Scan an event's text once for many literals.

Three scanners give the same hits (the tests compare them on the corpus):

* ``native``: ironwatch's C literal set (``_literal_set.c``, part of the C accelerator): writes
  the event's text and scans it in one call, with no call back per hit, and returns the hits as one
  bytes object; the default when the accelerator is built.
* ``hyperscan``: a Hyperscan literal database (PyPI ``hyperscan``); the binding calls back into
  Python once per literal found, which costs more than the scan itself on process events.
* ``aho-corasick``: pyahocorasick, where neither is available.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Mapping, Sequence, Set
from types import ModuleType
from typing import Literal, Protocol

import ahocorasick

from ironwatch.core.errors import ConfigurationError
from ironwatch.detect.sigma.database_cache import DatabaseCache, database_key
from ironwatch.detect.sigma.scan_text import event_text, value_text
from ironwatch.detect.speedups import native

hyperscan: ModuleType | None
try:
    import hyperscan
except ImportError:  # pragma: no cover - depends on the platform's wheels
    hyperscan = None


ScannerKind = Literal["native", "hyperscan", "aho-corasick"]
SCANNER_KINDS: tuple[ScannerKind, ...] = ("native", "hyperscan", "aho-corasick")


class LiteralScanner(Protocol):
    def found(self, text: str) -> Set[int]:
        """Indices of the (lowercase) literals that occur in ``text`` lowercased (any case given)."""
        ...

    def event_key(self, event: Mapping[str, object]) -> Hashable:
        """The literals found in the event's scan text (``scan_text.event_text``), as a key: false
        when none is there, equal for equal hits (the engine remembers candidates by it)."""
        ...

    def key_hits(self, key: Hashable) -> Set[int]:
        """The indices of the literals an :meth:`event_key` stands for."""
        ...


class _TextScanner(ABC):
    """``event_key`` for scanners that scan a text: the hits of the event's text, frozen."""

    @abstractmethod
    def found(self, text: str) -> Set[int]: ...

    def event_key(self, event: Mapping[str, object]) -> Hashable:
        return frozenset(self.found(event_text(event)))

    def key_hits(self, key: Hashable) -> Set[int]:
        if not isinstance(key, frozenset):
            raise TypeError(f"not a key of this scanner: {key!r}")
        return key


class NativeScanner:
    """The C literal set: the event's text written and scanned in one call, hits as packed ids."""

    def __init__(self, literals: Sequence[str]) -> None:
        if native is None:
            raise ConfigurationError(
                "the C accelerator (ironwatch.detect._speedups) is not built",
                hint="use the hyperscan or aho-corasick scanner, or reinstall with a C compiler",
            )
        self._set = native.LiteralSet([literal.encode() for literal in literals], value_text)
        # the C method itself: no Python frame per event
        self.event_key: Callable[[Mapping[str, object]], bytes] = self._set.scan_event

    def found(self, text: str) -> Set[int]:
        return self.key_hits(self._set.found(text))

    def key_hits(self, key: Hashable) -> Set[int]:
        if not isinstance(key, bytes):
            raise TypeError(f"not a key of this scanner: {key!r}")
        return set(memoryview(key).cast("I"))


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


class HyperscanScanner(_TextScanner):
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


class AhoCorasickScanner(_TextScanner):
    """pyahocorasick automaton over the same literals, for platforms without Hyperscan."""

    def __init__(self, literals: Sequence[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for index, literal in enumerate(literals):
            self._automaton.add_word(literal, index)
        self._automaton.make_automaton()

    def found(self, text: str) -> set[int]:
        return {index for _end, index in self._automaton.iter(text.lower())}


class EmptyScanner(_TextScanner):
    def found(self, text: str) -> Set[int]:
        return frozenset()

    def event_key(self, event: Mapping[str, object]) -> Hashable:
        return frozenset()


def default_scanner_kind() -> ScannerKind:
    """The fastest scanner this install has: the C literal set, else Hyperscan, else Aho-Corasick."""
    if native is not None:
        return "native"
    return "hyperscan" if hyperscan is not None else "aho-corasick"


def build_scanner(
    literals: Sequence[str], *, kind: ScannerKind | None = None, cache: DatabaseCache | None = None
) -> LiteralScanner:
    """A scanner of ``kind`` (default: :func:`default_scanner_kind`) for ``literals`` (lowercase).

    ``cache`` keeps compiled Hyperscan databases on disk across processes (see database_cache).
    """
    if not literals:
        return EmptyScanner()
    kind = kind or default_scanner_kind()
    if kind == "native":
        return NativeScanner(literals)
    if kind == "hyperscan":
        return HyperscanScanner(literals, cache)
    if kind == "aho-corasick":
        return AhoCorasickScanner(literals)
    raise ConfigurationError(
        f"unknown literal scanner {kind!r}", hint=f"use one of {', '.join(SCANNER_KINDS)}"
    )
