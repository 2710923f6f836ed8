"""Reading indicator feeds: STIX 2.1, MISP, CSV and plain lists, with the format detected."""

from __future__ import annotations

from pathlib import Path

import orjson

from ironwatch.core.errors import ValidationError
from ironwatch.detect.intel.importers.feed import ParsedFeed
from ironwatch.detect.intel.importers.misp import parse_misp, parse_misp_file
from ironwatch.detect.intel.importers.stix import parse_stix
from ironwatch.detect.intel.importers.tabular import looks_like_csv, parse_csv, parse_list

FORMATS = ("auto", "stix", "misp", "csv", "list")

__all__ = ["FORMATS", "ParsedFeed", "detect_format", "parse_feed", "parse_feed_file"]


def detect_format(text: str, name: str = "") -> str:
    """``stix``, ``misp``, ``csv`` or ``list`` from the content (and the file name's extension)."""
    head = text.lstrip()[:1]
    if head in ("{", "["):
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ValidationError(f"{name or 'the feed'} looks like JSON but is not: {exc}") from None
        if isinstance(data, dict) and (data.get("type") == "bundle" or data.get("spec_version")):
            return "stix"
        if isinstance(data, dict) and ("Event" in data or "response" in data):
            return "misp"
        if isinstance(data, list) and data and isinstance(data[0], dict) and "Event" in data[0]:
            return "misp"
        raise ValidationError(
            f"{name or 'the feed'} is JSON but neither a STIX bundle nor a MISP event",
            hint="choose the format with --format",
        )
    if name.lower().endswith(".csv") or looks_like_csv(text):
        return "csv"
    return "list"


def parse_feed(text: str, format: str = "auto", *, name: str = "") -> ParsedFeed:
    """The indicators in a feed's text."""
    chosen = detect_format(text, name) if format == "auto" else format
    if chosen == "stix":
        return parse_stix(text)
    if chosen == "misp":
        return parse_misp(text)
    if chosen == "csv":
        return parse_csv(text)
    if chosen == "list":
        return parse_list(text)
    raise ValidationError(f"unknown feed format {format!r}", hint=f"one of: {', '.join(FORMATS)}")


def parse_feed_file(path: Path, format: str = "auto") -> tuple[ParsedFeed, bytes]:
    """A feed file (or a MISP feed directory) and the bytes read, for the import's SHA-256."""
    if path.is_dir():
        if format not in ("auto", "misp"):
            raise ValidationError(f"{path} is a directory", hint="only a MISP feed is a directory")
        manifest = path / "manifest.json"
        return parse_misp_file(path), manifest.read_bytes() if manifest.is_file() else b""
    if not path.is_file():
        raise ValidationError(f"{path} does not exist", hint="give the path of a feed file")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            f"{path} is not UTF-8 text", hint="feeds are text: JSON, CSV or lists"
        ) from None
    return parse_feed(text, format, name=path.name), data
