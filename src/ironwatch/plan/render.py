"""Render the plan as the incident response policy document: Markdown, HTML or PDF.

The templates are package data (``templates/plan.md.j2``, ``templates/plan.html.j2``); HTML is
autoescaped, and the PDF is printed from the HTML by WeasyPrint with every external fetch refused,
so a plan's text can neither inject markup nor make the renderer reach the network. WeasyPrint is
imported when the first PDF is printed, so importing this module stays cheap.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import jinja2

from ironwatch.core.errors import ValidationError
from ironwatch.plan.communication import Audience
from ironwatch.plan.fieldtypes import format_duration
from ironwatch.plan.models import Contact, Plan
from ironwatch.plan.readiness import role_holders

Format = Literal["md", "html", "pdf"]

SECTION_HEADINGS: tuple[str, ...] = (
    "Management commitment",
    "Purpose and objectives",
    "Scope",
    "Definitions",
    "Organisational structure and authority",
    "Roles and responsibilities",
    "Incident response team contacts",
    "On-call rota and escalation",
    "Incident classification",
    "Prioritisation and response targets",
    "Reporting requirements",
    "Performance measures",
    "Reporting and contact resources",
    "Stakeholders and communication",
    "Assets and data types",
    "Training and exercises",
    "Operational settings",
)
"""The policy document's section headings, in order; every format renders each one."""


@dataclass(frozen=True)
class _CategoryRow:
    klass: str
    id: str
    name: str
    description: str
    playbook: str
    special_handling: bool


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ironwatch.plan", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["duration"] = _duration
    env.filters["cell"] = _markdown_cell
    return env


def _duration(value: timedelta | None) -> str:
    return format_duration(value) if value is not None else "-"


def _markdown_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: no line breaks, pipes escaped."""
    text = "" if value is None else str(value)
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|") or "-"


def _context(plan: Plan) -> dict[str, Any]:
    scheme = plan.classification
    categories = scheme.effective_categories
    names = {c.id: c.name for c in categories}
    rows = [
        _CategoryRow(
            klass=names.get(c.parent, c.parent) if c.parent else c.name,
            id=c.id,
            name=c.name,
            description=c.description,
            playbook=scheme.playbook_for(c.id) or "-",
            special_handling=c.special_handling,
        )
        for c in categories
    ]
    people = {p.id: p.name for p in plan.team.people}
    titles = {r.id: r.title for r in plan.team.roles}

    def roles_of(person_id: str) -> str:
        held = []
        for role in plan.team.roles:
            if role.member == person_id:
                held.append(role.title)
            elif person_id in role.deputies:
                held.append(f"{role.title} (deputy)")
            elif person_id in role_holders(plan, role.id):
                held.append(f"{role.title} (rota)")
        return ", ".join(held)

    recipients = {**titles, **{s.id: s.name for s in plan.stakeholders}}

    stakeholder_names = {s.id: s.name for s in plan.stakeholders}

    def audience_members(audience: Audience) -> str:
        parts = [titles.get(r, r) for r in audience.roles]
        parts += [f"on call: {titles.get(r, r)}" for r in audience.on_call]
        parts += [people.get(p, p) for p in audience.people]
        parts += [stakeholder_names.get(s, s) for s in audience.stakeholders]
        parts += list(audience.addresses)
        return ", ".join(parts) or f"the {audience.channel} channel"

    def contact_lines(contacts: tuple[Contact, ...]) -> str:
        return "; ".join(", ".join(v for v in (c.name, c.email, c.phone) if v) for c in contacts) or "-"

    return {
        "plan": plan,
        "category_name": lambda cid: names.get(cid, cid),
        "recipient_name": lambda rid: recipients.get(rid, rid),
        "contact_lines": contact_lines,
        "audience_members": audience_members,
        "headings": SECTION_HEADINGS,
        "person_name": lambda pid: people.get(pid, pid),
        "people_list": lambda ids: ", ".join(people.get(i, i) for i in ids),
        "role_titles": titles,
        "role_list": lambda ids: ", ".join(titles.get(i, i) for i in ids),
        "roles_of": roles_of,
        "categories": rows,
        "priority": plan.priority,
    }


def _no_fetch(url: str, timeout: int = 10, ssl_context: object = None) -> dict[str, Any]:
    raise ValueError(f"a printed document may not load external resources ({url})")


def render_plan(plan: Plan, fmt: Format) -> bytes:
    """The policy document for ``plan`` as UTF-8 Markdown (``md``), HTML (``html``) or PDF bytes."""
    if fmt not in ("md", "html", "pdf"):
        raise ValidationError(f"unknown document format {fmt!r}", hint="use md, html or pdf")
    env = _environment()
    context = _context(plan)
    if fmt == "md":
        return env.get_template("plan.md.j2").render(context).encode("utf-8")
    html = env.get_template("plan.html.j2").render(context)
    if fmt == "html":
        return html.encode("utf-8")
    return print_pdf(html)


def print_pdf(html: str) -> bytes:
    """PDF bytes printed from ``html`` by WeasyPrint, refusing every external fetch (reports use it too)."""
    # WeasyPrint (with Pango and its fonts) takes most of a second to import, so it is loaded when the
    # first PDF is printed, not by every command and service that imports the plan's rendering.
    with warnings.catch_warnings():
        # WeasyPrint warns on import when the system lacks HarfBuzz-Subset; PDFs still render, only
        # without font subsetting, so the warning is not the user's concern.
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
        from weasyprint import HTML

    pdf: bytes = HTML(string=html, url_fetcher=_no_fetch).write_pdf()
    return pdf
