"""The S3 evidence backend against a real S3 HTTP server on localhost (moto's server mode)."""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from ironwatch.bootstrap import Runtime, build_runtime, evidence_store_for
from ironwatch.core.clock import FrozenClock
from ironwatch.core.errors import UnavailableError
from ironwatch.evidence import service
from ironwatch.settings import Settings
from ironwatch.store.evidence_s3 import S3EvidenceStore
from ironwatch.store.evidence_store import ContentMissingError
from tests.integration.test_evidence_custody import _export, _verify
from tests.integration.test_evidence_intake import ADMIN, open_incident, register

BUCKET = "ironwatch-evidence"
KEYS = {"evidence_s3_access_key_id": "testing", "evidence_s3_secret_access_key": "testing"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def s3_runtime(
    s3_endpoint: str, tmp_path: Path, clock: FrozenClock, sqlite_template: Path
) -> Iterator[Runtime]:
    home = tmp_path / "home"
    home.mkdir()
    (home / "ironwatch.db").write_bytes(sqlite_template.read_bytes())
    settings = Settings(
        home=home,
        evidence_s3_bucket=BUCKET,
        evidence_s3_endpoint=s3_endpoint,
        evidence_s3_region="us-east-1",
        evidence_s3_prefix=f"{tmp_path.name}/",
        **KEYS,  # type: ignore[arg-type]
    )
    runtime = build_runtime(settings, clock=clock)
    yield runtime
    runtime.close()


def _object(runtime: Runtime, key: str) -> bytes:
    store = runtime.evidence_store
    assert isinstance(store, S3EvidenceStore)
    with store.open(key) as body:
        return body.read()


def test_evidence_round_trips_through_the_bucket_under_its_digest(
    s3_runtime: Runtime, tmp_path: Path
) -> None:
    ref = open_incident(s3_runtime)
    content = os.urandom(1024 * 1024 + 3)
    (tmp_path / "mem.raw").write_bytes(content)
    (tmp_path / "copy.raw").write_bytes(content)

    row = register(s3_runtime, ref, tmp_path / "mem.raw")
    again = register(s3_runtime, ref, tmp_path / "copy.raw")

    digest = hashlib.sha256(content).hexdigest()
    assert row.storage_backend == "s3" and row.storage_key == f"{BUCKET}/{tmp_path.name}/{digest}"
    assert again.storage_key == row.storage_key  # stored once
    assert _object(s3_runtime, row.storage_key) == content
    staging = s3_runtime.settings.home / "evidence"
    assert not [p for p in staging.rglob("*") if p.is_file()]  # nothing left behind locally
    assert _verify(s3_runtime, row.id).ok  # type: ignore[attr-defined]
    archive = _export(s3_runtime, ref)
    assert archive.read(f"evidence/{ref}-E1/mem.raw") == content


def test_large_items_go_up_in_parts_and_still_verify(s3_runtime: Runtime, tmp_path: Path) -> None:
    store = s3_runtime.evidence_store
    assert isinstance(store, S3EvidenceStore)
    store.whole_object_limit = 5 * 1024 * 1024  # S3's smallest part size
    ref = open_incident(s3_runtime)
    content = os.urandom(11 * 1024 * 1024)
    (tmp_path / "disk.img").write_bytes(content)
    row = register(s3_runtime, ref, tmp_path / "disk.img")
    assert _object(s3_runtime, row.storage_key) == content
    assert _verify(s3_runtime, row.id).ok  # type: ignore[attr-defined]


def test_a_changed_object_fails_verification(s3_runtime: Runtime, tmp_path: Path) -> None:
    ref = open_incident(s3_runtime)
    (tmp_path / "f").write_bytes(b"original")
    row = register(s3_runtime, ref, tmp_path / "f")
    store = s3_runtime.evidence_store
    assert isinstance(store, S3EvidenceStore)
    bucket, _, key = row.storage_key.partition("/")
    store.client.put_object(Bucket=bucket, Key=key, Body=b"replaced")
    result = _verify(s3_runtime, row.id)
    assert not result.ok and result.content == "mismatch"  # type: ignore[attr-defined]


def test_a_rolled_back_intake_removes_the_object(s3_runtime: Runtime, tmp_path: Path) -> None:
    ref = open_incident(s3_runtime)
    (tmp_path / "f").write_bytes(b"rolled back")
    with s3_runtime.uow(ADMIN, write=True) as uow:
        row = service.register_file(
            uow, ref, tmp_path / "f", filename="f", description="", purpose="p", location="", source="cli"
        )
        key = row.storage_key
    with pytest.raises(ContentMissingError):
        _object(s3_runtime, key)


def test_an_unreachable_bucket_is_a_clear_error(tmp_path: Path) -> None:
    store = evidence_store_for(
        Settings(
            home=tmp_path,
            evidence_s3_bucket=BUCKET,
            evidence_s3_endpoint=f"http://127.0.0.1:{_free_port()}",
            evidence_s3_region="us-east-1",
            **KEYS,  # type: ignore[arg-type]
        )
    )
    (tmp_path / "f").write_bytes(b"x")
    with (tmp_path / "f").open("rb") as stream:
        staged = store.stage(stream)
    with pytest.raises(UnavailableError) as refused:
        store.keep(staged)
    assert "IRONWATCH_EVIDENCE_S3" in (refused.value.hint or "")
    assert not staged.temp_path.exists()
