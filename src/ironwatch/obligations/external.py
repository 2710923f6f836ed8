"""External reporting: an incident summary for a CSIRT or partner, as RSIT-classified JSON or STIX 2.1.

Everything here leaves the organisation, so TLP is applied as for outsiders whoever exports:
an incident marked TLP:RED or TLP:AMBER+STRICT goes out with its reference, state, times and
classification only (title, summary, impact and observables withheld), and an observable marked
so itself is left out. Every export is audited.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import stix2
from sqlalchemy import select

from ironwatch.core.permissions import Permission
from ironwatch.core.tlp import withheld_from_outsiders, withheld_notice
from ironwatch.incidents.service import find_incident
from ironwatch.obligations import evaluation as ev
from ironwatch.obligations.engine import effective_facts
from ironwatch.plan.enisa import TAXONOMY_NAME
from ironwatch.plan.models import Plan
from ironwatch.store.audit import append_event
from ironwatch.store.tables import IncidentRow, ObservableRow
from ironwatch.store.uow import UnitOfWork

#: stable STIX ids: the same incident exported twice keeps its ids, so partners update, not duplicate
STIX_NAMESPACE = uuid.UUID("3b0c4a8e-5f43-4c9a-9a57-1d0f8d7f2a61")
TLP_MARKINGS = {
    "clear": stix2.v21.TLP_WHITE,
    "green": stix2.v21.TLP_GREEN,
    "amber": stix2.v21.TLP_AMBER,
    "amber+strict": stix2.v21.TLP_AMBER,
    "red": stix2.v21.TLP_RED,
}
IDENTITY_CREATED = datetime(2026, 1, 1, tzinfo=UTC)
#: the RSIT machine values of the two types renamed in ``plan.enisa``
RSIT_VALUES = {"uncategorised": "other", "test-event": "test"}
IMPACT_FACTS = ("personal_data", "data_types", "records", "subject_jurisdictions", "significant_incident")
_PATTERNS = {
    "ipv4": "ipv4-addr:value",
    "cidr": "ipv4-addr:value",
    "ipv6": "ipv6-addr:value",
    "domain": "domain-name:value",
    "hostname": "domain-name:value",
    "url": "url:value",
    "email": "email-addr:value",
    "md5": "file:hashes.MD5",
    "sha1": "file:hashes.'SHA-1'",
    "sha256": "file:hashes.'SHA-256'",
    "account": "user-account:account_login",
    "registry_key": "windows-registry-key:key",
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def classification(plan: Plan | None, category: str | None) -> dict[str, Any] | None:
    """The incident's category as RSIT class and type (``rsit`` is the ``class/type`` machine value)."""
    if category is None:
        return None
    found = plan.classification.category(category) if plan else None
    if found is None:
        return {"taxonomy": None, "category": category}
    parent = plan.classification.category(found.parent) if plan and found.parent else None
    klass, kind = (parent, found) if parent else (found, None)
    rsit = RSIT_VALUES.get(klass.id, klass.id)
    if kind is not None:
        rsit += "/" + RSIT_VALUES.get(kind.id, kind.id)
    return {
        "taxonomy": plan.classification.name if plan else TAXONOMY_NAME,
        "class": {"id": klass.id, "name": klass.name},
        "type": {"id": kind.id, "name": kind.name} if kind else None,
        "rsit": rsit,
    }


def _shareable_observables(uow: UnitOfWork, incident: IncidentRow) -> tuple[list[ObservableRow], int]:
    rows = uow.session.scalars(
        select(ObservableRow)
        .where(ObservableRow.incident_id == incident.id)
        .order_by(ObservableRow.created_at)
    ).all()
    shared = [o for o in rows if not (o.tlp and withheld_from_outsiders(o.tlp))]
    return shared, len(rows) - len(shared)


def _audit(uow: UnitOfWork, incident: IncidentRow, fmt: str, withheld: bool, dropped: int) -> None:
    append_event(
        uow.session,
        uow.session.info["audit"],
        action="incident.export_external",
        object_type="export",
        object_id=incident.id,
        details={"ref": incident.ref, "format": fmt, "withheld": withheld, "observables_withheld": dropped},
        incident_id=incident.id,
    )


def enisa_summary(uow: UnitOfWork, key: str) -> dict[str, Any]:
    """The incident as a JSON summary for a CSIRT or partner, classified by the ENISA RSIT."""
    uow.principal.require(Permission.INCIDENT_EXPORT)
    incident = find_incident(uow, key)
    plan = ev.plan_or_none(uow)
    withheld = withheld_from_outsiders(incident.tlp)
    observables, dropped = _shareable_observables(uow, incident)
    stored = ev.facts_row(uow, incident.id)
    facts, _ = effective_facts(plan, stored.values if stored else {})
    notice = withheld_notice(incident.tlp)
    summary: dict[str, Any] = {
        "format": "ironwatch-incident-summary/1",
        "generated_at": uow.clock.now().isoformat(),
        "reporter": {
            "organisation": plan.organisation.name if plan else None,
            "sector": plan.organisation.sector if plan else None,
            "country": plan.organisation.country if plan else None,
        },
        "incident": {
            "reference": incident.ref,
            "title": notice if withheld else incident.title,
            "summary": notice if withheld else incident.summary,
            "status": incident.status,
            "severity": incident.severity,
            "priority": incident.priority,
            "tlp": incident.tlp.upper(),
            "occurred_at": _iso(incident.occurred_at),
            "detected_at": _iso(incident.detected_at),
            "reported_at": _iso(incident.reported_at),
            "contained_at": _iso(incident.contained_at),
            "recovered_at": _iso(incident.recovered_at),
            "closed_at": _iso(incident.closed_at),
        },
        "classification": classification(plan, incident.category),
        "impact": {} if withheld else {k: facts[k] for k in IMPACT_FACTS if k in facts},
        "observables": [] if withheld else [{"type": o.type, "value": o.value} for o in observables],
        "withheld": withheld,
    }
    _audit(uow, incident, "enisa", withheld, dropped)
    return summary


def _pattern(kind: str, value: str) -> str | None:
    path = _PATTERNS.get(kind)
    if path is None:
        return None
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"[{path} = '{escaped}']"


def _stix_id(kind: str, *parts: str) -> str:
    return f"{kind}--{uuid.uuid5(STIX_NAMESPACE, '/'.join(parts))}"


def stix_bundle(uow: UnitOfWork, key: str) -> str:
    """The incident as a STIX 2.1 bundle: identity, incident, indicators, relationships, report."""
    uow.principal.require(Permission.INCIDENT_EXPORT)
    incident = find_incident(uow, key)
    plan = ev.plan_or_none(uow)
    withheld = withheld_from_outsiders(incident.tlp)
    marking = TLP_MARKINGS.get(incident.tlp, stix2.v21.TLP_AMBER)
    org = plan.organisation.name if plan else "ironwatch"
    created = incident.created_at
    identity = stix2.v21.Identity(
        id=_stix_id("identity", "organisation", org),
        name=org,
        identity_class="organization",
        created=created,
        modified=created,
    )
    common = {"created_by_ref": identity.id, "object_marking_refs": [marking.id], "created": created}
    label = classification(plan, incident.category)
    labels = {"labels": [label["rsit"]]} if label and label.get("rsit") else {}
    stix_incident = stix2.v21.Incident(
        id=_stix_id("incident", incident.id),
        name=f"{incident.ref}: {withheld_notice(incident.tlp)}"
        if withheld
        else f"{incident.ref}: {incident.title}",
        description=withheld_notice(incident.tlp) if withheld else (incident.summary or incident.title),
        **labels,
        external_references=[{"source_name": "ironwatch", "external_id": incident.ref}],
        modified=incident.updated_at,
        **common,
    )
    objects: list[Any] = [identity, marking, stix_incident]
    observables, dropped = ([], 0) if withheld else _shareable_observables(uow, incident)
    for observable in observables:
        pattern = _pattern(observable.type, observable.value)
        if pattern is None:
            continue
        indicator = stix2.v21.Indicator(
            id=_stix_id("indicator", observable.id),
            name=f"{observable.type} {observable.value}",
            pattern=pattern,
            pattern_type="stix",
            valid_from=observable.created_at,
            indicator_types=["malicious-activity"],
            modified=observable.created_at,
            **{**common, "created": observable.created_at},
        )
        relation = stix2.v21.Relationship(
            id=_stix_id("relationship", observable.id, incident.id),
            relationship_type="related-to",
            source_ref=indicator.id,
            target_ref=stix_incident.id,
            modified=observable.created_at,
            **{**common, "created": observable.created_at},
        )
        objects += [indicator, relation]
    report = stix2.v21.Report(
        id=_stix_id("report", incident.id),
        name=f"Incident report {incident.ref}",
        report_types=["threat-report"],
        published=uow.clock.now(),
        object_refs=[o.id for o in objects if o is not marking],
        modified=max(incident.updated_at, created),
        **common,
    )
    bundle = stix2.v21.Bundle(objects=[*objects, report], allow_custom=False)
    _audit(uow, incident, "stix", withheld, dropped)
    return str(bundle.serialize(pretty=True))
