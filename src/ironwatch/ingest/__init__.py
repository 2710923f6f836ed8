"""Ingest: receive raw log data (sources), keep it durably (spool), parse and normalise it into events."""

from ironwatch.ingest.event import Event, ParseFailure, deterministic_id

__all__ = ["Event", "ParseFailure", "deterministic_id"]
