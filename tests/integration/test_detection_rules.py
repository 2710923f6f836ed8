"""Rules as data: every rule kept (failed ones with file and reason), reloads replace, switches audited."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from ironwatch.bootstrap import Runtime, ensure_detection_rules
from ironwatch.core.errors import ConflictError, PermissionDeniedError, ValidationError
from ironwatch.core.principal import system_principal
from ironwatch.detect import rule_catalog, rule_loading
from ironwatch.detect.rule_set import active_rules, rule_set_state
from ironwatch.detect.schemas import RuleFilter
from ironwatch.detect.sigma.compile_cache import COMPILER_VERSION
from ironwatch.store.tables import AuditEntryRow, CompiledRuleRow, DetectionRuleRow
from tests.support.people import add_user, principal

RULES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"
FAILED_PASSWORD = "0b6a3c1e-3f55-4c1b-9a4e-2d7e0f1a9c01"
ROOT_LOGIN = "7c0f2a9d-6b1e-4f3a-8d52-91e4b7a0c3d2"
OPERATOR = system_principal("test")


def _load(runtime: Runtime, *paths: Path) -> rule_loading.LoadSummary:
    with runtime.uow(OPERATOR, write=True) as uow:
        summary = rule_loading.load_rule_paths(uow, list(paths))
        uow.commit()
    return summary


def _rows(runtime: Runtime) -> dict[str, DetectionRuleRow]:
    with runtime.uow(OPERATOR) as uow:
        return {row.rule_id: row for row in rule_catalog.list_rules(uow, RuleFilter(limit=5000))[1]}


def test_load_keeps_compiled_and_failed_rules_with_file_and_reason(runtime: Runtime) -> None:
    summary = _load(runtime, RULES)
    assert (summary.files, summary.compiled, summary.failed, summary.added) == (5, 2, 3, 5)
    reasons = {Path(p.path).name: p.reason for p in summary.problems}
    assert set(reasons) == {"bad_condition.yml", "backreference.yml", "not_yaml.yml"}
    assert "nosuchthing" in reasons["bad_condition.yml"]
    assert "RE2" in reasons["backreference.yml"]
    assert "cannot parse rule file" in reasons["not_yaml.yml"]
    rows = _rows(runtime)
    assert len(rows) == 5
    failed = [row for row in rows.values() if row.state == "failed"]
    assert len(failed) == 3 and all(row.error and row.source_path.endswith(".yml") for row in failed)
    ok = rows[FAILED_PASSWORD]
    assert (ok.state, ok.enabled, ok.level, ok.origin) == ("compiled", True, "low", "path")
    assert ok.text == (RULES / "sshd_failed_password.yml").read_text() and len(ok.sha256) == 64
    with runtime.uow(OPERATOR) as uow:
        active = active_rules(uow)
        audited = uow.session.scalar(
            select(func.count())
            .select_from(AuditEntryRow)
            .where(
                AuditEntryRow.action == "detection_rule.load", AuditEntryRow.object_type == "detection_rule"
            )
        )
    assert {rule.id for rule in active.ruleset.rules} == {FAILED_PASSWORD, ROOT_LOGIN}
    assert active.counts["failed"] == 3
    assert audited == 5


def test_a_cold_load_of_many_files_compiles_them_on_a_pool_with_the_same_result(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pooled: list[int] = []
    real = rule_loading.compile_files

    def spy(jobs: list[tuple[str, str]], compile_one: object, *, workers: int) -> object:
        pooled.append(len(jobs))
        return real(jobs, compile_one, workers=workers)  # type: ignore[arg-type]

    monkeypatch.setattr(rule_loading, "worker_count", lambda files: 2)  # as for 400+ files
    monkeypatch.setattr(rule_loading, "pool_allowed", lambda: True)  # even if a test left a thread
    monkeypatch.setattr(rule_loading, "compile_files", spy)
    with runtime.uow(OPERATOR, write=True) as uow:
        summary = rule_loading.load_rule_paths(uow, [RULES], cache_dir=tmp_path / "cache")
        uow.commit()
    assert pooled == [5], "the five files are compiled on the pool, once"
    assert (summary.files, summary.compiled, summary.failed, summary.added) == (5, 2, 3, 5)
    assert {Path(p.path).name for p in summary.problems} == {
        "bad_condition.yml",
        "backreference.yml",
        "not_yaml.yml",
    }
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 5
    with runtime.uow(OPERATOR) as uow:
        assert {rule.id for rule in active_rules(uow).ruleset.rules} == {FAILED_PASSWORD, ROOT_LOGIN}


def test_reload_skips_unchanged_files_and_replaces_changed_ones(runtime: Runtime, tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder, ignore=shutil.ignore_patterns("broken"))
    _load(runtime, folder)
    with runtime.uow(OPERATOR) as uow:
        version, digest = rule_set_state(uow)
    again = _load(runtime, folder)
    assert (again.unchanged_files, again.added, again.updated, again.removed) == (2, 0, 0, 0)
    with runtime.uow(OPERATOR) as uow:
        assert rule_set_state(uow) == (version, digest), "an unchanged load writes nothing"
    rule = folder / "sshd_failed_password.yml"
    rule.write_text(rule.read_text().replace("level: low", "level: medium"))
    (folder / "sshd_root_accepted.yml").write_text("title: gone\n")  # the root rule leaves that file
    changed = _load(runtime, folder)
    assert (changed.updated, changed.removed, changed.added, changed.failed) == (1, 1, 1, 1)
    rows = _rows(runtime)
    assert rows[FAILED_PASSWORD].level == "medium"
    assert ROOT_LOGIN not in rows
    with runtime.uow(OPERATOR) as uow:
        assert rule_set_state(uow)[0] == version + 1


def test_disable_needs_a_reason_is_audited_and_leaves_the_rule_set(runtime: Runtime) -> None:
    _load(runtime, RULES)
    with runtime.uow(OPERATOR, write=True) as uow, pytest.raises(ValidationError):
        rule_catalog.set_rule_enabled(uow, FAILED_PASSWORD, enabled=False, reason=" ")
    with runtime.uow(OPERATOR, write=True) as uow:
        rule_catalog.set_rule_enabled(uow, FAILED_PASSWORD, enabled=False, reason="noisy on bastion hosts")
        uow.commit()
    row = _rows(runtime)[FAILED_PASSWORD]
    assert (row.enabled, row.changed_by, row.change_reason) == (
        False,
        "system:test",
        "noisy on bastion hosts",
    )
    with runtime.uow(OPERATOR) as uow:
        assert {rule.id for rule in active_rules(uow).ruleset.rules} == {ROOT_LOGIN}
        actions = uow.session.scalars(
            select(AuditEntryRow.action).where(AuditEntryRow.object_type == "detection_rule")
        ).all()
    assert "detection_rule.disable" in actions
    again = _load(runtime, RULES)
    assert again.unchanged_files == 5 and not _rows(runtime)[FAILED_PASSWORD].enabled, "reloads keep switches"


def test_a_rule_that_failed_cannot_be_enabled(runtime: Runtime) -> None:
    _load(runtime, RULES)
    with runtime.uow(OPERATOR, write=True) as uow, pytest.raises(ConflictError, match="did not compile"):
        rule_catalog.set_rule_enabled(uow, "3e1d9b7a-0c4f-4a2e-b6d1-5f8a9c2e7b14", enabled=True, reason="")


def test_loading_needs_rules_write(runtime: Runtime) -> None:
    add_user(runtime, "ana", "analyst")
    add_user(runtime, "rita", "reporter")
    with runtime.uow(principal(runtime, "rita"), write=True) as uow, pytest.raises(PermissionDeniedError):
        rule_loading.load_rule_paths(uow, [RULES])
    with runtime.uow(principal(runtime, "ana"), write=True) as uow:
        assert rule_loading.load_rule_paths(uow, [RULES]).compiled == 2


def test_start_loads_configured_paths_and_the_built_in_rules(sqlite_runtime: Runtime, tmp_path: Path) -> None:
    loaded = ensure_detection_rules(sqlite_runtime, [RULES / "sshd_failed_password.yml"])
    assert loaded[0][0] == "built-in rules"
    assert loaded[-1][1].compiled == 1
    builtin = rule_loading.builtin_sources()
    rows = _rows(sqlite_runtime)
    assert FAILED_PASSWORD in rows
    assert sum(row.origin == "builtin" for row in rows.values()) >= len(builtin)
    assert all(row.source_path.startswith("builtin:") for row in rows.values() if row.origin == "builtin")
    second = ensure_detection_rules(sqlite_runtime, [RULES / "sshd_failed_password.yml"])
    assert all(summary.files == summary.unchanged_files for _, summary in second)


def _age_compiled_forms(runtime: Runtime) -> None:
    """Pretend an older compiler wrote every stored compiled form."""
    with runtime.uow(OPERATOR, write=True) as uow:
        uow.session.execute(update(CompiledRuleRow).values(compiler_version="0-older"))
        uow.commit()


def _compiler_versions(runtime: Runtime) -> set[str]:
    with runtime.uow(OPERATOR) as uow:
        return set(uow.session.scalars(select(CompiledRuleRow.compiler_version)))


def test_a_load_recompiles_unchanged_files_whose_compiled_forms_are_outdated(
    sqlite_runtime: Runtime, tmp_path: Path
) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder, ignore=shutil.ignore_patterns("broken"))
    _load(sqlite_runtime, folder)
    before = {row.rule_id: row.level for row in _rows(sqlite_runtime).values()}
    _age_compiled_forms(sqlite_runtime)
    with sqlite_runtime.uow(OPERATOR) as uow:
        version, _ = rule_set_state(uow)
    refreshed = _load(sqlite_runtime, folder)
    assert refreshed.unchanged_files == 0 and refreshed.updated == len(before) and refreshed.added == 0
    assert _compiler_versions(sqlite_runtime) == {COMPILER_VERSION}
    assert {row.rule_id: row.level for row in _rows(sqlite_runtime).values()} == before
    with sqlite_runtime.uow(OPERATOR) as uow:
        assert rule_set_state(uow)[0] == version + 1
        assert FAILED_PASSWORD in {rule.id for rule in active_rules(uow).ruleset.rules}
    again = _load(sqlite_runtime, folder)
    assert again.unchanged_files == 2 and again.updated == 0


def test_start_refreshes_outdated_compiled_forms_of_uploaded_rules(sqlite_runtime: Runtime) -> None:
    text = (RULES / "sshd_failed_password.yml").read_text(encoding="utf-8")
    with sqlite_runtime.uow(OPERATOR, write=True) as uow:
        rule_loading.load_rule_sources(uow, [("uploads/ssh.yml", text)], origin="upload")
        uow.commit()
    ensure_detection_rules(sqlite_runtime, [])
    _age_compiled_forms(sqlite_runtime)
    started = ensure_detection_rules(sqlite_runtime, [])
    assert started[-1][0] == "rules compiled by an older version"
    assert started[-1][1].updated >= 1 and started[-1][1].added == 0
    assert _compiler_versions(sqlite_runtime) == {COMPILER_VERSION}
    rows = _rows(sqlite_runtime)
    assert rows[FAILED_PASSWORD].origin == "upload" and rows[FAILED_PASSWORD].source_path == "uploads/ssh.yml"
    quiet = ensure_detection_rules(sqlite_runtime, [])
    assert [what for what, _ in quiet] == ["built-in rules"]


def test_a_missing_rule_path_is_an_error_with_a_hint(sqlite_runtime: Runtime, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        _load(sqlite_runtime, tmp_path / "nope")
