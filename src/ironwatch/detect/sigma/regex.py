"""Regular expressions from rules run on RE2: linear time, no backtracking blow-ups.

A pattern RE2 cannot express (backreferences, lookaround) is refused with the reason; there is
no fallback to Python's ``re``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import re2

from ironwatch.core.errors import ValidationError
from ironwatch.detect.sigma.regex_literals import required_text, requirement_test

_PUNCTUATION = frozenset("\\.^$|?*+()[]{}")
_ESCAPES = str.maketrans({char: "\\" + char for char in _PUNCTUATION})


def escape_literal(text: str) -> str:
    """Escape ``text`` so RE2 matches it literally (only RE2 metacharacters are escaped)."""
    return text.translate(_ESCAPES)


def compile_re2(pattern: str, flags: str = "") -> Any:
    """Compile ``pattern`` with RE2; ``flags`` holds any of ``i``, ``m``, ``s``.

    Raises :class:`ValidationError` naming the construct RE2 rejected.
    """
    options = re2.Options()
    options.log_errors = False
    prefix = f"(?{''.join(sorted(set(flags)))})" if flags else ""
    try:
        return re2.compile(prefix + pattern, options=options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValidationError(
            f"regular expression {pattern!r} is not supported by RE2: {reason}",
            hint="rewrite it without backreferences or lookaround (RE2 syntax)",
        ) from exc


TextPredicate = Callable[[str], bool]


def re2_predicate(compiled: Any, *, anchored: bool = False) -> TextPredicate:
    """A yes/no test of ``compiled`` (from :func:`compile_re2`) on a text, without building a match.

    google-re2's ``search`` wraps every call in a generator that maps byte offsets back to
    characters (~3 µs); a boolean test needs none of that, so this calls the RE2 object's
    ``Match`` on the UTF-8 bytes directly (~1 µs) and falls back to ``search`` if the binding
    changes shape. When the pattern needs some literal text (:func:`required_text`), a text
    without it is refused before RE2 is called.
    """
    native = getattr(compiled, "_regexp", None)
    match = getattr(native, "Match", None)
    anchor = getattr(re2, "_Anchor", None)
    if match is None or anchor is None:
        if anchored:
            return lambda text: compiled.fullmatch(text) is not None
        return lambda text: compiled.search(text) is not None
    mode = anchor.ANCHOR_BOTH if anchored else anchor.UNANCHORED
    pattern = getattr(compiled, "pattern", None)
    needles = required_text(pattern) if isinstance(pattern, str) else None

    def test(text: str) -> bool:
        data = text.encode()
        return bool(match(mode, data, 0, len(data))[0][0] != -1)

    if needles is None:
        return test
    prefilter = requirement_test(needles)  # RE2 only when the text holds what any match holds

    def test_required(text: str) -> bool:
        if not prefilter(text):
            return False
        data = text.encode()
        return bool(match(mode, data, 0, len(data))[0][0] != -1)

    return test_required
