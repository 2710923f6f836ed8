"""What an uploader's file name and claimed type become: safe to show, safe to download."""

import pytest

from ironwatch.incidents.attachments import clean_content_type, clean_filename, download_content_type
from ironwatch.incidents.router import content_disposition


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\eve\\Desktop\\mail.eml", "mail.eml"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("tab\tand\nnewline.txt", "tab and newline.txt"),
        ("  .hidden  ", "hidden"),
        ("", "attachment"),
        (None, "attachment"),
        ("dir/", "attachment"),
        ("Zeugnis Müller.docx", "Zeugnis Müller.docx"),
    ],
)
def test_file_names_lose_directories_and_invisible_characters(given: str | None, shown: str) -> None:
    assert clean_filename(given) == shown


def test_a_long_file_name_is_cut_but_keeps_its_extension() -> None:
    cleaned = clean_filename("a" * 400 + ".png")
    assert len(cleaned) == 255 and cleaned.endswith(".png")


@pytest.mark.parametrize(
    ("claimed", "stored", "served"),
    [
        ("image/png", "image/png", "image/png"),
        ("Text/Plain; charset=utf-8", "text/plain", "text/plain"),
        ("text/html", "text/html", "application/octet-stream"),
        ("image/svg+xml", "image/svg+xml", "application/octet-stream"),
        ("application/pdf", "application/pdf", "application/octet-stream"),
        ("not a type", "application/octet-stream", "application/octet-stream"),
        (None, "application/octet-stream", "application/octet-stream"),
    ],
)
def test_only_safe_types_are_served_as_themselves(claimed: str | None, stored: str, served: str) -> None:
    assert clean_content_type(claimed) == stored
    assert download_content_type(stored) == served


def test_content_disposition_is_always_a_download_with_an_ascii_fallback() -> None:
    header = content_disposition('Zeugnis "Müller".pdf')
    assert header.startswith('attachment; filename="Zeugnis _M_ller_.pdf"')
    assert "filename*=UTF-8''Zeugnis%20%22M%C3%BCller%22.pdf" in header
