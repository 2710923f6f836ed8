"""What a new version of the plan changes, and the plan's JSON Schema for editors and validators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from pydantic.json_schema import GenerateJsonSchema

from ironwatch.plan.fieldtypes import format_duration
from ironwatch.plan.models import Plan

_KEYS = ("id", "name", "role")  # list items are matched by the first of these that is unique in both


@dataclass(frozen=True)
class PlanChange:
    """One change: ``path`` (e.g. ``team.people[alex].phone``) with the JSON values before and after.

    ``before`` is None for an addition and ``after`` is None for a removal.
    """

    path: str
    before: Any
    after: Any

    @property
    def kind(self) -> Literal["added", "removed", "changed"]:
        """Whether the change adds, removes or changes a value."""
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _item_key(old: list[Any], new: list[Any]) -> str | None:
    items = old + new
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in _KEYS:
        if all(key in i for i in items):
            old_keys = [i[key] for i in old]
            new_keys = [i[key] for i in new]
            if len(set(old_keys)) == len(old_keys) and len(set(new_keys)) == len(new_keys):
                return key
    return None


def _compare(path: str, old: Any, new: Any, out: list[PlanChange]) -> None:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            _compare(_join(path, str(key)), old.get(key), new.get(key), out)
        return
    if isinstance(old, list) and isinstance(new, list):
        key = _item_key(old, new)
        if key is not None:
            before = {i[key]: i for i in old}
            after = {i[key]: i for i in new}
            for ident in [*before, *(k for k in after if k not in before)]:
                _compare(f"{path}[{ident}]", before.get(ident), after.get(ident), out)
            return
        if all(isinstance(i, dict) for i in old + new) and len(old) == len(new):
            for index, (a, b) in enumerate(zip(old, new, strict=True)):
                _compare(f"{path}[{index}]", a, b, out)
            return
    out.append(PlanChange(path, old, new))


def diff_plans(old: Plan, new: Plan) -> list[PlanChange]:
    """Every change from ``old`` to ``new``, in document order.

    Entries of lists with ids (people, roles, categories, assets by name, rotations by role) are matched
    by id, so reordering changes nothing and an edit shows as one field, not a shifted list. Values are
    in their JSON form (durations as ``15m``), e.g. ``PlanChange("team.people[bob].phone", "+1 5", "+1 6")``.
    """
    changes: list[PlanChange] = []
    _compare("", old.model_dump(mode="json"), new.model_dump(mode="json"), changes)
    return changes


class _PlanSchemaGenerator(GenerateJsonSchema):
    def encode_default(self, dft: Any) -> Any:
        # Durations default to their compact plan form (365d), not ISO 8601, so defaults match the pattern.
        if isinstance(dft, timedelta):
            return format_duration(dft)
        return super().encode_default(dft)


def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a plan file, for editor completion and external validation."""
    schema = Plan.model_json_schema(mode="validation", schema_generator=_PlanSchemaGenerator)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
