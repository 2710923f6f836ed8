"""Evidence content in an S3-compatible bucket (AWS S3, MinIO, Ceph, ...), object key = SHA-256.

Content is staged and hashed locally first (like the local store), then uploaded with the
digest: up to ``whole_object_limit`` bytes in one PUT carrying ``ChecksumSHA256``, so the server
refuses the object unless it received exactly the bytes we hashed; larger items in parts, each
carrying its own SHA-256 checksum (S3 has no whole-object SHA-256 for multipart uploads), with
the full digest kept in the object's metadata. ``evidence verify`` downloads and re-hashes in
either case.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, cast

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ironwatch.core.errors import UnavailableError
from ironwatch.store.blobs import BlobStore, StagedBlob
from ironwatch.store.evidence_store import ContentMissingError, StoredContent

MIB = 1024 * 1024
_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3EvidenceStore:
    """Evidence in ``bucket`` under ``prefix + sha256``; staged under ``staging_root`` first."""

    backend = "s3"

    def __init__(
        self,
        *,
        staging_root: Path,
        bucket: str,
        max_bytes: int,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        whole_object_limit: int = 100 * MIB,
    ) -> None:
        self.staging = BlobStore(staging_root)
        self.bucket = bucket
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.whole_object_limit = whole_object_limit
        # credentials given to ironwatch win; otherwise boto3's own chain (AWS_* variables,
        # profiles, instance roles) applies
        session = boto3.session.Session(
            aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key, region_name=region
        )
        self.client: Any = session.client(
            "s3",
            endpoint_url=endpoint_url,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10),
        )

    def stage(self, stream: BinaryIO) -> StagedBlob:
        return self.staging.stage(stream, max_bytes=self.max_bytes)

    def keep(self, staged: StagedBlob) -> StoredContent:
        object_key = self.prefix + staged.sha256
        key = f"{self.bucket}/{object_key}"
        try:
            if self._exists(object_key):
                return StoredContent(self.backend, key, placed=False)
            metadata = {"sha256": staged.sha256}
            if staged.size <= self.whole_object_limit:
                with staged.temp_path.open("rb") as body:
                    self.client.put_object(
                        Bucket=self.bucket,
                        Key=object_key,
                        Body=body,
                        ContentLength=staged.size,
                        ChecksumSHA256=base64.b64encode(bytes.fromhex(staged.sha256)).decode(),
                        Metadata=metadata,
                    )
            else:
                self.client.upload_file(
                    str(staged.temp_path),
                    self.bucket,
                    object_key,
                    ExtraArgs={"ChecksumAlgorithm": "SHA256", "Metadata": metadata},
                    Config=TransferConfig(multipart_threshold=self.whole_object_limit),
                )
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(self.bucket, exc) from exc
        finally:
            self.staging.discard(staged)
        return StoredContent(self.backend, key, placed=True)

    def discard(self, staged: StagedBlob) -> None:
        self.staging.discard(staged)

    def remove(self, key: str) -> None:
        bucket, object_key = _split(key)
        try:
            self.client.delete_object(Bucket=bucket, Key=object_key)
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(bucket, exc) from exc

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        bucket, object_key = _split(key)
        try:
            response = self.client.get_object(Bucket=bucket, Key=object_key)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise ContentMissingError(self.describe(key)) from None
            raise _unavailable(bucket, exc) from exc
        except BotoCoreError as exc:
            raise _unavailable(bucket, exc) from exc
        body = response["Body"]
        try:
            # the streaming body reads from the connection as it is read: no full copy in memory
            yield cast(BinaryIO, body)
        finally:
            body.close()

    def describe(self, key: str) -> str:
        return f"s3://{key}"

    def _exists(self, object_key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=object_key)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return False
            raise
        return True


def _split(key: str) -> tuple[str, str]:
    bucket, _, object_key = key.partition("/")
    return bucket, object_key


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _unavailable(bucket: str, exc: Exception) -> UnavailableError:
    return UnavailableError(
        f"the evidence bucket {bucket!r} could not be used: {exc}",
        hint="check IRONWATCH_EVIDENCE_S3_ENDPOINT, _BUCKET and the credentials; the item was not stored",
    )
