"""Bad input never crashes: it becomes a ParseFailure (or a repaired event) with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from ironwatch.ingest import Event, ParseFailure
from ironwatch.ingest.parsers import ParseLimits, parse_stream, read_log_file

from .conftest import FixedClock, events_of, failures_of, parse_fixture


def one(items: list[object], fmt: str = "syslog", **kwargs: object) -> Event | ParseFailure:
    results = list(parse_stream(items, format=fmt, source="t", clock=FixedClock(), **kwargs))  # type: ignore[arg-type]
    assert len(results) == 1
    return results[0]


def test_invalid_utf8_is_repaired_and_the_exact_bytes_kept() -> None:
    raw = b"<13>Jan  5 10:00:00 web01 app: caf\xe9 \xff"
    event = one([raw])
    assert isinstance(event, Event)
    assert event.fields["message"] == "caf\ufffd \ufffd"
    assert event.raw == raw
    assert any("invalid UTF-8" in note for note in event.notes)


def test_binary_garbage_is_a_failure() -> None:
    failure = one([bytes(range(256)) * 4])
    assert isinstance(failure, ParseFailure)
    assert "binary" in failure.reason


def test_ten_megabyte_line_is_refused_with_capped_raw() -> None:
    huge = b"<13>Jan  5 10:00:00 web01 app: " + b"A" * (10 * 1024 * 1024)
    failure = one([huge])
    assert isinstance(failure, ParseFailure)
    assert "max_line_bytes" in failure.reason
    assert len(failure.raw) == 64 * 1024 and failure.truncated
    assert failure.raw == huge[: 64 * 1024]


def test_line_limit_and_raw_cap_are_configurable() -> None:
    limits = ParseLimits(max_line_bytes=100, max_failure_raw_bytes=10)
    failure = one(["x" * 101], fmt="text", limits=limits)
    assert isinstance(failure, ParseFailure)
    assert failure.raw == b"x" * 10
    assert isinstance(one(["x" * 100], fmt="text", limits=limits), Event)


def test_oversize_line_in_a_file_is_skipped_without_losing_the_next(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    log.write_bytes(b"first\n" + b"B" * 3000 + b"\nlast\n")
    results = list(
        read_log_file(log, format="text", limits=ParseLimits(max_line_bytes=1000), clock=FixedClock())
    )
    assert [type(item).__name__ for item in results] == ["Event", "ParseFailure", "Event"]
    assert results[2].fields["message"] == "last"  # type: ignore[union-attr]
    assert results[1].position == 2  # type: ignore[union-attr]


def test_deeply_nested_json_is_refused_as_a_bomb() -> None:
    bomb = "[" * 5000 + "]" * 5000
    failure = one(['{"a": ' + bomb + "}"], fmt="json")
    assert isinstance(failure, ParseFailure)
    nested = '{"a":' * 40 + "1" + "}" * 40
    failure = one([nested], fmt="json")
    assert isinstance(failure, ParseFailure)
    assert "deeper than 32" in failure.reason


def test_json_with_too_many_values_is_refused() -> None:
    document = "{" + ",".join(f'"k{i}": {i}' for i in range(200)) + "}"
    failure = one([document], fmt="json", limits=ParseLimits(max_json_fields=100))
    assert isinstance(failure, ParseFailure)
    assert "more than 100 values" in failure.reason


def test_json_array_and_invalid_json_are_failures_with_reasons() -> None:
    results = parse_fixture("malformed.jsonl", "json")
    failures = failures_of(results)
    assert [failure.position for failure in failures] == [2, 3]
    assert failures[0].reason.startswith("invalid JSON")
    assert "expected a JSON object" in failures[1].reason


def test_json_keeps_ecs_keys_and_declared_dataset() -> None:
    event = events_of(parse_fixture("malformed.jsonl", "json"))[0]
    assert event.dataset == "nginx.access"
    assert event.fields["source.ip"] == "192.0.2.1"
    assert event.fields["url.full"] == "http://example.com/"


def test_impossible_json_time_falls_back_with_a_note() -> None:
    event = events_of(parse_fixture("malformed.jsonl", "json"))[1]
    assert event.timestamp == FixedClock().now()
    assert any("receive time" in note for note in event.notes)


@pytest.mark.parametrize(
    "fmt", ["syslog", "linux.auth", "cef", "zeek", "json", "suricata.eve", "windows.json"]
)
def test_no_parser_raises_on_garbage(fmt: str) -> None:
    samples: list[object] = [
        b"\xff\xfe\x00garbage",
        "<>",
        "{",
        "CEF:",
        "#fields",
        "\t\t\t",
        "{}",
        '{"a":[{"b":{}}]}',
    ]
    results = list(parse_stream(samples, format=fmt, source="fuzz"))  # type: ignore[arg-type]
    assert all(isinstance(item, Event | ParseFailure) for item in results)


def test_text_fallback_never_fails() -> None:
    results = list(parse_stream(["anything at all", "\ufffd", "<999> x"], format="text"))
    assert [item.fields["message"] for item in results if isinstance(item, Event)] == [
        "anything at all",
        "\ufffd",
        "<999> x",
    ]
