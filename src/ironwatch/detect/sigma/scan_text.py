"""The text of an event that the literal scan reads: every value, one per line.

One scan over every field rather than one per field: keyword rules (field-less search) need every
value anyway, and one scan is cheaper than many. (``event_text`` is the Python reference, or its C
twin when built; the C literal set, ``prefilter.NativeScanner``, writes the same text itself.)
"""

from __future__ import annotations

from collections.abc import Mapping

from ironwatch.detect.sigma.event_view import text_of
from ironwatch.detect.speedups import native


def value_text(raw: object) -> str:
    """A value that is not a str or int as scanned text: list items one per line, null as nothing."""
    if raw is None:
        return ""
    if isinstance(raw, list | tuple):
        return "\n".join(text_of(item) for item in raw if item is not None)
    return text_of(raw)


def event_text_python(event: Mapping[str, object]) -> str:
    """The event's values as one text, for the literal scan (the scanners match caseless).

    The key fields are scanned too (cheaper than skipping them): a literal inside them is in the
    plan's constant text, so no plan scans for it.
    """
    return "\n".join(
        [
            raw if raw.__class__ is str else str(raw) if raw.__class__ is int else value_text(raw)
            for raw in event.values()
        ]
    )


def event_text_native(event: Mapping[str, object]) -> str:
    """:func:`event_text_python` in C (``ironwatch.detect._speedups``); only when it is built."""
    if native is None:
        raise RuntimeError("the C accelerator (ironwatch.detect._speedups) is not built")
    # an exact dict is read in C directly (while its values are all str or int; it takes a snapshot
    # of them itself otherwise); any other mapping is snapshot here
    return native.event_text(event if type(event) is dict else list(event.values()), value_text)


event_text = event_text_python if native is None else event_text_native
