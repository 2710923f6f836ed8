"""The log server's status in the Prometheus text exposition format."""

from __future__ import annotations

from typing import Any


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus_text(status: dict[str, Any], stored: dict[str, int]) -> str:
    """``ironwatch_ingest_*`` counters per source, spool depth, lag and stored totals."""
    lines: list[str] = []

    def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        lines.extend(f"{name}{labels} {value}" for labels, value in samples)

    sources: dict[str, dict[str, int]] = status.get("sources", {})
    for key, help_text in (
        ("received", "frames received"),
        ("bytes", "bytes received"),
        ("parsed", "frames parsed into events"),
        ("failed", "frames that could not be framed or parsed (kept as failures)"),
        ("oversized", "frames over the size limit"),
        ("dropped", "frames lost before the spool (UDP only)"),
    ):
        samples = [
            (f'{{source="{_label(name)}"}}', float(counts.get(key, 0)))
            for name, counts in sorted(sources.items())
        ]
        metric(f"ironwatch_ingest_{key}_total", "counter", help_text, samples)
    metric(
        "ironwatch_ingest_connections",
        "gauge",
        "open connections",
        [
            (f'{{source="{_label(name)}"}}', float(counts.get("connections", 0)))
            for name, counts in sorted(sources.items())
        ],
    )
    spool = status.get("spool", {})
    metric(
        "ironwatch_spool_depth", "gauge", "frames waiting in the spool", [("", float(spool.get("depth", 0)))]
    )
    metric(
        "ironwatch_spool_bytes", "gauge", "bytes waiting in the spool", [("", float(spool.get("bytes", 0)))]
    )
    pipeline = status.get("pipeline", {})
    metric(
        "ironwatch_ingest_lag_seconds",
        "gauge",
        "receive-to-store delay of the last batch",
        [("", float(pipeline.get("lag_seconds", 0.0)))],
    )
    metric(
        "ironwatch_events_stored",
        "gauge",
        "events in the event store",
        [("", float(stored.get("events", 0)))],
    )
    metric(
        "ironwatch_parse_failures_stored",
        "gauge",
        "parse failures kept",
        [("", float(stored.get("parse_failures", 0)))],
    )
    return "\n".join(lines) + "\n"
