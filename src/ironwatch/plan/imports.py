"""New plan versions from CSV imports: the asset inventory and training completions.

An import merges the CSV's rows into the plan in force and applies the result as a new version. Only
the imported section of the YAML text is rewritten (its own comments are lost); the rest of the file,
comments included, stays as it was. Needs ``plan:write``.
"""

from __future__ import annotations

from typing import Any

from ironwatch.core.errors import ConflictError, ValidationError
from ironwatch.core.permissions import Permission
from ironwatch.plan.csv_import import parse_assets_csv, parse_completions_csv
from ironwatch.plan.diff import PlanChange
from ironwatch.plan.service import VersionInfo, apply_plan, get_version
from ironwatch.plan.yaml_edit import replace_value
from ironwatch.store.uow import UnitOfWork


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _apply_merged(
    uow: UnitOfWork,
    text: str,
    section: tuple[str, ...],
    items: list[dict[str, Any]],
    *,
    source: str,
    note: str,
) -> tuple[VersionInfo, list[PlanChange]]:
    try:
        merged = replace_value(text, section, items)
    except ValueError as exc:
        raise ValidationError(
            f"cannot add the imported entries to the plan's text: {exc}",
            hint=f"add them to {'.'.join(section)} by hand and apply the file",
        ) from exc
    return apply_plan(uow, merged, source=source, note=note)


def import_assets(
    uow: UnitOfWork, csv_text: str, *, source: str = "assets.csv", note: str = ""
) -> tuple[VersionInfo, list[PlanChange]]:
    """Merge assets from CSV into the plan in force: a row replaces the asset of its name, others are added.

    Every bad row is reported at once with its line (``PlanError``); data types must exist in the plan.
    Refused (``ConflictError``) when the file changes nothing.
    """
    uow.principal.require(Permission.PLAN_WRITE)
    current = get_version(uow)
    imported = parse_assets_csv(
        csv_text, source=source, known_data_types={d.id for d in current.plan.data_types}
    )
    merged = {asset.name: asset for asset in current.plan.assets}
    merged.update((asset.name, asset) for asset in imported)
    if tuple(merged.values()) == current.plan.assets:
        raise ConflictError(
            f"every asset in {source} is already in plan version {current.info.version} as given",
            hint="nothing was changed; edit the file or the plan",
        )
    items = [asset.model_dump(mode="json", exclude_defaults=True) for asset in merged.values()]
    added = len(merged) - len(current.plan.assets)
    summary = f"imported {_count(len(imported), 'asset')} from {source} ({added} new)"
    return _apply_merged(uow, current.text, ("assets",), items, source=source, note=note or summary)


def import_completions(
    uow: UnitOfWork, csv_text: str, *, source: str = "completions.csv", note: str = ""
) -> tuple[VersionInfo, list[PlanChange]]:
    """Add training completions from CSV (person, course, completed_on) to the plan in force.

    People and courses must exist in the plan; records already there are skipped. Refused
    (``ConflictError``) when every record is already in the plan.
    """
    uow.principal.require(Permission.PLAN_WRITE)
    current = get_version(uow)
    plan = current.plan
    imported = parse_completions_csv(
        csv_text,
        source=source,
        known_people={p.id for p in plan.team.people},
        known_courses={c.id for c in plan.training.courses},
    )
    records = list(plan.training.completions)
    new = [record for record in dict.fromkeys(imported) if record not in records]
    if not new:
        raise ConflictError(
            f"every completion in {source} is already in plan version {current.info.version}",
            hint="nothing was changed",
        )
    items = [record.model_dump(mode="json") for record in [*records, *new]]
    summary = f"imported {_count(len(new), 'training completion')} from {source}"
    return _apply_merged(
        uow, current.text, ("training", "completions"), items, source=source, note=note or summary
    )
