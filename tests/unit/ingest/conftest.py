from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ironwatch.ingest import Event, ParseFailure
from ironwatch.ingest.parsers import parse_stream

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "logs"
CORPUS = REPO.parent / "shared" / "corpus"
RECEIVED = datetime(2024, 1, 5, 12, 0, tzinfo=UTC)


class FixedClock:
    def now(self) -> datetime:
        return RECEIVED


def parse_fixture(name: str, fmt: str = "auto", **kwargs: object) -> list[Event | ParseFailure]:
    lines = (FIXTURES / name).read_bytes().splitlines(keepends=True)
    return list(parse_stream(lines, format=fmt, source=name, clock=FixedClock(), **kwargs))  # type: ignore[arg-type]


def events_of(results: list[Event | ParseFailure]) -> list[Event]:
    return [item for item in results if isinstance(item, Event)]


def failures_of(results: list[Event | ParseFailure]) -> list[ParseFailure]:
    return [item for item in results if isinstance(item, ParseFailure)]


@pytest.fixture
def corpus_evtx() -> Path:
    root = CORPUS / "evtx"
    if not root.is_dir():
        pytest.skip(
            f"public EVTX corpus not present at {root} (expected ../shared/corpus/evtx next to the repo)"
        )
    return root
