import uuid

from ironwatch.core.ids import format_reference, new_id, parse_reference


def test_ids_are_uuid7_and_sort_by_creation() -> None:
    ids = [new_id() for _ in range(200)]
    assert all(uuid.UUID(i).version == 7 for i in ids)
    millis = [i.replace("-", "")[:12] for i in ids]
    assert millis == sorted(millis)
    assert len(set(ids)) == 200


def test_references_have_at_least_four_digits() -> None:
    assert format_reference(2026, 7) == "IR-2026-0007"
    assert format_reference(2026, 12345) == "IR-2026-12345"
    assert parse_reference("ir-2026-0007") == (2026, 7)
    assert parse_reference("IR-26-7") is None
