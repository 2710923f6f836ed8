"""The records of an EVTX file as documents, read by ironwatch's C reader or by the ``evtx`` package.

A document is what the ``evtx`` package's JSON gives for a record (``{"Event": {"System": ...}}``).
ironwatch's optional C reader (``_binxml``, built at install when a C compiler is present) reads
each 64 KiB chunk straight into those documents, about twice as fast as ``records_json()`` plus
JSON decoding. It reads what it understands and nothing else: a chunk it does not handle (an
unusual value type, damage) is handed to the ``evtx`` package on its own, so every record is read
once and the same way; tests compare the two on every record of the corpus.

``IRONWATCH_NO_SPEEDUPS=1`` reads everything with the ``evtx`` package.

Example::

    for item in iter_records("Security.evtx"):
        if isinstance(item, EvtxDamage):
            print("skipped:", item.message)
        else:
            print(item.record_id, item.document["Event"]["System"]["EventID"])
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import orjson
from evtx import PyEvtxParser

MAGIC = b"ElfFile\x00"
HEADER_SIZE = 4096
CHUNK_SIZE = 65536
_EMPTY_CHUNK = b"\x00" * 8
DISABLE_VARIABLE = "IRONWATCH_NO_SPEEDUPS"


def _load() -> tuple[ModuleType | None, str]:
    if os.environ.get(DISABLE_VARIABLE, "").strip() not in ("", "0"):
        return None, f"evtx package (ironwatch's C reader is turned off by {DISABLE_VARIABLE})"
    try:
        from ironwatch.ingest.parsers import _binxml
    except ImportError as exc:
        return None, (
            f"evtx package (ironwatch's C reader is not built: {exc}; reinstall with a C compiler "
            "and Python's headers, e.g. apt install gcc python3-dev, to read EVTX about twice as fast)"
        )
    return _binxml, "ironwatch C reader (ironwatch.ingest.parsers._binxml), evtx for what it skips"


native, implementation = _load()


class EvtxRecord(NamedTuple):
    """One record: its id, its document, and the JSON text when the ``evtx`` package read it."""

    record_id: int
    document: dict[str, Any]
    text: str | None

    def json(self) -> str:
        """The document as JSON (the ``evtx`` package's text when there is one)."""
        return self.text if self.text is not None else orjson.dumps(self.document).decode()


class EvtxDamage(NamedTuple):
    """A part of the file that could not be read: a chunk (``record`` False) or one record's JSON."""

    message: str
    raw: str = ""
    record: bool = False


EvtxItem = EvtxRecord | EvtxDamage


def iter_records(path: str | os.PathLike[str], *, threads: int = 0) -> Iterator[EvtxItem]:
    """Every record of the file in file order, and an :class:`EvtxDamage` per part that was unreadable.

    Raises ``OSError`` when the file cannot be opened; a file that is not EVTX is read by the ``evtx``
    package, whose error comes through as the first damage item. ``threads`` is passed to the
    ``evtx`` package (0: its default).
    """
    if native is None:
        yield from _package_records(str(path), threads=threads)
        return
    module = native
    with open(Path(path), "rb") as file:
        header = file.read(HEADER_SIZE)
        if len(header) < HEADER_SIZE or not header.startswith(MAGIC):
            yield from _package_records(str(path), threads=threads)
            return
        # one generator for the whole file (a record is yielded once, not through nested ones); a
        # chunk is read into its own bytes object, which the C reader keeps rather than copies
        descriptor, offset = file.fileno(), HEADER_SIZE
        while signature := os.pread(descriptor, 8, offset):
            if signature == _EMPTY_CHUNK:  # never-written chunks hold no records (not read further)
                offset += CHUNK_SIZE
                continue
            chunk = os.pread(descriptor, CHUNK_SIZE, offset)
            offset += CHUNK_SIZE
            if len(chunk) < CHUNK_SIZE:  # a cut last chunk: the evtx package reads what it can
                yield from _package_records(io.BytesIO(header + chunk))
                return
            done: set[int] = set()  # ids the C reader gave from this chunk
            try:
                for record_id, document in module.Records(chunk, 0):
                    yield EvtxRecord(record_id, document, None)
                    done.add(record_id)
            except module.BinXmlError:
                # from a record it does not handle on, the evtx package reads the chunk
                for item in _package_records(io.BytesIO(header + chunk)):
                    if not (isinstance(item, EvtxRecord) and item.record_id in done):
                        yield item


def _package_records(source: str | io.BytesIO, *, threads: int = 0) -> Iterator[EvtxItem]:
    """The ``evtx`` package's records of a file (``OSError``/``RuntimeError`` when it cannot be opened)
    or of one chunk behind a copy of the file header (then not opening is a damage item); its errors
    while reading are damage items (its iterator goes on after one)."""
    try:
        parser = PyEvtxParser(source, threads) if threads else PyEvtxParser(source)
    except (RuntimeError, OSError, ValueError) as exc:
        if isinstance(source, str):
            raise
        yield EvtxDamage(f"damaged EVTX chunk skipped: {exc}")
        return
    records = parser.records_json()
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except (RuntimeError, OSError, ValueError) as exc:
            yield EvtxDamage(f"damaged EVTX chunk skipped: {exc}")
            continue
        if not isinstance(record, dict):
            continue
        data = record.get("data")
        if not isinstance(data, str):
            continue
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            yield EvtxDamage(f"EVTX record is not valid JSON: {exc}", data, record=True)
            continue
        if not isinstance(document, dict):
            yield EvtxDamage("EVTX record is not a JSON object", data, record=True)
            continue
        yield EvtxRecord(int(str(record.get("event_record_id", 0))), document, data)
