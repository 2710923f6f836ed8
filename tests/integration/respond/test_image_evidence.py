"""An image command's output lands in the evidence locker with matching hashes and a custody entry."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ironwatch.bootstrap import Runtime
from ironwatch.evidence import service as evidence
from ironwatch.evidence.custody import custody_log
from ironwatch.respond import actions
from ironwatch.respond.runner import run_pending, workdir_for
from ironwatch.respond.schemas import ActionRequestIn
from tests.support.people import add_user, principal
from tests.support.respond import apply_plan_with_actions, open_incident


def test_a_disk_image_is_hashed_and_registered_as_evidence(runtime: Runtime, tmp_path: Path) -> None:
    disk = tmp_path / "disk.raw"
    disk.write_bytes(b"\x00MBR" + bytes(range(256)) * 64)
    expected = hashlib.sha256(disk.read_bytes()).hexdigest()
    add_user(runtime, "ann", "analyst")
    profiles = {"disk": {"argv": ["cp", "--", "{target}", "{output}"], "description": "raw disk image"}}
    apply_plan_with_actions(
        runtime, connectors={"capture_image": {"enabled": True, "config": {"profiles": profiles}}}
    )
    ref = open_incident(runtime)
    with runtime.uow(principal(runtime, "ann"), write=True) as uow:
        row, _ = actions.request_action(
            uow,
            ref,
            ActionRequestIn(connector="capture_image", inputs={"profile": "disk", "target": str(disk)}),
        )
        uow.commit()
    assert run_pending(runtime) == 1

    with runtime.uow(principal(runtime, "ann")) as uow:
        done = actions.find_action(uow, row.id)[0]
        [(item, _)] = evidence.list_evidence(uow, ref)
        log = custody_log(uow, item.id)
    assert done.status == "succeeded", done.error
    assert done.result["details"]["sha256"] == expected
    assert done.result["recorded"]["evidence"][0]["sha256"] == expected
    assert item.sha256 == expected and item.size == disk.stat().st_size
    assert item.source == "action:capture_image" and item.description == "raw disk image"
    assert [entry.action for entry in log] == ["collected"]
    assert log[0].purpose == f"response action capture_image ({row.id})"
    assert not workdir_for(runtime.settings.home, row.id).exists()  # the working copy is gone
