"""The plan as a versioned, audited part of the running system (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from ironwatch.bootstrap import Runtime, ensure_starter_plan
from ironwatch.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from ironwatch.core.principal import system_principal
from ironwatch.plan import service
from ironwatch.plan.problems import PlanError
from ironwatch.plan.starter import init_plan_text
from ironwatch.store.audit import verify_audit
from ironwatch.store.tables import AuditEntryRow
from tests.support.people import add_user, principal

STARTER = init_plan_text("Acme Ltd")
NEW_PHONE = STARTER.replace("phone: +44 20 7946 0101", "phone: +44 20 7946 0199")


def _apply(runtime: Runtime, plan_text: str, note: str = "") -> service.VersionInfo:
    with runtime.uow(system_principal("test"), write=True) as uow:
        info, _ = service.apply_plan(uow, plan_text, source="plan.yaml", note=note)
        uow.commit()
    return info


def _audit(runtime: Runtime) -> list[AuditEntryRow]:
    with runtime.db.session(write=False) as session:
        return list(
            session.scalars(
                select(AuditEntryRow)
                .where(AuditEntryRow.object_type == "plan_version")
                .order_by(AuditEntryRow.seq)
            )
        )


def test_applying_a_new_version_keeps_the_old_one_exactly(runtime: Runtime) -> None:
    first = _apply(runtime, STARTER, "adopted")
    second = _apply(runtime, NEW_PHONE, "Alex has a new phone")
    assert (first.version, second.version) == (1, 2)
    with runtime.uow(system_principal("test")) as uow:
        assert service.get_version(uow, 1).text == STARTER
        assert service.get_version(uow, 2).text == NEW_PHONE
        assert [v.version for v in service.list_versions(uow)] == [2, 1]
        assert service.current_plan(uow).team.person("alex").phone == "+44 20 7946 0199"  # type: ignore[union-attr]
    assert second.summary["previous"] == 1
    assert second.summary["paths"] == [{"kind": "changed", "path": "team.people[alex].phone"}]
    assert second.note == "Alex has a new phone" and second.applied_by == "system:test"


def test_each_version_is_audited_as_plan_apply_and_audit_verify_passes(runtime: Runtime) -> None:
    _apply(runtime, STARTER)
    _apply(runtime, NEW_PHONE)
    entries = _audit(runtime)
    assert [e.action for e in entries] == ["plan.apply", "plan.apply"]
    assert entries[1].changes["version"] == [None, 2]
    assert entries[1].changes["summary"][1]["changed"] == 1
    assert entries[1].changes["text"] == [None, NEW_PHONE]
    with runtime.db.session(write=False) as session:
        report = verify_audit(session)
    assert report.ok, report.problems


def test_a_stored_plan_edited_behind_ironwatchs_back_fails_audit_verify(runtime: Runtime) -> None:
    _apply(runtime, STARTER)
    with runtime.db.engine.begin() as conn:
        conn.execute(text("UPDATE plan_versions SET text = 'organisation: {}'"))
    with runtime.db.session(write=False) as session:
        report = verify_audit(session)
    assert not report.ok
    assert report.problems[0].object_type == "plan_version"
    assert "differs from its last audited state" in report.problems[0].message


def test_applying_the_plan_in_force_again_is_refused_and_stores_nothing(runtime: Runtime) -> None:
    _apply(runtime, STARTER)
    with pytest.raises(ConflictError, match="already in force as version 1"):
        _apply(runtime, STARTER)
    with runtime.uow(system_principal("test")) as uow:
        assert len(service.list_versions(uow)) == 1


def test_going_back_to_an_earlier_text_is_a_new_version(runtime: Runtime) -> None:
    _apply(runtime, STARTER)
    _apply(runtime, NEW_PHONE)
    assert _apply(runtime, STARTER, "revert").version == 3


def test_a_broken_plan_is_refused_with_every_problem_located(runtime: Runtime) -> None:
    broken = STARTER.replace("email: alex@example.org", "emial: alex@example.org").replace(
        "review_interval: 365d", "review_interval: 365x"
    )
    with runtime.uow(system_principal("test"), write=True) as uow, pytest.raises(PlanError) as caught:
        service.apply_plan(uow, broken, source="plan.yaml")
    problems = caught.value.problems
    assert len(problems) == 2
    assert all(p.location.file == "plan.yaml" and p.location.line and p.location.column for p in problems)
    assert "did you mean 'email'" in (problems[1].hint or "")
    with runtime.uow(system_principal("test")) as uow:
        assert service.latest_version(uow) is None


def test_current_plan_is_parsed_once_per_version(runtime: Runtime) -> None:
    _apply(runtime, STARTER)
    with runtime.uow(system_principal("test")) as uow:
        first = service.current_plan(uow)
        assert service.current_plan(uow) is first
    _apply(runtime, NEW_PHONE)
    with runtime.uow(system_principal("test")) as uow:
        assert service.current_plan(uow) is not first


def test_without_a_plan_reads_say_how_to_get_one(runtime: Runtime) -> None:
    with runtime.uow(system_principal("test")) as uow:
        with pytest.raises(NotFoundError, match="no plan has been applied") as caught:
            service.current_plan(uow)
        assert "ironwatch plan apply" in (caught.value.hint or "")
        with pytest.raises(NotFoundError, match="no plan version 4"):
            service.get_version(uow, 4)


def test_diff_between_versions_lists_changes_by_id(runtime: Runtime) -> None:
    _apply(runtime, STARTER)
    _apply(runtime, NEW_PHONE)
    with runtime.uow(system_principal("test")) as uow:
        forward = service.diff_versions(uow, 1, 2)
        backward = service.diff_versions(uow, 2, 1)
    assert [(c.path, c.before, c.after) for c in forward] == [
        ("team.people[alex].phone", "+44 20 7946 0101", "+44 20 7946 0199")
    ]
    assert backward[0].after == "+44 20 7946 0101"


def test_readiness_scores_the_plan_in_force_at_the_clock(runtime: Runtime) -> None:
    _apply(runtime, STARTER)
    with runtime.uow(system_principal("test")) as uow:
        info, result = service.readiness(uow)
    assert info.version == 1
    assert result.score == 80
    assert any(g.check == "exercises" and g.severity == "high" for g in result.gaps)


def test_first_serve_applies_the_starter_plan_once_as_the_system(runtime: Runtime) -> None:
    runtime.settings.org_name = "Northwind Traders"
    assert ensure_starter_plan(runtime) == 1
    assert ensure_starter_plan(runtime) is None
    with runtime.uow(system_principal("test")) as uow:
        versions = service.list_versions(uow)
        plan = service.current_plan(uow)
    assert len(versions) == 1
    assert versions[0].applied_by == "system:bootstrap"
    assert plan.organisation.name == "Northwind Traders"
    assert [e.actor for e in _audit(runtime)] == ["system:bootstrap"]


def test_serve_leaves_an_applied_plan_alone(runtime: Runtime) -> None:
    _apply(runtime, NEW_PHONE)
    assert ensure_starter_plan(runtime) is None
    with runtime.uow(system_principal("test")) as uow:
        assert len(service.list_versions(uow)) == 1


def test_analyst_cannot_apply_and_reporter_cannot_read(runtime: Runtime) -> None:
    _apply(runtime, STARTER)
    add_user(runtime, "ana", "analyst")
    add_user(runtime, "rita", "reporter")
    with runtime.uow(principal(runtime, "ana"), write=True) as uow:
        assert service.current_plan(uow).organisation.name == "Acme Ltd"
        with pytest.raises(PermissionDeniedError, match="may not change the incident response plan"):
            service.apply_plan(uow, NEW_PHONE, source="plan.yaml")
    with (
        runtime.uow(principal(runtime, "rita")) as uow,
        pytest.raises(PermissionDeniedError, match="may not read the incident response plan"),
    ):
        service.current_plan(uow)
