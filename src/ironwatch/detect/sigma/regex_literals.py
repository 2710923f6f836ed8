"""Text a regular expression cannot match without: a cheap test ahead of RE2.

A call into RE2 costs ~1-2 µs (the binding, the UTF-8 copy); ``needle in text`` tens of
nanoseconds. Most regexes in rules need some literal text (``https?://0[0-9]{1,11}`` needs
``http``), and most values tested lack it, so testing for that text first skips most RE2 calls.

``required_text(pattern)`` says which texts any match contains, as alternatives of needles that
must all be there (``(("net", "find"), ("ipconfig", "find"))`` for ``.*net.*find.*|.*ipconfig.*find.*``),
or ``None`` when it cannot tell.
It reads the pattern with Python's own regex parser, which agrees with RE2 on what is a literal
for the syntax both share; patterns with syntax RE2 reads differently are refused up front (a
POSIX class such as ``[[:alpha:]]``), and syntax Python does not know (``\\pL``, ``\\Q...\\E``,
``\\x{41}``, ``\\z``) fails to parse, so gets no needles. Case-insensitive parts give no needles
unless they hold no letters. ``tests/unit/detect/test_regex_literals.py`` checks, for every
regex of the SigmaHQ corpus, that no corpus value RE2 matches lacks the needles.

Example: ``required_text("(?s)cmd.{0,5}(?:/c|/r).+powershell")`` is ``(("cmd", "powershell"),)``.
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Callable
from typing import Any

# Python's own regex parser (re._parser since 3.11; ironwatch needs 3.11+)
sre_parse: Any = importlib.import_module("re._parser")
sre_constants: Any = importlib.import_module("re._constants")

MIN_NEEDLE = 3  # shorter needles are in too many values to be worth a test
MAX_NEEDLES = 24  # `in` tests cost ~40 ns each: two dozen still cost less than one RE2 call

_LITERAL = sre_constants.LITERAL
_SUBPATTERN = sre_constants.SUBPATTERN
_BRANCH = sre_constants.BRANCH
_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT)
_POSSESSIVE = getattr(sre_constants, "POSSESSIVE_REPEAT", None)

# "any of these groups, each needing all of its needles": ((a, b), (c,)) is (a and b) or c
Requirement = tuple[tuple[str, ...], ...]


def required_text(pattern: str) -> Requirement | None:
    """What any match of ``pattern`` (RE2 syntax) contains, or ``None`` when it cannot tell.

    ``((a, b), (c,))``: every match contains both ``a`` and ``b``, or contains ``c``.
    """
    if "[:" in pattern:  # POSIX classes: Python reads [[:alpha:]] as a set and a "]"
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "possible nested set" and the like
            parsed = sre_parse.parse(pattern)
    except (re.error, ValueError, OverflowError, RecursionError):
        return None
    return _sequence(list(parsed), bool(parsed.state.flags & re.IGNORECASE))


def holds(requirement: Requirement, text: str) -> bool:
    """Whether ``text`` holds ``requirement`` (the reference for :func:`requirement_test`)."""
    return any(all(needle in text for needle in group) for group in requirement)


def requirement_test(requirement: Requirement) -> Callable[[str], bool]:
    """A fast :func:`holds` for one requirement (the common shapes without a Python loop)."""
    if len(requirement) == 1:
        (group,) = requirement
        if len(group) == 1:
            (needle,) = group
            return lambda text: needle in text
        return lambda text: all(map(text.__contains__, group))
    if all(len(group) == 1 for group in requirement):
        needles = tuple(group[0] for group in requirement)
        return lambda text: any(map(text.__contains__, needles))
    return lambda text: any(all(map(text.__contains__, group)) for group in requirement)


def _size(requirement: Requirement) -> int:
    return sum(map(len, requirement))


def _sequence(items: list[tuple[Any, Any]], caseless: bool) -> Requirement | None:
    """What a match of this sequence of items must contain: every part's requirement, joined."""
    parts: list[Requirement] = []
    run: list[str] = []

    def close_run() -> None:
        if run:
            text = "".join(run)
            if len(text) >= MIN_NEEDLE and (not caseless or text.lower() == text.upper()):
                parts.append(((text,),))
            run.clear()

    for op, argument in items:
        if op is _LITERAL:
            run.append(chr(argument))
            continue
        close_run()
        inner: Requirement | None = None
        if op is _SUBPATTERN:
            _group, added, removed, body = argument
            if not (added & re.IGNORECASE or removed & re.IGNORECASE):  # else: not required as written
                inner = _sequence(list(body), caseless)
        elif op is _BRANCH:
            inner = _branches(argument[1], caseless)
        elif op in _REPEATS or (_POSSESSIVE is not None and op is _POSSESSIVE):
            low, _high, body = argument
            if low >= 1:
                inner = _sequence(list(body), caseless)
        if inner is not None:
            parts.append(inner)
    close_run()
    return _all_of(parts)


def _all_of(parts: list[Requirement]) -> Requirement | None:
    """All of ``parts``: groups multiplied out while that stays small, else the best part alone."""
    if not parts:
        return None
    combined: Requirement = ((),)
    for part in sorted(parts, key=len):
        product = tuple(left + right for left in combined for right in part)
        if _size(product) > MAX_NEEDLES:
            break
        combined = product
    if combined == ((),):
        return min(parts, key=_size) if _size(min(parts, key=_size)) <= MAX_NEEDLES else None
    return combined


def _branches(branches: list[Any], caseless: bool) -> Requirement | None:
    """An alternation: one of its branches' requirements; None if a branch requires nothing."""
    groups: list[tuple[str, ...]] = []
    for branch in branches:
        requirement = _sequence(list(branch), caseless)
        if requirement is None:
            return None
        groups.extend(requirement)
    result = tuple(groups)
    return result if _size(result) <= MAX_NEEDLES else None
