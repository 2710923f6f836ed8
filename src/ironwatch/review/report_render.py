"""Render the lessons-learned reports: Jinja2 templates to HTML, WeasyPrint to PDF.

Templates are package data (``review/templates``), autoescaped; charts are inline SVG made here
(``review.charts``), so printing fetches nothing (``plan.render.print_pdf`` refuses every fetch).
Every page carries the TLP marking in its header and footer (CSS ``@page`` margin boxes), and the
HTML shows it at the top and bottom for readers who never print it.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import jinja2
from markupsafe import Markup

from ironwatch.core.errors import ValidationError
from ironwatch.plan.render import print_pdf


class ReportFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"


#: TLP 2.0 label colours (shown on black, as FIRST specifies)
TLP_COLOURS = {
    "clear": "#FFFFFF",
    "green": "#33FF00",
    "amber": "#FFC000",
    "amber+strict": "#FFC000",
    "red": "#FF2B2B",
}
TLP_NOTICES = {
    "clear": "Disclosure is not limited.",
    "green": "Limited disclosure: may be shared within the community, not publicly.",
    "amber": "Limited disclosure: recipients may share it within their organisation and its clients "
    "on a need-to-know basis only.",
    "amber+strict": "Limited disclosure: restricted to the recipients' organisation only.",
    "red": "For the eyes and ears of the individual recipients only; no further disclosure.",
}


def parse_format(value: str) -> ReportFormat:
    try:
        return ReportFormat(value.strip().lower())
    except ValueError:
        raise ValidationError(f"unknown report format {value!r}", hint="use html or pdf") from None


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _day(value: datetime | date | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "-"


def format_hours(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 60:.0f} min" if value < 1 else f"{value:.1f} h"


def format_percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _css(value: object) -> Markup:
    """Text safe inside a double-quoted CSS string in a <style> element (where entities do not work)."""
    text = " ".join(str(value).split())
    escaped = "".join(ch if ch.isalnum() or ch in " .,:;-_()/+&'" else f"\\{ord(ch):x} " for ch in text)
    return Markup(escaped)  # noqa: S704 (escaped above for the CSS context)


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ironwatch.review", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=_when, day=_day, hours=format_hours, percent=format_percent, css=_css)
    return env


def render_report(template: str, context: dict[str, Any], fmt: ReportFormat, *, tlp: str) -> bytes:
    """The report as UTF-8 HTML or PDF bytes, marked ``tlp`` on every page."""
    label = tlp.lower()
    html = (
        _environment()
        .get_template(template)
        .render(
            **context,
            tlp_label=label.upper(),
            tlp_colour=TLP_COLOURS.get(label, "#FFC000"),
            tlp_notice=TLP_NOTICES.get(label, ""),
        )
    )
    if fmt == ReportFormat.HTML:
        return html.encode("utf-8")
    return print_pdf(html)
