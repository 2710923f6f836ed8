"""Ingest: getting raw log data in (sources), durably (spool), before it is parsed and stored."""
