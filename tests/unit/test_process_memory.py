"""Capping glibc's malloc arenas and spacing young collections for ``serve``."""

from __future__ import annotations

import gc
import platform
import sys

import pytest

from ironwatch.process_memory import limit_malloc_arenas, space_young_collections


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
def test_the_cap_is_applied_on_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas(2) is True


def test_an_operator_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas(2) is False


def test_zero_arenas_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        limit_malloc_arenas(0)


def test_young_collections_are_spaced_and_older_generations_kept() -> None:
    before = gc.get_threshold()
    try:
        space_young_collections(5_000)
        assert gc.get_threshold() == (5_000, before[1], before[2])
        with pytest.raises(ValueError, match="at least 1"):
            space_young_collections(0)
    finally:
        gc.set_threshold(*before)
