"""A regulator-ready report skeleton per obligation: the required headings, pre-filled from the facts.

The recipient is outside the organisation, so TLP applies as in every external export: a
TLP:RED or TLP:AMBER+STRICT incident's title, summary and facts are left out, with a notice, and
the people writing the report decide what the regulator needs. Markdown or HTML (autoescaped).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, Literal

import jinja2

from ironwatch.core.breach_facts import FACTS
from ironwatch.core.deadlines import describe_start
from ironwatch.core.errors import ValidationError
from ironwatch.core.permissions import Permission
from ironwatch.core.tlp import withheld_from_outsiders, withheld_notice
from ironwatch.obligations import evaluation as ev
from ironwatch.obligations.engine import effective_facts
from ironwatch.obligations.service import find_obligation
from ironwatch.plan.models import Plan
from ironwatch.store.audit import append_event
from ironwatch.store.tables import ObligationRow
from ironwatch.store.uow import UnitOfWork

ReportFormat = Literal["md", "html"]


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ironwatch.obligations", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["when"] = _when
    env.filters["cell"] = lambda v: " ".join(str(v).split()).replace("|", "\\|")
    return env


def _when(value: datetime | str | None) -> str:
    if value is None:
        return "not known"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "-"
    return str(value)


def _contacts(plan: Plan | None, row: ObligationRow) -> list[str]:
    if plan is None:
        return []
    wanted_id, wanted_kind = row.recipient.get("stakeholder"), row.recipient.get("stakeholder_kind")
    lines = []
    for stakeholder in plan.stakeholders:
        if stakeholder.id == wanted_id or (wanted_kind and stakeholder.kind.value == wanted_kind):
            for c in stakeholder.contacts:
                parts = [stakeholder.name, c.name, c.email, c.phone]
                lines.append(", ".join(p for p in parts if p))
    return lines


def regulator_report(uow: UnitOfWork, obligation_id: str, fmt: ReportFormat = "md") -> str:
    """The report skeleton for one obligation, in Markdown or HTML; the export is audited."""
    uow.principal.require(Permission.INCIDENT_EXPORT)
    if fmt not in ("md", "html"):
        raise ValidationError(f"unknown report format {fmt!r}", hint="use md or html")
    row, incident = find_obligation(uow, obligation_id)
    plan = ev.plan_or_none(uow)
    withheld = withheld_from_outsiders(incident.tlp)
    stored = ev.facts_row(uow, incident.id)
    facts, _ = ({}, {}) if withheld else effective_facts(plan, stored.values if stored else {})
    phases = []
    for phase in row.phases:
        content = []
        for item in phase["content"]:
            lines = [
                f"{FACTS[name].question} {_value(facts[name])}" for name in item["facts"] if name in facts
            ]
            content.append({**item, "lines": lines})
        phases.append({**phase, "content": content})
    category = incident.category
    if plan and category and (found := plan.classification.category(category)):
        category = f"{found.name} ({found.id})"
    context = {
        "o": row,
        "ref": incident.ref,
        "status": incident.status,
        "category": category,
        "generated": _when(uow.clock.now()),
        "clock_name": describe_start(row.clock_fact),
        "contacts": _contacts(plan, row),
        "phases": phases,
        "withheld": withheld_notice(incident.tlp) if withheld else "",
        "summary": withheld_notice(incident.tlp) if withheld else (incident.summary or incident.title),
    }
    append_event(
        uow.session,
        uow.session.info["audit"],
        action="incident.export_external",
        object_type="export",
        object_id=row.id,
        details={
            "ref": incident.ref,
            "format": f"regulator-{fmt}",
            "duty": row.duty_id,
            "withheld": withheld,
        },
        incident_id=incident.id,
    )
    return _environment().get_template(f"regulator.{fmt}.j2").render(context)
