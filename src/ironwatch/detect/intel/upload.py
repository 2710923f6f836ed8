"""Reading an import from an HTTP request: a JSON body with the feed inline, or a form with the file."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from ironwatch.core.errors import ValidationError
from ironwatch.detect.intel import schemas as s

FORM_FIELDS = ("source", "format", "confidence", "tlp", "expires")
_HINT = "send JSON {source, content, ...} or a multipart form with the feed as 'file' and a 'source'"


async def import_from(request: Request) -> tuple[s.ImportOptions, bytes, str]:
    """The import's options, the feed's bytes and the file name."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/json":
        try:
            body: Any = orjson.loads(await request.body())
        except orjson.JSONDecodeError as exc:
            raise ValidationError(f"the body is not JSON: {exc}", hint=_HINT) from None
        data = s.ImportRequest.model_validate(body)
        return (
            s.ImportOptions.model_validate(data.model_dump(exclude={"content", "name"})),
            (data.content.encode()),
            data.name,
        )
    if media != "multipart/form-data":
        raise ValidationError(f"an import is JSON or a multipart form, not {media or 'untyped'}", hint=_HINT)
    try:
        form = await request.form(max_files=1, max_fields=20)
    except HTTPException as exc:
        raise ValidationError(f"the form could not be read: {exc.detail}", hint=_HINT) from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationError("the form has no file field 'file'", hint=_HINT)
        options: dict[str, object] = {}
        for key in FORM_FIELDS:
            value = form.get(key)
            if isinstance(value, str) and value != "":
                options[key] = value
        return s.ImportOptions.model_validate(options), await upload.read(), upload.filename or ""
    finally:
        await form.close()
