"""Reading a report from an HTTP request: a JSON document, or a form (multipart with attachments)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from ironwatch.core.errors import ValidationError
from ironwatch.reports.intake import AttachmentLimits, IncomingFile
from ironwatch.reports.schemas import ReportSubmission

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
ATTACHMENTS_FIELD = "attachments"
TEXT_FIELDS = ("title", "description", "kind", "occurred_at", "location")
REPORTER_FIELDS = {
    "reporter_name": "name",
    "reporter_email": "email",
    "reporter_phone": "phone",
    "reporter_unit": "unit",
}
FORM_FIELDS = (*TEXT_FIELDS, "systems", *REPORTER_FIELDS, ATTACHMENTS_FIELD)
_FORM_HINT = f"multipart fields are: {', '.join(FORM_FIELDS)} (systems and attachments repeatable)"


@asynccontextmanager
async def submission_from(
    request: Request, limits: AttachmentLimits
) -> AsyncIterator[tuple[ReportSubmission, list[IncomingFile]]]:
    """The report and its attachments; uploaded files are released when the block ends."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == "application/json":
        yield ReportSubmission.model_validate_json(await request.body()), []
        return
    if media not in FORM_TYPES:
        raise ValidationError(
            f"a report is sent as application/json or a form, not {media or 'without a content type'}",
            hint="send the JSON document, or a form (with attachments: Content-Type: multipart/form-data)",
        )
    try:
        # one more than allowed, so that the count check can say how many were sent too many
        form = await request.form(max_files=limits.max_files + 1, max_fields=100)
    except HTTPException as exc:
        raise ValidationError(
            f"the form could not be read: {exc.detail}",
            hint=f"a report carries at most {limits.max_files} attachments; {_FORM_HINT}",
        ) from None
    try:
        yield _submission(form), _attachments(form)
    finally:
        await form.close()


def _submission(form: FormData) -> ReportSubmission:
    unknown = sorted({key for key in form if key not in FORM_FIELDS})
    if unknown:
        raise ValidationError(f"unknown form field {', '.join(unknown)}", hint=_FORM_HINT)
    document: dict[str, Any] = {}
    for key in (*TEXT_FIELDS, *REPORTER_FIELDS):
        values = form.getlist(key)
        if len(values) > 1:
            raise ValidationError(f"the form field {key} is given {len(values)} times", hint="give it once")
        if not values:
            continue
        value = values[0]
        if not isinstance(value, str):
            raise ValidationError(f"the form field {key} is a file, not text", hint=_FORM_HINT)
        if value == "" and key in {"kind", "occurred_at", "reporter_email"}:
            continue  # an empty input in a browser form means "not given"
        if key in REPORTER_FIELDS:
            document.setdefault("reporter", {})[REPORTER_FIELDS[key]] = value
        else:
            document[key] = value
    systems = form.getlist("systems")
    if any(not isinstance(value, str) for value in systems):
        raise ValidationError("the form field systems is a file, not text", hint=_FORM_HINT)
    document["systems"] = [value for value in systems if isinstance(value, str) and value.strip()]
    return ReportSubmission.model_validate(document)


def _attachments(form: FormData) -> list[IncomingFile]:
    files = []
    for value in form.getlist(ATTACHMENTS_FIELD):
        if not isinstance(value, UploadFile):
            raise ValidationError(
                f"the form field {ATTACHMENTS_FIELD} must carry files, not text", hint=_FORM_HINT
            )
        if not value.filename and not value.size:
            continue  # a browser's empty file input
        files.append(
            IncomingFile(filename=value.filename, content_type=value.content_type, stream=value.file)
        )
    return files
