"""Placing one ``record_alerts`` call's alerts in their groups at once (issues #5/#7).

Decisions are exactly those of ``handlers.place_alert`` run alert by alert in the same order
(docs/triage.md, "Grouping"), but the work that does not depend on the alert is done once per batch:
the suppressions in force and the open groups of the grouping window are read once, groups are found
through an index by (entity name, value) instead of by testing every open group, each group's entity
values are merged in sets and written (so audited) once, and the batch needs a fixed number of flushes
instead of one per alert. An alert's cost so depends neither on its group's size nor on how many
groups are open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ironwatch.core.lifecycle import OPEN_STATES
from ironwatch.plan.models import Plan
from ironwatch.store.tables import AlertGroupRow, AlertRow, IncidentRow
from ironwatch.store.uow import UnitOfWork
from ironwatch.triage.grouping import (
    alert_values,
    matches_entities,
    new_group_row,
    open_groups_since,
    own_values,
)
from ironwatch.triage.suppression import active_suppressions, count_suppressed, covering_suppression

#: the entities whose new values make a group "growing" (spreading) for assessment
_SPREAD = ("host", "user", "source_address")


@dataclass
class _Group:
    """A group as the batch changes it: its entity values as sets, written back once."""

    row: AlertGroupRow
    entities: dict[str, set[str]]
    rule_ids: set[str]
    candidate: bool  # open, so alerts may be matched to it (not only joined through ``group_id``)
    growing: bool = False
    touched: bool = False
    joined: dict[str, AlertRow] = field(default_factory=dict)  # alerts new to the group


class BatchPlacement:
    """Suppress or group a batch of alerts; ``place`` each in order, then ``finish`` once."""

    def __init__(self, uow: UnitOfWork, plan: Plan, alerts: Sequence[AlertRow]) -> None:
        self._uow = uow
        self._plan = plan
        self._window = plan.settings.grouping.window
        self._groups: dict[str, _Group] = {}
        self._order: list[_Group] = []  # groups in the order the batch's alerts first joined them
        self._by_value: dict[tuple[str, str], dict[str, _Group]] = {}
        self._suppressions = active_suppressions(uow)
        if alerts:
            since = min(a.first_seen for a in alerts) - self._window
            for row in open_groups_since(uow, since):
                self._track(row, candidate=True)

    def _track(self, row: AlertGroupRow, *, candidate: bool) -> _Group:
        entities = {name: set(values) for name, values in row.entities.items()}
        group = _Group(row, entities, set(row.rule_ids), candidate)
        self._groups[row.id] = group
        if candidate:
            for name, values in entities.items():
                for value in values:
                    self._by_value.setdefault((name, value), {})[row.id] = group
        return group

    def _is_open(self, row: AlertGroupRow) -> bool:
        if row.incident_id is None:
            return True
        incident = self._uow.session.get(IncidentRow, row.incident_id)
        return incident is not None and incident.status in {s.value for s in OPEN_STATES}

    def _find(self, alert: AlertRow) -> _Group | None:
        """The oldest open group active within the window that the alert matches, as ``find_group``."""
        since = alert.first_seen - self._window
        found: dict[str, _Group] = {}
        for name, value in own_values(alert).items():
            found.update(self._by_value.get((name, value), {}))
        live = sorted(
            (g for g in found.values() if g.row.last_seen >= since),
            key=lambda g: (g.row.first_seen, g.row.id),
        )
        return next((g for g in live if matches_entities(self._plan, alert, g.entities)), None)

    def place(self, alert: AlertRow) -> None:
        """Suppress ``alert`` or put it in its group (what ``handlers.place_alert`` decides)."""
        dismissed = alert.status in ("false_positive", "suppressed")
        if dismissed or (alert.status == "new" and alert.incident_id is None):
            suppression = covering_suppression(self._suppressions, alert)
            if suppression is not None:
                count_suppressed(self._uow, suppression, alert, alert.count - alert.handled_count)
                alert.handled_count = alert.count
                return
        if dismissed:
            alert.handled_count = alert.count
            return  # decided already: repeats of a dismissed alert stay dismissed
        with self._uow.session.no_autoflush:  # the batch's changes are flushed once, in ``finish``
            self._join(alert)

    def _join(self, alert: AlertRow) -> None:
        group: _Group | None = None
        if alert.group_id:
            group = self._groups.get(alert.group_id)
            if group is None:
                row = self._uow.session.get(AlertGroupRow, alert.group_id)
                if row is not None:
                    group = self._track(row, candidate=self._is_open(row))
        if group is None:
            group = self._find(alert)
        fresh = group is None
        if group is None:
            group = self._open(alert)
        row = group.row
        grew = False
        for name, values in alert_values(self._uow, alert).items():
            known = group.entities.setdefault(name, set())
            new = values - known
            if not new:
                continue
            grew = grew or (not fresh and name in _SPREAD)
            known.update(new)
            if group.candidate:
                for value in new:
                    self._by_value.setdefault((name, value), {})[row.id] = group
        group.rule_ids.add(alert.rule_id)
        if alert.group_id != row.id and alert.id not in group.joined:
            row.alert_count += 1
            group.joined[alert.id] = alert
        row.first_seen = min(row.first_seen, alert.first_seen)
        row.last_seen = max(row.last_seen, alert.last_seen)
        row.updated_at = self._uow.clock.now()
        group.growing = group.growing or grew
        if not group.touched:
            group.touched = True
            self._order.append(group)
        if alert.group_id == row.id:
            alert.handled_count = alert.count

    def _open(self, alert: AlertRow) -> _Group:
        row = new_group_row(alert, self._uow.clock.now())
        self._uow.session.add(row)
        return self._track(row, candidate=True)

    def finish(self) -> dict[str, bool]:
        """Write each changed group once, then point its new alerts at it; returns the groups the
        batch's alerts joined (id -> whether new entities joined), in the order first joined."""
        touched = self._order
        for group in touched:
            entities = {k: sorted(v) for k, v in sorted(group.entities.items())}
            if entities != group.row.entities:
                group.row.entities = entities
            rule_ids = sorted(group.rule_ids)
            if rule_ids != group.row.rule_ids:
                group.row.rule_ids = rule_ids
        # no ORM relationships: new group rows must exist before an alert points at them
        self._uow.flush()
        for group in touched:
            for alert in group.joined.values():
                alert.group_id = group.row.id
                alert.handled_count = alert.count
        self._uow.flush()
        return {g.row.id: g.growing for g in touched}
