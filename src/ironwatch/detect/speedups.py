"""The C accelerator of detection's per-event steps, when the install could build it.

``setup.py`` compiles ``ironwatch/detect/_speedups.c`` (CPython's C API only) when a C compiler and
Python's headers are present; the install goes on without it otherwise, and every step runs in
Python. Each C function has a Python twin beside its caller, which is the reference: the tests give
both the same inputs (edge cases and the EVTX corpus) and compare.

* ``collect``: Hyperscan's match callback (``prefilter``): one per literal hit, so a C function
  instead of a Python frame each time.
* ``event_text``: the text of an event's values for the literal scan (``routing.event_text``).
* ``scan_bytes``: that text as the caseless scan takes it (``prefilter.scan_bytes``).
* ``flatten_evtx``: an EVTX record as a flat event (``detect.evtx_fields``).
* ``LiteralSet`` (``_literal_set.c``): the literal scan without Hyperscan's call back per hit
  (``prefilter.NativeScanner``; its references are the Hyperscan and Aho-Corasick scanners).

``IRONWATCH_NO_SPEEDUPS=1`` in the environment runs the Python twins (to rule the accelerator out
while chasing a problem); the detection status (``ironwatch status``, ``/api/v1/status``) says
which is in use.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

DISABLE_VARIABLE = "IRONWATCH_NO_SPEEDUPS"


class LiteralSet(Protocol):
    """``_speedups.LiteralSet``: which of many lowercase literals occur in a text."""

    def found(self, text: str, /) -> bytes: ...

    def scan_event(self, event: Mapping[str, object] | list[object], /) -> bytes: ...

    def __len__(self) -> int: ...


class Speedups(Protocol):
    """What ``ironwatch.detect._speedups`` offers (its stub, ``_speedups.pyi``, says the same)."""

    def collect(self, index: int, start: int, end: int, flags: int, hits: set[int], /) -> None: ...

    def event_text(
        self, values: dict[str, object] | list[object], other: Callable[[object], str], /
    ) -> str: ...

    def scan_bytes(self, text: str, /) -> bytes: ...

    def LiteralSet(self, literals: Sequence[bytes], other: Callable[[object], str], /) -> LiteralSet: ...

    def flatten_evtx(
        self,
        event: dict[str, Any],
        event_id: Callable[[object], object],
        merge: Callable[[dict[str, object], Any], None],
        merge_user: Callable[[dict[str, object], Any], None],
        /,
    ) -> dict[str, object]: ...


def _load() -> tuple[Speedups | None, str]:
    if os.environ.get(DISABLE_VARIABLE, "").strip() not in ("", "0"):
        return None, f"Python (the C accelerator is turned off by {DISABLE_VARIABLE})"
    try:
        from ironwatch.detect import _speedups
    except ImportError as exc:
        return None, (
            f"Python (the C accelerator is not built: {exc}; reinstall with a C compiler and "
            "Python's headers, e.g. apt install gcc python3-dev, for ~15 % faster detection)"
        )
    return _speedups, "C accelerator (ironwatch.detect._speedups)"


native, implementation = _load()
