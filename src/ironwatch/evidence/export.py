"""Exporting evidence as a zip: the files, a manifest (JSON and text), SHA256SUMS, the custody log.

The export is a handling too: each item exported gets an ``exported`` custody entry before the
archive is written, so the custody log inside the archive is complete up to and including the
export itself. Content is streamed into the archive and re-hashed on the way; an item whose
content no longer matches its digest stops the export (run ``evidence verify`` to record it).

Layout::

    manifest.json        incident, who exported when and why, each item with hashes, sizes, custody
    manifest.txt         the same for people
    SHA256SUMS           ``sha256sum -c SHA256SUMS`` checks every file
    evidence/<label>/<filename>
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from typing import Any, BinaryIO

import orjson

from ironwatch.core.errors import IntegrityError, NotFoundError, ValidationError
from ironwatch.core.ids import parse_reference
from ironwatch.core.permissions import Permission
from ironwatch.evidence.custody import CustodyAction, append_entry, custody_log
from ironwatch.evidence.schemas import CustodyEntryView, EvidenceView
from ironwatch.evidence.service import DESTROYED, find_evidence, list_evidence
from ironwatch.store.blobs import CHUNK
from ironwatch.store.evidence_store import ContentMissingError
from ironwatch.store.tables import EvidenceRow, IncidentRow
from ironwatch.store.uow import UnitOfWork

MANIFEST_FORMAT = "ironwatch-evidence-export/1"


@dataclass(frozen=True)
class ExportSummary:
    items: int
    files: int
    bytes: int
    manifest: dict[str, Any]


def export_evidence(
    uow: UnitOfWork,
    key: str,
    output: BinaryIO,
    *,
    purpose: str,
    whole_incident: bool | None = None,
) -> ExportSummary:
    """Write a zip of an incident's evidence (``key`` a reference) or of one item (label or id).

    ``whole_incident`` says which (``None``: a reference means the incident). Needs
    ``evidence:write``. The caller commits the ``exported`` entries once the archive is written;
    if writing fails, nothing is recorded.
    """
    uow.principal.require(Permission.EVIDENCE_WRITE)
    if not purpose.strip():
        raise ValidationError(
            "the purpose of the export is missing", hint="say why, e.g. --purpose 'to police'"
        )
    items = _items(uow, key, whole_incident)
    now = uow.clock.now()
    uow.set_action("evidence.export")
    for evidence, _ in items:
        if evidence.status != DESTROYED:
            append_entry(
                uow,
                evidence,
                CustodyAction.EXPORTED,
                purpose=purpose.strip(),
                holder=evidence.holder,
                location=evidence.location,
                note=f"exported as a zip by {uow.principal.name}",
            )
    uow.set_action(None)
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "exported_at": now.isoformat(),
        "exported_by": uow.principal.name,
        "purpose": purpose.strip(),
        "items": [],
    }
    files = total = 0
    stamp = now.timetuple()[:6]
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for evidence, incident in items:
            entry = _manifest_item(uow, evidence, incident)
            if evidence.status != DESTROYED:
                entry["path"] = f"evidence/{entry['label']}/{evidence.filename}"
                _copy_into(uow, archive, entry["path"], evidence, stamp, entry["label"])
                files += 1
                total += evidence.size
            manifest["items"].append(entry)
        manifest["incidents"] = sorted({item["incident"] for item in manifest["items"]})
        _write(archive, "manifest.json", _json(manifest), stamp)
        _write(archive, "manifest.txt", manifest_text(manifest).encode(), stamp)
        sums = "".join(f"{i['sha256']}  {i['path']}\n" for i in manifest["items"] if "path" in i)
        _write(archive, "SHA256SUMS", sums.encode(), stamp)
    return ExportSummary(items=len(items), files=files, bytes=total, manifest=manifest)


def _items(uow: UnitOfWork, key: str, whole_incident: bool | None) -> list[tuple[EvidenceRow, IncidentRow]]:
    if whole_incident is None:
        whole_incident = parse_reference(key) is not None
    if not whole_incident:
        return [find_evidence(uow, key)]
    items = list_evidence(uow, key)
    if not items:
        raise NotFoundError(
            f"{key} holds no evidence to export", hint="add some with `ironwatch evidence add`"
        )
    return items


def _manifest_item(uow: UnitOfWork, evidence: EvidenceRow, incident: IncidentRow) -> dict[str, Any]:
    item = EvidenceView.of(evidence, incident).model_dump(mode="json")
    item["custody"] = [CustodyEntryView.of(e).model_dump(mode="json") for e in custody_log(uow, evidence.id)]
    return item


def _copy_into(
    uow: UnitOfWork,
    archive: zipfile.ZipFile,
    name: str,
    evidence: EvidenceRow,
    stamp: tuple[int, ...],
    item_label: str,
) -> None:
    digest = hashlib.sha256()
    info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
    info.external_attr = 0o444 << 16
    try:
        with (
            uow.evidence_store.open(evidence.storage_key) as source,
            archive.open(info, "w", force_zip64=True) as target,
        ):
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                target.write(chunk)
    except ContentMissingError as exc:
        raise IntegrityError(
            f"{item_label}: the stored content is missing ({exc.where})",
            hint=f"run `ironwatch evidence verify {item_label}` to record it; nothing was exported",
        ) from None
    if digest.hexdigest() != evidence.sha256:
        raise IntegrityError(
            f"{item_label}: the stored content no longer matches its SHA-256 {evidence.sha256} "
            f"(found {digest.hexdigest()})",
            hint=f"run `ironwatch evidence verify {item_label}` to record it; nothing was exported",
        )


def _write(archive: zipfile.ZipFile, name: str, data: bytes, stamp: tuple[int, ...]) -> None:
    info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
    info.external_attr = 0o444 << 16
    archive.writestr(info, data)


def _json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def manifest_text(manifest: dict[str, Any]) -> str:
    """The manifest for people: each item with digest and size, then its custody log."""
    lines = [
        "Evidence export",
        f"  exported at: {manifest['exported_at']}",
        f"  exported by: {manifest['exported_by']}",
        f"  purpose:     {manifest['purpose']}",
        f"  items:       {len(manifest['items'])}",
        "",
    ]
    for item in manifest["items"]:
        lines += [
            f"{item['label']}  {item['filename']}",
            f"  SHA-256:     {item['sha256']}",
            f"  size:        {item['size']} bytes",
            f"  file:        {item.get('path', '(not included: ' + item['status'] + ')')}",
            f"  description: {item['description']}",
            f"  collected:   {item['collected_at']} by {item['collected_by']} ({item['source']})",
            f"  status:      {item['status']}"
            + (f" ({item['status_reason']})" if item["status_reason"] else ""),
            "  chain of custody:",
        ]
        for entry in item["custody"]:
            lines.append(
                f"    {entry['seq']:>3}  {entry['at']}  {entry['action']:<11}  {entry['actor']}"
                f"  purpose: {entry['purpose']}  holder: {entry['holder']}  location: {entry['location']}"
                + (f"  note: {entry['note']}" if entry["note"] else "")
            )
            lines.append(f"         hash {entry['hash']}")
        lines.append("")
    return "\n".join(lines)
