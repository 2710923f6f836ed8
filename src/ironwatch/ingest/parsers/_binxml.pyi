"""Types of the optional C EVTX chunk reader (src/ironwatch/ingest/parsers/_binxml.c)."""

import mmap
from collections.abc import Iterator
from typing import Any

class BinXmlError(ValueError): ...

class Records(Iterator[tuple[int, dict[str, Any]]]):
    def __init__(self, data: bytes | bytearray | memoryview | mmap.mmap, offset: int) -> None: ...
    def __next__(self) -> tuple[int, dict[str, Any]]: ...
