"""Conditions on breach facts: three-valued, with the missing facts to ask for."""

from __future__ import annotations

import pytest

from ironwatch.core.breach_facts import FACTS, parse_fact
from ironwatch.core.errors import ValidationError
from ironwatch.core.fact_conditions import evaluate, parse_condition, within_region

GDPR = parse_condition(
    {
        "all": [
            {"personal_data": True},
            {
                "any": [
                    {"subject_jurisdictions": {"any_in": ["EEA"]}},
                    {"org_jurisdictions": {"any_in": ["EEA"]}},
                ]
            },
        ]
    },
    FACTS,
)


def test_applies_when_every_part_holds() -> None:
    verdict = evaluate(
        GDPR, {"personal_data": True, "subject_jurisdictions": ["DE"], "org_jurisdictions": ["US"]}
    )
    assert verdict.value is True


def test_a_false_part_decides_without_asking() -> None:
    verdict = evaluate(GDPR, {"personal_data": False})
    assert verdict.value is False
    assert verdict.missing == ()
    assert verdict.reasons == ("not (personal_data is yes)",)


def test_unknown_lists_only_the_facts_that_could_decide() -> None:
    verdict = evaluate(GDPR, {"org_jurisdictions": ["US"]})
    assert verdict.value is None
    assert verdict.missing == ("personal_data", "subject_jurisdictions")
    # an EU establishment decides the "any" part: only personal data is asked
    assert evaluate(GDPR, {"org_jurisdictions": ["FR"]}).missing == ("personal_data",)


def test_regions_and_subdivisions() -> None:
    assert within_region("DE", "EU")
    assert within_region("NO", "EEA") and not within_region("NO", "EU")
    assert within_region("US-CA", "US") and not within_region("US", "US-CA")
    assert not within_region("GB", "EEA")


def test_numeric_and_list_tests() -> None:
    big = parse_condition({"records": {"at_least": 500}, "card_brands": {"contains": "visa"}}, FACTS)
    assert evaluate(big, {"records": 500, "card_brands": ["visa"]}).value is True
    assert evaluate(big, {"records": 499, "card_brands": ["visa"]}).value is False
    assert (
        evaluate(parse_condition({"not": {"records": {"below": 500}}}, FACTS), {"records": 12}).value is False
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"personel_data": True}, "unknown fact 'personel_data'"),
        ({"records": {"more_than": 3}}, "unknown test 'more_than'"),
        ({"all": []}, "non-empty list"),
        ({"records": {"at_least": "many"}}, "whole number"),
    ],
)
def test_bad_conditions_say_what_to_write(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_condition(data, FACTS)


def test_facts_parse_from_text() -> None:
    assert parse_fact("personal_data", "yes") is True
    assert parse_fact("records", "10,000") == 10000
    assert parse_fact("subject_jurisdictions", "EU, DE ,EU") == ["DE", "EU"]
    assert parse_fact("awareness_at", "2026-03-02T10:00:00+01:00") == "2026-03-02T09:00:00+00:00"
    assert parse_fact("high_risk", "") is None
    with pytest.raises(ValidationError, match="no time zone"):
        parse_fact("awareness_at", "2026-03-02T10:00:00")
    with pytest.raises(ValidationError, match="unknown fact"):
        parse_fact("colour", "red")
    with pytest.raises(ValidationError, match="not yes or no"):
        parse_fact("phi", "maybe")
