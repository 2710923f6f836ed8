"""HTTP intake: a JSON object, a JSON array or NDJSON turned into raw frames for the spool."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import orjson

from ironwatch.core.errors import ValidationError
from ironwatch.ingest.frames import RawFrame, Transport

MAX_ERRORS_SHOWN = 20


@dataclass
class IntakeBatch:
    frames: list[RawFrame]
    failed: int = 0
    errors: list[dict[str, object]] = field(default_factory=list)

    def fail(self, frame: RawFrame, position: int, reason: str) -> None:
        """Keep what could not be read as a failure frame (stored, counted) and tell the client."""
        self.frames.append(frame)
        self.failed += 1
        if len(self.errors) < MAX_ERRORS_SHOWN:
            self.errors.append({"item": position, "reason": reason})


def frames_from_body(body: bytes, *, source: str, peer: str, received_at: datetime) -> IntakeBatch:
    """Split a request body into one frame per event.

    A body that parses as one JSON value is an object (one event) or an array of objects; anything
    else is read as NDJSON, one object per line. Items that are not JSON objects are kept as
    failure frames with the reason, never dropped.
    """
    text = body.strip()
    if not text:
        raise ValidationError(
            "the request body is empty", hint="send a JSON object, a JSON array or NDJSON lines"
        )

    def frame(payload: bytes, failure: str | None = None) -> RawFrame:
        return RawFrame(source, Transport.HTTP, peer, received_at, payload, failure)

    batch = IntakeBatch(frames=[])
    try:
        whole = orjson.loads(text)
    except orjson.JSONDecodeError:
        whole = None
        is_single_value = False
    else:
        is_single_value = True
    if is_single_value:
        items = whole if isinstance(whole, list) else [whole]
        for position, item in enumerate(items):
            if isinstance(item, dict):
                batch.frames.append(frame(orjson.dumps(item)))
            else:
                batch.fail(frame(orjson.dumps(item), "not a JSON object"), position, "not a JSON object")
        return batch
    for position, line in enumerate(text.split(b"\n")):
        line = line.strip()
        if not line:
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            reason = f"line {position + 1} is not valid JSON: {exc}"
            batch.fail(frame(line, reason), position, reason)
            continue
        if isinstance(item, dict):
            batch.frames.append(frame(line))
        else:
            reason = f"line {position + 1} is not a JSON object"
            batch.fail(frame(line, reason), position, reason)
    return batch
