"""Cold loads on several processes give exactly the rules, failures and notes of one process."""

from __future__ import annotations

import multiprocessing
import multiprocessing.queues
import os
import threading
from pathlib import Path

import pytest

from ironwatch.core.errors import SourceLocation
from ironwatch.detect.sigma import load_rules, parallel_compile
from ironwatch.detect.sigma.compile_cache import FileResult
from ironwatch.detect.sigma.loader import compile_rule_file
from ironwatch.detect.sigma.parallel_compile import compile_files, worker_count
from ironwatch.detect.sigma.report import RuleFailure

from .rule_text import rule_yaml

CORRELATION = """title: Many shells
id: 00000000-0000-0000-0000-0000000000c1
name: many_shells
correlation:
  type: event_count
  rules: [00000000-0000-0000-0000-000000000010]
  group-by: [User]
  timespan: 5m
  condition:
    gte: 3
"""


def _write_rules(folder: Path) -> None:
    folder.mkdir()
    for number in range(12):
        detection = f"sel:\n  Image|endswith: '\\tool{number}.exe'\n  User: null\ncondition: sel"
        rule_id = f"00000000-0000-0000-0000-{number + 16:012d}"
        (folder / f"rule{number:02d}.yml").write_text(rule_yaml(detection, rule_id=rule_id))
    (folder / "broken.yml").write_text("title: [unclosed\n")
    (folder / "bad_regex.yml").write_text(rule_yaml("sel:\n  CommandLine|re: '(a)\\1'\ncondition: sel"))
    (folder / "old.yml").write_text(
        rule_yaml("sel:\n  Image: x\ncondition: sel", rule_id="00000000-0000-0000-0000-0000000000d1").replace(
            "status: test", "status: deprecated"
        )
    )
    (folder / "correlation.yml").write_text(CORRELATION)
    (folder / "latin1.yml").write_bytes(b"title: caf\xe9\n")


def test_two_workers_give_what_one_process_gives(tmp_path: Path) -> None:
    _write_rules(tmp_path / "rules")
    alone = load_rules(paths=[tmp_path / "rules"], workers=1)
    pooled = load_rules(paths=[tmp_path / "rules"], workers=2)
    assert alone.report.loaded == 12
    assert pooled.rules == alone.rules
    assert pooled.correlations == alone.correlations
    assert pooled.report.failed == alone.report.failed
    assert len(pooled.report.failed) == 3  # broken YAML, RE2 refusal, unreadable bytes
    assert pooled.report.deprecated == alone.report.deprecated
    assert pooled.report.notes == alone.report.notes


def test_pool_fills_the_compile_cache_for_the_next_load(tmp_path: Path) -> None:
    _write_rules(tmp_path / "rules")
    first = load_rules(paths=[tmp_path / "rules"], cache_dir=tmp_path / "cache", workers=2)
    second = load_rules(paths=[tmp_path / "rules"], cache_dir=tmp_path / "cache", workers=2)
    assert second.report.files == 17
    assert second.report.cached_files == 15  # every file but the correlation and the unreadable one
    assert second.rules == first.rules


def test_compiling_twice_gives_equal_rules_null_values_included(tmp_path: Path) -> None:
    text = rule_yaml("sel:\n  Image: x\n  User: null\ncondition: sel")
    first, second = (compile_rule_file("r.yml", text).rules[0] for _ in range(2))
    assert first == second
    items = first.detections["sel"].items
    assert any(getattr(item, "text", "") == "User: null" for item in items)


def _where_compiled(path: str, text: str) -> FileResult:
    """A stand-in compile that reports the process it ran in (module level, so it pickles)."""
    return FileResult(failures=[RuleFailure(SourceLocation(path), str(os.getpid()))])


def _pids(results: list[FileResult]) -> set[int]:
    return {int(result.failures[0].reason) for result in results}


def test_jobs_run_in_worker_processes_and_keep_their_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel_compile, "pool_allowed", lambda: True)  # even if a test left a thread
    jobs = [(f"file{number}.yml", "") for number in range(40)]
    results = compile_files(jobs, _where_compiled, workers=2)
    assert [result.failures[0].location.file for result in results] == [path for path, _ in jobs]
    assert os.getpid() not in _pids(results)


def test_a_threaded_process_compiles_in_place() -> None:
    release = threading.Event()
    helper = threading.Thread(target=release.wait)
    helper.start()
    try:
        results = compile_files([("a.yml", ""), ("b.yml", "")], _where_compiled, workers=2)
    finally:
        release.set()
        helper.join()
    assert _pids(results) == {os.getpid()}


def _report_pool_allowed(answers: multiprocessing.queues.Queue[bool]) -> None:
    answers.put(parallel_compile.pool_allowed())


def test_a_daemonic_worker_compiles_in_place() -> None:
    context = multiprocessing.get_context("fork")
    answers: multiprocessing.queues.Queue[bool] = context.Queue()
    child = context.Process(target=_report_pool_allowed, args=(answers,), daemon=True)
    child.start()
    child.join(30)
    assert answers.get(timeout=5) is False


def test_worker_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel_compile, "available_cpus", lambda: 2)
    assert worker_count(2407) == 2
    assert worker_count(399) == 1  # under 200 files per worker a pool costs more than it saves
    assert worker_count(10) == 1
    assert worker_count(10, requested=4) == 4
    assert worker_count(3, requested=8) == 3
    assert worker_count(0, requested=0) == 1
