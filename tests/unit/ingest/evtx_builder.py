"""Hand-made EVTX files: one chunk of records, each a template instance with typed values.

Written for the reader tests, from the published format (libevtx's "Windows XML Event Log" notes):
a 4 KiB file header, 64 KiB chunks with a 512-byte header, records of BinXML. Each record here
defines its template inline (so every record stands alone) and fills it with substitution values,
which is how Windows writes most records; the ``evtx`` package is the judge of what they mean.

Example::

    record = Element("Event", children=[Element("System", children=[Element("EventID", text=Sub(0))])])
    data = evtx_file([(record, [Value.u16(4624)])])
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

CHUNK_SIZE = 65536


@dataclass(frozen=True)
class Value:
    """A substitution value: its BinXML type and bytes."""

    type: int
    data: bytes

    @staticmethod
    def text(value: str) -> Value:
        return Value(0x01, value.encode("utf-16-le"))

    @staticmethod
    def u16(value: int) -> Value:
        return Value(0x06, struct.pack("<H", value))

    @staticmethod
    def null() -> Value:
        return Value(0x00, b"")


@dataclass(frozen=True)
class Sub:
    """A substitution in a template: value number ``index``; ``optional`` is token 0x0E."""

    index: int
    optional: bool = False


@dataclass(frozen=True)
class CharRef:
    """A character reference (&#NN;) inside text."""

    code: int


@dataclass(frozen=True)
class EntityRef:
    """An entity reference (&name;) inside text."""

    name: str


Text = str | Sub | CharRef | EntityRef


@dataclass
class Element:
    name: str
    attributes: list[tuple[str, Text]] = field(default_factory=list)
    children: list[Element] = field(default_factory=list)
    text: list[Text] | Text | None = None


class _Chunk:
    """The chunk being written: offsets in BinXML are relative to its first byte."""

    def __init__(self) -> None:
        self.data = bytearray(512)

    @property
    def here(self) -> int:
        return len(self.data)

    def name(self, name: str) -> None:
        """A name reference followed by the name itself (defined where it is used)."""
        self.data += struct.pack("<I", self.here + 4)
        units = name.encode("utf-16-le")
        self.data += struct.pack("<IHH", 0, 0, len(units) // 2) + units + b"\x00\x00"

    def text(self, part: Text, *, in_template: bool) -> None:
        if isinstance(part, str):
            units = part.encode("utf-16-le")
            self.data += bytes([0x05, 0x01]) + struct.pack("<H", len(units) // 2) + units
        elif isinstance(part, Sub):
            self.data += bytes([0x0E if part.optional else 0x0D]) + struct.pack("<HB", part.index, 0x01)
        elif isinstance(part, CharRef):
            self.data += bytes([0x08]) + struct.pack("<H", part.code)
        else:
            self.data += bytes([0x09])
            self.name(part.name)

    def element(self, element: Element, *, in_template: bool) -> None:
        self.data += bytes([0x41 if element.attributes else 0x01])
        if in_template:
            self.data += struct.pack("<H", 0xFFFF)
        size_at = self.here
        self.data += b"\x00\x00\x00\x00"
        self.name(element.name)
        if element.attributes:
            list_at = self.here
            self.data += b"\x00\x00\x00\x00"
            for number, (name, value) in enumerate(element.attributes):
                more = number < len(element.attributes) - 1
                self.data += bytes([0x46 if more else 0x06])
                self.name(name)
                self.text(value, in_template=in_template)
            struct.pack_into("<I", self.data, list_at, self.here - list_at - 4)
        texts = (
            element.text if isinstance(element.text, list) else [] if element.text is None else [element.text]
        )
        if not element.children and not texts:
            self.data += b"\x03"
        else:
            self.data += b"\x02"
            for child in element.children:
                self.element(child, in_template=in_template)
            for part in texts:
                self.text(part, in_template=in_template)
            self.data += b"\x04"
        struct.pack_into("<I", self.data, size_at, self.here - size_at - 4)

    def template_instance(self, root: Element, values: list[Value], template_id: int) -> None:
        self.data += b"\x0c\x01" + struct.pack("<I", template_id)
        self.data += struct.pack("<I", self.here + 4)  # the definition follows
        self.data += struct.pack("<I", 0) + struct.pack("<I", template_id) + bytes(12)
        size_at = self.here
        self.data += b"\x00\x00\x00\x00"
        body = self.here
        self.data += b"\x0f\x01\x01\x00"
        self.element(root, in_template=True)
        self.data += b"\x00"
        struct.pack_into("<I", self.data, size_at, self.here - body)
        self.data += struct.pack("<I", len(values))
        descriptors = self.here
        self.data += bytes(4 * len(values))
        for number, value in enumerate(values):  # written in place: nested BinXML needs its offset
            at = self.here
            if isinstance(value, _Nested):
                self.data += b"\x0f\x01\x01\x00"
                self.template_instance(value.root, value.values, template_id=template_id + 0x1000)
                self.data += b"\x00"
            else:
                self.data += value.data
            struct.pack_into("<HBB", self.data, descriptors + 4 * number, self.here - at, value.type, 0)

    def record(self, record_id: int, root: Element, values: list[Value]) -> None:
        start = self.here
        self.data += struct.pack("<IIQQ", 0x2A2A, 0, record_id, 132_000_000_000_000_000)
        self.data += b"\x0f\x01\x01\x00"
        self.template_instance(root, values, template_id=0x1000 + record_id)
        self.data += b"\x00"
        self.data += b"\x00" * ((8 - (self.here + 4 - start) % 8) % 8)
        size = self.here + 4 - start
        struct.pack_into("<I", self.data, start + 4, size)
        self.data += struct.pack("<I", size)


def nested(root: Element, values: list[Value]) -> Value:
    """A BinXML substitution value (type 0x21): a fragment with its own template, as UserData uses.

    Its offsets are only known once placed, so :meth:`_Chunk.template_instance` writes it in place.
    """
    return _Nested(0x21, b"", root, values)


@dataclass(frozen=True)
class _Nested(Value):
    root: Element = field(default_factory=lambda: Element("x"))
    values: list[Value] = field(default_factory=list)


def evtx_file(records: list[tuple[Element, list[Value]]]) -> bytes:
    """A whole EVTX file: its header and one chunk holding ``records`` (ids 1, 2, ...)."""
    chunk = _Chunk()
    offsets = []
    for number, (root, values) in enumerate(records, start=1):
        offsets.append(chunk.here)
        chunk.record(number, root, values)
    if chunk.here > CHUNK_SIZE:
        raise ValueError("records do not fit in one chunk")
    free = chunk.here
    data = chunk.data + bytes(CHUNK_SIZE - chunk.here)
    count = len(records)
    header = b"ElfChnk\x00" + struct.pack("<QQQQ", 1, count, 1, count)
    header += struct.pack("<IIII", 128, offsets[-1] if offsets else 512, free, zlib.crc32(data[512:free]))
    data[: len(header)] = header
    struct.pack_into("<I", data, 120, 0)
    struct.pack_into("<I", data, 124, zlib.crc32(bytes(data[:120]) + bytes(data[128:512])))
    file_header = bytearray(4096)
    file_header[:8] = b"ElfFile\x00"
    struct.pack_into("<QQQIHHHH", file_header, 8, 0, 0, count + 1, 128, 1, 3, 4096, 1)
    struct.pack_into("<I", file_header, 120, 0)
    struct.pack_into("<I", file_header, 124, zlib.crc32(bytes(file_header[:120])))
    return bytes(file_header) + bytes(data)
