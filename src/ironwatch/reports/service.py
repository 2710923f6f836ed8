"""Reporting services: file a report (opening an incident), and let reporters follow their own.

A report becomes an incident in state ``reported`` through the incidents service (the reporter
is the incident's ``created_by`` and reporter contact; the kind is a tag) and a report record
that keeps what was said as received, with a lookup token kept only as its SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import timedelta
from functools import partial

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import Select, select

from ironwatch.core.errors import NotFoundError, ValidationError
from ironwatch.core.ids import new_id, parse_reference
from ironwatch.core.permissions import Permission
from ironwatch.core.principal import public_reporter_principal
from ironwatch.incidents import schemas as incident_schemas
from ironwatch.incidents.attachments import attachments_of, record_attachment
from ironwatch.incidents.service import create_incident
from ironwatch.reports import schemas as s
from ironwatch.reports.intake import AttachmentLimits, IncomingFile, check_count, discard, stage_attachments
from ironwatch.reports.public import PublicIntake, check_public_intake
from ironwatch.store.blobs import BlobStore
from ironwatch.store.tables import IncidentRow, ReportRow, UserRow
from ironwatch.store.uow import UnitOfWork

LOOKUP_TOKEN_PREFIX = "rpt_"  # noqa: S105 (a marker, not a secret)
#: clocks differ; a report may say it happened a little after the server's now
CLOCK_SKEW = timedelta(minutes=5)


def lookup_token_hash(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8", "surrogateescape")).hexdigest()


def submit_report(
    uow: UnitOfWork,
    data: s.ReportSubmission,
    *,
    files: Sequence[IncomingFile] = (),
    blobs: BlobStore,
    limits: AttachmentLimits,
) -> s.ReportReceipt:
    """File a report as the unit of work's principal (``report:submit``); the caller commits.

    Attachments are staged and hashed first; if one is refused, nothing is stored. Files placed
    in the blob store for this report are removed again if the unit of work does not commit.
    """
    principal = uow.principal
    principal.require(Permission.REPORT_SUBMIT)
    now = uow.clock.now()
    if data.occurred_at is not None and data.occurred_at > now + CLOCK_SKEW:
        raise ValidationError(
            "occurred_at lies in the future", hint="give the time it happened, with its time zone"
        )
    check_count(len(files), limits)
    anonymous = principal.kind == "anonymous"
    incident_data = incident_schemas.IncidentCreate(
        title=data.title,
        summary=data.description,
        observations=f"Location: {data.location}" if data.location else "",
        reporter=data.reporter if anonymous else _contact_of_signed_in(uow, data.reporter),
        occurred_at=data.occurred_at,
        reported_at=now,
        tags=[data.kind.value],
        affected_assets=data.systems,
    )
    staged = stage_attachments(blobs, files, limits)
    try:
        uow.set_action("report.submit_public" if anonymous else "report.submit")
        incident = create_incident(uow, incident_data, via_report=True)
        token = LOOKUP_TOKEN_PREFIX + secrets.token_urlsafe(32)
        uow.session.add(
            ReportRow(
                id=new_id(),
                incident_id=incident.id,
                kind=data.kind.value,
                title=data.title,
                description=data.description,
                location=data.location,
                systems=list(data.systems),
                occurred_at=data.occurred_at,
                anonymous=anonymous,
                source_ip=principal.source_ip,
                lookup_token_hash=lookup_token_hash(token),
                submitted_at=now,
            )
        )
        receipts = []
        for item in staged:
            if blobs.place(item.blob):
                uow.on_rollback(partial(blobs.remove, item.blob.sha256))
            row = record_attachment(
                uow,
                incident,
                sha256=item.blob.sha256,
                size=item.blob.size,
                filename=item.file.filename,
                content_type=item.file.content_type,
            )
            receipts.append(s.AttachmentReceipt(filename=row.filename, size=row.size, sha256=row.sha256))
        uow.flush()
        uow.set_action(None)
    except BaseException:
        discard(blobs, staged)
        raise
    return s.ReportReceipt(
        reference=incident.ref, status=incident.status, lookup_token=token, attachments=receipts
    )


def submit_public_report(
    uow: UnitOfWork,
    data: s.ReportSubmission,
    *,
    files: Sequence[IncomingFile] = (),
    blobs: BlobStore,
    limits: AttachmentLimits,
    intake: PublicIntake,
) -> s.ReportReceipt:
    """File a report without credentials: only when enabled, and within the per-address rate.

    The incident's actor is ``anonymous``; the audit entries carry the source address.
    """
    check_public_intake(uow, intake)
    uow.act_as(public_reporter_principal(uow.principal.source_ip))
    return submit_report(uow, data, files=files, blobs=blobs, limits=limits)


def _contact_of_signed_in(
    uow: UnitOfWork, given: incident_schemas.ReporterContact
) -> incident_schemas.ReporterContact:
    """The contact as given, with a missing name and e-mail taken from the reporter's account."""
    principal = uow.principal
    user = uow.session.get(UserRow, principal.user_id) if principal.user_id else None
    name = given.name or (user.display_name or user.username if user else principal.name)
    email = given.email or (user.email if user else None)
    try:
        return incident_schemas.ReporterContact(name=name, email=email, phone=given.phone, unit=given.unit)
    except PydanticValidationError:
        # an account's e-mail that is not a deliverable address is left out rather than refused
        return given.model_copy(update={"name": name})


def _reports() -> Select[ReportRow, IncidentRow]:
    return select(ReportRow, IncidentRow).join(IncidentRow, IncidentRow.id == ReportRow.incident_id)


def _own(uow: UnitOfWork) -> Select[ReportRow, IncidentRow]:
    # a report is one's own when one filed it signed in; anonymous ones are reached by token only
    return _reports().where(IncidentRow.created_by == uow.principal.name, ReportRow.anonymous.is_(False))


def list_own_reports(uow: UnitOfWork) -> list[s.ReportSummary]:
    """The caller's own reports, newest first (``report:read_own``)."""
    uow.principal.require(Permission.REPORT_READ_OWN)
    rows = uow.session.execute(_own(uow).order_by(ReportRow.submitted_at.desc(), ReportRow.id.desc()))
    return [_summary(report, incident) for report, incident in rows]


def own_report(uow: UnitOfWork, reference: str) -> s.ReportView:
    """One of the caller's own reports (``report:read_own``); anyone else's is not found."""
    uow.principal.require(Permission.REPORT_READ_OWN)
    ref = _reference(reference)
    found = uow.session.execute(_own(uow).where(IncidentRow.ref == ref)).one_or_none()
    if found is None:
        raise NotFoundError(
            f"you have no report {ref}",
            hint="list your reports with GET /api/v1/reports or `ironwatch report list`",
        )
    return _view(uow, *found)


def report_by_token(uow: UnitOfWork, reference: str, token: str) -> s.ReportView:
    """A report looked up with the token its reporter was given; no sign-in needed."""
    ref = _reference(reference)
    digest = lookup_token_hash(token)
    found = uow.session.execute(
        _reports().where(IncidentRow.ref == ref, ReportRow.lookup_token_hash == digest)
    ).one_or_none()
    if found is None or not hmac.compare_digest(found[0].lookup_token_hash, digest):
        raise NotFoundError(
            f"no report {ref} with this lookup token",
            hint="give the reference and the token exactly as shown when the report was filed",
        )
    return _view(uow, *found)


def _reference(text: str) -> str:
    if parse_reference(text) is None:
        raise NotFoundError(f"{text!r} is not a report reference", hint="references look like IR-2026-0001")
    return text.strip().upper()


def _summary(report: ReportRow, incident: IncidentRow) -> s.ReportSummary:
    return s.ReportSummary(
        reference=incident.ref,
        title=report.title,
        kind=s.ReportKind(report.kind),
        status=incident.status,
        submitted_at=report.submitted_at,
        updated_at=incident.updated_at,
    )


def _view(uow: UnitOfWork, report: ReportRow, incident: IncidentRow) -> s.ReportView:
    # only the files the reporter sent: analysts' attachments on the incident are internal
    mine = [a for a in attachments_of(uow, incident.id) if a.uploaded_by == incident.created_by]
    return s.ReportView(
        **_summary(report, incident).model_dump(),
        description=report.description,
        occurred_at=report.occurred_at,
        location=report.location,
        systems=report.systems,
        attachments=[s.AttachmentReceipt(filename=a.filename, size=a.size, sha256=a.sha256) for a in mine],
    )
