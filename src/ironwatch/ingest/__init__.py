"""Ingest: turn raw log lines, frames and files into normalised events."""

from ironwatch.ingest.event import Event, ParseFailure, deterministic_id

__all__ = ["Event", "ParseFailure", "deterministic_id"]
