"""The asset inventory and the kinds of data the organisation holds (which drive legal obligations)."""

from __future__ import annotations

import ipaddress
from enum import StrEnum

from pydantic import Field, field_validator

from ironwatch.core.errors import ValidationError
from ironwatch.core.observables import normalise_observable
from ironwatch.plan.fieldtypes import Identifier, Jurisdiction, PlanModel


class Criticality(StrEnum):
    """How much the organisation depends on an asset."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class AssetKind(StrEnum):
    """What an asset is."""

    SERVER = "server"
    WORKSTATION = "workstation"
    LAPTOP = "laptop"
    MOBILE_DEVICE = "mobile_device"
    NETWORK_DEVICE = "network_device"
    APPLICATION = "application"
    DATABASE = "database"
    CLOUD_SERVICE = "cloud_service"
    SAAS = "saas"
    IOT = "iot"
    OTHER = "other"


def normalise_address(value: str) -> str:
    """An asset address in normal form: an IP address, a CIDR network or a host name."""
    text = value.strip()
    try:
        if "/" in text:
            return ipaddress.ip_network(text, strict=False).compressed
        return ipaddress.ip_address(text).compressed
    except ValueError:
        pass
    try:
        return normalise_observable("hostname", text).value
    except ValidationError as exc:
        raise ValueError(
            f"{value!r} is not an address: give an IP address (192.0.2.10), a network (192.0.2.0/24) "
            "or a host name (mail.example.org)"
        ) from exc


class Asset(PlanModel):
    """Something worth protecting: a system, an application, a service."""

    name: str = Field(min_length=1, description="unique name, e.g. the host name")
    kind: AssetKind
    criticality: Criticality
    owner: str = Field(min_length=1, description="accountable person id or unit")
    addresses: tuple[str, ...] = Field(default=(), description="IP addresses, networks or host names")
    data_types: tuple[Identifier, ...] = Field(default=(), description="ids of data types the asset holds")
    description: str | None = None

    @field_validator("addresses")
    @classmethod
    def _normal_addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(normalise_address(a) for a in value)


class DataKind(StrEnum):
    """Kinds of data that carry their own protection and notification duties."""

    PERSONAL = "personal"
    HEALTH = "health"
    SPECIAL_CATEGORY = "special_category"
    PAYMENT_CARD = "payment_card"
    FINANCIAL = "financial"
    CREDENTIALS = "credentials"
    TRADE_SECRET = "trade_secret"  # noqa: S105 - a data kind, not a password
    INTELLECTUAL_PROPERTY = "intellectual_property"
    CLASSIFIED = "classified"
    OTHER = "other"


class DataType(PlanModel):
    """A kind of data held, where its subjects live (jurisdictions) and roughly how many records."""

    id: Identifier
    name: str = Field(min_length=1)
    kind: DataKind
    jurisdictions: tuple[Jurisdiction, ...] = Field(
        default=(), description="where the data subjects are, e.g. EU, US-CA"
    )
    records: int = Field(default=0, ge=0, description="approximate number of records held")
    description: str | None = None
