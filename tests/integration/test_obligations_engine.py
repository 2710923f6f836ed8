"""Obligations open from an incident's facts, with the right deadlines, and follow the facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ironwatch.bootstrap import Runtime
from ironwatch.core.errors import ConflictError, ValidationError
from ironwatch.obligations import service as obligations
from tests.support.breach import ADMIN, apply_plan, by_duty, open_incident, set_facts

AWARE = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


def _deadline(row: object, phase: str) -> datetime:
    phases = {p["id"]: p for p in row.phases}  # type: ignore[attr-defined]
    return datetime.fromisoformat(phases[phase]["deadline"])


def test_eu_personal_data_breach_opens_gdpr_art33_72h_after_awareness(runtime: Runtime) -> None:
    apply_plan(runtime)
    ref = open_incident(runtime)
    set_facts(
        runtime,
        ref,
        personal_data="yes",
        subject_jurisdictions="EU",
        records=10000,
        awareness_at=AWARE.isoformat(),
    )
    duties = by_duty(runtime, ref)
    art33 = duties["gdpr-art33"]
    assert art33.status == "open"
    assert art33.next_deadline == AWARE + timedelta(hours=72)
    assert art33.clock_started_at == AWARE and not art33.clock_assumed
    assert art33.recipient["kind"] == "supervisory_authority"
    assert "Art. 33" in art33.citation
    assert "gdpr-art34" not in duties  # high risk not known: asked, not assumed
    with runtime.uow(ADMIN) as uow:
        asked = {q.fact: q for q in obligations.incident_questions(uow, ref)}
    assert "gdpr-art34" in asked["high_risk"].duties
    set_facts(runtime, ref, high_risk="yes")
    art34 = by_duty(runtime, ref)["gdpr-art34"]
    assert art34.recipient["kind"] == "data_subjects"
    assert art34.next_deadline == AWARE + timedelta(hours=72)
    assert art34.phases[0]["rule"].startswith("without undue delay")


def test_non_eu_breach_opens_no_gdpr_duty(runtime: Runtime) -> None:
    apply_plan(runtime, jurisdictions="[US]")
    ref = open_incident(runtime)
    set_facts(runtime, ref, personal_data="yes", subject_jurisdictions="US-CA", records=10)
    assert "gdpr-art33" not in by_duty(runtime, ref)


def test_withdrawn_fact_marks_obligation_not_applicable_and_it_comes_back(runtime: Runtime) -> None:
    apply_plan(runtime)
    ref = open_incident(runtime)
    set_facts(runtime, ref, personal_data="yes", subject_jurisdictions="DE", awareness_at=AWARE.isoformat())
    set_facts(runtime, ref, personal_data="no")
    art33 = by_duty(runtime, ref)["gdpr-art33"]
    assert art33.status == "not_applicable"
    assert "personal_data is yes" in art33.status_reason
    set_facts(runtime, ref, personal_data="yes")
    assert by_duty(runtime, ref)["gdpr-art33"].status == "open"


def test_missing_awareness_is_asked_and_assumed_from_detection(runtime: Runtime) -> None:
    apply_plan(runtime)
    detected = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)
    ref = open_incident(runtime, detected_at=detected.isoformat(), occurred_at=detected.isoformat())
    set_facts(runtime, ref, personal_data="yes", subject_jurisdictions="FR")
    art33 = by_duty(runtime, ref)["gdpr-art33"]
    assert art33.clock_assumed and art33.next_deadline == detected + timedelta(hours=72)
    with runtime.uow(ADMIN) as uow:
        asked = {q.fact: q for q in obligations.incident_questions(uow, ref)}
    assert "assumed" in asked["awareness_at"].why
    set_facts(runtime, ref, awareness_at=AWARE.isoformat())
    art33 = by_duty(runtime, ref)["gdpr-art33"]
    assert not art33.clock_assumed and art33.next_deadline == AWARE + timedelta(hours=72)


def test_questions_ask_for_the_facts_that_decide(runtime: Runtime) -> None:
    apply_plan(runtime)
    ref = open_incident(runtime)
    with runtime.uow(ADMIN) as uow:
        asked = {q.fact: q for q in obligations.incident_questions(uow, ref)}
    assert asked["personal_data"].question.startswith("Were personal data involved")
    assert {"gdpr-art33", "gdpr-art34", "contract-insurer-notice"} <= set(asked["personal_data"].duties)
    assert "EU/EEA" in asked["subject_jurisdictions"].question
    assert "material" not in asked  # not an SEC registrant: the 8-K cannot apply


def test_public_company_materiality_opens_the_8k_clock(runtime: Runtime) -> None:
    apply_plan(runtime, sec_registrant=True, jurisdictions="[US]")
    ref = open_incident(runtime)
    # Tuesday 24 Nov 2026, 10:00 New York: Thanksgiving in between; due Tue 1 Dec, 17:30 EST
    set_facts(runtime, ref, material="yes", materiality_determined_at="2026-11-24T10:00:00-05:00")
    filing = by_duty(runtime, ref)["sec-8k-item105"]
    assert filing.next_deadline == datetime(2026, 12, 1, 22, 30, tzinfo=UTC)
    assert filing.recipient["kind"] == "sec"
    assert filing.clock_fact == "materiality_determined_at"


def test_materiality_without_a_time_is_stamped_now(runtime: Runtime) -> None:
    apply_plan(runtime, sec_registrant=True)
    ref = open_incident(runtime)
    set_facts(runtime, ref, material="yes")
    with runtime.uow(ADMIN) as uow:
        facts = obligations.incident_facts(uow, ref)
    assert facts.given["materiality_determined_at"] == runtime.clock.now().isoformat()
    assert facts.given["materiality_determined_by"] == "system:test"
    # Monday 2 March 2026 09:00 UTC (04:00 New York): due Friday 6 March 17:30 EST
    assert by_duty(runtime, ref)["sec-8k-item105"].next_deadline == datetime(2026, 3, 6, 22, 30, tzinfo=UTC)


def test_nis2_phases_and_the_final_report_one_month_after_the_notification(runtime: Runtime) -> None:
    apply_plan(runtime, nis2_entity="essential", jurisdictions="[DE]")
    ref = open_incident(runtime)
    set_facts(runtime, ref, significant_incident="yes", awareness_at=AWARE.isoformat())
    nis2 = by_duty(runtime, ref)["nis2-art23"]
    assert _deadline(nis2, "early-warning") == AWARE + timedelta(hours=24)
    assert _deadline(nis2, "notification") == AWARE + timedelta(hours=72)
    assert _deadline(nis2, "final-report") == datetime(2026, 4, 5, 8, 30, tzinfo=UTC)
    sent = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    runtime.clock.set(sent + timedelta(hours=1))  # type: ignore[attr-defined]
    with runtime.uow(ADMIN, write=True) as uow:
        obligations.record_submission(
            uow, nis2.id, submitted_at=sent - timedelta(hours=40), to="CSIRT", reference="EW-1"
        )
        row, _ = obligations.record_submission(
            uow, nis2.id, submitted_at=sent, to="CERT-Bund portal", reference="BSI-2026-0042"
        )
        uow.commit()
    assert row.status == "submitted" and row.next_phase == "final-report"
    assert _deadline(by_duty(runtime, ref)["nis2-art23"], "final-report") == datetime(
        2026, 4, 4, 12, 0, tzinfo=UTC
    )


def test_hipaa_500_or_more_adds_hhs_and_media(runtime: Runtime) -> None:
    apply_plan(runtime, hipaa_entity=True, jurisdictions="[US]")
    ref = open_incident(runtime)
    discovered = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    set_facts(runtime, ref, phi="yes", records=10000, discovery_at=discovered.isoformat())
    duties = by_duty(runtime, ref)
    assert {"hipaa-individuals", "hipaa-hhs", "hipaa-media"} <= set(duties)
    assert "hipaa-hhs-annual" not in duties
    assert duties["hipaa-individuals"].next_deadline == discovered + timedelta(days=60)
    set_facts(runtime, ref, records=120)
    duties = by_duty(runtime, ref)
    assert duties["hipaa-media"].status == "not_applicable"
    assert duties["hipaa-hhs-annual"].next_deadline == datetime(2027, 3, 1, 23, 59, 59, tzinfo=UTC)


def test_dora_initial_report_within_4h_of_classification_capped_at_24h(runtime: Runtime) -> None:
    apply_plan(runtime, financial_entity=True, jurisdictions="[IE]")
    ref = open_incident(runtime)
    set_facts(
        runtime,
        ref,
        awareness_at=AWARE.isoformat(),
        major_ict_incident="yes",
        major_classified_at=(AWARE + timedelta(hours=21)).isoformat(),
    )
    dora = by_duty(runtime, ref)["dora-major-ict"]
    assert _deadline(dora, "initial") == AWARE + timedelta(hours=24)
    assert _deadline(dora, "intermediate") == AWARE + timedelta(hours=96)


def test_card_brands_and_plan_deadline_overrides(runtime: Runtime) -> None:
    apply_plan(runtime, card_brands=["visa", "amex"])
    ref = open_incident(runtime)
    set_facts(runtime, ref, cardholder_data="yes", discovery_at=AWARE.isoformat())
    duties = by_duty(runtime, ref)
    assert {"pci-dss-visa", "pci-dss-amex"} <= set(duties)
    assert "pci-dss-mastercard" not in duties
    assert duties["pci-dss-amex"].next_deadline == AWARE + timedelta(hours=72)


def test_closing_needs_evidence_and_is_final(runtime: Runtime) -> None:
    apply_plan(runtime)
    ref = open_incident(runtime)
    set_facts(runtime, ref, personal_data="yes", subject_jurisdictions="EU", awareness_at=AWARE.isoformat())
    art33 = by_duty(runtime, ref)["gdpr-art33"]
    runtime.clock.set(AWARE + timedelta(hours=21))  # type: ignore[attr-defined]
    with runtime.uow(ADMIN, write=True) as uow, pytest.raises(ValidationError, match="future"):
        obligations.record_submission(
            uow, art33.id, submitted_at=datetime(2026, 3, 9, tzinfo=UTC), to="ICO", reference="x"
        )
    with runtime.uow(ADMIN, write=True) as uow:
        row, evidence = obligations.record_submission(
            uow,
            art33.id,
            submitted_at=AWARE + timedelta(hours=20),
            to="ICO breach portal",
            reference="IC-1234",
        )
        uow.commit()
    assert row.status == "closed" and row.next_deadline is None
    assert evidence.reference == "IC-1234" and evidence.phase == "notification"
    with runtime.uow(ADMIN, write=True) as uow, pytest.raises(ConflictError, match="every required phase"):
        obligations.record_submission(uow, art33.id, submitted_at=AWARE, to="ICO", reference="again")
    set_facts(runtime, ref, personal_data="no")
    assert by_duty(runtime, ref)["gdpr-art33"].status == "closed"  # a closed duty is history, kept


def test_contractual_duty_from_the_plan(runtime: Runtime) -> None:
    apply_plan(runtime)
    ref = open_incident(runtime)
    set_facts(runtime, ref, personal_data="yes", awareness_at=AWARE.isoformat())
    insurer = by_duty(runtime, ref)["contract-insurer-notice"]
    assert insurer.kind == "contractual"
    assert insurer.next_deadline == AWARE + timedelta(days=2)
    assert insurer.recipient["stakeholder"] == "insurer"


def test_data_types_from_the_plan_imply_personal_data_and_jurisdictions(runtime: Runtime) -> None:
    apply_plan(runtime)
    ref = open_incident(runtime)
    set_facts(runtime, ref, data_types="customer-personal-data", awareness_at=AWARE.isoformat())
    with runtime.uow(ADMIN) as uow:
        facts = obligations.incident_facts(uow, ref)
    assert facts.effective["personal_data"] is True
    assert facts.sources["subject_jurisdictions"] == "data types"
    assert "gdpr-art33" in by_duty(runtime, ref)
    with runtime.uow(ADMIN, write=True) as uow, pytest.raises(ValidationError, match="unknown data types"):
        obligations.set_facts(uow, ref, {"data_types": "customer-secrets"})
