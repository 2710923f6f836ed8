"""Rendering notifications: shipped variants, plan overrides, HTML autoescaped, the sandbox holds."""

from __future__ import annotations

from typing import Any

import pytest

from ironwatch.notify.channels.webhook import signature
from ironwatch.notify.rendering import ACK_URL_MARK, TemplateError, render_message, with_ack_url
from ironwatch.plan.communication import MessageTemplate


def _context(**incident: Any) -> dict[str, Any]:
    view = {
        "ref": "IR-2026-0007",
        "title": "Phishing",
        "summary": "",
        "status": "triage",
        "priority": "P2",
        "severity": "high",
        "category": "phishing",
        "tlp": "amber",
        "created_at": "2026-03-02 09:00 UTC",
        **incident,
    }
    return {
        "org": "Tiny Co",
        "incident": view,
        "headline": "opened",
        "details": {},
        "recipient_name": "Dan",
        "message": "",
        "sender": "",
        "escalation": None,
        "ack_url": ACK_URL_MARK,
        "ack_deadline": "2026-03-02 09:15 UTC",
    }


def test_incident_text_cannot_inject_markup_into_the_html_part() -> None:
    rendered = render_message({}, "technical", _context(title="<script>alert(1)</script>"))
    assert rendered.html is not None
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "<script>alert(1)</script>" in rendered.text, "the text part is plain text, shown as written"


def test_a_plan_template_replaces_the_shipped_one_of_the_same_name() -> None:
    own = {
        "technical": MessageTemplate(subject="{{ incident.ref }} for {{ org }}", text="Short: {{ headline }}")
    }
    rendered = render_message(own, "technical", _context())
    assert (rendered.subject, rendered.text, rendered.html) == (
        "IR-2026-0007 for Tiny Co",
        "Short: opened\n",
        None,
    )


def test_templates_run_in_the_sandbox() -> None:
    own = {"evil": MessageTemplate(subject="x", text="{{ ''.__class__.__mro__[1].__subclasses__() }}")}
    with pytest.raises(TemplateError, match="evil"):
        render_message(own, "evil", _context())


def test_the_ack_link_goes_in_at_send_time_and_the_content_hash_is_of_the_stored_text() -> None:
    rendered = render_message({}, "technical", _context())
    assert ACK_URL_MARK in rendered.text
    sent = with_ack_url(rendered.text, "https://ir.example.org/api/v1/notifications/ack?token=iwa_x")
    assert "token=iwa_x" in sent and ACK_URL_MARK not in sent
    again = render_message({}, "technical", _context())
    assert again.sha256 == rendered.sha256


def test_the_webhook_signature_is_the_hmac_of_timestamp_dot_body() -> None:
    # the value a receiver computes with: echo -n '1767225600.{"a":1}' | openssl dgst -sha256 -hmac key
    assert signature("key", "1767225600", b'{"a":1}') == (
        "sha256=" + __import__("hmac").new(b"key", b'1767225600.{"a":1}', "sha256").hexdigest()
    )
