"""The C accelerator (``ironwatch.detect._speedups``) against its Python twins, which are the reference.

Each C function is given the inputs its twin is given (hand-written edge cases here, every record of
the public EVTX corpus when it is present) and must return the same value, keys in the same order,
or raise the same error. CI sets ``IRONWATCH_REQUIRE_SPEEDUPS=1`` so a build that silently fell back
to Python fails there instead of passing slower.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from ironwatch.core.errors import ValidationError
from ironwatch.detect import evtx_fields, speedups
from ironwatch.detect.sigma import Engine
from ironwatch.detect.sigma.prefilter import HyperscanScanner, _collect, hyperscan
from ironwatch.detect.sigma.scan_text import event_text, event_text_python, value_text

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"
native = speedups.native
needs_native = pytest.mark.skipif(
    native is None, reason=f"C accelerator not in use: {speedups.implementation}"
)


def test_the_accelerator_is_built_where_it_is_required() -> None:
    """CI (and anyone who sets the variable) must not pass on the Python fallback by accident."""
    if os.environ.get("IRONWATCH_REQUIRE_SPEEDUPS") and not os.environ.get(speedups.DISABLE_VARIABLE):
        assert native is not None, speedups.implementation
    assert speedups.implementation.startswith("C accelerator" if native else "Python")


def test_the_environment_variable_turns_the_accelerator_off() -> None:
    code = "from ironwatch.detect import speedups; print(speedups.native is None, speedups.implementation)"
    env = {**os.environ, speedups.DISABLE_VARIABLE: "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.startswith("True Python (the C accelerator is turned off by IRONWATCH_NO_SPEEDUPS)")


# -- collect: the Hyperscan match callback ------------------------------------------------------------
@needs_native
def test_collect_adds_the_literal_index_and_lets_the_scan_go_on() -> None:
    assert native is not None
    hits: set[int] = set()
    assert native.collect(7, 0, 3, 0, hits) is None  # None: Hyperscan carries on scanning
    native.collect(7, 4, 9, 0, hits)
    native.collect(2, 4, 9, 0, hits)
    assert hits == {2, 7}


@needs_native
def test_collect_refuses_wrong_arguments_with_a_clear_error() -> None:
    assert native is not None
    with pytest.raises(TypeError, match="5 arguments"):
        native.collect(1, 2, 3)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="must be a set"):
        native.collect(1, 2, 3, 4, [])  # type: ignore[arg-type]


@needs_native
@pytest.mark.skipif(hyperscan is None, reason="Hyperscan is not installed on this platform")
def test_a_scan_finds_the_same_literals_with_either_callback() -> None:
    assert native is not None
    literals = ["cmd.exe", "\\temp\\", "-enc", "a", "®"]
    scanner = HyperscanScanner(literals)
    text = "C:\\Windows\\Temp\\CMD.EXE -Enc AAAA ® done".encode()
    for handler in (native.collect, _collect):
        hits: set[int] = set()
        scanner._db.scan(text, match_event_handler=handler, context=hits)
        assert hits == {0, 1, 2, 3, 4}


# -- event_text: the literal scan's text --------------------------------------------------------------
class Label(str):
    """A str subclass: not taken as it is by the fast path, but still text."""


class Loud:
    def __str__(self) -> str:
        return "LOUD"


class Broken:
    def __str__(self) -> str:
        raise ValueError("no text for you")


EVENTS: list[dict[str, object]] = [
    {},
    {"EventID": 4688, "Image": "C:\\Windows\\cmd.exe", "CommandLine": "cmd /c whoami"},
    {"a": True, "b": False, "c": None, "d": 1.5, "e": -12, "f": 2**80, "g": ""},
    {"list": ["one", None, 2, True], "tuple": ("x", "y"), "empty": [], "nested": [["in"], {"k": "v"}]},
    {"label": Label("Labelled"), "loud": Loud(), "unicode": "Ünïcödé ® \u212a", "nl": "two\nlines"},
]


@needs_native
@pytest.mark.parametrize("event", EVENTS, ids=range(len(EVENTS)))
def test_event_text_in_c_equals_the_python_reference(event: dict[str, object]) -> None:
    assert event_text(event) == event_text_python(event)
    assert type(event_text(event)) is str


@needs_native
def test_event_text_passes_errors_of_a_value_through() -> None:
    event = {"ok": "fine", "bad": Broken()}
    with pytest.raises(ValueError, match="no text for you"):
        event_text_python(event)
    with pytest.raises(ValueError, match="no text for you"):
        event_text(event)


@needs_native
def test_event_text_refuses_a_converter_that_returns_no_text() -> None:
    assert native is not None
    with pytest.raises(TypeError, match="must return a str"):
        native.event_text([1.5], lambda value: 15)  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match=r"values: dict \| list"):
        native.event_text(("tuple",), value_text)  # type: ignore[arg-type]


@needs_native
@pytest.mark.parametrize("event", EVENTS, ids=range(len(EVENTS)))
def test_event_text_reads_a_dict_as_it_reads_a_list_of_its_values(event: dict[str, object]) -> None:
    """The event itself (read in C while its values are str and int) or a snapshot of its values."""
    assert native is not None
    assert native.event_text(event, value_text) == native.event_text(list(event.values()), value_text)


class Grower:
    """A value whose text adds keys to the event it is in (the C code must not iterate that dict)."""

    def __init__(self, event: dict[str, object]) -> None:
        self.event = event

    def __str__(self) -> str:
        for number in range(100):
            self.event[f"added{number}"] = "x"
        return "grown"


@needs_native
def test_event_text_of_a_dict_changed_while_read_uses_its_values_before() -> None:
    assert native is not None
    event: dict[str, object] = {"first": "a", "count": 7}
    event["grower"] = Grower(event)
    event["last"] = "z"
    assert native.event_text(event, value_text) == "a\n7\ngrown\nz"
    assert len(event) == 104


# -- flatten_evtx: an EVTX record as a flat event ----------------------------------------------------
def _record(system: dict[str, Any], **sections: Any) -> dict[str, Any]:
    return {"Event": {"System": system, **sections}}


SYSTEM = {
    "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon", "Guid": "{5770385F}"}},
    "EventID": 1,
    "Level": 4,
    "Task": 1,
    "Keywords": "0x8000000000000000",
    "TimeCreated": {"#attributes": {"SystemTime": "2019-05-12T12:52:43.123456Z"}},
    "EventRecordID": 4242,
    "Execution": {"#attributes": {"ProcessID": 1, "ThreadID": 2}},
    "Channel": "Microsoft-Windows-Sysmon/Operational",
    "Computer": "ws01.example.org",
    "Security": {"#attributes": {"UserID": "S-1-5-18"}},
}

RECORDS: list[dict[str, Any]] = [
    _record(SYSTEM, EventData={"Image": "C:\\x\\cmd.exe", "ProcessId": 77, "Hashes": None}),
    _record({**SYSTEM, "EventID": {"#attributes": {"Qualifiers": 16384}, "#text": 7045}}, EventData=None),
    _record({**SYSTEM, "EventID": "4624"}, EventData={"LogonType": 3}),
    _record({**SYSTEM, "EventID": "not-a-number"}),
    _record({**SYSTEM, "EventID": True}),
    _record({**SYSTEM, "EventID": {"#attributes": {"Qualifiers": 0}}}),  # no #text: no EventID
    _record({"Channel": "Security"}),  # a bare System: no provider, time, computer or id
    _record({**SYSTEM, "Provider": "plain", "TimeCreated": "plain", "Level": {"#text": 2}, "Task": {"x": 1}}),
    _record(SYSTEM, EventData={"Data": [{"#attributes": {"Name": "a"}, "#text": "b"}, "c"]}),
    _record(SYSTEM, EventData={"#text": "free text", "#attributes": {"Name": "x"}}),
    _record(SYSTEM, EventData={"Binary": {"#text": "00FF"}, "Deep": {"Inner": {"Leaf": "v"}}}),
    _record(SYSTEM, EventData="just a string"),
    _record(SYSTEM, EventData={}),
    _record(SYSTEM, UserData={"LogFileCleared": {"SubjectUserName": "bob", "#attributes": {"x": "1"}}}),
    _record(SYSTEM, UserData={"A": {"x": 1}, "B": {"y": 2}}),
    _record(SYSTEM, EventData={"Computer": "overridden", "EventID": 9}, UserData="text"),
]


def _python_flatten(record: dict[str, Any]) -> dict[str, object]:
    event = record["Event"]
    return evtx_fields.flatten_evtx_python(event, event["System"])


@needs_native
@pytest.mark.parametrize("record", RECORDS, ids=range(len(RECORDS)))
def test_flatten_in_c_equals_the_python_reference(record: dict[str, Any]) -> None:
    fast, reference = evtx_fields.flatten_evtx_record(record), _python_flatten(record)
    assert fast == reference
    assert list(fast) == list(reference)  # the same key order: the scan text follows it
    assert [type(value) for value in fast.values()] == [type(value) for value in reference.values()]


def test_flatten_shapes_the_common_record_as_detection_expects() -> None:
    flat = evtx_fields.flatten_evtx_record(RECORDS[0])
    assert flat == {
        "EventID": 1,
        "Provider_Name": "Microsoft-Windows-Sysmon",
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "Computer": "ws01.example.org",
        "Level": 4,
        "Task": 1,
        "Keywords": "0x8000000000000000",
        "EventRecordID": 4242,
        "Image": "C:\\x\\cmd.exe",
        "ProcessId": 77,
        "Hashes": None,
        "event.dataset": "windows.evtx",
        "@timestamp": "2019-05-12T12:52:43.123456Z",
        "host.name": "ws01.example.org",
        "event.code": "1",
    }
    assert evtx_fields.flatten_evtx_record(RECORDS[2])["EventID"] == 4624  # digits become an int


@pytest.mark.parametrize(
    "record", [{}, {"Event": None}, {"Event": {"System": None}}, {"Event": {"System": []}}]
)
def test_a_record_without_a_system_element_is_refused_with_a_hint(record: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match=r"no Event\.System") as caught:
        evtx_fields.flatten_evtx_record(record)
    assert "evtx_records" in (caught.value.hint or "")


@needs_native
def test_flatten_passes_errors_of_the_merge_through_and_leaks_nothing() -> None:
    assert native is not None

    def failing_merge(flat: dict[str, object], data: Any) -> None:
        raise RuntimeError("merge failed")

    record = RECORDS[10]["Event"]
    with pytest.raises(RuntimeError, match="merge failed"):
        native.flatten_evtx(record, evtx_fields._event_id, failing_merge, evtx_fields._merge_user_data)
    system, created = record["System"], SYSTEM["TimeCreated"]["#attributes"]["SystemTime"]
    before = sys.getrefcount(system), sys.getrefcount(created)
    for _ in range(2000):
        native.flatten_evtx(
            record, evtx_fields._event_id, evtx_fields._merge_data, evtx_fields._merge_user_data
        )
        with pytest.raises(RuntimeError):
            native.flatten_evtx(record, evtx_fields._event_id, failing_merge, evtx_fields._merge_user_data)
    assert (sys.getrefcount(system), sys.getrefcount(created)) == before


@needs_native
@pytest.mark.skipif(not (CORPUS / "evtx").is_dir(), reason=f"public corpus not found at {CORPUS}")
def test_c_and_python_agree_on_every_corpus_record() -> None:
    from evtx import PyEvtxParser

    records = 0
    for path in sorted((CORPUS / "evtx").rglob("*.evtx")):
        for raw in PyEvtxParser(str(path), 1).records_json():
            record = orjson.loads(raw["data"])
            fast, reference = evtx_fields.flatten_evtx_record(record), _python_flatten(record)
            assert fast == reference and list(fast) == list(reference), path
            assert event_text(fast) == event_text_python(reference), path
            records += 1
    assert records > 8000


def test_the_engine_matches_the_same_with_or_without_the_accelerator(load_yaml: Any, tmp_path: Path) -> None:
    """The whole path (flatten, scan text, scan, rules) in a process running the Python twins."""
    rule = """
title: Whoami From Temp
id: 0d6f2c3e-7a0b-4a55-9d43-3c1a2c1d0001
logsource: {product: windows, category: process_creation}
detection:
    selection: {Image|endswith: '\\\\whoami.exe', CommandLine|contains: '/all'}
    temp: {CurrentDirectory|contains: '\\\\temp\\\\'}
    condition: selection and temp
level: high
"""
    events = [
        {**_flat_process("C:\\Windows\\System32\\whoami.exe", "whoami /all", "C:\\Users\\x\\Temp\\")},
        {**_flat_process("C:\\Windows\\System32\\whoami.exe", "whoami /all", "C:\\Windows\\")},
        {**_flat_process("C:\\Windows\\System32\\WHOAMI.EXE", "WhoAmI /ALL ®", "C:\\TEMP\\")},
    ]
    engine = Engine(load_yaml(rule))
    here = [[match.rule_id for match in engine.evaluate(event)] for event in events]
    assert here == [["0d6f2c3e-7a0b-4a55-9d43-3c1a2c1d0001"], [], ["0d6f2c3e-7a0b-4a55-9d43-3c1a2c1d0001"]]
    script = (
        "import sys, orjson\n"
        "from ironwatch.detect import speedups\n"
        "from ironwatch.detect.sigma import Engine, load_rules\n"
        "assert speedups.native is None\n"
        "rules = load_rules(paths=[sys.argv[1]])\n"
        "engine = Engine(rules)\n"
        "events = orjson.loads(sys.stdin.buffer.read())\n"
        "print(orjson.dumps([[m.rule_id for m in engine.evaluate(e)] for e in events]).decode())\n"
    )
    rule_file = tmp_path / "rule.yml"
    rule_file.write_text(rule, encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-c", script, str(rule_file)],
        input=orjson.dumps(events),
        env={**os.environ, speedups.DISABLE_VARIABLE: "1"},
        capture_output=True,
        check=True,
    )
    assert orjson.loads(out.stdout) == here


def _flat_process(image: str, command_line: str, directory: str) -> dict[str, object]:
    record = _record(
        {**SYSTEM, "Channel": "Microsoft-Windows-Sysmon/Operational"},
        EventData={
            "Image": image,
            "CommandLine": command_line,
            "CurrentDirectory": directory,
            "ProcessId": 9,
        },
    )
    return evtx_fields.flatten_evtx_record(record)


@needs_native
def test_event_text_and_scan_bytes_leak_no_references() -> None:
    assert native is not None
    loud, label, text = Loud(), Label("x"), "Microsoft® Windows® " * 4
    values: list[object] = [loud, label, 5, "plain", None, [label]]
    before = [sys.getrefcount(item) for item in (loud, label, text)]
    for _ in range(2000):
        native.event_text(values, value_text)
        native.scan_bytes(text)
        with pytest.raises(ValueError):
            native.event_text([label, Broken()], value_text)
        native.event_text({"a": "plain", "b": 5, "c": text}, value_text)
        native.event_text({"a": loud, "b": label, "c": text}, value_text)
        with pytest.raises(ValueError):
            native.event_text({"a": label, "b": Broken()}, value_text)
    assert [sys.getrefcount(item) for item in (loud, label, text)] == before
