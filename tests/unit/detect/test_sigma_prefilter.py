"""The literal scanners report exactly the literals found in the lowercased text, in any case given."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ironwatch.detect.sigma import prefilter
from ironwatch.detect.sigma.prefilter import (
    AhoCorasickScanner,
    HyperscanScanner,
    LiteralScanner,
    NativeScanner,
    scan_bytes,
    scan_bytes_python,
)

# the C twin (when built) and the Python reference must both lower like str.lower()
SCAN_BYTES = [scan_bytes_python] if scan_bytes is scan_bytes_python else [scan_bytes_python, scan_bytes]

LITERALS = ["cmd.exe", "kernel", "café", "élan", "®", "\\windows\\", "`", "i\u0307stanbul"]
TEXTS = [
    "C:\\WINDOWS\\System32\\CMD.EXE /c whoami",  # ASCII, scanned as given
    "\u212aERNEL32.DLL",  # the Kelvin sign lowercases to an ASCII k
    "CAFÉ ÉLAN",  # non-ASCII capitals lowercase to the literals' letters
    "Microsoft® Windows®",
    "\u0130STANBUL",  # the dotted capital I lowercases to i + combining dot
    "powershell `i`e`x",
    "nothing here",
    "",
]


def _expected(text: str) -> set[int]:
    lowered = text.lower()
    return {index for index, literal in enumerate(LITERALS) if literal in lowered}


SCANNERS: list[type[LiteralScanner]] = [AhoCorasickScanner]
if prefilter.hyperscan is not None:
    SCANNERS.append(HyperscanScanner)
if prefilter.native is not None:
    SCANNERS.append(NativeScanner)


@pytest.mark.parametrize("scanner_type", SCANNERS)
@pytest.mark.parametrize("text", TEXTS)
def test_scanner_hits_equal_substring_search_of_lowercased_text(
    scanner_type: type[LiteralScanner], text: str
) -> None:
    scanner = scanner_type(LITERALS)  # type: ignore[call-arg]
    assert scanner.found(text) == _expected(text)
    # the event's key stands for the same hits (the event's text is its values, one per line)
    key = scanner.event_key({"a": text, "b": 7})
    assert scanner.key_hits(key) == _expected(f"{text}\n7")
    assert bool(key) == bool(_expected(f"{text}\n7"))


def test_expected_hits_cover_the_tricky_cases() -> None:
    assert _expected(TEXTS[1]) == {1}
    assert _expected(TEXTS[2]) == {2, 3}
    assert _expected(TEXTS[4]) == {7}


@pytest.mark.parametrize(
    "text",
    [
        "C:\\Windows\\CMD.EXE",
        "Microsoft® Windows® Operating System",
        "ÉCOLE Straße ÀÖØÞ \u00d7 ÿ µ",
        "Kelvin \u212a and \u0130stanbul",  # beyond Latin-1: lower() itself
        "",
    ],
)
@pytest.mark.parametrize("convert", SCAN_BYTES, ids=lambda f: f.__module__)
def test_scan_bytes_are_the_lowercased_text(text: str, convert: Callable[[str], bytes]) -> None:
    expected = text.encode() if text.isascii() else text.lower().encode()
    assert convert(text) == expected
    assert type(convert(text)) is bytes


@pytest.mark.parametrize("convert", SCAN_BYTES, ids=lambda f: f.__module__)
def test_latin1_table_lowercases_like_str_lower(convert: Callable[[str], bytes]) -> None:
    for code in range(256):
        char = chr(code)
        assert convert(f"\u00e9{char}") == f"\u00e9{char}".lower().encode(), hex(code)
        assert convert(f"\u00e9{char}" * 3 + "x" * 40) == (f"\u00e9{char}" * 3 + "x" * 40).lower().encode()
