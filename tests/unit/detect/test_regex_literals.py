"""The text a regex needs (checked before RE2 runs) is really in every text RE2 matches."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from ironwatch.core.errors import ValidationError
from ironwatch.detect.evtx_fields import iter_evtx_events
from ironwatch.detect.sigma.regex import compile_re2, re2_predicate
from ironwatch.detect.sigma.regex_literals import holds, required_text, requirement_test

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"


@pytest.mark.parametrize(
    ("pattern", "requirement"),
    [
        ("https?://0[0-9]{1,11}", (("http", "://0"),)),
        ("(?s)cmd.{0,5}(?:/c|/r).+powershell", (("cmd", "powershell"),)),
        ("net\\s+user\\s+", (("net", "user"),)),
        (" -nop | -w hidden |vssadmin", ((" -nop ",), (" -w hidden ",), ("vssadmin",))),
        ("(?:.*ipconfig.*\\|.*find.*)|(?:.*net.*\\|.*find.*)", (("ipconfig", "find"), ("net", "find"))),
        ("(?:abc)+xyz", (("abc", "xyz"),)),
        ("(?:abc)*xyz", (("xyz",),)),  # an optional part needs nothing
        ("(?:abc)?", None),
        ("a|bcd", None),  # one branch needs no text this length
        ("0x[a-f0-9]{8}", None),  # needles under three characters are not worth a test
        ("(?i)powershell", None),  # caseless letters: not required as written
        ("(?i)12345", (("12345",),)),  # caseless, but no letters
        ("(?i:abc)def", (("def",),)),
        ("[[:alpha:]]]]]", None),  # a POSIX class, which Python would read as a set and "]"
        ("\\pLabc", None),  # syntax Python does not know: no needles
        ("\\Qa.b\\E", None),
        ("x\\x{41}yz", None),
        ("", None),
    ],
)
def test_required_text(pattern: str, requirement: tuple[tuple[str, ...], ...] | None) -> None:
    assert required_text(pattern) == requirement


@pytest.mark.parametrize(
    "requirement",
    [(("abc",),), (("abc", "def"),), (("abc",), ("def",)), (("abc", "def"), ("ghi",))],
)
def test_the_fast_test_agrees_with_the_reference(requirement: tuple[tuple[str, ...], ...]) -> None:
    fast = requirement_test(requirement)
    for text in ["", "abc", "def", "abcdef", "ghi", "xx abc yy def", "ab cd ef gh"]:
        assert fast(text) == holds(requirement, text)


def test_a_text_without_the_needles_is_refused_without_changing_the_answer() -> None:
    compiled = compile_re2("https?://0[0-9]{1,11}", "s")
    test = re2_predicate(compiled)
    assert test("see http://0123 now")
    assert not test("see https://example.org")
    assert not test("no link here")


def _rule_regexes(root: Path) -> list[tuple[str, str]]:
    """(pattern, flags) of every ``|re`` value of the rules under ``root``."""
    found: list[tuple[str, str]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and "|re" in key:
                    modifiers = key.split("|")[1:]
                    flags = "".join(m.split(":")[1] for m in modifiers if m.startswith("re:"))
                    for item in value if isinstance(value, list) else [value]:
                        if isinstance(item, str):
                            found.append((item, "".join(sorted(set(flags)))))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for path in sorted(root.rglob("*.yml")):
        try:
            documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        for document in documents:
            if isinstance(document, dict):
                walk(document.get("detection"))
    return found


def test_every_corpus_regex_needs_its_text_in_every_corpus_value_it_matches() -> None:
    """Every ``|re`` regex of the SigmaHQ corpus on every value of the EVTX corpus (plus texts
    built to match): wherever RE2 finds a match, the required text is there."""
    if not (CORPUS / "sigma").is_dir() or not (CORPUS / "evtx").is_dir():
        pytest.skip(f"corpus not at {CORPUS} (CI has it)")
    regexes = _rule_regexes(CORPUS / "sigma")
    assert len(regexes) > 100
    values = sorted(
        {
            str(value)
            for path in sorted((CORPUS / "evtx").rglob("*.evtx"))
            for event in iter_evtx_events(path)
            for value in event.values()
            if isinstance(value, str | int)
        }
    )
    rng = random.Random(27035)
    checked = with_needles = 0
    for pattern, flags in regexes:
        try:
            compiled = compile_re2(pattern, flags)
        except ValidationError:  # rules RE2 refuses are reported at load, not run
            continue
        requirement = required_text(compiled.pattern)
        if requirement is None:
            continue
        with_needles += 1
        # every value, and samples with the needles glued in (so some of them match)
        texts = values + [" ".join(group) + " " + rng.choice(values) for group in requirement]
        for text in texts:
            if compiled.search(text) is not None:
                checked += 1
                assert holds(requirement, text), (pattern, requirement, text[:200])
    assert with_needles > 50 and checked > 0, (with_needles, checked)
