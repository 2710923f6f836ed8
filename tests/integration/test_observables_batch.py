"""Many observables attached at once behave as attaching each in turn: normalised, each value once."""

from __future__ import annotations

import pytest

from ironwatch.bootstrap import Runtime
from ironwatch.core.errors import ValidationError
from ironwatch.incidents import schemas as s
from ironwatch.incidents import service
from tests.support.people import add_user, principal


@pytest.fixture
def analyst(runtime: Runtime):  # type: ignore[no-untyped-def]
    add_user(runtime, "ana", "analyst")
    return principal(runtime, "ana")


def test_observables_added_at_once_are_normalised_and_each_kept_once(runtime: Runtime, analyst) -> None:  # type: ignore[no-untyped-def]
    with runtime.uow(analyst, write=True) as uow:
        ref = service.create_incident(uow, s.IncidentCreate(title="Phishing")).ref
        service.add_observable(uow, ref, s.ObservableCreate(type="domain", value="evil.example"))
        added = service.add_observables(
            uow,
            ref,
            [
                s.ObservableCreate(type="domain", value="Evil.EXAMPLE."),  # there already
                s.ObservableCreate(type="account", value="alice"),
                s.ObservableCreate(type="account", value="alice"),  # twice in one call
                s.ObservableCreate(type="ipv4", value="192.0.2.7", note="from alert x"),
            ],
        )
        uow.commit()
    assert [(row.value, created) for row, created in added] == [
        ("evil.example", False),
        ("alice", True),
        ("alice", False),
        ("192.0.2.7", True),
    ]
    with runtime.uow(analyst) as uow:
        detail = service.incident_detail(uow, ref)
    assert sorted((o.type, o.value) for o in detail.observables) == [
        ("account", "alice"),
        ("domain", "evil.example"),
        ("ipv4", "192.0.2.7"),
    ]


def test_an_invalid_observable_among_many_adds_none_of_them(runtime: Runtime, analyst) -> None:  # type: ignore[no-untyped-def]
    with runtime.uow(analyst, write=True) as uow:
        ref = service.create_incident(uow, s.IncidentCreate(title="x")).ref
        with pytest.raises(ValidationError, match="not a valid IPv4"):
            service.add_observables(
                uow,
                ref,
                [
                    s.ObservableCreate(type="account", value="bob"),
                    s.ObservableCreate(type="ipv4", value="999.1.1.1"),
                ],
            )
        assert service.incident_detail(uow, ref).observables == []
