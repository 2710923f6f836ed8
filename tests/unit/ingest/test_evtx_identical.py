"""The EVTX reader's output is exactly what it was before the speed work, field by field, on every
corpus file (the old reader is frozen in ``evtx_reference.py``), with ironwatch's C reader and without."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import orjson
import pytest

from ironwatch.ingest import Event, ParseFailure
from ironwatch.ingest.parsers import evtx_records, read_evtx
from ironwatch.ingest.parsers.base import ParseContext

from . import evtx_reference
from .conftest import FixedClock


@pytest.fixture(params=["c reader", "evtx package"], autouse=True)
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs with ironwatch's C reader and with the evtx package alone."""
    name: str = request.param
    if name == "c reader" and evtx_records.native is None:
        pytest.skip(evtx_records.implementation)
    if name == "evtx package":
        monkeypatch.setattr(evtx_records, "native", None)
    return name


def _numbered_ids() -> ParseContext:
    counter = count()
    return ParseContext(id_factory=lambda: f"id-{next(counter)}")


def _assert_same(new: list[Event | ParseFailure], old: list[Event | ParseFailure], where: str) -> None:
    assert len(new) == len(old), where
    for index, (ours, theirs) in enumerate(zip(new, old, strict=True)):
        assert type(ours) is type(theirs), f"{where} #{index}"
        for item in dataclasses.fields(ours):
            mine, reference = getattr(ours, item.name), getattr(theirs, item.name)
            if item.name == "original" and isinstance(ours, Event) and mine != reference:
                # ironwatch's C reader re-encodes the record as JSON: the same document, though
                # escapes may be spelt differently (\u000f, not \u000F)
                mine, reference = orjson.loads(mine), orjson.loads(reference)
            # repr: same values, same types (1 is not "1"), same key order, same time zones
            assert repr(mine) == repr(reference), f"{where} #{index}: {item.name} differs"


def _corpus_files(root: Path) -> Iterator[Path]:
    yield from sorted(root.rglob("*.evtx"))


@pytest.mark.parametrize("deterministic", [True, False])
def test_every_corpus_event_is_unchanged(corpus_evtx: Path, deterministic: bool) -> None:
    files = list(_corpus_files(corpus_evtx))
    assert files
    for path in files:
        new = list(
            read_evtx(path, clock=FixedClock(), context=_numbered_ids(), deterministic_ids=deterministic)
        )
        old = list(
            evtx_reference.read_evtx(
                path, clock=FixedClock(), context=_numbered_ids(), deterministic_ids=deterministic
            )
        )
        _assert_same(new, old, str(path.relative_to(corpus_evtx)))


def test_a_corrupted_chunk_is_unchanged(corpus_evtx: Path, tmp_path: Path) -> None:
    original = corpus_evtx / "AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx"
    data = bytearray(original.read_bytes())
    data[4096 + 65536 + 700 : 4096 + 65536 + 900] = b"\xa5" * 200  # inside the second chunk's records
    damaged = tmp_path / "corrupt.evtx"
    damaged.write_bytes(bytes(data))
    new = list(read_evtx(damaged, clock=FixedClock(), deterministic_ids=True))
    old = list(evtx_reference.read_evtx(damaged, clock=FixedClock(), deterministic_ids=True))
    _assert_same(new, old, "corrupt.evtx")


def test_a_truncated_file_is_unchanged(corpus_evtx: Path, tmp_path: Path) -> None:
    original = corpus_evtx / "AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx"
    damaged = tmp_path / "cut.evtx"
    damaged.write_bytes(original.read_bytes()[: 4096 + 65536 + 1000])
    new = list(read_evtx(damaged, clock=FixedClock(), deterministic_ids=True))
    old = list(evtx_reference.read_evtx(damaged, clock=FixedClock(), deterministic_ids=True))
    assert any(isinstance(item, ParseFailure) for item in new)
    _assert_same(new, old, "cut.evtx")
