"""The plan's communication section: safe defaults, secrets by reference only, references checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from ironwatch.plan.loader import parse_plan
from ironwatch.plan.problems import PlanError
from ironwatch.plan.render import render_plan
from ironwatch.plan.starter import init_plan_text

FIXTURE = Path(__file__).parents[2] / "fixtures" / "plan" / "comms_plan.yaml"


def _plan_text(**replace: str) -> str:
    text = FIXTURE.read_text(encoding="utf-8")
    text = text.replace("@SMTP_PORT@", "2525").replace("@WEBHOOK_URL@", "https://hooks.example.org/x")
    for old, new in replace.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def _problems(text: str) -> list[str]:
    with pytest.raises(PlanError) as caught:
        parse_plan(text, source="plan.yaml")
    return [f"{p.message} | {p.hint}" for p in caught.value.problems]


def test_a_plan_without_the_section_sends_nothing(minimal_plan_text: str) -> None:
    plan = parse_plan(minimal_plan_text)
    assert plan.communication.enabled is False and plan.communication.rules == ()


def test_the_starter_plan_has_a_communication_plan_switched_off() -> None:
    plan = parse_plan(init_plan_text("Acme"))
    assert plan.communication.enabled is False
    assert {r.id for r in plan.communication.rules} >= {"major-incident", "legal-deadlines"}
    document = render_plan(plan, "md").decode()
    assert "| major-incident | created, priority changed | P1, P2 | on-call, management | 15m |" in document


def test_a_literal_password_in_the_plan_is_refused_with_a_hint() -> None:
    text = _plan_text(**{"      secret: SMTP_PASSWORD\n": "      password: hunter2-hunter2\n"})
    (problem,) = _problems(text)
    assert "'password' would store a credential in the plan" in problem
    assert "secret: NAME" in problem and "IRONWATCH_SECRET_NAME" in problem


def test_a_secret_written_where_its_name_belongs_is_refused() -> None:
    (problem,) = _problems(_plan_text(**{"secret: SMTP_PASSWORD": "secret: s3cr3t-value!"}))
    assert "secret names a secret, it does not hold one" in problem


def test_credentials_in_a_webhook_url_are_refused() -> None:
    text = _plan_text(**{"https://hooks.example.org/x": "https://user:pw@hooks.example.org/x"})
    (problem,) = _problems(text)
    assert "carries credentials" in problem


def test_rules_and_audiences_must_name_what_exists() -> None:
    text = _plan_text(**{"audiences: [soc]}": "audiences: [socc]}", "channel: soc-hook,": "channel: hook,"})
    problems = _problems(text)
    assert any("unknown audience 'socc'" in p for p in problems)
    assert any("unknown channel 'hook'" in p for p in problems)


def test_a_template_with_broken_syntax_is_refused_when_the_plan_is_applied() -> None:
    text = _plan_text() + "  templates:\n    board:\n      subject: '{{ incident.ref '\n      text: ok\n"
    (problem,) = _problems(text)
    assert "template 'board' (subject)" in problem


@pytest.fixture
def minimal_plan_text() -> str:
    return (FIXTURE.parent / "minimal_plan.yaml").read_text(encoding="utf-8")


def test_a_ca_file_on_a_plain_text_channel_is_refused() -> None:
    # ca_file only narrows whom TLS trusts; on security: none it would suggest protection there is not
    [problem] = _problems(
        _plan_text(**{"      security: none\n": "      security: none\n      ca_file: ca.pem\n"})
    )
    assert "ca_file is only used to verify a TLS server" in problem


def test_tls_is_verified_by_default_and_there_is_no_switch_to_turn_it_off() -> None:
    plan = parse_plan(_plan_text(**{"      security: none\n": ""}))
    mail = plan.communication.channel("mail")
    assert mail is not None and mail.kind == "email"
    assert (mail.security, mail.ca_file) == ("starttls", None)
    problems = _problems(_plan_text(**{"      security: none\n": "      verify: false\n"}))
    assert any("verify" in p for p in problems)
