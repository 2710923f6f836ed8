"""The C literal set (``_literal_set.c``) finds exactly the literals in the lowercased scan text.

The references: substring search in ``text.lower()`` (Python), ``scan_text.event_text`` for an
event's text, and the Hyperscan scanner on the corpus's own route plans (every plan the corpus
builds, every corpus event).
"""

from __future__ import annotations

import functools
import random
import sys
from pathlib import Path

import pytest

from ironwatch.detect.evtx_fields import iter_evtx_events
from ironwatch.detect.sigma import Engine, load_rules
from ironwatch.detect.sigma.prefilter import HyperscanScanner, NativeScanner, hyperscan
from ironwatch.detect.sigma.scan_text import event_text_python, value_text
from ironwatch.detect.speedups import native

pytestmark = pytest.mark.skipif(native is None, reason="the C accelerator is not built")
CORPUS = Path(__file__).resolve().parents[4] / "shared" / "corpus"


def _set(literals: list[str]) -> object:
    assert native is not None
    return native.LiteralSet([literal.encode() for literal in literals], value_text)


def _ids(found: bytes) -> list[int]:
    return list(memoryview(found).cast("I"))


def _expected(literals: list[str], text: str) -> list[int]:
    lowered = text.lower()
    return [index for index, literal in enumerate(literals) if literal in lowered]


def test_hits_are_the_literals_in_the_lowercased_text_ascending_once_each() -> None:
    literals = ["cmd.exe", "c", "/c", "cmd", "windows\\system32", "®", "é", "\\windows\\"]
    scanner = _set(literals)
    text = "C:\\WINDOWS\\System32\\CMD.EXE /c cmd cmd ® École"
    assert _ids(scanner.found(text)) == _expected(literals, text) == [0, 1, 2, 3, 4, 5, 6, 7]  # type: ignore[attr-defined]
    assert scanner.found("nothing to see") == b""  # type: ignore[attr-defined]
    assert len(scanner) == len(literals)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a",
        "ab",
        "abc",
        "abcd",
        "xxabcd",  # a literal at the very end
        "abcdxx",  # and at the very start
        "aaaaaaaaaa",  # overlapping occurrences of the same literal
        "\u212aERNEL32",  # the Kelvin sign lowercases to an ASCII k
        "\u0130STANBUL",  # the dotted capital I lowercases to i + a combining dot
        "ΟΔΟΣ ΣΑΣ",  # final sigma: lower() picks the form by context
        "Straße ÀÖØÞ \u00d7 ÿ µ",
        "emoji 🙂 wide",
    ],
)
def test_edges_of_the_text_and_of_unicode_lowercasing(text: str) -> None:
    literals = ["a", "ab", "abc", "abcd", "aaaa", "kernel32", "i\u0307stanbul", "οδος", "σας", "ς", "straße",
                "àöøþ", "\u00d7", "🙂 w", "d"]  # fmt: skip
    assert _ids(_set(literals).found(text)) == _expected(literals, text)  # type: ignore[attr-defined]


def test_latin1_text_lowercases_like_str_lower_for_every_code_point() -> None:
    for code in range(256):
        char = chr(code)
        literal = f"\u00e9{char}".lower()
        scanner = _set([literal, char.lower()])
        text = f"x\u00e9{char.upper() if char.upper() != char and len(char.upper()) == 1 else char}"
        assert _ids(scanner.found(text)) == _expected([literal, char.lower()], text), hex(code)  # type: ignore[attr-defined]


def test_random_literals_and_texts_against_substring_search() -> None:
    rng = random.Random(2407)
    alphabet = "abcAB\\:. é®\u212a"
    for _ in range(300):
        literals = sorted(
            {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 7))).lower() for _ in range(40)}
        )
        scanner = _set(literals)
        for _ in range(10):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
            assert _ids(scanner.found(text)) == _expected(literals, text), (literals, text)  # type: ignore[attr-defined]


def test_a_literal_given_twice_is_reported_under_both_indices() -> None:
    assert _ids(_set(["cmd", "x", "cmd"]).found("CMD")) == [0, 2]  # type: ignore[attr-defined]


class Loud:
    def __str__(self) -> str:
        return "LOUD"


EVENTS: list[dict[str, object]] = [
    {"a": "Plain", "b": 4624, "c": -17, "d": 2**80, "e": True, "f": False, "g": None},
    {"list": ["One", None, 2, True, "ÉTÉ"], "tuple": ("x", None), "empty": [], "nones": [None, None]},
    {"float": 1.5, "nested": [["in", "side"]], "dict": {"k": "v"}, "loud": Loud(), "last": "End"},
    {"wide": "ΟΔΟΣ", "latin": "CAFÉ®", "ascii": "C:\\Windows"},
    {},
]


@pytest.mark.parametrize("event", EVENTS)
def test_an_events_text_is_the_one_event_text_writes(event: dict[str, object]) -> None:
    text = event_text_python(event)
    literals = sorted({text.lower()[i : i + n] for n in (1, 3, 5) for i in range(len(text))} - {""})
    literals += ["\n\n", "absent", "one\n2\ntrue", "1.5", "loud", "true\nfalse\n"]
    scanner = _set(literals)
    expected = _expected(literals, text)
    assert _ids(scanner.scan_event(event)) == expected  # type: ignore[attr-defined]
    assert _ids(scanner.scan_event(list(event.values()))) == expected  # type: ignore[attr-defined]

    class Mapping(dict[str, object]):  # not an exact dict: read through the mapping protocol
        pass

    assert _ids(scanner.scan_event(Mapping(event))) == expected  # type: ignore[attr-defined]


def test_a_dict_changed_by_a_value_being_read_is_scanned_as_it_was() -> None:
    event: dict[str, object] = {"a": "first"}

    class Grower:
        def __str__(self) -> str:
            event["grown"] = "late"
            return "grower"

    event["b"] = Grower()
    scanner = _set(["first", "grower", "late"])
    assert _ids(scanner.scan_event(event)) == [0, 1]  # type: ignore[attr-defined]


def test_bad_input_is_refused_with_a_message() -> None:
    assert native is not None
    with pytest.raises(TypeError, match="literal 1 is not a non-empty bytes"):
        native.LiteralSet([b"ok", b""], value_text)
    with pytest.raises(TypeError, match="literal 0 is not a non-empty bytes"):
        native.LiteralSet(["text"], value_text)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="must be callable"):
        native.LiteralSet([b"ok"], None)  # type: ignore[arg-type]
    scanner = native.LiteralSet([b"ok"], lambda value: 15)  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="must return a str"):
        scanner.scan_event({"a": 1.5})
    with pytest.raises(TypeError, match="must be a str"):
        scanner.found(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a mapping or a list"):
        scanner.scan_event("text")  # type: ignore[arg-type]


def test_an_empty_set_finds_nothing() -> None:
    assert _set([]).found("anything") == b""  # type: ignore[attr-defined]


class Broken:
    def __str__(self) -> str:
        raise ValueError("no text")


def test_scans_leak_no_references() -> None:
    assert native is not None
    loud, text = Loud(), "Microsoft® Windows® ΟΔΟΣ " * 4
    items: list[object] = ["x", None, 3]
    other = functools.partial(value_text)  # a frame of value_text holds value_text, not this
    scanner = native.LiteralSet([b"loud", b"windows", "οδος".encode()], other)
    before = [sys.getrefcount(item) for item in (loud, text, items, other)]
    for _ in range(2000):
        scanner.found(text)
        scanner.scan_event({"a": text, "b": 5, "c": items})
        scanner.scan_event({"a": loud, "b": text})
        scanner.scan_event([loud, items])
        with pytest.raises(ValueError):
            scanner.scan_event({"a": text, "b": Broken()})
    assert [sys.getrefcount(item) for item in (loud, text, items, other)] == before
    held = sys.getrefcount(other)
    del scanner  # the set's reference to other() goes with it
    assert sys.getrefcount(other) == held - 1


@pytest.mark.slow
@pytest.mark.skipif(hyperscan is None, reason="Hyperscan is not installed on this platform")
@pytest.mark.skipif(not (CORPUS / "evtx").is_dir(), reason=f"public corpus not found at {CORPUS}")
def test_same_hits_as_hyperscan_for_every_corpus_plan_and_event() -> None:
    """Every route plan the Windows rules build on the corpus, every corpus event: equal hits."""
    engine = Engine(load_rules(paths=[CORPUS / "sigma" / "rules" / "windows"]))
    events = [event for path in sorted((CORPUS / "evtx").rglob("*.evtx")) for event in iter_evtx_events(path)]
    pairs = {}
    for event in events:
        plan = engine._event_plan(event)
        if plan.literals and plan.literals not in pairs:
            pairs[plan.literals] = (NativeScanner(plan.literals), HyperscanScanner(plan.literals))
    assert len(pairs) > 20
    hits = 0
    for event in events:
        literals = engine._event_plan(event).literals
        if literals:
            ours, reference = pairs[literals]
            expected = reference.key_hits(reference.event_key(event))
            assert ours.key_hits(ours.event_key(event)) == expected, event
            hits += len(expected)
    assert hits > len(events)  # the comparison saw hits, not just empty sets
