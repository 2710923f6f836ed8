"""The incident report and the management report render as PDF with their sections, figures and charts.

``pdftotext`` and ``pdftoppm`` (poppler-utils) read the PDFs as a person's viewer would.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.incidents import schemas as inc
from ironwatch.incidents import service as incidents
from ironwatch.review import schemas as s
from ironwatch.review import service
from ironwatch.review.charts import BLUE
from ironwatch.review.report_render import ReportFormat
from ironwatch.review.reports import incident_report, period_report
from tests.support.lessons import OPERATOR, closed_incident

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")


def _reviewed(runtime: Runtime, clock: FrozenClock) -> str:
    ref = closed_incident(runtime, clock)
    with runtime.uow(OPERATOR, write=True) as uow:
        service.start_review(uow, ref)
        service.update_review(
            uow,
            ref,
            s.ReviewFields.model_validate(
                {
                    "root_cause": "The VPN accepted a password alone.",
                    "root_cause_category": "weak-authentication",
                    "went_well": ["Containment within three hours"],
                    "hours_spent": 14.5,
                    "cost": 8000,
                    "currency": "GBP",
                }
            ),
        )
        service.add_action_item(uow, ref, s.ActionItemCreate(title="Enforce MFA on the VPN", owner="alex"))
        service.complete_review(uow, ref)
        uow.commit()
    return ref


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def _pages(pdf: bytes, tmp_path: Path) -> list[Path]:
    path = tmp_path / "pages.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(tmp_path / "page")], check=True)
    return sorted(tmp_path.glob("page-*.png"))


def _colour_pixels(image: Path, colour: str) -> int:
    """Pixels within a small distance of ``colour`` (#rrggbb): only the charts use the series colours."""
    target = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    with Image.open(image) as img:
        data = img.convert("RGB").tobytes()
    pixels = (data[i : i + 3] for i in range(0, len(data), 3))
    return sum(1 for px in pixels if sum(abs(a - b) for a, b in zip(px, target, strict=True)) < 40)


def test_incident_report_pdf_has_every_section_the_figures_and_the_tlp_on_every_page(
    sqlite_runtime: Runtime, clock: FrozenClock, tmp_path: Path
) -> None:
    ref = _reviewed(sqlite_runtime, clock)
    with sqlite_runtime.uow(OPERATOR) as uow:
        _, pdf = incident_report(uow, ref, ReportFormat.PDF)
    assert pdf.startswith(b"%PDF")
    text = _text(pdf, tmp_path)
    for heading in (
        f"Incident report {ref}",
        "1. Summary",
        "2. Classification and priority",
        "3. Timeline",
        "4. Response actions",
        "5. Evidence",
        "6. Notifications",
        "7. Post-incident review",
        "8. Action items",
    ):
        assert heading in text, heading
    for figure in (
        "phishing",
        "P2",
        "The VPN accepted a password alone.",
        "14.5",
        "8,000 GBP",
        f"{ref}-A1",
        "Enforce MFA on the VPN",
        "T1078",
        "Response phases (hours)",
    ):
        assert figure in text, figure
    pages = text.count("\f")
    assert text.count("TLP:AMBER") >= 2 * pages  # header and footer of every page


def test_management_report_pdf_has_sections_figures_and_visible_charts(
    sqlite_runtime: Runtime, clock: FrozenClock, tmp_path: Path
) -> None:
    ref = _reviewed(sqlite_runtime, clock)
    with sqlite_runtime.uow(OPERATOR, write=True) as uow:  # a second, still open incident
        incidents.create_incident(
            uow,
            inc.IncidentCreate(title="Lost laptop", category="information-loss", priority=inc.Priority.P3),
        )
        uow.commit()
    since, until = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    with sqlite_runtime.uow(OPERATOR) as uow:
        metrics, pdf = period_report(uow, since=since, until=until, fmt=ReportFormat.PDF, tlp=inc.TLP.GREEN)
    assert metrics.incidents == 2 and metrics.open_incidents == 1
    text = _text(pdf, tmp_path)
    for heading in (
        "Incident management report",
        "1. Summary",
        "2. Volumes and trends",
        "3. Response times",
        "4. SLA compliance",
        "5. Root causes",
        "6. Detection quality",
        "7. Open action items",
        "8. Training completion",
        "Incidents opened per month",
        "Response times (hours)",
        "SLA compliance per priority (%)",
    ):
        assert heading in text, heading
    # the figures: MTTD 2.0 h (occurred 6 h, detected 4 h before opening), MTTC 4.5 h (detected -> contained)
    assert "MTTD" in text and "2.0 h" in text and "4.5 h" in text
    assert "weak-authentication" in text and f"{ref}-A1" in text and "2026-03" in text
    assert text.count("TLP:GREEN") >= 2 * text.count("\f")
    pages = _pages(pdf, tmp_path)
    blue = [_colour_pixels(p, BLUE) for p in pages]
    assert max(blue) > 500, f"no chart bars drawn: {blue}"


def test_html_reports_carry_inline_svg_charts(sqlite_runtime: Runtime, clock: FrozenClock) -> None:
    ref = _reviewed(sqlite_runtime, clock)
    with sqlite_runtime.uow(OPERATOR) as uow:
        _, html = incident_report(uow, ref, ReportFormat.HTML)
        _, period = period_report(
            uow, since=clock.now() - timedelta(days=30), until=None, fmt=ReportFormat.HTML
        )
    assert b"<svg" in html and b"TLP:AMBER" in html and b"<?xml" not in html
    assert period.count(b"<svg") >= 3
