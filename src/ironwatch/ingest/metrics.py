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
    for section in ("detection",):
        if isinstance(status.get(section), dict):
            lines.extend(section_metrics(section, status[section]))
    return "\n".join(lines) + "\n"


def section_metrics(section: str, values: dict[str, Any]) -> list[str]:
    """A status section's numbers as ``ironwatch_<section>_<key>`` gauges; a dict of numbers as labels."""
    lines: list[str] = []
    for key, value in values.items():
        name = f"ironwatch_{section}_{key}"
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            lines += [f"# TYPE {name} gauge", f"{name} {float(value)}"]
        elif isinstance(value, dict) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()
        ):
            lines.append(f"# TYPE {name} gauge")
            lines.extend(f'{name}{{name="{_label(str(k))}"}} {float(v)}' for k, v in sorted(value.items()))
    return lines
