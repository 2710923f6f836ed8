"""Read and switch stored detection rules: list, show, enable, disable.

Reading needs ``rules:read``; enabling and disabling need ``rules:write``, name who did it and why on
the rule, are audited (``detection_rule.enable`` / ``.disable``) and raise the rule set's version so
``serve`` picks the change up within seconds.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select

from ironwatch.core.errors import ConflictError, NotFoundError, ValidationError
from ironwatch.core.permissions import Permission
from ironwatch.detect.rule_set import bump_rule_set
from ironwatch.detect.schemas import RuleFilter
from ironwatch.store.tables import DetectionRuleRow
from ironwatch.store.uow import UnitOfWork

LIST_HINT = "list the rules with `ironwatch rules list` (or GET /api/v1/rules)"


def list_rules(uow: UnitOfWork, flt: RuleFilter) -> tuple[int, list[DetectionRuleRow]]:
    """``(total, page)`` of stored rules matching ``flt``, by source path and line."""
    uow.principal.require(Permission.RULES_READ)
    query = select(DetectionRuleRow)
    if flt.state:
        query = query.where(DetectionRuleRow.state == flt.state)
    if flt.level:
        query = query.where(DetectionRuleRow.level == flt.level)
    if flt.kind:
        query = query.where(DetectionRuleRow.kind == flt.kind)
    if flt.enabled is not None:
        query = query.where(DetectionRuleRow.enabled == flt.enabled)
    if flt.origin:
        query = query.where(DetectionRuleRow.origin == flt.origin)
    if flt.text:
        pattern = "%" + flt.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                func.lower(DetectionRuleRow.rule_id).like(pattern, escape="\\"),
                func.lower(DetectionRuleRow.title).like(pattern, escape="\\"),
                func.lower(DetectionRuleRow.source_path).like(pattern, escape="\\"),
            )
        )
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = uow.session.scalars(
        query.order_by(DetectionRuleRow.source_path, DetectionRuleRow.line, DetectionRuleRow.rule_id)
        .limit(flt.limit)
        .offset(flt.offset)
    ).all()
    return total, list(rows)


def _find(uow: UnitOfWork, rule_id: str) -> DetectionRuleRow:
    row = uow.session.scalars(select(DetectionRuleRow).where(DetectionRuleRow.rule_id == rule_id)).first()
    if row is None:
        raise NotFoundError(f"no stored rule has id {rule_id!r}", hint=LIST_HINT)
    return row


def get_rule(uow: UnitOfWork, rule_id: str) -> DetectionRuleRow:
    """One stored rule with its text, compile result and enable history."""
    uow.principal.require(Permission.RULES_READ)
    return _find(uow, rule_id)


def set_rule_enabled(uow: UnitOfWork, rule_id: str, *, enabled: bool, reason: str) -> DetectionRuleRow:
    """Enable or disable a rule; disabling needs a reason, which is kept with the rule.

    Enabling a rule that failed to compile is refused: it could not run; fix and load it again.
    """
    uow.principal.require(Permission.RULES_WRITE)
    reason = reason.strip()
    if not enabled and not reason:
        raise ValidationError("say why the rule is disabled", hint='pass --reason (API: {"reason": "..."})')
    row = _find(uow, rule_id)
    if enabled and row.state == "failed":
        raise ConflictError(
            f"rule {rule_id} did not compile, so it cannot run: {row.error}",
            hint="fix the rule file and load it again with `ironwatch rules load FILE`",
        )
    if row.enabled == enabled:
        return row
    uow.set_action("detection_rule.enable" if enabled else "detection_rule.disable")
    row.enabled = enabled
    row.changed_by = uow.principal.name
    row.changed_at = uow.clock.now()
    row.change_reason = reason
    uow.flush()
    uow.set_action(None)
    bump_rule_set(uow)
    return row
