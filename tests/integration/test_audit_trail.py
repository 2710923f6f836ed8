"""`audit verify` passes on honest data and names what was changed behind ironwatch's back."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ironwatch.bootstrap import Runtime
from ironwatch.core.principal import system_principal
from ironwatch.incidents import schemas as s
from ironwatch.incidents import service
from ironwatch.store.audit import verify_audit


def _seed(runtime: Runtime) -> str:
    with runtime.uow(system_principal("test"), write=True) as uow:
        ref = service.create_incident(uow, s.IncidentCreate(title="Seed", tags=["a"])).ref
        service.transition_incident(uow, ref, "triage")
        service.add_comment(uow, ref, s.CommentCreate(body="first look"))
        service.update_incident(uow, ref, s.IncidentUpdate(severity="high"))
        uow.commit()
    return ref


def _verify(runtime: Runtime):  # type: ignore[no-untyped-def]
    with runtime.db.session(write=False) as session:
        return verify_audit(session)


def _sql(runtime: Runtime, statement: str, **params: object) -> None:
    with runtime.db.engine.begin() as conn:
        conn.execute(text(statement), params)


def test_every_write_is_audited_with_actor_and_diff(runtime: Runtime) -> None:
    ref = _seed(runtime)
    with runtime.uow(system_principal("test")) as uow:
        entries = service.incident_audit(uow, ref)
    actions = [e.action for e in entries]
    assert actions[0] == "incident.create"
    assert "incident.transition" in actions and "comment.create" in actions
    update = [e for e in entries if e.action == "incident.update"][-1]
    assert update.changes["severity"] == [None, "high"]
    assert {e.actor for e in entries} == {"system:test"}
    report = _verify(runtime)
    assert report.ok, report.problems


def test_editing_an_incident_row_directly_is_detected(runtime: Runtime) -> None:
    _seed(runtime)
    _sql(runtime, "UPDATE incidents SET severity = 'low'")
    report = _verify(runtime)
    assert not report.ok
    assert "differs from its last audited state" in report.problems[0].message


def test_editing_an_audit_entry_is_detected_and_named(runtime: Runtime) -> None:
    _seed(runtime)
    _sql(runtime, "UPDATE audit_entries SET actor = 'mallory' WHERE seq = 2")
    report = _verify(runtime)
    assert report.problems[0].seq == 2
    assert "altered" in report.problems[0].message


def test_deleting_an_audit_entry_is_detected(runtime: Runtime) -> None:
    _seed(runtime)
    _sql(runtime, "DELETE FROM audit_entries WHERE seq = 2")
    report = _verify(runtime)
    assert "entry 2 is missing" in report.problems[0].message


def test_inserting_a_row_directly_is_detected(runtime: Runtime) -> None:
    ref = _seed(runtime)
    _sql(
        runtime,
        "INSERT INTO incident_comments (id, incident_id, author, body, created_at) "
        "SELECT 'forged', id, 'mallory', 'planted', created_at FROM incidents WHERE ref = :ref",
        ref=ref,
    )
    report = _verify(runtime)
    assert any("comment forged has no audit entry" in p.message for p in report.problems)


def test_deleting_a_row_directly_is_detected(runtime: Runtime) -> None:
    _seed(runtime)
    _sql(runtime, "DELETE FROM incident_comments")
    report = _verify(runtime)
    assert any("is audited but missing" in p.message for p in report.problems)


def test_a_forged_entry_appended_at_the_end_does_not_link(runtime: Runtime) -> None:
    _seed(runtime)
    _sql(
        runtime,
        "INSERT INTO audit_entries "
        "(seq, at, actor, action, object_type, object_id, changes, prev_hash, hash) "
        "SELECT seq + 1, at, 'mallory', 'x', 'incident', 'y', '{}', "
        # prev_hash and hash each differ from the real last hash in the first character (a fixed
        # 'f'/'e' was flaky: a real hash starting with one of them made the forgery link or clash)
        "CASE WHEN substr(hash, 1, 1) = '0' THEN '1' ELSE '0' END || substr(hash, 2), "
        "CASE WHEN substr(hash, 1, 1) = '2' THEN '3' ELSE '2' END || substr(hash, 2) "
        "FROM audit_entries ORDER BY seq DESC LIMIT 1",
    )
    assert not _verify(runtime).ok


def test_a_write_without_an_actor_is_refused(runtime: Runtime) -> None:
    from ironwatch.core.errors import ConfigurationError
    from ironwatch.store.tables import CommentRow

    with (
        runtime.db.session(write=True) as session,
        pytest.raises(ConfigurationError, match="without an actor"),
    ):
        session.add(CommentRow(id="x", incident_id="y", author="z", body="b", created_at=runtime.clock.now()))
        session.flush()
