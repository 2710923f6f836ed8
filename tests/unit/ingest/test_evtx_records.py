"""ironwatch's C EVTX reader gives the ``evtx`` package's documents, record for record.

The package is the judge: hand-made records with every value type and element shape (built by
``evtx_builder``) and every record of the corpus are read both ways and compared by ``repr``
(same values, same types, same key order). What the C reader leaves to the package (floats, lone
surrogates, character references) must raise ``BinXmlError`` so ``iter_records`` hands the chunk
over; damaged input never crashes it.
"""

from __future__ import annotations

import gc
import io
import os
import random
import struct
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import orjson
import pytest
from evtx import PyEvtxParser

from ironwatch.ingest.parsers import evtx_records
from ironwatch.ingest.parsers.evtx_records import EvtxRecord, iter_records

from .evtx_builder import CharRef, Element, EntityRef, Sub, Value, evtx_file, nested

native = evtx_records.native
needs_native = pytest.mark.skipif(
    native is None, reason=f"C reader not in use: {evtx_records.implementation}"
)


def test_the_c_reader_is_built_where_it_is_required() -> None:
    """CI (and anyone who sets the variable) must not pass on the package alone by accident."""
    if os.environ.get("IRONWATCH_REQUIRE_SPEEDUPS") and not os.environ.get(evtx_records.DISABLE_VARIABLE):
        assert native is not None, evtx_records.implementation
    assert evtx_records.implementation.startswith("ironwatch C reader" if native else "evtx package")


def test_the_environment_variable_turns_the_c_reader_off() -> None:
    code = "from ironwatch.ingest.parsers import evtx_records as e; print(e.native is None, e.implementation)"
    env = {**os.environ, evtx_records.DISABLE_VARIABLE: "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.startswith(
        "True evtx package (ironwatch's C reader is turned off by IRONWATCH_NO_SPEEDUPS)"
    )


def _system() -> Element:
    return Element(
        "System",
        children=[
            Element("Provider", attributes=[("Name", "Test-Provider"), ("Guid", Sub(1, optional=True))]),
            Element("EventID", text=Sub(0)),
        ],
    )


def _event(*data: Element) -> Element:
    return Element(
        "Event",
        attributes=[("xmlns", "http://schemas.microsoft.com/win/2004/08/events/event")],
        children=[_system(), Element("EventData", children=list(data))],
    )


def _named(name: str, index: int, *, optional: bool = False) -> Element:
    return Element("Data", attributes=[("Name", name)], text=Sub(index, optional))


BASE = [Value.u16(4624), Value(0x0F, bytes(range(16)))]  # EventID, provider GUID


def _typed(*values: Value) -> tuple[Element, list[Value]]:
    """One named <Data> per value."""
    return _event(*(_named(f"F{number}", number + 2) for number in range(len(values)))), [*BASE, *values]


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


CASES: dict[str, tuple[Element, list[Value]]] = {
    "integers": _typed(
        Value(0x03, b"\xff"),
        Value(0x04, b"\xff"),
        Value(0x05, b"\xff\xff"),
        Value(0x06, b"\x34\x12"),
        Value(0x07, b"\xff\xff\xff\xff"),
        Value(0x08, b"\xff\xff\xff\xff"),
        Value(0x09, b"\xff" * 8),
        Value(0x0A, b"\xff" * 8),
    ),
    "booleans": _typed(Value(0x0D, b"\x01\0\0\0"), Value(0x0D, b"\0\0\0\0")),
    "binary": _typed(Value(0x0E, b"\x00\xab\xff"), Value(0x0E, b"")),
    "guid": _typed(Value(0x0F, bytes(range(16, 32)))),
    "size_t": _typed(Value(0x10, struct.pack("<Q", 0x1234)), Value(0x10, struct.pack("<I", 0xAB))),
    "file_times": _typed(
        Value(0x11, struct.pack("<Q", 132_223_104_000_000_000)),
        Value(0x11, struct.pack("<Q", 0)),
        Value(0x11, struct.pack("<Q", 132_223_104_001_234_567)),
    ),
    "system_time": _typed(
        Value(0x12, struct.pack("<8H", 2020, 1, 3, 2, 13, 5, 6, 789)),
        Value(0x12, struct.pack("<8H", 2024, 2, 4, 29, 23, 59, 59, 0)),
    ),
    "sids": _typed(
        Value(0x13, bytes([1, 5, 0, 0, 0, 0, 0, 5]) + struct.pack("<5I", 21, 1, 2, 3, 500)),
        Value(0x13, bytes([1, 1, 0, 0, 0, 0, 0, 1]) + struct.pack("<I", 0)),
    ),
    "hex_integers": _typed(
        Value(0x14, struct.pack("<I", 0)),
        Value(0x15, struct.pack("<Q", 2**64 - 1)),
        Value(0x14, struct.pack("<I", 0xABC)),
    ),
    "strings": _typed(
        Value.text("plain"),
        Value.text(""),
        Value.text("trailing NULs\0\0"),
        Value.text("naïve ☃ 𝄞"),
        Value.text('a\nb"c\\'),
    ),
    "ansi_strings": _typed(Value(0x02, b"ansi\0"), Value(0x02, b"")),
    "nulls": _typed(Value.null(), Value.null()),
    "arrays": _typed(
        Value(0x81, _utf16("a\0bb\0\0c\0")),
        Value(0x86, struct.pack("<3H", 1, 2, 3)),
        Value(0x88, struct.pack("<2I", 7, 8)),
        Value(0x81, b""),
        Value(0x8F, bytes(range(32))),
    ),
    "unnamed_data": (
        _event(Element("Data", text=Sub(2)), Element("Data", text=Sub(3)), Element("Data", text=Sub(4))),
        [*BASE, Value.text("x"), Value.text(""), Value(0x81, _utf16("p\0q\0"))],
    ),
    "unnamed_data_empty": (_event(Element("Data", text=Sub(2))), [*BASE, Value.text("")]),
    "unnamed_data_without_content": (_event(Element("Data")), BASE),
    "named_data_without_content": (_event(Element("Data", attributes=[("Name", "E")])), BASE),
    "optional_nulls": (
        _event(_named("O", 2, optional=True), Element("Other", text=Sub(3, optional=True))),
        [*BASE, Value.null(), Value.null()],
    ),
    "text_and_integer_parts": (_event(Element("U", text=["x", Sub(2)])), [*BASE, Value.u16(5)]),
    "text_parts": (_event(Element("U", text=["x", Sub(2), "z"])), [*BASE, Value.text("y")]),
    "entity_reference": (_event(Element("T", text=["a", EntityRef("amp"), "b", EntityRef("lt")])), BASE),
    "attributes_and_text": (
        _event(Element("Binary", attributes=[("Kind", Sub(2))], text=Sub(3))),
        [*BASE, Value.u16(1), Value.text("z")],
    ),
    "null_attribute": (
        _event(Element("B", attributes=[("K", Sub(2, optional=True))], text="t")),
        [*BASE, Value.null()],
    ),
    "repeated_names": (
        _event(
            Element("X", text="1"),
            Element("X", text="2"),
            Element("X", text="3"),
            _named("D", 2),
            _named("D", 3),
        ),
        [*BASE, Value.text("a"), Value.text("b")],
    ),
    "children_and_text": (_event(Element("P", children=[Element("C", text="c")], text="t")), BASE),
    "empty_element": (_event(Element("Empty")), BASE),
    "nested_binxml": (
        Element("Event", children=[_system(), Element("UserData", text=Sub(2))]),
        [
            *BASE,
            nested(
                Element(
                    "LogFileCleared",
                    attributes=[("xmlns", "x")],
                    children=[
                        Element("SubjectUserName", text=Sub(0)),
                        Element("BackupPath", text=Sub(1, optional=True)),
                    ],
                ),
                [Value.text("bob"), Value.null()],
            ),
        ],
    ),
}

# what the C reader hands to the evtx package (it renders these in ways not worth copying)
LEFT_TO_THE_PACKAGE: dict[str, tuple[Element, list[Value]]] = {
    "floats": _typed(Value(0x0B, struct.pack("<f", 1.1)), Value(0x0C, struct.pack("<d", 1e300))),
    "lone_surrogate": _typed(Value(0x01, b"\x00\xd8A\x00")),
    "character_reference": (_event(Element("T", text=["a", CharRef(0x41)])), BASE),
    "impossible_system_time": _typed(Value(0x12, struct.pack("<8H", 2023, 2, 0, 29, 0, 0, 0, 0))),
    "array_outside_data": (_event(Element("X", text=Sub(2))), [*BASE, Value(0x81, _utf16("a\0b\0"))]),
}


def _package(data: bytes) -> list[tuple[int, dict[str, Any]]] | str:
    try:
        parser = PyEvtxParser(io.BytesIO(data))
        records: list[Any] = list(parser.records_json())
        return [(record["event_record_id"], orjson.loads(record["data"])) for record in records]
    except (RuntimeError, OSError, ValueError) as exc:
        return f"error: {exc}"


def _package_items(data: bytes) -> list[tuple[int, dict[str, Any]] | str]:
    """The package's records, one "damage" per error (its iterator goes on after one)."""
    records = PyEvtxParser(io.BytesIO(data)).records_json()
    items: list[tuple[int, dict[str, Any]] | str] = []
    while True:
        try:
            record: Any = next(records)
        except StopIteration:
            return items
        except (RuntimeError, OSError, ValueError):
            items.append("damage")
            continue
        items.append((record["event_record_id"], orjson.loads(record["data"])))


@needs_native
@pytest.mark.parametrize("case", sorted(CASES))
def test_hand_made_records_read_as_the_evtx_package_reads_them(case: str) -> None:
    assert native is not None
    data = evtx_file([CASES[case]])
    expected = _package(data)
    assert not isinstance(expected, str), expected
    assert repr(list(native.Records(data, 4096))) == repr(expected)


@needs_native
@pytest.mark.parametrize("case", sorted(LEFT_TO_THE_PACKAGE))
def test_what_the_c_reader_leaves_to_the_package_comes_from_the_package(case: str, tmp_path: Path) -> None:
    assert native is not None
    ok = _event(_named("Before", 2))
    data = evtx_file(
        [(ok, [*BASE, Value.text("first")]), LEFT_TO_THE_PACKAGE[case], (ok, [*BASE, Value.text("last")])]
    )
    records = native.Records(data, 4096)
    assert next(records)[1]["Event"]["EventData"] == {"Before": "first"}
    with pytest.raises(native.BinXmlError):
        next(records)
    path = tmp_path / "mixed.evtx"
    path.write_bytes(data)
    # the first record came from the C reader, the rest from the package (which may fail on one
    # and go on), none twice
    got = [
        (item.record_id, item.document) if isinstance(item, EvtxRecord) else "damage"
        for item in iter_records(path)
    ]
    assert got == _package_items(data)
    assert len(got) == 3 and got[0] != "damage" and got[2] != "damage"


@needs_native
def test_every_corpus_record_reads_the_same(corpus_evtx: Path) -> None:
    assert native is not None
    files = sorted(corpus_evtx.rglob("*.evtx"))
    assert files
    records = 0
    for path in files:
        data = path.read_bytes()
        ours = []
        for offset in range(4096, len(data) - 65535, 65536):
            if data[offset : offset + 8] == b"ElfChnk\x00":  # the C reader handles every corpus chunk
                ours.extend(native.Records(data, offset))
        theirs = _package(data)
        assert repr(ours) == repr(theirs), path.name
        records += len(ours)
    assert records > 8000


@pytest.mark.parametrize("reader", ["c", "package"])
def test_iter_records_reads_a_file_with_both_readers(
    reader: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if reader == "c" and native is None:
        pytest.skip(evtx_records.implementation)
    if reader == "package":
        monkeypatch.setattr(evtx_records, "native", None)
    path = tmp_path / "three.evtx"
    path.write_bytes(evtx_file([CASES["strings"], CASES["integers"], CASES["nested_binxml"]]))
    items = list(iter_records(path))
    assert [type(item) for item in items] == [EvtxRecord] * 3
    assert [item.record_id for item in items if isinstance(item, EvtxRecord)] == [1, 2, 3]
    first = items[0]
    assert isinstance(first, EvtxRecord)
    assert first.document["Event"]["EventData"]["F3"] == "naïve ☃ 𝄞"
    assert orjson.loads(first.json()) == first.document


def test_a_file_that_is_not_evtx_raises_on_open(tmp_path: Path) -> None:
    fake = tmp_path / "fake.evtx"
    fake.write_bytes(b"not an event log" * 500)
    with pytest.raises((OSError, RuntimeError, ValueError)):
        list(iter_records(fake))


@needs_native
def test_damaged_chunks_never_crash_the_c_reader() -> None:
    """Random byte changes in hand-made chunks: documents or BinXmlError, nothing else."""
    assert native is not None
    data = bytearray(evtx_file([CASES[name] for name in ("strings", "nested_binxml", "sids", "arrays")]))
    rng = random.Random(6)
    outcomes = {"read": 0, "rejected": 0}
    for _ in range(1500):
        damaged = bytearray(data)
        for _ in range(rng.choice([1, 2, 8, 32])):
            damaged[4096 + rng.randrange(0, 3000)] = rng.randrange(256)
        try:
            list(native.Records(bytes(damaged), 4096))
            outcomes["read"] += 1
        except native.BinXmlError:
            outcomes["rejected"] += 1
    assert outcomes["read"] and outcomes["rejected"], outcomes


@needs_native
def test_reading_leaks_no_memory() -> None:
    assert native is not None
    data = evtx_file([CASES[name] for name in sorted(CASES)])
    leftover = evtx_file([CASES["strings"], LEFT_TO_THE_PACKAGE["floats"]])

    def read(times: int) -> None:
        for _ in range(times):
            list(native.Records(data, 4096))
            with pytest.raises(native.BinXmlError):
                list(native.Records(leftover, 4096))

    # a leak grows in every window; a one-time growth (a cache's table resized, e.g. Python's table
    # of interned names, which the chunk's names join and leave) shows in one window only
    tracemalloc.start()
    try:
        read(200)
        growth = []
        for _ in range(3):
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
            read(1000)
            gc.collect()
            growth.append(tracemalloc.get_traced_memory()[0] - before)
    finally:
        tracemalloc.stop()
    assert sorted(growth)[1] < 16 * 1024, f"bytes left per 1,000 reads: {growth}"
