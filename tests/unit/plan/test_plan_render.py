"""render_plan: the policy document in Markdown, HTML and PDF, with every section."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ironwatch.core.errors import ValidationError
from ironwatch.plan.loader import parse_plan
from ironwatch.plan.render import SECTION_HEADINGS, render_plan
from ironwatch.plan.starter import init_plan_text


@pytest.fixture(scope="module")
def starter():
    return parse_plan(init_plan_text("Example <b>Ltd</b> & Co"))


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_markdown_has_every_section_heading_in_order(starter):
    text = render_plan(starter, "md").decode("utf-8")
    positions = [text.index(f"## {n}. {heading}\n") for n, heading in enumerate(SECTION_HEADINGS, start=1)]
    assert positions == sorted(positions)
    assert len(SECTION_HEADINGS) == 17


def test_markdown_holds_contacts_taxonomy_matrix_and_targets(starter):
    text = render_plan(starter, "md").decode("utf-8")
    assert "| Alex Example | IT | alex@example.org | +44 20 7946 0101 | Incident manager," in text
    assert "| Intrusions | Privileged account compromise | privileged-account-compromise |" in text
    assert "| High | P1 | P2 | P3 |" in text
    assert "| P1 | Critical | 15m | 4h | 24h |" in text
    assert "| Leak of confidential information | Data protection authority | 72h |" in text
    assert "| Customer contact and order data | personal | GB, EU | 12000 |" in text
    assert "Exercises are held at least every 180d." in text


def test_markdown_table_cells_cannot_break_the_table(minimal_text):
    text = minimal_text.replace("name: Ann Admin", 'name: "Ann | Admin"')
    document = render_plan(parse_plan(text), "md").decode("utf-8")
    assert "| Ann \\| Admin |" in document


def test_html_escapes_plan_text(starter):
    html = render_plan(starter, "html").decode("utf-8")
    assert "<b>Ltd</b>" not in html
    assert "Example &lt;b&gt;Ltd&lt;/b&gt; &amp; Co" in html
    for n, heading in enumerate(SECTION_HEADINGS, start=1):
        assert f"<h2>{n}. {heading}</h2>" in html


def test_unknown_format_is_refused(starter):
    with pytest.raises(ValidationError, match="unknown document format 'docx'"):
        render_plan(starter, "docx")  # type: ignore[arg-type]


def test_pdf_contains_every_section_heading(starter, tmp_path: Path):
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext (Debian package poppler-utils) is not installed")
    pdf = render_plan(starter, "pdf")
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        [pdftotext, str(path), "-"], capture_output=True, text=True, check=True, timeout=60
    )
    text = _words(result.stdout)
    missing = [h for n, h in enumerate(SECTION_HEADINGS, start=1) if f"{n}. {h}" not in text]
    assert missing == []
    assert "Example <b>Ltd</b> & Co" in text
