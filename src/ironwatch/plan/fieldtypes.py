"""Field types shared by the plan's sections: identifiers, durations, contact details.

Each type validates itself with a message that says what to write instead, so a person editing
the YAML file by hand learns the expected form from the error.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema

from ironwatch.core.errors import ValidationError
from ironwatch.core.observables import normalise_observable


class PlanModel(BaseModel):
    """Base of every plan model: immutable, and unknown keys are an error rather than ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
ID_PATTERN = _ID.pattern


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(
            f"{value!r} is not a valid id: use 1-64 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit (e.g. incident_manager, malware-infection)"
        )
    return value


Identifier = Annotated[
    str, AfterValidator(_check_id), WithJsonSchema({"type": "string", "pattern": ID_PATTERN})
]
"""A short machine name such as ``alice``, ``incident_manager`` or ``malware-infection``."""

_UNITS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"^(?:\d+[ywdhms])+$")
_PART = re.compile(r"(\d+)([ywdhms])")
DURATION_PATTERN = _DURATION.pattern


def parse_duration(value: Any) -> timedelta:
    """Parse a compact duration such as ``15m``, ``4h``, ``1h30m``, ``3d``, ``2w`` or ``1y`` (365 days).

    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)
    """
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str) or not _DURATION.match(value.strip().lower()):
        raise ValueError(
            f"{value!r} is not a duration: write a number and a unit, e.g. 15m, 4h, 1h30m, 3d, 2w or 1y "
            "(s, m, h, d, w, y)"
        )
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(value.strip().lower()))
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The compact form of a duration: whole days from four days up, else hours and minutes.

    Short deadlines read as people say them (``72h``, ``24h``, ``1h30m``), long ones in days (``30d``).
    """
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    units: tuple[tuple[str, int], ...] = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    if seconds < 4 * 86400:
        units = units[1:]
    parts = []
    for unit, size in units:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("a duration must be longer than zero, e.g. 15m")
    return value


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    AfterValidator(_positive),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN, "examples": ["15m", "4h", "1h30m", "3d"]}),
]
"""A positive duration written compactly in the plan (``15m``, ``4h``, ``3d``, ``1y``)."""


def _check_email(value: str) -> str:
    try:
        return normalise_observable("email", value).value
    except ValidationError as exc:
        raise ValueError(
            f"{value!r} is not a valid email address: use a form such as name@example.org"
        ) from exc


Email = Annotated[str, AfterValidator(_check_email), WithJsonSchema({"type": "string", "format": "email"})]

_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{4,30}$")


def _check_phone(value: str) -> str:
    digits = sum(c.isdigit() for c in value)
    if not _PHONE.match(value) or digits < 5:
        raise ValueError(
            f"{value!r} is not a valid phone number: use the international form, e.g. +44 20 7946 0000"
        )
    return value


Phone = Annotated[
    str, AfterValidator(_check_phone), WithJsonSchema({"type": "string", "pattern": _PHONE.pattern})
]

_JURISDICTION = re.compile(r"^(?:[A-Z]{2}|[A-Z]{2}-[A-Z0-9]{1,3})$")


def _check_jurisdiction(value: str) -> str:
    if not _JURISDICTION.match(value):
        raise ValueError(
            f"{value!r} is not a jurisdiction: use an ISO 3166 country or subdivision code "
            "such as EU, DE, US or US-CA"
        )
    return value


Jurisdiction = Annotated[
    str,
    AfterValidator(_check_jurisdiction),
    WithJsonSchema({"type": "string", "pattern": _JURISDICTION.pattern}),
]
