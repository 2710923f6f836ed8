"""Log parsers: one module per format, a registry by name, stream/file/frame entry points.

The public surface the service layer calls:

- :func:`parse_frame` for one network frame (:func:`frame_context` to reuse a source's context),
- :func:`parse_stream` for lines or decoded records, :func:`read_log_file` for a file (EVTX included),
- :func:`read_evtx` for EVTX files, :func:`detect_format` and :func:`parser_for` for ``--format``.
"""

from ironwatch.ingest.parsers.base import DEFAULT_LIMITS, ParseContext, ParseError, ParseLimits, Parser
from ironwatch.ingest.parsers.frame import TRANSPORTS, frame_context, parse_frame
from ironwatch.ingest.parsers.registry import FORMATS, detect_format, parser_for
from ironwatch.ingest.parsers.stream import parse_one, parse_stream, read_log_file
from ironwatch.ingest.parsers.windows_evtx import read_evtx

__all__ = [
    "DEFAULT_LIMITS",
    "FORMATS",
    "TRANSPORTS",
    "ParseContext",
    "ParseError",
    "ParseLimits",
    "Parser",
    "detect_format",
    "frame_context",
    "parse_frame",
    "parse_one",
    "parse_stream",
    "parser_for",
    "read_evtx",
    "read_log_file",
]
