"""Compiled Hyperscan databases stored on disk: loaded ones scan exactly like fresh compiles."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import pytest

from ironwatch.detect.sigma import Engine, prefilter
from ironwatch.detect.sigma.database_cache import MAGIC, SUFFIX, DatabaseCache, database_key
from ironwatch.detect.sigma.prefilter import HyperscanScanner

from .conftest import LoadYaml
from .rule_text import PROCESS, rule_yaml

pytestmark = pytest.mark.skipif(prefilter.hyperscan is None, reason="Hyperscan is not installed")

LITERALS = ["cmd.exe", "kernel", "café", "\\windows\\", "`", "whoami", "ab"]
TEXTS = [
    "C:\\WINDOWS\\System32\\CMD.EXE /c whoami",
    "\u212aERNEL32.DLL",
    "CAFÉ",
    "powershell `i`e`x ab",
    "nothing here",
    "",
]


def _entries(root: Path) -> list[Path]:
    return sorted(root.glob(f"*{SUFFIX}"))


def test_a_loaded_database_finds_exactly_what_a_fresh_compile_finds(tmp_path: Path) -> None:
    cache = DatabaseCache(tmp_path)
    first = HyperscanScanner(LITERALS, cache)
    assert not first.loaded and len(_entries(tmp_path)) == 1
    second = HyperscanScanner(LITERALS, cache)
    fresh = HyperscanScanner(LITERALS)
    assert second.loaded and cache.hits == 1
    for text in TEXTS:
        assert second.found(text) == fresh.found(text) == first.found(text)


def test_the_key_covers_literal_order_flags_and_mode() -> None:
    base = database_key(["a", "b"], flags=1, mode=1, build=b"x")
    assert base != database_key(["b", "a"], flags=1, mode=1, build=b"x")
    assert base != database_key(["a", "b"], flags=2, mode=1, build=b"x")
    assert base != database_key(["a", "b"], flags=1, mode=2, build=b"x")
    assert base != database_key(["a", "b"], flags=1, mode=1, build=b"y")
    assert base != database_key(["ab"], flags=1, mode=1, build=b"x")


@pytest.mark.parametrize("damage", ["truncated", "garbage payload", "empty"])
def test_a_damaged_entry_is_compiled_again_and_logged_once(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    HyperscanScanner(LITERALS, DatabaseCache(tmp_path))
    (entry,) = _entries(tmp_path)
    data = entry.read_bytes()
    if damage == "truncated":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "garbage payload":  # a valid checksum over bytes Hyperscan refuses
        payload = b"not a database" * 20
        entry.write_bytes(MAGIC + hashlib.sha256(payload).digest() + payload)
    else:
        entry.write_bytes(b"")
    cache = DatabaseCache(tmp_path)
    with caplog.at_level(logging.WARNING, logger="ironwatch.detect"):
        rebuilt = HyperscanScanner(LITERALS, cache)
        HyperscanScanner(["other"], cache)  # a miss: nothing logged
    assert not rebuilt.loaded
    assert len([r for r in caplog.records if "unusable" in r.getMessage()]) == 1
    fresh = HyperscanScanner(LITERALS)
    for text in TEXTS:
        assert rebuilt.found(text) == fresh.found(text)
    again = HyperscanScanner(LITERALS, DatabaseCache(tmp_path))  # the entry was rewritten whole
    assert again.loaded


def test_the_directory_keeps_the_most_recently_used_entries(tmp_path: Path) -> None:
    cache = DatabaseCache(tmp_path, max_entries=2)
    for number, literals in enumerate((["one"], ["two"], ["three"])):
        HyperscanScanner(literals, cache)
        for path in _entries(tmp_path):  # make modification times strictly ordered
            os.utime(path, (path.stat().st_mtime - 10, path.stat().st_mtime - 10))
        assert len(_entries(tmp_path)) == min(number + 1, 2)
    assert not HyperscanScanner(["one"], cache).loaded  # the oldest was dropped
    assert HyperscanScanner(["three"], cache).loaded
    assert not list(tmp_path.glob("*.tmp"))


def test_an_engine_with_a_cache_directory_matches_like_one_without(
    load_yaml: LoadYaml, tmp_path: Path
) -> None:
    ruleset = load_yaml(
        rule_yaml("sel:\n  Image|endswith: '\\cmd.exe'\n  CommandLine|contains: whoami\ncondition: sel"),
        rule_yaml(
            "sel:\n  CommandLine|re: 'net\\s+user'\ncondition: sel",
            rule_id="00000000-0000-0000-0000-000000000009",
        ),
    )
    events = [
        {**PROCESS, "Image": "C:\\x\\cmd.exe", "CommandLine": "WHOAMI /all"},
        {**PROCESS, "CommandLine": "net  user bob"},
        {**PROCESS, "Image": "C:\\x\\cmd.exe", "CommandLine": "dir"},
    ]
    plain = Engine(ruleset)
    expected = [[m.rule_id for m in plain.evaluate(event)] for event in events]
    assert any(expected)
    first = Engine(ruleset, literal_scanner="hyperscan", database_cache=tmp_path / "hs")
    assert [[m.rule_id for m in first.evaluate(event)] for event in events] == expected
    assert first.database_cache is not None and first.database_cache.hits == 0
    second = Engine(ruleset, literal_scanner="hyperscan", database_cache=tmp_path / "hs")
    assert [[m.rule_id for m in second.evaluate(event)] for event in events] == expected
    assert second.database_cache is not None and second.database_cache.hits >= 1
    assert second.database_cache.misses == 0
